//===- SameIndex.cpp - Reading back the element just stored ---------------===//
//
// A store through some element (`m->par[i] = t`) is weak (Fields.cpp): the
// other elements keep theirs. Read back through the same index variable in
// the same block (`ts_requires_grad(m->par[i], true)`), before anything
// else changed the place, it is the element just stored: what the others
// hold (a tensor the loop freed through `m->par[i]` first, say) is not
// there. The index must be a variable written nowhere but in its
// declaration and a `for` loop's init and step (those are other blocks).
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"

#include "clang/AST/RecursiveASTVisitor.h"

namespace tsmem {
namespace ownership {

namespace {
/// Variables written anywhere but a `for` loop's init and step.
class IndexWrites : public RecursiveASTVisitor<IndexWrites> {
public:
  explicit IndexWrites(llvm::DenseSet<const VarDecl *> &Out) : Out(Out) {}

  bool VisitForStmt(ForStmt *FS) {
    if (const auto *E = dyn_cast_or_null<Expr>(FS->getInit()))
      Loop.insert(E->IgnoreParens());
    if (const Expr *E = FS->getInc())
      Loop.insert(E->IgnoreParens());
    return true;
  }
  bool VisitUnaryOperator(UnaryOperator *UO) {
    if (UO->isIncrementDecrementOp() || UO->getOpcode() == UO_AddrOf)
      mark(UO, UO->getSubExpr());
    return true;
  }
  bool VisitBinaryOperator(BinaryOperator *BO) {
    if (BO->isAssignmentOp())
      mark(BO, BO->getLHS());
    return true;
  }

private:
  void mark(const Expr *Whole, const Expr *Target) {
    if (Loop.count(Whole))
      return;
    if (const auto *DRE = dyn_cast<DeclRefExpr>(Target->IgnoreParenImpCasts()))
      if (const auto *VD = dyn_cast<VarDecl>(DRE->getDecl()))
        Out.insert(VD);
  }
  llvm::DenseSet<const VarDecl *> &Out;
  llvm::DenseSet<const Expr *> Loop;
};
} // namespace

/// The index variable of `base[i]` when it is a local written only by
/// its loop; else null.
const VarDecl *FunctionAnalyzer::stableIndex(const Expr *E) {
  const auto *AS = dyn_cast<ArraySubscriptExpr>(ignoreParenCasts(E));
  if (!AS)
    return nullptr;
  const auto *DRE = dyn_cast<DeclRefExpr>(AS->getIdx()->IgnoreParenImpCasts());
  const auto *VD = DRE ? dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
  if (!VD || !VD->hasLocalStorage() || !VD->getType()->isIntegerType() ||
      VD->getType().isVolatileQualified())
    return nullptr;
  if (!IndexWritesScanned) {
    IndexWritesScanned = true;
    IndexWrites(WrittenIndices).TraverseStmt(FD->getBody());
  }
  return WrittenIndices.count(VD) ? nullptr : VD;
}

void FunctionAnalyzer::noteIndexStore(const Expr *Dst, LocKey L,
                                      const ObjSet &Stored) {
  IndexStores.erase(L);
  if (L->Step != Loc::AnyIndex)
    return;
  const VarDecl *I = stableIndex(Dst);
  const ObjSet *After = S.Pts.find(L);
  if (I && After)
    IndexStores[L] = {I, Stored, *After};
}

bool FunctionAnalyzer::sameIndexRead(const Expr *E, LocKey L, ObjSet &Out) {
  auto It = IndexStores.find(L);
  if (It == IndexStores.end())
    return false;
  const ObjSet *Now = S.Pts.find(L);
  if (!Now || !(*Now == It->second.After) || stableIndex(E) != It->second.Index)
    return false;
  // The element stored, or one an alias (a constant index) holds.
  Out = It->second.Stored;
  forEachAlias(L, [&](LocKey Q) {
    if (Q != L)
      if (const ObjSet *P = S.Pts.find(Q))
        Out.insert(*P);
  });
  return true;
}

} // namespace ownership
} // namespace tsmem
