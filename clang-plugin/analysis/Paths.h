//===- Paths.h - The path engine: disjuncts along the CFG -------*- C++ -*-===//
//
// Bugs on some paths only. A block's entry state is a short list of
// disjuncts (Path), each the join of paths that agree on every tensor's
// owner state, with the facts known on those paths (PathFacts.h): branch
// conditions tested (a canonical key and its value), integer values of
// local variables (from `v = 3`, `v == 3`, `case 3:`, `v++`), and the trail
// of branches taken, for the notes. A branch whose condition the facts decide
// is followed one way only: the same condition tested twice, a flag set
// with the free (`freed = 1`), a counter stepped past its bound. Checks read
// each disjunct on its own, so a free on one branch and a use after the join
// is reported, with the branches taken as notes.
//
// Precision first: disjuncts whose owner states differ are joined (as the
// analysis did before, one state per block) when there are too many, and
// when they leave a loop whose body branches, where the facts cannot tell
// which iterations ran. Such a joined ("lossy") disjunct reports only what
// holds on all of its paths.
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_CLANG_PLUGIN_PATHS_H
#define TSMEM_CLANG_PLUGIN_PATHS_H

#include "AnalysisState.h"
#include "CfgDecode.h"
#include "Locations.h"
#include "PathFacts.h"

#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/FoldingSet.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tsmem {
namespace ownership {

/// The path machinery of one function.
/// The facts of no path: value() of what does not depend on a path.
inline const PathFacts NoFacts{};

class PathEngine {
public:
  PathEngine(ASTContext &Ctx, CallModels &Models,
             const llvm::DenseSet<const VarDecl *> &AddrTaken,
             const std::vector<BlockInfo> &Blocks, const LocTable &Locs);

  /// Decodes each block's writes and branch, and the loop exits.
  void prepare();
  /// Applies block Idx's writes to F.
  void applyWrites(unsigned Idx, PathFacts &F) const;
  /// Whether successor SuccIdx of block Idx may be taken under F; Out gets
  /// F with what the edge adds.
  /// Decided: the facts (or the state St) chose the branch.
  /// Added: Out holds what the edge adds to F (else F holds on the edge).
  bool edge(unsigned Idx, unsigned SuccIdx, const State &St, const PathFacts &F,
            PathFacts &Out, bool &Decided, bool &Added) const;
  /// Whether the edge leaves a loop whose iterations the facts cannot tell
  /// apart.
  bool lossyEdge(unsigned Idx, unsigned SuccIdx) const;
  /// On an edge into a loop from outside: forgets what the loop writes, so
  /// that the loop's first pass already holds for every iteration (one
  /// pass instead of one per value of its counter).
  bool entersLoop(unsigned Idx, unsigned SuccIdx) const;
  void enterLoop(unsigned T, PathFacts &F) const;
  /// Joins a state into a block's disjuncts; whether they changed.
  static bool join(Paths &Into, const State &S, const PathFacts &F, bool Lossy,
                   bool Jumped = false);
  /// Whether the edge leaves a loop that changes owners by a `break` or
  /// `goto`: not lossy, its paths are Jumped.
  bool jumpEdge(unsigned Idx, unsigned SuccIdx) const;
  /// The value of a condition on the paths F stands for, if they tell
  /// (the arm a `c ? a : b` took).
  std::optional<bool> decideCond(const Expr *Cond, const PathFacts &F,
                                 const State &St);
  /// The conditions the last edge() decided through a variable that
  /// follows them (`ok = t != NULL; if (ok)`): key and value.
  llvm::ArrayRef<std::pair<unsigned, bool>> aliasLits() const {
    return AliasLits;
  }
  /// A condition with the key (the first one met), and whether its truth
  /// is the key's false.
  std::pair<const Expr *, bool> keyExpr(unsigned Key) const {
    return KeyExprs[Key - 1];
  }
  /// The note text of a branch taken.
  std::string stepText(const PathStep &Step) const;

  /// The most disjuncts per block before they are joined.
  static constexpr unsigned MaxPaths = 8;
  static constexpr unsigned MaxTrail = 8;

private:
  struct WriteOp {
    /// Apply: `v op= D` (E is the operator), a bit set or a scaling.
    enum Kind : uint8_t { Kill, Set, Add, Apply } K;
    const VarDecl *VD;
    const Expr *E = nullptr; ///< Set: the value.
    int64_t D = 0;           ///< Add: the step.
    unsigned Key = 0;        ///< Set: the value's key as a condition.
    bool Neg = false;
    bool Decl = false; ///< Kill: a declaration without an initialiser.
    /// Kill of memory (no VD) by a call given no pointer it may write
    /// through: only what globals hold may change.
    bool Globals = false;
    /// Add: the step of a counter a loop keeps into its first pass
    /// (keepCounters): past it, only its lower bound is known.
    bool Past = false;
  };
  /// A branch condition: its key (0: none), which value of the key the
  /// condition's true means, and an `v == k` form.
  struct CondInfo {
    unsigned Key = 0;
    bool Neg = false;
    /// The key's true says `EqVar == EqVal` (EqOnKey) or `!=`.
    const VarDecl *EqVar = nullptr;
    int64_t EqVal = 0;
    bool EqOnKey = false;
    /// `v == e`, e not constant: the key's true says v is e.
    const VarDecl *SymVar = nullptr;
    const Expr *SymExpr = nullptr;
  };
  struct BlockPaths {
    llvm::SmallVector<WriteOp, 2> Writes;
    const Expr *Cond = nullptr; ///< The two-way branch's condition.
    CondInfo CI;
    /// A switch on an integer variable.
    const SwitchStmt *Switch = nullptr;
    const VarDecl *SwitchVar = nullptr;
    llvm::SmallVector<bool, 2> LossyEdges;
    llvm::SmallVector<bool, 2> JumpEdges;
    /// A loop head: what the loop writes (null: memory).
    bool LoopHead = false;
    llvm::SmallVector<const VarDecl *, 4> LoopWrites;
    llvm::BitVector LoopBody; ///< Every block of its loops.
  };

  void decodeWrites(unsigned Idx);
  void decodeLoops();
  void findCounters();
  void keepCounters();
  unsigned jumpsOut(unsigned Idx) const;
  void addWrite(BlockPaths &BP, const Expr *Target, WriteOp::Kind K,
                const Expr *E, int64_t D);
  void recordWrites(const Stmt *St, BlockPaths &BP, bool Root);
  CondInfo condInfo(const Expr *C);
  bool profileCond(const Expr *E, CondInfo &CI, llvm::FoldingSetNodeID &ID,
                   llvm::SmallVectorImpl<const VarDecl *> &Vars, bool &Mem);
  bool eligible(const Expr *E, llvm::SmallVectorImpl<const VarDecl *> &Vars,
                bool &Mem, unsigned &Budget) const;
  std::optional<int64_t> value(const Expr *E, const PathFacts &F,
                               unsigned Depth = 0) const;
  /// E as Base + offset (Base null: a constant), when it is one.
  std::optional<std::pair<const VarDecl *, int64_t>>
  linear(const Expr *E, const PathFacts &F, unsigned Depth = 0) const;
  std::optional<bool> decide(const BlockPaths &BP, const PathFacts &F) const;
  /// A `&&`, `||` or `!` of conditions, decided part by part (the parts
  /// from CondCache: cacheParts()).
  std::optional<bool> decideParts(const Expr *E, const PathFacts &F,
                                  unsigned Depth = 0) const;
  void cacheParts(const Expr *E, unsigned Depth = 0);
  bool armValues(const Expr *E, const PathFacts &F,
                 llvm::SmallVectorImpl<int64_t> &Out, unsigned Depth = 0) const;
  void cacheArmConds(const Expr *E, unsigned Depth = 0);
  void kill(PathFacts &F, const VarDecl *VD, bool Values,
            bool Globals = false) const;
  bool isTrackedInt(const VarDecl *VD) const;

  ASTContext &Ctx;
  CallModels &Models;
  const llvm::DenseSet<const VarDecl *> &AddrTaken;
  const std::vector<BlockInfo> &Blocks;
  const LocTable &Locs;
  std::vector<BlockPaths> BPs;
  /// Local integers only ever set to constants and stepped up (`for (i =
  /// 0; ...; i++)`), with the least constant: once stepped, they are past
  /// it (PathVal::Ge).
  llvm::DenseMap<const VarDecl *, int64_t> CountsUp;
  llvm::DenseMap<const Expr *, CondInfo> CondCache;
  /// During edge(): the state, for comparisons of tensor pointers.
  mutable const State *CurState = nullptr;
  /// The last block's decision, for its other successor.
  mutable unsigned Gen = 0, CacheIdx = ~0u, CacheGen = 0;
  mutable std::optional<bool> CacheD;
  std::optional<bool> samePointer(const Expr *A, const Expr *B) const;
  /// Interned condition keys (from 1) and the variables each reads.
  std::map<llvm::FoldingSetNodeID, unsigned> Keys;
  std::vector<llvm::SmallVector<const VarDecl *, 2>> KeyVars;
  std::vector<std::pair<const Expr *, bool>> KeyExprs;
  mutable llvm::SmallVector<std::pair<unsigned, bool>, 1> AliasLits;
  /// Keys that read memory (a global, `p->f`, `*p`): any write through
  /// memory or call outside tsmem forgets them.
  std::vector<bool> KeyMem;
  /// Keys that read a global variable.
  std::vector<bool> KeyGlobal;
};

} // namespace ownership
} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_PATHS_H
