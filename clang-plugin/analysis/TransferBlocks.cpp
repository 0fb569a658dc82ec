//===- TransferBlocks.cpp - Blocks, exits and edges -----------------------===//
//
// The dataflow's view of the transfer: the state on entry, a block's
// ops in order, the parameters' tensors on each way out (noteExit)
// and the summary made of them at the fixpoint (summarize), what the
// tail of a block that leaves the function reports (exitTail), and
// the null test on an edge (refineEdge).
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"

namespace tsmem {
namespace ownership {

//===----------------------------------------------------------------------===//
// Dataflow
//===----------------------------------------------------------------------===//

State FunctionAnalyzer::initialState() {
  S = State();
  S.Objs = PMap<ObjId, Obj>(ObjNodes);
  S.Pts = PMap<LocKey, ObjSet>(PtsNodes);
  S.ScopedIn = PMap<RegionObj, Unit>(ScopedInNodes);
  S.MayReport = PMap<ObjId, Unit>(MayReportNodes);
  S.Reached = true;
  // Each tensor parameter holds the caller's tensor (or NULL).
  for (unsigned I = 0, N = FD->getNumParams(); I < N; ++I) {
    const ParmVarDecl *P = FD->getParamDecl(I);
    TensorParams.push_back(I < 32 && isTracked(P) ? P : nullptr);
    if (!TensorParams.back())
      continue;
    Obj O;
    O.Bits = Borrowed;
    S.Objs.set(ParamBase + I, O);
    S.setPts(trackedLoc(P), {ParamBase + I});
  }
  initOutParams();
  initDerefParams(); // DerefParams.cpp
  if (Scope == BodyScope::Scoped)
    pushRegion(FD, RegionKind::Function, FD->getLocation());
  else if (Scope == BodyScope::CallerScope)
    pushRegion(FD, RegionKind::Caller, FD->getLocation());
  return S;
}

void FunctionAnalyzer::transferBlock(const BlockInfo &BI) {
  CurBlock = BI.B->getBlockID();
  IndexStores.clear(); // Only within one block (SameIndex.cpp).
  if (BI.Leaves) {
    for (unsigned I = 0; I < BI.Tail; ++I)
      visitOp(BI.Ops[I]);
    noteExit(BI);
    exitTail(BI);
    IndexStores.clear();
    return;
  }
  for (const Op &O : BI.Ops)
    visitOp(O);
  if (BI.EndsFunction) {
    noteExit(BI);
    functionEnd(BI);
  }
  IndexStores.clear();
}

/// The parameters' tensors on the way out, for the summary.
void FunctionAnalyzer::noteExit(const BlockInfo &BI) {
  failureCleanup(BI); // FailureCleanup.cpp
  if (!InnerStores.empty())
    innerScopeExit(); // ScopedStores.cpp
  if (!Sum)
    return;
  noteNullParamExit(BI); // ParamGuards.cpp
  noteExitFields(BI.B->getBlockID());
  noteExitCounts(BI.B->getBlockID()); // CountLoops.cpp
  noteExitScopeFills(BI);             // ScopeFills.cpp
  noteExitEntries(BI);
  noteExitDeref(BI);
  llvm::SmallVector<uint8_t, 4> &Bits = ExitBits[BI.B->getBlockID()];
  Bits.assign(TensorParams.size(), 0);
  for (unsigned I = 0; I < TensorParams.size(); ++I)
    if (TensorParams[I])
      if (const Obj *O = S.Objs.find(ParamBase + I)) {
        Bits[I] = O->Bits;
        // Left in memory the caller reaches (`p->v[p->n] = t`, `p->f =
        // t`): the caller's struct has it, as after a store the analysis
        // does not follow. Neither kept nor freed for the summary.
        if (O->Bits == Borrowed && heldIndirectly(*O))
          Bits[I] = HandedOn;
      }
  noteExitConditional(BI);
}

void FunctionAnalyzer::summarize() {
  FunctionSummary &F = *Sum;
  F.Valid = true;
  summarizeFields();
  summarizeCounts(); // CountLoops.cpp
  summarizeEntries();
  summarizeScopeFills(); // ScopeFills.cpp
  // Every return NULL or a tensor made here, one at least.
  bool Made = false, Other = ReturnKinds.empty();
  for (const auto &[RS, K] : ReturnKinds) {
    Made |= K == RetMade;
    Other |= K == RetOther;
  }
  bool CallerScoped = false;
  for (const auto &[RS, K] : ReturnKinds)
    CallerScoped |= K == RetCallerScoped;
  F.ReturnsOwned = Made && !Other && !CallerScoped;
  F.ReturnsCallerScoped = CallerScoped && !Made && !Other;
  for (unsigned I = 0; I < TensorParams.size(); ++I) {
    if (!TensorParams[I] || (ParamReturned >> I & 1))
      continue;
    // (A block that leaves the function and has a successor too passes on
    // its state after the function's end, where the parameters hold
    // nothing: what was done to a parameter anywhere counts as well.)
    // Borrowed on every way out, or freed on every way out (where the
    // parameter is not NULL).
    bool AllBorrowed = true, AllFreed = true, Seen = false;
    for (const auto &[Block, Bits] : ExitBits) {
      uint8_t B = Bits[I];
      if (!B)
        continue;
      Seen = true;
      AllBorrowed &= B == Borrowed;
      AllFreed &= !(B & ~Freed);
    }
    if (!Seen)
      continue;
    if (AllBorrowed && !(ParamTouched >> I & 1))
      F.BorrowMask |= 1u << I;
    else if (AllFreed)
      F.FreeMask |= 1u << I;
  }
  summarizeConditional();
  summarizeReturnOut(); // ReturnedOuts.cpp
  summarizeDeref();
}

/// What the ops from BI.Tail on and functionEnd() would report, without
/// changing S: the state is not used after. Each return ends the lifetime
/// of every variable in scope, and ending each one by one made a function
/// with N early returns quadratic. Only an object the function owns (a
/// leak) or returns (an unescaped return) can be reported on the way out,
/// and the others do not affect them: the tail follows those alone, as
/// visitLifetimeEnd(), endRegion() and functionEnd() would.
void FunctionAnalyzer::exitTail(const BlockInfo &BI) {
  struct Cand {
    ObjId Id;
    Obj O;
    bool Gone = false;
  };
  llvm::SmallVector<Cand, 4> R;
  S.MayReport.forEach([&](ObjId Id, Unit) {
    const Obj *O = S.Objs.find(Id);
    // (Left in memory behind a pointer: the caller's.)
    if (O && (O->Bits == Owned || O->Ret) && !heldIndirectly(*O))
      R.push_back({Id, *O});
  });
  if (R.empty())
    return;
  Steps += R.size() * (BI.Ops.size() - BI.Tail + 1);
  llvm::SmallVector<const void *, 4> Regions = S.Regions;
  llvm::SmallPtrSet<LocKey, 8> Dead;
  auto Collect = [&](SourceLocation Loc, LeakCause Cause,
                     const VarDecl *Dying) {
    for (Cand &C : R) {
      if (C.Gone || !C.O.HeldBy.empty() || C.O.Ret)
        continue;
      if (C.O.Bits == Owned)
        reportLeak(C.Id, C.O, Loc, Cause, Dying);
      C.Gone = true;
    }
  };
  auto EndOne = [&](const void *Key, SourceLocation EndLoc) {
    for (Cand &C : R) {
      if (C.Gone || !(C.O.Bits & Scoped) || C.O.Region != Key)
        continue;
      if (C.O.Ret) {
        reportUnescapedReturn(C.O, Key);
        C.O.Bits = (C.O.Bits & ~Scoped) | HandedOn;
        C.O.Ret = nullptr;
        continue;
      }
      C.O.Bits = (C.O.Bits & ~Scoped) | Ended;
      C.O.EndLoc = EndLoc;
    }
  };
  for (unsigned I = BI.Tail; I < BI.Ops.size(); ++I) {
    const Op &O = BI.Ops[I];
    if (O.K == Op::LifetimeEnd) {
      LocKey L = Locs.findVar(O.VD);
      if (!L || Dead.count(L))
        continue;
      llvm::SmallVector<LocKey, 4> Qs;
      LocTable::forEachUnder(L, [&](LocKey Q) {
        if (S.Pts.count(Q))
          Qs.push_back(Q);
      });
      if (Qs.empty())
        continue;
      Dead.insert(L);
      for (Cand &C : R)
        for (LocKey Q : Qs)
          C.O.HeldBy.erase(Q);
      Collect(O.Loc, LeakCause::OutOfScope, O.VD);
      continue;
    }
    if (O.K == Op::Cleanup && !isScopeGuard(O.VD) && !isLoopScopeGuard(O.VD)) {
      // A cleanup function frees what the variable holds (CleanupVars.cpp).
      if (LocKey L = Locs.findVar(O.VD))
        for (Cand &C : R)
          if (C.O.HeldBy.count(L))
            C.Gone = true;
      continue;
    }
    auto It = llvm::find(llvm::reverse(Regions), O.VD);
    if (It == Regions.rend())
      continue;
    size_t Depth = std::distance(It, Regions.rend()) - 1;
    while (Regions.size() > Depth)
      EndOne(Regions.pop_back_val(), O.Loc);
  }
  SourceLocation EndLoc = BI.Ret ? BI.Ret->getBeginLoc() : FD->getBodyRBrace();
  while (!Regions.empty()) {
    const void *K = Regions.pop_back_val();
    RegionKind Kind = RegionInfos.lookup(K).Kind;
    if (Kind == RegionKind::Function || Kind == RegionKind::Guard) {
      EndOne(K, EndLoc);
      continue;
    }
    for (Cand &C : R)
      if (!C.Gone && (C.O.Bits & Scoped) && C.O.Region == K) {
        C.O.Bits = (C.O.Bits & ~Scoped) | HandedOn;
        C.O.Ret = nullptr;
      }
  }
  for (Cand &C : R)
    C.O.HeldBy.clear();
  Collect(EndLoc, LeakCause::Return, nullptr);
}

/// On the edge where BI's null test holds (the variable is NULL).
void FunctionAnalyzer::refineEdge(State &E, const BlockInfo &BI) {
  refineNull(E, BI.NullTested);
}

/// On an edge where the place L is NULL.
void FunctionAnalyzer::refineNull(State &E, LocKey L) {
  if (markNullEntry(E, L))
    return; // A field's tensor from the caller (EntryFields.cpp).
  const ObjSet *Os = E.Pts.find(L);
  if (!Os)
    return;
  if (Os->size() != 1) {
    // Each tensor it may hold either was not made on this path or was the
    // one whose call failed (one lost before would have been reported where
    // it was lost): forget those no other variable holds. Marking them
    // unreachable instead reported `t = c ? a() : b(); if (!t) return;`.
    ObjSet Held = *Os;
    E.Pts.set(L, ObjSet());
    for (ObjId Id : Held)
      if (Obj *O = E.Objs.findMut(Id)) {
        O->HeldBy.erase(L);
        if (O->HeldBy.empty())
          E.Objs.erase(Id);
      }
    return;
  }
  // The only tensor it could hold was never made (the call failed).
  ObjId Id = *Os->begin();
  if (const Obj *O = E.Objs.find(Id)) {
    LocSet Holders = O->HeldBy;
    for (LocKey V : Holders)
      E.Pts.findMut(V)->erase(Id);
    E.Objs.erase(Id);
  }
}

} // namespace ownership
} // namespace tsmem
