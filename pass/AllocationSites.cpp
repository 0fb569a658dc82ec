//===- AllocationSites.cpp - file:line for every tensor the code makes ----===//
//
// Each call that makes a tensor (OwnedCalls.def) is told where it was
// written: `call @ts_add(a, b)` in function f becomes
// `call @ts__add_at(a, b, ptr @tsmem.sites, i32 line)`, where @tsmem.sites
// is a private constant laid out as tsmem.h's ts__sites: {file, function},
// one per function. The runtime's twin (runtime/sites.c) keeps the site for
// the tensor, and the leak report says `file:line in function`.
//
// One more argument is the cheapest way to carry a site: a separate call
// per site, or a constant per call, cost clang -O0 several times as much.
//
// Lines come from the front end (SourceSites.h) when clang runs the pass,
// else from the calls' debug locations (opt on IR built with -g); calls
// with neither are left alone.
//
//===----------------------------------------------------------------------===//
#include "RuntimeCalls.h"
#include "SourceSites.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"

using namespace llvm;

namespace {

/// Where one call was written.
struct Site {
  StringRef File, Function;
  unsigned Line = 0;
};

/// The ts__sites constants of one module, one per (file, function).
class SitesTable {
  Module &M;
  StructType *SitesTy;
  StringMap<Constant *> Strings;
  DenseMap<std::pair<Constant *, Constant *>, Constant *> Groups;

public:
  explicit SitesTable(Module &M)
      : M(M), SitesTy(StructType::get(PointerType::getUnqual(M.getContext()),
                                      PointerType::getUnqual(M.getContext()))) {
  }

  Constant *get(StringRef File, StringRef Function);

private:
  Constant *string(StringRef S);
};

Constant *SitesTable::string(StringRef S) {
  Constant *&Global = Strings[S];
  if (!Global) {
    auto *GV = new GlobalVariable(
        M, ArrayType::get(Type::getInt8Ty(M.getContext()), S.size() + 1),
        /*isConstant=*/true, GlobalValue::PrivateLinkage,
        ConstantDataArray::getString(M.getContext(), S), "tsmem.site.str");
    GV->setUnnamedAddr(GlobalValue::UnnamedAddr::Global);
    GV->setAlignment(Align(1));
    Global = GV;
  }
  return Global;
}

Constant *SitesTable::get(StringRef File, StringRef Function) {
  Constant *FileStr = string(File), *FunctionStr = string(Function);
  Constant *&Group = Groups[{FileStr, FunctionStr}];
  if (!Group) {
    auto *GV = new GlobalVariable(
        M, SitesTy, /*isConstant=*/true, GlobalValue::PrivateLinkage,
        ConstantStruct::get(SitesTy, {FileStr, FunctionStr}), "tsmem.sites");
    GV->setUnnamedAddr(GlobalValue::UnnamedAddr::Global);
    Group = GV;
  }
  return Group;
}

/// The function a call is written in, as the user spelled it.
StringRef functionName(const DILocation &Loc, const Function &F) {
  if (DISubprogram *SP = Loc.getScope()->getSubprogram())
    if (!SP->getName().empty())
      return SP->getName();
  return F.getName();
}

/// The sites of Calls (F's tensor-making calls in order): the front end's
/// if they match callee for callee, else the debug locations'. Calls
/// without a site get Line 0.
std::vector<Site> sitesOf(const Function &F, ArrayRef<CallInst *> Calls,
                          const tsmem::SourceSites *Source) {
  std::vector<Site> Sites(Calls.size());
  if (Source) {
    auto It = Source->find(F.getName());
    if (It != Source->end() && It->second.Calls.size() == Calls.size() &&
        llvm::all_of(llvm::zip(It->second.Calls, Calls), [](auto Pair) {
          return std::get<0>(Pair).Callee ==
                 tsmem::calleeName(*std::get<1>(Pair));
        })) {
      for (auto [Out, In] : llvm::zip(Sites, It->second.Calls))
        Out = {In.File, It->second.Name, In.Line};
      return Sites;
    }
  }
  for (auto [Out, Call] : llvm::zip(Sites, Calls))
    if (const DILocation *Loc = Call->getDebugLoc().get())
      Out = {Loc->getFilename(), functionName(*Loc, F), Loc->getLine()};
  return Sites;
}

/// Turns owned calls into calls of their twins (ts__<name>_at), which take
/// the site as two more arguments.
class TwinCalls {
  Module &M;
  LLVMContext &Ctx;
  DenseMap<const Function *, FunctionCallee> Twins;

public:
  explicit TwinCalls(Module &M) : M(M), Ctx(M.getContext()) {}

  void replace(CallInst &Call, Constant *Group, unsigned Line) {
    SmallVector<Value *, 8> Args(Call.args());
    Args.push_back(Group);
    Args.push_back(ConstantInt::get(Type::getInt32Ty(Ctx), Line));
    CallInst *New =
        CallInst::Create(twinOf(Call), Args, "", Call.getIterator());
    // The same attributes; none on the two new arguments.
    AttributeList Attrs = Call.getAttributes();
    if (!Attrs.isEmpty()) {
      SmallVector<AttributeSet, 8> ParamAttrs;
      for (unsigned I = 0; I < Call.arg_size(); ++I)
        ParamAttrs.push_back(Attrs.getParamAttrs(I));
      ParamAttrs.resize(Args.size());
      New->setAttributes(AttributeList::get(Ctx, Attrs.getFnAttrs(),
                                            Attrs.getRetAttrs(), ParamAttrs));
    }
    New->setCallingConv(Call.getCallingConv());
    New->setDebugLoc(Call.getDebugLoc());
    New->takeName(&Call);
    Call.replaceAllUsesWith(New);
    Call.eraseFromParent();
  }

private:
  FunctionCallee twinOf(CallInst &Call) {
    FunctionCallee &Twin = Twins[Call.getCalledFunction()];
    if (!Twin) {
      FunctionType *Ty = Call.getFunctionType();
      SmallVector<Type *, 8> Params(Ty->params());
      Params.push_back(PointerType::getUnqual(Ctx));
      Params.push_back(Type::getInt32Ty(Ctx));
      Twin = M.getOrInsertFunction(
          tsmem::siteTwinName(tsmem::calleeName(Call)),
          FunctionType::get(Ty->getReturnType(), Params, /*isVarArg=*/false));
    }
    return Twin;
  }
};

} // namespace

bool tsmem::recordAllocationSites(Module &M, const SourceSites *Source) {
  // Only functions that call an owned function, found from its users.
  SmallPtrSet<const Function *, 16> Owned;
  SmallPtrSet<const Function *, 32> Callers;
  for (Function &F : M)
    if (isOwnedFunction(F.getName())) {
      Owned.insert(&F);
      for (User *U : F.users())
        if (auto *Call = dyn_cast<CallInst>(U))
          Callers.insert(Call->getFunction());
    }
  SitesTable Table(M);
  TwinCalls Twins(M);
  bool Changed = false;
  for (Function &F : M) {
    if (!Callers.contains(&F))
      continue;
    SmallVector<CallInst *, 16> Calls;
    for (Instruction &I : instructions(F))
      if (auto *Call = dyn_cast<CallInst>(&I);
          Call && Owned.contains(Call->getCalledFunction()))
        Calls.push_back(Call);
    std::vector<Site> Sites = sitesOf(F, Calls, Source);
    for (auto [Call, S] : llvm::zip(Calls, Sites))
      if (S.Line) {
        Twins.replace(*Call, Table.get(S.File, S.Function), S.Line);
        Changed = true;
      }
  }
  return Changed;
}
