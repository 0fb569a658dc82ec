//===- GuardedFrees.cpp - A field's tensor freed through a nulled local ---===//
//
// `h->m = m; m = NULL; ... out: if (m) ts_free(m);` hands m's tensor to the
// field and frees nothing on that path; the join before the cleanup label
// merges the failure path's m (still the tensor) into it, so at the exit the
// field's tensor looks freed, and the summary would tell callers the field
// is freed (issue 15, heldout3 FP-B: a use after free, a double free).
// noteExitFields asks: was it freed by a call, under a test that the local
// it was freed through is not null, of a local the function also sets to
// NULL? Then the free may be on another path than the field's store, and
// the field is not summarized as freed (silence). A NULL stored in the
// guard's own branch, after the free (`if (m) { ts_free(m); m = NULL; }`),
// does not count: it hides no path.
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"

namespace tsmem {
namespace ownership {

namespace {
struct Scan {
  const VarDecl *V;
  const CallExpr *CE;
  ASTContext &Ctx;
  /// The tests whose then-branch holds CE.
  llvm::SmallVector<const Expr *, 2> Guards;
  /// The tests of the ifs whose then-branch holds the statement visited.
  llvm::SmallVector<const Expr *, 4> Open;
  /// Each `V = NULL`: the tests whose then-branch holds it.
  llvm::SmallVector<llvm::SmallVector<const Expr *, 4>, 2> Nulls;

  static const VarDecl *var(const Expr *E) {
    if (const auto *DR = dyn_cast<DeclRefExpr>(E->IgnoreParenImpCasts()))
      return dyn_cast<VarDecl>(DR->getDecl());
    return nullptr;
  }

  void visit(const Stmt *S) {
    if (!S)
      return;
    if (S == CE)
      Guards.assign(Open.begin(), Open.end());
    if (const auto *BO = dyn_cast<BinaryOperator>(S))
      if (BO->getOpcode() == BO_Assign && var(BO->getLHS()) == V &&
          BO->getRHS()->isNullPointerConstant(
              Ctx, Expr::NPC_ValueDependentIsNotNull))
        Nulls.push_back(Open);
    const auto *If = dyn_cast<IfStmt>(S);
    for (const Stmt *C : S->children()) {
      bool Then = If && If->getCond() && C == If->getThen();
      if (Then)
        Open.push_back(If->getCond());
      visit(C);
      if (Then)
        Open.pop_back();
    }
  }
};
} // namespace

bool FunctionAnalyzer::freedThroughNulledLocal(const CallExpr *CE) {
  if (!CE || !FD->getBody())
    return false;
  for (const Expr *A : CE->arguments()) {
    const VarDecl *V = Scan::var(A);
    if (!V || isa<ParmVarDecl>(V) || !V->hasLocalStorage())
      continue;
    Scan S{V, CE, Ctx};
    S.visit(FD->getBody());
    const Expr *Guard = nullptr;
    for (const Expr *C : S.Guards) {
      bool NullOnTrue = false;
      if (nullTestedVar(C, NullOnTrue) == V && !NullOnTrue)
        Guard = C;
    }
    // `if (m) { ts_free(m); m = NULL; }` clears m after its own free: only
    // a NULL stored elsewhere (after a hand-over) hides a path.
    bool Nulled = llvm::any_of(S.Nulls, [&](const auto &Tests) {
      return !llvm::is_contained(Tests, Guard);
    });
    if (Guard && Nulled)
      return true;
  }
  return false;
}

} // namespace ownership
} // namespace tsmem
