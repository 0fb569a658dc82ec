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

namespace llvm {
class PassBuilder;
} // namespace llvm

namespace tsmem {

/// Adds the tsmem pass to the pipelines PB builds (clang's -fplugin route),
/// and the name "tsmem" for -passes= (opt's route). StripLocations: the
/// source locations exist only for the allocation sites (the plugin asked
/// for them, the user did not), so the pass removes them once it has
/// recorded the sites, and the rest of the pipeline does not carry them.
void registerTsmemPass(llvm::PassBuilder &PB, bool StripLocations = false);

} // namespace tsmem

#endif // TSMEM_PASS_TSMEMPASS_H
