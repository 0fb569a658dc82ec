//===- CountLoops.cpp - Arrays of tensors torn down up to a count ---------===//
//
// A struct that holds an array of tensors and how many are in use
// (`struct snap { ts_tensor *t[8]; int n; }`) is torn down by a loop over
// the count:
//
//   for (int i = 0; i < s->n; i++)
//     ts_free(s->t[i]);
//   s->n = 0;
//
// The count's value is unknown, so the loop may seem to run zero times and
// the elements to stay the function's (Fields.cpp frees "some element"
// weakly). But the elements in use are those below the count: when it is
// 0 there are none. Such a loop, whose body only frees (or clears) elements
// of arrays of the struct the count belongs to, is taken to run (runsOnce)
// and to free every element in use (a strong free). A count set to 0 after
// it is kept in the state (State::Zeroed): the next loop over it, or a
// teardown helper's call, frees nothing then. Summaries say which counts a
// helper resets on every path (FunctionSummary::ZeroCounts); its frees of
// the elements are FreeFields whose path ends in "some element".
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"
#include "LoopShapes.h"

namespace tsmem {
namespace ownership {

/// `X.f[I]` or `p->f[I]`, f an array of tensors of the struct whose place
/// is B: the element's place ("some element").
LocKey FunctionAnalyzer::countElem(const Expr *E, const VarDecl *I,
                                   LocKey B) const {
  const auto *AS = dyn_cast<ArraySubscriptExpr>(ignoreParenCasts(E));
  if (!AS || !isa<DeclRefExpr>(AS->getIdx()->IgnoreParenImpCasts()) ||
      varOf(AS->getIdx()) != I)
    return nullptr;
  // Behind the pointer (L->Arrow): a heap array field (HeapFields.cpp).
  LocKey L = placeOf(AS);
  if (!L || L->Step != Loc::AnyIndex || !L->Parent ||
      L->Parent->Step != Loc::Field || L->Parent->Parent != B)
    return nullptr;
  return L;
}

/// A statement of a teardown loop's body: `ts_free(X.f[i])`, the same
/// under `if (X.f[i])` or `if (X.f[i] != NULL)`, or `X.f[i] = NULL`. Frees
/// counts the frees.
bool FunctionAnalyzer::teardownStmt(const Stmt *St, const VarDecl *I, LocKey B,
                                    unsigned &Frees) const {
  auto IsNull = [&](const Expr *E) {
    return E->IgnoreParenCasts()->isNullPointerConstant(
        const_cast<ASTContext &>(Ctx), Expr::NPC_ValueDependentIsNotNull);
  };
  if (const auto *CE = dyn_cast<CallExpr>(St)) {
    CallModel M = model(CE);
    if (M.Kind != CallKind::Free || !M.Api ||
        M.ConsumedArg >= CE->getNumArgs() ||
        !countElem(CE->getArg(M.ConsumedArg), I, B))
      return false;
    ++Frees;
    return true;
  }
  if (const auto *BO = dyn_cast<BinaryOperator>(St))
    return BO->getOpcode() == BO_Assign && countElem(BO->getLHS(), I, B) &&
           IsNull(BO->getRHS());
  const auto *If = dyn_cast<IfStmt>(St);
  if (!If || If->getElse() || If->getInit() || If->getConditionVariable())
    return false;
  const Expr *C = If->getCond()->IgnoreParenImpCasts();
  if (const auto *BO = dyn_cast<BinaryOperator>(C);
      BO && BO->getOpcode() == BO_NE)
    C = IsNull(BO->getRHS()) ? BO->getLHS() : BO->getRHS();
  if (!countElem(C, I, B))
    return false;
  const Stmt *Then = If->getThen();
  if (const auto *CS = dyn_cast<CompoundStmt>(Then)) {
    if (CS->size() != 1)
      return false;
    Then = CS->body_front();
  }
  unsigned Before = Frees;
  return isa<CallExpr>(Then) && teardownStmt(Then, I, B, Frees) &&
         Frees > Before;
}

/// `for (int i = 0; i < X.n; i++)` whose body only tears down elements of
/// X's arrays (teardownStmt), one free at least.
void FunctionAnalyzer::noteCountLoop(const ForStmt *FS) {
  const Expr *Start = nullptr;
  const VarDecl *I = loopCounter(FS, Start); // LoopShapes.cpp
  int64_t A = 0;
  if (!I || !isa<DeclStmt>(FS->getInit()) || !intConstant(Start, Ctx, A) ||
      A != 0)
    return;
  const auto *C = loopTest(FS);
  if (!C || C->getOpcode() != BO_LT ||
      !isa<DeclRefExpr>(C->getLHS()->IgnoreParenImpCasts()) ||
      varOf(C->getLHS()) != I)
    return;
  const auto *ME = dyn_cast<MemberExpr>(C->getRHS()->IgnoreParenImpCasts());
  const auto *F = ME ? dyn_cast<FieldDecl>(ME->getMemberDecl()) : nullptr;
  if (!F || !ME->getType()->isIntegerType() || F->getParent()->isUnion())
    return;
  LocKey B = placeOf(ME->getBase());
  if (!B || !B->isVar() || loopStep(FS, I, Ctx, /*Compound=*/true) != 1 ||
      hasJump(FS->getBody(), I))
    return;
  llvm::SmallVector<const Stmt *, 4> Body;
  if (const auto *CS = dyn_cast<CompoundStmt>(FS->getBody()))
    Body.append(CS->body_begin(), CS->body_end());
  else
    Body.push_back(FS->getBody());
  unsigned Frees = 0;
  for (const Stmt *St : Body)
    if (!teardownStmt(St, I, B, Frees))
      return;
  if (!Frees)
    return;
  CountLoops[I] = Locs.field(B, F, ME->isArrow());
  OnceLoops.insert(FS);
}

LocKey FunctionAnalyzer::countOf(const Expr *Arg) const {
  if (CountLoops.empty())
    return nullptr;
  const auto *AS = dyn_cast<ArraySubscriptExpr>(ignoreParenCasts(Arg));
  auto It = AS ? CountLoops.find(varOf(AS->getIdx())) : CountLoops.end();
  if (It == CountLoops.end())
    return nullptr;
  return countElem(AS, It->first, It->second->Parent) ? It->second : nullptr;
}

bool FunctionAnalyzer::zeroedFree(const Expr *Arg, const ObjSet &Os) const {
  if (S.Zeroed.empty())
    return false;
  LocKey C = countOf(Arg);
  return C && S.Zeroed.count(C) &&
         (Os.empty() || mustBeIn(Os, Freed | Released));
}

bool FunctionAnalyzer::zeroedUnder(LocKey P) const {
  for (LocKey L : S.Zeroed)
    if (L->Parent == P)
      return true;
  return false;
}

void FunctionAnalyzer::clearCounts(LocKey P) {
  if (S.Zeroed.empty())
    return;
  llvm::SmallVector<LocKey, 2> Gone;
  for (LocKey L : S.Zeroed)
    if (L->Parent == P)
      Gone.push_back(L);
  for (LocKey L : Gone)
    S.Zeroed.erase(L);
}

void FunctionAnalyzer::countWrite(const Expr *LHS, const Expr *RHS) {
  const auto *ME = dyn_cast<MemberExpr>(ignoreParenCasts(LHS));
  if (ME && ME->getType()->isIntegerType()) {
    const auto *F = dyn_cast<FieldDecl>(ME->getMemberDecl());
    Expr::EvalResult R;
    bool Zero = RHS && !RHS->isValueDependent() && RHS->EvaluateAsInt(R, Ctx) &&
                R.Val.getInt() == 0;
    // A count under a pointer parameter: the summary must know it moved.
    bool Param = Sum && ME->isArrow() &&
                 isa_and_nonnull<ParmVarDecl>(varOf(ME->getBase()));
    if (!F || (!Zero && S.Zeroed.empty() && !Param))
      return;
    LocKey B = placeOf(ME->getBase());
    if (!B || !B->isVar())
      return;
    LocKey C = Locs.field(B, F, ME->isArrow());
    if (Param)
      CountsWritten.insert(C);
    if (Zero)
      S.Zeroed.insert(C);
    else
      S.Zeroed.erase(C);
    return;
  }
  // A store into an element (`s.t[s.n++] = x`): the array is filled again.
  if (S.Zeroed.empty())
    return;
  const auto *AS = dyn_cast<ArraySubscriptExpr>(ignoreParenCasts(LHS));
  const auto *Arr =
      AS ? dyn_cast<MemberExpr>(AS->getBase()->IgnoreParenImpCasts()) : nullptr;
  if (LocKey B = Arr ? placeOf(Arr->getBase()) : nullptr)
    clearCounts(B);
}

void FunctionAnalyzer::countStep(const Stmt *St) {
  if (S.Zeroed.empty() && !Sum)
    return;
  const Expr *E = nullptr;
  if (const auto *UO = dyn_cast<UnaryOperator>(St)) {
    if (UO->isIncrementDecrementOp())
      E = UO->getSubExpr();
  } else if (const auto *CA = dyn_cast<CompoundAssignOperator>(St)) {
    E = CA->getLHS();
  }
  if (E)
    countWrite(E, nullptr);
}

bool FunctionAnalyzer::countFree(const CallExpr *CE) const {
  if (!CE)
    return false;
  for (const Expr *A : CE->arguments())
    if (countOf(A) || coversAll(A))
      return true;
  return false;
}

void FunctionAnalyzer::noteExitCounts(unsigned Block) {
  auto &Zs = ExitZeroed[Block];
  Zs.clear();
  for (LocKey L : S.Zeroed)
    if (L->Arrow && L->Parent->isVar() && isa<ParmVarDecl>(L->Base))
      Zs.push_back(L);
}

void FunctionAnalyzer::summarizeCounts() {
  bool Exits = !ExitZeroed.empty() && ExitZeroed.size() == ExitBits.size();
  for (LocKey L :
       Exits ? ExitZeroed.begin()->second : llvm::SmallVector<LocKey, 2>()) {
    bool All = llvm::all_of(ExitZeroed, [&](const auto &E) {
      return llvm::is_contained(E.second, L);
    });
    if (All)
      Sum->ZeroCounts.push_back(
          {cast<ParmVarDecl>(L->Base)->getFunctionScopeIndex(), L->Member});
  }
  llvm::sort(Sum->ZeroCounts, [](const auto &A, const auto &B) {
    return A.first != B.first
               ? A.first < B.first
               : A.second->getFieldIndex() < B.second->getFieldIndex();
  });
  // A count written but not reset on every path (reset on one branch,
  // stepped): which elements a second call frees is unclear, so the
  // summary does not say it frees them.
  for (LocKey C : CountsWritten) {
    std::pair<unsigned, const FieldDecl *> Z{
        cast<ParmVarDecl>(C->Base)->getFunctionScopeIndex(), C->Member};
    if (llvm::is_contained(Sum->ZeroCounts, Z))
      continue;
    llvm::erase_if(Sum->FreeFields, [&](const auto &F) {
      return F.first == Z.first && !F.second.back();
    });
  }
}

void FunctionAnalyzer::zeroCountsOf(const CallModel &M, unsigned I, LocKey P,
                                    bool Arrow) {
  if (!M.Fields)
    return;
  for (const auto &[Idx, F] : M.Fields->ZeroCounts)
    if (Idx == I)
      S.Zeroed.insert(Locs.field(P, F, Arrow));
}

} // namespace ownership
} // namespace tsmem
