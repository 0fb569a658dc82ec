//===- RuntimeCalls.cpp - The tsmem runtime as the pass sees it -----------===//
//
// The lists of runtime functions (OwnedCalls.def, TensorFreeCalls.def) and
// the declarations the pass adds when it inserts runtime calls.
//
//===----------------------------------------------------------------------===//
#include "RuntimeCalls.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/IR/Constants.h"
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

} // namespace

SmallPtrSet<Function *, 16> tsmem::annotatedFunctions(Module &M,
                                                      StringRef Annotation) {
  SmallPtrSet<Function *, 16> Result;
  GlobalVariable *Annotations = M.getNamedGlobal("llvm.global.annotations");
  if (!Annotations || !Annotations->hasInitializer())
    return Result;
  auto *Entries = dyn_cast<ConstantArray>(Annotations->getInitializer());
  if (!Entries)
    return Result;
  for (const Use &U : Entries->operands()) {
    auto *Entry = dyn_cast<ConstantStruct>(U.get());
    if (!Entry || Entry->getNumOperands() < 2 ||
        annotationString(Entry->getOperand(1)) != Annotation)
      continue;
    if (auto *F = dyn_cast<Function>(Entry->getOperand(0)->stripPointerCasts()))
      Result.insert(F);
  }
  return Result;
}

tsmem::RuntimeFunctions::RuntimeFunctions(Module &M)
    : Functions(annotatedFunctions(M, RuntimeAnnotation)) {
  for (Function &F : M)
    if (F.hasFnAttribute(RuntimeAnnotation))
      Functions.insert(&F);
}

bool tsmem::RuntimeFunctions::contains(const Function *F) const {
  return F && Functions.contains(F);
}

StringRef tsmem::RuntimeFunctions::calleeName(const CallBase &Call) const {
  const Function *F = Call.getCalledFunction();
  return contains(F) ? F->getName() : "";
}

void tsmem::RuntimeFunctions::add(Function *F) {
  F->addFnAttr(RuntimeAnnotation);
  Functions.insert(F);
}

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

namespace {

/// Name's declaration, added if missing, and known as tsmem's: only a
/// translation unit that includes tsmem.h (TS_SCOPED) gets here.
FunctionCallee runtimeFunction(Module &M, tsmem::RuntimeFunctions &Runtime,
                               StringRef Name, FunctionType *Ty) {
  FunctionCallee Callee = M.getOrInsertFunction(Name, Ty);
  if (auto *F = dyn_cast<Function>(Callee.getCallee()))
    Runtime.add(F);
  return Callee;
}

} // namespace

FunctionCallee tsmem::getScopeBegin(Module &M, RuntimeFunctions &Runtime) {
  return runtimeFunction(
      M, Runtime, ScopeBeginName,
      FunctionType::get(Type::getInt64Ty(M.getContext()), false));
}

FunctionCallee tsmem::getScopeEnd(Module &M, RuntimeFunctions &Runtime) {
  LLVMContext &Ctx = M.getContext();
  return runtimeFunction(
      M, Runtime, ScopeEndName,
      FunctionType::get(Type::getInt32Ty(Ctx), {Type::getInt64Ty(Ctx)}, false));
}
