//===- FieldOverwrite.cpp - A caller's live tensor overwritten in a field -===//
//
// `c->rm = ts_lerp_Scalar(c->rm, m, 0.1);`, `h = ts_size(m->w, 0); m->w =
// ts_randn(...);`: a helper reads the tensor a field of *param holds (so
// it is a live tensor, not an uninitialised field) and then stores a new
// tensor over it without freeing it. Nothing in the function holds the old
// one any more: it leaks (issue 15, FN 18). Only for a field whose tensor
// came from outside and was read by a call that only borrows it, replaced
// by a tensor made here, in a function that runs outside any scope of its
// own.
//
//===----------------------------------------------------------------------===//
#include "Checks.h"
#include "FunctionAnalyzer.h"

namespace tsmem {
namespace ownership {

void FunctionAnalyzer::noteBorrowUse(const ObjSet &Os) {
  for (ObjId Id : Os)
    if (isForeign(Id))
      UsedForeign.insert(Id);
}

void FunctionAnalyzer::overwriteField(LocKey L, const ObjSet &New,
                                      const Expr *At) {
  if (UsedForeign.empty() || Scope != BodyScope::None || !L->Indirect ||
      L->isVar() || !isa<ParmVarDecl>(L->Base) || !isExact(L))
    return;
  const ObjSet *Old = S.Pts.find(L);
  if (!Old || Old->size() != 1)
    return;
  ObjId Id = *Old->begin();
  if (!isForeign(Id) || !UsedForeign.count(Id) || New.count(Id))
    return;
  const Obj *O = S.Objs.find(Id);
  if (!O || O->Bits != Borrowed || O->HeldBy.size() != 1)
    return;
  // Replaced by a tensor made here (not a swap with another of the
  // caller's, not NULL).
  if (New.empty() || llvm::any_of(New, [&](ObjId N) {
        const Obj *NO = S.Objs.find(N);
        return isParam(N) || isForeign(N) || !NO || NO->Bits != Owned;
      }))
    return;
  WouldReport = true;
  if (!Reporting)
    return;
  if (warn(Report, Message::LeakFieldOverwritten, At->getBeginLoc(),
           {L->name()}))
    notePath();
}

} // namespace ownership
} // namespace tsmem
