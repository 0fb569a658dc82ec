//===- SourceSites.h - Tensor calls as the front end saw them ---*- C++ -*-===//
//
// The allocation sites the Clang half of the plugin hands to the pass: for
// each function, the tensor-making calls in the order Clang's code generator
// emits them, with the line each was written on. The pass pairs them with
// the calls it finds in the IR, so a compile without -g needs no source
// locations on every instruction (which cost more than the rest of the
// plugin). A function whose IR calls do not match, callee for callee, gets
// its sites from debug locations if there are any, else none.
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_PASS_SOURCESITES_H
#define TSMEM_PASS_SOURCESITES_H

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"

#include <vector>

namespace tsmem {

/// One tensor-making call. The strings live in Clang's AST and source
/// manager, which outlive code generation and the pass.
struct SourceCall {
  llvm::StringRef Callee;
  llvm::StringRef File;
  unsigned Line;
};

struct SourceFunction {
  /// The name as written (the IR name may differ, e.g. with an asm label).
  llvm::StringRef Name;
  std::vector<SourceCall> Calls;
};

/// Keyed by the function's IR (symbol) name.
using SourceSites = llvm::StringMap<SourceFunction>;

} // namespace tsmem

#endif // TSMEM_PASS_SOURCESITES_H
