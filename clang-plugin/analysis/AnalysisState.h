//===- AnalysisState.h - The ownership lattice ------------------*- C++ -*-===//
//
// What the dataflow knows at a program point: each tensor-making call site
// is an abstract object (two per site: the newest and the older ones, so
// loops converge); the state maps variables to the objects they may hold,
// objects to the set of owner states they may be in, and keeps the stack of
// scope regions open on the path. The maps are persistent (PersistentMap.h):
// a block's state shares the nodes of the states it comes from. States join
// at merge points (joinStates).
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_CLANG_PLUGIN_ANALYSISSTATE_H
#define TSMEM_CLANG_PLUGIN_ANALYSISSTATE_H

#include "PersistentMap.h"

#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"
#include "clang/AST/Stmt.h"
#include "clang/Basic/SourceLocation.h"
#include "llvm/ADT/SmallVector.h"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

namespace tsmem {
namespace ownership {

using clang::CallExpr;
using clang::ReturnStmt;
using clang::SourceLocation;
using clang::VarDecl;

/// A small set, kept sorted (the order std::set would give).
template <typename T, unsigned N> class SortedSet {
public:
  SortedSet() = default;
  SortedSet(std::initializer_list<T> Init) {
    for (T Id : Init)
      insert(Id);
  }

  bool empty() const { return Ids.empty(); }
  size_t size() const { return Ids.size(); }
  const T *begin() const { return Ids.begin(); }
  const T *end() const { return Ids.end(); }
  bool count(T Id) const {
    return std::binary_search(Ids.begin(), Ids.end(), Id);
  }
  bool insert(T Id) {
    auto It = std::lower_bound(Ids.begin(), Ids.end(), Id);
    if (It != Ids.end() && *It == Id)
      return false;
    Ids.insert(It, Id);
    return true;
  }
  void insert(const SortedSet &O) {
    for (T Id : O)
      insert(Id);
  }
  bool erase(T Id) {
    auto It = std::lower_bound(Ids.begin(), Ids.end(), Id);
    if (It == Ids.end() || *It != Id)
      return false;
    Ids.erase(It);
    return true;
  }
  void clear() { Ids.clear(); }
  bool operator==(const SortedSet &O) const { return Ids == O.Ids; }

private:
  llvm::SmallVector<T, N> Ids;
};

using ObjId = unsigned;
/// A set of objects.
using ObjSet = SortedSet<ObjId, 2>;

/// A place that may hold a tensor: a local variable or parameter (the
/// base), or a field or element inside it, or inside what it points to
/// (`m.w`, `m->w`, `xs[2]`, `c.k[i]`). Made once per place and function
/// by LocTable, so a place is its pointer.
struct Loc {
  enum StepKind : uint8_t {
    Var,      ///< The base variable itself.
    Field,    ///< Parent's field (`.f`, or `->f` when Arrow).
    Elem,     ///< Parent's element Index.
    AnyIndex, ///< Some element of Parent (a non-constant index).
  };
  const VarDecl *Base = nullptr;
  const Loc *Parent = nullptr; ///< Null for the base variable.
  StepKind Step = Var;
  /// Through a pointer: a field `p->f`, an element `p[i]` of a pointer.
  bool Arrow = false;
  /// Somewhere under the base, a step goes through a pointer the base holds
  /// (`p->f`, `p[0]` with p a pointer): memory the function does not own.
  bool Indirect = false;
  const clang::FieldDecl *Member = nullptr; ///< Field.
  uint64_t Index = 0;                       ///< Index.
  /// The places one step below, in the order they were made.
  llvm::SmallVector<const Loc *, 2> Children;

  bool isVar() const { return Step == Var; }
  /// As written: `m.w`, `m->w`, `xs[2]`, `xs[i]` (shown as `xs[]`).
  std::string name() const;
};
using LocKey = const Loc *;
/// The places that hold an object.
using LocSet = SortedSet<LocKey, 1>;

/// Objects from here on stand for a tensor a variable got from outside the
/// function (a parameter, a field) at the point where it is freed.
constexpr ObjId ForeignBase = 1u << 30;
inline bool isForeign(ObjId Id) { return Id >= ForeignBase; }
/// Objects from here to ForeignBase stand for the tensors the parameters
/// hold on entry (ParamBase + the parameter's index): the caller's.
constexpr ObjId ParamBase = 1u << 29;
inline bool isParam(ObjId Id) { return Id >= ParamBase && Id < ForeignBase; }

/// The owner states an object may be in (a set: states join at merges).
enum OwnerBit : uint8_t {
  Owned = 1,     ///< The function's to free, escape or hand on.
  Scoped = 2,    ///< Owned by the scope region Obj::Region.
  Freed = 4,     ///< ts_free'd.
  Released = 8,  ///< Handed to a pool by ts_pool_release.
  Ended = 16,    ///< Its scope ended and freed it.
  HandedOn = 32, ///< Escaped, kept, returned, stored or passed on: not ours.
  Borrowed = 64, ///< A parameter's tensor, untouched: the caller's.
};

struct Obj {
  uint8_t Bits = 0;
  const void *Region = nullptr;    ///< Owner while Scoped.
  const ReturnStmt *Ret = nullptr; ///< Returned while still Scoped.
  bool RetFixable = false;         ///< ts_escape at the return would do.
  const CallExpr *FreedBy = nullptr;
  SourceLocation EndLoc;    ///< Where its scope ended.
  LocKey LastVar = nullptr; ///< The last place bound to it.
  /// The places whose points-to sets hold it (State::Pts, reversed).
  LocSet HeldBy;
  /// A same-file helper's effect on it that depends on what the helper's
  /// call CondCall returned, until a test of that result settles it
  /// (Summaries.cpp; CondKind: 0 none).
  const CallExpr *CondCall = nullptr;
  uint8_t CondKind = 0;
  /// Where a use of it after its free or scope was reported: the rest of
  /// the path says nothing more, except there again (a loop's next pass).
  const clang::Expr *ReportedAt = nullptr;

  bool operator==(const Obj &O) const {
    return Bits == O.Bits && Region == O.Region && Ret == O.Ret &&
           RetFixable == O.RetFixable && FreedBy == O.FreedBy &&
           EndLoc == O.EndLoc && LastVar == O.LastVar && HeldBy == O.HeldBy &&
           CondCall == O.CondCall && CondKind == O.CondKind &&
           ReportedAt == O.ReportedAt;
  }
  bool operator!=(const Obj &O) const { return !(*this == O); }
};

/// A scope region and an object it may own: State::ScopedIn's keys.
using RegionObj = std::pair<const void *, ObjId>;
/// No value: PMap as a set.
struct Unit {
  bool operator==(Unit) const { return true; }
};

struct State {
  /// User-provided: value-initialisation (std::vector(N)) would zero the
  /// inline storage first.
  State() {}

  bool Reached = false;
  /// Some object may be neither held by a variable nor being returned:
  /// collect() has work. False only when that is sure.
  bool Dirty = false;
  /// Persistent maps (PersistentMap.h): a block's state shares the nodes
  /// of the states it comes from, so copies and joins cost what differs.
  PMap<ObjId, Obj> Objs;
  PMap<LocKey, ObjSet> Pts;
  /// Holds (R, Id) for every object Id that is Scoped in region R (and
  /// maybe pairs that no longer are): the objects a scope's end looks at.
  PMap<RegionObj, Unit> ScopedIn;
  /// Holds every object that is Owned alone or being returned (and maybe
  /// some that no longer are): what exitTail() looks at.
  PMap<ObjId, Unit> MayReport;
  /// Every object no variable holds (and maybe some that are held or
  /// gone), unsorted: what collect() looks at.
  llvm::SmallVector<ObjId, 4> Unheld;
  llvm::SmallVector<const void *, 4> Regions; ///< Open scopes, innermost last.
  /// Count fields (`s.n`, `p->n`) known to be 0 on the path: a teardown
  /// loop bounded by one frees nothing (CountLoops.cpp).
  LocSet Zeroed;

  /// Points L at Os, keeping the objects' HeldBy in step.
  void setPts(LocKey L, ObjSet Os);
  /// Forgets L; whether it had an entry.
  bool erasePts(LocKey L);
  /// Notes that Id may now be Scoped in its Region.
  void noteScoped(ObjId Id) {
    const Obj *O = Objs.find(Id);
    if (O && (O->Bits & Scoped))
      ScopedIn.set({O->Region, Id}, Unit());
  }
  /// Notes that Id may now be reported on the way out; or forgets it when
  /// it cannot.
  void noteMayReport(ObjId Id) {
    const Obj *O = Objs.find(Id);
    if (O && (O->Bits == Owned || O->Ret))
      MayReport.set(Id, Unit());
    else if (MayReport.count(Id))
      MayReport.erase(Id);
  }
  /// The objects that are Scoped in Region, in order.
  llvm::SmallVector<ObjId, 8> scopedIn(const void *Region);
};

/// the function: what they own is not the function's to free.
enum class RegionKind { Guard, Manual, Function, Caller, Opaque };

struct RegionInfo {
  RegionKind Kind;
  SourceLocation Begin;
};

/// Why a tensor became unreachable, for the leak message.
enum class LeakCause { Statement, OutOfScope, Return };

/// Joins Src into Dst (the state at a merge point); whether Dst changed.
bool joinStates(State &Dst, const State &Src);

} // namespace ownership
} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_ANALYSISSTATE_H
