//===- CfgDecode.cpp - What the analysis reads off Clang's CFG ------------===//
#include "BorrowedLiterals.h"
#include "FunctionAnalyzer.h"

namespace tsmem {
namespace ownership {

/// How many lifetime ends the CFG of Body will have, about: each return,
/// goto, break or continue ends the variables declared before it in the
/// blocks it leaves (a goto: as many as are in scope at it and not at its
/// label). Two walks (labels, then jumps), without recursion.
uint64_t lifetimeEndsEstimate(const Stmt *Body) {
  struct Item {
    const Stmt *S;
    uint64_t Live;      ///< Variables in scope where S runs.
    uint64_t BreakBase; ///< Live where a break from S would go.
    uint64_t ContBase;  ///< Live where a continue from S would go.
  };
  auto VarsIn = [](const Stmt *S) -> uint64_t {
    const auto *DS = dyn_cast_or_null<DeclStmt>(S);
    return DS ? std::distance(DS->decl_begin(), DS->decl_end()) : 0;
  };
  llvm::DenseMap<const LabelStmt *, uint64_t> LabelLive;
  uint64_t Total = 0;
  for (bool Labels : {true, false}) {
    Total = 0;
    llvm::SmallVector<Item, 64> Stack{{Body, 0, 0, 0}};
    while (!Stack.empty()) {
      Item I = Stack.pop_back_val();
      switch (I.S->getStmtClass()) {
      case Stmt::LabelStmtClass:
        if (Labels)
          LabelLive[cast<LabelStmt>(I.S)] = I.Live;
        break;
      case Stmt::GotoStmtClass: {
        auto It = LabelLive.find(cast<GotoStmt>(I.S)->getLabel()->getStmt());
        uint64_t To = It == LabelLive.end() ? 0 : It->second;
        Total += I.Live - std::min(I.Live, To);
        continue;
      }
      case Stmt::ReturnStmtClass:
      case Stmt::IndirectGotoStmtClass:
        Total += I.Live;
        break;
      case Stmt::BreakStmtClass:
        Total += I.Live - std::min(I.Live, I.BreakBase);
        continue;
      case Stmt::ContinueStmtClass:
        Total += I.Live - std::min(I.Live, I.ContBase);
        continue;
      case Stmt::CompoundStmtClass: {
        // A declaration is in scope for the statements after it.
        uint64_t Live = I.Live;
        for (const Stmt *Kid : cast<CompoundStmt>(I.S)->body()) {
          if (Kid)
            Stack.push_back({Kid, Live, I.BreakBase, I.ContBase});
          Live += VarsIn(Kid);
        }
        continue;
      }
      case Stmt::ForStmtClass:
      case Stmt::WhileStmtClass:
      case Stmt::DoStmtClass:
      case Stmt::SwitchStmtClass: {
        // Its own declarations (a for's init, a condition variable) are in
        // scope in all of it; a break leaves them, a continue does not.
        uint64_t Live = I.Live;
        for (const Stmt *Kid : I.S->children())
          Live += VarsIn(Kid);
        bool Loop = !isa<SwitchStmt>(I.S);
        for (const Stmt *Kid : I.S->children())
          if (Kid)
            Stack.push_back({Kid, Live, I.Live, Loop ? Live : I.ContBase});
        continue;
      }
      default:
        break;
      }
      uint64_t Live = I.Live;
      if (isa<IfStmt>(I.S))
        for (const Stmt *Kid : I.S->children())
          Live += VarsIn(Kid);
      for (const Stmt *Kid : I.S->children())
        if (Kid)
          Stack.push_back({Kid, Live, I.BreakBase, I.ContBase});
    }
  }
  return Total;
}

/// TS__LOOP_SCOPE's `for` (tsmem.h), around a TS_SCOPE loop: it runs its
/// statement once.
bool isOnceLoop(const Stmt *S) {
  const auto *FS = dyn_cast_or_null<ForStmt>(S);
  const auto *DS = FS ? dyn_cast_or_null<DeclStmt>(FS->getInit()) : nullptr;
  const auto *VD = DS && DS->isSingleDecl()
                       ? dyn_cast<VarDecl>(DS->getSingleDecl())
                       : nullptr;
  return VD && isLoopScopeGuard(VD);
}

/// The end of a full expression: nothing above it will bind its value.
bool FunctionAnalyzer::isFullExpression(const Stmt *St) const {
  if (!isa<Expr>(St))
    return true;
  if (Facts.Known)
    return Facts.FullExprs.count(St);
  const Stmt *P = Parents->getParentIgnoreParenCasts(const_cast<Stmt *>(St));
  if (!P)
    return true;
  return !isa<Expr>(P) && !isa<DeclStmt>(P) && !isa<ReturnStmt>(P);
}

/// The body of a GNU statement expression.
bool FunctionAnalyzer::isStmtExprBody(const Stmt *St) const {
  if (!isa<CompoundStmt>(St))
    return false;
  if (Facts.Known)
    return Facts.StmtExprBodies.count(St);
  return isa_and_nonnull<StmtExpr>(Parents->getParent(St));
}

/// A `ts_tensor **` parameter: an out-parameter, maybe an optional one.
static bool isOutPointerParam(const VarDecl *VD) {
  if (!VD || !isa<ParmVarDecl>(VD))
    return false;
  const auto *P = VD->getType().getCanonicalType()->getAs<PointerType>();
  return P && !P->getPointeeType().isConstQualified() &&
         isTensorPointer(P->getPointeeType());
}

/// `*p`, `!*p`, `*p != NULL`, `p[0] == NULL`... with p a `ts_tensor **`
/// parameter: p (NullOnTrue says on which edge `*p` is NULL), else null.
const VarDecl *derefNullTest(const Expr *C, bool &NullOnTrue, ASTContext &Ctx) {
  bool Neg = false;
  C = C->IgnoreParenImpCasts();
  while (const auto *UO = dyn_cast<UnaryOperator>(C)) {
    if (UO->getOpcode() != UO_LNot)
      break;
    Neg = !Neg;
    C = UO->getSubExpr()->IgnoreParenImpCasts();
  }
  bool Eq = false;
  if (const auto *BO = dyn_cast<BinaryOperator>(C)) {
    if (BO->getOpcode() != BO_EQ && BO->getOpcode() != BO_NE)
      return nullptr;
    auto IsNull = [&](const Expr *E) {
      return E->isNullPointerConstant(Ctx, Expr::NPC_ValueDependentIsNotNull);
    };
    if (IsNull(BO->getRHS()))
      C = BO->getLHS()->IgnoreParenImpCasts();
    else if (IsNull(BO->getLHS()))
      C = BO->getRHS()->IgnoreParenImpCasts();
    else
      return nullptr;
    Eq = BO->getOpcode() == BO_EQ;
  }
  const Expr *Base = nullptr;
  if (const auto *UO = dyn_cast<UnaryOperator>(C)) {
    if (UO->getOpcode() == UO_Deref)
      Base = UO->getSubExpr();
  } else if (const auto *AE = dyn_cast<ArraySubscriptExpr>(C)) {
    Expr::EvalResult R;
    if (AE->getIdx()->EvaluateAsInt(R, Ctx) && R.Val.getInt() == 0)
      Base = AE->getBase();
  }
  const auto *DRE =
      Base ? dyn_cast<DeclRefExpr>(Base->IgnoreParenImpCasts()) : nullptr;
  const auto *P = DRE ? dyn_cast<ParmVarDecl>(DRE->getDecl()) : nullptr;
  const auto *PT =
      P ? P->getType().getCanonicalType()->getAs<PointerType>() : nullptr;
  if (!PT || PT->getPointeeType().isConstQualified() ||
      !isTensorPointer(PT->getPointeeType()))
    return nullptr;
  NullOnTrue = Eq != Neg;
  return P;
}

const VarDecl *FunctionAnalyzer::nullTestedVar(const Expr *C,
                                               bool &NullOnTrue) const {
  C = C->IgnoreParenImpCasts();
  if (const auto *UO = dyn_cast<UnaryOperator>(C)) {
    if (UO->getOpcode() != UO_LNot)
      return nullptr;
    const VarDecl *VD = nullTestedVar(UO->getSubExpr(), NullOnTrue);
    NullOnTrue = !NullOnTrue;
    return VD;
  }
  if (const auto *BO = dyn_cast<BinaryOperator>(C)) {
    if (BO->getOpcode() == BO_Assign) {
      NullOnTrue = false;
      return varOf(BO->getLHS());
    }
    if (BO->getOpcode() != BO_EQ && BO->getOpcode() != BO_NE)
      return nullptr;
    // `(v = next()) != NULL` tests v.
    auto VarOf = [](const Expr *E) {
      const auto *A = dyn_cast<BinaryOperator>(ignoreParenCasts(E));
      return varOf(A && A->getOpcode() == BO_Assign ? A->getLHS() : E);
    };
    // decode() keeps only a tracked variable: most comparisons need not
    // pay for the null-constant tests.
    if (!isTracked(VarOf(BO->getLHS())) && !isTracked(VarOf(BO->getRHS())) &&
        !isOutPointerParam(varOf(BO->getLHS())) &&
        !isOutPointerParam(varOf(BO->getRHS())))
      return nullptr;
    const Expr *Other = nullptr;
    if (BO->getRHS()->isNullPointerConstant(const_cast<ASTContext &>(Ctx),
                                            Expr::NPC_ValueDependentIsNotNull))
      Other = BO->getLHS();
    else if (BO->getLHS()->isNullPointerConstant(
                 const_cast<ASTContext &>(Ctx),
                 Expr::NPC_ValueDependentIsNotNull))
      Other = BO->getRHS();
    if (!Other)
      return nullptr;
    NullOnTrue = BO->getOpcode() == BO_EQ;
    if (varOf(Other))
      return varOf(Other);
    const VarDecl *VD = VarOf(Other);
    return isTracked(VD) ? VD : nullptr;
  }
  NullOnTrue = false;
  if (isa<DeclRefExpr>(C))
    return varOf(C);
  return nullptr;
}

std::string FunctionAnalyzer::siteName(ObjId Id) const {
  if (isForeign(Id) || Id / 2 >= Sites.size())
    return "call";
  const CallExpr *CE = Sites[Id / 2];
  if (const FunctionDecl *Callee = CE->getDirectCallee())
    if (Callee->getIdentifier())
      return Callee->getName().str();
  return "call";
}

SourceLocation FunctionAnalyzer::locOf(const Stmt *Trigger) const {
  if (!Trigger)
    return FD->getBodyRBrace();
  if (const auto *CS = dyn_cast<CompoundStmt>(Trigger))
    return CS->getRBracLoc();
  return Trigger->getBeginLoc();
}

/// Reads what transferBlock() and refineEdge() need off the block's
/// elements: everything that depends on the block and not on the state.
void FunctionAnalyzer::decode(BlockInfo &BI) {
  const CFGBlock *B = BI.B;
  for (unsigned I = 0, N = B->size(); I < N; ++I) {
    CFGElement E = (*B)[I];
    if (auto CS = E.getAs<CFGStmt>()) {
      const Stmt *St = CS->getStmt();
      Op::Kind K = Op::Other;
      CallModel Model;
      switch (St->getStmtClass()) {
      case Stmt::CallExprClass:
        K = Op::Call;
        Model = model(cast<CallExpr>(St));
        break;
      case Stmt::BinaryOperatorClass:
        if (cast<BinaryOperator>(St)->getOpcode() == BO_Assign)
          K = Op::Assign;
        break;
      case Stmt::DeclStmtClass:
        K = Op::Decl;
        keepAggregates(BI, cast<DeclStmt>(St)); // Fields.cpp
        break;
      case Stmt::ReturnStmtClass:
        K = Op::Return;
        BI.Ret = cast<ReturnStmt>(St);
        break;
      case Stmt::InitListExprClass:
      case Stmt::CompoundLiteralExprClass:
      case Stmt::DesignatedInitExprClass:
        K = Op::Aggregate;
        break;
      default:
        if (isa<CallExpr>(St)) {
          K = Op::Call;
          Model = model(cast<CallExpr>(St));
        } else if (const auto *Cast = dyn_cast<ExplicitCastExpr>(St)) {
          if (!Cast->getType()->isPointerType() &&
              !Cast->getType()->isVoidType())
            K = Op::IntCast;
        }
        break;
      }
      bool Full = isFullExpression(St);
      if (K == Op::Other && !Full)
        continue;
      if (Full) {
        if (!BI.Ops.empty() && BI.Ops.back().Full) {
          // The full op before already ran collect(): nothing is left for
          // this one to do.
          if (K == Op::Other)
            continue;
        } else if (const auto *E = dyn_cast<Expr>(St); E && innermost(E) != E) {
          // A cast whose operand is full too. With every subexpression an
          // element, collect() first ran at the operand; our CFG has it
          // only when it is a kind decode() reads.
          Op &O = BI.Ops.emplace_back();
          O.Full = true;
          O.St = innermost(E);
          if (K == Op::Other)
            continue;
        }
      }
      Op &O = BI.Ops.emplace_back();
      O.K = K;
      O.Full = Full;
      O.St = St;
      O.Model = Model;
      if (K == Op::Call) {
        const auto *CE = cast<CallExpr>(St);
        O.TakesPlaces = takesPlaces(CE); // FieldCalls.cpp
        // An array literal lent to the call: not handed on
        // (BorrowedLiterals.h; visitCall uses its elements).
        for (unsigned A = 0; A < CE->getNumArgs(); ++A)
          if (const InitListExpr *IL = borrowedLiteral(CE, A, Model))
            for (Op &Prev : BI.Ops)
              if (Prev.K == Op::Aggregate &&
                  (Prev.St == IL || Prev.St == IL->getSyntacticForm() ||
                   Prev.St == ignoreParenCasts(CE->getArg(A))))
                Prev.K = Op::Other;
      }
    } else if (auto LE = E.getAs<CFGLifetimeEnds>()) {
      // The variables of a GNU statement expression die before its value
      // is bound: let them hold their tensors until the function ends.
      const Stmt *Trigger = LE->getTriggerStmt();
      if (Trigger && isStmtExprBody(Trigger))
        continue;
      Op O{Op::LifetimeEnd};
      O.VD = LE->getVarDecl();
      O.Loc = locOf(Trigger);
      BI.Ops.push_back(O);
    } else if (auto CF = E.getAs<CFGCleanupFunction>()) {
      const VarDecl *VD = CF->getVarDecl();
      // A scope guard's end; or a tensor variable's cleanup function that
      // frees it (CleanupVars.cpp).
      if (!isScopeGuard(VD) && !isLoopScopeGuard(VD) && !cleanupFrees(VD))
        continue;
      Op O{Op::Cleanup};
      O.VD = VD;
      for (unsigned J = I + 1; J < N && O.Loc.isInvalid(); ++J)
        if (auto LE = (*B)[J].getAs<CFGLifetimeEnds>())
          if (LE->getVarDecl() == VD)
            O.Loc = locOf(LE->getTriggerStmt());
      BI.Ops.push_back(O);
    }
  }
  if (!B->hasNoReturnElement())
    for (const CFGBlock::AdjacentBlock &Succ : B->succs())
      if (Succ.getReachableBlock() == &Cfg->getExit()) {
        BI.EndsFunction = true;
        break;
      }
  if (B->succ_size() == 2)
    if (const Expr *C = B->getLastCondition()) {
      C = ignoreExpect(C);
      const VarDecl *VD = nullTestedVar(C, BI.NullOnTrue);
      if (LocKey L = trackedLoc(VD))
        BI.NullTested = L;
      else if (isOutPointerParam(VD))
        BI.OutTested = VD; // Summaries.cpp
      else if (const VarDecl *P = derefNullTest(C, BI.NullOnTrue, Ctx))
        BI.OutTested = P; // `*p` tested: Summaries.cpp, DerefParams.cpp
      else if (!(BI.NullTested = nullTestedPlace(C, BI.NullOnTrue)))
        decodeCondTest(BI, C); // Summaries.cpp
    }
}

void FunctionAnalyzer::decodeBlocks() {
  // Reverse post-order by hand: unreachable successors are null blocks,
  // which llvm::ReversePostOrderTraversal would step on.
  // (Not PostOrderCFGView: it visits successors last first, "loop bodies
  // first", and the states' first-come fields, such as where a scope ended,
  // depend on the order in which paths join.)
  Rank.assign(Cfg->getNumBlockIDs(), ~0u);
  Blocks.reserve(Cfg->getNumBlockIDs());
  {
    std::vector<bool> Seen(Cfg->getNumBlockIDs());
    llvm::SmallVector<std::pair<const CFGBlock *, unsigned>, 32> Stack;
    Stack.push_back({&Cfg->getEntry(), 0});
    Seen[Cfg->getEntry().getBlockID()] = true;
    while (!Stack.empty()) {
      auto &[B, Next] = Stack.back();
      if (Next < B->succ_size()) {
        const CFGBlock *T = B->succ_begin()[Next++].getReachableBlock();
        if (T && !Seen[T->getBlockID()]) {
          Seen[T->getBlockID()] = true;
          Stack.push_back({T, 0});
        }
        continue;
      }
      Blocks.emplace_back();
      Blocks.back().B = B;
      Stack.pop_back();
    }
    std::reverse(Blocks.begin(), Blocks.end());
    for (unsigned I = 0; I < Blocks.size(); ++I)
      Rank[Blocks[I].B->getBlockID()] = I;
  }
  const CFGBlock *Exit = &Cfg->getExit();
  for (BlockInfo &BI : Blocks)
    noteCountedLoop(BI.B->getTerminatorStmt()); // CountedLoops.cpp
  for (BlockInfo &BI : Blocks) {
    decode(BI);
    const Stmt *Term = BI.B->getTerminatorStmt();
    for (const CFGBlock::AdjacentBlock &Succ : BI.B->succs()) {
      const CFGBlock *T = Succ.getReachableBlock();
      // A TS_SCOPE loop's once-loop: its back edge leaves it, its test
      // holds on entry.
      if (T && BI.B->getLoopTarget() &&
          T->getTerminatorStmt() == BI.B->getLoopTarget() &&
          T->succ_size() == 2 && isOnceLoop(BI.B->getLoopTarget()))
        T = T->succ_begin()[1].getReachableBlock();
      else if (BI.B->succ_size() == 2 && &Succ != BI.B->succ_begin() &&
               isOnceLoop(Term))
        T = nullptr;
      // A counted loop that runs at least once (`for (i = 0; i < 3; i++)`,
      // CountedLoops.cpp): entered, its test holds; only the back edge may
      // leave.
      else if (T && runsOnce(T->getTerminatorStmt()) &&
               BI.B->getLoopTarget() != T->getTerminatorStmt() &&
               T->succ_size() == 2 && T->succ_begin()->getReachableBlock())
        T = T->succ_begin()->getReachableBlock();
      BI.Succs.push_back(!T || T == Exit ? ~0u : Rank[T->getBlockID()]);
    }
    BI.Leaves = BI.EndsFunction &&
                llvm::all_of(BI.Succs, [](unsigned T) { return T == ~0u; });
    BI.Tail = BI.Ops.size();
    while (BI.Tail > 0 && (BI.Ops[BI.Tail - 1].K == Op::LifetimeEnd ||
                           BI.Ops[BI.Tail - 1].K == Op::Cleanup))
      --BI.Tail;
  }
}

bool mentions(const Stmt *S, const VarDecl *V) {
  llvm::SmallVector<const Stmt *, 16> Work{S};
  while (!Work.empty()) {
    const Stmt *X = Work.pop_back_val();
    if (!X)
      continue;
    if (const auto *DRE = dyn_cast<DeclRefExpr>(X))
      if (DRE->getDecl() == V)
        return true;
    Work.append(X->child_begin(), X->child_end());
  }
  return false;
}

} // namespace ownership
} // namespace tsmem
