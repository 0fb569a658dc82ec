//===- OutReplace.cpp - Helpers that free *p and store a new tensor there -===//
//
// The syntactic half of the "replaces *p" summary (OutReplace.h); the
// dataflow half, which checks that the stored tensor is one the helper
// made, is in Summaries.cpp (ReplaceParams).
//
//===----------------------------------------------------------------------===//
#include "OutReplace.h"

#include "LoopShapes.h"
#include "OwnershipModel.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <algorithm>

using namespace clang;

namespace tsmem {

namespace {

const ParmVarDecl *paramOf(const Expr *E) {
  const auto *DRE = dyn_cast<DeclRefExpr>(E->IgnoreParenImpCasts());
  return DRE ? dyn_cast<ParmVarDecl>(DRE->getDecl()) : nullptr;
}

/// `*p` (or `p[0]`) for a parameter p: p, else null.
const ParmVarDecl *derefOf(const Expr *E) {
  E = E->IgnoreParenImpCasts();
  if (const auto *UO = dyn_cast<UnaryOperator>(E))
    return UO->getOpcode() == UO_Deref ? paramOf(UO->getSubExpr()) : nullptr;
  if (const auto *AS = dyn_cast<ArraySubscriptExpr>(E))
    if (const auto *IL =
            dyn_cast<IntegerLiteral>(AS->getIdx()->IgnoreParenImpCasts()))
      return IL->getValue() == 0 ? paramOf(AS->getBase()) : nullptr;
  return nullptr;
}

bool isNull(const Expr *E, ASTContext &Ctx) {
  return E->IgnoreParenCasts()->isNullPointerConstant(
      Ctx, Expr::NPC_ValueDependentIsNotNull);
}

class Uses : public RecursiveASTVisitor<Uses> {
public:
  Uses(llvm::SmallVectorImpl<const ParmVarDecl *> &Params, CallModels &Models,
       ASTContext &Ctx)
      : Params(Params), Models(Models), Ctx(Ctx) {}

  /// Per candidate: the one free and the one store (more: not a
  /// candidate).
  llvm::DenseMap<const ParmVarDecl *, const CallExpr *> Free;
  llvm::DenseMap<const ParmVarDecl *, const BinaryOperator *> Store;
  llvm::SmallVector<const CompoundStmt *, 8> Blocks;

  // Parents first: Fine holds the harmless uses before they are visited.
  bool shouldTraversePostOrder() const { return false; }
  bool TraverseUnaryExprOrTypeTraitExpr(UnaryExprOrTypeTraitExpr *) {
    return true;
  }

  bool VisitCompoundStmt(CompoundStmt *CS) {
    Blocks.push_back(CS);
    return true;
  }
  bool VisitCallExpr(CallExpr *CE) {
    CallModel M = Models.get(CE);
    for (unsigned I = 0, N = CE->getNumArgs(); I < N; ++I) {
      const Expr *A = CE->getArg(I);
      const ParmVarDecl *P = derefOf(A);
      if (!P)
        continue;
      if (M.Kind == CallKind::Free && I == M.ConsumedArg) {
        if (!Free.insert({P, CE}).second)
          drop(P);
        fine(A);
        continue;
      }
      bool Borrows = M.Kind == CallKind::Borrow ||
                     (M.Kind == CallKind::Owned && M.Api) ||
                     (M.Inferred && I < 32 && (M.BorrowMask >> I & 1));
      if (!Borrows && M.Kind == CallKind::Owned && I < CE->getNumArgs()) {
        const FunctionDecl *Callee = CE->getDirectCallee();
        if (Callee && I < Callee->getNumParams()) {
          QualType T = Callee->getParamDecl(I)->getType();
          Borrows =
              T->isPointerType() && T->getPointeeType().isConstQualified();
        }
      }
      if (Borrows)
        fine(A);
    }
    return true;
  }
  bool VisitBinaryOperator(BinaryOperator *BO) {
    if (BO->getOpcode() == BO_Assign) {
      if (const ParmVarDecl *P = derefOf(BO->getLHS())) {
        if (!Store.insert({P, BO}).second)
          drop(P);
        fine(BO->getLHS());
      }
      return true;
    }
    if (BO->getOpcode() == BO_EQ || BO->getOpcode() == BO_NE) {
      if (isNull(BO->getRHS(), Ctx))
        fine(BO->getLHS());
      else if (isNull(BO->getLHS(), Ctx))
        fine(BO->getRHS());
    }
    return true;
  }
  bool VisitUnaryOperator(UnaryOperator *UO) {
    if (UO->getOpcode() == UO_LNot)
      fine(UO->getSubExpr());
    // `*p`: its p is fine when the `*p` is.
    if (UO->getOpcode() == UO_Deref && paramOf(UO->getSubExpr())) {
      if (!FineDeref.count(UO))
        drop(paramOf(UO->getSubExpr()));
      FineRef.insert(UO->getSubExpr()->IgnoreParenImpCasts());
    }
    return true;
  }
  bool VisitArraySubscriptExpr(ArraySubscriptExpr *AS) {
    if (const ParmVarDecl *P = derefOf(AS)) {
      if (!FineDeref.count(AS))
        drop(P);
      FineRef.insert(AS->getBase()->IgnoreParenImpCasts());
    }
    return true;
  }
  bool VisitIfStmt(IfStmt *S) { return cond(S->getCond()); }
  bool VisitWhileStmt(WhileStmt *S) { return cond(S->getCond()); }
  bool VisitConditionalOperator(ConditionalOperator *CO) {
    return cond(CO->getCond());
  }
  bool VisitDeclRefExpr(DeclRefExpr *DRE) {
    if (const auto *P = dyn_cast<ParmVarDecl>(DRE->getDecl()))
      if (!FineRef.count(DRE))
        drop(P);
    return true;
  }

  void drop(const ParmVarDecl *P) {
    for (const ParmVarDecl *&C : Params)
      if (C == P)
        C = nullptr;
  }

private:
  llvm::SmallVectorImpl<const ParmVarDecl *> &Params;
  CallModels &Models;
  ASTContext &Ctx;
  llvm::SmallPtrSet<const Expr *, 8> FineDeref, FineRef;

  /// E is `*p` used harmlessly, or p itself tested.
  void fine(const Expr *E) {
    E = E->IgnoreParenImpCasts();
    if (derefOf(E))
      FineDeref.insert(E);
    else if (paramOf(E))
      FineRef.insert(E);
  }
  bool cond(const Expr *C) {
    if (C)
      fine(C);
    return true;
  }
};

/// St is `ts_free(*p)` (the call Free), or `if (*p) ts_free(*p);`.
bool isFreeStmt(const Stmt *St, const CallExpr *Free) {
  if (St == Free)
    return true;
  const auto *IS = dyn_cast<IfStmt>(St);
  if (!IS || IS->getElse())
    return false;
  const Stmt *Then = IS->getThen();
  if (const auto *CS = dyn_cast<CompoundStmt>(Then))
    Then = CS->size() == 1 ? CS->body_front() : nullptr;
  return Then == Free;
}

} // namespace

uint32_t replaceCandidates(const FunctionDecl *FD, CallModels &Models) {
  llvm::SmallVector<const ParmVarDecl *, 4> Params;
  bool Any = false;
  for (unsigned I = 0, N = std::min(FD->getNumParams(), 32u); I < N; ++I) {
    const ParmVarDecl *P = FD->getParamDecl(I);
    const auto *PT = P->getType().getCanonicalType()->getAs<PointerType>();
    bool Out = PT && !PT->getPointeeType().isConstQualified() &&
               isTensorPointer(PT->getPointeeType());
    Params.push_back(Out ? P : nullptr);
    Any |= Out;
  }
  if (!Any || !FD->getBody())
    return 0;
  Uses U(Params, Models, FD->getASTContext());
  U.TraverseStmt(FD->getBody());
  uint32_t Mask = 0;
  for (unsigned I = 0; I < Params.size(); ++I) {
    const ParmVarDecl *P = Params[I];
    auto F = U.Free.find(P);
    auto S = U.Store.find(P);
    if (!P || F == U.Free.end() || S == U.Store.end())
      continue;
    // The free, then the store, in one block, nothing leaving in between.
    for (const CompoundStmt *CS : U.Blocks) {
      llvm::ArrayRef<Stmt *> Body(CS->body_begin(), CS->body_end());
      auto FIt = llvm::find_if(
          Body, [&](const Stmt *St) { return isFreeStmt(St, F->second); });
      auto SIt = llvm::find(Body, S->second);
      if (FIt == Body.end() || SIt == Body.end() || SIt < FIt)
        continue;
      // Nothing may leave the block between the free and the store.
      bool Found = false;
      for (auto It = FIt + 1; It != SIt && !Found; ++It)
        Found = hasJump(*It, nullptr, /*Cases=*/true); // LoopShapes.cpp
      if (!Found)
        Mask |= 1u << I;
      break;
    }
  }
  return Mask;
}

} // namespace tsmem
