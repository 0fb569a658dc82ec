//===- RuntimeCalls.h - The tsmem runtime as the pass sees it ---*- C++ -*-===//
//
// Names and declarations of the runtime functions the pass inserts or
// reasons about, and the three module transformations of the tsmem pass,
// one per file: ScopeLowering.cpp, EmptyScopes.cpp, AllocationSites.cpp.
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_PASS_RUNTIMECALLS_H
#define TSMEM_PASS_RUNTIMECALLS_H

#include "SourceSites.h"

#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/IR/DerivedTypes.h"

namespace llvm {
class CallBase;
class Function;
class Module;
} // namespace llvm

namespace tsmem {

constexpr llvm::StringLiteral ScopeBeginName = "ts_scope_begin";
constexpr llvm::StringLiteral ScopeEndName = "ts_scope_end";
/// The cleanup function of TS_SCOPE_GUARD() (tsmem.h): ends the scope whose
/// id its argument points to.
constexpr llvm::StringLiteral GuardEndName = "ts__scope_guard_end";
/// The annotation TS_SCOPED puts on a function.
constexpr llvm::StringLiteral ScopedAnnotation = "tsmem.scope";
/// The annotation tsmem.h puts on every function it declares, and the
/// function attribute the pass puts on the declarations it adds.
constexpr llvm::StringLiteral RuntimeAnnotation = "tsmem.runtime";

/// The functions of a module that annotate(Annotation) marks, as clang
/// records them in llvm.global.annotations (declarations too, when used).
llvm::SmallPtrSet<llvm::Function *, 16>
annotatedFunctions(llvm::Module &M, llvm::StringRef Annotation);

/// The functions of a module that are tsmem's own: declared by tsmem.h
/// (annotated "tsmem.runtime") or added by the pass. The pass acts on these
/// only, never on a name alone: a file without tsmem.h may have its own
/// ts_add.
class RuntimeFunctions {
  llvm::SmallPtrSet<llvm::Function *, 16> Functions;

public:
  explicit RuntimeFunctions(llvm::Module &M);
  bool contains(const llvm::Function *F) const;
  /// The name of the tsmem function Call calls directly, or "".
  llvm::StringRef calleeName(const llvm::CallBase &Call) const;
  /// Marks F, a declaration the pass added, as tsmem's.
  void add(llvm::Function *F);
};

/// A TS_OWNED runtime function (OwnedCalls.def): each call makes a tensor.
bool isOwnedFunction(llvm::StringRef Name);
/// How many of an owned function's leading parameters are tensors.
unsigned ownedTensorParams(llvm::StringRef Name);
/// An external function that makes and registers no tensor
/// (TensorFreeCalls.def).
bool isTensorFreeFunction(llvm::StringRef Name);
/// The runtime's twin of an owned function that also takes its allocation
/// site: ts_add -> ts__add_at (runtime/sites.c).
std::string siteTwinName(llvm::StringRef Owned);
/// Whether Name is such a twin.
bool isSiteTwinName(llvm::StringRef Name);

/// `ts_scope_id ts_scope_begin(void)`, declared if missing.
llvm::FunctionCallee getScopeBegin(llvm::Module &M, RuntimeFunctions &Runtime);
/// `ts_status ts_scope_end(ts_scope_id)`, declared if missing.
llvm::FunctionCallee getScopeEnd(llvm::Module &M, RuntimeFunctions &Runtime);

/// Makes every function annotated "tsmem.scope" one scope.
bool lowerScopedFunctions(llvm::Module &M, RuntimeFunctions &Runtime);
/// Drops scope begin/end pairs that provably own and change nothing.
bool removeEmptyScopes(llvm::Module &M, RuntimeFunctions &Runtime);
/// Tells each call that makes a tensor where it was written: lines from
/// Source (the front end's, may be null) or from debug locations.
bool recordAllocationSites(llvm::Module &M, const SourceSites *Source,
                           RuntimeFunctions &Runtime);

} // namespace tsmem

#endif // TSMEM_PASS_RUNTIMECALLS_H
