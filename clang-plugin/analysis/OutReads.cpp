//===- OutReads.cpp - An out-parameter read after it was filled -----------===//
//
// A helper that hands a tensor back through `ts_tensor **out` often reads
// it again before returning: `*x = ts_arange(...); if (!*x) return -1;
// ts_tensor *sq = ts_mul(*x, *x); ... if (!*y) { ts_free(*x); return -1; }`.
// Summaries.cpp takes a parameter for an out-parameter only when the
// function never reads `*p` (a read could be of the caller's old tensor),
// so such helpers had no summary and the caller's tensors were never
// followed (heldout8: a pair made through two out-parameters, lost on an
// early return). A read is of the function's own tensor when a store
// `*p = v` at the top level of the body comes before it, with no label
// after the store (no jump can reach the read around it). Reads of that
// kind that only test the tensor for NULL, give it to a tsmem call that
// reads it, or free it, hand it nowhere: the parameter stays an
// out-parameter, and the path says what the caller gets (on the edge where
// `*p` is NULL, or after `ts_free(*p)`, nothing: Summaries.cpp).
//
//===----------------------------------------------------------------------===//
#include "OutReads.h"
#include "OwnershipModel.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Stmt.h"
#include "clang/Basic/SourceManager.h"

namespace tsmem {
namespace ownership {

using namespace clang;

namespace {

const DeclRefExpr *derefRef(const Expr *E) {
  E = E->IgnoreParenCasts();
  const Expr *Base = nullptr;
  if (const auto *UO = dyn_cast<UnaryOperator>(E)) {
    if (UO->getOpcode() == UO_Deref)
      Base = UO->getSubExpr();
  } else if (const auto *AE = dyn_cast<ArraySubscriptExpr>(E)) {
    if (const auto *IL =
            dyn_cast<IntegerLiteral>(AE->getIdx()->IgnoreParenImpCasts()))
      if (IL->getValue() == 0)
        Base = AE->getBase();
  }
  return Base ? dyn_cast<DeclRefExpr>(Base->IgnoreParenImpCasts()) : nullptr;
}

bool names(const Stmt *S, const ParmVarDecl *P) {
  if (!S)
    return false;
  if (const auto *DRE = dyn_cast<DeclRefExpr>(S))
    return DRE->getDecl() == P;
  for (const Stmt *C : S->children())
    if (names(C, P))
      return true;
  return false;
}

bool hasLabel(const Stmt *S) {
  if (!S)
    return false;
  if (isa<LabelStmt>(S))
    return true;
  for (const Stmt *C : S->children())
    if (hasLabel(C))
      return true;
  return false;
}

/// `*P = v` (v not naming P) as a statement.
bool storesTo(const Stmt *S, const ParmVarDecl *P) {
  const auto *E = dyn_cast<Expr>(S);
  if (!E)
    return false;
  const auto *BO = dyn_cast<BinaryOperator>(E->IgnoreParens());
  if (!BO || BO->getOpcode() != BO_Assign)
    return false;
  const DeclRefExpr *DRE = derefRef(BO->getLHS());
  return DRE && DRE->getDecl() == P && !names(BO->getRHS(), P);
}

class Reads {
public:
  Reads(const ParmVarDecl *P, CallModels &Models,
        llvm::SmallPtrSetImpl<const DeclRefExpr *> &Out)
      : P(P), Models(Models), Out(Out) {}

  void walk(const Stmt *S) {
    for (const Stmt *C : S->children()) {
      if (!C)
        continue;
      if (const auto *E = dyn_cast<Expr>(C))
        if (const DeclRefExpr *DRE = derefRef(E))
          if (DRE->getDecl() == P && allowed(S, E))
            Out.insert(DRE);
      walk(C);
    }
  }

private:
  /// Child E of Parent only tests `*p` or lends it to a tsmem call.
  bool allowed(const Stmt *Parent, const Expr *E) {
    if (const auto *IS = dyn_cast<IfStmt>(Parent))
      return IS->getCond() == E;
    if (const auto *WS = dyn_cast<WhileStmt>(Parent))
      return WS->getCond() == E;
    if (const auto *CO = dyn_cast<ConditionalOperator>(Parent))
      return CO->getCond() == E;
    if (const auto *UO = dyn_cast<UnaryOperator>(Parent))
      return UO->getOpcode() == UO_LNot;
    if (const auto *BO = dyn_cast<BinaryOperator>(Parent)) {
      if (BO->isLogicalOp())
        return true;
      if (BO->getOpcode() == BO_EQ || BO->getOpcode() == BO_NE) {
        const Expr *Other = BO->getLHS() == E ? BO->getRHS() : BO->getLHS();
        return Other->isNullPointerConstant(P->getASTContext(),
                                            Expr::NPC_ValueDependentIsNotNull);
      }
      return false;
    }
    if (const auto *CE = dyn_cast<CallExpr>(Parent)) {
      if (CE->getCallee() == E)
        return false;
      CallModel M = Models.get(CE);
      return M.Api && (M.Kind == CallKind::Borrow ||
                       M.Kind == CallKind::Owned || M.Kind == CallKind::Free);
    }
    return false;
  }

  const ParmVarDecl *P;
  CallModels &Models;
  llvm::SmallPtrSetImpl<const DeclRefExpr *> &Out;
};

} // namespace

bool nullUnlessMade(const Expr *E, ASTContext &Ctx) {
  const auto *CO = dyn_cast<ConditionalOperator>(E->IgnoreParenCasts());
  if (!CO)
    return false;
  auto IsNull = [&](const Expr *A) {
    return A->isNullPointerConstant(Ctx, Expr::NPC_ValueDependentIsNotNull);
  };
  auto IsCall = [](const Expr *A) {
    return isa<CallExpr>(A->IgnoreParenCasts());
  };
  return (IsNull(CO->getTrueExpr()) && IsCall(CO->getFalseExpr())) ||
         (IsNull(CO->getFalseExpr()) && IsCall(CO->getTrueExpr()));
}

namespace {
/// Counts the references to VD after Loc that do more than test it for
/// NULL or hand its address on.
class Uses {
public:
  Uses(const VarDecl *VD, SourceLocation After, const SourceManager &SM,
       ASTContext &Ctx)
      : VD(VD), After(After), SM(SM), Ctx(Ctx) {}
  bool any(const Stmt *S, const Stmt *Parent) {
    if (!S)
      return false;
    if (const auto *DRE = dyn_cast<DeclRefExpr>(S))
      if (DRE->getDecl() == VD &&
          SM.isBeforeInTranslationUnit(After, DRE->getBeginLoc()) &&
          !onlyTest(Parent))
        return true;
    for (const Stmt *C : S->children())
      if (any(C, isa<ImplicitCastExpr, ParenExpr>(S) ? Parent : S))
        return true;
    return false;
  }

private:
  bool onlyTest(const Stmt *Parent) {
    if (!Parent)
      return false;
    if (const auto *UO = dyn_cast<UnaryOperator>(Parent))
      return UO->getOpcode() == UO_LNot || UO->getOpcode() == UO_AddrOf;
    if (const auto *BO = dyn_cast<BinaryOperator>(Parent)) {
      if (BO->getOpcode() != BO_EQ && BO->getOpcode() != BO_NE)
        return false;
      auto IsNull = [&](const Expr *E) {
        return E->isNullPointerConstant(Ctx, Expr::NPC_ValueDependentIsNotNull);
      };
      return IsNull(BO->getLHS()) || IsNull(BO->getRHS());
    }
    return isa<IfStmt, WhileStmt, ConditionalOperator>(Parent);
  }
  const VarDecl *VD;
  SourceLocation After;
  const SourceManager &SM;
  ASTContext &Ctx;
};
} // namespace

bool returnReads(const FunctionDecl *FD, const ParmVarDecl *P) {
  llvm::SmallVector<const Stmt *, 16> Work{FD->getBody()};
  while (!Work.empty()) {
    const Stmt *S = Work.pop_back_val();
    if (!S)
      continue;
    if (const auto *RS = dyn_cast<ReturnStmt>(S)) {
      if (names(RS->getRetValue(), P))
        return true;
      continue;
    }
    for (const Stmt *C : S->children())
      Work.push_back(C);
  }
  return false;
}

bool usedAfterCall(const FunctionDecl *Caller, const CallExpr *CE,
                   const VarDecl *VD, ASTContext &Ctx) {
  Uses U(VD, CE->getEndLoc(), Ctx.getSourceManager(), Ctx);
  return U.any(Caller->getBody(), nullptr);
}

const ParmVarDecl *derefParam(const Expr *E) {
  const DeclRefExpr *DRE = E ? derefRef(E) : nullptr;
  return DRE ? dyn_cast<ParmVarDecl>(DRE->getDecl()) : nullptr;
}

void outReadsAfterStore(const FunctionDecl *FD,
                        llvm::ArrayRef<const ParmVarDecl *> Params,
                        CallModels &Models,
                        llvm::SmallPtrSetImpl<const DeclRefExpr *> &Out) {
  const auto *Body = dyn_cast_or_null<CompoundStmt>(FD->getBody());
  if (!Body)
    return;
  llvm::SmallVector<const Stmt *, 16> Top(Body->body_begin(), Body->body_end());
  for (const ParmVarDecl *P : Params) {
    if (!P)
      continue;
    unsigned K = 0;
    while (K < Top.size() && !storesTo(Top[K], P))
      ++K;
    if (K == Top.size())
      continue;
    bool Label = false;
    for (unsigned I = K; I < Top.size() && !Label; ++I)
      Label = hasLabel(Top[I]);
    if (Label)
      continue;
    Reads R(P, Models, Out);
    for (unsigned I = K + 1; I < Top.size(); ++I)
      R.walk(Top[I]);
  }
}

} // namespace ownership
} // namespace tsmem
