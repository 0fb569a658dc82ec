//===- CleanupVars.cpp - Tensor variables with a freeing cleanup function -===//
//
// The GNU cleanup attribute (systemd's `_cleanup_` idiom):
//
//   static void drop(ts_tensor **p) { if (*p) ts_free(*p); }
//   __attribute__((cleanup(drop))) ts_tensor *t = ts_abs(x);
//
// When the cleanup function is a same-file function whose summary frees
// `*p` (DerefParams.cpp: FreeDerefMask), the variable is followed like any
// other, and the cleanup call at the end of its scope takes what it holds
// then: nothing leaks there, but a tensor the variable held before it was
// assigned another one leaks (`t = ts_neg(t);`; issue 15, FN 43). With
// any other cleanup function the variable stays that function's business:
// not followed.
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"

namespace tsmem {
namespace ownership {

bool FunctionAnalyzer::cleanupFrees(const VarDecl *VD) const {
  const auto *A = VD ? VD->getAttr<CleanupAttr>() : nullptr;
  const FunctionDecl *Fn = A ? A->getFunctionDecl() : nullptr;
  if (!Fn || Fn->getNumParams() != 1 || !isTensorPointer(VD->getType()))
    return false;
  CallModel M = Models.get(Fn);
  return M.Inferred && (M.FreeDerefMask & 1);
}

void FunctionAnalyzer::cleanupVar(const VarDecl *VD) {
  LocKey L = trackedLoc(VD);
  if (!L)
    return;
  // The cleanup function frees what the variable holds now: not the
  // function's to free any more.
  if (const ObjSet *Os = S.Pts.find(L)) {
    ObjSet Held = *Os;
    handOn(Held);
  }
}

} // namespace ownership
} // namespace tsmem
