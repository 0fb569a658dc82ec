//===- AddrOutVars.cpp - Tensor variables filled through their address ---===//
//
// `ts_tensor *t = NULL; if (pop(&q, &t) == 0) { ts_free(t); use(t); }`:
// a local whose address only goes straight into calls the analysis has no
// out-parameter summary for (an extern function, a helper that stores a
// borrowed element through it) was not followed at all. It is now, the
// call being an assignment of an unknown tensor from outside: what the
// variable held before is handed to the callee, and afterwards it holds an
// object of the call's own (Borrowed, as a field read first), so a free of
// it followed by a use or a second free is seen, and nothing it holds is a
// leak. Calls into tsmem's API (multi-result operators) are not such calls.
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"

namespace tsmem {
namespace ownership {

namespace {
/// Ids of the calls' objects: above the ones made for places (ForeignIds).
constexpr ObjId CallOutBase = ForeignBase + (1u << 29);
} // namespace

bool FunctionAnalyzer::addressOnlyCalls(const VarDecl *VD) const {
  const BodyFacts &F = Facts.Known ? Facts : Scanned;
  if (F.AddrOther.count(VD))
    return false;
  auto It = F.AddrArgs.find(VD);
  if (It == F.AddrArgs.end() || It->second.empty())
    return false;
  for (const auto &[CE, A] : It->second) {
    const CallModel M = Models.get(CE);
    if (M.Api || M.Kind == CallKind::Free || M.Kind == CallKind::PoolRelease ||
        M.Kind == CallKind::Consume || M.Kind == CallKind::Escape ||
        M.Kind == CallKind::Keep || M.Kind == CallKind::Register)
      return false;
  }
  AddrCallVars.insert(VD);
  return true;
}

void FunctionAnalyzer::addrOutArgs(const CallExpr *CE) {
  if (AddrCallVars.empty())
    return;
  for (const Expr *Arg : CE->arguments()) {
    const auto *UO = dyn_cast<UnaryOperator>(Arg->IgnoreParenCasts());
    if (!UO || UO->getOpcode() != UO_AddrOf)
      continue;
    const auto *DRE = dyn_cast<DeclRefExpr>(UO->getSubExpr()->IgnoreParens());
    const auto *VD = DRE ? dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
    if (!VD || !AddrCallVars.count(VD))
      continue;
    LocKey L = trackedLoc(VD);
    if (!L)
      continue;
    if (const ObjSet *Old = S.Pts.find(L)) {
      ObjSet Given = *Old;
      handOn(Given);
    }
    auto [It, New] =
        CallOutIds.insert({{CE, VD}, CallOutBase + ObjId(CallOutIds.size())});
    ObjId Id = It->second;
    // Another place still holds this call's object from an earlier pass
    // of a loop: the variable's new tensor is not followed on this path.
    bool HeldElsewhere = false;
    if (const Obj *Before = S.Objs.find(Id))
      for (LocKey H : Before->HeldBy)
        HeldElsewhere |= H != L;
    if (HeldElsewhere) {
      S.setPts(L, {});
      S.Dirty = true;
      continue;
    }
    S.setPts(L, {});
    Obj O;
    O.Bits = Borrowed;
    S.Objs.set(Id, O);
    S.setPts(L, {Id});
    S.Dirty = true;
  }
}

} // namespace ownership
} // namespace tsmem
