//===- FailureCleanup.cpp - Leaks on a failing init's cleanup path --------===//
//
// `int init(struct m *m)` that fills fields of *m with tensors it makes and,
// on a failing return (a nonzero integer constant), frees some of them but
// leaves the field pointing at the freed tensor: the caller cannot tear
// *m down on failure (that would free it again), so whatever else the
// function made into *m and left there is lost. Reported on that return;
// and such a function's fills are not its callers' (they would look leaked
// on the caller's failure path): summarizeFields leaves them out.
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"

namespace tsmem {
namespace ownership {

void FunctionAnalyzer::failureCleanup(const BlockInfo &BI) {
  if (!BI.Ret || !Locs.anyIndirect() || !FD->getReturnType()->isIntegerType())
    return;
  const Expr *V = BI.Ret->getRetValue();
  Expr::EvalResult R;
  if (!V || V->isValueDependent() || !V->EvaluateAsInt(R, Ctx) ||
      R.Val.getInt() == 0)
    return;
  // Objects made here (not a parameter's, not from outside, not a marker).
  auto MadeHere = [](ObjId Id) {
    return !isParam(Id) && !isForeign(Id) && Id < (1u << 27);
  };
  bool Dangling = false;
  llvm::SmallVector<ObjId, 4> Left;
  S.Pts.forEach([&](LocKey L, const ObjSet &Os) {
    if (!L->Indirect || L->isVar() || !isa<ParmVarDecl>(L->Base) ||
        !isExact(L) || Os.size() != 1 || !MadeHere(*Os.begin()))
      return;
    const Obj *O = S.Objs.find(*Os.begin());
    if (!O)
      return;
    if (O->Bits == Freed)
      Dangling = true;
    else if (O->Bits == Owned)
      Left.push_back(*Os.begin());
  });
  if (!Dangling || Left.empty())
    return;
  FailureCleanupSeen = true;
  for (ObjId Id : Left)
    if (const Obj *O = S.Objs.find(Id))
      reportLeak(Id, *O, BI.Ret->getBeginLoc(), LeakCause::Return, nullptr);
}

} // namespace ownership
} // namespace tsmem
