//===- ShortFreeLoops.cpp - Free loops that stop short of a count ---------===//
//
//   for (int i = 0; i < tr.n - 1; i++)
//     ts_free(tr.z[i]);
//   free(tr.z);                    /* tr.z[tr.n - 1] leaks */
//
// The count: some function of the file frees the same array field whole,
// `for (j = 0; j < y.n; j++) ts_free(y.z[j])` over the same count field,
// so n counts z's tensors. Here the loop stops k short of it and the same
// block then frees the array. Quiet when the function hands the array or
// any element on (every other element mention must be read by a call
// through a pointer to const, or NULL-tested), writes the count, or the
// loop can jump out.
//
//===----------------------------------------------------------------------===//
#include "ShortFreeLoops.h"
#include "Checks.h"
#include "LibcCalls.h"
#include "LoopShapes.h"
#include "OwnershipModel.h"

#include "clang/AST/ParentMap.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Lex/Lexer.h"

using namespace clang;

namespace tsmem {

namespace {

using FieldPair = std::pair<const FieldDecl *, const FieldDecl *>;

/// `x.f` or `p->f`, x or p a variable: the variable and the field.
bool fieldOfVar(const Expr *E, const VarDecl *&V, const FieldDecl *&F) {
  const auto *ME = dyn_cast<MemberExpr>(E->IgnoreParenImpCasts());
  if (!ME)
    return false;
  F = dyn_cast<FieldDecl>(ME->getMemberDecl());
  const auto *DRE = dyn_cast<DeclRefExpr>(ME->getBase()->IgnoreParenImpCasts());
  V = DRE ? dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
  return F && V;
}

/// A free loop `for (i = 0; i < x.n - k; i++) ... free(x.a[i])`, k >= 0:
/// the variable, the array field, the count field, k, the free.
struct FreeLoop {
  const VarDecl *V = nullptr;
  const FieldDecl *Arr = nullptr, *Count = nullptr;
  int64_t Short = 0;
  const CallExpr *Free = nullptr;
};

bool freeLoop(const ForStmt *FS, CallModels &Models, ASTContext &Ctx,
              FreeLoop &L) {
  const Expr *Start = nullptr;
  const VarDecl *I = loopCounter(FS, Start);
  const BinaryOperator *C = loopTest(FS);
  int64_t A = -1;
  if (!I || !intConstant(Start, Ctx, A) || A != 0 || !C ||
      C->getOpcode() != BO_LT || loopStep(FS, I, Ctx, /*Compound=*/true) != 1 ||
      hasJump(FS->getBody(), I))
    return false;
  const Expr *Lhs = C->getLHS()->IgnoreParenImpCasts();
  const Expr *Rhs = C->getRHS()->IgnoreParenImpCasts();
  L.Short = 0;
  if (const auto *Add = dyn_cast<BinaryOperator>(Lhs);
      Add && Add->getOpcode() == BO_Add) {
    if (!intConstant(Add->getRHS(), Ctx, L.Short))
      return false;
    Lhs = Add->getLHS()->IgnoreParenImpCasts();
  } else if (const auto *Sub = dyn_cast<BinaryOperator>(Rhs);
             Sub && Sub->getOpcode() == BO_Sub) {
    if (!intConstant(Sub->getRHS(), Ctx, L.Short))
      return false;
    Rhs = Sub->getLHS()->IgnoreParenImpCasts();
  }
  const auto *IRef = dyn_cast<DeclRefExpr>(Lhs);
  if (L.Short < 0 || !IRef || IRef->getDecl() != I ||
      !fieldOfVar(Rhs, L.V, L.Count))
    return false;
  // The body: `ts_free(x.a[i]);`, alone or in a block.
  const Stmt *Body = FS->getBody();
  if (const auto *CS = dyn_cast<CompoundStmt>(Body))
    Body = CS->size() == 1 ? CS->body_front() : nullptr;
  const auto *CE = dyn_cast_or_null<CallExpr>(Body);
  if (!CE)
    return false;
  CallModel M = Models.get(CE);
  if (!M.Api || M.Kind != CallKind::Free || M.ConsumedArg >= CE->getNumArgs())
    return false;
  const auto *AS = dyn_cast<ArraySubscriptExpr>(
      CE->getArg(M.ConsumedArg)->IgnoreParenCasts());
  const VarDecl *W = nullptr;
  const auto *Idx =
      AS ? dyn_cast<DeclRefExpr>(AS->getIdx()->IgnoreParenImpCasts()) : nullptr;
  if (!Idx || Idx->getDecl() != I || !fieldOfVar(AS->getBase(), W, L.Arr) ||
      W != L.V || !L.Arr->getType()->isPointerType())
    return false;
  L.Free = CE;
  return true;
}

/// The (array, count) field pairs some loop of the file frees whole.
class WholeLoops : public RecursiveASTVisitor<WholeLoops> {
public:
  WholeLoops(CallModels &Models, ASTContext &Ctx) : Models(Models), Ctx(Ctx) {}
  bool VisitForStmt(ForStmt *FS) {
    FreeLoop L;
    if (freeLoop(FS, Models, Ctx, L) && L.Short == 0)
      Pairs.insert({L.Arr, L.Count});
    return true;
  }
  CallModels &Models;
  ASTContext &Ctx;
  llvm::DenseSet<FieldPair> Pairs;
};

/// Every mention of field Arr in the body is harmless: the loop's free,
/// free() of the array, an element NULL-tested or read by a call through a
/// pointer to const; and field Count is never written.
class Mentions : public RecursiveASTVisitor<Mentions> {
public:
  Mentions(const FreeLoop &L, const CallExpr *ArrayFree, ParentMap &PM)
      : L(L), ArrayFree(ArrayFree), PM(PM) {}
  bool VisitMemberExpr(MemberExpr *ME) {
    if (ME->getMemberDecl() == L.Count)
      Bad |= written(ME);
    if (ME->getMemberDecl() == L.Arr)
      Bad |= !harmless(ME);
    return !Bad;
  }
  /// x itself (not `x.f`) handed on after the loop began: a callee may
  /// take the rest.
  bool VisitDeclRefExpr(DeclRefExpr *DRE) {
    const Stmt *Child;
    if (DRE->getDecl() != L.V || isa_and_nonnull<MemberExpr>(up(DRE, Child)))
      return true;
    Bad |=
        !SM->isBeforeInTranslationUnit(DRE->getBeginLoc(), Loop->getBeginLoc());
    return !Bad;
  }
  bool TraverseUnaryExprOrTypeTraitExpr(UnaryExprOrTypeTraitExpr *) {
    return true; // `sizeof *p` reads nothing.
  }
  const Stmt *Loop = nullptr;
  const SourceManager *SM = nullptr;
  bool Bad = false;

private:
  const Stmt *up(const Stmt *S, const Stmt *&Child) {
    Child = S;
    const Stmt *P = PM.getParent(S);
    while (P && (isa<ParenExpr>(P) || isa<ImplicitCastExpr>(P) ||
                 isa<CStyleCastExpr>(P))) {
      Child = P;
      P = PM.getParent(P);
    }
    return P;
  }
  bool written(const MemberExpr *ME) {
    const Stmt *Child;
    const Stmt *P = up(ME, Child);
    if (const auto *BO = dyn_cast_or_null<BinaryOperator>(P))
      return BO->isAssignmentOp() && BO->getLHS() == Child;
    if (const auto *UO = dyn_cast_or_null<UnaryOperator>(P))
      return UO->isIncrementDecrementOp() || UO->getOpcode() == UO_AddrOf;
    return false;
  }
  bool harmless(const MemberExpr *ME) {
    const Stmt *Child;
    const Stmt *P = up(ME, Child);
    if (const auto *CE = dyn_cast_or_null<CallExpr>(P))
      return CE == ArrayFree;
    const auto *AS = dyn_cast_or_null<ArraySubscriptExpr>(P);
    if (!AS || AS->getBase() != Child)
      return false;
    P = up(AS, Child);
    if (const auto *CE = dyn_cast_or_null<CallExpr>(P)) {
      if (CE == L.Free)
        return true;
      const FunctionDecl *Callee = CE->getDirectCallee();
      for (unsigned I = 0; Callee && I < CE->getNumArgs(); ++I)
        if (CE->getArg(I) == Child)
          return I < Callee->getNumParams() &&
                 Callee->getParamDecl(I)->getType()->isPointerType() &&
                 Callee->getParamDecl(I)
                     ->getType()
                     ->getPointeeType()
                     .isConstQualified() &&
                 isTensorPointer(Callee->getParamDecl(I)->getType());
      return false;
    }
    if (const auto *UO = dyn_cast_or_null<UnaryOperator>(P))
      return UO->getOpcode() == UO_LNot;
    return isa_and_nonnull<IfStmt>(P) || isa_and_nonnull<WhileStmt>(P);
  }
  const FreeLoop &L;
  const CallExpr *ArrayFree;
  ParentMap &PM;
};

class Blocks : public RecursiveASTVisitor<Blocks> {
public:
  bool VisitCompoundStmt(CompoundStmt *CS) {
    All.push_back(CS);
    return true;
  }
  std::vector<const CompoundStmt *> All;
};

} // namespace

void checkShortFreeLoops(const FunctionDecl *FD, BodyScope Scope,
                         CallModels &Models, ASTContext &Ctx, Findings &Out) {
  Stmt *Body = FD->getBody();
  if (!Body || Scope != BodyScope::None)
    return;
  Blocks B;
  B.TraverseStmt(Body);
  std::unique_ptr<ParentMap> PM;
  for (const CompoundStmt *CS : B.All) {
    llvm::SmallVector<const Stmt *, 8> Stmts(CS->body_begin(), CS->body_end());
    for (unsigned I = 0; I < Stmts.size(); ++I) {
      const auto *FS = dyn_cast<ForStmt>(Stmts[I]);
      FreeLoop L;
      if (!FS || !freeLoop(FS, Models, Ctx, L) || L.Short <= 0)
        continue;
      // Then, in the same block, free(x.a).
      const CallExpr *ArrayFree = nullptr;
      for (unsigned J = I + 1; J < Stmts.size() && !ArrayFree; ++J)
        if (const auto *CE = dyn_cast<CallExpr>(Stmts[J])) {
          const VarDecl *V = nullptr;
          const FieldDecl *F = nullptr;
          if (isLibcFree(CE) &&
              fieldOfVar(CE->getArg(0)->IgnoreParenCasts(), V, F) && V == L.V &&
              F == L.Arr)
            ArrayFree = CE;
        }
      if (!ArrayFree)
        continue;
      if (!Models.CountedArrays) {
        WholeLoops W(Models, Ctx);
        W.TraverseDecl(Ctx.getTranslationUnitDecl());
        Models.CountedArrays = std::move(W.Pairs);
      }
      if (!Models.CountedArrays->count({L.Arr, L.Count}))
        continue;
      if (!PM)
        PM = std::make_unique<ParentMap>(Body);
      Mentions M(L, ArrayFree, *PM);
      M.Loop = FS;
      M.SM = &Ctx.getSourceManager();
      M.TraverseStmt(Body);
      if (M.Bad)
        continue;
      std::string Arr =
          Lexer::getSourceText(CharSourceRange::getTokenRange(
                                   ArrayFree->getArg(0)->getSourceRange()),
                               Ctx.getSourceManager(), Ctx.getLangOpts())
              .str();
      const auto *Test = loopTest(FS);
      const Expr *CountE = Test->getRHS()->IgnoreParenImpCasts();
      if (const auto *Sub = dyn_cast<BinaryOperator>(CountE);
          Sub && Sub->getOpcode() == BO_Sub)
        CountE = Sub->getLHS();
      std::string Count =
          Lexer::getSourceText(
              CharSourceRange::getTokenRange(CountE->getSourceRange()),
              Ctx.getSourceManager(), Ctx.getLangOpts())
              .str();
      warn(Out, Message::LeakShortFreeLoop, ArrayFree->getBeginLoc(),
           {Arr + "[]", std::to_string(L.Short), Count});
    }
  }
}

} // namespace tsmem
