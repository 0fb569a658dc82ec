//===- RuntimeCalls.cpp - The tsmem runtime as the pass sees it -----------===//
//
// The lists of runtime functions (OwnedCalls.def, TensorFreeCalls.def) and
// the declarations the pass adds when it inserts runtime calls.
//
//===----------------------------------------------------------------------===//
#include "RuntimeCalls.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/IR/InstrTypes.h"
#include "llvm/IR/Module.h"

using namespace llvm;

namespace {

/// Owned function -> how many leading tensor parameters it has.
const StringMap<unsigned> &ownedFunctions() {
  static const StringMap<unsigned> Names = {
#define TSMEM_OWNED(Name, Tensors) {#Name, Tensors},
#include "OwnedCalls.def"
// The generated operators of <tsmem/ops.h> that make tensors (tools/gen-ops).
#define TSMEM_OWNED(Name, Tensors) {#Name, Tensors},
#include "GeneratedOwnedCalls.def"
#undef TSMEM_OWNED
  };
  return Names;
}

const StringSet<> &tensorFreeFunctions() {
  static const StringSet<> Names = {
#define TSMEM_TENSOR_FREE(Name) #Name,
#include "TensorFreeCalls.def"
  };
  return Names;
}

} // namespace

bool tsmem::isOwnedFunction(StringRef Name) {
  return ownedFunctions().contains(Name);
}

unsigned tsmem::ownedTensorParams(StringRef Name) {
  return ownedFunctions().lookup(Name);
}

bool tsmem::isTensorFreeFunction(StringRef Name) {
  return tensorFreeFunctions().contains(Name);
}

std::string tsmem::siteTwinName(StringRef Owned) {
  Owned.consume_front("ts_");
  return ("ts__" + Owned + "_at").str();
}

bool tsmem::isSiteTwinName(StringRef Name) {
  return Name.starts_with("ts__") && Name.ends_with("_at") &&
         isOwnedFunction(("ts_" + Name.drop_front(4).drop_back(3)).str());
}

StringRef tsmem::calleeName(const CallBase &Call) {
  if (const Function *F = Call.getCalledFunction())
    return F->getName();
  return "";
}

FunctionCallee tsmem::getScopeBegin(Module &M) {
  return M.getOrInsertFunction(ScopeBeginName,
                               Type::getInt64Ty(M.getContext()));
}

FunctionCallee tsmem::getScopeEnd(Module &M) {
  LLVMContext &Ctx = M.getContext();
  return M.getOrInsertFunction(ScopeEndName, Type::getInt32Ty(Ctx),
                               Type::getInt64Ty(Ctx));
}
