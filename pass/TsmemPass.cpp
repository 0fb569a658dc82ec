//===- TsmemPass.cpp - The tsmem LLVM pass and its registration -----------===//
//
// One module pass, `tsmem`, in three steps, each in its own file:
//  1. ScopeLowering.cpp: TS_SCOPED functions become scopes;
//  2. EmptyScopes.cpp: scope pairs that provably change nothing are dropped
//     (not with TSMEM_KEEP_EMPTY_SCOPES set in the environment, for
//     measuring what that is worth);
//  3. AllocationSites.cpp: each tensor-making call is told its file:line.
// It is required (it runs at -O0 and on optnone functions: dropping it would
// change what the program frees) and is added at the start of every
// pipeline clang builds, or run alone with `opt -passes=tsmem`.
//
//===----------------------------------------------------------------------===//
#include "TsmemPass.h"
#include "RuntimeCalls.h"

#include "llvm/IR/PassManager.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Passes/PassPlugin.h"

#include <cstdlib>

using namespace llvm;

namespace {

struct TsmemPass : PassInfoMixin<TsmemPass> {
  std::shared_ptr<const tsmem::SourceSites> Source;

  explicit TsmemPass(std::shared_ptr<const tsmem::SourceSites> Source)
      : Source(std::move(Source)) {}

  PreservedAnalyses run(Module &M, ModuleAnalysisManager &) {
    tsmem::RuntimeFunctions Runtime(M);
    bool Changed = tsmem::lowerScopedFunctions(M, Runtime);
    // For measuring what the removal is worth (bench/README.md).
    if (!std::getenv("TSMEM_KEEP_EMPTY_SCOPES"))
      Changed |= tsmem::removeEmptyScopes(M, Runtime);
    Changed |= tsmem::recordAllocationSites(M, Source.get(), Runtime);
    return Changed ? PreservedAnalyses::none() : PreservedAnalyses::all();
  }
  static bool isRequired() { return true; }
};

} // namespace

void tsmem::registerTsmemPass(PassBuilder &PB,
                              std::shared_ptr<const SourceSites> Source) {
  // Clang's -O0 pipeline runs this callback too, before any inlining.
  PB.registerPipelineStartEPCallback(
      [Source](ModulePassManager &MPM, OptimizationLevel) {
        MPM.addPass(TsmemPass(Source));
      });
  PB.registerPipelineParsingCallback(
      [](StringRef Name, ModulePassManager &MPM,
         ArrayRef<PassBuilder::PipelineElement>) {
        if (Name != "tsmem")
          return false;
        MPM.addPass(TsmemPass(nullptr));
        return true;
      });
}

extern "C" LLVM_ATTRIBUTE_WEAK
    LLVM_ATTRIBUTE_VISIBILITY_DEFAULT ::llvm::PassPluginLibraryInfo
    llvmGetPassPluginInfo() {
  return {LLVM_PLUGIN_API_VERSION, "tsmem", "0.1",
          [](PassBuilder &PB) { tsmem::registerTsmemPass(PB); }};
}
