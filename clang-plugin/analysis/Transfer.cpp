//===- Transfer.cpp - What each op and edge does to the state -------------===//
//
// The transfer functions: calls (by their CallModel), assignments,
// initialisations, returns, lifetime ends and scope ends, the null test on
// an edge, and what a block that leaves the function reports on its way
// out. Reports go through Checks.cpp.
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"

namespace tsmem {
namespace ownership {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

LocKey FunctionAnalyzer::trackedLoc(const VarDecl *VD) const {
  if (!VD)
    return nullptr;
  auto [It, New] = Tracked.insert({VD, nullptr});
  // A variable with a cleanup function of its own (GNU cleanup attribute)
  // is that function's to free: not followed.
  if (New && isTensorPointer(VD->getType()) && VD->hasLocalStorage() &&
      !VD->hasAttr<CleanupAttr>() &&
      (!AddrTaken->count(VD) || addressOnlyOut(VD)))
    It->second = Locs.var(VD);
  return It->second;
}

ObjSet FunctionAnalyzer::eval(const Expr *E) {
  if (!E)
    return {};
  E = ignoreParenCasts(E);
  if (const auto *DRE = dyn_cast<DeclRefExpr>(E)) {
    LocKey L = trackedLoc(dyn_cast<VarDecl>(DRE->getDecl()));
    if (!L)
      return {};
    const ObjSet *Os = S.Pts.find(L);
    return Os ? *Os : ObjSet();
  }
  if (isa<MemberExpr>(E) || isa<ArraySubscriptExpr>(E)) {
    if (!isTensorPointer(E->getType()))
      return {};
    LocKey L = placeOf(E);
    return L ? evalPlace(L) : ObjSet();
  }
  if (const auto *CE = dyn_cast<CallExpr>(E)) {
    // Only TS_OWNED calls have sites: look there first.
    auto It = SiteIndex.find(CE);
    if (It != SiteIndex.end()) {
      if (!S.Objs.count(It->second * 2))
        return {};
      return {It->second * 2};
    }
    CallModel M = model(CE);
    if ((M.Kind == CallKind::Escape || M.Kind == CallKind::Keep) &&
        CE->getNumArgs() == 1)
      return eval(CE->getArg(0));
    // A helper that gives back its argument (or NULL), or an in-place or
    // out= operator (its argument's handle).
    if ((M.Inferred || M.Api) && M.AliasParam >= 0 &&
        unsigned(M.AliasParam) < CE->getNumArgs())
      return eval(CE->getArg(M.AliasParam));
    return {};
  }
  if (const auto *CO = dyn_cast<ConditionalOperator>(E)) {
    // The arm this path took, when its facts tell (Paths.h).
    if (PE && CurFacts)
      if (std::optional<bool> D = PE->decideCond(CO->getCond(), *CurFacts, S))
        return eval(*D ? CO->getTrueExpr() : CO->getFalseExpr());
    ObjSet Os = eval(CO->getTrueExpr());
    ObjSet F = eval(CO->getFalseExpr());
    Os.insert(F);
    return Os;
  }
  if (const auto *BCO = dyn_cast<BinaryConditionalOperator>(E)) {
    ObjSet Os = eval(BCO->getCommon());
    ObjSet F = eval(BCO->getFalseExpr());
    Os.insert(F);
    return Os;
  }
  if (const auto *OVE = dyn_cast<OpaqueValueExpr>(E))
    return eval(OVE->getSourceExpr());
  if (const auto *SE = dyn_cast<StmtExpr>(E)) {
    const CompoundStmt *CS = SE->getSubStmt();
    if (!CS->body_empty())
      if (const auto *Last = dyn_cast<Expr>(CS->body_back()))
        return eval(Last);
    return {};
  }
  if (const auto *BO = dyn_cast<BinaryOperator>(E))
    if (BO->getOpcode() == BO_Assign || BO->getOpcode() == BO_Comma)
      return eval(BO->getRHS());
  return {};
}

bool FunctionAnalyzer::isScopeBeginCall(const Expr *E) const {
  const auto *CE = E ? dyn_cast<CallExpr>(ignoreParenCasts(E)) : nullptr;
  return CE && model(CE).Kind == CallKind::ScopeBegin;
}

//===----------------------------------------------------------------------===//
// Effects
//===----------------------------------------------------------------------===//

void FunctionAnalyzer::allocate(const CallExpr *CE) {
  auto [It, New] = SiteIndex.insert({CE, Sites.size()});
  if (New)
    Sites.push_back(CE);
  allocateSite(It->second);
}

ObjId FunctionAnalyzer::allocateSite(unsigned Idx) {
  ObjId Id = Idx * 2, Older = Id + 1;
  if (const Obj *Prev = S.Objs.find(Id)) {
    // The site runs again: what it made before becomes "older".
    Obj P = *Prev;
    S.Objs.erase(Id);
    if (Obj *OO = S.Objs.findMut(Older)) {
      OO->Bits |= P.Bits;
      OO->HeldBy.insert(P.HeldBy);
    } else {
      S.Objs.set(Older, P);
    }
    for (LocKey VD : P.HeldBy) {
      ObjSet *Os = S.Pts.findMut(VD);
      Os->erase(Id);
      Os->insert(Older);
    }
    if (S.Objs.find(Older)->HeldBy.empty())
      S.Unheld.push_back(Older);
    S.noteScoped(Older);
    S.noteMayReport(Older);
  }
  Obj O;
  if (S.Regions.empty()) {
    O.Bits = Owned;
  } else {
    O.Bits = Scoped;
    O.Region = S.Regions.back();
  }
  S.Objs.set(Id, O);
  S.Unheld.push_back(Id);
  S.noteScoped(Id);
  S.noteMayReport(Id);
  S.Dirty = true;
  return Id;
}

void FunctionAnalyzer::touch(ObjId Id) {
  if (isParam(Id) && Id - ParamBase < 32)
    ParamTouched |= 1u << (Id - ParamBase);
}

void FunctionAnalyzer::handOn(const ObjSet &Os) {
  for (ObjId Id : Os) {
    touch(Id);
    Obj *O = S.Objs.findMut(Id);
    if (!O)
      continue;
    O->Bits = HandedOn;
    O->Ret = nullptr;
    S.Dirty = true;
    S.noteMayReport(Id);
  }
}

void FunctionAnalyzer::consume(const ObjSet &Os, const CallExpr *CE,
                               OwnerBit Bit, int Strength) {
  // A strong update is right when the argument can only be one object, or
  // when no other variable may hold any of them (every live object is held
  // by some variable, so on each path the argument is that object).
  bool Strong = Os.size() == 1;
  if (!Strong) {
    Strong = true;
    for (ObjId Id : Os) {
      const Obj *O = S.Objs.find(Id);
      if (O && O->HeldBy.size() > 1)
        Strong = false;
    }
  }
  if (Strength)
    Strong = Strength > 0;
  for (ObjId Id : Os) {
    touch(Id);
    Obj *P = S.Objs.findMut(Id);
    if (!P)
      continue;
    Obj &O = *P;
    O.Bits = Strong ? Bit : (O.Bits | Bit);
    if (Strong)
      O.ReportedAt = nullptr;
    O.FreedBy = CE;
    O.Ret = nullptr;
    S.Dirty = true;
    S.noteMayReport(Id);
  }
}

void FunctionAnalyzer::escape(const ObjSet &Os) {
  for (ObjId Id : Os) {
    touch(Id);
    Obj *P = S.Objs.findMut(Id);
    if (!P)
      continue;
    Obj &O = *P;
    if ((O.Bits & Scoped) && !S.Regions.empty() &&
        O.Region == S.Regions.back()) {
      // From the current scope to its parent; beyond the function (or at
      // depth 1, manual) it is the caller's business.
      if (S.Regions.size() >= 2) {
        O.Region = S.Regions[S.Regions.size() - 2];
        S.noteScoped(Id);
      } else {
        O.Bits = (O.Bits & ~Scoped) | HandedOn;
        noteEscapedOut(Id, O.Region);
      }
    } else if (O.Bits & (Owned | Borrowed)) {
      O.Bits = (O.Bits & ~(Owned | Borrowed)) | HandedOn;
    }
    S.noteMayReport(Id);
  }
}

void FunctionAnalyzer::registerInScope(const ObjSet &Os) {
  if (S.Regions.empty())
    return;
  for (ObjId Id : Os) {
    touch(Id);
    Obj *O = S.Objs.findMut(Id);
    if (O && (O->Bits & Borrowed))
      O->Bits = (O->Bits & ~Borrowed) | HandedOn;
    if (O && O->Bits == Owned) {
      O->Bits = Scoped;
      O->Region = S.Regions.back();
      S.noteScoped(Id);
      S.noteMayReport(Id);
    }
  }
}

void FunctionAnalyzer::pushRegion(const void *Key, RegionKind Kind,
                                  SourceLocation Loc) {
  auto [It, New] = RegionInfos.insert({Key, {Kind, Loc}});
  if (!New && (It->second.Kind != Kind || It->second.Begin != Loc)) {
    It->second = {Kind, Loc};
    RegionInfoVaries = true;
  }
  S.Regions.push_back(Key);
}

void FunctionAnalyzer::endRegion(const void *Key, SourceLocation EndLoc) {
  auto It = llvm::find(llvm::reverse(S.Regions), Key);
  if (It == S.Regions.rend())
    return;
  // Ending a scope that is not innermost ends the inner ones first.
  size_t Depth = std::distance(It, S.Regions.rend()) - 1;
  while (S.Regions.size() > Depth) {
    const void *K = S.Regions.pop_back_val();
    endOneRegion(K, EndLoc);
  }
}

void FunctionAnalyzer::leaveRegion(const void *Key, bool Keep) {
  auto It = llvm::find(llvm::reverse(S.Regions), Key);
  if (It == S.Regions.rend())
    return;
  S.Regions.erase(std::next(It).base());
  if (Keep)
    return;
  for (ObjId Id : S.scopedIn(Key)) {
    Obj &O = *S.Objs.findMut(Id);
    O.Bits = (O.Bits & ~Scoped) | HandedOn;
    O.Ret = nullptr;
    S.Dirty = true;
  }
}

/// Is a ts_scope_begin() call's id kept in a local variable, where
/// visitInit and visitAssign follow it?
bool FunctionAnalyzer::isBoundToLocal(const CallExpr *CE) const {
  const Stmt *P =
      Facts.Known
          ? Facts.ScopeBeginParents.lookup(CE)
          : Parents->getParentIgnoreParenCasts(const_cast<CallExpr *>(CE));
  if (isa_and_nonnull<DeclStmt>(P))
    return true;
  if (const auto *BO = dyn_cast_or_null<BinaryOperator>(P)) {
    const VarDecl *VD = varOf(BO->getLHS());
    return BO->getOpcode() == BO_Assign && VD && VD->hasLocalStorage() &&
           isa<DeclRefExpr>(BO->getLHS()->IgnoreParenImpCasts());
  }
  return false;
}

void FunctionAnalyzer::endOneRegion(const void *Key, SourceLocation EndLoc) {
  for (ObjId Id : S.scopedIn(Key)) {
    Obj &O = *S.Objs.findMut(Id);
    if (O.Ret) {
      reportUnescapedReturn(O, Key);
      O.Bits = (O.Bits & ~Scoped) | HandedOn;
      O.Ret = nullptr;
      S.Dirty = true;
      continue;
    }
    O.Bits = (O.Bits & ~Scoped) | Ended;
    O.EndLoc = EndLoc;
  }
}

void FunctionAnalyzer::collect(SourceLocation Loc, LeakCause Cause,
                               const VarDecl *Dying) {
  // Clean: every object is held or being returned.
  if (!S.Dirty)
    return;
  S.Dirty = false;
  // The objects no variable holds are among S.Unheld: in order, once.
  llvm::sort(S.Unheld);
  S.Unheld.erase(std::unique(S.Unheld.begin(), S.Unheld.end()), S.Unheld.end());
  llvm::SmallVector<ObjId, 4> Kept;
  for (ObjId Id : S.Unheld) {
    const Obj *O = S.Objs.find(Id);
    if (!O || !O->HeldBy.empty())
      continue;
    // A parameter's tensor is the caller's: kept for the summary.
    if (isParam(Id))
      continue;
    if (O->Ret) {
      Kept.push_back(Id);
      continue;
    }
    if (O->Bits == Owned)
      reportLeak(Id, *O, Loc, Cause, Dying);
    if (keepFreedEntry(Id, *O))
      continue; // For the summary (EntryFields.cpp).
    S.Objs.erase(Id);
  }
  S.Unheld = std::move(Kept);
}

//===----------------------------------------------------------------------===//
// Elements
//===----------------------------------------------------------------------===//

void FunctionAnalyzer::visitOp(const Op &O) {
  switch (O.K) {
  case Op::Other:
    break;
  case Op::Call:
    visitCall(cast<CallExpr>(O.St), O.Model);
    if (O.TakesPlaces) {
      fieldArgs(cast<CallExpr>(O.St), O.Model);
      asyncFills(cast<CallExpr>(O.St)); // AsyncFills.cpp
    }
    if (O.Model.Api && O.Model.Kind == CallKind::Borrow)
      multiResults(cast<CallExpr>(O.St)); // Summaries.cpp
    break;
  case Op::Assign: {
    const auto *BO = cast<BinaryOperator>(O.St);
    visitAssign(BO->getLHS(), BO->getRHS());
    break;
  }
  case Op::Decl:
    for (const Decl *D : cast<DeclStmt>(O.St)->decls())
      if (const auto *VD = dyn_cast<VarDecl>(D))
        visitInit(VD);
    break;
  case Op::Return:
    visitReturn(cast<ReturnStmt>(O.St));
    break;
  case Op::Aggregate:
    // Stored into an aggregate: its owner is whatever owns the aggregate.
    for (const Stmt *Child : O.St->children())
      if (const auto *E = dyn_cast_or_null<Expr>(Child))
        handOn(eval(E));
    break;
  case Op::IntCast:
    // Turned into an integer: nobody can follow it any more.
    handOn(eval(cast<ExplicitCastExpr>(O.St)->getSubExpr()));
    break;
  case Op::LifetimeEnd:
    visitLifetimeEnd(O.VD, O.Loc);
    return;
  case Op::Cleanup:
    // The guard's lifetime end, right after, knows what ended the block.
    endRegion(O.VD, O.Loc);
    return;
  }
  if (O.Full)
    collect(O.St->getBeginLoc(), LeakCause::Statement, nullptr);
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
  for (unsigned I = 0, N = CE->getNumArgs(); I < N; ++I) {
    ObjSet Os = eval(CE->getArg(I));
    bool IsConsumed = I == M.ConsumedArg;
    bool Frees = (IsConsumed && (M.Kind == CallKind::Free ||
                                 M.Kind == CallKind::PoolRelease ||
                                 M.Kind == CallKind::Consume)) ||
                 (M.Inferred && I < 32 && (M.FreeMask >> I & 1));
    if (Frees && !DerefParams.empty())
      derefUse(CE->getArg(I), Frees); // DerefParams.cpp
    if (!Frees && !Os.empty() && Sum && Locs.anyIndirect())
      noteFieldUse(CE->getArg(I)); // Fields.cpp
    if (Os.empty() && Frees) {
      // Freeing what a variable got from outside: remember it is freed.
      const VarDecl *VD = varOf(CE->getArg(I));
      for (unsigned P = 0; P < TensorParams.size(); ++P)
        if (TensorParams[P] == VD)
          ParamTouched |= 1u << P;
      if (LocKey L = placeOf(CE->getArg(I))) {
        auto [It, New] =
            ForeignIds.insert({L, ForeignBase + ForeignIds.size()});
        Obj O;
        O.Bits = M.Kind == CallKind::PoolRelease ? Released : Freed;
        O.FreedBy = CE;
        if (const Obj *Before = S.Objs.find(It->second))
          O.HeldBy = Before->HeldBy;
        S.Objs.set(It->second, O);
        S.setPts(L, {It->second});
        S.Dirty = true;
      }
      continue;
    }
    if (Os.empty())
      continue;
    if (checkUse(Os, CE->getArg(I), Frees ? CE : nullptr))
      continue; // Reported once; the rest of the path says nothing more.
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
      else if (I < 32 &&
               ((M.FreeIfNullMask | M.FreeIfNonNullMask) >> I & 1))
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
  if (M.Kind == CallKind::Owned && (!M.CallerScoped || !S.Regions.empty()))
    allocate(CE);
  else if (M.Kind == CallKind::Run && runReturnsOwned(CE))
    allocate(CE);
  if (M.Inferred && (M.FreeDerefMask | M.FreeDerefCondMask))
    derefArgs(CE, M); // DerefParams.cpp
  if (M.Inferred && (M.outParams() || M.ReplaceMask))
    outParams(CE, M);
}

void FunctionAnalyzer::visitAssign(const Expr *LHS, const Expr *RHS) {
  if (!DerefParams.empty())
    derefStore(LHS); // DerefParams.cpp
  const VarDecl *VD = varOf(LHS);
  if (VD && isScopeBeginCall(RHS)) {
    pushRegion(VD, RegionKind::Manual, RHS->getBeginLoc());
    return;
  }
  if (LHS->getType()->isRecordType()) {
    // A struct: field by field (Fields.cpp).
    if (holdsTensors(LHS->getType()))
      assignRecord(placeOf(LHS), RHS);
    return;
  }
  ObjSet Os = eval(RHS);
  if (LocKey L = VD && isa<DeclRefExpr>(LHS->IgnoreParenImpCasts())
                     ? placeOf(LHS)
                     : nullptr) {
    for (ObjId Id : Os)
      if (Obj *O = S.Objs.findMut(Id))
        O->LastVar = L;
    S.setPts(L, std::move(Os));
    S.Dirty = true;
    return;
  }
  if (Sum && !OutParams.empty())
    noteOutStore(LHS, Os, RHS);
  // A field or element of a followed variable (Fields.cpp).
  const Expr *Dst = ignoreParenCasts(LHS);
  if ((isa<MemberExpr>(Dst) || isa<ArraySubscriptExpr>(Dst)) &&
      isTensorPointer(Dst->getType()))
    if (LocKey L = placeOf(Dst)) {
      overwriteField(L, Os, LHS); // FieldOverwrite.cpp
      assignPlace(L, std::move(Os));
      return;
    }
  handOn(Os); // A global, a field, an array, through a pointer...
}

void FunctionAnalyzer::visitInit(const VarDecl *VD) {
  if (isScopeGuard(VD)) {
    pushRegion(VD, RegionKind::Guard, SM.getExpansionLoc(VD->getLocation()));
    return;
  }
  const Expr *Init = VD->getInit();
  if (isScopeBeginCall(Init)) {
    pushRegion(VD, RegionKind::Manual, Init->getBeginLoc());
    return;
  }
  ObjSet Os = eval(Init);
  if (LocKey L = trackedLoc(VD)) {
    for (ObjId Id : Os)
      if (Obj *O = S.Objs.findMut(Id))
        O->LastVar = L;
    S.setPts(L, std::move(Os));
    S.Dirty = true;
    return;
  }
  if (Init && (VD->getType()->isRecordType() || VD->getType()->isArrayType()) &&
      isBase(VD)) {
    // A struct or array (Fields.cpp).
    if (const auto *IL = dyn_cast<InitListExpr>(Init->IgnoreParenImpCasts()))
      initPlaces(Locs.var(VD), IL);
    else if (VD->getType()->isRecordType())
      assignRecord(Locs.var(VD), Init);
    return;
  }
  handOn(Os); // static locals, aggregates, void pointers...
}

void FunctionAnalyzer::visitReturn(const ReturnStmt *RS) {
  if (const Expr *V = RS->getRetValue(); V && V->getType()->isRecordType()) {
    // A struct by value (Fields.cpp).
    LocKey B = holdsTensors(V->getType()) ? placeOf(V) : nullptr;
    if (B)
      returnRecord(RS, B);
    else
      RetOtherRecord = true;
    return;
  }
  ObjSet Os = eval(RS->getRetValue());
  if (Sum) {
    // For the summary: NULL, tensors made here and the function's alone, or
    // anything else.
    const Expr *V = RS->getRetValue();
    ReturnKind K = RetOther;
    // A ts_run callback returns its tensor as a void *.
    if (V && (isTensorPointer(V->getType()) ||
              isTensorPointer(V->IgnoreParenCasts()->getType()) ||
              V->getType()->isVoidPointerType())) {
      if (Os.empty())
        K = V->IgnoreParenCasts()->isNullPointerConstant(
                Ctx, Expr::NPC_ValueDependentIsNotNull)
                ? RetNull
                : RetOther;
      else
        K = returnKindOf(*Os.begin());
      for (ObjId Id : Os) {
        if (isParam(Id))
          ParamReturned |= 1u << (Id - ParamBase);
        if (returnKindOf(Id) != K)
          K = RetOther;
      }
    }
    ReturnKinds[RS] = K;
    noteReturnClass(RS, Os);
  }
  if (Os.empty())
    return;
  if (checkUse(Os, RS->getRetValue(), nullptr))
    return;
  for (ObjId Id : Os) {
    Obj *P = S.Objs.findMut(Id);
    if (!P)
      continue;
    Obj &O = *P;
    if (O.Bits & Scoped) {
      O.Ret = RS;
      O.RetFixable = !S.Regions.empty() && O.Region == S.Regions.back();
    }
    if (O.Bits & Owned)
      O.Bits = (O.Bits & ~Owned) | HandedOn;
    S.noteMayReport(Id);
  }
}

void FunctionAnalyzer::visitLifetimeEnd(const VarDecl *VD, SourceLocation Loc) {
  LocKey L = Locs.findVar(VD);
  if (!L)
    return;
  // The variable, and the fields and elements of a struct or array. What
  // it reaches through a pointer (`n->feat`, n a local pointer) outlives
  // it: not the function's any more, as at the function's end.
  bool Any = false;
  if (Locs.anyIndirect())
    LocTable::forEachUnder(L, [&](LocKey Q) {
      if (const ObjSet *Os = Q->Indirect ? S.Pts.find(Q) : nullptr)
        for (ObjId Id : *Os)
          if (Obj *O = S.Objs.findMut(Id))
            if (O->Bits & Owned)
              O->Bits = (O->Bits & ~Owned) | HandedOn;
    });
  LocTable::forEachUnder(L, [&](LocKey Q) { Any |= S.erasePts(Q); });
  if (!Any)
    return;
  S.Dirty = true;
  collect(Loc, LeakCause::OutOfScope, VD);
}

void FunctionAnalyzer::functionEnd(const BlockInfo &BI) {
  SourceLocation EndLoc = BI.Ret ? BI.Ret->getBeginLoc() : FD->getBodyRBrace();
  while (!S.Regions.empty()) {
    const void *K = S.Regions.pop_back_val();
    RegionKind Kind = RegionInfos.lookup(K).Kind;
    if (Kind == RegionKind::Function || Kind == RegionKind::Guard) {
      endOneRegion(K, EndLoc);
      continue;
    }
    // The caller's scope, or a scope left open: it outlives this call.
    for (ObjId Id : S.scopedIn(K)) {
      Obj &O = *S.Objs.findMut(Id);
      O.Bits = (O.Bits & ~Scoped) | HandedOn;
      O.Ret = nullptr;
      S.Dirty = true;
    }
  }
  handOnIndirect();
  S.Pts.forEach([&](LocKey, const ObjSet &Os) {
    for (ObjId Id : Os)
      if (Obj *O = S.Objs.findMut(Id)) {
        O->HeldBy.clear();
        S.Unheld.push_back(Id);
      }
  });
  S.Pts.clear();
  S.Dirty = true;
  collect(EndLoc, LeakCause::Return, nullptr);
}

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
  if (BI.Leaves) {
    for (unsigned I = 0; I < BI.Tail; ++I)
      visitOp(BI.Ops[I]);
    noteExit(BI);
    exitTail(BI);
    return;
  }
  for (const Op &O : BI.Ops)
    visitOp(O);
  if (BI.EndsFunction) {
    noteExit(BI);
    functionEnd(BI);
  }
}

/// The parameters' tensors on the way out, for the summary.
void FunctionAnalyzer::noteExit(const BlockInfo &BI) {
  failureCleanup(BI); // FailureCleanup.cpp
  if (!Sum)
    return;
  noteExitFields(BI.B->getBlockID());
  noteExitEntries(BI);
  noteExitDeref(BI);
  llvm::SmallVector<uint8_t, 4> &Bits = ExitBits[BI.B->getBlockID()];
  Bits.assign(TensorParams.size(), 0);
  for (unsigned I = 0; I < TensorParams.size(); ++I)
    if (TensorParams[I])
      if (const Obj *O = S.Objs.find(ParamBase + I))
        Bits[I] = O->Bits;
  noteExitConditional(BI);
}

void FunctionAnalyzer::summarize() {
  FunctionSummary &F = *Sum;
  F.Valid = true;
  summarizeFields();
  summarizeEntries();
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
  if (markNullEntry(E, BI.NullTested))
    return; // A field's tensor from the caller (EntryFields.cpp).
  const ObjSet *Os = E.Pts.find(BI.NullTested);
  if (!Os)
    return;
  if (Os->size() != 1) {
    // Each tensor it may hold either was not made on this path or was the
    // one whose call failed (one lost before would have been reported where
    // it was lost): forget those no other variable holds. Marking them
    // unreachable instead reported `t = c ? a() : b(); if (!t) return;`.
    ObjSet Held = *Os;
    E.Pts.set(BI.NullTested, ObjSet());
    for (ObjId Id : Held)
      if (Obj *O = E.Objs.findMut(Id)) {
        O->HeldBy.erase(BI.NullTested);
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
