//===- TeardownFields.cpp - Teardowns that clear a field they never freed -===//
//
//   static void crf_free(struct crf *c) {
//     ts_free(c->W);
//     ts_free(c->trans);
//     memset(c, 0, sizeof *c);      /* c->start leaks */
//   }
//
// The dataflow sees c->start as the caller's tensor, which a callee may
// leave alone. But a function that frees fields of *c and then clears all
// of *c is its teardown: a tensor field it neither frees nor reads nor
// hands on is lost by the memset. The field must be one the file frees
// elsewhere (`ts_free(x.start)`, `ts_free(q->start)`): a field no code
// frees may be borrowed. c itself may only appear as `c->field` and as
// the memset's destination, so no callee could have freed the field.
//
//===----------------------------------------------------------------------===//
#include "TeardownFields.h"
#include "Checks.h"

#include "clang/AST/RecursiveASTVisitor.h"
#include "llvm/ADT/DenseSet.h"

using namespace clang;

namespace tsmem {

namespace {

/// The field E names, `x.f` or `p->f` (or an element of it, `p->f[i]`),
/// or null.
const FieldDecl *fieldOf(const Expr *E) {
  E = E->IgnoreParenCasts();
  if (const auto *AS = dyn_cast<ArraySubscriptExpr>(E))
    E = AS->getBase()->IgnoreParenCasts();
  const auto *ME = dyn_cast<MemberExpr>(E);
  return ME ? dyn_cast<FieldDecl>(ME->getMemberDecl()) : nullptr;
}

/// The tensor fields the translation unit frees by name, by function.
class FreedFieldScan : public RecursiveASTVisitor<FreedFieldScan> {
public:
  explicit FreedFieldScan(CallModels &Models) : Models(Models) {}
  bool TraverseFunctionDecl(FunctionDecl *FD) {
    const FunctionDecl *Saved = Cur;
    Cur = FD;
    bool R = RecursiveASTVisitor::TraverseFunctionDecl(FD);
    Cur = Saved;
    return R;
  }
  bool VisitCallExpr(CallExpr *CE) {
    CallModel M = Models.get(CE);
    if (Cur && M.Api && M.Kind == CallKind::Free &&
        M.ConsumedArg < CE->getNumArgs())
      if (const FieldDecl *F = fieldOf(CE->getArg(M.ConsumedArg)))
        Freed[F].insert(Cur);
    return true;
  }
  CallModels &Models;
  const FunctionDecl *Cur = nullptr;
  FreedFieldMap Freed;
};

/// Uses of the parameter in the body: `p->f` (the fields named), the
/// memset's destination, anything else (Other).
class ParamUses : public RecursiveASTVisitor<ParamUses> {
public:
  ParamUses(const ParmVarDecl *P, const CallExpr *Memset)
      : P(P), Memset(Memset) {}
  bool TraverseCallExpr(CallExpr *CE) {
    if (CE == Memset) {
      for (unsigned I = 1; I < CE->getNumArgs(); ++I)
        TraverseStmt(CE->getArg(I));
      return true;
    }
    return RecursiveASTVisitor::TraverseCallExpr(CE);
  }
  bool TraverseMemberExpr(MemberExpr *ME) {
    const auto *DRE =
        dyn_cast<DeclRefExpr>(ME->getBase()->IgnoreParenImpCasts());
    if (ME->isArrow() && DRE && DRE->getDecl() == P) {
      if (const auto *F = dyn_cast<FieldDecl>(ME->getMemberDecl()))
        Named.insert(F);
      return true;
    }
    return RecursiveASTVisitor::TraverseMemberExpr(ME);
  }
  bool TraverseUnaryExprOrTypeTraitExpr(UnaryExprOrTypeTraitExpr *) {
    return true; // `sizeof *p` reads nothing.
  }
  bool VisitDeclRefExpr(DeclRefExpr *DRE) {
    if (DRE->getDecl() == P)
      Other = true;
    return true;
  }
  const ParmVarDecl *P;
  const CallExpr *Memset;
  llvm::SmallPtrSet<const FieldDecl *, 8> Named;
  bool Other = false;
};

/// `memset(p, 0, ...)` for a parameter p pointing to a struct: p.
const ParmVarDecl *clearedParam(const CallExpr *CE, const FunctionDecl *FD) {
  const FunctionDecl *Callee = CE->getDirectCallee();
  if (!Callee || !Callee->getIdentifier() || CE->getNumArgs() != 3 ||
      (Callee->getName() != "memset" &&
       Callee->getName() != "__builtin_memset"))
    return nullptr;
  const auto *DRE = dyn_cast<DeclRefExpr>(CE->getArg(0)->IgnoreParenCasts());
  const auto *P = DRE ? dyn_cast<ParmVarDecl>(DRE->getDecl()) : nullptr;
  if (!P || P->getDeclContext() != FD)
    return nullptr;
  QualType T = P->getType();
  if (!T->isPointerType() || !T->getPointeeType()->isStructureType())
    return nullptr;
  Expr::EvalResult R;
  const Expr *Val = CE->getArg(1);
  if (Val->isValueDependent() || !Val->EvaluateAsInt(R, FD->getASTContext()) ||
      R.Val.getInt() != 0)
    return nullptr;
  return P;
}

} // namespace

const FreedFieldMap &freedFields(CallModels &Models, ASTContext &Ctx) {
  // The file scanned once, kept with the translation unit's models.
  if (!Models.FreedFields) {
    FreedFieldScan Scan(Models);
    Scan.TraverseDecl(Ctx.getTranslationUnitDecl());
    Models.FreedFields = std::move(Scan.Freed);
  }
  return *Models.FreedFields;
}

void checkTeardownFields(const FunctionDecl *FD, BodyScope Scope,
                         CallModels &Models, ASTContext &Ctx, Findings &Out) {
  const auto *Body = dyn_cast_or_null<CompoundStmt>(FD->getBody());
  if (!Body || Scope != BodyScope::None)
    return;
  // The memset, a statement of the body itself.
  const CallExpr *Memset = nullptr;
  const ParmVarDecl *P = nullptr;
  for (const Stmt *St : Body->body())
    if (const auto *CE = dyn_cast<CallExpr>(St))
      if (const ParmVarDecl *Q = clearedParam(CE, FD)) {
        if (P)
          return;
        Memset = CE;
        P = Q;
      }
  if (!P)
    return;
  ParamUses Uses(P, Memset);
  Uses.TraverseStmt(const_cast<CompoundStmt *>(Body));
  if (Uses.Other)
    return;
  const FreedFieldMap &Freed = freedFields(Models, Ctx);
  auto FreedBy = [&](const FieldDecl *F, bool Here) {
    auto It = Freed.find(F);
    if (It == Freed.end())
      return false;
    if (Here)
      return It->second.count(FD) != 0;
    return It->second.size() > (It->second.count(FD) ? 1u : 0u);
  };
  // A teardown: it frees a tensor field of *p itself.
  const RecordDecl *RD = P->getType()->getPointeeType()->getAsRecordDecl();
  if (!RD || !llvm::any_of(Uses.Named, [&](const FieldDecl *F) {
        return F->getParent() == RD && FreedBy(F, true);
      }))
    return;
  for (const FieldDecl *F : RD->fields()) {
    if (!isTensorPointer(F->getType()) || Uses.Named.count(F) ||
        !FreedBy(F, false))
      continue;
    std::string Name = P->getName().str() + "->" + F->getName().str();
    warn(Out, Message::LeakFieldOverwritten, Memset->getBeginLoc(), {Name});
  }
}

} // namespace tsmem
