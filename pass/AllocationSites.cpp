//===- AllocationSites.cpp - file:line for every tensor the code makes ----===//
//
// Each call that makes a tensor (OwnedCalls.def) is told where it was
// written: `call @ts_add(a, b)` becomes `call @ts__add_at(a, b, i64 site)`,
// the runtime's twin (runtime/sites.c) with one more argument. The site is
// a constant, the key of the function's sites (a hash of file and function
// name) with the line in its low bits. The module's sites, laid out as
// tsmem.h's ts__sites {key, file, function}, go in one private array that a
// constructor registers with the runtime (and a destructor unregisters, for
// dlclose), so the leak report can say `file:line in function`.
//
// One immediate argument is the cheapest way to carry a site: at -O0 a
// separate call per site costs code generation about three times as much,
// and so does a pointer into a table (bench/compile/site-codegen.py).
// Cheaper still is none: a call whose tensor goes straight into another
// owned call written on the same line, as ts_matmul's in
// `ts_relu(ts_matmul(x, w))`, stays as it is, and the outer twin's site
// carries a stamp bit that tells the runtime to give that argument the same
// site (which is exactly the site it would have had).
//
// Only tsmem's own functions count (RuntimeFunctions): a file without
// tsmem.h may have a ts_add of its own.
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
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/xxhash.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"

using namespace llvm;

namespace {

/// tsmem.h's site layout: key | stamp bits | line.
constexpr unsigned SiteLineBits = 20;
constexpr unsigned SiteStampBits = 2;
constexpr uint64_t MaxSiteLine = (uint64_t(1) << SiteLineBits) - 1;
constexpr uint64_t SiteKeyMask =
    ~((uint64_t(1) << (SiteLineBits + SiteStampBits)) - 1);

/// Where one call was written.
struct Site {
  StringRef File, Function;
  unsigned Line = 0;
};

/// The module's ts__sites, one per (file, function), registered with the
/// runtime when the program starts. Their names go in one string of the
/// module's: a global for each would cost code generation more.
class SitesTable {
  /// One ts__sites until emit() builds it: the key and where its file and
  /// function names start in Names.
  struct Entry {
    uint64_t Key;
    uint64_t File, Function;
  };

  Module &M;
  StringMap<uint64_t> Offsets;
  std::string Names;
  DenseMap<std::pair<const char *, const char *>, uint64_t> Keys;
  std::vector<Entry> Entries;

public:
  explicit SitesTable(Module &M) : M(M) {}

  /// The site constant for Line in Function of File.
  uint64_t site(const Site &S) {
    return key(S.File, S.Function) | std::min<uint64_t>(S.Line, MaxSiteLine);
  }
  /// Emits the array and its constructor and destructor.
  void emit();

private:
  uint64_t key(StringRef File, StringRef Function);
  uint64_t offset(StringRef S);
};

uint64_t SitesTable::key(StringRef File, StringRef Function) {
  uint64_t &Key = Keys[{File.data(), Function.data()}];
  if (!Key) {
    // A hash, so that units need no coordination; 42 bits make a clash
    // (which would only misname a report line) unlikely.
    std::string Name = (File + Twine('\0') + Function).str();
    Key = xxh3_64bits(Name) & SiteKeyMask;
    if (!Key)
      Key = ~SiteKeyMask + 1; // 0 means no site
    Entries.push_back({Key, offset(File), offset(Function)});
  }
  return Key;
}

uint64_t SitesTable::offset(StringRef S) {
  auto [It, New] = Offsets.try_emplace(S, Names.size());
  if (New) {
    Names += S;
    Names += '\0';
  }
  return It->second;
}

void SitesTable::emit() {
  if (Entries.empty())
    return;
  LLVMContext &Ctx = M.getContext();
  Type *Ptr = PointerType::getUnqual(Ctx), *I64 = Type::getInt64Ty(Ctx);
  Constant *Init = ConstantDataArray::getString(Ctx, Names,
                                                /*AddNull=*/false);
  auto *NamesVar =
      new GlobalVariable(M, Init->getType(), /*isConstant=*/true,
                         GlobalValue::PrivateLinkage, Init, "tsmem.site.names");
  NamesVar->setUnnamedAddr(GlobalValue::UnnamedAddr::Global);
  NamesVar->setAlignment(Align(1));
  auto Name = [&](uint64_t Offset) {
    return ConstantExpr::getInBoundsGetElementPtr(
        Init->getType(), NamesVar,
        ArrayRef<Constant *>{ConstantInt::get(I64, 0),
                             ConstantInt::get(I64, Offset)});
  };
  auto *EntryTy = StructType::get(I64, Ptr, Ptr);
  std::vector<Constant *> Rows;
  for (const Entry &E : Entries)
    Rows.push_back(
        ConstantStruct::get(EntryTy, {ConstantInt::get(I64, E.Key),
                                      Name(E.File), Name(E.Function)}));
  auto *Ty = ArrayType::get(EntryTy, Rows.size());
  auto *Table = new GlobalVariable(M, Ty, /*isConstant=*/true,
                                   GlobalValue::PrivateLinkage,
                                   ConstantArray::get(Ty, Rows), "tsmem.sites");
  auto Hook = [&](StringRef Name, FunctionCallee Runtime,
                  ArrayRef<Value *> Args) {
    Function *F = Function::createWithDefaultAttr(
        FunctionType::get(Type::getVoidTy(Ctx), false),
        GlobalValue::InternalLinkage,
        M.getDataLayout().getProgramAddressSpace(), Name, &M);
    IRBuilder<> B(BasicBlock::Create(Ctx, "", F));
    B.CreateCall(Runtime, Args);
    B.CreateRetVoid();
    return F;
  };
  appendToGlobalCtors(
      M,
      Hook("tsmem.register_sites",
           M.getOrInsertFunction("ts__register_sites", Type::getVoidTy(Ctx),
                                 Ptr, I64),
           {Table, ConstantInt::get(I64, Entries.size())}),
      /*Priority=*/65535);
  appendToGlobalDtors(M,
                      Hook("tsmem.unregister_sites",
                           M.getOrInsertFunction("ts__unregister_sites",
                                                 Type::getVoidTy(Ctx), Ptr),
                           {Table}),
                      /*Priority=*/65535);
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
                 std::get<1>(Pair)->getCalledFunction()->getName();
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

/// Each owned function of the module, with how many leading tensor
/// parameters it has.
using OwnedFunctions = SmallDenseMap<const Function *, unsigned, 16>;
/// Each owned call of a function, with its position in the list.
using CallIndex = SmallDenseMap<const Value *, unsigned, 16>;

/// The stamp bits of Call: bit K when its tensor argument K is the result of
/// a call in Stamped.
uint64_t stampFlags(const CallInst &Call, ArrayRef<bool> Stamped,
                    const CallIndex &Index, const OwnedFunctions &Owned) {
  uint64_t Flags = 0;
  unsigned Tensors =
      std::min(Owned.lookup(Call.getCalledFunction()), SiteStampBits);
  for (unsigned K = 0; K < Tensors && K < Call.arg_size(); ++K) {
    const Value *Arg = Call.getArgOperand(K);
    if (!isa<CallInst>(Arg))
      continue;
    auto It = Index.find(Arg);
    if (It != Index.end() && Stamped[It->second])
      Flags |= uint64_t(1) << K;
  }
  return Flags << SiteLineBits;
}

/// Whether Call's tensor goes only into a twin whose site stamps it: a call
/// an earlier run of the pass left without a site of its own.
bool isStampedByTwin(const CallInst &Call,
                     const tsmem::RuntimeFunctions &Runtime) {
  if (!Call.hasOneUse())
    return false;
  const Use &U = *Call.use_begin();
  const auto *Twin = dyn_cast<CallInst>(U.getUser());
  const Function *Callee = Twin ? Twin->getCalledFunction() : nullptr;
  if (!Callee || !Twin->isArgOperand(&U) || U.getOperandNo() >= SiteStampBits ||
      !Runtime.contains(Callee) || !tsmem::isSiteTwinName(Callee->getName()))
    return false;
  const auto *Site =
      dyn_cast<ConstantInt>(Twin->getArgOperand(Twin->arg_size() - 1));
  return Site && Site->getZExtValue() >> (SiteLineBits + U.getOperandNo()) & 1;
}

/// The calls among Calls (with their Sites) that need no site argument: the
/// only use of each is tensor argument 0 or 1 of another of Calls with the same
/// site, which stays a twin and stamps it. Leaves go first: in
/// ts_relu(ts_add(ts_matmul(x, w), b)) on one line, ts_matmul needs none,
/// ts_add stamps it and ts_relu has its own site.
SmallVector<bool, 16> stampedCalls(ArrayRef<CallInst *> Calls,
                                   ArrayRef<uint64_t> Sites,
                                   const CallIndex &Index,
                                   const OwnedFunctions &Owned) {
  SmallVector<bool, 16> Stamped(Calls.size());
  for (auto [I, Call] : llvm::enumerate(Calls)) {
    // A call that stamps an argument must stay a twin.
    if (!Sites[I] || stampFlags(*Call, Stamped, Index, Owned) ||
        !Call->hasOneUse())
      continue;
    const Use &U = *Call->use_begin();
    auto It = Index.find(U.getUser());
    if (It == Index.end() || Stamped[It->second] ||
        Sites[It->second] != Sites[I])
      continue;
    const auto *Outer = cast<CallInst>(U.getUser());
    unsigned Arg = U.getOperandNo();
    Stamped[I] = Outer->isArgOperand(&U) && Arg < SiteStampBits &&
                 Arg < Owned.lookup(Outer->getCalledFunction());
  }
  return Stamped;
}

/// Turns owned calls into calls of their twins (ts__<name>_at), which take
/// the site as one more argument.
class TwinCalls {
  Module &M;
  LLVMContext &Ctx;
  tsmem::RuntimeFunctions &Runtime;
  DenseMap<const Function *, FunctionCallee> Twins;

public:
  TwinCalls(Module &M, tsmem::RuntimeFunctions &Runtime)
      : M(M), Ctx(M.getContext()), Runtime(Runtime) {}

  void replace(CallInst &Call, uint64_t Site) {
    SmallVector<Value *, 8> Args(Call.args());
    Args.push_back(ConstantInt::get(Type::getInt64Ty(Ctx), Site));
    CallInst *New =
        CallInst::Create(twinOf(Call), Args, "", Call.getIterator());
    // The same attributes: the list has none for the argument past its end.
    New->setAttributes(Call.getAttributes());
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
      Params.push_back(Type::getInt64Ty(Ctx));
      Twin = M.getOrInsertFunction(
          tsmem::siteTwinName(Call.getCalledFunction()->getName()),
          FunctionType::get(Ty->getReturnType(), Params, /*isVarArg=*/false));
      // Known as tsmem's, so that a second run recognises it.
      if (auto *F = dyn_cast<Function>(Twin.getCallee()))
        Runtime.add(F);
    }
    return Twin;
  }
};

} // namespace

bool tsmem::recordAllocationSites(Module &M, const SourceSites *Source,
                                  RuntimeFunctions &Runtime) {
  // Only functions that call an owned function, found from its users.
  OwnedFunctions Owned;
  SmallPtrSet<const Function *, 32> Callers;
  for (Function &F : M)
    if (Runtime.contains(&F) && isOwnedFunction(F.getName())) {
      Owned[&F] = ownedTensorParams(F.getName());
      for (User *U : F.users())
        if (auto *Call = dyn_cast<CallInst>(U))
          Callers.insert(Call->getFunction());
    }
  SitesTable Table(M);
  TwinCalls Twins(M, Runtime);
  bool Changed = false;
  for (Function &F : M) {
    if (!Callers.contains(&F))
      continue;
    SmallVector<CallInst *, 16> Calls;
    for (Instruction &I : instructions(F))
      if (auto *Call = dyn_cast<CallInst>(&I);
          Call && Owned.count(Call->getCalledFunction()) &&
          !isStampedByTwin(*Call, Runtime))
        Calls.push_back(Call);
    SmallVector<uint64_t, 16> Sites;
    for (const Site &S : sitesOf(F, Calls, Source))
      Sites.push_back(S.Line ? Table.site(S) : 0);
    CallIndex Index;
    for (auto [I, Call] : llvm::enumerate(Calls))
      Index[Call] = I;
    SmallVector<bool, 16> Stamped = stampedCalls(Calls, Sites, Index, Owned);
    // Flags first: replacing a call changes its users' operands.
    SmallVector<uint64_t, 16> Flags;
    for (CallInst *Call : Calls)
      Flags.push_back(stampFlags(*Call, Stamped, Index, Owned));
    for (auto [I, Call] : llvm::enumerate(Calls))
      if (Sites[I] && !Stamped[I]) {
        Twins.replace(*Call, Sites[I] | Flags[I]);
        Changed = true;
      }
  }
  Table.emit();
  return Changed;
}
