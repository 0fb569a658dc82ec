//===- FunctionAnalyzer.h - The analysis of one function --------*- C++ -*-===//
//
// The state of one function's analysis, shared by its parts:
//   AnalysisState.{h,cpp}  the lattice, its persistent maps and the join;
//   CfgDecode.cpp          the CFG read into ops and ranked blocks;
//   Transfer.cpp           what each op and edge does to the state;
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

private:
  // Dataflow.
  State initialState();
  void decode(BlockInfo &BI);
  void transferBlock(const BlockInfo &BI);
  void exitTail(const BlockInfo &BI);
  void refineEdge(State &E, const BlockInfo &BI);
  /// Orders the reachable blocks (reverse post-order) and decodes each.
  void decodeBlocks();

  // Elements.
  void visitOp(const Op &O);
  void visitCall(const CallExpr *CE, const CallModel &M);
  void visitAssign(const Expr *LHS, const Expr *RHS);
  void visitInit(const VarDecl *VD);
  void visitReturn(const ReturnStmt *RS);
  void visitLifetimeEnd(const VarDecl *VD, SourceLocation Loc);
  void functionEnd(const BlockInfo &BI);

  // Effects.
  void allocate(const CallExpr *CE);
  void handOn(const ObjSet &Os);
  void consume(const ObjSet &Os, const CallExpr *CE, OwnerBit Bit);
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
  void reportLeak(ObjId Id, const Obj &O, SourceLocation Loc, LeakCause Cause,
                  const VarDecl *Dying);
  void reportUnescapedReturn(const Obj &O, const void *Region);
  /// The branches the current path took (Paths.cpp), as notes.
  void notePath();

  // Helpers.
  ObjSet eval(const Expr *E) const;
  bool isTracked(const VarDecl *VD) const;
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
  enum ReturnKind : uint8_t { RetNull, RetMade, RetOther };
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

  std::unique_ptr<CFG> Cfg;
  /// The reachable blocks in reverse post-order; and each block's rank in
  /// it, by block id (~0u: unreachable).
  std::vector<BlockInfo> Blocks;
  std::vector<unsigned> Rank;
  std::unique_ptr<ParentMap> Parents;
  BodyFacts Scanned;
  const llvm::DenseSet<const VarDecl *> *AddrTaken = nullptr;
  mutable llvm::DenseMap<const VarDecl *, bool> Tracked;
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
};

} // namespace ownership
} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_FUNCTIONANALYZER_H
