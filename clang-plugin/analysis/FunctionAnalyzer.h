//===- FunctionAnalyzer.h - The analysis of one function --------*- C++ -*-===//
//
// The state of one function's analysis, shared by its parts:
//   AnalysisState.{h,cpp}  the lattice, its persistent maps and the join;
//   CfgDecode.cpp          the CFG read into ops and ranked blocks;
//   Transfer.cpp           what each op does to the state (calls:
//                          TransferCalls.cpp; effects on objects and
//                          scopes: Effects.cpp; blocks, exits and edges:
//                          TransferBlocks.cpp);
//   Checks.cpp             when a state is a bug, and the reports
//                          (Checks.def holds the names and messages);
//   FunctionAnalysis.cpp   the worklist to the fixpoint, then reporting.
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_CLANG_PLUGIN_FUNCTIONANALYZER_H
#define TSMEM_CLANG_PLUGIN_FUNCTIONANALYZER_H

#include "AnalysisState.h"
#include "CfgDecode.h"
#include "Diagnostics.h"
#include "FunctionAnalysis.h"
#include "Locations.h"
#include "Paths.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/ParentMap.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/MapVector.h"

#include <memory>
#include <string>
#include <vector>

namespace tsmem {
namespace ownership {

class FunctionAnalyzer {
public:
  FunctionAnalyzer(const FunctionDecl *FD, BodyScope Scope,
                   const BodyFacts &Facts, CallModels &Models, ASTContext &Ctx,
                   Findings &Report, uint64_t Budget, bool CallsHelper,
                   FunctionSummary *Sum)
      : FD(FD), Scope(Scope), Facts(Facts), Models(Models), Ctx(Ctx),
        SM(Ctx.getSourceManager()), Report(Report), CallsHelper(CallsHelper),
        Sum(Sum), Budget(Budget) {}

  void run();
  /// Analyses on the paths where parameter Param holds Val on entry
  /// (summarizeWithFlag).
  void seedFlag(unsigned Param, int64_t Val) {
    SeedParam = int(Param);
    SeedVal = Val;
  }

private:
  int SeedParam = -1;
  int64_t SeedVal = 0;

  // Dataflow.
  State initialState();
  void decode(BlockInfo &BI);
  void transferBlock(const BlockInfo &BI);
  void exitTail(const BlockInfo &BI);
  void refineEdge(State &E, const BlockInfo &BI);
  void refineNull(State &E, LocKey L);
  /// Orders the reachable blocks (reverse post-order) and decodes each.
  void decodeBlocks();

  // Elements.
  void visitOp(const Op &O);
  void visitCall(const CallExpr *CE, const CallModel &M);
  /// CE frees the tensor from outside that place L holds (nothing known
  /// of it before): an object for it, freed (or released: Bit).
  void freeForeign(LocKey L, const CallExpr *CE, OwnerBit Bit = Freed);
  /// ts_scope_register_tensor of a local holding a tensor from outside:
  /// an object for it, owned by the current scope.
  void registerForeign(LocKey L);
  void visitAssign(const Expr *LHS, const Expr *RHS);
  void visitInit(const VarDecl *VD);
  void visitReturn(const ReturnStmt *RS);
  void visitLifetimeEnd(const VarDecl *VD, SourceLocation Loc);
  void functionEnd(const BlockInfo &BI);

  // Effects.
  void allocate(const CallExpr *CE);
  void handOn(const ObjSet &Os);
  /// Strength: 0 as the objects say, 1 a strong update, -1 a weak one.
  void consume(const ObjSet &Os, const CallExpr *CE, OwnerBit Bit,
               int Strength = 0);
  void escape(const ObjSet &Os);
  void registerInScope(const ObjSet &Os);
  void pushRegion(const void *Key, RegionKind Kind, SourceLocation Loc);
  void endRegion(const void *Key, SourceLocation EndLoc);
  void endOneRegion(const void *Key, SourceLocation EndLoc);
  void leaveRegion(const void *Key, bool Keep);
  bool isBoundToLocal(const CallExpr *CE) const;
  void collect(SourceLocation Loc, LeakCause Cause, const VarDecl *Dying);

  // Checks.
  bool mustBeIn(const ObjSet &Os, uint8_t Mask) const;
  bool checkUse(const ObjSet &Os, const Expr *Use, const CallExpr *Freeing);
  bool reportedElsewhere(const ObjSet &Os, const Expr *At) const;
  void markReported(const ObjSet &Os, const Expr *At);
  /// A use or free of "some element" (a variable index) that may name
  /// another element than the one freed before: no evidence of a bug.
  bool otherElement(const ObjSet &Os, const Expr *Use,
                    const CallExpr *Freeing) const;
  void reportLeak(ObjId Id, const Obj &O, SourceLocation Loc, LeakCause Cause,
                  const VarDecl *Dying);
  void reportUnescapedReturn(const Obj &O, const void *Region);
  /// The branches the current path took (Paths.cpp), as notes.
  void notePath();

  // Helpers.
  ObjSet eval(const Expr *E);
  bool isTracked(const VarDecl *VD) const { return trackedLoc(VD); }
  /// The place of a tracked tensor variable, else null.
  LocKey trackedLoc(const VarDecl *VD) const;
  /// The place E names, when the analysis follows it (else null).
  LocKey placeOf(const Expr *E) const;
  CallModel model(const CallExpr *CE) const { return Models.get(CE); }
  bool isScopeBeginCall(const Expr *E) const;
  bool isFullExpression(const Stmt *St) const;
  bool isStmtExprBody(const Stmt *St) const;
  const VarDecl *nullTestedVar(const Expr *C, bool &NullOnTrue) const;
  std::string siteName(ObjId Id) const;
  SourceLocation locOf(const Stmt *Trigger) const;

  const FunctionDecl *FD;
  BodyScope Scope;
  /// The collector's facts; or, when it has none (Known false), the
  /// analysis finds AddrTaken and UsesTsmem itself and asks Parents.
  const BodyFacts &Facts;
  CallModels &Models;
  ASTContext &Ctx;
  const SourceManager &SM;
  Findings &Report;
  bool CallsHelper;
  FunctionSummary *Sum;

  // The summary (Sum), at the fixpoint.
  /// The tensor parameters, by index (null: not a tracked tensor).
  llvm::SmallVector<const ParmVarDecl *, 4> TensorParams;
  /// What each return gives back, at its last transfer.
  enum ReturnKind : uint8_t { RetNull, RetMade, RetOther, RetCallerScoped };
  llvm::DenseMap<const ReturnStmt *, ReturnKind> ReturnKinds;
  /// Parameters whose tensor some return gives back (an alias for the
  /// caller).
  uint32_t ParamReturned = 0;
  /// Parameters whose tensor something other than a borrowing call took,
  /// on some path.
  uint32_t ParamTouched = 0;
  void touch(ObjId Id);
  /// For each block that ends the function (by rank), the owner bits of
  /// each parameter's tensor on the way out at its last transfer (0: not
  /// there: NULL on that path).
  llvm::DenseMap<unsigned, llvm::SmallVector<uint8_t, 4>> ExitBits;
  void noteExit(const BlockInfo &BI);
  void summarize();

  // Summaries.cpp: what same-file callees' summaries and scope kinds add.
  /// The objects a ts_escape took out of the function's own scope (TS_SCOPED
  /// or ts_run's): the caller's once returned.
  llvm::DenseSet<ObjId> EscapedOut;
  void noteEscapedOut(ObjId Id, const void *Region);
  /// What a return of Id gives the caller, for the summary.
  ReturnKind returnKindOf(ObjId Id) const;
  /// ts_keep: a scope's tensor becomes the function's (manual).
  void keep(const ObjSet &Os);
  /// A ts_run call whose callback returns a tensor the caller owns.
  bool runReturnsOwned(const CallExpr *CE) const;

  // Effects that depend on a helper's result; out-parameters.
  /// A new object for site index Idx (allocate()'s work).
  ObjId allocateSite(unsigned Idx);
  /// An argument a helper frees on some of its returns only.
  void condFree(const ObjSet &Os, const CallExpr *CE, const CallModel &M,
                unsigned I);
  /// The out-parameters of a helper's call.
  void outParams(const CallExpr *CE, const CallModel &M);
  /// On the edge Succ of BI: what the test of a helper's result settles.
  void refineCond(State &E, const BlockInfo &BI, unsigned Succ) const;
  void decodeCondTest(BlockInfo &BI, const Expr *C) const;
  /// Is VD's address only handed to helpers that store a tensor through
  /// it?
  bool addressOnlyOut(const VarDecl *VD) const;
  /// Is VD's address only handed straight to calls outside tsmem's API?
  /// (AddrOutVars.cpp)
  bool addressOnlyCalls(const VarDecl *VD) const;
  /// After CE: each such variable whose address CE was given holds a
  /// tensor from outside.
  void addrOutArgs(const CallExpr *CE);
  /// `*out = RHS` in the function, out a `ts_tensor **` parameter.
  void noteOutStore(const Expr *LHS, const ObjSet &Os, const Expr *RHS);
  /// `ts_free(*out)` (OutReads.cpp).
  void noteOutFree(const Expr *Arg);
  /// A tensor from the caller's memory whose place was cleared, held by
  /// the function's variables alone (TakenEntries.cpp).
  bool takenEntry(ObjId Id) const;
  void initOutParams();
  void noteReturnClass(const ReturnStmt *RS, const ObjSet &Os);
  void noteExitConditional(const BlockInfo &BI);
  void summarizeConditional();
  /// Index of a `ts_tensor **` parameter (at most 32), or -1.
  int outParamIndex(const VarDecl *VD) const;
  enum RetClass : uint8_t { RcZero, RcNonZero, RcParam0 };
  /// The class of the last return transferred (RcParam0 + I: parameter I's
  /// tensor; 255: anything else), and each exit block's.
  uint8_t LastRetClass = 255;
  /// Some object got a conditional effect (Obj::CondCall).
  bool CondSeen = false;
  llvm::DenseMap<unsigned, uint8_t> ExitRetClass;
  /// A return of the tensor stored through an out-parameter (ReturnedOuts.cpp):
  /// the tensors ever stored through each, the out-parameter the last return
  /// gave back (-1: none) and each exit block's.
  llvm::SmallVector<ObjSet, 2> OutStored;
  int LastRetOut = -1;
  llvm::DenseMap<unsigned, int> ExitRetOut;
  void noteOutStored(unsigned I, const ObjSet &Os);
  void noteReturnOut(const ObjSet &Os);
  void summarizeReturnOut();
  /// Something other than NULL was stored through out-parameter I on this
  /// path (Summaries.cpp).
  bool outStoredOnPath(unsigned I) const;
  ObjSet evalRetOut(const CallExpr *CE, int I) const;
  llvm::DenseMap<unsigned, llvm::SmallVector<uint8_t, 2>> ExitOut;
  llvm::SmallVector<const ParmVarDecl *, 2> OutParams;
  /// Those of OutParams that may be replaced (OutReplace.h), not filled.
  uint32_t ReplaceParams = 0;
  /// A failing return (a nonzero constant) that leaves a field of *param
  /// pointing at a tensor made and freed here, and another holding one
  /// made here: the latter leaks (FailureCleanup.cpp). Seen once: the
  /// function's fills are not its callers'.
  void failureCleanup(const BlockInfo &BI);
  bool FailureCleanupSeen = false;
  /// Tensors from outside (fields of *param) passed to a call that only
  /// reads them: live tensors (FieldOverwrite.cpp).
  llvm::DenseSet<ObjId> UsedForeign;
  void noteBorrowUse(const ObjSet &Os);
  /// `p->f = made` over a live tensor of the caller's that nothing else
  /// holds: it leaks (FieldOverwrite.cpp).
  void overwriteField(LocKey L, const ObjSet &New, const Expr *At);
  /// A generated operator with two results written to a local
  /// `ts_tensor *out[2]` (SPEC section 6): two new tensors there.
  void multiResults(const CallExpr *CE);
  /// Out-parameter objects by (call, argument): a site each.
  llvm::DenseMap<std::pair<const CallExpr *, unsigned>, unsigned> OutSites;

  std::unique_ptr<CFG> Cfg;
  /// The reachable blocks in reverse post-order; and each block's rank in
  /// it, by block id (~0u: unreachable).
  std::vector<BlockInfo> Blocks;
  std::vector<unsigned> Rank;
  std::unique_ptr<ParentMap> Parents;
  BodyFacts Scanned;
  const llvm::DenseSet<const VarDecl *> *AddrTaken = nullptr;
  /// Each variable looked at: its place when tracked, else null.
  mutable llvm::DenseMap<const VarDecl *, LocKey> Tracked;
  /// Variables followed through addressOnlyCalls, and each call's object
  /// for one of them (AddrOutVars.cpp).
  mutable llvm::DenseSet<const VarDecl *> AddrCallVars;
  llvm::DenseMap<std::pair<const CallExpr *, const VarDecl *>, ObjId>
      CallOutIds;
  llvm::DenseMap<const CallExpr *, unsigned> SiteIndex;
  std::vector<const CallExpr *> Sites;
  llvm::DenseMap<const void *, RegionInfo> RegionInfos;
  llvm::DenseMap<LocKey, ObjId> ForeignIds;
  /// The places of this function (mutable: places are made as they are
  /// first named, also by const helpers).
  mutable LocTable Locs;

  /// Where the states' maps come from; declared before any state.
  PMapClock Clock;
  PMap<ObjId, Obj>::Context ObjNodes{Clock};
  PMap<LocKey, ObjSet>::Context PtsNodes{Clock};
  PMap<RegionObj, Unit>::Context ScopedInNodes{Clock};
  PMap<ObjId, Unit>::Context MayReportNodes{Clock};

  /// Path sensitivity (Paths.h): on when the function may hold tensors.
  std::unique_ptr<PathEngine> PE;
  /// While reporting: the disjuncts of the block and the one transferred.
  const Paths *CurPaths = nullptr;
  unsigned CurPath = 0;
  /// The facts of the disjunct being transferred.
  const PathFacts *CurFacts = nullptr;

  State S;                ///< The state being transferred.
  bool Reporting = false; ///< Only the last pass over the fixpoint reports.
  /// The transfer met something to report (whether Reporting or not).
  bool WouldReport = false;
  /// A scope key was seen with two kinds or beginnings: which one
  /// RegionInfos holds depends on the order of the transfers.
  bool RegionInfoVaries = false;

  /// The most work the analysis may do on this function, in steps: CFG
  /// elements, then ops transferred and map nodes made by the dataflow.
  uint64_t Budget;
  uint64_t Steps = 0;
  /// Past the budget: says so (a remark) and gives up on the function.
  bool overBudget();

  // Tensors in fields and elements of variables (Fields.cpp; calls:
  // FieldCalls.cpp; summaries: FieldSummaries.cpp; counted loops:
  // CountedLoops.cpp).
  bool holdsTensors(QualType T) const;
  bool isBase(const VarDecl *VD) const;
  void scanPlaces() const;
  void forEachAlias(LocKey L, llvm::function_ref<void(LocKey)> Fn) const;
  static bool isExact(LocKey L);
  ObjSet evalPlace(LocKey L);
  int freeStrength(const Expr *Arg);
  bool coversAll(const Expr *Arg) const;
  void assignPlace(LocKey L, ObjSet Os);
  void killUnder(LocKey P, bool Hand);
  LocKey replay(LocKey Q, LocKey From, LocKey To);
  LocKey follow(LocKey P, const FieldPath &Path, bool Arrow);
  void assignRecord(LocKey L, const Expr *RHS);
  void fieldArgs(const CallExpr *CE, const CallModel &M);
  /// `memset(p, 0, sizeof *p)`: NULL in every place under *p
  /// (ClearingMemsets.cpp); whether CE is one.
  bool clearingMemset(const CallExpr *CE);
  void useElements(const CallExpr *CE, unsigned I, LocKey P); // Elements.cpp
  /// A same-file helper that fills or frees every element of a local
  /// array passed with its size (ArrayParams.cpp); Kept: places it freed.
  bool arrayParamEffect(const CallExpr *CE, unsigned I, LocKey P,
                        llvm::SmallVectorImpl<LocKey> &Kept, bool AfterHandOn);
  bool takesPlaces(const CallExpr *CE) const;
  /// CE's callee, a same-file helper, leaves field F of the struct its
  /// argument I points to alone: never names it, or only reads its tensor
  /// where it is, nor lets the struct be reached (UntouchedFields.cpp).
  bool untouchedField(const CallExpr *CE, unsigned I, const FieldDecl *F);
  void keepAggregates(BlockInfo &BI, const DeclStmt *DS) const;
  void initPlaces(LocKey L, const InitListExpr *IL);
  void noteFieldUse(const Expr *Arg);
  /// Stores through some element by a loop's index, read back in the same
  /// block (SameIndex.cpp).
  struct IndexStore {
    const VarDecl *Index;
    ObjSet Stored, After;
  };
  llvm::DenseMap<LocKey, IndexStore> IndexStores;
  llvm::DenseSet<const VarDecl *> WrittenIndices;
  bool IndexWritesScanned = false;
  const VarDecl *stableIndex(const Expr *E);
  void noteIndexStore(const Expr *Dst, LocKey L, const ObjSet &Stored);
  bool sameIndexRead(const Expr *E, LocKey L, ObjSet &Out);
  /// The block being transferred (its id).
  unsigned CurBlock = 0;
  /// For the summary: fields under pointer parameters used (passed to a
  /// call that does not free them), by block.
  llvm::DenseSet<std::pair<unsigned, LocKey>> FieldUses;
  ObjId allocField(const CallExpr *CE, unsigned K);
  // Async scopes named by a local struct's field (AsyncFills.cpp).
  void asyncFills(const CallExpr *CE);
  void endAsyncField(const Expr *Arg, SourceLocation Loc);
  void returnRecord(const ReturnStmt *RS, LocKey B);
  LocKey nullTestedPlace(const Expr *C, bool &NullOnTrue) const;
  bool heldIndirectly(const Obj &O) const;
  void handOnIndirect();
  void noteExitFields(unsigned Block);
  void summarizeFields();
  /// Every path to an exit names P (FillPaths.cpp).
  bool namedOnEveryPath(const ParmVarDecl *P);
  /// CE freed a local tested for null and set to NULL (GuardedFrees.cpp).
  bool freedThroughNulledLocal(const CallExpr *CE);
  /// Ways out reached only where a pointer parameter is NULL, by block: no
  /// struct there, nothing under it to free (ParamGuards.cpp).
  llvm::DenseMap<unsigned, const VarDecl *> NullParamExits;
  void noteNullParamExit(const BlockInfo &BI);
  /// Block is such a way out for the parameter L is under.
  bool nullParamExit(unsigned Block, LocKey L) const;
  // The tensors fields under pointer parameters held on entry
  // (EntryFields.cpp).
  void noteExitEntries(const BlockInfo &BI);
  void summarizeEntries();
  bool keepFreedEntry(ObjId Id, const Obj &O) const;
  bool markNullEntry(State &E, LocKey L);
  void freeEntryFields(const CallExpr *CE, const CallModel &M, unsigned I,
                       LocKey P, bool Arrow,
                       llvm::SmallVectorImpl<LocKey> &Kept);
  /// For each block that ends the function: the fields that, at some
  /// transfer of it, did not hold their entry tensor (nor NULL where a
  /// test found it so): not KeptEntryFields (EntryFields.cpp).
  llvm::DenseMap<unsigned, llvm::SmallVector<LocKey, 4>> ExitKeptEntries;
  /// Getters (FunctionSummary::RetEntryParam): the field whose entry
  /// tensor the last return transferred gives back (else null); the one
  /// every return gives back, at every transfer; whether some return (or
  /// way out) gives anything else.
  void noteReturnEntry(const ReturnStmt *RS, const ObjSet &Os);
  ObjSet evalRetEntry(const CallExpr *CE, const FunctionSummary &F);
  LocKey LastRetEntry = nullptr;
  LocKey RetEntry = nullptr;
  bool RetEntryBad = false;
  // `ts_tensor **` parameters whose entry tensor is freed
  // (DerefParams.cpp).
  llvm::SmallVector<const ParmVarDecl *, 2> DerefParams;
  llvm::DenseMap<unsigned, llvm::SmallVector<uint8_t, 2>> ExitDeref;
  void initDerefParams();
  int derefParamOf(const Expr *E) const;
  void derefUse(const Expr *E, bool Frees);
  void derefStore(const Expr *LHS);
  void noteExitDeref(const BlockInfo &BI);
  void summarizeDeref();
  void derefArgs(const CallExpr *CE, const CallModel &M);
  // Fields whose entry tensor a helper frees on some paths only
  // (MayFreeEntries.cpp): seen freed at some way out; seen with another
  // fate than freed or left.
  llvm::SmallPtrSet<LocKey, 4> MayFreeSeen, MayFreeBad;
  /// Some test reads only scalar parameters (-1: not looked yet).
  int FlagTests = -1;
  /// Per field and way out: 1 freed by a call on some path there, 2 left
  /// on some path; and per way out, the fewest foreign objects known at
  /// one of its transfers (a field not known yet was not read there).
  llvm::DenseMap<std::pair<LocKey, unsigned>, uint8_t> MayFreeFates;
  llvm::DenseMap<unsigned, unsigned> MayFreeKnown;
  uint8_t mayFreeCond(LocKey L) const;
  void noteMayFreeExit();
  void condFreeEntry(const ObjSet &Os, const CallExpr *CE, uint8_t Cond);
  static bool condEntryFrees(const CallModel &M);
  void noteMayFreeEntry(LocKey L, const Obj *O);
  void summarizeMayFreeEntries(LocKey L, const FieldPath &Path);
  void mayFreeEntryFields(const CallExpr *CE, const CallModel &M, unsigned I,
                          LocKey P, bool Arrow);
  /// For each block that ends the function: the owner bits of the tensor
  /// each such field held on entry (0: not there on some path).
  llvm::DenseMap<unsigned, llvm::SmallVector<std::pair<LocKey, uint8_t>, 4>>
      ExitEntries;
  // Fields a scoped body (TS_SCOPED, a ts_run callback) fills under a
  // pointer parameter, and a caller's ts_run or call (ScopeFills.cpp).
  int scopeFillParam(const VarDecl *VD);
  /// A scoped body storing a tensor of its own scope in an owned field of
  /// its parameter's struct (ScopedStores.cpp).
  void scopedStore(const Expr *LHS, const ObjSet &Os);
  /// The same for a scope inside the function (a TS_SCOPE): stores of its
  /// tensors through a pointer parameter, by place and site; at a way out,
  /// those still there after their scope.
  void innerScopeStore(const Expr *LHS, const ObjSet &Os);
  void innerScopeExit();
  /// A tensor of one of the function's scopes passed to a same-file helper
  /// that stores it in a local struct's field (StoreArgs.cpp): found before
  /// the call hands it on, put back in its scope and in the field after.
  void storeArgsBefore(const CallExpr *CE, const CallModel &M);
  void storeArgsAfter();
  struct PendingStore {
    LocKey Place;
    ObjId Id;
    const void *Region;
  };
  llvm::SmallVector<PendingStore, 2> PendingStores;
  llvm::MapVector<std::pair<LocKey, ObjId>, const Expr *> InnerStores;
  void noteExitScopeFills(const BlockInfo &BI);
  void summarizeScopeFills();
  bool storedOnEveryPath(LocKey L);
  void scopeFillArgs(const CallExpr *CE, const CallModel &M);
  bool AliasesScanned = false;
  llvm::DenseMap<const VarDecl *, int> ParamAliases;
  llvm::DenseMap<unsigned, llvm::SmallVector<std::pair<LocKey, uint8_t>, 4>>
      ExitScopeFills;
  // Variables with a cleanup function that frees them (CleanupVars.cpp).
  bool cleanupFrees(const VarDecl *VD) const;
  void cleanupVar(const VarDecl *VD);
  void noteCountedLoop(const Stmt *Term);
  bool runsOnce(const Stmt *Term) const;
  // Arrays torn down up to a count field (CountLoops.cpp).
  LocKey countElem(const Expr *E, const VarDecl *I, LocKey B) const;
  bool teardownStmt(const Stmt *St, const VarDecl *I, LocKey B,
                    unsigned &Frees) const;
  void noteCountLoop(const ForStmt *FS);
  /// The count (`X.n`) of the teardown loop whose counter indexes Arg.
  LocKey countOf(const Expr *Arg) const;
  /// A free of Arg in a teardown loop whose count is 0: nothing to free.
  bool zeroedFree(const Expr *Arg, const ObjSet &Os) const;
  /// Some count of the struct at P is 0.
  bool zeroedUnder(LocKey P) const;
  void clearCounts(LocKey P);
  /// `LHS = RHS` (RHS null: `++`, `+=`) to a count or an element.
  void countWrite(const Expr *LHS, const Expr *RHS);
  void countStep(const Stmt *St);
  /// CE frees every element in use (a teardown or counted loop's free).
  bool countFree(const CallExpr *CE) const;
  void noteExitCounts(unsigned Block);
  void summarizeCounts();
  void zeroCountsOf(const CallModel &M, unsigned I, LocKey P, bool Arrow);
  /// Teardown loops: their counter, and the count (a place `X.n`).
  llvm::DenseMap<const VarDecl *, LocKey> CountLoops;
  /// For each block that ends the function: the counts under pointer
  /// parameters it leaves 0.
  llvm::DenseMap<unsigned, llvm::SmallVector<LocKey, 2>> ExitZeroed;
  /// Counts under pointer parameters written anywhere (for the summary).
  llvm::SmallPtrSet<LocKey, 2> CountsWritten;
  // Frees of elements taken out of use (OutOfUse.cpp).
  /// The array (`V.a`) of the element CE frees through Arg, when the
  /// statements around take it out of use (past the count), else null.
  const MemberExpr *outOfUseArray(const CallExpr *CE, const Expr *Arg);
  /// Forgets the freed tensors held in A's places.
  void dropFreedUnder(LocKey A);
  llvm::DenseMap<const CallExpr *, const MemberExpr *> OutOfUseArrays;

  /// Heap arrays of tensors reached through a pointer field (`q.v[i]`,
  /// `p->v[i]`, v a `ts_tensor **` field; HeapFields.cpp): the field of
  /// the subscript's base when its elements are followed, else null.
  const FieldDecl *heapField(const Expr *Base) const;
  /// `ts_tensor **`: a heap array of tensors its holder may free.
  static bool isHeapArrayType(QualType T);
  /// The place of `X.f[i]`, f such a field.
  LocKey heapElem(const ArraySubscriptExpr *AS, const MemberExpr *ME,
                  const FieldDecl *F) const;
  mutable bool HeapFieldsScanned = false;
  /// `ts_tensor **` fields whose value this function uses other than to
  /// subscript it, free it or test it: their elements are not followed.
  mutable llvm::DenseSet<const FieldDecl *> BadHeapFields;

  mutable bool PlacesScanned = false;
  /// Variables whose fields or elements the analysis cannot follow (their
  /// address goes somewhere other than straight into a call).
  mutable llvm::DenseSet<const VarDecl *> BadBases;
  /// Local pointers to structs given another value (a list walk's
  /// `p = p->next`), and their places whose old tensor another place still
  /// held when they were (RepointedBases.cpp).
  mutable llvm::DenseSet<const VarDecl *> RepointedBases;
  llvm::DenseSet<LocKey> OpaquePlaces;
  void repointBase(const VarDecl *VD);
  mutable llvm::DenseMap<const Type *, bool> TensorTypes;
  /// Counted loops `for (i = 0; i < K; i++)`: K by i, and the loops.
  llvm::DenseMap<const VarDecl *, uint64_t> Covers;
  llvm::DenseSet<const Stmt *> OnceLoops;
  llvm::DenseMap<std::pair<const CallExpr *, unsigned>, unsigned> FieldSites;
  /// For the summary: the fields each return of a struct gives its caller
  /// (a return that is not of a followed struct: not there, RetOtherRecord).
  llvm::DenseMap<const ReturnStmt *, std::vector<FieldPath>> RetFieldSets;
  bool RetOtherRecord = false;
  /// For each block that ends the function: the owner bits of the fields
  /// under pointer parameters.
  llvm::DenseMap<unsigned, llvm::SmallVector<std::pair<LocKey, uint8_t>, 4>>
      ExitFields;
};

} // namespace ownership
} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_FUNCTIONANALYZER_H
