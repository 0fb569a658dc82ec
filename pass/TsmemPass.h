//===- TsmemPass.h - The tsmem LLVM pass ------------------------*- C++ -*-===//
//
// The IR half of tsmem: lowers functions annotated "tsmem.scope" into scopes,
// records allocation sites, and drops scopes that provably register nothing.
// Loaded by `clang -fplugin=tsmem.so` (through CodeGenOptions'
// PassBuilderCallbacks) and by `opt -load-pass-plugin=tsmem.so -passes=tsmem`.
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_PASS_TSMEMPASS_H
#define TSMEM_PASS_TSMEMPASS_H

#include "SourceSites.h"

#include <memory>

namespace llvm {
class PassBuilder;
} // namespace llvm

namespace tsmem {

/// Adds the tsmem pass to the pipelines PB builds (clang's -fplugin route),
/// and the name "tsmem" for -passes= (opt's route). Source: the allocation
/// sites the front end saw (clang's route), filled before the pipeline runs.
void registerTsmemPass(llvm::PassBuilder &PB,
                       std::shared_ptr<const SourceSites> Source = nullptr);

} // namespace tsmem

#endif // TSMEM_PASS_TSMEMPASS_H
