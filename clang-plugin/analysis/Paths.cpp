//===- Paths.cpp - The path engine: disjuncts along the CFG ---------------===//
//
// See Paths.h. What each block writes (where loops are and which counters
// they keep: PathLoops.cpp), the facts each edge adds (PathFacts.cpp decides the branches), the join of disjuncts
// per block, and the notes of the branches taken.
//
//===----------------------------------------------------------------------===//
#include "Paths.h"
#include "Checks.h"
#include "FunctionAnalyzer.h"

#include "clang/Lex/Lexer.h"

namespace tsmem {
namespace ownership {

//===----------------------------------------------------------------------===//
// Disjuncts
//===----------------------------------------------------------------------===//

bool PathEngine::join(Paths &Into, const State &S, const PathFacts &F,
                      bool Lossy, bool Jumped) {
  if (!Lossy) {
    unsigned Precise = 0;
    for (Path &P : Into) {
      if (P.Lossy)
        continue;
      ++Precise;
      // Paths that jumped out of a loop stay apart from the others, which
      // still report leaks.
      if (P.Jumped == Jumped && sameOwnership(P.S, S)) {
        bool Changed = joinStates(P.S, S);
        Changed |= P.F.intersect(F);
        return Changed;
      }
    }
    if (Precise < MaxPaths) {
      Into.push_back({S, F, false, Jumped});
      return true;
    }
  }
  for (Path &P : Into)
    if (P.Lossy) {
      bool Changed = joinStates(P.S, S);
      Changed |= P.F.intersect(F);
      return Changed;
    }
  Into.push_back({S, F, true});
  return true;
}

//===----------------------------------------------------------------------===//
// Decoding
//===----------------------------------------------------------------------===//

PathEngine::PathEngine(ASTContext &Ctx, CallModels &Models,
                       const llvm::DenseSet<const VarDecl *> &AddrTaken,
                       const std::vector<BlockInfo> &Blocks,
                       const LocTable &Locs)
    : Ctx(Ctx), Models(Models), AddrTaken(AddrTaken), Blocks(Blocks),
      Locs(Locs) {}

bool PathEngine::isTrackedInt(const VarDecl *VD) const {
  // The type first: it turns down the tensor pointers, most asked about,
  // without the storage's and the set's look-ups.
  return VD && VD->getType()->isIntegralOrEnumerationType() &&
         !VD->getType().isVolatileQualified() && VD->hasLocalStorage() &&
         !AddrTaken.count(VD);
}

/// The variable an lvalue writes to, through fields, elements and pointers.
static const VarDecl *rootOf(const Expr *E, bool &Direct) {
  Direct = true;
  while (true) {
    E = E->IgnoreParenCasts();
    if (const auto *DRE = dyn_cast<DeclRefExpr>(E))
      return dyn_cast<VarDecl>(DRE->getDecl());
    Direct = false;
    if (const auto *ME = dyn_cast<MemberExpr>(E))
      E = ME->getBase();
    else if (const auto *AS = dyn_cast<ArraySubscriptExpr>(E))
      E = AS->getBase();
    else if (const auto *UO = dyn_cast<UnaryOperator>(E);
             UO &&
             (UO->getOpcode() == UO_Deref || UO->getOpcode() == UO_AddrOf))
      E = UO->getSubExpr();
    else
      return nullptr;
  }
}

void PathEngine::addWrite(BlockPaths &BP, const Expr *Target, WriteOp::Kind K,
                          const Expr *E, int64_t D) {
  bool Direct;
  const VarDecl *VD = rootOf(Target, Direct);
  if (VD && Direct && VD->hasLocalStorage()) {
    BP.Writes.push_back({K, VD, E, D});
    return;
  }
  if (VD)
    BP.Writes.push_back({WriteOp::Kill, VD});
  // Through memory: forget what memory said.
  BP.Writes.push_back({WriteOp::Kill, nullptr});
}

/// The kinds the CFG has as elements of their own wherever they are
/// (FunctionAnalyzer::run's BuildOptions): recordWrites() meets each there.
static bool isOwnElement(const Stmt *St) {
  switch (St->getStmtClass()) {
  case Stmt::CallExprClass:
  case Stmt::BinaryOperatorClass:
  case Stmt::DeclStmtClass:
  case Stmt::ReturnStmtClass:
  case Stmt::InitListExprClass:
  case Stmt::CompoundLiteralExprClass:
  case Stmt::DesignatedInitExprClass:
  case Stmt::CStyleCastExprClass:
    return true;
  default:
    return false;
  }
}

void PathEngine::recordWrites(const Stmt *St, BlockPaths &BP, bool Root) {
  // Implicit casts and leaves, the most common nodes, first.
  while (const auto *IC = dyn_cast_or_null<ImplicitCastExpr>(St))
    St = IC->getSubExpr();
  if (!St || isa<DeclRefExpr>(St) || isa<IntegerLiteral>(St) ||
      (!Root && isOwnElement(St)))
    return;
  if (const auto *BO = dyn_cast<BinaryOperator>(St)) {
    BinaryOperatorKind Op = BO->getOpcode();
    if (Op == BO_LAnd || Op == BO_LOr) {
      // The right-hand side runs in blocks of its own.
      recordWrites(BO->getLHS(), BP, false);
      return;
    }
    // A comma's sides are elements of their own (the CFG adds each as a
    // statement: a TS_SCOPE loop's `(i++), close(&g)`), met there.
    if (Op == BO_Comma)
      return;
    if (BO->isAssignmentOp()) {
      recordWrites(BO->getRHS(), BP, false);
      recordWrites(BO->getLHS(), BP, false);
      if (Op == BO_Assign) {
        addWrite(BP, BO->getLHS(), WriteOp::Set, BO->getRHS(), 0);
      } else if (Op == BO_AddAssign || Op == BO_SubAssign) {
        std::optional<int64_t> K = value(BO->getRHS(), NoFacts);
        if (K)
          addWrite(BP, BO->getLHS(), WriteOp::Add, nullptr,
                   Op == BO_AddAssign ? *K : -*K);
        else
          addWrite(BP, BO->getLHS(), WriteOp::Kill, nullptr, 0);
      } else {
        std::optional<int64_t> K = value(BO->getRHS(), NoFacts);
        bool Shift = Op == BO_ShlAssign || Op == BO_ShrAssign;
        if (K && (Op == BO_OrAssign || Op == BO_AndAssign ||
                  Op == BO_XorAssign || (Shift && *K >= 0 && *K < 32)))
          addWrite(BP, BO->getLHS(), WriteOp::Apply, BO, *K);
        else
          addWrite(BP, BO->getLHS(), WriteOp::Kill, nullptr, 0);
      }
      return;
    }
  }
  if (const auto *UO = dyn_cast<UnaryOperator>(St)) {
    recordWrites(UO->getSubExpr(), BP, false);
    if (UO->isIncrementDecrementOp())
      addWrite(BP, UO->getSubExpr(), WriteOp::Add, nullptr,
               UO->isIncrementOp() ? 1 : -1);
    return;
  }
  if (const auto *CO = dyn_cast<AbstractConditionalOperator>(St)) {
    recordWrites(CO->getCond(), BP, false);
    return;
  }
  if (isa<StmtExpr>(St))
    return;
  if (const auto *DS = dyn_cast<DeclStmt>(St)) {
    for (const Decl *D : DS->decls())
      if (const auto *VD = dyn_cast<VarDecl>(D)) {
        recordWrites(VD->getInit(), BP, false);
        if (VD->getInit()) {
          BP.Writes.push_back({WriteOp::Set, VD, VD->getInit(), 0});
        } else {
          BP.Writes.push_back({WriteOp::Kill, VD});
          BP.Writes.back().Decl = true;
        }
      }
    return;
  }
  if (const auto *AS = dyn_cast<GCCAsmStmt>(St)) {
    // Its outputs are written.
    for (const Stmt *Kid : AS->children())
      recordWrites(Kid, BP, false);
    for (unsigned I = 0, N = AS->getNumOutputs(); I < N; ++I)
      addWrite(BP, AS->getOutputExpr(I), WriteOp::Kill, nullptr, 0);
    return;
  }
  if (const auto *CE = dyn_cast<CallExpr>(St)) {
    for (const Stmt *Kid : CE->children())
      recordWrites(Kid, BP, false);
    // What the callee may write: through `&x`, or memory (outside tsmem).
    for (const Expr *Arg : CE->arguments()) {
      const auto *UO = dyn_cast<UnaryOperator>(Arg->IgnoreParenCasts());
      if (UO && UO->getOpcode() == UO_AddrOf) {
        bool Direct;
        if (const VarDecl *VD = rootOf(UO->getSubExpr(), Direct))
          BP.Writes.push_back({WriteOp::Kill, VD});
      }
    }
    return;
  }
  for (const Stmt *Kid : St->children())
    recordWrites(Kid, BP, false);
}

/// Whether a call may write memory through what it is given: a pointer to
/// non-const data (a tensor handle aside: opaque), a struct by value (its
/// pointers), a function to call back.
static bool writesThroughArgs(const CallExpr *CE) {
  const FunctionDecl *Callee = CE->getDirectCallee();
  if (!Callee)
    return true;
  for (unsigned I = 0, N = CE->getNumArgs(); I < N; ++I) {
    QualType T = CE->getArg(I)->IgnoreParenImpCasts()->getType();
    if (I < Callee->getNumParams())
      T = Callee->getParamDecl(I)->getType();
    T = T.getCanonicalType();
    if (T->isRecordType() || T->isArrayType() || T->isBlockPointerType())
      return true;
    if (!T->isPointerType())
      continue;
    QualType P = T->getPointeeType();
    if (P->isFunctionType() || !(P.isConstQualified() || isTensorPointer(T)))
      return true;
    // `const ts_tensor **`-like: the pointee is itself a pointer it may
    // not write, but a `T *const *` hands on pointers to writable data.
    if (P->isPointerType() && !P->getPointeeType().isConstQualified() &&
        !isTensorPointer(P))
      return true;
  }
  return false;
}

/// The conditions of `c ? 1 : 2` (nested too) in a value written to an
/// integer: their keys, for armValues().
void PathEngine::cacheArmConds(const Expr *E, unsigned Depth) {
  const auto *CO = dyn_cast<ConditionalOperator>(E->IgnoreParenImpCasts());
  if (!CO || Depth > 4)
    return;
  const Expr *C = ignoreExpect(CO->getCond());
  if (!CondCache.count(C))
    CondCache[C] = condInfo(C);
  cacheParts(C);
  cacheArmConds(CO->getTrueExpr(), Depth + 1);
  cacheArmConds(CO->getFalseExpr(), Depth + 1);
}

void PathEngine::decodeWrites(unsigned Idx) {
  BlockPaths &BP = BPs[Idx];
  const CFGBlock *B = Blocks[Idx].B;
  for (const CFGElement &E : *B)
    if (auto CS = E.getAs<CFGStmt>())
      recordWrites(CS->getStmt(), BP, true);
  // `v = <condition>`: the condition's key, for PathAlias.
  for (WriteOp &W : BP.Writes)
    if (W.K == WriteOp::Set && W.E && isTrackedInt(W.VD) &&
        W.E->getType()->isIntegralOrEnumerationType()) {
      CondInfo CI = condInfo(W.E);
      W.Key = CI.Key;
      W.Neg = CI.Neg;
      cacheArmConds(W.E);
    }
  // A call outside tsmem may write memory: read only at the branch, after.
  // Given no pointer it may write through (`log_opts(const struct opts
  // *)`, printf), it may change only what globals hold.
  bool Globals = false;
  for (const Op &O : Blocks[Idx].Ops)
    if (O.K == Op::Call && !O.Model.Api) {
      if (!writesThroughArgs(cast<CallExpr>(O.St))) {
        Globals = true;
        continue;
      }
      BP.Writes.push_back({WriteOp::Kill, nullptr});
      Globals = false;
      break;
    }
  if (Globals) {
    BP.Writes.push_back({WriteOp::Kill, nullptr});
    BP.Writes.back().Globals = true;
  }
  const Stmt *Term = B->getTerminatorStmt();
  if (const auto *SS = dyn_cast_or_null<SwitchStmt>(Term)) {
    BP.Switch = SS;
    const VarDecl *VD = varOf(SS->getCond());
    if (isTrackedInt(VD) && isa<DeclRefExpr>(SS->getCond()->IgnoreParenCasts()))
      BP.SwitchVar = VD;
    return;
  }
  if (B->succ_size() == 2 && Term && !isa<GotoStmt>(Term))
    if (const Expr *C = B->getLastCondition()) {
      C = ignoreExpect(C);
      BP.Cond = C;
      BP.CI = condInfo(C);
      cacheParts(C);
    }
}

/// The parts of a `&&`, `||` or `!` condition: their keys, for
/// decideParts().
void PathEngine::cacheParts(const Expr *E, unsigned Depth) {
  E = ignoreExpect(E)->IgnoreParenImpCasts();
  if (Depth > 8)
    return;
  if (const auto *UO = dyn_cast<UnaryOperator>(E);
      UO && UO->getOpcode() == UO_LNot) {
    cacheParts(UO->getSubExpr(), Depth + 1);
    return;
  }
  if (const auto *BO = dyn_cast<BinaryOperator>(E); BO && BO->isLogicalOp()) {
    cacheParts(BO->getLHS(), Depth + 1);
    cacheParts(BO->getRHS(), Depth + 1);
    return;
  }
  if (Depth && !CondCache.count(E))
    CondCache[E] = condInfo(E);
}

void PathEngine::prepare() {
  BPs.resize(Blocks.size());
  for (unsigned I = 0; I < Blocks.size(); ++I)
    decodeWrites(I);
  decodeLoops();
  findCounters();
  keepCounters();
  // A flag the loop only sets to constants keeps its value into the first
  // pass (`first = 0` at the end of the body): it has few values, so the
  // passes it tells apart are few too.
  for (BlockPaths &BP : BPs) {
    if (!BP.LoopHead)
      continue;
    llvm::erase_if(BP.LoopWrites, [&](const VarDecl *VD) {
      if (!isTrackedInt(VD) || VD->hasAttr<BlocksAttr>())
        return false;
      for (unsigned X : BP.LoopBody.set_bits())
        for (const WriteOp &W : BPs[X].Writes)
          if (W.VD == VD && (W.K != WriteOp::Set || !value(W.E, NoFacts)))
            return false;
      return true;
    });
  }
}

//===----------------------------------------------------------------------===//
// Facts along the edges
//===----------------------------------------------------------------------===//

void PathEngine::kill(PathFacts &F, const VarDecl *VD, bool Values,
                      bool Globals) const {
  const std::vector<bool> &Mem = Globals ? KeyGlobal : KeyMem;
  llvm::erase_if(F.Lits, [&](const std::pair<unsigned, bool> &L) {
    return VD ? llvm::is_contained(KeyVars[L.first - 1], VD)
              : bool(Mem[L.first - 1]);
  });
  if (Values && VD)
    llvm::erase_if(
        F.Vals, [&](const PathVal &V) { return V.VD == VD || V.Base == VD; });
  llvm::erase_if(F.Aliases, [&](const PathAlias &A) {
    return VD ? A.VD == VD || llvm::is_contained(KeyVars[A.Key - 1], VD)
              : bool(Mem[A.Key - 1]);
  });
}

/// The values a conditional operator with constant arms may give on the
/// paths F stands for: the arm its decided condition takes, or every arm.
/// False when an arm is not a constant (or there are too many).
bool PathEngine::armValues(const Expr *E, const PathFacts &F,
                           llvm::SmallVectorImpl<int64_t> &Out,
                           unsigned Depth) const {
  const auto *CO = dyn_cast<ConditionalOperator>(E->IgnoreParenImpCasts());
  if (!CO) {
    std::optional<int64_t> V = Depth ? value(E, F) : std::nullopt;
    if (!V || Out.size() >= 8)
      return false;
    Out.push_back(*V);
    return true;
  }
  if (Depth > 4)
    return false;
  std::optional<bool> D;
  const Expr *C = ignoreExpect(CO->getCond());
  if (auto It = CondCache.find(C); It != CondCache.end()) {
    BlockPaths BP;
    BP.Cond = C;
    BP.CI = It->second;
    D = decide(BP, F);
  }
  if (D)
    return armValues(*D ? CO->getTrueExpr() : CO->getFalseExpr(), F, Out,
                     Depth + 1);
  return armValues(CO->getTrueExpr(), F, Out, Depth + 1) &&
         armValues(CO->getFalseExpr(), F, Out, Depth + 1);
}

void PathEngine::applyWrites(unsigned Idx, PathFacts &F) const {
  ++Gen;
  for (const WriteOp &W : BPs[Idx].Writes) {
    switch (W.K) {
    case WriteOp::Kill:
      kill(F, W.VD, true, W.Globals);
      break;
    case WriteOp::Set: {
      std::optional<std::pair<const VarDecl *, int64_t>> V;
      llvm::SmallVector<int64_t, 4> Arms;
      if (isTrackedInt(W.VD)) {
        V = linear(W.E, F);
        if (!V && !armValues(W.E, F, Arms))
          Arms.clear();
      }
      kill(F, W.VD, true);
      if (V && V->first != W.VD) {
        F.Vals.push_back({W.VD, V->second, true, V->first});
      } else if (!Arms.empty()) {
        // `v = c ? 1 : 2`: the arm the facts chose, else one of them.
        bool Bool = W.VD->getType()->isBooleanType();
        llvm::SmallVector<int64_t, 4> Seen;
        for (int64_t X : Arms) {
          X = Bool ? X != 0 : X;
          if (!llvm::is_contained(Seen, X)) {
            Seen.push_back(X);
            F.Vals.push_back({W.VD, X, true});
          }
        }
      } else if (W.Key && isTrackedInt(W.VD) &&
                 !llvm::is_contained(KeyVars[W.Key - 1], W.VD)) {
        // `v = <condition>`: its truth, or the condition it follows.
        auto Lit =
            llvm::find_if(F.Lits, [&](const std::pair<unsigned, bool> &L) {
              return L.first == W.Key;
            });
        if (Lit != F.Lits.end())
          F.Vals.push_back({W.VD, 0, Lit->second == W.Neg});
        else if (F.Aliases.size() < 4)
          F.Aliases.push_back({W.VD, W.Key, W.Neg});
      }
      break;
    }
    case WriteOp::Apply: {
      // Each value the variable may have, changed; unknown stays unknown.
      llvm::SmallVector<int64_t, 4> New;
      if (isTrackedInt(W.VD))
        for (const PathVal &V : F.Vals)
          if (V.VD == W.VD && V.Eq && !V.Base) {
            int64_t X = V.V;
            switch (cast<BinaryOperator>(W.E)->getOpcode()) {
            case BO_OrAssign:
              X |= W.D;
              break;
            case BO_AndAssign:
              X &= W.D;
              break;
            case BO_XorAssign:
              X ^= W.D;
              break;
            case BO_ShlAssign:
              X = X >= 0 && X < (int64_t(1) << 30) ? X << W.D : -1;
              break;
            default:
              X >>= W.D;
              break;
            }
            if (X < 0) { // Out of what the facts say safely: unknown.
              New.clear();
              break;
            }
            if (!llvm::is_contained(New, X))
              New.push_back(X);
          }
      kill(F, W.VD, true);
      for (int64_t X : New)
        F.Vals.push_back({W.VD, X, true});
      break;
    }
    case WriteOp::Add: {
      kill(F, W.VD, false);
      for (PathVal &V : F.Vals) {
        if (V.VD == W.VD)
          V.V += W.D;
        if (V.Base == W.VD)
          V.V -= W.D;
      }
      // A counter that only counts up from its least start: past it now.
      auto It = CountsUp.find(W.VD);
      if (It == CountsUp.end() || W.D <= 0)
        break;
      int64_t G = It->second + W.D;
      for (const PathVal &V : F.Vals)
        if (V.VD == W.VD && V.Ge)
          G = std::max(G, V.V);
      llvm::erase_if(F.Vals, [&](const PathVal &V) {
        return V.VD == W.VD && (V.Ge || (W.Past && V.Eq && !V.Base));
      });
      F.Vals.push_back({W.VD, G, false, nullptr, true});
      break;
    }
    }
  }
}

static void pushStep(PathFacts &F, PathStep Step) {
  if (llvm::is_contained(F.Trail, Step))
    return; // Once per path: a loop takes its branches again.
  if (F.Trail.size() >= PathEngine::MaxTrail)
    F.Trail.erase(F.Trail.begin());
  F.Trail.push_back(Step);
}

/// Says VD == V (Eq) or VD != V.
static void setVal(PathFacts &F, const VarDecl *VD, int64_t V, bool Eq,
                   const VarDecl *Base = nullptr) {
  if (Eq)
    llvm::erase_if(F.Vals, [&](const PathVal &P) { return P.VD == VD; });
  else if (!Base)
    llvm::erase_if(F.Vals, [&](const PathVal &P) {
      return P.Eq && !P.Base && P.VD == VD && P.V == V;
    });
  if (!llvm::is_contained(F.Vals, PathVal{VD, V, Eq, Base, false}))
    F.Vals.push_back({VD, V, Eq, Base, false});
}

bool PathEngine::edge(unsigned Idx, unsigned SuccIdx, const State &St,
                      const PathFacts &F, PathFacts &Out, bool &Decided,
                      bool &Added) const {
  const BlockPaths &BP = BPs[Idx];
  Decided = true;
  Added = false;
  AliasLits.clear();
  // Out is F with what the edge adds: copied when it adds something.
  auto Add = [&]() -> PathFacts & {
    if (!Added) {
      Out = F;
      Added = true;
    }
    return Out;
  };
  CurState = &St;
  struct Reset {
    const State *&P;
    ~Reset() { P = nullptr; }
  } R{CurState};
  if (BP.Switch) {
    const CFGBlock *T =
        Blocks[Idx].B->succ_begin()[SuccIdx].getReachableBlock();
    if (!T)
      return true;
    std::optional<int64_t> Known;
    if (BP.SwitchVar)
      Known = value(BP.Switch->getCond(), F);
    auto CaseValue = [&](const CaseStmt *CS) -> std::optional<int64_t> {
      if (CS->getRHS())
        return std::nullopt;
      Expr::EvalResult R;
      if (!CS->getLHS()->EvaluateAsInt(R, Ctx))
        return std::nullopt;
      return R.Val.getInt().getExtValue();
    };
    Decided = Known.has_value();
    // One of several values (a join of the arms of an earlier switch on
    // the same variable): only their arms, and the default only when one
    // of them has no case.
    llvm::SmallVector<int64_t, 4> OneOf;
    if (BP.SwitchVar && !Known)
      for (const PathVal &V : F.Vals)
        if (V.Eq && !V.Base && V.VD == BP.SwitchVar)
          OneOf.push_back(V.V);
    if (const auto *CS = dyn_cast_or_null<CaseStmt>(T->getLabel())) {
      std::optional<int64_t> K = CaseValue(CS);
      if (Known && K)
        return *Known == *K;
      if (K && !OneOf.empty() && !llvm::is_contained(OneOf, *K))
        return false;
      if (BP.SwitchVar && K) {
        for (const PathVal &V : F.Vals)
          if (V.isNe() && V.VD == BP.SwitchVar && V.V == *K)
            return false;
        if (std::optional<int64_t> G = F.lowerBound(BP.SwitchVar); G && *K < *G)
          return false;
        setVal(Add(), BP.SwitchVar, *K, true);
      }
      pushStep(Add(), {CS, true});
      return true;
    }
    // The default arm, or past the switch: no case matched.
    unsigned Cases = 0;
    const bool Listed = !OneOf.empty();
    bool HadRange = false;
    for (const SwitchCase *SC = BP.Switch->getSwitchCaseList(); SC;
         SC = SC->getNextSwitchCase()) {
      const auto *CS = dyn_cast<CaseStmt>(SC);
      if (!CS)
        continue;
      std::optional<int64_t> K = CaseValue(CS);
      if (!K) {
        // A range: the value could be any.
        if (Known)
          return true;
        HadRange = true;
        continue;
      }
      if (Known && *Known == *K)
        return false;
      llvm::erase(OneOf, *K);
      if (BP.SwitchVar && !Known && ++Cases <= 16)
        setVal(Add(), BP.SwitchVar, *K, false);
    }
    if (Listed && OneOf.empty() && !HadRange)
      return false; // Every value it may have has its case.
    if (!Known)
      pushStep(Add(), {T->getLabel() ? T->getLabel() : BP.Switch, false});
    return true;
  }
  if (!BP.Cond || Blocks[Idx].Succs.size() != 2)
    return true;
  bool Val = SuccIdx == 0;
  // Decided once for both successors (applyWrites() starts a new F).
  if (CacheIdx != Idx || CacheGen != Gen) {
    CacheIdx = Idx;
    CacheGen = Gen;
    CacheD = decide(BP, F);
  }
  if (CacheD)
    return *CacheD == Val;
  Decided = false;
  bool KeyVal = Val != BP.CI.Neg;
  if (BP.CI.Key)
    Add().Lits.push_back({BP.CI.Key, KeyVal});
  // Aliases: the variable follows the condition, or the condition the
  // variable.
  for (const PathAlias &A : F.Aliases) {
    if (BP.CI.Key && A.Key == BP.CI.Key)
      setVal(Add(), A.VD, 0, KeyVal == A.Neg);
    if (BP.CI.EqVar == A.VD && !BP.CI.EqOnKey) {
      Add().Lits.push_back({A.Key, KeyVal != A.Neg});
      AliasLits.push_back({A.Key, KeyVal != A.Neg});
    }
  }
  if (BP.CI.EqVar)
    setVal(Add(), BP.CI.EqVar, BP.CI.EqVal, KeyVal == BP.CI.EqOnKey);
  if (BP.CI.SymVar && KeyVal)
    if (auto Lin = linear(BP.CI.SymExpr, F);
        Lin && Lin->first && Lin->first != BP.CI.SymVar)
      setVal(Add(), BP.CI.SymVar, Lin->second, true, Lin->first);
  // Null tests of a tensor only tell a failed call: not a note.
  if (!Blocks[Idx].NullTested)
    pushStep(Add(), {BP.Cond, Val});
  return true;
}

bool PathEngine::entersLoop(unsigned Idx, unsigned SuccIdx) const {
  unsigned T = Blocks[Idx].Succs[SuccIdx];
  return T != ~0u && T > Idx && BPs[T].LoopHead;
}

void PathEngine::enterLoop(unsigned T, PathFacts &F) const {
  for (const VarDecl *VD : BPs[T].LoopWrites)
    kill(F, VD, true);
}

bool PathEngine::jumpEdge(unsigned Idx, unsigned SuccIdx) const {
  const BlockPaths &BP = BPs[Idx];
  return SuccIdx < BP.JumpEdges.size() && BP.JumpEdges[SuccIdx];
}

bool PathEngine::lossyEdge(unsigned Idx, unsigned SuccIdx) const {
  const BlockPaths &BP = BPs[Idx];
  return SuccIdx < BP.LossyEdges.size() && BP.LossyEdges[SuccIdx];
}

std::string PathEngine::stepText(const PathStep &Step) const {
  const SourceManager &SM = Ctx.getSourceManager();
  auto Text = [&](const Stmt *S) {
    CharSourceRange R = SM.getExpansionRange(
        CharSourceRange::getTokenRange(S->getSourceRange()));
    std::string T = Lexer::getSourceText(R, SM, Ctx.getLangOpts()).str();
    // One line, not too long.
    for (char &C : T)
      if (C == '\n' || C == '\t')
        C = ' ';
    if (T.size() > 48)
      T = T.substr(0, 45) + "...";
    return T;
  };
  if (const auto *CS = dyn_cast<CaseStmt>(Step.Cond))
    return formatMessage(Message::CaseTaken, {"case " + Text(CS->getLHS())});
  if (isa<DefaultStmt>(Step.Cond))
    return formatMessage(Message::CaseTaken, {"default"});
  if (isa<SwitchStmt>(Step.Cond) || !isa<Expr>(Step.Cond))
    return formatMessage(Message::NoCaseTaken);
  return formatMessage(Message::BranchTaken,
                       {Text(Step.Cond), Step.Val ? "true" : "false"});
}

//===----------------------------------------------------------------------===//
// Notes
//===----------------------------------------------------------------------===//

void FunctionAnalyzer::notePath() {
  if (!PE || !CurPaths || CurPaths->size() < 2 || CurPath >= CurPaths->size())
    return;
  const Path &P = (*CurPaths)[CurPath];
  if (P.Lossy)
    return;
  // The branches this path took and some other path here did not.
  for (const PathStep &Step : P.F.Trail) {
    bool Common = llvm::all_of(*CurPaths, [&](const Path &Q) {
      return llvm::is_contained(Q.F.Trail, Step);
    });
    if (Common)
      continue;
    const Stmt *At = Step.Cond;
    Report.note(At->getBeginLoc(), PE->stepText(Step));
  }
}

} // namespace ownership
} // namespace tsmem