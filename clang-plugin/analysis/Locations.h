//===- Locations.h - The places of one function that hold tensors -*- C++
//-*-===//
//
// The analysis maps places to the tensors they may hold (State::Pts). A
// place is a local variable or parameter, or a field or element under it
// (Loc, AnalysisState.h). LocTable makes each place once per function, so
// that a place is its pointer: cheap to keep in the persistent maps, and
// the places under a variable are found by walking Loc::Children.
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_CLANG_PLUGIN_LOCATIONS_H
#define TSMEM_CLANG_PLUGIN_LOCATIONS_H

#include "AnalysisState.h"

#include "llvm/ADT/DenseMap.h"

#include "llvm/Support/Allocator.h"

#include <tuple>

namespace tsmem {
namespace ownership {

class LocTable {
public:
  /// The variable VD itself.
  LocKey var(const VarDecl *VD) {
    auto [It, New] = Vars.insert({VD, nullptr});
    if (New) {
      Loc &L = *new (Pool.Allocate()) Loc();
      L.Base = VD;
      It->second = &L;
    }
    return It->second;
  }
  /// The variable's place if it was made, else null.
  LocKey findVar(const VarDecl *VD) const { return Vars.lookup(VD); }
  /// Parent's field F; Arrow: through the pointer Parent holds.
  LocKey field(LocKey Parent, const clang::FieldDecl *F, bool Arrow) {
    return child(Parent, Arrow ? Loc::AnyIndex + 1 : Loc::Field,
                 reinterpret_cast<uintptr_t>(F), [&](Loc &L) {
                   L.Step = Loc::Field;
                   L.Member = F;
                   L.Arrow = Arrow;
                   L.Indirect = Parent->Indirect || Arrow;
                 });
  }
  /// Parent's element I; Indirect: Parent is a pointer, not an array.
  LocKey index(LocKey Parent, uint64_t I, bool Indirect) {
    return child(Parent, Indirect ? Loc::AnyIndex + 2 : Loc::Elem, I,
                 [&](Loc &L) {
                   L.Step = Loc::Elem;
                   L.Index = I;
                   L.Arrow = Indirect;
                   L.Indirect = Parent->Indirect || Indirect;
                 });
  }
  /// Some element of Parent (a non-constant index).
  LocKey anyIndex(LocKey Parent, bool Indirect) {
    return child(Parent, Indirect ? Loc::AnyIndex + 3 : Loc::AnyIndex, 0,
                 [&](Loc &L) {
                   L.Step = Loc::AnyIndex;
                   L.Arrow = Indirect;
                   L.Indirect = Parent->Indirect || Indirect;
                 });
  }
  /// Some place behind a pointer was made.
  bool anyIndirect() const { return AnyIndirect; }
  /// Calls Fn on L and every place below it, L first.
  template <typename F> static void forEachUnder(LocKey L, F &&Fn) {
    Fn(L);
    for (LocKey C : L->Children)
      forEachUnder(C, Fn);
  }

private:
  template <typename Init>
  LocKey child(LocKey Parent, unsigned Kind, uintptr_t Key, Init &&Fill) {
    auto [It, New] = Kids.insert({std::make_tuple(Parent, Kind, Key), nullptr});
    if (New) {
      Loc &L = *new (Pool.Allocate()) Loc();
      L.Base = Parent->Base;
      L.Parent = Parent;
      Fill(L);
      AnyIndirect |= L.Indirect;
      const_cast<Loc *>(Parent)->Children.push_back(&L);
      It->second = &L;
    }
    return It->second;
  }

  llvm::SpecificBumpPtrAllocator<Loc> Pool;
  bool AnyIndirect = false;
  llvm::DenseMap<const VarDecl *, LocKey> Vars;
  llvm::DenseMap<std::tuple<LocKey, unsigned, uintptr_t>, LocKey> Kids;
};

} // namespace ownership
} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_LOCATIONS_H
