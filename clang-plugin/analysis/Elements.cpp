//===- Elements.cpp - Arrays of tensors handed to tsmem -------------------===//
//
// tsmem's calls that take several tensors take them as an array and its
// length (`const ts_tensor *const *tensors, int tensors_count`: ts_cat,
// ts_stack, ts_block_diag...). Given a local array and a constant length,
// the call reads the array's first elements: each is a use, so an element
// whose tensor was freed, or whose scope ended, is reported there.
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"

namespace tsmem {
namespace ownership {

void FunctionAnalyzer::useElements(const CallExpr *CE, unsigned I, LocKey P) {
  const FunctionDecl *Callee = CE->getDirectCallee();
  if (!Callee || I + 1 >= CE->getNumArgs() || I + 1 >= Callee->getNumParams())
    return;
  QualType PT = Callee->getParamDecl(I)->getType();
  if (!PT->isPointerType() || !isTensorPointer(PT->getPointeeType()) ||
      !Callee->getParamDecl(I + 1)->getType()->isIntegerType())
    return;
  const Expr *Arg = ignoreParenCasts(CE->getArg(I));
  const auto *AT = Ctx.getAsConstantArrayType(Arg->getType());
  Expr::EvalResult R;
  if (!AT || !CE->getArg(I + 1)->EvaluateAsInt(R, Ctx))
    return;
  const llvm::APSInt &N = R.Val.getInt();
  if (N.isNegative() || N.ugt(AT->getSize().getZExtValue()))
    return;
  for (uint64_t K = 0, E = N.getZExtValue(); K < E; ++K) {
    ObjSet Os;
    forEachAlias(Locs.index(P, K, false), [&](LocKey Q) {
      if (const ObjSet *Held = S.Pts.find(Q))
        Os.insert(*Held);
    });
    if (!Os.empty() && checkUse(Os, CE->getArg(I), nullptr))
      return; // Once per call.
  }
}

} // namespace ownership
} // namespace tsmem
