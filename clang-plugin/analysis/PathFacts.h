//===- PathFacts.h - What a path knows --------------------------*- C++ -*-===//
//
// A block's entry state is a short list of disjuncts (Path), each the join
// of paths that agree on every tensor's owner state, with the facts known
// on those paths (PathFacts): branch conditions tested (a canonical key and
// its value), integer values of local variables, variables that follow a
// condition, and the trail of branches taken, for the notes. The path
// engine (Paths.h) carries them along the CFG and decides branches with
// them (PathFacts.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_CLANG_PLUGIN_PATHFACTS_H
#define TSMEM_CLANG_PLUGIN_PATHFACTS_H

#include "AnalysisState.h"

#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <optional>
#include <utility>

namespace tsmem {
namespace ownership {

using clang::Stmt;

/// A branch taken on a path, for the notes.
struct PathStep {
  const Stmt *Cond = nullptr; ///< The condition, or the case label.
  bool Val = false;           ///< Its value (case labels: unused).
  bool operator==(const PathStep &O) const {
    return Cond == O.Cond && Val == O.Val;
  }
};

/// An integer variable's value (Eq) or a value it does not have: V, or
/// Base + V when Base is another integer variable (`i == n - 1`). Ge (with
/// Eq false, no Base): a lower bound, VD >= V (a counter stepped up from
/// its start: `i == 0` no longer holds).
struct PathVal {
  const VarDecl *VD;
  int64_t V;
  bool Eq;
  const VarDecl *Base = nullptr;
  bool Ge = false;
  bool operator==(const PathVal &O) const {
    return VD == O.VD && V == O.V && Eq == O.Eq && Base == O.Base && Ge == O.Ge;
  }
  /// `VD != V`.
  bool isNe() const { return !Eq && !Base && !Ge; }
};

/// `v = <condition>`: v is true exactly when the condition's key has the
/// value !Neg (`have = n > 0`, tested later as `have` or as `n > 0`).
struct PathAlias {
  const VarDecl *VD;
  unsigned Key;
  bool Neg;
  bool operator==(const PathAlias &O) const {
    return VD == O.VD && Key == O.Key && Neg == O.Neg;
  }
};

/// What is known on the paths a disjunct stands for.
struct PathFacts {
  /// Conditions (PathEngine keys) and their values.
  llvm::SmallVector<std::pair<unsigned, bool>, 4> Lits;
  llvm::SmallVector<PathVal, 2> Vals;
  llvm::SmallVector<PathAlias, 1> Aliases;
  /// Branches taken, oldest first (at most MaxTrail).
  llvm::SmallVector<PathStep, 4> Trail;
  /// Keeps what O knows too; whether anything was dropped.
  bool intersect(const PathFacts &O);
  /// The least value VD may have on these paths, if they bound it.
  std::optional<int64_t> lowerBound(const VarDecl *VD) const;
};

struct Path {
  State S;
  PathFacts F;
  /// Joined from disjuncts whose owner states differ: its facts may not
  /// tell its paths apart.
  bool Lossy = false;
  /// Left a loop through a `break` or `goto` (PathEngine::jumpEdge()):
  /// which iteration jumped is not known, so what is still owned on it is
  /// not reported as a leak; what was freed before the jump is freed.
  bool Jumped = false;
};
using Paths = llvm::SmallVector<Path, 1>;

/// Whether two states agree on every tensor's owner state (an object
/// missing on one side may only be dead or handed on on the other).
bool sameOwnership(const State &A, const State &B);

} // namespace ownership
} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_PATHFACTS_H
