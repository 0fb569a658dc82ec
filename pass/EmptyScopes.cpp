//===- EmptyScopes.cpp - Drop scope pairs that provably do nothing --------===//
//
// A scope costs two runtime calls. A pair `id = ts_scope_begin()` ...
// `ts_scope_end(id)` is removed only when no execution can tell:
//  - the id goes nowhere but to its own ends in this function: straight
//    into ts_scope_end, or through one local (the -O0 shape, and
//    TS_SCOPE_GUARD()'s) that is stored once, right after the begin, and
//    read only right before an end or by the guard's cleanup;
//  - the ends' statuses are unused;
//  - on every path from the begin, an end of the pair comes before any call
//    that is not known to leave tensors, the scope stack and the last error
//    alone (TensorFreeCalls.def, intrinsics, and definitions here that call
//    only such functions), before the begin runs again, and before the
//    function returns, unwinds or stops;
//  - every end runs only after the begin, with no other end of the pair
//    since its latest run.
// Then each end pops exactly the frame its begin pushed, which owns
// nothing, and returns TS_OK, which leaves the last error as it was: the
// pair changes nothing. Nested pairs go innermost first. Anything else
// (an id that escapes, as in `t->step = ts_scope_begin()`; ends out of
// order, whose statuses SPEC promises; a scope ended by another function)
// is left alone: being wrong here would leak or hide an error.
//
//===----------------------------------------------------------------------===//
#include "RuntimeCalls.h"

#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/IR/CFG.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Module.h"

using namespace llvm;

namespace {

/// Instructions the walks of one function may visit in all: past it, the
/// remaining scopes stay (always sound), so the pass stays linear-ish.
constexpr unsigned WalkBudget = 1u << 20;

/// Functions that make, register and observe no tensor, scope or error:
/// the listed externals, and the largest set of exact definitions here
/// whose calls stay inside that set.
class TensorFreeSet {
  const tsmem::RuntimeFunctions &Runtime;
  SmallPtrSet<const Function *, 32> Defined;

public:
  TensorFreeSet(Module &M, const tsmem::RuntimeFunctions &Runtime);
  bool contains(const CallBase &Call) const;

private:
  bool isListed(const Function &F) const;
  bool callsOnlyTensorFree(const Function &F) const;
};

TensorFreeSet::TensorFreeSet(Module &M, const tsmem::RuntimeFunctions &Runtime)
    : Runtime(Runtime) {
  for (Function &F : M)
    if (!F.isDeclaration() && !F.isInterposable() && !isListed(F))
      Defined.insert(&F);
  // Drop functions until the rest call only each other or listed functions.
  bool Changed = true;
  while (Changed) {
    Changed = false;
    for (Function &F : M)
      if (Defined.contains(&F) && !callsOnlyTensorFree(F)) {
        Defined.erase(&F);
        Changed = true;
      }
  }
}

/// A listed external: tsmem's queries only if they are tsmem's (tsmem.h's
/// declarations), the C library's by name, and neither if defined here.
bool TensorFreeSet::isListed(const Function &F) const {
  if (!tsmem::isTensorFreeFunction(F.getName()))
    return false;
  if (F.getName().starts_with("ts_"))
    return Runtime.contains(&F);
  return F.isDeclaration();
}

bool TensorFreeSet::contains(const CallBase &Call) const {
  if (Call.isInlineAsm())
    return false;
  const Function *Callee = Call.getCalledFunction();
  if (!Callee)
    return false;
  return Callee->isIntrinsic() || isListed(*Callee) || Defined.contains(Callee);
}

bool TensorFreeSet::callsOnlyTensorFree(const Function &F) const {
  for (const Instruction &I : instructions(F))
    if (auto *Call = dyn_cast<CallBase>(&I); Call && !contains(*Call))
      return false;
  return true;
}

/// One begin and the ends its id reaches.
struct ScopePair {
  CallBase *Begin = nullptr;
  AllocaInst *Slot = nullptr; // the local that holds the id, if any
  StoreInst *Store = nullptr; // Begin's store into Slot
  SmallVector<CallBase *, 4> Ends;
  SmallVector<LoadInst *, 4> Loads;
};

bool isMarker(const Instruction &I) {
  auto *Call = dyn_cast<CallBase>(&I);
  return Call && (Call->isLifetimeStartOrEnd() || isa<DbgInfoIntrinsic>(Call));
}

/// Whether From comes before To in one block with no call between them
/// but lifetime markers and debug intrinsics.
bool adjacentInBlock(const Instruction *From, const Instruction *To) {
  if (From->getParent() != To->getParent())
    return false;
  for (const Instruction *I = From->getNextNode(); I; I = I->getNextNode()) {
    if (I == To)
      return true;
    if (isa<CallBase>(I) && !isMarker(*I))
      return false;
  }
  return false;
}

class PairFinder {
  const tsmem::RuntimeFunctions &Runtime;
  const TensorFreeSet &Free;
  unsigned &Budget;

public:
  PairFinder(const tsmem::RuntimeFunctions &Runtime, const TensorFreeSet &Free,
             unsigned &Budget)
      : Runtime(Runtime), Free(Free), Budget(Budget) {}

  /// Begin's pair, if removing it provably changes nothing.
  std::optional<ScopePair> removable(CallBase &Begin) const {
    ScopePair P;
    P.Begin = &Begin;
    // Cheapest and most often failing first.
    if (!collectEnds(P) || P.Ends.empty() || !regionIsInert(P) ||
        !endsOnlyAfterBegin(P))
      return std::nullopt;
    return P;
  }

private:
  bool isEndOf(const User *U, const Value *Id) const {
    auto *Call = dyn_cast<CallBase>(U);
    return Call && Runtime.calleeName(*Call) == tsmem::ScopeEndName &&
           Call->arg_size() == 1 && Call->getArgOperand(0) == Id &&
           Call->use_empty();
  }

  bool collectEnds(ScopePair &P) const {
    for (User *U : P.Begin->users()) {
      if (isEndOf(U, P.Begin)) {
        P.Ends.push_back(cast<CallBase>(U));
        continue;
      }
      auto *Store = dyn_cast<StoreInst>(U);
      auto *Slot =
          Store ? dyn_cast<AllocaInst>(Store->getPointerOperand()) : nullptr;
      if (!Slot || P.Slot || Store->getValueOperand() != P.Begin ||
          Store->isVolatile() || !adjacentInBlock(P.Begin, Store))
        return false;
      P.Slot = Slot;
      P.Store = Store;
    }
    return !P.Slot || collectSlotEnds(P);
  }

  /// The slot is written once (by the begin's store) and read only right
  /// before an end, or by the guard's cleanup.
  bool collectSlotEnds(ScopePair &P) const {
    for (User *U : P.Slot->users()) {
      if (U == P.Store)
        continue;
      if (auto *Load = dyn_cast<LoadInst>(U)) {
        if (Load->isVolatile())
          return false;
        for (User *LU : Load->users())
          if (!isEndOf(LU, Load) ||
              !adjacentInBlock(Load, cast<Instruction>(LU)))
            return false;
        for (User *LU : Load->users())
          P.Ends.push_back(cast<CallBase>(LU));
        P.Loads.push_back(Load);
        continue;
      }
      auto *Call = dyn_cast<CallBase>(U);
      if (Call && isMarker(*Call))
        continue;
      if (Call && Runtime.calleeName(*Call) == tsmem::GuardEndName &&
          Call->arg_size() == 1 && Call->getArgOperand(0) == P.Slot) {
        P.Ends.push_back(Call);
        continue;
      }
      return false;
    }
    return true;
  }

  /// Visits the instructions reachable from Starts (excluded), not going
  /// past any instruction Stop accepts; Visit returns false to fail the
  /// walk. False also when out of budget.
  template <typename StopFn, typename VisitFn>
  bool walk(ArrayRef<Instruction *> Starts, StopFn Stop, VisitFn Visit) const {
    SmallVector<std::pair<BasicBlock *, BasicBlock::iterator>, 16> Work;
    SmallPtrSet<BasicBlock *, 32> Seen;
    for (Instruction *I : Starts)
      Work.push_back({I->getParent(), std::next(I->getIterator())});
    while (!Work.empty()) {
      auto [BB, It] = Work.pop_back_val();
      bool Stopped = false;
      for (; It != BB->end(); ++It) {
        if (Budget == 0)
          return false;
        --Budget;
        if (Stop(*It)) {
          Stopped = true;
          break;
        }
        if (!Visit(*It))
          return false;
      }
      if (Stopped)
        continue;
      for (BasicBlock *Succ : successors(BB))
        if (Seen.insert(Succ).second)
          Work.push_back({Succ, Succ->begin()});
    }
    return true;
  }

  /// Every way to an end comes from the begin with no end of the pair in
  /// between, and not from the function's entry: each end ends the latest
  /// begin's scope, once. Walks back from each end to the begin, so it
  /// costs what the scope's own code does.
  bool endsOnlyAfterBegin(const ScopePair &P) const {
    SmallPtrSet<const Instruction *, 8> Ends(P.Ends.begin(), P.Ends.end());
    SmallVector<std::pair<BasicBlock *, Instruction *>, 16> Work;
    SmallPtrSet<BasicBlock *, 32> Seen;
    for (CallBase *End : P.Ends)
      Work.push_back({End->getParent(), End->getPrevNode()});
    while (!Work.empty()) {
      auto [BB, I] = Work.pop_back_val();
      bool Reached = false;
      for (; I; I = I->getPrevNode()) {
        if (Budget == 0)
          return false;
        --Budget;
        if (I == P.Begin) {
          Reached = true;
          break;
        }
        if (Ends.contains(I))
          return false;
      }
      if (Reached)
        continue;
      if (BB->isEntryBlock())
        return false;
      for (BasicBlock *Pred : predecessors(BB))
        if (Seen.insert(Pred).second)
          Work.push_back({Pred, Pred->getTerminator()});
    }
    return true;
  }

  /// From the begin to its ends, nothing that can see or change a tensor,
  /// the scope stack or the last error; no return, unwind or stop; no
  /// second run of the begin.
  bool regionIsInert(const ScopePair &P) const {
    SmallPtrSet<const Instruction *, 8> Ends(P.Ends.begin(), P.Ends.end());
    return walk(
        {P.Begin}, [&](const Instruction &I) { return Ends.contains(&I); },
        [&](const Instruction &I) {
          if (&I == P.Begin)
            return false;
          if (auto *Call = dyn_cast<CallBase>(&I))
            if (!Free.contains(*Call) || isa<CallBrInst>(Call))
              return false;
          if (I.isTerminator() && I.getNumSuccessors() == 0)
            return false; // ret, resume, unreachable
          return true;
        });
  }
};

void removePair(ScopePair &P) {
  for (CallBase *End : P.Ends)
    End->eraseFromParent();
  for (LoadInst *Load : P.Loads)
    Load->eraseFromParent();
  if (P.Store)
    P.Store->eraseFromParent();
  P.Begin->eraseFromParent();
}

/// Removes F's removable pairs, innermost first (an inner pair's calls keep
/// the outer one), until none is left.
bool removeInFunction(Function &F, const tsmem::RuntimeFunctions &Runtime,
                      const TensorFreeSet &Free) {
  unsigned Budget = WalkBudget;
  PairFinder Finder(Runtime, Free, Budget);
  bool Changed = false, Progress = true;
  while (Progress && Budget) {
    Progress = false;
    SmallVector<CallBase *, 8> Begins;
    for (Instruction &I : instructions(F))
      if (auto *Call = dyn_cast<CallBase>(&I);
          Call && Runtime.calleeName(*Call) == tsmem::ScopeBeginName)
        Begins.push_back(Call);
    for (CallBase *Begin : Begins)
      if (std::optional<ScopePair> P = Finder.removable(*Begin)) {
        removePair(*P);
        Progress = Changed = true;
      }
  }
  return Changed;
}

} // namespace

bool tsmem::removeEmptyScopes(Module &M, RuntimeFunctions &Runtime) {
  // Only functions that begin a scope, found from the begin's users.
  SmallPtrSet<Function *, 16> WithScopes;
  if (Function *Begin = M.getFunction(ScopeBeginName);
      Begin && Runtime.contains(Begin))
    for (User *U : Begin->users())
      if (auto *Call = dyn_cast<CallBase>(U))
        WithScopes.insert(Call->getFunction());
  if (WithScopes.empty())
    return false;
  TensorFreeSet Free(M, Runtime);
  bool Changed = false;
  for (Function &F : M)
    if (WithScopes.contains(&F))
      Changed |= removeInFunction(F, Runtime, Free);
  // The guard's cleanup, a static inline from tsmem.h, may be unused now.
  if (Function *Guard = M.getFunction(GuardEndName))
    if (Changed && Runtime.contains(Guard) && Guard->hasLocalLinkage() &&
        Guard->use_empty())
      Guard->eraseFromParent();
  return Changed;
}
