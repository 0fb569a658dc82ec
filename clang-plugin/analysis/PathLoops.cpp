//===- PathLoops.cpp - The path engine's loops and counters ---------------===//
//
// See Paths.h. Where the CFG's loops are and what they write, which ways
// out of them lose paths, and which counters keep their values into a
// loop's first pass.
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"
#include "Paths.h"

namespace tsmem {
namespace ownership {

/// The block ending in the `break` or `goto` that the straight code from
/// block Idx reaches, if it does (else ~0u).
unsigned PathEngine::jumpsOut(unsigned Idx) const {
  for (unsigned Steps = 0; Idx != ~0u && Steps < 8; ++Steps) {
    const Stmt *Jump = Blocks[Idx].B->getTerminatorStmt();
    if (Jump && (isa<BreakStmt>(Jump) || isa<GotoStmt>(Jump)))
      return Idx;
    if (Jump || Blocks[Idx].Succs.size() != 1 || Blocks[Idx].Succs[0] <= Idx)
      return ~0u;
    Idx = Blocks[Idx].Succs[0];
  }
  return ~0u;
}

void PathEngine::decodeLoops() {
  unsigned N = Blocks.size();
  std::vector<llvm::SmallVector<unsigned, 2>> Preds(N);
  for (unsigned U = 0; U < N; ++U)
    for (unsigned T : Blocks[U].Succs)
      if (T != ~0u)
        Preds[T].push_back(U);
  for (unsigned U = 0; U < N; ++U)
    for (unsigned T : Blocks[U].Succs) {
      if (T == ~0u || T > U)
        continue;
      // A back edge U -> T: the loop is what reaches U without passing T.
      unsigned H = T;
      llvm::BitVector Body(N);
      Body.set(H);
      llvm::SmallVector<unsigned, 16> Stack;
      if (!Body.test(U)) {
        Body.set(U);
        Stack.push_back(U);
      }
      while (!Stack.empty()) {
        unsigned X = Stack.pop_back_val();
        for (unsigned P : Preds[X])
          if (P >= H && !Body.test(P)) {
            Body.set(P);
            Stack.push_back(P);
          }
      }
      // What the loop writes, for its head.
      BPs[H].LoopHead = true;
      if (BPs[H].LoopBody.empty())
        BPs[H].LoopBody.resize(N);
      BPs[H].LoopBody |= Body;
      for (unsigned X : Body.set_bits())
        for (const WriteOp &W : BPs[X].Writes)
          if (!llvm::is_contained(BPs[H].LoopWrites, W.VD))
            BPs[H].LoopWrites.push_back(W.VD);
      // A loop that changes owners makes paths its exit cannot tell apart:
      // how often it ran (zero times included, when its bound is unknown) or,
      // if its body branches, which way each iteration went.
      bool Owners = false;
      for (unsigned X : Body.set_bits())
        for (const Op &O : Blocks[X].Ops)
          if (O.K == Op::Call &&
              (O.Model.Kind != CallKind::Unknown || O.Model.Inferred))
            Owners = true;
      if (!Owners)
        continue;
      for (unsigned X : Body.set_bits())
        for (unsigned SI = 0; SI < Blocks[X].Succs.size(); ++SI) {
          unsigned To = Blocks[X].Succs[SI];
          // A way out to a `break` or `goto` leaves from one place in the
          // body: its path state is that of the iteration that took it,
          // whatever ran before. It stays apart.
          // Its paths are Jumped past the jump: leaks at the jump itself
          // (of the iteration's own tensors) are still reported.
          unsigned J = To != ~0u && !Body.test(To) ? jumpsOut(To) : ~0u;
          if (J != ~0u) {
            BPs[J].JumpEdges.assign(Blocks[J].Succs.size(), true);
            continue;
          }
          if (To != ~0u && !Body.test(To)) {
            BPs[X].LossyEdges.resize(Blocks[X].Succs.size());
            BPs[X].LossyEdges[SI] = true;
          }
        }
    }
}

/// A counter that only counts up (`for (int i = 0; i < n; i++)`, CountsUp)
/// and that the loop declares keeps its value into the first pass of the
/// loop when it is entered at its head: the
/// first pass is the one with the start value (`if (i == 0)` there is
/// true), the others are past it (the loop's steps keep only the lower
/// bound, so the head settles in one more pass). Loops entered into their
/// body (CountedLoops.cpp's runsOnce) keep every value already.
void PathEngine::keepCounters() {
  if (CountsUp.empty())
    return;
  unsigned N = Blocks.size();
  llvm::BitVector Entered(N);
  for (unsigned U = 0; U < N; ++U)
    for (unsigned T : Blocks[U].Succs)
      if (T != ~0u && T > U && BPs[T].LoopHead && !BPs[T].LoopBody.test(U))
        Entered.set(T);
  for (unsigned H : Entered.set_bits()) {
    BlockPaths &BP = BPs[H];
    // Only the counter the loop declares (`for (int i = 0; ...)`): after
    // the loop, nothing reads which pass it left on.
    const auto *FS =
        dyn_cast_or_null<ForStmt>(Blocks[H].B->getTerminatorStmt());
    const auto *DS = FS ? dyn_cast_or_null<DeclStmt>(FS->getInit()) : nullptr;
    if (!DS || !DS->isSingleDecl())
      continue;
    llvm::erase_if(BP.LoopWrites, [&](const VarDecl *VD) {
      if (!VD || VD != DS->getSingleDecl() || !CountsUp.count(VD))
        return false;
      // Only where a test tells the first pass apart (the loop's own
      // against a constant bound, or one in the body): elsewhere the passes
      // would only be analysed twice.
      bool Tested = false;
      for (unsigned X : BP.LoopBody.set_bits()) {
        const BlockPaths &B = BPs[X];
        for (const WriteOp &W : B.Writes)
          if (W.VD == VD && (W.K != WriteOp::Add || W.D <= 0))
            return false;
        if (X == H) {
          const auto *T =
              B.Cond ? dyn_cast<BinaryOperator>(B.Cond->IgnoreParenImpCasts())
                     : nullptr;
          Tested |= T && T->isComparisonOp() && varOf(T->getLHS()) == VD &&
                    value(T->getRHS(), NoFacts).has_value();
        } else if (B.SwitchVar == VD || B.CI.EqVar == VD) {
          Tested = true;
        } else if (!Tested && B.CI.Key &&
                   llvm::is_contained(KeyVars[B.CI.Key - 1], VD)) {
          // Another test of the counter tells the first pass apart only
          // when no later pass shares its value there: `if (i < 1)` does,
          // `if (i % 3 == 2)` does not (false at 0, 1, 3, ...), so that
          // loop is not analysed twice.
          PathFacts First, Later;
          First.Vals.push_back({VD, CountsUp.lookup(VD), true});
          Later.Vals.push_back(
              {VD, CountsUp.lookup(VD) + 1, false, nullptr, true});
          std::optional<bool> AtStart = decide(B, First);
          std::optional<bool> Past = AtStart ? decide(B, Later) : std::nullopt;
          Tested = Past && *Past != *AtStart;
        }
      }
      if (!Tested)
        return false;
      for (unsigned X : BP.LoopBody.set_bits())
        for (WriteOp &W : BPs[X].Writes)
          if (W.VD == VD)
            W.Past = true;
      return true;
    });
  }
}

void PathEngine::findCounters() {
  llvm::DenseMap<const VarDecl *, int64_t> Least;
  llvm::DenseSet<const VarDecl *> Not;
  for (const BlockPaths &BP : BPs)
    for (const WriteOp &W : BP.Writes) {
      if (!W.VD || Not.count(W.VD))
        continue;
      std::optional<int64_t> V;
      if (W.K == WriteOp::Set)
        V = value(W.E, NoFacts);
      bool Ok = isTrackedInt(W.VD) && !isa<ParmVarDecl>(W.VD) &&
                !W.VD->hasAttr<BlocksAttr>() &&
                (W.K == WriteOp::Kill  ? W.Decl
                 : W.K == WriteOp::Add ? W.D > 0
                                       : V.has_value());
      if (!Ok) {
        Not.insert(W.VD);
        continue;
      }
      if (V) {
        auto [It, New] = Least.insert({W.VD, *V});
        if (!New)
          It->second = std::min(It->second, *V);
      }
    }
  for (const auto &[VD, V] : Least)
    if (!Not.count(VD))
      CountsUp[VD] = V;
}

} // namespace ownership
} // namespace tsmem
