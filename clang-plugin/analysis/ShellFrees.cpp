//===- ShellFrees.cpp - free() of memory that still holds tensors ---------===//
//
//   static void graph_free_partial(struct graph *g) {
//     ts_free(g->x);
//     free(g);                      /* g->embed leaks */
//   }
//   static void track_reset(struct track *t) {
//     free(t->est);                 /* the tensors in t->est[] leak */
//     t->est = NULL;
//   }
//
// The dataflow sees g->embed as the caller's tensor and free(g) as a call
// that takes no tensor. But the file frees `x->embed` elsewhere (so the
// struct owns that field), and this function releases the memory holding
// it without naming it at all: nothing could have freed or moved it first.
// The same for a heap array of tensors in a field (`ts_tensor **est`,
// whose elements the file frees by name) or of structs (`struct level
// *lv`, whose `.A` it frees by name).
//
// Quiet unless the object is reached only in ways that cannot hand its
// tensors on: the variable it hangs from appears only as the base of field
// accesses, in truth tests, as free()'s argument, and assigned from other
// places (`e = next`, `e = n->edges`), never from a call (whose result may
// be fresh, its fields unset). A parameter freed whole (`free(p)`) must
// also free some tensor under it by name here: a helper that frees only a
// shell is a teardown only if it frees something else.
//
//===----------------------------------------------------------------------===//
#include "ShellFrees.h"
#include "Checks.h"
#include "LibcCalls.h"
#include "TeardownFields.h"

#include "clang/AST/ParentMap.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Lex/Lexer.h"
#include "llvm/ADT/DenseMap.h"

using namespace clang;

namespace tsmem {

namespace {

/// What a body does, read once: its free() calls, the field accesses by
/// field, the variables' references, the tensors it frees.
class BodyScan : public RecursiveASTVisitor<BodyScan> {
public:
  explicit BodyScan(CallModels &Models) : Models(Models) {}
  bool TraverseUnaryExprOrTypeTraitExpr(UnaryExprOrTypeTraitExpr *) {
    return true; // `sizeof *p` reads nothing.
  }
  bool VisitCallExpr(CallExpr *CE) {
    if (isLibcFree(CE)) {
      Frees.push_back(CE);
      return true;
    }
    CallModel M = Models.get(CE);
    if (M.Api && M.Kind == CallKind::Free && M.ConsumedArg < CE->getNumArgs())
      TensorFrees.push_back(CE->getArg(M.ConsumedArg));
    return true;
  }
  bool VisitMemberExpr(MemberExpr *ME) {
    if (const auto *F = dyn_cast<FieldDecl>(ME->getMemberDecl()))
      Mentions[F].push_back(ME);
    return true;
  }
  bool VisitDeclRefExpr(DeclRefExpr *DRE) {
    if (const auto *VD = dyn_cast<VarDecl>(DRE->getDecl()))
      Refs[VD].push_back(DRE);
    return true;
  }
  CallModels &Models;
  llvm::SmallVector<const CallExpr *, 4> Frees;
  llvm::SmallVector<const Expr *, 8> TensorFrees;
  llvm::DenseMap<const FieldDecl *, llvm::SmallVector<const MemberExpr *, 4>>
      Mentions;
  llvm::DenseMap<const VarDecl *, llvm::SmallVector<const DeclRefExpr *, 4>>
      Refs;
};

/// The variable below `v`, `v->f`, `v.f` (Via: f), or null.
const VarDecl *rootOf(const Expr *X, const FieldDecl *&Via) {
  Via = nullptr;
  if (const auto *ME = dyn_cast<MemberExpr>(X)) {
    Via = dyn_cast<FieldDecl>(ME->getMemberDecl());
    if (!Via)
      return nullptr;
    X = ME->getBase()->IgnoreParenImpCasts();
  }
  const auto *DRE = dyn_cast<DeclRefExpr>(X);
  return DRE ? dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
}

/// A value a variable may take without making the object fresh: another
/// variable, a place (`c->tail`), NULL.
bool isPlaceValue(const Expr *E, ASTContext &Ctx) {
  E = E->IgnoreParenCasts();
  return isa<DeclRefExpr>(E) || isa<MemberExpr>(E) ||
         E->isNullPointerConstant(Ctx, Expr::NPC_ValueDependentIsNotNull);
}

/// Every reference to V in the body is harmless (see the file comment);
/// Free: the free() whose argument V itself may be.
bool onlyHarmlessUses(const VarDecl *V, const BodyScan &Scan, ParentMap &PM,
                      ASTContext &Ctx) {
  if (const Expr *Init = V->getInit())
    if (!isPlaceValue(Init, Ctx))
      return false;
  auto It = Scan.Refs.find(V);
  if (It == Scan.Refs.end())
    return true;
  for (const DeclRefExpr *DRE : It->second) {
    const Stmt *Child = DRE;
    const Stmt *P = PM.getParent(Child);
    bool Truth = false;
    while (P && (isa<ParenExpr>(P) || isa<ImplicitCastExpr>(P))) {
      if (const auto *IC = dyn_cast<ImplicitCastExpr>(P))
        Truth |= IC->getCastKind() == CK_PointerToBoolean;
      Child = P;
      P = PM.getParent(P);
    }
    if (Truth || !P)
      continue;
    if (const auto *ME = dyn_cast<MemberExpr>(P))
      if (ME->getBase() == Child)
        continue;
    if (const auto *CE = dyn_cast<CallExpr>(P))
      if (isLibcFree(CE))
        continue;
    if (const auto *UO = dyn_cast<UnaryOperator>(P))
      if (UO->getOpcode() == UO_LNot)
        continue;
    // A truth test (C has no cast to bool in conditions).
    if ((isa<IfStmt>(P) && cast<IfStmt>(P)->getCond() == Child) ||
        (isa<WhileStmt>(P) && cast<WhileStmt>(P)->getCond() == Child) ||
        (isa<DoStmt>(P) && cast<DoStmt>(P)->getCond() == Child) ||
        (isa<ForStmt>(P) && cast<ForStmt>(P)->getCond() == Child) ||
        (isa<ConditionalOperator>(P) &&
         cast<ConditionalOperator>(P)->getCond() == Child))
      continue;
    if (const auto *BO = dyn_cast<BinaryOperator>(P))
      if (BO->isLogicalOp())
        continue;
    if (const auto *BO = dyn_cast<BinaryOperator>(P)) {
      if (BO->getOpcode() == BO_Assign && BO->getLHS() == Child &&
          isPlaceValue(BO->getRHS(), Ctx))
        continue;
      if (BO->isEqualityOp()) {
        const Expr *Other = BO->getLHS() == Child ? BO->getRHS() : BO->getLHS();
        if (Other->isNullPointerConstant(Ctx,
                                         Expr::NPC_ValueDependentIsNotNull))
          continue;
      }
    }
    return false;
  }
  return true;
}

/// The parent of S past parentheses and casts; Child: the node below it.
const Stmt *parentPastCasts(const Stmt *S, const Stmt *&Child, ParentMap &PM) {
  Child = S;
  const Stmt *P = PM.getParent(S);
  while (P && (isa<ParenExpr>(P) || isa<ImplicitCastExpr>(P) ||
               isa<CStyleCastExpr>(P))) {
    Child = P;
    P = PM.getParent(P);
  }
  return P;
}

/// A mention of the array field Via that only frees or clears it, or reads
/// a field of an element in place (`t->lv[i].a`).
bool clearsOrFrees(const MemberExpr *ME, ParentMap &PM) {
  const Stmt *Child;
  const Stmt *P = parentPastCasts(ME, Child, PM);
  if (const auto *AS = dyn_cast_or_null<ArraySubscriptExpr>(P)) {
    if (AS->getBase() != Child)
      return false;
    const Stmt *Elem;
    const auto *Use =
        dyn_cast_or_null<MemberExpr>(parentPastCasts(AS, Elem, PM));
    return Use && Use->getBase() == Elem;
  }
  if (const auto *CE = dyn_cast_or_null<CallExpr>(P))
    return isLibcFree(CE);
  if (const auto *BO = dyn_cast_or_null<BinaryOperator>(P))
    return BO->getOpcode() == BO_Assign && BO->getLHS() == Child;
  return false;
}

/// Some tensor FD frees by name hangs from V (`ts_free(v->x)`).
bool freesUnder(const VarDecl *V, const BodyScan &Scan) {
  for (const Expr *A : Scan.TensorFrees) {
    const Expr *E = A->IgnoreParenCasts();
    while (true) {
      if (const auto *ME = dyn_cast<MemberExpr>(E))
        E = ME->getBase()->IgnoreParenCasts();
      else if (const auto *AS = dyn_cast<ArraySubscriptExpr>(E))
        E = AS->getBase()->IgnoreParenCasts();
      else
        break;
    }
    if (E != A->IgnoreParenCasts())
      if (const auto *DRE = dyn_cast<DeclRefExpr>(E))
        if (DRE->getDecl() == V)
          return true;
  }
  return false;
}

} // namespace

void checkShellFrees(const FunctionDecl *FD, BodyScope Scope,
                     CallModels &Models, ASTContext &Ctx, Findings &Out) {
  Stmt *Body = FD->getBody();
  if (!Body || Scope != BodyScope::None)
    return;
  BodyScan Scan(Models);
  Scan.TraverseStmt(Body);
  if (Scan.Frees.empty())
    return;
  const FreedFieldMap &Freed = freedFields(Models, Ctx);
  // Owned: freed by name in another function of the file.
  auto Owned = [&](const FieldDecl *F) {
    auto It = Freed.find(F);
    return It != Freed.end() &&
           It->second.size() > (It->second.count(FD) ? 1u : 0u);
  };
  std::unique_ptr<ParentMap> PM;
  for (const CallExpr *CE : Scan.Frees) {
    const Expr *X = CE->getArg(0)->IgnoreParenCasts();
    QualType Pointee = X->getType()->getPointeeType();
    const FieldDecl *Via;
    const VarDecl *Root = rootOf(X, Via);
    if (Pointee.isNull() || !Root || !Root->hasLocalStorage())
      continue;
    llvm::SmallVector<const FieldDecl *, 4> Lost;
    if (const RecordDecl *RD = Pointee->getAsRecordDecl()) {
      if (RD->isUnion() || !RD->getDefinition())
        continue;
      if (Via) {
        if (!PM)
          PM = std::make_unique<ParentMap>(Body);
        if (!llvm::all_of(
                Scan.Mentions.find(Via)->second,
                [&](const MemberExpr *ME) { return clearsOrFrees(ME, *PM); }))
          continue;
      }
      for (const FieldDecl *F : RD->getDefinition()->fields())
        if (isTensorPointer(F->getType()) && Owned(F) &&
            !Scan.Mentions.count(F))
          Lost.push_back(F);
    } else if (Via && isTensorPointer(Pointee) && Owned(Via)) {
      if (!PM)
        PM = std::make_unique<ParentMap>(Body);
      if (llvm::all_of(
              Scan.Mentions.find(Via)->second,
              [&](const MemberExpr *ME) { return clearsOrFrees(ME, *PM); }))
        Lost.push_back(Via);
    }
    if (Lost.empty())
      continue;
    if (!PM)
      PM = std::make_unique<ParentMap>(Body);
    if (!onlyHarmlessUses(Root, Scan, *PM, Ctx))
      continue;
    if (!Via && isa<ParmVarDecl>(Root) && !freesUnder(Root, Scan))
      continue;
    std::string Base = Lexer::getSourceText(
                           CharSourceRange::getTokenRange(X->getSourceRange()),
                           Ctx.getSourceManager(), Ctx.getLangOpts())
                           .str();
    // One report per free() (the first field lost names it).
    const FieldDecl *F = Lost.front();
    std::string Name =
        F == Via ? Base + "[]" : Base + "->" + F->getName().str();
    warn(Out, Message::LeakShellFreed, CE->getBeginLoc(), {Name});
  }
}

} // namespace tsmem
