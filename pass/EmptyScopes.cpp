//===- EmptyScopes.cpp - Drop scopes that provably register nothing -------===//
//
// A scope costs two runtime calls. When a function calls nothing but its
// own scope begin and end, intrinsics, and functions known to make no tensor
// (TensorFreeCalls.def, or definitions in this module that call only such
// functions), its scopes can own nothing and are removed. Any other call,
// an indirect call, or a scope id that goes anywhere but its own end keeps
// every scope of the function: being wrong here would leak.
//
//===----------------------------------------------------------------------===//
#include "RuntimeCalls.h"

#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Module.h"

using namespace llvm;

namespace {

bool isScopeCall(const CallBase &Call) {
  StringRef Name = tsmem::calleeName(Call);
  return Name == tsmem::ScopeBeginName || Name == tsmem::ScopeEndName ||
         Name == tsmem::GuardEndName;
}

/// Functions that make and register no tensor: the listed externals, and the
/// largest set of exact definitions here whose calls stay inside that set.
class TensorFreeSet {
  SmallPtrSet<const Function *, 32> Defined;

public:
  explicit TensorFreeSet(Module &M);
  bool contains(const CallBase &Call) const;

private:
  bool callsOnlyTensorFree(const Function &F) const;
};

TensorFreeSet::TensorFreeSet(Module &M) {
  for (Function &F : M)
    if (!F.isDeclaration() && !F.isInterposable())
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

bool TensorFreeSet::contains(const CallBase &Call) const {
  if (Call.isInlineAsm())
    return false;
  const Function *Callee = Call.getCalledFunction();
  if (!Callee)
    return false;
  return Callee->isIntrinsic() ||
         tsmem::isTensorFreeFunction(Callee->getName()) ||
         Defined.contains(Callee);
}

bool TensorFreeSet::callsOnlyTensorFree(const Function &F) const {
  for (const Instruction &I : instructions(F))
    if (auto *Call = dyn_cast<CallBase>(&I); Call && !contains(*Call))
      return false;
  return true;
}

/// The scopes of one function and everything that carries their ids.
struct FunctionScopes {
  SmallVector<CallBase *, 4> Begins, Ends, GuardEnds;
  SmallPtrSet<Value *, 8> Ids;        // begin results and loads of them
  SmallPtrSet<AllocaInst *, 4> Slots; // locals that hold an id (-O0, guards)
};

/// Whether a local holding a scope id is only stored to, and read for
/// ts_scope_end or by the guard's cleanup.
bool isIdSlot(AllocaInst &Slot, FunctionScopes &S) {
  for (User *U : Slot.users()) {
    if (auto *Store = dyn_cast<StoreInst>(U)) {
      if (Store->getValueOperand() == &Slot)
        return false;
      continue;
    }
    if (auto *Load = dyn_cast<LoadInst>(U)) {
      S.Ids.insert(Load);
      continue;
    }
    auto *Call = dyn_cast<CallBase>(U);
    if (Call && (tsmem::calleeName(*Call) == tsmem::GuardEndName ||
                 Call->isLifetimeStartOrEnd() || isa<DbgInfoIntrinsic>(Call)))
      continue;
    return false;
  }
  return true;
}

/// Collects F's scopes; false if F may register a tensor or an id leaves
/// the begin-to-end plumbing.
bool collectRemovableScopes(Function &F, const TensorFreeSet &Free,
                            FunctionScopes &S) {
  for (Instruction &I : instructions(F)) {
    auto *Call = dyn_cast<CallBase>(&I);
    if (!Call)
      continue;
    StringRef Name = tsmem::calleeName(*Call);
    if (Name == tsmem::ScopeBeginName)
      S.Begins.push_back(Call);
    else if (Name == tsmem::ScopeEndName)
      S.Ends.push_back(Call);
    else if (Name == tsmem::GuardEndName)
      S.GuardEnds.push_back(Call);
    else if (!Free.contains(*Call))
      return false;
  }
  if (S.Begins.empty())
    return false;
  for (CallBase *Begin : S.Begins) {
    S.Ids.insert(Begin);
    for (User *U : Begin->users()) {
      auto *Store = dyn_cast<StoreInst>(U);
      auto *Slot =
          Store ? dyn_cast<AllocaInst>(Store->getPointerOperand()) : nullptr;
      if (Slot && Store->getValueOperand() == Begin && isIdSlot(*Slot, S)) {
        S.Slots.insert(Slot);
        continue;
      }
      auto *End = dyn_cast<CallBase>(U);
      if (!End || tsmem::calleeName(*End) != tsmem::ScopeEndName)
        return false;
    }
  }
  // Loads of an id may only feed ts_scope_end.
  for (Value *Id : S.Ids)
    for (User *U : Id->users())
      if (!isa<StoreInst>(U) &&
          !(isa<CallBase>(U) && isScopeCall(*cast<CallBase>(U))))
        return false;
  // Every end must end a scope begun here, not one the caller passed in.
  for (CallBase *End : S.Ends)
    if (!S.Ids.contains(End->getArgOperand(0)))
      return false;
  for (CallBase *Guard : S.GuardEnds) {
    auto *Slot = dyn_cast<AllocaInst>(Guard->getArgOperand(0));
    if (!Slot || !S.Slots.contains(Slot))
      return false;
  }
  return true;
}

void removeScopes(FunctionScopes &S) {
  for (CallBase *End : S.Ends) {
    End->replaceAllUsesWith(Constant::getNullValue(End->getType())); // TS_OK
    End->eraseFromParent();
  }
  for (CallBase *Guard : S.GuardEnds)
    Guard->eraseFromParent();
  for (CallBase *Begin : S.Begins) {
    Begin->replaceAllUsesWith(Constant::getNullValue(Begin->getType()));
    Begin->eraseFromParent();
  }
}

} // namespace

bool tsmem::removeEmptyScopes(Module &M) {
  TensorFreeSet Free(M);
  bool Changed = false;
  for (Function &F : M) {
    if (F.isDeclaration())
      continue;
    FunctionScopes S;
    if (!collectRemovableScopes(F, Free, S))
      continue;
    removeScopes(S);
    Changed = true;
  }
  // The guard's cleanup, a static inline from tsmem.h, may be unused now.
  if (Function *Guard = M.getFunction(GuardEndName))
    if (Changed && Guard->hasLocalLinkage() && Guard->use_empty())
      Guard->eraseFromParent();
  return Changed;
}
