//===- Summaries.cpp - Scope kinds and same-file summaries at calls -------===//
//
// What the analysis of one function adds for its callers' sake, and reads
// off its callees' summaries: ts_keep, tensors escaped out of a TS_SCOPED
// (or ts_run) body, TS_CALLER_SCOPE results that belong to the caller's
// current scope, and ts_run calls whose callback returns a tensor.
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"
#include "OutReads.h"
#include "OutReplace.h"
#include "StatusFills.h"

namespace tsmem {
namespace ownership {

void FunctionAnalyzer::noteEscapedOut(ObjId Id, const void *Region) {
  // Out of the function's own scope (TS_SCOPED, or ts_run's fresh scope):
  // manual, or the caller's scope's, once the function returns it.
  if (Sum && !isParam(Id) && !isForeign(Id) && Region == FD &&
      Scope == BodyScope::Scoped)
    EscapedOut.insert(Id);
  // Out of the outermost scope the function opens itself (TS_SCOPE_GUARD,
  // a TS_SCOPE block, ts_scope_begin bound to a local): manual, or the
  // scope the caller is in; the caller's once returned, as above.
  if (Sum && !isParam(Id) && !isForeign(Id) && Scope == BodyScope::None) {
    auto It = RegionInfos.find(Region);
    RegionKind K =
        It == RegionInfos.end() ? RegionKind::Opaque : It->second.Kind;
    if (Region != FD && (K == RegionKind::Guard || K == RegionKind::Manual))
      EscapedOut.insert(Id);
  }
}

FunctionAnalyzer::ReturnKind FunctionAnalyzer::returnKindOf(ObjId Id) const {
  if (isParam(Id))
    return RetOther;
  if (isForeign(Id))
    return takenEntry(Id) ? RetMade : RetOther; // TakenEntries.cpp
  const Obj *O = S.Objs.find(Id);
  if (!O)
    return RetOther;
  // Also left in memory the caller reaches (`p->t = t; return t;`): the
  // caller borrows it.
  if (heldIndirectly(*O))
    return RetOther;
  if (O->Bits == Owned)
    return RetMade;
  if (O->Bits == HandedOn && EscapedOut.count(Id))
    return RetMade;
  if (Scope == BodyScope::CallerScope && O->Bits == Scoped && O->Region == FD)
    return RetCallerScoped;
  return RetOther;
}

/// The calls whose tensor some function ts_keep()s (a property of the
/// call, unique in the translation unit): a field filled with such a
/// tensor only is manual in any caller's scope (FieldSummaries.cpp).
static llvm::DenseSet<const CallExpr *> KeptCalls;
bool keptCall(const CallExpr *CE) { return KeptCalls.count(CE) != 0; }

void FunctionAnalyzer::keep(const ObjSet &Os) {
  for (ObjId Id : Os) {
    Obj *O = S.Objs.findMut(Id);
    if (!O || isParam(Id) || isForeign(Id) || (O->Bits & ~(Owned | Scoped))) {
      // Someone else's, or gone on some path: as before, not ours.
      handOn({Id});
      continue;
    }
    // ts_keep (SPEC.md section 2): out of scope management for good;
    // the function frees it.
    touch(Id);
    KeptCalls.insert(Sites[Id / 2]);
    O->Bits = Owned;
    O->Region = nullptr;
    O->Ret = nullptr;
    S.Dirty = true;
    S.noteMayReport(Id);
  }
}

bool FunctionAnalyzer::runReturnsOwned(const CallExpr *CE) const {
  if (CE->getNumArgs() < 1)
    return false;
  const Expr *Fn = ignoreParenCasts(CE->getArg(0));
  if (const auto *UO = dyn_cast<UnaryOperator>(Fn))
    if (UO->getOpcode() == UO_AddrOf)
      Fn = ignoreParenCasts(UO->getSubExpr());
  const auto *DRE = dyn_cast<DeclRefExpr>(Fn);
  const auto *Target = DRE ? dyn_cast<FunctionDecl>(DRE->getDecl()) : nullptr;
  return Target && Models.get(Target).RunReturnsOwned;
}

} // namespace ownership
} // namespace tsmem

//===----------------------------------------------------------------------===//
// Effects that depend on a helper's result, and out-parameters
//===----------------------------------------------------------------------===//

namespace tsmem {
namespace ownership {

namespace {

/// Out-parameter markers: Objs holds one per `ts_tensor **` parameter, from
/// OutBase up, whose Bits say what was stored through it on the path.
constexpr ObjId OutBase = 1u << 28;
enum OutBits : uint8_t {
  OutNone = 1,   ///< Nothing stored (or NULL).
  OutOwned = 2,  ///< A tensor made here, the caller's to free.
  OutCaller = 4, ///< A tensor made here in the caller's scope.
  OutOther = 8,  ///< Anything else.
  /// The parameter itself is NULL on the path (an optional out-parameter
  /// tested): nothing could be stored, and no caller passing `&v` is there.
  OutNullParam = 16,
  /// TS_SCOPED: a tensor of the function's own scope (not escaped), freed
  /// when the function returns.
  OutEnded = 32,
};

/// What a conditional effect (Obj::CondKind) does, and on which result.
enum CondKinds : uint8_t {
  FreedIfNull = 1,
  FreedIfNonNull = 2,
  MadeIfNull = 3,
  MadeIfNonNull = 4,
};
static_assert(unsigned(MadeIfNull) == unsigned(FilledOnZero) &&
                  unsigned(MadeIfNonNull) == unsigned(FilledOnNonZero),
              "a status fill makes its object with the out-parameters' kinds");

bool isTensorOutPointer(QualType T) {
  const auto *P = T.getCanonicalType()->getAs<PointerType>();
  return P && !P->getPointeeType().isConstQualified() &&
         isTensorPointer(P->getPointeeType());
}

/// A generated operator with several results (SPEC section 6): `ts_status
/// f(ts_tensor **out, ...)` writes new tensors to out[0..k), every one NULL
/// on failure. (A list result has `int out_cap` next: not this.)
bool isMultiResult(const CallExpr *CE, const CallModel &M) {
  const FunctionDecl *F = CE->getDirectCallee();
  if (!F || !M.Api || M.Kind != CallKind::Borrow || F->getNumParams() < 2 ||
      CE->getNumArgs() < 2 || isTensorPointer(F->getReturnType()))
    return false;
  const ParmVarDecl *P0 = F->getParamDecl(0);
  return P0->getIdentifier() && P0->getName() == "out" &&
         isTensorOutPointer(P0->getType()) &&
         !F->getParamDecl(1)->getType()->isIntegerType();
}

bool isZeroConstant(const Expr *E, ASTContext &Ctx) {
  E = E->IgnoreParenCasts();
  if (E->isNullPointerConstant(Ctx, Expr::NPC_ValueDependentIsNotNull))
    return true;
  if (const auto *IL = dyn_cast<IntegerLiteral>(E))
    return IL->getValue() == 0;
  return false;
}

/// Every use of each candidate out-parameter is a store to `*p` or `p[0]`,
/// or a test of p itself: the pointer goes nowhere else, and the tensor the
/// caller had there is never read (a helper that frees or reads the old
/// `*p` before replacing it is not an out-parameter's: it stays untracked).
class OutParamUses : public RecursiveASTVisitor<OutParamUses> {
public:
  explicit OutParamUses(llvm::SmallVectorImpl<const ParmVarDecl *> &Params)
      : Params(Params) {}
  /// Reads of `*p` known to be of the function's own tensor (OutReads.cpp).
  llvm::SmallPtrSet<const DeclRefExpr *, 8> &fineRefs() { return Fine; }
  bool VisitDeclRefExpr(DeclRefExpr *DRE) {
    if (const auto *P = dyn_cast<ParmVarDecl>(DRE->getDecl()))
      if (!Fine.count(DRE))
        for (const ParmVarDecl *&C : Params)
          if (C == P)
            C = nullptr;
    return true;
  }
  void fine(const Expr *E) {
    if (const auto *DRE = dyn_cast<DeclRefExpr>(E->IgnoreParenImpCasts()))
      Fine.insert(DRE);
  }
  bool VisitUnaryOperator(UnaryOperator *UO) {
    if (UO->getOpcode() == UO_LNot ||
        (UO->getOpcode() == UO_Deref && Stores.count(UO)))
      fine(UO->getSubExpr());
    return true;
  }
  bool VisitArraySubscriptExpr(ArraySubscriptExpr *AE) {
    if (const auto *IL =
            dyn_cast<IntegerLiteral>(AE->getIdx()->IgnoreParenImpCasts()))
      if (IL->getValue() == 0 && Stores.count(AE))
        fine(AE->getBase());
    return true;
  }
  bool VisitBinaryOperator(BinaryOperator *BO) {
    if (BO->getOpcode() == BO_Assign)
      Stores.insert(BO->getLHS()->IgnoreParens());
    if (BO->getOpcode() == BO_EQ || BO->getOpcode() == BO_NE) {
      fine(BO->getLHS());
      fine(BO->getRHS());
    }
    return true;
  }
  bool VisitIfStmt(IfStmt *IS) {
    if (IS->getCond())
      fine(IS->getCond());
    return true;
  }
  bool VisitConditionalOperator(ConditionalOperator *CO) {
    fine(CO->getCond());
    return true;
  }
  // Visits parents before children: Fine is filled before the DeclRefExpr.
  bool shouldTraversePostOrder() const { return false; }

private:
  llvm::SmallVectorImpl<const ParmVarDecl *> &Params;
  llvm::SmallPtrSet<const DeclRefExpr *, 8> Fine;
  /// The left sides of assignments (seen before their children).
  llvm::SmallPtrSet<const Expr *, 8> Stores;
};

} // namespace

int FunctionAnalyzer::outParamIndex(const VarDecl *VD) const {
  for (unsigned I = 0; I < OutParams.size(); ++I)
    if (OutParams[I] && OutParams[I] == VD)
      return int(I);
  return -1;
}

void FunctionAnalyzer::initOutParams() {
  if (!Sum)
    return;
  bool Any = false;
  for (unsigned I = 0, N = std::min(FD->getNumParams(), 32u); I < N; ++I) {
    const ParmVarDecl *P = FD->getParamDecl(I);
    bool Out = isTensorOutPointer(P->getType());
    OutParams.push_back(Out ? P : nullptr);
    Any |= Out;
  }
  uint32_t Replace =
      Any && Scope == BodyScope::None ? replaceCandidates(FD, Models) : 0;
  if (Any) {
    OutParamUses Uses(OutParams);
    outReadsAfterStore(FD, OutParams, Models, Uses.fineRefs());
    Uses.TraverseStmt(const_cast<Stmt *>(FD->getBody()));
  }
  for (unsigned I = 0; I < OutParams.size(); ++I)
    if (!OutParams[I] && (Replace >> I & 1)) {
      OutParams[I] = FD->getParamDecl(I);
      ReplaceParams |= 1u << I;
    }
  if (llvm::none_of(OutParams, [](const ParmVarDecl *P) { return P; })) {
    OutParams.clear();
    return;
  }
  for (unsigned I = 0; I < OutParams.size(); ++I)
    if (OutParams[I]) {
      Obj M;
      M.Bits = OutNone;
      S.Objs.set(OutBase + I, M);
    }
}

void FunctionAnalyzer::noteOutStore(const Expr *LHS, const ObjSet &Os,
                                    const Expr *RHS) {
  LHS = LHS->IgnoreParenImpCasts();
  const Expr *Base = nullptr;
  if (const auto *UO = dyn_cast<UnaryOperator>(LHS)) {
    if (UO->getOpcode() == UO_Deref)
      Base = UO->getSubExpr();
  } else if (const auto *AE = dyn_cast<ArraySubscriptExpr>(LHS)) {
    Base = AE->getBase();
  }
  int I = Base ? outParamIndex(varOf(Base)) : -1;
  if (I < 0)
    return;
  uint8_t Kind = OutOther;
  if (Os.empty()) {
    if (isZeroConstant(RHS, Ctx) || nullUnlessMade(RHS, Ctx)) // OutReads.cpp
      Kind = OutNone;
  } else {
    ReturnKind K = returnKindOf(*Os.begin());
    bool Same =
        llvm::all_of(Os, [&](ObjId Id) { return returnKindOf(Id) == K; });
    if (Same && K == RetMade)
      Kind = OutOwned;
    else if (Same && K == RetCallerScoped)
      Kind = OutCaller;
    else if (Scope == BodyScope::Scoped &&
             bodyScopeOf(FD) == BodyScope::Scoped &&
             llvm::all_of(Os, [&](ObjId Id) {
               const Obj *O = S.Objs.find(Id);
               return O && O->Bits == Scoped && O->Region == FD;
             }))
      Kind = OutEnded;
  }
  if (Obj *M = S.Objs.findMut(OutBase + I))
    M->Bits = Kind;
  noteOutStored(unsigned(I), Os); // ReturnedOuts.cpp
}

void FunctionAnalyzer::noteOutFree(const Expr *Arg) {
  // `ts_free(*p)` after a store (OutReads.cpp): nothing handed back.
  int I = outParamIndex(derefParam(Arg));
  if (I >= 0 && !(ReplaceParams >> I & 1))
    if (Obj *M = S.Objs.findMut(OutBase + I))
      if (M->Bits == OutOwned)
        M->Bits = OutNone;
}

bool FunctionAnalyzer::outStoredOnPath(unsigned I) const {
  const Obj *M = S.Objs.find(OutBase + I);
  uint8_t W = M ? M->Bits & ~OutNullParam : 0;
  return W && W != OutNone;
}

void FunctionAnalyzer::noteReturnClass(const ReturnStmt *RS, const ObjSet &Os) {
  noteReturnEntry(RS, Os); // EntryFields.cpp
  noteReturnOut(Os);       // ReturnedOuts.cpp
  LastRetClass = 255;
  const Expr *V = RS->getRetValue();
  if (!V)
    return;
  if (isZeroConstant(V, Ctx)) {
    LastRetClass = RcZero;
    return;
  }
  if (Os.empty()) {
    const Expr *E = V->IgnoreParenCasts();
    if (!E->isValueDependent())
      if (std::optional<llvm::APSInt> N = E->getIntegerConstantExpr(Ctx))
        LastRetClass = *N != 0 ? RcNonZero : RcZero;
    return;
  }
  if (Os.size() == 1 && isParam(*Os.begin())) {
    unsigned P = *Os.begin() - ParamBase;
    if (P < 32)
      LastRetClass = RcParam0 + P;
    return;
  }
  if (llvm::all_of(Os, [&](ObjId Id) { return returnKindOf(Id) == RetMade; }))
    LastRetClass = RcNonZero;
}

void FunctionAnalyzer::noteExitConditional(const BlockInfo &BI) {
  unsigned B = BI.B->getBlockID();
  ExitRetClass[B] = BI.Ret ? LastRetClass : uint8_t(254);
  ExitRetOut[B] = BI.Ret ? LastRetOut : -1;
  if (OutParams.empty())
    return;
  llvm::SmallVector<uint8_t, 2> &Out = ExitOut[B];
  Out.assign(OutParams.size(), 0);
  for (unsigned I = 0; I < OutParams.size(); ++I)
    if (OutParams[I])
      if (const Obj *M = S.Objs.find(OutBase + I))
        Out[I] = M->Bits;
}

void FunctionAnalyzer::summarizeConditional() {
  FunctionSummary &F = *Sum;
  // A parameter freed on the returns of one kind and untouched on the
  // others.
  for (unsigned I = 0; I < TensorParams.size(); ++I) {
    if (!TensorParams[I] || ((F.FreeMask | F.BorrowMask) >> I & 1))
      continue;
    bool FreedZero = true, FreedNonZero = true, KeptZero = true,
         KeptNonZero = true, AnyFreed = false, AnyKept = false, Ok = true;
    for (const auto &[Block, Bits] : ExitBits) {
      uint8_t B = Bits[I];
      if (!B)
        continue;
      uint8_t C = ExitRetClass.lookup(Block);
      bool Zero = C == RcZero;
      bool NonZero = C == RcNonZero || (C >= RcParam0 && C < 254 && C != 255);
      if (B == Freed) {
        AnyFreed = true;
        FreedZero &= Zero;
        FreedNonZero &= NonZero;
      } else if (B == Borrowed) {
        AnyKept = true;
        KeptZero &= Zero;
        KeptNonZero &= NonZero;
      } else {
        Ok = false;
      }
    }
    if (!Ok || !AnyFreed || !AnyKept)
      continue;
    if (FreedZero && KeptNonZero)
      F.FreeIfNullMask |= 1u << I;
    else if (FreedNonZero && KeptZero)
      F.FreeIfNonNullMask |= 1u << I;
  }
  // Every return NULL or one parameter's tensor, untouched.
  int Alias = -1;
  bool AliasOk = !ExitRetClass.empty();
  for (const auto &[Block, C] : ExitRetClass) {
    if (C == RcZero)
      continue;
    if (C < RcParam0 || C >= 254 || (Alias >= 0 && C - RcParam0 != Alias)) {
      AliasOk = false;
      break;
    }
    Alias = C - RcParam0;
    auto It = ExitBits.find(Block);
    uint8_t B = It == ExitBits.end() || unsigned(Alias) >= It->second.size()
                    ? 0
                    : It->second[Alias];
    if (B != Borrowed)
      AliasOk = false;
  }
  if (AliasOk && Alias >= 0 && unsigned(Alias) < TensorParams.size() &&
      TensorParams[Alias] && !(F.FreeIfNonNullMask >> Alias & 1))
    F.AliasParam = Alias;
  // Out-parameters.
  bool AnyOwned = false, AnyCaller = false;
  for (unsigned I = 0; I < OutParams.size(); ++I) {
    if (!OutParams[I])
      continue;
    // A tensor of the function's own scope on every path: gone for the
    // caller.
    if (!(ReplaceParams >> I & 1)) {
      bool Ended = true, Seen = false;
      for (const auto &[Block, C] : ExitRetClass) {
        auto It = ExitOut.find(Block);
        if (It == ExitOut.end() || I >= It->second.size())
          continue;
        uint8_t W = It->second[I] & ~OutNullParam;
        if (!W)
          continue;
        Seen = true;
        Ended &= W == OutEnded;
      }
      if (Seen && Ended) {
        F.OutEndMask |= 1u << I;
        continue;
      }
    }
    if (ReplaceParams >> I & 1) {
      // Left alone or replaced by a new tensor on every path (anything
      // else stored, or NULL: not a replacement).
      bool Replaced = false, Ok = true;
      for (const auto &[Block, C] : ExitRetClass) {
        auto It = ExitOut.find(Block);
        if (It == ExitOut.end() || I >= It->second.size())
          continue;
        uint8_t W = It->second[I] & ~OutNullParam;
        Ok &= !(W & ~(OutNone | OutOwned));
        Replaced |= (W & OutOwned) != 0;
      }
      if (Ok && Replaced)
        F.ReplaceMask |= 1u << I;
      continue;
    }
    bool All = true, WrittenZero = true, WrittenNonZero = true, NoneZero = true,
         NoneNonZero = true, Ok = true, Owned = false, Caller = false,
         Seen = false;
    for (const auto &[Block, C] : ExitRetClass) {
      auto It = ExitOut.find(Block);
      if (It == ExitOut.end() || I >= It->second.size())
        continue;
      // Paths on which the parameter itself was NULL are not the caller's
      // that passes `&v`.
      uint8_t W = It->second[I] & ~OutNullParam;
      if (!W)
        continue;
      Seen = true;
      bool Zero = C == RcZero, NonZero = C == RcNonZero;
      if (W == OutOwned || W == OutCaller) {
        Owned |= W == OutOwned;
        Caller |= W == OutCaller;
        WrittenZero &= Zero;
        WrittenNonZero &= NonZero;
      } else if (W == OutNone) {
        All = false;
        NoneZero &= Zero;
        NoneNonZero &= NonZero;
      } else {
        Ok = false;
      }
    }
    if (!Seen || !Ok || (Owned && Caller) || (!Owned && !Caller))
      continue;
    uint32_t Bit = 1u << I;
    // Written on every path, but the status says whether it is NULL
    // (`return *out ? 0 : -1;`, StatusFills.cpp): made on that status only.
    FillStatus Status = FilledAlways;
    if (All && Owned) {
      const ParmVarDecl *P = OutParams[I];
      Status =
          statusFill(FD, const_cast<ASTContext &>(Ctx), [&](const Expr *E) {
            const Expr *X = nullptr;
            if (const auto *UO = dyn_cast<UnaryOperator>(E))
              X = UO->getOpcode() == UO_Deref ? UO->getSubExpr() : nullptr;
            return X && varOf(X->IgnoreParenImpCasts()) == P;
          });
    }
    // A status made from `*p` that the test does not decide (`*p ? TS_OK :
    // ts_last_status()`): which status says filled is not known.
    if (All && Owned && Status == FilledAlways &&
        returnReads(FD, OutParams[I])) // OutReads.cpp
      continue;
    if (Status == FilledOnZero)
      F.OutIfNullMask |= Bit;
    else if (Status == FilledOnNonZero)
      F.OutIfNonNullMask |= Bit;
    else if (All)
      F.OutMask |= Bit;
    else if (WrittenZero && NoneNonZero)
      F.OutIfNullMask |= Bit;
    else if (WrittenNonZero && NoneZero)
      F.OutIfNonNullMask |= Bit;
    else
      continue;
    AnyOwned |= Owned;
    AnyCaller |= Caller;
  }
  if (AnyOwned && AnyCaller) {
    F.OutMask = F.OutIfNullMask = F.OutIfNonNullMask = 0;
  } else {
    F.OutCallerScoped = AnyCaller;
  }
}

bool FunctionAnalyzer::addressOnlyOut(const VarDecl *VD) const {
  // The collector's facts, or the analysis' own scan (CfgDecode.h).
  const BodyFacts &F = Facts.Known ? Facts : Scanned;
  if (F.AddrOther.count(VD))
    return false;
  auto It = F.AddrArgs.find(VD);
  if (It == F.AddrArgs.end())
    return false;
  for (const auto &[CE, A] : It->second) {
    CallModel M = Models.get(CE);
    uint32_t Takes =
        M.outParams() | M.FreeDerefMask | M.FreeDerefCondMask | M.ReplaceMask;
    if (!M.Inferred || A >= 32 || !(Takes >> A & 1))
      return false;
  }
  return true;
}

void FunctionAnalyzer::condFree(const ObjSet &Os, const CallExpr *CE,
                                const CallModel &M, unsigned I) {
  // The result is discarded: the caller goes on whatever the helper did,
  // so on one path at least the tensor is gone.
  bool Tested =
      Facts.Known
          ? Facts.TestedCalls.count(CE)
          : isa_and_nonnull<IfStmt, WhileStmt, DoStmt, ForStmt, SwitchStmt>(
                Parents->getParentIgnoreParenCasts(const_cast<CallExpr *>(CE)));
  if (isFullExpression(CE) && !Tested) {
    consume(Os, CE, Freed);
    return;
  }
  uint8_t Kind = (M.FreeIfNullMask >> I & 1) ? FreedIfNull : FreedIfNonNull;
  for (ObjId Id : Os) {
    Obj *O = S.Objs.findMut(Id);
    if (!O || isParam(Id) || isForeign(Id) || !(O->Bits & (Owned | Scoped)) ||
        (O->Bits & ~(Owned | Scoped))) {
      handOn({Id});
      continue;
    }
    O->CondCall = CE;
    O->CondKind = Kind;
    CondSeen = true;
  }
}

void FunctionAnalyzer::outParams(const CallExpr *CE, const CallModel &M) {
  // Replaced: the variable keeps a tensor the function must free, unless
  // a scope is open (the new one is the scope's then).
  // Replaced: the variable keeps a tensor the function must free, unless
  // a scope is open (the new one is the scope's then).
  for (unsigned I = 0, N = std::min(CE->getNumArgs(), 32u); I < N; ++I) {
    if (!(M.ReplaceMask >> I & 1))
      continue;
    const auto *UO = dyn_cast<UnaryOperator>(ignoreParenCasts(CE->getArg(I)));
    const VarDecl *VD =
        UO && UO->getOpcode() == UO_AddrOf ? varOf(UO->getSubExpr()) : nullptr;
    if (!isTracked(VD))
      continue;
    // Followed by derefArgs instead (the old tensor freed, the variable
    // forgotten).
    if ((M.FreeDerefMask | M.FreeDerefCondMask) >> I & 1)
      continue;
    if (!S.Regions.empty())
      if (const ObjSet *Old = S.Pts.find(Locs.var(VD)))
        handOn(*Old);
  }
  uint32_t Outs = M.outParams();
  bool AnyUsed = !(M.OutIfNullMask | M.OutIfNonNullMask);
  for (unsigned I = 0, N = std::min(CE->getNumArgs(), 32u); I < N && !AnyUsed;
       ++I) {
    const auto *UO = dyn_cast<UnaryOperator>(ignoreParenCasts(CE->getArg(I)));
    if ((Outs >> I & 1) && UO && UO->getOpcode() == UO_AddrOf)
      if (const VarDecl *VD = varOf(UO->getSubExpr()))
        AnyUsed = usedAfterCall(FD, CE, VD, Ctx);
  }
  for (unsigned I = 0, N = std::min(CE->getNumArgs(), 32u); I < N; ++I) {
    if (!(Outs >> I & 1))
      continue;
    const auto *UO = dyn_cast<UnaryOperator>(ignoreParenCasts(CE->getArg(I)));
    const VarDecl *VD =
        UO && UO->getOpcode() == UO_AddrOf ? varOf(UO->getSubExpr()) : nullptr;
    if (!isTracked(VD))
      continue;
    if (M.OutEndMask >> I & 1) {
      // The callee's scope freed it as it returned (TS_SCOPED).
      auto [It, New] = OutSites.insert({{CE, I}, unsigned(Sites.size())});
      if (New)
        Sites.push_back(CE);
      ObjId Id = allocateSite(It->second);
      Obj *O = S.Objs.findMut(Id);
      O->Bits = Ended;
      O->Region = nullptr;
      O->EndLoc = CE->getRParenLoc();
      O->LastVar = Locs.var(VD);
      S.setPts(Locs.var(VD), {Id});
      S.noteMayReport(Id);
      S.Dirty = true;
      continue;
    }
    bool Cond = !(M.OutMask >> I & 1);
    if (Cond || M.OutCallerScoped)
      // Maybe not overwritten, or not followed: what it held is let go.
      if (const ObjSet *Old = S.Pts.find(Locs.var(VD)))
        handOn(*Old);
    // Handed back on one status, and no result of the call ever used
    // after it: the caller expects nothing there (OutReads.cpp).
    if (Cond && !AnyUsed) {
      S.setPts(Locs.var(VD), {});
      S.Dirty = true;
      continue;
    }
    if (M.OutCallerScoped && S.Regions.empty()) {
      S.setPts(Locs.var(VD), {});
      S.Dirty = true;
      continue;
    }
    auto [It, New] = OutSites.insert({{CE, I}, unsigned(Sites.size())});
    if (New)
      Sites.push_back(CE);
    ObjId Id = allocateSite(It->second);
    Obj *O = S.Objs.findMut(Id);
    O->LastVar = Locs.var(VD);
    if (Cond) {
      O->CondCall = CE;
      O->CondKind = (M.OutIfNullMask >> I & 1) ? MadeIfNull : MadeIfNonNull;
      CondSeen = true;
    }
    S.setPts(Locs.var(VD), {Id});
    S.Dirty = true;
  }
}

void FunctionAnalyzer::multiResults(const CallExpr *CE) {
  if (!isMultiResult(CE, model(CE)))
    return;
  // The number of results is not in the declaration: an array of two
  // holds two (no operator has one result there), one of more may hold
  // fewer.
  const Expr *A = CE->getArg(0)->IgnoreParenImpCasts();
  const auto *AT = Ctx.getAsConstantArrayType(A->getType());
  LocKey B =
      isa<DeclRefExpr>(A) && AT && AT->getSize() == 2 ? placeOf(A) : nullptr;
  if (!B || !B->isVar())
    return;
  // The status thrown away: made (or the program goes on with NULLs it
  // never tested). Tested: made when it is TS_OK, which the test settles
  // (refineCond); kept in a variable: maybe never made, not reported.
  bool Tested =
      Facts.Known
          ? Facts.TestedCalls.count(CE)
          : isa_and_nonnull<IfStmt, WhileStmt, DoStmt, ForStmt, SwitchStmt>(
                Parents->getParentIgnoreParenCasts(const_cast<CallExpr *>(CE)));
  bool Made = isFullExpression(CE) && !Tested;
  for (unsigned K = 0; K < 2; ++K) {
    LocKey L = Locs.index(B, K, false);
    ObjId Id = allocField(CE, K);
    if (Obj *O = S.Objs.findMut(Id)) {
      O->LastVar = L;
      if (!Made) {
        O->CondCall = CE;
        O->CondKind = MadeIfNull;
        CondSeen = true;
      }
    }
    assignPlace(L, {Id});
  }
}

/// CfgDecode.cpp: a test of `*p` against NULL, p a `ts_tensor **`
/// parameter.
const VarDecl *derefNullTest(const Expr *C, bool &NullOnTrue, ASTContext &Ctx);

void FunctionAnalyzer::decodeCondTest(BlockInfo &BI, const Expr *C) const {
  bool ZeroOnTrue = false;
  const Expr *X = C->IgnoreParenImpCasts();
  while (true) {
    if (const auto *UO = dyn_cast<UnaryOperator>(X)) {
      if (UO->getOpcode() != UO_LNot)
        return;
      ZeroOnTrue = !ZeroOnTrue;
      X = UO->getSubExpr()->IgnoreParenImpCasts();
      continue;
    }
    if (const auto *BO = dyn_cast<BinaryOperator>(X)) {
      if (BO->getOpcode() == BO_Assign) {
        X = BO->getRHS()->IgnoreParenImpCasts();
        continue;
      }
      if (BO->getOpcode() != BO_EQ && BO->getOpcode() != BO_NE)
        return;
      ASTContext &C = const_cast<ASTContext &>(Ctx);
      if (isZeroConstant(BO->getRHS(), C))
        X = BO->getLHS()->IgnoreParenImpCasts();
      else if (isZeroConstant(BO->getLHS(), C))
        X = BO->getRHS()->IgnoreParenImpCasts();
      else
        return;
      if (BO->getOpcode() == BO_EQ)
        ZeroOnTrue = !ZeroOnTrue;
      continue;
    }
    break;
  }
  const auto *CE = dyn_cast<CallExpr>(X);
  if (!CE)
    return;
  CallModel M = Models.get(CE);
  if (!M.conditional() && !isMultiResult(CE, M) && !hasStatusFills(M) &&
      !condEntryFrees(M)) // MayFreeEntries.cpp
    return;
  BI.CondCall = CE;
  BI.ZeroOnTrue = ZeroOnTrue;
}

void FunctionAnalyzer::refineCond(State &E, const BlockInfo &BI,
                                  unsigned Succ) const {
  if (BI.OutTested) {
    // An out-parameter found NULL: mark the path (summarizeConditional()
    // leaves it out).
    int I = outParamIndex(BI.OutTested);
    bool Deref = false;
    if (const Expr *C = BI.B->getLastCondition()) {
      bool N;
      Deref = derefNullTest(ignoreExpect(C), N,
                            const_cast<ASTContext &>(Ctx)) != nullptr;
    }
    // `if (!*p)` after a store (OutReads.cpp): nothing handed back on that
    // path. (`*p ? 0 : -1` joins again before the return: StatusFills.cpp.)
    bool None = Deref && !(ReplaceParams >> I & 1) &&
                isa_and_nonnull<IfStmt>(BI.B->getTerminatorStmt());
    if (I >= 0 && (Succ == 0) == BI.NullOnTrue) {
      if (Obj *M = E.Objs.findMut(OutBase + I))
        M->Bits = None ? OutNone : OutNullParam;
    } else if (I >= 0 && None) {
      // Not NULL: the tensor stored, not the NULL of another path; after
      // a store of NULL alone, a path that cannot be (left out).
      if (Obj *M = E.Objs.findMut(OutBase + I)) {
        if (M->Bits == (OutNone | OutOwned))
          M->Bits = OutOwned;
        else if (M->Bits == OutNone)
          M->Bits = OutNullParam;
      }
    }
    if (I >= 0)
      Deref = false;
    // `*p` found NULL, p a parameter whose entry tensor DerefParams.cpp
    // follows (marker DerefBase + its index): nothing to free on this edge.
    if (Deref && (Succ == 0) == BI.NullOnTrue)
      for (unsigned J = 0; J < DerefParams.size(); ++J)
        if (DerefParams[J] && DerefParams[J] == BI.OutTested)
          if (Obj *M = E.Objs.findMut((1u << 27) + J))
            if (M->Bits == Borrowed)
              M->Bits = Freed;
    return;
  }
  auto Settle = [&](ObjId Id, bool Zero) {
    Obj *O = E.Objs.findMut(Id);
    if (!O || !O->CondKind)
      return;
    uint8_t K = O->CondKind;
    const CallExpr *By = O->CondCall;
    O->CondCall = nullptr;
    O->CondKind = 0;
    if ((K == FreedIfNull && Zero) || (K == FreedIfNonNull && !Zero)) {
      O->Bits = Freed;
      O->FreedBy = By;
      O->Ret = nullptr;
      E.noteMayReport(Id);
    } else if ((K == MadeIfNull && !Zero) || (K == MadeIfNonNull && Zero)) {
      // Never made on this edge: the variables it went to kept NULL.
      LocSet Holders = O->HeldBy;
      for (LocKey V : Holders)
        if (ObjSet *Os = E.Pts.findMut(V))
          Os->erase(Id);
      E.Objs.erase(Id);
    }
  };
  if (BI.CondCall) {
    bool Zero = (Succ == 0) == BI.ZeroOnTrue;
    llvm::SmallVector<ObjId, 4> Ids;
    E.Objs.forEach([&](ObjId Id, const Obj &O) {
      if (O.CondCall == BI.CondCall)
        Ids.push_back(Id);
    });
    for (ObjId Id : Ids)
      Settle(Id, Zero);
    return;
  }
  if (!BI.NullTested)
    return;
  const ObjSet *Os = E.Pts.find(BI.NullTested);
  if (!Os)
    return;
  bool Null = (Succ == 0) == BI.NullOnTrue;
  ObjSet Held = *Os;
  for (ObjId Id : Held) {
    const Obj *O = E.Objs.find(Id);
    if (!O || !O->CondKind)
      continue;
    bool Freeing = O->CondKind == FreedIfNull || O->CondKind == FreedIfNonNull;
    if (Freeing) {
      // The variable holds the helper's result, which aliases the tensor:
      // NULL means the helper returned NULL (and the variable holds
      // nothing on this edge; other variables still point at the tensor).
      Settle(Id, Null);
      if (Null) {
        E.Pts.findMut(BI.NullTested)->erase(Id);
        if (Obj *P = E.Objs.findMut(Id))
          P->HeldBy.erase(BI.NullTested);
      }
    } else if (!Null) {
      // An out-parameter's tensor that is there: it was made.
      Obj *P = E.Objs.findMut(Id);
      P->CondCall = nullptr;
      P->CondKind = 0;
    }
  }
}

} // namespace ownership
} // namespace tsmem

bool tsmem::takesTensors(const clang::FunctionDecl *FD) {
  // Or returns one: a getter of a field (EntryFields.cpp) calls nothing.
  if (isTensorPointer(FD->getReturnType()))
    return true;
  for (const clang::ParmVarDecl *P : FD->parameters()) {
    clang::QualType T = P->getType();
    if (isTensorPointer(T))
      return true;
    if (const auto *PT = T.getCanonicalType()->getAs<clang::PointerType>())
      if (isTensorPointer(PT->getPointeeType()))
        return true;
  }
  return false;
}
