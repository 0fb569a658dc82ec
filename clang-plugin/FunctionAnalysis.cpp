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
#include "FunctionAnalyzer.h"

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

  std::vector<State> In(Blocks.size());
  unsigned EntryIdx = Rank[Cfg->getEntry().getBlockID()];
  In[EntryIdx] = initialState();

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
  unsigned Rounds = 64 * Blocks.size() + 256;
  State E;
  while (const CFGBlock *Next = Work.dequeue()) {
    if (Rounds-- == 0)
      return; // Too hard to model: stay quiet.
    unsigned Idx = Rank[Next->getBlockID()];
    const BlockInfo &BI = Blocks[Idx];
    Steps += (BI.Leaves ? BI.Tail : BI.Ops.size()) + 1;
    if (overBudget())
      return;
    S = In[Idx];
    WouldReport = false;
    transferBlock(BI);
    Reports[Idx] = WouldReport;
    for (unsigned SuccIdx = 0; SuccIdx < BI.Succs.size(); ++SuccIdx) {
      unsigned T = BI.Succs[SuccIdx];
      if (T == ~0u)
        continue;
      bool Changed;
      bool NullEdge = BI.NullTested && (SuccIdx == 0) == BI.NullOnTrue;
      if (NullEdge || BI.CondCall || (BI.NullTested && CondSeen)) {
        E = S;
        refineCond(E, BI, SuccIdx);
        if (NullEdge)
          refineEdge(E, BI);
        Changed = joinStates(In[T], E);
      } else {
        Changed = joinStates(In[T], S);
      }
      if (Changed)
        Work.enqueueBlock(Blocks[T].B);
    }
  }

  if (Sum)
    summarize();
  Reporting = true;
  if (RegionInfoVaries)
    Reports.set();
  for (int Idx = Reports.find_first(); Idx != -1;
       Idx = Reports.find_next(Idx)) {
    if (!In[Idx].Reached)
      continue;
    S = In[Idx];
    transferBlock(Blocks[Idx]);
  }
}

} // namespace ownership

void analyzeFunction(const FunctionDecl *FD, BodyScope Scope,
                     const BodyFacts &Facts, CallModels &Models,
                     ASTContext &Ctx, Findings &Out, uint64_t Budget,
                     bool CallsHelper, FunctionSummary *Sum) {
  ownership::FunctionAnalyzer(FD, Scope, Facts, Models, Ctx, Out, Budget,
                              CallsHelper, Sum)
      .run();
}

} // namespace tsmem