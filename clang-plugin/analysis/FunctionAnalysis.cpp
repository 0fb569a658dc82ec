//===- FunctionAnalysis.cpp - Ownership dataflow over one function --------===//
//
// A forward dataflow over Clang's CFG, run block by block in reverse
// post-order (clang's DataflowWorklistBase, by rank) to the fixpoint, then once
// more over the blocks that met something to report. The parts are listed
// in FunctionAnalyzer.h.
//
// Checks need the bad state on every path that reaches them (a "must"
// reading of the joined state), so correlated branches stay quiet. Leaks are
// found by reachability at the end of each full expression, when a variable
// dies and when the function returns.
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalysis.h"
#include "ArrayDupFrees.h"
#include "ArrayFrees.h"
#include "CfgPrune.h"
#include "FunctionAnalyzer.h"
#include "HelperDangles.h"
#include "ShellFrees.h"
#include "ShortFreeLoops.h"
#include "TeardownFields.h"

#include "clang/Analysis/FlowSensitive/DataflowWorklist.h"
#include "llvm/ADT/BitVector.h"

#include <cstdlib>

using namespace clang;

namespace tsmem {
namespace ownership {

void FunctionAnalyzer::run() {
  const Stmt *Body = FD->getBody();
  if (!Body)
    return;
  const BodyFacts *F = &Facts;
  if (!Facts.Known) {
    BodyScan Scan(Models);
    Scan.TraverseStmt(const_cast<Stmt *>(Body));
    Scanned.UsesTsmem = Scan.UsesTsmem;
    Scanned.AddrTaken = std::move(Scan.AddrTaken);
    Scanned.AddrArgs = std::move(Scan.AddrArgs);
    Scanned.AddrOther = std::move(Scan.AddrOther);
    Scanned.Jumps = Scan.Jumps;
    Scanned.Vars = Scan.Vars;
    F = &Scanned;
  }
  // TSMEM_ANALYZE_ALL=1 analyses functions without any tsmem call too: the
  // robustness test on foreign code (tests/realcode) uses it.
  static const bool AnalyzeAll = std::getenv("TSMEM_ANALYZE_ALL") != nullptr;
  if (!F->UsesTsmem && !CallsHelper && Scope == BodyScope::None &&
      !AnalyzeAll && !(Sum && takesTensors(FD)))
    return;
  AddrTaken = &F->AddrTaken;
  // Clang's CFG would be too big to build (the budget counts its
  // elements): stop before building it.
  if (uint64_t(F->Jumps) * F->Vars > Budget) {
    Steps = lifetimeEndsEstimate(Body);
    if (overBudget())
      return;
    Steps = 0;
  }

  CFG::BuildOptions Opts;
  for (Stmt::StmtClass C :
       {Stmt::CallExprClass, Stmt::BinaryOperatorClass, Stmt::DeclStmtClass,
        Stmt::ReturnStmtClass, Stmt::InitListExprClass,
        Stmt::CompoundLiteralExprClass, Stmt::DesignatedInitExprClass,
        Stmt::CStyleCastExprClass})
    Opts.setAlwaysAdd(C);
  Opts.AddImplicitDtors = true;
  Opts.AddLifetime = true;
  // No condition of the body can fold: the builder's tries to fold them
  // would change nothing (CfgPrune.h). To compare: TSMEM_CFG_FOLD=1 tries
  // always, TSMEM_CFG_FOLD=0 never (which loses the folds of constant
  // conditions: lit/diagnostics/cfg-folds.c then fails).
  static const int FoldEnv = [] {
    const char *V = std::getenv("TSMEM_CFG_FOLD");
    return V && (V[0] == '0' || V[0] == '1') ? V[0] - '0' : -1;
  }();
  if (FoldEnv == 0 ||
      (FoldEnv < 0 && !Ctx.getLangOpts().CPlusPlus &&
       (Facts.Known ? Facts.NeverFold : conditionsNeverFold(Body))))
    Opts.PruneTriviallyFalseEdges = false;
  Cfg = CFG::buildCFG(FD, const_cast<Stmt *>(Body), &Ctx, Opts);
  if (!Cfg)
    return;
  // The CFG's size is the first charge on the budget: returns and jumps
  // out of scopes end the lifetime of every variable they leave, so it can
  // grow as the square of the body's.
  for (const CFGBlock *B : *Cfg)
    Steps += B->size() + 1;
  if (overBudget())
    return;
  if (!Facts.Known)
    Parents = std::make_unique<ParentMap>(const_cast<Stmt *>(Body));
  decodeBlocks();

  // Each block's entry state is a list of disjuncts (Paths.h). Functions
  // that cannot hold a tensor keep one, as if path-insensitive.
  // (TSMEM_ANALYZE_ALL runs them on foreign code too, for robustness;
  // TSMEM_PATHS=0 turns them off, to compare.)
  State Init = initialState();
  static const bool NoPaths = [] {
    const char *V = std::getenv("TSMEM_PATHS");
    return V && V[0] == '0';
  }();
  bool PathsOn = !NoPaths && (F->UsesTsmem || CallsHelper || AnalyzeAll ||
                              Scope != BodyScope::None || !Init.Objs.empty());
  if (PathsOn) {
    PE = std::make_unique<PathEngine>(Ctx, Models, *AddrTaken, Blocks, Locs);
    PE->prepare();
  }
  std::vector<Paths> In(Blocks.size());
  unsigned EntryIdx = Rank[Cfg->getEntry().getBlockID()];
  In[EntryIdx].push_back({Init, PathFacts(), !PathsOn});
  if (PE && SeedParam >= 0 && unsigned(SeedParam) < FD->getNumParams())
    In[EntryIdx][0].F.Vals.push_back(
        {FD->getParamDecl(SeedParam), SeedVal, true});

  // Any change to a block's entry state queues the block again, so its last
  // transfer saw the final state: the reporting pass only needs to redo
  // the transfers that met something to report. The worklist gives the
  // queued block of the lowest rank first.
  llvm::BitVector Reports(Blocks.size());
  struct ByRank {
    const std::vector<unsigned> *Rank;
    // A max-heap: the lowest rank on top.
    bool operator()(const CFGBlock *A, const CFGBlock *B) const {
      return (*Rank)[A->getBlockID()] > (*Rank)[B->getBlockID()];
    }
  };
  DataflowWorklistBase<ByRank, 32> Work(*Cfg, ByRank{&Rank});
  Work.enqueueBlock(Blocks[EntryIdx].B);
  unsigned Rounds = (64 + 8 * PathEngine::MaxPaths) * Blocks.size() + 256;
  State E;
  PathFacts After, EdgeFacts;
  while (const CFGBlock *Next = Work.dequeue()) {
    if (Rounds-- == 0)
      return; // Too hard to model: stay quiet.
    unsigned Idx = Rank[Next->getBlockID()];
    const BlockInfo &BI = Blocks[Idx];
    // A copy only when the block is its own successor: joins into other
    // blocks leave In[Idx] alone.
    Paths Own;
    const Paths *Cur = &In[Idx];
    if (llvm::is_contained(BI.Succs, Idx)) {
      Own = In[Idx];
      Cur = &Own;
    }
    bool Would = false;
    for (unsigned PI = 0, PN = Cur->size(); PI < PN; ++PI) {
      const Path &P = (*Cur)[PI];
      Steps += (BI.Leaves ? BI.Tail : BI.Ops.size()) + 1;
      if (overBudget())
        return;
      S = P.S;
      CurFacts = &P.F;
      WouldReport = false;
      transferBlock(BI);
      CurFacts = nullptr;
      Would |= WouldReport;
      After = P.F;
      bool WasLossy = P.Lossy;
      if (PE)
        PE->applyWrites(Idx, After);
      for (unsigned SuccIdx = 0; SuccIdx < BI.Succs.size(); ++SuccIdx) {
        unsigned T = BI.Succs[SuccIdx];
        if (T == ~0u)
          continue;
        const PathFacts *EF = &After;
        bool Decided = true, Exit = false, Added = false, Jump = P.Jumped;
        if (PE) {
          if (!PE->edge(Idx, SuccIdx, S, After, EdgeFacts, Decided, Added))
            continue; // The facts say this branch is not taken here.
          if (PE->entersLoop(Idx, SuccIdx)) {
            if (!Added)
              EdgeFacts = After;
            PE->enterLoop(T, EdgeFacts);
            Added = true;
          }
          if (Added)
            EF = &EdgeFacts;
          Exit = PE->lossyEdge(Idx, SuccIdx);
          Jump |= PE->jumpEdge(Idx, SuccIdx);
        }
        const State *Out = &S;
        bool NullEdge = BI.NullTested && (SuccIdx == 0) == BI.NullOnTrue;
        if (NullEdge || BI.CondCall || (BI.NullTested && CondSeen) ||
            BI.OutTested) {
          E = S;
          refineCond(E, BI, SuccIdx); // Summaries.cpp
          if (NullEdge)
            refineEdge(E, BI);
          Out = &E;
        }
        // `ok = t != NULL; ... if (ok)`: on the edge where ok says t was
        // NULL, t holds no tensor, as on the edge of `if (t)` itself.
        if (PE)
          for (auto [Key, Val] : PE->aliasLits()) {
            bool NullOnTrue = false;
            auto [C, Neg] = PE->keyExpr(Key);
            const VarDecl *VD = nullTestedVar(C, NullOnTrue);
            LocKey L = VD ? trackedLoc(VD) : nullptr;
            if (!L || (Val != Neg) != NullOnTrue)
              continue;
            if (Out != &E) {
              E = S;
              Out = &E;
            }
            refineNull(E, L);
          }
        // Leaving a loop that branches: the iterations that ran are unknown,
        // so every way out joins (as without paths); a path whose facts
        // decided the exit stays apart as well.
        // Near the budget, no new paths: the rest joins as without them.
        bool Split = Steps + Clock.Made < Budget / 4;
        bool Changed = PathEngine::join(In[T], *Out, *EF,
                                        WasLossy || Exit || !Split, Jump);
        if (Exit && !WasLossy && Decided && Split)
          Changed |= PathEngine::join(In[T], *Out, *EF, false);
        if (Changed)
          Work.enqueueBlock(Blocks[T].B);
      }
    }
    Reports[Idx] = Would;
  }

  if (Sum) {
    // The summary reads the returns and exits at their last transfer: with
    // several disjuncts there, at the join of them all.
    for (unsigned Idx = 0; Idx < Blocks.size(); ++Idx) {
      if (In[Idx].size() < 2 || (!Blocks[Idx].Ret && !Blocks[Idx].EndsFunction))
        continue;
      S = In[Idx][0].S;
      for (unsigned P = 1; P < In[Idx].size(); ++P)
        joinStates(S, In[Idx][P].S);
      transferBlock(Blocks[Idx]);
    }
    summarize();
  }
  if (SeedParam >= 0)
    return; // Only the summary (summarizeWithFlag).
  Reporting = true;
  if (RegionInfoVaries)
    Reports.set();
  for (int Idx = Reports.find_first(); Idx != -1;
       Idx = Reports.find_next(Idx)) {
    if (In[Idx].size() > 1) {
      // First what holds on every path here, as without paths: the paths
      // then add what holds on some only, with the branches they took as
      // notes (the reporter shows each warning once, the first).
      CurPaths = nullptr;
      S = In[Idx][0].S;
      for (unsigned P = 1; P < In[Idx].size(); ++P)
        joinStates(S, In[Idx][P].S);
      transferBlock(Blocks[Idx]);
    }
    CurPaths = &In[Idx];
    for (unsigned P = 0; P < In[Idx].size(); ++P) {
      if (!In[Idx][P].S.Reached)
        continue;
      CurPath = P;
      S = In[Idx][P].S;
      CurFacts = &In[Idx][P].F;
      transferBlock(Blocks[Idx]);
      CurFacts = nullptr;
    }
  }
  CurPaths = nullptr;
}

} // namespace ownership

void analyzeFunction(const FunctionDecl *FD, BodyScope Scope,
                     const BodyFacts &Facts, CallModels &Models,
                     ASTContext &Ctx, Findings &Out, uint64_t Budget,
                     bool CallsHelper, FunctionSummary *Sum) {
  ownership::FunctionAnalyzer(FD, Scope, Facts, Models, Ctx, Out, Budget,
                              CallsHelper, Sum)
      .run();
  checkArrayFrees(FD, Scope, Models, Ctx, Out);     // ArrayFrees.cpp
  checkTeardownFields(FD, Scope, Models, Ctx, Out); // TeardownFields.cpp
  checkHelperDangles(FD, Scope, Models, Ctx, Out);  // HelperDangles.cpp
  // Its own walk of the body: only where the walker saw an element freed.
  if (!Facts.Known || Facts.FreesElement)
    checkArrayDupFrees(FD, Models, Ctx, Out);       // ArrayDupFrees.cpp
  checkShellFrees(FD, Scope, Models, Ctx, Out);     // ShellFrees.cpp
  checkShortFreeLoops(FD, Scope, Models, Ctx, Out); // ShortFreeLoops.cpp
}

void summarizeWithFlag(const FunctionDecl *FD, BodyScope Scope,
                       const BodyFacts &Facts, CallModels &Models,
                       ASTContext &Ctx, uint64_t Budget, bool CallsHelper,
                       unsigned Param, int64_t Val, FunctionSummary &Sum) {
  Findings Quiet;
  ownership::FunctionAnalyzer A(FD, Scope, Facts, Models, Ctx, Quiet, Budget,
                                CallsHelper, &Sum);
  A.seedFlag(Param, Val);
  A.run();
}

} // namespace tsmem