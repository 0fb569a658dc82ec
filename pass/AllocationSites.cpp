//===- AllocationSites.cpp - file:line for every tensor the code makes ----===//
//
// Before each call that makes a tensor (OwnedCalls.def) or begins a scope,
// inserts `call void @ts__set_site(ptr @site)`, where @site is a private
// constant laid out as tsmem.h's struct ts__site: {file, function, line}.
// The runtime keeps the pending site for the tensor or scope the next call
// makes, so the leak report can say `file:line in function`. Locations come
// from the call's DILocation, which the plugin asks for even without -g;
// calls without one are left alone.
//
//===----------------------------------------------------------------------===//
#include "RuntimeCalls.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"

#include <map>
#include <tuple>

using namespace llvm;

namespace {

/// The site constants of one module, one per distinct file, function, line.
class SiteTable {
  Module &M;
  StructType *SiteTy;
  StringMap<Constant *> Strings;
  std::map<std::tuple<std::string, std::string, unsigned>, Constant *> Sites;

public:
  explicit SiteTable(Module &M)
      : M(M), SiteTy(StructType::get(PointerType::getUnqual(M.getContext()),
                                     PointerType::getUnqual(M.getContext()),
                                     Type::getInt32Ty(M.getContext()))) {}

  Constant *get(StringRef File, StringRef Function, unsigned Line);

private:
  Constant *string(StringRef S);
};

Constant *SiteTable::string(StringRef S) {
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

Constant *SiteTable::get(StringRef File, StringRef Function, unsigned Line) {
  Constant *&Site = Sites[{File.str(), Function.str(), Line}];
  if (!Site) {
    Constant *Fields[] = {
        string(File), string(Function),
        ConstantInt::get(Type::getInt32Ty(M.getContext()), Line)};
    auto *GV = new GlobalVariable(
        M, SiteTy, /*isConstant=*/true, GlobalValue::PrivateLinkage,
        ConstantStruct::get(SiteTy, Fields), "tsmem.site");
    GV->setUnnamedAddr(GlobalValue::UnnamedAddr::Global);
    Site = GV;
  }
  return Site;
}

bool needsSite(const CallBase &Call) {
  StringRef Name = tsmem::calleeName(Call);
  return Name == tsmem::ScopeBeginName || tsmem::isOwnedFunction(Name);
}

/// Already recorded, by an earlier run of the pass.
bool hasSite(const CallBase &Call) {
  auto *Prev = dyn_cast_or_null<CallBase>(Call.getPrevNode());
  return Prev && tsmem::calleeName(*Prev) == tsmem::SetSiteName;
}

/// The function the call is written in, as the user spelled it.
StringRef functionName(const DILocation &Loc, const Function &F) {
  if (DISubprogram *SP = Loc.getScope()->getSubprogram())
    if (!SP->getName().empty())
      return SP->getName();
  return F.getName();
}

} // namespace

bool tsmem::recordAllocationSites(Module &M) {
  SiteTable Sites(M);
  FunctionCallee SetSite;
  bool Changed = false;
  for (Function &F : M) {
    SmallVector<CallBase *, 16> Calls;
    for (Instruction &I : instructions(F))
      if (auto *Call = dyn_cast<CallBase>(&I);
          Call && needsSite(*Call) && Call->getDebugLoc() && !hasSite(*Call))
        Calls.push_back(Call);
    for (CallBase *Call : Calls) {
      const DILocation *Loc = Call->getDebugLoc().get();
      if (!SetSite)
        SetSite = getSetSite(M);
      Constant *Site =
          Sites.get(Loc->getFilename(), functionName(*Loc, F), Loc->getLine());
      CallInst *Set = CallInst::Create(SetSite, {Site}, "", Call);
      Set->setDebugLoc(Call->getDebugLoc());
      Changed = true;
    }
  }
  return Changed;
}
