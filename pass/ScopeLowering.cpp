//===- ScopeLowering.cpp - TS_SCOPED functions become scopes --------------===//
//
// TS_SCOPED marks a function with __attribute__((annotate("tsmem.scope"))),
// which any front end records in llvm.global.annotations. Each marked
// function gets `%id = call i64 @ts_scope_begin()` on entry and
// `call i32 @ts_scope_end(i64 %id)` right before every `ret`, that is after
// the returned value is computed.
//
//===----------------------------------------------------------------------===//
#include "RuntimeCalls.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"

using namespace llvm;

namespace {

/// Set on a function once lowered, so running the pass twice (opt after
/// clang, -fpass-plugin next to -fplugin) does not nest a second scope.
constexpr StringLiteral LoweredAttr = "tsmem.scope-lowered";

/// The string an annotation entry points to, or "" if it is not one.
StringRef annotationString(const Constant *C) {
  auto *GV = dyn_cast<GlobalVariable>(C->stripPointerCasts());
  if (!GV || !GV->hasInitializer())
    return "";
  auto *Data = dyn_cast<ConstantDataSequential>(GV->getInitializer());
  if (!Data || !Data->isCString())
    return "";
  return Data->getAsCString();
}

/// The functions llvm.global.annotations marks "tsmem.scope".
SetVector<Function *> scopedFunctions(Module &M) {
  SetVector<Function *> Result;
  GlobalVariable *Annotations = M.getNamedGlobal("llvm.global.annotations");
  if (!Annotations || !Annotations->hasInitializer())
    return Result;
  auto *Entries = dyn_cast<ConstantArray>(Annotations->getInitializer());
  if (!Entries)
    return Result;
  for (const Use &U : Entries->operands()) {
    auto *Entry = dyn_cast<ConstantStruct>(U.get());
    if (!Entry || Entry->getNumOperands() < 2 ||
        annotationString(Entry->getOperand(1)) != tsmem::ScopedAnnotation)
      continue;
    if (auto *F = dyn_cast<Function>(Entry->getOperand(0)->stripPointerCasts()))
      Result.insert(F);
  }
  return Result;
}

/// The location of the function's opening line, for the scope's site.
DebugLoc entryLocation(Function &F) {
  DISubprogram *SP = F.getSubprogram();
  if (!SP)
    return DebugLoc();
  return DILocation::get(F.getContext(), SP->getScopeLine(), 0, SP);
}

/// Where a scope end goes for Ret: before it, or before the musttail call
/// that must stay right in front of it.
Instruction *endInsertionPoint(ReturnInst &Ret) {
  if (CallInst *Call = Ret.getParent()->getTerminatingMustTailCall())
    return Call;
  return &Ret;
}

void lowerFunction(Function &F) {
  Module &M = *F.getParent();
  BasicBlock &Entry = F.getEntryBlock();
  BasicBlock::iterator Pos = Entry.getFirstInsertionPt();
  while (Pos != Entry.end() && isa<AllocaInst>(*Pos))
    ++Pos; // keep the static allocas together at the top
  IRBuilder<> B(&Entry, Pos);
  B.SetCurrentDebugLocation(entryLocation(F));
  CallInst *Id = B.CreateCall(tsmem::getScopeBegin(M), {}, "tsmem.scope");

  SmallVector<ReturnInst *, 4> Returns;
  for (BasicBlock &BB : F)
    if (auto *Ret = dyn_cast<ReturnInst>(BB.getTerminator()))
      Returns.push_back(Ret);
  for (ReturnInst *Ret : Returns) {
    B.SetInsertPoint(endInsertionPoint(*Ret));
    B.SetCurrentDebugLocation(Ret->getDebugLoc());
    B.CreateCall(tsmem::getScopeEnd(M), {Id});
  }
  F.addFnAttr(LoweredAttr);
}

} // namespace

bool tsmem::lowerScopedFunctions(Module &M) {
  bool Changed = false;
  for (Function *F : scopedFunctions(M)) {
    if (F->isDeclaration() || F->hasFnAttribute(LoweredAttr))
      continue;
    lowerFunction(*F);
    Changed = true;
  }
  return Changed;
}
