//===- TransferCalls.cpp - What a call does to the state ------------------===//
//
// visitCall: a call by its CallModel. Scope and async-scope calls
// begin, leave or end regions; each argument is then used, freed,
// consumed, handed on, escaped or registered, as the model (or a
// same-file summary: FreeMask, BorrowMask, conditional frees) says;
// an owned result is a new object. Field and element arguments are
// FieldCalls.cpp's (visitOp calls it after this).
//
//===----------------------------------------------------------------------===//
#include "BorrowedLiterals.h"
#include "FunctionAnalyzer.h"

namespace tsmem {
namespace ownership {

void FunctionAnalyzer::freeForeign(LocKey L, const CallExpr *CE, OwnerBit Bit) {
  if (!OpaquePlaces.empty() && OpaquePlaces.count(L))
    return; // RepointedBases.cpp
  auto [It, New] = ForeignIds.insert({L, ForeignBase + ForeignIds.size()});
  Obj O;
  O.Bits = Bit;
  O.FreedBy = CE;
  if (const Obj *Before = S.Objs.find(It->second))
    O.HeldBy = Before->HeldBy;
  S.Objs.set(It->second, O);
  S.setPts(L, {It->second});
  S.Dirty = true;
}

void FunctionAnalyzer::registerForeign(LocKey L) {
  // A local holding a tensor the analysis did not see made (a call
  // through a function pointer): once registered, the current scope owns
  // it and frees it at its end (SPEC.md section 4), so it is followed from
  // here on like a tensor made in that scope.
  if (!L->isVar() || isa<ParmVarDecl>(L->Base) || !L->Base->hasLocalStorage())
    return;
  auto [It, New] = ForeignIds.insert({L, ForeignBase + ForeignIds.size()});
  Obj O;
  O.Bits = Scoped;
  O.Region = S.Regions.back();
  if (const Obj *Before = S.Objs.find(It->second))
    O.HeldBy = Before->HeldBy;
  S.Objs.set(It->second, O);
  S.setPts(L, {It->second});
  S.noteScoped(It->second);
  S.Dirty = true;
}

void FunctionAnalyzer::visitCall(const CallExpr *CE, const CallModel &M) {
  if (M.Kind == CallKind::LoopOpen || M.Kind == CallKind::LoopClose) {
    // A TS_SCOPE loop's scopes, keyed by its guard: `&g`.
    const auto *UO =
        CE->getNumArgs() == 1
            ? dyn_cast<UnaryOperator>(CE->getArg(0)->IgnoreParenImpCasts())
            : nullptr;
    const auto *DRE =
        UO && UO->getOpcode() == UO_AddrOf
            ? dyn_cast<DeclRefExpr>(UO->getSubExpr()->IgnoreParenImpCasts())
            : nullptr;
    if (!DRE)
      return;
    endRegion(DRE->getDecl(), CE->getBeginLoc());
    if (M.Kind == CallKind::LoopOpen)
      pushRegion(DRE->getDecl(), RegionKind::Guard, CE->getBeginLoc());
    return;
  }
  if (M.Kind == CallKind::ScopeEnd) {
    if (CE->getNumArgs() == 1)
      if (const VarDecl *VD = varOf(CE->getArg(0)))
        endRegion(VD, CE->getBeginLoc());
    return;
  }
  if (M.Kind == CallKind::ScopeBegin && !isBoundToLocal(CE)) {
    pushRegion(CE, RegionKind::Opaque, CE->getBeginLoc());
    return;
  }
  if (M.Kind == CallKind::AsyncEnter || M.Kind == CallKind::AsyncLeave ||
      M.Kind == CallKind::AsyncEnd) {
    // Keyed by the variable, or the field, that names the async scope.
    const Expr *Arg =
        CE->getNumArgs() == 1 ? CE->getArg(0)->IgnoreParenCasts() : nullptr;
    const void *Key = nullptr;
    if (const auto *DRE = dyn_cast_or_null<DeclRefExpr>(Arg))
      Key = DRE->getDecl();
    else if (const auto *ME = dyn_cast_or_null<MemberExpr>(Arg))
      Key = ME->getMemberDecl();
    if (!Key)
      Key = CE;
    // A local variable names one async scope: what it owns after a leave
    // stays its own, and its end frees it. A field may name another one
    // at each end: what it owns is handed on at the leave.
    bool Local = isa_and_nonnull<DeclRefExpr>(Arg);
    if (M.Kind == CallKind::AsyncEnter)
      pushRegion(Key, RegionKind::Opaque, CE->getBeginLoc());
    else if (M.Kind == CallKind::AsyncLeave)
      leaveRegion(Key, Local);
    else if (Local && !llvm::is_contained(S.Regions, Key))
      endOneRegion(Key, CE->getBeginLoc());
    else if (!Local && Arg)
      endAsyncField(Arg, CE->getBeginLoc()); // AsyncFills.cpp
    return;
  }
  // A tensor argument already freed, released or freed by its scope: the
  // use is reported, and tsmem's call fails on the stale handle and makes
  // nothing (SPEC.md section 2: NULL on error), so no result to leak.
  bool StaleArg = false;
  for (unsigned I = 0, N = CE->getNumArgs(); I < N; ++I) {
    // An array literal lent to the call (BorrowedLiterals.h): each element
    // is used, and stays where it is.
    if (const InitListExpr *IL = borrowedLiteral(CE, I, M)) {
      for (const Expr *El : IL->inits()) {
        ObjSet Es = eval(El);
        if (Es.empty())
          continue;
        if (checkUse(Es, El, nullptr)) {
          StaleArg = true;
          break; // Once per call.
        }
        noteBorrowUse(Es); // FieldOverwrite.cpp
      }
      continue;
    }
    ObjSet Os = eval(CE->getArg(I));
    bool IsConsumed = I == M.ConsumedArg;
    bool Frees = (IsConsumed && (M.Kind == CallKind::Free ||
                                 M.Kind == CallKind::PoolRelease ||
                                 M.Kind == CallKind::Consume)) ||
                 (M.Inferred && I < 32 && (M.FreeMask >> I & 1));
    if (Frees && Sum && !OutParams.empty())
      noteOutFree(CE->getArg(I)); // OutReads.cpp
    if (Frees && !DerefParams.empty())
      derefUse(CE->getArg(I), Frees); // DerefParams.cpp
    if (!Frees && !Os.empty() && Sum && Locs.anyIndirect())
      noteFieldUse(CE->getArg(I)); // FieldSummaries.cpp
    // A teardown loop over a count known to be 0 (CountLoops.cpp).
    if (Frees && zeroedFree(CE->getArg(I), Os))
      continue;
    // An element taken out of use (OutOfUse.cpp): freed, and no longer
    // among the array's elements.
    if (Frees && M.Api &&
        (M.Kind == CallKind::Free || M.Kind == CallKind::PoolRelease))
      if (const MemberExpr *Arr = outOfUseArray(CE, CE->getArg(I))) {
        if (!Os.empty() && !checkUse(Os, CE->getArg(I), CE))
          consume(Os, CE, M.Kind == CallKind::PoolRelease ? Released : Freed,
                  freeStrength(CE->getArg(I)));
        if (LocKey A = placeOf(Arr))
          dropFreedUnder(A);
        continue;
      }
    if (Os.empty() && Frees) {
      // Freeing what a variable got from outside: remember it is freed.
      const VarDecl *VD = varOf(CE->getArg(I));
      for (unsigned P = 0; P < TensorParams.size(); ++P)
        if (TensorParams[P] == VD)
          ParamTouched |= 1u << P;
      if (LocKey L = placeOf(CE->getArg(I)))
        freeForeign(L, CE, M.Kind == CallKind::PoolRelease ? Released : Freed);
      continue;
    }
    if (Os.empty() && M.Kind == CallKind::Register && !S.Regions.empty())
      if (LocKey L = placeOf(CE->getArg(I)))
        registerForeign(L);
    if (Os.empty())
      continue;
    if (checkUse(Os, CE->getArg(I), Frees ? CE : nullptr)) {
      StaleArg = true;
      continue; // Reported once; the rest of the path says nothing more.
    }
    if (M.Inferred) {
      // A same-file function's summary: what it does with each parameter.
      if (I < 32 && (M.BorrowMask >> I & 1))
        continue;
      // Given back (its alias is the call's result).
      if (M.AliasParam == int(I) &&
          !((M.FreeIfNullMask | M.FreeIfNonNullMask) >> I & 1))
        continue;
      if (I < 32 && (M.FreeMask >> I & 1))
        consume(Os, CE, Freed, freeStrength(CE->getArg(I)));
      else if (I < 32 && ((M.FreeIfNullMask | M.FreeIfNonNullMask) >> I & 1))
        condFree(Os, CE, M, I);
      else
        handOn(Os);
      continue;
    }
    switch (M.Kind) {
    case CallKind::Borrow:
      noteBorrowUse(Os); // FieldOverwrite.cpp
      break;
    case CallKind::Owned: {
      // tsmem's own calls borrow; a user's TS_OWNED function borrows what
      // it takes as const.
      bool Borrows = M.Api;
      const FunctionDecl *Callee = Borrows ? nullptr : CE->getDirectCallee();
      if (!Borrows && Callee && I < Callee->getNumParams()) {
        QualType P = Callee->getParamDecl(I)->getType();
        Borrows = P->isPointerType() && P->getPointeeType().isConstQualified();
      }
      if (!Borrows)
        handOn(Os);
      else
        noteBorrowUse(Os); // FieldOverwrite.cpp
      break;
    }
    case CallKind::Free:
    case CallKind::PoolRelease:
      if (Frees)
        consume(Os, CE, M.Kind == CallKind::Free ? Freed : Released,
                freeStrength(CE->getArg(I)));
      break;
    case CallKind::Escape:
      escape(Os);
      break;
    case CallKind::Register:
      registerInScope(Os);
      break;
    case CallKind::Consume:
      // TS_CONSUMES: gone after the call on every path, whatever the
      // callee does with it.
      if (IsConsumed) {
        consume(Os, CE, Freed, freeStrength(CE->getArg(I)));
        break;
      }
      handOn(Os);
      break;
    case CallKind::Keep:
      keep(Os);
      break;
    case CallKind::Unknown:
    case CallKind::Run:
    case CallKind::ScopeBegin:
    case CallKind::ScopeEnd:
    case CallKind::AsyncEnter:
    case CallKind::AsyncLeave:
    case CallKind::AsyncEnd:
    case CallKind::LoopOpen:
    case CallKind::LoopClose:
    case CallKind::Helper:
      handOn(Os);
      break;
    }
  }
  if (M.Kind == CallKind::Owned && (!M.CallerScoped || !S.Regions.empty()) &&
      !(StaleArg && M.Api))
    allocate(CE);
  else if (M.Kind == CallKind::Run && runReturnsOwned(CE))
    allocate(CE);
  if (M.Inferred && (M.FreeDerefMask | M.FreeDerefCondMask))
    derefArgs(CE, M); // DerefParams.cpp
  if (M.Inferred && (M.outParams() || M.ReplaceMask))
    outParams(CE, M);
}

} // namespace ownership
} // namespace tsmem
