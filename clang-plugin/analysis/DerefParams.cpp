//===- DerefParams.cpp - Helpers that free the tensor *p held on entry ----===//
//
// An update helper takes the caller's variable by address, frees the
// tensor it held and (usually) puts a new one there:
//
//   static void decay(ts_tensor **acc, double k) {
//     ts_tensor *next = ts_mul_scalar(*acc, k);
//     ts_free(*acc);
//     *acc = next;
//   }
//
// Such a parameter is no out-parameter (Summaries.cpp: the helper reads
// the old `*p`), so the caller's variable was not followed at all, and a
// copy of the old tensor used or freed after the call went unseen. Here a
// marker object per `ts_tensor **` parameter (DerefBase + its index) says
// whether the tensor `*p` held on entry was freed (`ts_free(*p)` before any
// store to `*p`) on the way out. Freed on every way out: FreeDerefMask;
// only on the returns of one kind (0/NULL or not, the status), untouched
// on the others: FreeDerefCondMask. A caller then frees what its variable
// held (its copies see it) and forgets what the variable holds after: a
// new tensor, NULL or the old one, it cannot tell.
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"

#include "clang/AST/RecursiveASTVisitor.h"

namespace tsmem {
namespace ownership {

namespace {

/// Markers: Objs holds one per followed `ts_tensor **` parameter.
constexpr ObjId DerefBase = 1u << 27;

bool isTensorPtrPtr(QualType T) {
  const auto *P = T.getCanonicalType()->getAs<PointerType>();
  return P && !P->getPointeeType().isConstQualified() &&
         isTensorPointer(P->getPointeeType());
}

/// Parameters assigned, stepped or whose address is taken: `*p` may not
/// be the caller's variable any more.
class MovedParams : public RecursiveASTVisitor<MovedParams> {
public:
  explicit MovedParams(llvm::SmallVectorImpl<const ParmVarDecl *> &Params)
      : Params(Params) {}
  bool VisitBinaryOperator(BinaryOperator *BO) {
    if (BO->isAssignmentOp())
      drop(BO->getLHS());
    return true;
  }
  bool VisitUnaryOperator(UnaryOperator *UO) {
    if (UO->isIncrementDecrementOp() || UO->getOpcode() == UO_AddrOf)
      drop(UO->getSubExpr());
    return true;
  }

private:
  void drop(const Expr *E) {
    if (const auto *DRE = dyn_cast<DeclRefExpr>(E->IgnoreParenImpCasts()))
      for (const ParmVarDecl *&P : Params)
        if (P && P == DRE->getDecl())
          P = nullptr;
  }
  llvm::SmallVectorImpl<const ParmVarDecl *> &Params;
};

} // namespace

/// CfgDecode.cpp: a test of `*p` against NULL, p a `ts_tensor **`
/// parameter.
const VarDecl *derefNullTest(const Expr *C, bool &NullOnTrue, ASTContext &Ctx);

void FunctionAnalyzer::initDerefParams() {
  if (!Sum)
    return;
  bool Any = false;
  for (unsigned I = 0, N = std::min(FD->getNumParams(), 32u); I < N; ++I) {
    const ParmVarDecl *P = FD->getParamDecl(I);
    bool Out = I < OutParams.size() && OutParams[I] &&
               !(I < 32 && (ReplaceParams >> I & 1));
    bool Take = !Out && isTensorPtrPtr(P->getType());
    DerefParams.push_back(Take ? P : nullptr);
    Any |= Take;
  }
  if (Any)
    MovedParams(DerefParams).TraverseStmt(const_cast<Stmt *>(FD->getBody()));
  if (llvm::none_of(DerefParams, [](const ParmVarDecl *P) { return P; })) {
    DerefParams.clear();
    return;
  }
  for (unsigned I = 0; I < DerefParams.size(); ++I)
    if (DerefParams[I]) {
      Obj M;
      M.Bits = Borrowed;
      S.Objs.set(DerefBase + I, M);
    }
}

int FunctionAnalyzer::derefParamOf(const Expr *E) const {
  if (DerefParams.empty() || !E)
    return -1;
  E = E->IgnoreParenImpCasts();
  const Expr *Base = nullptr;
  if (const auto *UO = dyn_cast<UnaryOperator>(E)) {
    if (UO->getOpcode() == UO_Deref)
      Base = UO->getSubExpr();
  } else if (const auto *AE = dyn_cast<ArraySubscriptExpr>(E)) {
    Expr::EvalResult R;
    if (AE->getIdx()->EvaluateAsInt(R, Ctx) && R.Val.getInt() == 0)
      Base = AE->getBase();
  }
  const auto *DRE =
      Base ? dyn_cast<DeclRefExpr>(Base->IgnoreParenImpCasts()) : nullptr;
  if (!DRE)
    return -1;
  for (unsigned I = 0; I < DerefParams.size(); ++I)
    if (DerefParams[I] && DerefParams[I] == DRE->getDecl())
      return int(I);
  return -1;
}

void FunctionAnalyzer::derefUse(const Expr *E, bool Frees) {
  int I = derefParamOf(E);
  if (I < 0 || !Frees)
    return;
  // Freed while it still holds the entry tensor.
  if (Obj *M = S.Objs.findMut(DerefBase + I))
    if (M->Bits == Borrowed)
      M->Bits = Freed;
}

void FunctionAnalyzer::derefStore(const Expr *LHS) {
  int I = derefParamOf(LHS);
  if (I < 0)
    return;
  // Overwritten before it was freed: not freed by this function.
  if (Obj *M = S.Objs.findMut(DerefBase + I))
    if (M->Bits == Borrowed)
      M->Bits = HandedOn;
}

void FunctionAnalyzer::noteExitDeref(const BlockInfo &BI) {
  if (DerefParams.empty())
    return;
  auto &Bits = ExitDeref[BI.B->getBlockID()];
  Bits.assign(DerefParams.size(), 0);
  for (unsigned I = 0; I < DerefParams.size(); ++I)
    if (DerefParams[I])
      if (const Obj *M = S.Objs.find(DerefBase + I))
        Bits[I] = M->Bits;
  // A test of `*p` whose NULL edge alone leaves the function (`if (*p)
  // ts_free(*p);` last): `*p` is NULL on the way out there, nothing to
  // free (as EntryFields.cpp does for fields).
  if (BI.OutTested && BI.B->succ_size() == 2 && outParamIndex(BI.OutTested) < 0)
    if (const Expr *C = BI.B->getLastCondition()) {
      bool NullOnTrue = false;
      if (derefNullTest(ignoreExpect(C), NullOnTrue, Ctx) == BI.OutTested) {
        unsigned NullIdx = NullOnTrue ? 0 : 1;
        const CFGBlock *Exit = &Cfg->getExit();
        auto Succ = BI.B->succ_begin();
        const CFGBlock *N = Succ[NullIdx].getReachableBlock();
        const CFGBlock *O = Succ[1 - NullIdx].getReachableBlock();
        if (N == Exit && O && O != Exit)
          for (unsigned I = 0; I < DerefParams.size(); ++I)
            if (DerefParams[I] == BI.OutTested && Bits[I] == Borrowed)
              Bits[I] = Freed;
      }
    }
}

void FunctionAnalyzer::summarizeDeref() {
  FunctionSummary &F = *Sum;
  if (ExitDeref.empty() || ExitDeref.size() != ExitBits.size())
    return;
  for (unsigned I = 0; I < DerefParams.size(); ++I) {
    if (!DerefParams[I])
      continue;
    bool AllFreed = true, Ok = true, AnyFreed = false, AnyKept = false;
    // The return classes (Summaries.cpp's RetClass) of the exits where it
    // is freed and of those where it is not.
    bool FreedZero = true, FreedNonZero = true, KeptZero = true,
         KeptNonZero = true;
    for (const auto &[Block, Bits] : ExitDeref) {
      uint8_t B = I < Bits.size() ? Bits[I] : 0;
      uint8_t C = ExitRetClass.lookup(Block);
      bool Zero = C == RcZero;
      bool NonZero = C == RcNonZero;
      if (B == Freed) {
        AnyFreed = true;
        FreedZero &= Zero;
        FreedNonZero &= NonZero;
      } else if (B == Borrowed) {
        AllFreed = false;
        AnyKept = true;
        KeptZero &= Zero;
        KeptNonZero &= NonZero;
      } else {
        Ok = false;
      }
    }
    if (!Ok || !AnyFreed)
      continue;
    if (AllFreed)
      F.FreeDerefMask |= 1u << I;
    else if (AnyKept &&
             ((FreedZero && KeptNonZero) || (FreedNonZero && KeptZero)))
      F.FreeDerefCondMask |= 1u << I;
  }
}

void FunctionAnalyzer::derefArgs(const CallExpr *CE, const CallModel &M) {
  uint32_t Mask = M.FreeDerefMask | M.FreeDerefCondMask;
  for (unsigned I = 0, N = std::min(CE->getNumArgs(), 32u); I < N; ++I) {
    if (!(Mask >> I & 1))
      continue;
    const auto *UO = dyn_cast<UnaryOperator>(ignoreParenCasts(CE->getArg(I)));
    const VarDecl *VD =
        UO && UO->getOpcode() == UO_AddrOf ? varOf(UO->getSubExpr()) : nullptr;
    LocKey L = trackedLoc(VD);
    if (!L)
      continue;
    const ObjSet *Held = S.Pts.find(L);
    ObjSet Os = Held ? *Held : ObjSet();
    if (!Os.empty()) {
      bool Always = M.FreeDerefMask >> I & 1;
      // Freed on the returns of one kind: when the result is dropped, the
      // caller goes on whichever it was, so on one path at least it is
      // gone (as condFree says); a tested result: not followed.
      bool Tested =
          Facts.Known
              ? Facts.TestedCalls.count(CE)
              : isa_and_nonnull<IfStmt, WhileStmt, DoStmt, ForStmt, SwitchStmt>(
                    Parents->getParentIgnoreParenCasts(
                        const_cast<CallExpr *>(CE)));
      if (!Always && (!isFullExpression(CE) || Tested))
        handOn(Os);
      else if (checkUse(Os, CE->getArg(I), CE))
        handOn(Os);
      else
        consume(Os, CE, Freed);
    }
    // What it holds now (a new tensor, NULL) is not followed.
    S.setPts(L, ObjSet());
    S.Dirty = true;
  }
}

} // namespace ownership
} // namespace tsmem
