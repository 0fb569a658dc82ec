//===- ReturnedOuts.cpp - A tensor handed back and returned -------------===//
//
// `*out = n; return n;`: the function hands one tensor back twice, through
// the out-parameter and as its value. The caller's variable and the call's
// value are the same tensor, to be freed once through either: the summary
// says which out-parameter the return gives back (RetOutParam), and at the
// call the value is the tensor the out-parameter's variable now holds.
// Without it the out-parameter's tensor looked like a second one, which a
// caller freeing the returned handle alone seemed to leak.
//
// Only when one tensor (one allocation site) is ever stored through the
// out-parameter, something other than NULL was stored on the returning
// path, and every other return is NULL.
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"

namespace tsmem {
namespace ownership {

void FunctionAnalyzer::noteOutStored(unsigned I, const ObjSet &Os) {
  if (OutStored.size() <= I)
    OutStored.resize(I + 1);
  OutStored[I].insert(Os);
}

void FunctionAnalyzer::noteReturnOut(const ObjSet &Os) {
  LastRetOut = -1;
  if (Os.size() != 1)
    return;
  ObjId Id = *Os.begin();
  if (isParam(Id) || isForeign(Id))
    return;
  for (unsigned I = 0; I < OutStored.size(); ++I)
    if (OutStored[I].size() == 1 && *OutStored[I].begin() == Id &&
        outStoredOnPath(I)) {
      LastRetOut = int(I);
      return;
    }
}

void FunctionAnalyzer::summarizeReturnOut() {
  FunctionSummary &F = *Sum;
  int Out = -1;
  for (const auto &[Block, C] : ExitRetClass) {
    if (C == RcZero)
      continue;
    int R = ExitRetOut.lookup(Block);
    if (C == 254 || R < 0 || (Out >= 0 && R != Out))
      return;
    Out = R;
  }
  // A tensor the caller owns through the out-parameter (not one of the
  // function's scope, nor of the caller's).
  uint32_t Made = F.OutMask | F.OutIfNullMask | F.OutIfNonNullMask;
  if (Out >= 0 && (Made >> Out & 1) && !F.OutCallerScoped && !F.ReturnsOwned &&
      !F.ReturnsCallerScoped && F.AliasParam < 0)
    F.RetOutParam = Out;
}

ObjSet FunctionAnalyzer::evalRetOut(const CallExpr *CE, int I) const {
  if (unsigned(I) >= CE->getNumArgs())
    return {};
  const auto *UO = dyn_cast<UnaryOperator>(ignoreParenCasts(CE->getArg(I)));
  const VarDecl *VD =
      UO && UO->getOpcode() == UO_AddrOf ? varOf(UO->getSubExpr()) : nullptr;
  if (!isTracked(VD))
    return {};
  LocKey L = Locs.findVar(VD);
  const ObjSet *Os = L ? S.Pts.find(L) : nullptr;
  return Os ? *Os : ObjSet();
}

} // namespace ownership
} // namespace tsmem
