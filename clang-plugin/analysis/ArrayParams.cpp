//===- ArrayParams.cpp - Helpers that fill or free a whole array ----------===//
//
// A same-file helper that takes an array of tensors and its count,
// `void fill(const ts_tensor *x, ts_tensor **a, int n)`, may fill every
// element with a new tensor, or free every one (`for (i = 0; i < n; i++)
// ts_free(a[i]);`). Passed a local array, such a call used to hand its
// elements on. Here each helper is read once, on its statements: for an
// array parameter K and an integer parameter C, the ranges of K's elements
// that its top-level statements fill with new tensors (`K[e] = call()`,
// or the same in every iteration of a counted loop) or free, as bounds
// `c0 + c1 * C`. At a call whose count is a constant equal to the local
// array's size, when those ranges cover every element, the call frees
// every element (a use of each, a free of each) or fills every one (new
// tensors the caller owns).
//
// Only when nothing else can happen to the array in the helper: every other
// mention of K is an element read by a call that takes a `const ts_tensor *`;
// C and K are never written; no return before the end, no goto; the loops
// have no break, continue, goto or return and do not write their variable.
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"
#include "LoopShapes.h"
#include "TuGeneration.h"

#include "clang/AST/RecursiveASTVisitor.h"

namespace tsmem {
namespace ownership {

namespace {

/// c0 + c1 * C.
struct Affine {
  int64_t C0 = 0, C1 = 0;
};

struct Span {
  Affine Lo, Hi; ///< [Lo, Hi).
};

struct ElemSummary {
  bool Known = false;
  bool Frees = false; ///< Else fills.
  unsigned Count = 0; ///< The count parameter.
  std::vector<Span> Spans;
};

class Reader {
public:
  Reader(const FunctionDecl *FD, const ParmVarDecl *K, const ParmVarDecl *C,
         CallModels &Models, ASTContext &Ctx)
      : FD(FD), K(K), C(C), Models(Models), Ctx(Ctx) {}

  bool affine(const Expr *E, Affine &A) const {
    E = E->IgnoreParenImpCasts();
    Expr::EvalResult R;
    if (!E->isValueDependent() && E->EvaluateAsInt(R, Ctx)) {
      A = {R.Val.getInt().getExtValue(), 0};
      return true;
    }
    if (varOf(E) == C && isa<DeclRefExpr>(E)) {
      A = {0, 1};
      return true;
    }
    const auto *BO = dyn_cast<BinaryOperator>(E);
    Affine L, Rt;
    if (!BO || (BO->getOpcode() != BO_Add && BO->getOpcode() != BO_Sub) ||
        !affine(BO->getLHS(), L) || !affine(BO->getRHS(), Rt))
      return false;
    int64_t S = BO->getOpcode() == BO_Add ? 1 : -1;
    A = {L.C0 + S * Rt.C0, L.C1 + S * Rt.C1};
    return A.C1 == 0 || A.C1 == 1;
  }

  /// `K[e]`: the subscript, when its base is K.
  const ArraySubscriptExpr *elemOfK(const Expr *E) const {
    const auto *AS = dyn_cast<ArraySubscriptExpr>(E->IgnoreParenImpCasts());
    if (!AS || !isa<DeclRefExpr>(AS->getBase()->IgnoreParenImpCasts()) ||
        varOf(AS->getBase()) != K)
      return nullptr;
    return AS;
  }

  /// `K[e] = call()` with a call that returns a new tensor: e.
  const Expr *fillOf(const Stmt *St) const {
    const auto *BO = dyn_cast<BinaryOperator>(St);
    if (!BO || BO->getOpcode() != BO_Assign)
      return nullptr;
    const ArraySubscriptExpr *AS = elemOfK(BO->getLHS());
    const auto *CE = dyn_cast<CallExpr>(BO->getRHS()->IgnoreParenCasts());
    if (!AS || !CE || !CE->getDirectCallee())
      return nullptr;
    CallModel M = Models.get(CE);
    if (M.Kind != CallKind::Owned || M.CallerScoped)
      return nullptr;
    Fine.insert(AS);
    return AS->getIdx();
  }

  /// `ts_free(K[e])`: e.
  const Expr *freeOf(const Stmt *St) const {
    const auto *CE = dyn_cast<CallExpr>(St);
    if (!CE || !CE->getDirectCallee())
      return nullptr;
    CallModel M = Models.get(CE);
    if (M.Kind != CallKind::Free || !M.Api || M.ConsumedArg >= CE->getNumArgs())
      return nullptr;
    const ArraySubscriptExpr *AS = elemOfK(CE->getArg(M.ConsumedArg));
    if (!AS)
      return nullptr;
    Fine.insert(AS);
    return AS->getIdx();
  }

  /// A counted loop over I from Lo to Hi (Hi exclusive), counting up.
  bool loop(const ForStmt *FS, const VarDecl *&I, Span &Sp) const {
    const Expr *Start = nullptr;
    I = loopCounter(FS, Start); // LoopShapes.cpp
    if (!I || I == C || !affine(Start, Sp.Lo))
      return false;
    const auto *Cond = loopTest(FS);
    if (!Cond || (Cond->getOpcode() != BO_LT && Cond->getOpcode() != BO_LE))
      return false;
    // `i < B`, `i + k < B`, `i - k < B`.
    const Expr *L = Cond->getLHS()->IgnoreParenImpCasts();
    Affine Off;
    if (const auto *Add = dyn_cast<BinaryOperator>(L);
        Add && (Add->getOpcode() == BO_Add || Add->getOpcode() == BO_Sub)) {
      Expr::EvalResult R;
      if (!Add->getRHS()->EvaluateAsInt(R, Ctx))
        return false;
      int64_t V = R.Val.getInt().getExtValue();
      Off.C0 = Add->getOpcode() == BO_Add ? V : -V;
      L = Add->getLHS()->IgnoreParenImpCasts();
    }
    if (!isa<DeclRefExpr>(L) || varOf(L) != I || !affine(Cond->getRHS(), Sp.Hi))
      return false;
    Sp.Hi.C0 -= Off.C0;
    if (Cond->getOpcode() == BO_LE)
      Sp.Hi.C0 += 1;
    if (loopStep(FS, I, Ctx, /*Compound=*/false) != 1)
      return false;
    return !hasJump(FS->getBody(), I);
  }

  ElemSummary read() {
    ElemSummary Out;
    const auto *Body = dyn_cast_or_null<CompoundStmt>(FD->getBody());
    if (!Body || bodyScopeOf(FD) != BodyScope::None)
      return Out;
    unsigned Fills = 0, Frees = 0;
    unsigned Idx = 0, N = Body->size();
    for (const Stmt *St : Body->body()) {
      ++Idx;
      if (isa<ReturnStmt>(St) && Idx == N) {
        const auto *RS = cast<ReturnStmt>(St);
        if (RS->getRetValue() && mentions(RS->getRetValue(), K))
          return Out;
        continue;
      }
      Span Sp;
      if (const Expr *E = fillOf(St)) {
        Affine A;
        if (!affine(E, A))
          return Out;
        Out.Spans.push_back({A, {A.C0 + 1, A.C1}});
        ++Fills;
        continue;
      }
      if (const Expr *E = freeOf(St)) {
        Affine A;
        if (!affine(E, A))
          return Out;
        Out.Spans.push_back({A, {A.C0 + 1, A.C1}});
        ++Frees;
        continue;
      }
      const VarDecl *I = nullptr;
      const auto *FS = dyn_cast<ForStmt>(St);
      if (FS && loop(FS, I, Sp)) {
        llvm::SmallVector<const Stmt *, 4> Stmts;
        if (const auto *CS = dyn_cast<CompoundStmt>(FS->getBody()))
          Stmts.append(CS->body_begin(), CS->body_end());
        else
          Stmts.push_back(FS->getBody());
        for (const Stmt *B : Stmts) {
          const Expr *E = fillOf(B);
          bool Fill = E;
          if (!E)
            E = freeOf(B);
          if (!E)
            continue;
          if (!isa<DeclRefExpr>(E->IgnoreParenImpCasts()) || varOf(E) != I)
            return Out; // Not one element per value of i.
          Out.Spans.push_back(Sp);
          (Fill ? Fills : Frees)++;
        }
      }
    }
    // Anything else in the body: jumps, returns, writes of K or C, other
    // mentions of K.
    if ((Fills == 0) == (Frees == 0) || !onlyFine(Body))
      return Out;
    Out.Known = true;
    Out.Frees = Frees;
    Out.Count = C->getFunctionScopeIndex();
    return Out;
  }

private:
  /// Every mention of K is a subscript seen (Fine) or an element read by
  /// a `const ts_tensor *` parameter; no goto, no inner return; C and K
  /// never written.
  bool onlyFine(const CompoundStmt *Body) const {
    struct V : RecursiveASTVisitor<V> {
      const Reader &R;
      const Stmt *Last;
      bool Bad = false;
      explicit V(const Reader &R, const Stmt *Last) : R(R), Last(Last) {}
      bool VisitGotoStmt(GotoStmt *) { return !(Bad = true); }
      bool VisitIndirectGotoStmt(IndirectGotoStmt *) { return !(Bad = true); }
      bool VisitReturnStmt(ReturnStmt *RS) {
        if (RS != Last)
          Bad = true;
        return !Bad;
      }
      bool VisitUnaryOperator(UnaryOperator *U) {
        if ((U->isIncrementDecrementOp() || U->getOpcode() == UO_AddrOf) &&
            (varOf(U->getSubExpr()) == R.C || varOf(U->getSubExpr()) == R.K))
          Bad = true;
        return !Bad;
      }
      bool VisitBinaryOperator(BinaryOperator *B) {
        if (B->isAssignmentOp() &&
            (varOf(B->getLHS()) == R.C || varOf(B->getLHS()) == R.K))
          Bad = true;
        return !Bad;
      }
      bool VisitVarDecl(VarDecl *VD) {
        if (isScopeGuard(VD) || isLoopScopeGuard(VD))
          Bad = true;
        return !Bad;
      }
      bool VisitCallExpr(CallExpr *CE) {
        const FunctionDecl *F = CE->getDirectCallee();
        // Scopes in the helper: what it makes may die there.
        switch (F ? R.Models.get(F).Kind : CallKind::Unknown) {
        case CallKind::Escape:
        case CallKind::Keep:
        case CallKind::Register:
        case CallKind::ScopeBegin:
        case CallKind::ScopeEnd:
        case CallKind::Run:
        case CallKind::AsyncEnter:
        case CallKind::AsyncLeave:
        case CallKind::AsyncEnd:
        case CallKind::LoopOpen:
        case CallKind::LoopClose:
          Bad = true;
          return false;
        default:
          break;
        }
        for (unsigned I = 0; I < CE->getNumArgs(); ++I) {
          const ArraySubscriptExpr *AS = R.elemOfK(CE->getArg(I));
          if (!AS || R.Fine.count(AS))
            continue;
          QualType PT = F && I < F->getNumParams()
                            ? F->getParamDecl(I)->getType()
                            : QualType();
          if (!PT.isNull() && PT->isPointerType() &&
              PT->getPointeeType().isConstQualified())
            R.Fine.insert(AS);
        }
        return true;
      }
      bool VisitDeclRefExpr(DeclRefExpr *DRE) {
        if (DRE->getDecl() == R.K)
          Refs.push_back(DRE);
        return true;
      }
      std::vector<const DeclRefExpr *> Refs;
    };
    const Stmt *Last = Body->body_empty() ? nullptr : Body->body_back();
    V Vis(*this, Last);
    Vis.TraverseStmt(const_cast<CompoundStmt *>(Body));
    if (Vis.Bad)
      return false;
    ParentMap PM(const_cast<CompoundStmt *>(Body));
    for (const DeclRefExpr *DRE : Vis.Refs) {
      const Stmt *P =
          PM.getParentIgnoreParenImpCasts(const_cast<DeclRefExpr *>(DRE));
      const auto *AS = dyn_cast_or_null<ArraySubscriptExpr>(P);
      if (!AS || AS->getBase()->IgnoreParenImpCasts() != DRE || !Fine.count(AS))
        return false;
      // A fill or a free of this subscript happens once (seen above);
      // reads must not be the LHS of another assignment.
    }
    return true;
  }

  const FunctionDecl *FD;
  const ParmVarDecl *K, *C;
  CallModels &Models;
  ASTContext &Ctx;
  mutable llvm::DenseSet<const ArraySubscriptExpr *> Fine;
};

/// Once per helper and parameter (the models it reads are final by the
/// time a caller is analysed: helpers come first, bottom-up).
const ElemSummary &summaryOf(const FunctionDecl *FD, unsigned KIdx,
                             unsigned CIdx, CallModels &Models,
                             ASTContext &Ctx) {
  static unsigned CacheTu = 0;
  static llvm::DenseMap<std::tuple<const FunctionDecl *, unsigned, unsigned>,
                        ElemSummary>
      Cache;
  if (CacheTu != translationUnitGeneration()) {
    Cache.clear();
    CacheTu = translationUnitGeneration();
  }
  auto [It, New] = Cache.insert({{FD, KIdx, CIdx}, ElemSummary()});
  if (New) {
    Reader R(FD, FD->getParamDecl(KIdx), FD->getParamDecl(CIdx), Models, Ctx);
    It->second = R.read();
  }
  return It->second;
}

} // namespace

bool FunctionAnalyzer::arrayParamEffect(const CallExpr *CE, unsigned I,
                                        LocKey P,
                                        llvm::SmallVectorImpl<LocKey> &Kept,
                                        bool AfterHandOn) {
  const FunctionDecl *Callee = CE->getDirectCallee();
  const FunctionDecl *Def = Callee ? Callee->getDefinition() : nullptr;
  if (!Def || !P || !P->isVar() || I >= Def->getNumParams() || I >= 32)
    return false;
  // Neither tsmem.h's nor annotated: plain, or with an inferred summary
  // that says nothing else about this parameter (`*p`, out-parameters).
  CallModel M = Models.get(Callee);
  uint32_t Other =
      M.outParams() | M.ReplaceMask | M.FreeDerefMask | M.FreeDerefCondMask;
  if (M.Api || (!M.Inferred && M.Kind != CallKind::Unknown) ||
      (Other & (1u << I)))
    return false;
  QualType PT = Def->getParamDecl(I)->getType();
  const auto *AT =
      Ctx.getAsConstantArrayType(ignoreParenCasts(CE->getArg(I))->getType());
  if (!PT->isPointerType() || !isTensorPointer(PT->getPointeeType()) ||
      PT->getPointeeType().isConstQualified() || !AT ||
      !isTensorPointer(AT->getElementType()))
    return false;
  uint64_t N = AT->getSize().getZExtValue();
  if (N == 0 || N > 64)
    return false;
  for (unsigned J = 0; J < Def->getNumParams() && J < CE->getNumArgs(); ++J) {
    if (J == I || !Def->getParamDecl(J)->getType()->isIntegerType())
      continue;
    Expr::EvalResult R;
    if (!CE->getArg(J)->EvaluateAsInt(R, Ctx) ||
        R.Val.getInt().getExtValue() != int64_t(N))
      continue;
    const ElemSummary &Sum = summaryOf(Def, I, J, Models, Ctx);
    if (!Sum.Known)
      continue;
    // The spans at C = N cover [0, N), and stay inside it.
    llvm::SmallVector<bool, 64> Covered(N, false);
    bool Inside = true;
    for (const Span &Sp : Sum.Spans) {
      int64_t Lo = Sp.Lo.C0 + Sp.Lo.C1 * int64_t(N);
      int64_t Hi = Sp.Hi.C0 + Sp.Hi.C1 * int64_t(N);
      if (Lo >= Hi)
        continue;
      if (Lo < 0 || Hi > int64_t(N)) {
        Inside = false;
        break;
      }
      for (int64_t X = Lo; X < Hi; ++X)
        Covered[X] = true;
    }
    if (!Inside || llvm::is_contained(Covered, false))
      continue;
    if (Sum.Frees && !AfterHandOn) {
      // Every element the caller holds is freed: a use, then a free.
      bool Reported = false;
      for (LocKey Q : P->Children) {
        if (Q->Step != Loc::Elem && Q->Step != Loc::AnyIndex)
          continue;
        Kept.push_back(Q);
        const ObjSet *Held = S.Pts.find(Q);
        if (!Held || Held->empty())
          continue;
        ObjSet Os = *Held;
        if (!Reported && checkUse(Os, CE->getArg(I), CE)) {
          Reported = true;
          continue;
        }
        consume(Os, CE, Freed, 1);
      }
      return true;
    }
    if (!Sum.Frees && AfterHandOn) {
      for (uint64_t X = 0; X < N; ++X)
        assignPlace(Locs.index(P, X, false), {allocField(CE, 2000 + X)});
      return true;
    }
    return false;
  }
  return false;
}

} // namespace ownership
} // namespace tsmem
