//===- TsmemPass.cpp - The tsmem LLVM pass --------------------------------===//
//
// Placeholder until the pass lands.
//
//===----------------------------------------------------------------------===//
#include "TsmemPass.h"

#include "llvm/Passes/PassBuilder.h"
#include "llvm/Passes/PassPlugin.h"

void tsmem::registerTsmemPass(llvm::PassBuilder &) {}

extern "C" LLVM_ATTRIBUTE_WEAK LLVM_ATTRIBUTE_VISIBILITY_DEFAULT ::llvm::PassPluginLibraryInfo
llvmGetPassPluginInfo() {
  return {LLVM_PLUGIN_API_VERSION, "tsmem", "0.1",
          [](llvm::PassBuilder &PB) { tsmem::registerTsmemPass(PB); }};
}
