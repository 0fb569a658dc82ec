//===- AnalysisState.cpp - The ownership lattice --------------------------===//
//
// Updates of a state that keep its indexes in step, and the join.
//
//===----------------------------------------------------------------------===//
#include "AnalysisState.h"

namespace tsmem {
namespace ownership {

std::string Loc::name() const {
  switch (Step) {
  case Var:
    return Base->getName().str();
  case Field:
    return Parent->name() + (Arrow ? "->" : ".") + Member->getName().str();
  case Elem:
    return Parent->name() + "[" + std::to_string(Index) + "]";
  case AnyIndex:
    return Parent->name() + "[]";
  }
  return std::string();
}

void State::setPts(LocKey VD, ObjSet Os) {
  if (const ObjSet *Old = Pts.find(VD)) {
    for (ObjId Id : *Old)
      if (!Os.count(Id))
        if (Obj *O = Objs.findMut(Id)) {
          O->HeldBy.erase(VD);
          if (O->HeldBy.empty())
            Unheld.push_back(Id);
        }
    for (ObjId Id : Os)
      if (!Old->count(Id))
        if (Obj *O = Objs.findMut(Id))
          O->HeldBy.insert(VD);
  } else {
    for (ObjId Id : Os)
      if (Obj *O = Objs.findMut(Id))
        O->HeldBy.insert(VD);
  }
  Pts.set(VD, Os);
}

bool State::erasePts(LocKey VD) {
  const ObjSet *Old = Pts.find(VD);
  if (!Old)
    return false;
  for (ObjId Id : *Old)
    if (Obj *O = Objs.findMut(Id)) {
      O->HeldBy.erase(VD);
      if (O->HeldBy.empty())
        Unheld.push_back(Id);
    }
  Pts.erase(VD);
  return true;
}

llvm::SmallVector<ObjId, 8> State::scopedIn(const void *Region) {
  llvm::SmallVector<ObjId, 8> Ids, Stale;
  ScopedIn.forEachFrom({Region, 0}, [&](const RegionObj &K, Unit) {
    if (K.first != Region)
      return false;
    const Obj *O = Objs.find(K.second);
    if (O && (O->Bits & Scoped) && O->Region == Region)
      Ids.push_back(K.second);
    else
      Stale.push_back(K.second);
    return true;
  });
  for (ObjId Id : Stale)
    ScopedIn.erase({Region, Id});
  return Ids;
}

/// Guard: TS_SCOPE_GUARD()/TS_SCOPE; Manual: ts_scope_begin bound to a local
/// variable; Function: TS_SCOPED or a ts_run callback; Caller:
/// TS_CALLER_SCOPE; Opaque: a scope the analysis cannot see end (an async
/// scope, or a ts_scope_begin whose id goes elsewhere). The last two outlive

bool joinStates(State &Dst, const State &Src) {
  if (!Src.Reached)
    return false;
  if (!Dst.Reached) {
    Dst = Src;
    return true;
  }
  // Only a hint, which Changed need not report: states of the same content
  // are just as clean.
  Dst.Dirty |= Src.Dirty;
  // Objects from outside the function, on each side.
  auto ForeignOf = [](const State &St) {
    llvm::SmallVector<ObjId, 4> Ids;
    St.Objs.forEachFrom(ForeignBase, [&](ObjId Id, const Obj &) {
      Ids.push_back(Id);
      return true;
    });
    return Ids;
  };
  llvm::SmallVector<ObjId, 4> DstForeign = ForeignOf(Dst);
  llvm::SmallVector<ObjId, 4> SrcForeign = ForeignOf(Src);
  bool Changed = Dst.Objs.unionWith(Src.Objs, [](Obj &D, const Obj &O) {
    Obj Before = D;
    D.Bits |= O.Bits;
    if ((O.Bits & Scoped) && D.Region != O.Region)
      D.Bits = (D.Bits & ~Scoped) | HandedOn; // Owners disagree: let it go.
    if (!D.Ret) {
      D.Ret = O.Ret;
      D.RetFixable = O.RetFixable;
    }
    if (!D.FreedBy)
      D.FreedBy = O.FreedBy;
    if (D.EndLoc.isInvalid())
      D.EndLoc = O.EndLoc;
    if (!D.LastVar)
      D.LastVar = O.LastVar;
    if (!D.ReportedAt)
      D.ReportedAt = O.ReportedAt;
    if (D.CondCall != O.CondCall || D.CondKind != O.CondKind) {
      D.CondCall = nullptr; // Settled on one side: the effect may be done.
      D.CondKind = 0;
    }
    D.HeldBy.insert(O.HeldBy);
    return D != Before;
  });
  // A foreign object missing on one side is a tensor that was not freed
  // there: it may be live.
  for (ObjId Id : SrcForeign)
    if (!llvm::is_contained(DstForeign, Id))
      Dst.Objs.findMut(Id)->Bits |= HandedOn;
  for (ObjId Id : DstForeign)
    if (!llvm::is_contained(SrcForeign, Id)) {
      Obj *O = Dst.Objs.findMut(Id);
      if (!(O->Bits & HandedOn)) {
        O->Bits |= HandedOn;
        Changed = true;
      }
    }
  Changed |= Dst.Pts.unionWith(Src.Pts, [](ObjSet &D, const ObjSet &Os) {
    size_t Size = D.size();
    D.insert(Os);
    return D.size() != Size;
  });
  Dst.ScopedIn.unionWith(Src.ScopedIn, [](Unit &, Unit) { return false; });
  Dst.MayReport.unionWith(Src.MayReport, [](Unit &, Unit) { return false; });
  if (!Src.Unheld.empty()) {
    Dst.Unheld.append(Src.Unheld.begin(), Src.Unheld.end());
    llvm::sort(Dst.Unheld);
    Dst.Unheld.erase(std::unique(Dst.Unheld.begin(), Dst.Unheld.end()),
                     Dst.Unheld.end());
  }
  // A count is known to be 0 after the join only if it is on both sides.
  if (!Dst.Zeroed.empty()) {
    LocSet Both;
    for (LocKey L : Dst.Zeroed)
      if (Src.Zeroed.count(L))
        Both.insert(L);
    if (!(Both == Dst.Zeroed)) {
      Dst.Zeroed = std::move(Both);
      Changed = true;
    }
  }
  size_t Common = 0;
  while (Common < Dst.Regions.size() && Common < Src.Regions.size() &&
         Dst.Regions[Common] == Src.Regions[Common])
    ++Common;
  if (Common < Dst.Regions.size()) {
    Dst.Regions.resize(Common);
    Changed = true;
  }
  return Changed;
}

} // namespace ownership
} // namespace tsmem
