//===- ScopeLowering.cpp - TS_SCOPED functions become scopes --------------===//
//
// TS_SCOPED marks a function with __attribute__((annotate("tsmem.scope"))),
// which any front end records in llvm.global.annotations. Each marked
// function gets `%id = call i64 @ts_scope_begin()` on entry and
// `call i32 @ts_scope_end(i64 %id)` on every exit:
//  - right before every `ret`, that is after the returned value is computed;
//  - on the unwind path, when the function may throw (C++): every call that
//    may throw becomes an invoke whose landing pad ends the scope and
//    resumes, the function's own landing pads also stop for cleanups, and
//    the scope ends before every `resume`.
// A musttail call cannot be followed by the end (the callee would run after
// the scope freed its tensors, or before, with them freed): it is an error.
//
//===----------------------------------------------------------------------===//
#include "RuntimeCalls.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/DiagnosticInfo.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Module.h"
#include "llvm/Transforms/Utils/Local.h"

#include <optional>

using namespace llvm;

namespace {

/// Set on a function once lowered, so running the pass twice (opt after
/// clang, -fpass-plugin next to -fplugin) does not nest a second scope.
constexpr StringLiteral LoweredAttr = "tsmem.scope-lowered";

/// The location of the function's opening line, for the scope's site.
DebugLoc entryLocation(Function &F) {
  DISubprogram *SP = F.getSubprogram();
  if (!SP)
    return DebugLoc();
  return DILocation::get(F.getContext(), SP->getScopeLine(), 0, SP);
}

/// The name the user wrote, for diagnostics.
StringRef sourceName(Function &F) {
  if (DISubprogram *SP = F.getSubprogram(); SP && !SP->getName().empty())
    return SP->getName();
  return F.getName();
}

/// Refuses musttail calls: the scope would have to end between the call and
/// the `ret` that must follow it. False if F has one.
bool checkNoMustTail(Function &F) {
  bool Ok = true;
  for (Instruction &I : instructions(F))
    if (auto *Call = dyn_cast<CallInst>(&I); Call && Call->isMustTailCall()) {
      F.getContext().diagnose(DiagnosticInfoUnsupported(
          F,
          "TS_SCOPED function '" + sourceName(F) +
              "' makes a musttail call: its scope cannot end after a "
              "guaranteed tail call, so the callee would see the scope's "
              "tensors freed; drop musttail (or TS_SCOPED, and put the "
              "function's tensor code in a TS_SCOPE block before the call)",
          Call->getDebugLoc()));
      Ok = false;
    }
  return Ok;
}

/// The personality function F's new landing pads use: F's own, else one
/// of the module's, else C++'s or C's by the look of F.
Constant *personalityFor(Function &F) {
  if (F.hasPersonalityFn())
    return F.getPersonalityFn();
  Module &M = *F.getParent();
  for (Function &G : M)
    if (G.hasPersonalityFn())
      return G.getPersonalityFn();
  bool Cxx = F.getName().starts_with("_Z") || F.mustProgress();
  LLVMContext &Ctx = M.getContext();
  return cast<Constant>(
      M.getOrInsertFunction(Cxx ? "__gxx_personality_v0"
                                : "__gcc_personality_v0",
                            FunctionType::get(Type::getInt32Ty(Ctx), true))
          .getCallee());
}

/// Whether Call may throw into its function (and so must unwind through a
/// cleanup). The runtime (C) never throws.
bool mayThrow(const CallInst &Call, const tsmem::RuntimeFunctions &Runtime) {
  if (Call.doesNotThrow() || Call.isInlineAsm() || isa<IntrinsicInst>(Call))
    return false;
  const Function *Callee = Call.getCalledFunction();
  return !Callee || (!Callee->doesNotThrow() && !Runtime.contains(Callee));
}

/// Ends the scope Id on every way an exception leaves F.
void endOnUnwind(Function &F, Value *Id, FunctionCallee End,
                 const tsmem::RuntimeFunctions &Runtime) {
  if (F.doesNotThrow())
    return;
  SmallVector<CallInst *, 16> Throwing;
  SmallVector<ResumeInst *, 4> Resumes;
  for (Instruction &I : instructions(F)) {
    if (auto *Call = dyn_cast<CallInst>(&I); Call && mayThrow(*Call, Runtime))
      Throwing.push_back(Call);
    else if (auto *Resume = dyn_cast<ResumeInst>(&I))
      Resumes.push_back(Resume);
    else if (auto *Pad = dyn_cast<LandingPadInst>(&I))
      Pad->setCleanup(true); // an uncaught exception stops here too
    else if (isa<CatchSwitchInst, CleanupPadInst, CatchPadInst>(I))
      return; // funclet EH (Windows): not lowered here
  }
  for (ResumeInst *Resume : Resumes)
    IRBuilder<>(Resume).CreateCall(End, {Id});
  if (Throwing.empty())
    return;
  LLVMContext &Ctx = F.getContext();
  if (!F.hasPersonalityFn())
    F.setPersonalityFn(personalityFor(F));
  BasicBlock *Cleanup = BasicBlock::Create(Ctx, "tsmem.unwind", &F);
  IRBuilder<> B(Cleanup);
  LandingPadInst *Pad = B.CreateLandingPad(
      StructType::get(PointerType::getUnqual(Ctx), Type::getInt32Ty(Ctx)), 0);
  Pad->setCleanup(true);
  B.CreateCall(End, {Id});
  B.CreateResume(Pad);
  for (CallInst *Call : Throwing)
    changeToInvokeAndSplitBasicBlock(Call, Cleanup);
}

/// The runtime's scope calls, declared in the module on first use (End
/// first, as lowerFunction always asked for them) and then reused.
struct ScopeCalls {
  FunctionCallee Begin, End;
};

void lowerFunction(Function &F, tsmem::RuntimeFunctions &Runtime,
                   std::optional<ScopeCalls> &Calls) {
  Module &M = *F.getParent();
  if (!Calls) {
    FunctionCallee End = tsmem::getScopeEnd(M, Runtime);
    Calls = ScopeCalls{tsmem::getScopeBegin(M, Runtime), End};
  }
  BasicBlock &Entry = F.getEntryBlock();
  BasicBlock::iterator Pos = Entry.getFirstInsertionPt();
  while (Pos != Entry.end() && isa<AllocaInst>(*Pos))
    ++Pos; // keep the static allocas together at the top
  IRBuilder<> B(&Entry, Pos);
  B.SetCurrentDebugLocation(entryLocation(F));
  FunctionCallee End = Calls->End;
  CallInst *Id = B.CreateCall(Calls->Begin, {}, "tsmem.scope");

  SmallVector<ReturnInst *, 4> Returns;
  for (BasicBlock &BB : F)
    if (auto *Ret = dyn_cast<ReturnInst>(BB.getTerminator()))
      Returns.push_back(Ret);
  for (ReturnInst *Ret : Returns) {
    B.SetInsertPoint(Ret);
    B.SetCurrentDebugLocation(Ret->getDebugLoc());
    B.CreateCall(End, {Id});
  }
  endOnUnwind(F, Id, End, Runtime);
  F.addFnAttr(LoweredAttr);
}

} // namespace

bool tsmem::lowerScopedFunctions(Module &M, RuntimeFunctions &Runtime) {
  SmallPtrSet<Function *, 16> Scoped = annotatedFunctions(M, ScopedAnnotation);
  // In module order, so that diagnostics and output are deterministic.
  bool Changed = false;
  std::optional<ScopeCalls> Calls;
  for (Function &F : M) {
    if (!Scoped.contains(&F) || F.isDeclaration() ||
        F.hasFnAttribute(LoweredAttr) || !checkNoMustTail(F))
      continue;
    lowerFunction(F, Runtime, Calls);
    Changed = true;
  }
  return Changed;
}
