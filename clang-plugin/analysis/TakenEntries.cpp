//===- TakenEntries.cpp - A tensor taken out of the caller's memory -------===//
//
// A pop or take helper moves a tensor out of a container and clears the
// slot it was in:
//
//   static ts_tensor *take(struct ring *r) {
//     struct slot *s = &r->slot[r->next % N];
//     ts_tensor *t = s->t;
//     s->t = NULL;
//     return t;
//   }
//
// The tensor came from memory the caller reaches (a foreign object, made
// when first read: Fields.cpp), and after the clear nothing there names it
// any more: only the function's own variables hold it, and it is returned.
// The caller is the one owner left, as with a tensor the helper made, so
// the return counts as one (Summaries.cpp, returnKindOf): a caller that
// drops the popped tensor leaks it. A slot given another tensor rather
// than NULL, or a tensor left where it was (a getter, EntryFields.cpp), is
// not taken.
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"

namespace tsmem {
namespace ownership {

bool FunctionAnalyzer::takenEntry(ObjId Id) const {
  if (!Sum || !isForeign(Id))
    return false;
  const Obj *O = S.Objs.find(Id);
  if (!O || O->Bits != Borrowed || O->HeldBy.empty())
    return false;
  // Held by the function's variables alone.
  for (LocKey Q : O->HeldBy)
    if (!Q->isVar() || !Q->Base->hasLocalStorage() ||
        Q->Base->getType()->isRecordType())
      return false;
  for (const auto &[L, F] : ForeignIds) {
    if (F != Id)
      continue;
    // Read from memory behind a pointer, and that place cleared since.
    if (L->isVar() || !L->Indirect)
      return false;
    const ObjSet *Held = S.Pts.find(L);
    return Held && Held->empty();
  }
  return false;
}

} // namespace ownership
} // namespace tsmem
