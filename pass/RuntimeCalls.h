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

#include "llvm/ADT/StringRef.h"
#include "llvm/IR/DerivedTypes.h"

namespace llvm {
class CallBase;
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
/// The name of the function Call calls directly, or "" for indirect calls.
llvm::StringRef calleeName(const llvm::CallBase &Call);

/// `ts_scope_id ts_scope_begin(void)`, declared if missing.
llvm::FunctionCallee getScopeBegin(llvm::Module &M);
/// `ts_status ts_scope_end(ts_scope_id)`, declared if missing.
llvm::FunctionCallee getScopeEnd(llvm::Module &M);

/// Makes every function annotated "tsmem.scope" one scope.
bool lowerScopedFunctions(llvm::Module &M);
/// Drops the scopes of functions that provably register no tensor.
bool removeEmptyScopes(llvm::Module &M);
/// Tells each call that makes a tensor where it was written: lines from
/// Source (the front end's, may be null) or from debug locations.
bool recordAllocationSites(llvm::Module &M, const SourceSites *Source);

} // namespace tsmem

#endif // TSMEM_PASS_RUNTIMECALLS_H
