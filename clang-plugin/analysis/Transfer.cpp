//===- Transfer.cpp - What each op does to the state ----------------------===//
//
// The transfer functions of the statements: each op in turn
// (visitOp), assignments, initialisations, returns, lifetime ends
// and what a block that ends the function reports. Calls are in
// TransferCalls.cpp, the effects on objects and scopes in Effects.cpp,
// whole blocks, exits and edges in TransferBlocks.cpp. Reports go
// through Checks.cpp.
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
      (!VD->hasAttr<CleanupAttr>() || cleanupFrees(VD)) &&
      (!AddrTaken->count(VD) || addressOnlyOut(VD) ||
       addressOnlyCalls(VD))) // AddrOutVars.cpp
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
    ObjSet Same;
    if (L && sameIndexRead(E, L, Same)) // SameIndex.cpp
      return Same;
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
    // The tensor it handed back through an out-parameter (ReturnedOuts.cpp).
    if (M.Inferred && M.RetOutParam >= 0)
      return evalRetOut(CE, M.RetOutParam);
    // A getter: the tensor a field of its argument holds (EntryFields.cpp).
    if (M.Inferred && M.Fields && M.Fields->RetEntryParam >= 0)
      return evalRetEntry(CE, *M.Fields);
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
    if (CS->body_empty())
      return {};
    // The value is the last statement's, under its labels (`fail: r;`, a
    // local label a `goto` in the block jumps to).
    const Stmt *Last = CS->getStmtExprResult();
    while (const auto *LS = dyn_cast<LabelStmt>(Last))
      Last = LS->getSubStmt();
    if (const auto *E = dyn_cast<Expr>(Last))
      return eval(E);
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
// Elements
//===----------------------------------------------------------------------===//

void FunctionAnalyzer::visitOp(const Op &O) {
  switch (O.K) {
  case Op::Other:
    countStep(O.St); // CountLoops.cpp
    break;
  case Op::Call:
    // Also a pointer to a struct the analysis does not follow (StoreArgs.cpp).
    storeArgsBefore(cast<CallExpr>(O.St), O.Model);
    visitCall(cast<CallExpr>(O.St), O.Model);
    if (O.TakesPlaces) {
      fieldArgs(cast<CallExpr>(O.St), O.Model);
      asyncFills(cast<CallExpr>(O.St));             // AsyncFills.cpp
      scopeFillArgs(cast<CallExpr>(O.St), O.Model); // ScopeFills.cpp
      if (!PendingStores.empty())
        storeArgsAfter(); // StoreArgs.cpp
    }
    if (O.Model.Api && O.Model.Kind == CallKind::Borrow)
      multiResults(cast<CallExpr>(O.St)); // Summaries.cpp
    addrOutArgs(cast<CallExpr>(O.St));    // AddrOutVars.cpp
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
    if (!isScopeGuard(O.VD) && !isLoopScopeGuard(O.VD)) {
      cleanupVar(O.VD); // CleanupVars.cpp
      return;
    }
    // The guard's lifetime end, right after, knows what ended the block.
    endRegion(O.VD, O.Loc);
    return;
  }
  if (O.Full)
    collect(O.St->getBeginLoc(), LeakCause::Statement, nullptr);
}

void FunctionAnalyzer::visitAssign(const Expr *LHS, const Expr *RHS) {
  if (!DerefParams.empty())
    derefStore(LHS);    // DerefParams.cpp
  countWrite(LHS, RHS); // CountLoops.cpp
  const VarDecl *VD = varOf(LHS);
  if (VD && isScopeBeginCall(RHS)) {
    pushRegion(VD, RegionKind::Manual, RHS->getBeginLoc());
    return;
  }
  if (LHS->getType()->isRecordType()) {
    // A struct: field by field (Fields.cpp).
    if (holdsTensors(LHS->getType())) {
      LocKey L = placeOf(LHS);
      if (L)
        clearCounts(L); // CountLoops.cpp
      assignRecord(L, RHS);
    }
    return;
  }
  ObjSet Os = eval(RHS);
  scopedStore(LHS, Os); // ScopedStores.cpp
  if (VD && !RepointedBases.empty() && RepointedBases.count(VD))
    repointBase(VD); // RepointedBases.cpp
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
      ObjSet Stored = Os;
      assignPlace(L, std::move(Os));
      noteIndexStore(Dst, L, Stored); // SameIndex.cpp
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
    // A struct by value (FieldSummaries.cpp).
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

} // namespace ownership
} // namespace tsmem
