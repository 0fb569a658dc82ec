//===- RepointedBases.cpp - Local struct pointers given another value ----===//
//
// `for (p = head; p; p = p->next) { ts_free(p->t); use(p->t); }`: a local
// pointer to a struct that the function points elsewhere (a list walk, a
// cursor) had none of its fields followed. They are now, between
// assignments: each `p = ...` starts p's places afresh. A tensor this
// function stored under the old struct stays there (handed on); a tensor
// read from the old struct's field and freed or not is that struct's: the
// field's object from outside is forgotten, so the next read of p->t is a
// new one, unless another place still holds it (an alias taken from the
// old struct), when p->t is not followed until it is written
// (OpaquePlaces). Parameters are left out: the summaries name their fields.
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"

namespace tsmem {
namespace ownership {

void FunctionAnalyzer::repointBase(const VarDecl *VD) {
  LocKey V = Locs.findVar(VD);
  if (!V || !isBase(VD))
    return;
  llvm::SmallVector<LocKey, 8> Places;
  LocTable::forEachUnder(V, [&](LocKey Q) {
    if (Q != V)
      Places.push_back(Q);
  });
  for (LocKey Q : Places) {
    const ObjSet *Os = S.Pts.find(Q);
    if (!Os)
      continue;
    for (ObjId Id : *Os)
      if (Obj *O = S.Objs.findMut(Id))
        if (O->Bits & Owned) {
          O->Bits = (O->Bits & ~Owned) | HandedOn;
          S.noteMayReport(Id);
        }
    S.erasePts(Q);
    S.Dirty = true;
  }
  for (LocKey Q : Places) {
    auto It = ForeignIds.find(Q);
    if (It == ForeignIds.end())
      continue;
    const Obj *O = S.Objs.find(It->second);
    if (!O)
      continue;
    if (O->HeldBy.empty()) {
      S.Objs.erase(It->second);
    } else {
      S.setPts(Q, {});
      OpaquePlaces.insert(Q);
    }
    S.Dirty = true;
  }
}

} // namespace ownership
} // namespace tsmem
