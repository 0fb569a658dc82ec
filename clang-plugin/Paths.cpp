//===- Paths.cpp - Path-sensitive states: disjuncts and path facts --------===//
//
// See Paths.h.
//
//===----------------------------------------------------------------------===//
#include "Paths.h"
#include "Checks.h"
#include "FunctionAnalyzer.h"

#include "clang/Lex/Lexer.h"

namespace tsmem {
namespace ownership {

//===----------------------------------------------------------------------===//
// Facts and disjuncts
//===----------------------------------------------------------------------===//

bool PathFacts::intersect(const PathFacts &O) {
  if (Lits == O.Lits && Vals == O.Vals && Trail == O.Trail &&
      Aliases == O.Aliases)
    return false;
  size_t Aliased = Aliases.size();
  llvm::erase_if(Aliases, [&](const PathAlias &A) {
    return !llvm::is_contained(O.Aliases, A);
  });
  bool Dropped = Aliases.size() != Aliased;
  // Only what decides branches counts as a change: the trail is for the
  // notes and must not hold the fixpoint back.
  size_t Before = Lits.size() + Vals.size();
  llvm::erase_if(Lits, [&](const std::pair<unsigned, bool> &L) {
    return !llvm::is_contained(O.Lits, L);
  });
  // A variable with a value on both sides keeps the values of both: one of
  // them (`case 2: case 3:` joined).
  auto Values = [](const PathFacts &F, const VarDecl *VD) {
    unsigned N = 0;
    for (const PathVal &V : F.Vals)
      N += V.Eq && !V.Base && V.VD == VD;
    return N;
  };
  llvm::SmallVector<PathVal, 4> Added;
  llvm::SmallPtrSet<const VarDecl *, 4> Done;
  for (const PathVal &V : Vals)
    if (V.Eq && !V.Base && Done.insert(V.VD).second && Values(O, V.VD) &&
        Values(*this, V.VD) + Values(O, V.VD) <= 8)
      for (const PathVal &W : O.Vals)
        if (W.Eq && !W.Base && W.VD == V.VD && !llvm::is_contained(Vals, W))
          Added.push_back(W);
  // Values on both sides that do not fit: the variable may hold any of
  // them, so none is known (keeping the common ones would say it cannot
  // hold the others: a counted loop of 5 or more never left).
  llvm::SmallPtrSet<const VarDecl *, 4> TooMany;
  for (const PathVal &V : Vals)
    if (V.Eq && !V.Base && Values(O, V.VD) &&
        Values(*this, V.VD) + Values(O, V.VD) > 8)
      TooMany.insert(V.VD);
  llvm::erase_if(Vals, [&](const PathVal &V) {
    if (V.Eq && !V.Base && Values(O, V.VD))
      return TooMany.count(V.VD) != 0;
    return !llvm::is_contained(O.Vals, V);
  });
  Vals.append(Added.begin(), Added.end());
  llvm::erase_if(Trail, [&](const PathStep &S) {
    return !llvm::is_contained(O.Trail, S);
  });
  return Dropped || Lits.size() + Vals.size() != Before;
}

static bool isLive(uint8_t Bits) { return Bits & (Owned | Scoped | Borrowed); }

bool sameOwnership(const State &A, const State &B) {
  bool Same = true;
  auto Side = [&Same](const State &X, const State &Y, bool Both) {
    X.Objs.forEach([&](ObjId Id, const Obj &O) {
      if (!Same)
        return;
      const Obj *P = Y.Objs.find(Id);
      if (P) {
        if (Both && P->Bits != O.Bits)
          Same = false;
      } else if ((O.Bits & (Owned | Borrowed)) || isForeign(Id)) {
        // Ours on one side, not made (or NULL) on the other: keep apart, so
        // that the condition it was made under is tested again. (A tensor
        // a scope owns is freed by the scope on either side.) Unless each
        // place holding it holds, on the other side, another tensor in the
        // same state (`if (c) v = a(); else v = b();`).
        if (isForeign(Id) || O.HeldBy.empty()) {
          Same = false;
          return;
        }
        for (LocKey L : O.HeldBy) {
          const ObjSet *Os = Y.Pts.find(L);
          bool Alt = false;
          if (Os)
            for (ObjId J : *Os) {
              const Obj *Q = X.Objs.count(J) ? nullptr : Y.Objs.find(J);
              Alt |= Q && Q->Bits == O.Bits;
            }
          if (!Alt) {
            Same = false;
            return;
          }
        }
      }
    });
  };
  Side(A, B, true);
  if (Same)
    Side(B, A, false);
  return Same;
}

bool PathEngine::join(Paths &Into, const State &S, const PathFacts &F,
                      bool Lossy) {
  if (!Lossy) {
    unsigned Precise = 0;
    for (Path &P : Into) {
      if (P.Lossy)
        continue;
      ++Precise;
      if (sameOwnership(P.S, S)) {
        bool Changed = joinStates(P.S, S);
        Changed |= P.F.intersect(F);
        return Changed;
      }
    }
    if (Precise < MaxPaths) {
      Into.push_back({S, F, false});
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
  return VD && VD->hasLocalStorage() && !AddrTaken.count(VD) &&
         VD->getType()->isIntegralOrEnumerationType() &&
         !VD->getType().isVolatileQualified();
}

static bool isZero(const Expr *E, ASTContext &Ctx) {
  E = E->IgnoreParenCasts();
  if (const auto *IL = dyn_cast<IntegerLiteral>(E))
    return IL->getValue() == 0;
  return E->isNullPointerConstant(Ctx, Expr::NPC_ValueDependentIsNotNull) !=
         Expr::NPCK_NotNull;
}

bool PathEngine::eligible(const Expr *E,
                          llvm::SmallVectorImpl<const VarDecl *> &Vars,
                          bool &Mem, unsigned &Budget) const {
  if (!E || Budget-- == 0)
    return false;
  E = E->IgnoreParens();
  switch (E->getStmtClass()) {
  case Stmt::IntegerLiteralClass:
  case Stmt::CharacterLiteralClass:
  case Stmt::FloatingLiteralClass:
  case Stmt::UnaryExprOrTypeTraitExprClass:
    return true;
  case Stmt::DeclRefExprClass: {
    const ValueDecl *D = cast<DeclRefExpr>(E)->getDecl();
    if (isa<EnumConstantDecl>(D))
      return true;
    const auto *VD = dyn_cast<VarDecl>(D);
    if (!VD || VD->getType().isVolatileQualified())
      return false;
    if (VD->hasLocalStorage()) {
      if (AddrTaken.count(VD))
        return false;
    } else {
      Mem = true;
    }
    if (!llvm::is_contained(Vars, VD))
      Vars.push_back(VD);
    return true;
  }
  case Stmt::MemberExprClass: {
    const auto *ME = cast<MemberExpr>(E);
    if (ME->isArrow())
      Mem = true;
    return eligible(ME->getBase(), Vars, Mem, Budget);
  }
  case Stmt::UnaryOperatorClass: {
    const auto *UO = cast<UnaryOperator>(E);
    switch (UO->getOpcode()) {
    case UO_Deref:
      Mem = true;
      [[fallthrough]];
    case UO_LNot:
    case UO_Not:
    case UO_Minus:
    case UO_Plus:
      return eligible(UO->getSubExpr(), Vars, Mem, Budget);
    default:
      return false;
    }
  }
  case Stmt::BinaryOperatorClass: {
    const auto *BO = cast<BinaryOperator>(E);
    if (BO->isAssignmentOp() || BO->getOpcode() == BO_Comma)
      return false;
    return eligible(BO->getLHS(), Vars, Mem, Budget) &&
           eligible(BO->getRHS(), Vars, Mem, Budget);
  }
  default:
    if (const auto *CE = dyn_cast<CastExpr>(E))
      return eligible(CE->getSubExpr(), Vars, Mem, Budget);
    return false;
  }
}

bool PathEngine::profileCond(const Expr *E, CondInfo &CI,
                             llvm::FoldingSetNodeID &ID,
                             llvm::SmallVectorImpl<const VarDecl *> &Vars,
                             bool &Mem) {
  E = E->IgnoreParenImpCasts();
  unsigned Budget = 48;
  if (const auto *UO = dyn_cast<UnaryOperator>(E);
      UO && UO->getOpcode() == UO_LNot) {
    CI.Neg = !CI.Neg;
    return profileCond(UO->getSubExpr(), CI, ID, Vars, Mem);
  }
  if (const auto *BO = dyn_cast<BinaryOperator>(E)) {
    BinaryOperatorKind Op = BO->getOpcode();
    const Expr *L = BO->getLHS(), *R = BO->getRHS();
    if (Op == BO_EQ || Op == BO_NE) {
      // `e == 0` is `!e`, `e != 0` is `e`.
      if (isZero(R, Ctx) || isZero(L, Ctx)) {
        if (Op == BO_EQ)
          CI.Neg = !CI.Neg;
        return profileCond(isZero(R, Ctx) ? L : R, CI, ID, Vars, Mem);
      }
      if (Op == BO_NE)
        CI.Neg = !CI.Neg;
      if (!eligible(L, Vars, Mem, Budget) || !eligible(R, Vars, Mem, Budget))
        return false;
      llvm::FoldingSetNodeID A, B;
      L->IgnoreParenImpCasts()->Profile(A, Ctx, true);
      R->IgnoreParenImpCasts()->Profile(B, Ctx, true);
      if (B < A)
        std::swap(A, B);
      ID.AddInteger(1000 + unsigned(BO_EQ));
      ID.AddNodeID(A);
      ID.AddNodeID(B);
      // `v == k`: the edges say what v is; `v == n - 1`: what it is
      // relative to n.
      for (int Side = 0; Side < 2; ++Side) {
        const VarDecl *VD = varOf(Side ? R : L);
        if (!isTrackedInt(VD) ||
            !isa<DeclRefExpr>((Side ? R : L)->IgnoreParenImpCasts()))
          continue;
        std::optional<int64_t> K = value(Side ? L : R, PathFacts());
        if (K) {
          CI.EqVar = VD;
          CI.EqVal = *K;
          CI.EqOnKey = true;
        } else if (!CI.SymVar) {
          CI.SymVar = VD;
          CI.SymExpr = Side ? L : R;
        }
      }
      return true;
    }
    if (Op == BO_LT || Op == BO_GT || Op == BO_LE || Op == BO_GE) {
      // All as `a < b`: `a > b` is `b < a`, `a >= b` is `!(a < b)`.
      if (Op == BO_GT || Op == BO_LE)
        std::swap(L, R);
      if (Op == BO_LE || Op == BO_GE)
        CI.Neg = !CI.Neg;
      if (!eligible(L, Vars, Mem, Budget) || !eligible(R, Vars, Mem, Budget))
        return false;
      ID.AddInteger(1000 + unsigned(BO_LT));
      L->IgnoreParenImpCasts()->Profile(ID, Ctx, true);
      R->IgnoreParenImpCasts()->Profile(ID, Ctx, true);
      return true;
    }
  }
  if (!eligible(E, Vars, Mem, Budget))
    return false;
  E->Profile(ID, Ctx, true);
  if (const VarDecl *VD = varOf(E); isTrackedInt(VD)) {
    CI.EqVar = VD;
    CI.EqVal = 0;
    CI.EqOnKey = false;
  }
  return true;
}

PathEngine::CondInfo PathEngine::condInfo(const Expr *C) {
  CondInfo CI;
  llvm::FoldingSetNodeID ID;
  llvm::SmallVector<const VarDecl *, 2> Vars;
  bool Mem = false;
  if (!profileCond(C, CI, ID, Vars, Mem))
    return CondInfo();
  auto [It, New] = Keys.insert({ID, unsigned(KeyVars.size() + 1)});
  if (New) {
    KeyVars.emplace_back(Vars.begin(), Vars.end());
    KeyMem.push_back(Mem);
  }
  CI.Key = It->second;
  return CI;
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
    if (BO->isAssignmentOp()) {
      recordWrites(BO->getRHS(), BP, false);
      recordWrites(BO->getLHS(), BP, false);
      if (Op == BO_Assign) {
        addWrite(BP, BO->getLHS(), WriteOp::Set, BO->getRHS(), 0);
      } else if (Op == BO_AddAssign || Op == BO_SubAssign) {
        std::optional<int64_t> K = value(BO->getRHS(), PathFacts());
        if (K)
          addWrite(BP, BO->getLHS(), WriteOp::Add, nullptr,
                   Op == BO_AddAssign ? *K : -*K);
        else
          addWrite(BP, BO->getLHS(), WriteOp::Kill, nullptr, 0);
      } else {
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
        if (VD->getInit())
          BP.Writes.push_back({WriteOp::Set, VD, VD->getInit(), 0});
        else
          BP.Writes.push_back({WriteOp::Kill, VD});
      }
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
    }
  // A call outside tsmem may write memory: read only at the branch, after.
  for (const Op &O : Blocks[Idx].Ops)
    if (O.K == Op::Call && !O.Model.Api) {
      BP.Writes.push_back({WriteOp::Kill, nullptr});
      break;
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
      BP.Cond = C;
      BP.CI = condInfo(C);
    }
}

void PathEngine::decodeLoops() {
  unsigned N = Blocks.size();
  std::vector<llvm::SmallVector<unsigned, 2>> Preds(N);
  for (unsigned U = 0; U < N; ++U)
    for (unsigned T : Blocks[U].Succs)
      if (T != ~0u)
        Preds[T].push_back(U);
  for (unsigned U = 0; U < N; ++U)
    for (unsigned T : Blocks[U].Succs) {
      if (T == ~0u || T > U)
        continue;
      // A back edge U -> T: the loop is what reaches U without passing T.
      unsigned H = T;
      llvm::BitVector Body(N);
      Body.set(H);
      llvm::SmallVector<unsigned, 16> Stack;
      if (!Body.test(U)) {
        Body.set(U);
        Stack.push_back(U);
      }
      while (!Stack.empty()) {
        unsigned X = Stack.pop_back_val();
        for (unsigned P : Preds[X])
          if (P >= H && !Body.test(P)) {
            Body.set(P);
            Stack.push_back(P);
          }
      }
      // What the loop writes, for its head.
      BPs[H].LoopHead = true;
      for (unsigned X : Body.set_bits())
        for (const WriteOp &W : BPs[X].Writes)
          if (!llvm::is_contained(BPs[H].LoopWrites, W.VD))
            BPs[H].LoopWrites.push_back(W.VD);
      // A loop that changes owners makes paths its exit cannot tell apart:
      // how often it ran (zero times included, when its bound is unknown) or,
      // if its body branches, which way each iteration went.
      bool Owners = false;
      for (unsigned X : Body.set_bits())
        for (const Op &O : Blocks[X].Ops)
          if (O.K == Op::Call &&
              (O.Model.Kind != CallKind::Unknown || O.Model.Inferred))
            Owners = true;
      if (!Owners)
        continue;
      for (unsigned X : Body.set_bits())
        for (unsigned SI = 0; SI < Blocks[X].Succs.size(); ++SI) {
          unsigned To = Blocks[X].Succs[SI];
          if (To != ~0u && !Body.test(To)) {
            BPs[X].LossyEdges.resize(Blocks[X].Succs.size());
            BPs[X].LossyEdges[SI] = true;
          }
        }
    }
}

void PathEngine::prepare() {
  BPs.resize(Blocks.size());
  for (unsigned I = 0; I < Blocks.size(); ++I)
    decodeWrites(I);
  decodeLoops();
}

//===----------------------------------------------------------------------===//
// Facts along the edges
//===----------------------------------------------------------------------===//

void PathEngine::kill(PathFacts &F, const VarDecl *VD, bool Values) const {
  llvm::erase_if(F.Lits, [&](const std::pair<unsigned, bool> &L) {
    return VD ? llvm::is_contained(KeyVars[L.first - 1], VD)
              : bool(KeyMem[L.first - 1]);
  });
  if (Values && VD)
    llvm::erase_if(
        F.Vals, [&](const PathVal &V) { return V.VD == VD || V.Base == VD; });
  llvm::erase_if(F.Aliases, [&](const PathAlias &A) {
    return VD ? A.VD == VD || llvm::is_contained(KeyVars[A.Key - 1], VD)
              : bool(KeyMem[A.Key - 1]);
  });
}

void PathEngine::applyWrites(unsigned Idx, PathFacts &F) const {
  ++Gen;
  for (const WriteOp &W : BPs[Idx].Writes) {
    switch (W.K) {
    case WriteOp::Kill:
      kill(F, W.VD, true);
      break;
    case WriteOp::Set: {
      std::optional<std::pair<const VarDecl *, int64_t>> V;
      if (isTrackedInt(W.VD))
        V = linear(W.E, F);
      kill(F, W.VD, true);
      if (V && V->first != W.VD) {
        F.Vals.push_back({W.VD, V->second, true, V->first});
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
    case WriteOp::Add:
      kill(F, W.VD, false);
      for (PathVal &V : F.Vals) {
        if (V.VD == W.VD)
          V.V += W.D;
        if (V.Base == W.VD)
          V.V -= W.D;
      }
      break;
    }
  }
}

std::optional<int64_t> PathEngine::value(const Expr *E, const PathFacts &F,
                                         unsigned Depth) const {
  if (!E || Depth > 16)
    return std::nullopt;
  E = E->IgnoreParens();
  if (const auto *CE = dyn_cast<CastExpr>(E)) {
    QualType T = CE->getType();
    if (!T->isIntegralOrEnumerationType())
      return std::nullopt;
    std::optional<int64_t> V = value(CE->getSubExpr(), F, Depth + 1);
    if (V && T->isBooleanType())
      return *V != 0;
    return V;
  }
  if (const auto *IL = dyn_cast<IntegerLiteral>(E)) {
    if (IL->getValue().getActiveBits() > 62)
      return std::nullopt;
    return int64_t(IL->getValue().getZExtValue());
  }
  if (const auto *CL = dyn_cast<CharacterLiteral>(E))
    return int64_t(CL->getValue());
  if (const auto *DRE = dyn_cast<DeclRefExpr>(E)) {
    if (const auto *EC = dyn_cast<EnumConstantDecl>(DRE->getDecl()))
      return EC->getInitVal().getSExtValue();
    std::optional<int64_t> Only;
    for (const PathVal &V : F.Vals)
      if (V.Eq && !V.Base && V.VD == DRE->getDecl()) {
        if (Only)
          return std::nullopt; // One of several.
        Only = V.V;
      }
    return Only;
  }
  if (const auto *UO = dyn_cast<UnaryOperator>(E)) {
    std::optional<int64_t> V = value(UO->getSubExpr(), F, Depth + 1);
    if (!V)
      return std::nullopt;
    switch (UO->getOpcode()) {
    case UO_LNot:
      return *V == 0;
    case UO_Minus:
      return -*V;
    case UO_Plus:
      return *V;
    case UO_Not:
      return ~*V;
    default:
      return std::nullopt;
    }
  }
  const auto *BO = dyn_cast<BinaryOperator>(E);
  if (!BO)
    return std::nullopt;
  BinaryOperatorKind Op = BO->getOpcode();
  std::optional<int64_t> L = value(BO->getLHS(), F, Depth + 1);
  if (Op == BO_LAnd && L && !*L)
    return 0;
  if (Op == BO_LOr && L && *L)
    return 1;
  std::optional<int64_t> R = value(BO->getRHS(), F, Depth + 1);
  if (BO->isComparisonOp() && (!L || !R)) {
    // Both sides the same variable plus offsets: `i < n` with i == n + 0.
    auto A = linear(BO->getLHS(), F, Depth + 1);
    auto B = A ? linear(BO->getRHS(), F, Depth + 1) : std::nullopt;
    if (A && B && A->first && A->first == B->first) {
      L = A->second;
      R = B->second;
    }
  }
  if ((Op == BO_EQ || Op == BO_NE) && !L && !R) {
    if (std::optional<bool> Same = samePointer(BO->getLHS(), BO->getRHS()))
      return *Same == (Op == BO_EQ);
    return std::nullopt;
  }
  if ((Op == BO_EQ || Op == BO_NE) && (L.has_value() != R.has_value())) {
    // A value the variable is known not to have.
    const VarDecl *VD = varOf(L ? BO->getRHS() : BO->getLHS());
    int64_t K = L ? *L : *R;
    for (const PathVal &V : F.Vals)
      if (!V.Eq && !V.Base && V.VD == VD && V.V == K)
        return Op == BO_NE;
    return std::nullopt;
  }
  if (Op == BO_LAnd || Op == BO_LOr) {
    if (!R)
      return std::nullopt;
    // The left side unknown: only a false (&&) or true (||) right side
    // decides.
    if (L)
      return Op == BO_LAnd ? int64_t(*L && *R) : int64_t(*L || *R);
    if (Op == BO_LAnd && !*R)
      return 0;
    if (Op == BO_LOr && *R)
      return 1;
    return std::nullopt;
  }
  if (!L || !R)
    return std::nullopt;
  if (BO->isComparisonOp() && (*L < 0 || *R < 0) &&
      (BO->getLHS()->getType()->isUnsignedIntegerType() ||
       BO->getRHS()->getType()->isUnsignedIntegerType()))
    return std::nullopt;
  switch (Op) {
  case BO_Add:
    return *L + *R;
  case BO_Sub:
    return *L - *R;
  case BO_Mul:
    return *L * *R;
  case BO_Div:
    return *R ? std::optional<int64_t>(*L / *R) : std::nullopt;
  case BO_Rem:
    return *R ? std::optional<int64_t>(*L % *R) : std::nullopt;
  case BO_LT:
    return *L < *R;
  case BO_GT:
    return *L > *R;
  case BO_LE:
    return *L <= *R;
  case BO_GE:
    return *L >= *R;
  case BO_EQ:
    return *L == *R;
  case BO_NE:
    return *L != *R;
  case BO_And:
    return *L & *R;
  case BO_Or:
    return *L | *R;
  case BO_Xor:
    return *L ^ *R;
  default:
    return std::nullopt;
  }
}

std::optional<std::pair<const VarDecl *, int64_t>>
PathEngine::linear(const Expr *E, const PathFacts &F, unsigned Depth) const {
  using Lin = std::pair<const VarDecl *, int64_t>;
  if (!E || Depth > 8)
    return std::nullopt;
  E = E->IgnoreParens();
  if (const auto *CE = dyn_cast<CastExpr>(E)) {
    if (!CE->getType()->isIntegralOrEnumerationType() ||
        CE->getType()->isBooleanType())
      return std::nullopt;
    return linear(CE->getSubExpr(), F, Depth + 1);
  }
  if (std::optional<int64_t> V = value(E, F, Depth))
    return Lin(nullptr, *V);
  if (const auto *DRE = dyn_cast<DeclRefExpr>(E)) {
    const auto *VD = dyn_cast<VarDecl>(DRE->getDecl());
    if (!isTrackedInt(VD))
      return std::nullopt;
    for (const PathVal &V : F.Vals)
      if (V.Eq && V.Base && V.VD == VD)
        return Lin(V.Base, V.V);
    return Lin(VD, 0);
  }
  const auto *BO = dyn_cast<BinaryOperator>(E);
  if (!BO || (BO->getOpcode() != BO_Add && BO->getOpcode() != BO_Sub))
    return std::nullopt;
  auto A = linear(BO->getLHS(), F, Depth + 1);
  auto B = A ? linear(BO->getRHS(), F, Depth + 1) : std::nullopt;
  if (!A || !B)
    return std::nullopt;
  if (BO->getOpcode() == BO_Add) {
    if (A->first && B->first)
      return std::nullopt;
    return Lin(A->first ? A->first : B->first, A->second + B->second);
  }
  if (B->first && B->first != A->first)
    return std::nullopt;
  return Lin(B->first ? nullptr : A->first, A->second - B->second);
}

/// Whether two tensor variables hold the same tensor, when the state
/// tells: one tensor (not a summary of older ones) on both sides, or tensors
/// alive and made apart (two parameters may be the same tensor).
std::optional<bool> PathEngine::samePointer(const Expr *A,
                                            const Expr *B) const {
  if (!CurState || !A->getType()->isPointerType() ||
      !B->getType()->isPointerType())
    return std::nullopt;
  const VarDecl *VA = varOf(A), *VB = varOf(B);
  if (!VA || !VB)
    return std::nullopt;
  LocKey LA = Locs.findVar(VA), LB = Locs.findVar(VB);
  const ObjSet *PA = LA ? CurState->Pts.find(LA) : nullptr;
  const ObjSet *PB = LB ? CurState->Pts.find(LB) : nullptr;
  auto Single = [](ObjId Id) { return Id >= ParamBase || Id % 2 == 0; };
  if (PA && PB && PA->size() == 1 && *PA == *PB && Single(*PA->begin()))
    return true;
  auto Disjoint = [](const ObjSet *X, const ObjSet *Y) {
    if (!X || !Y)
      return true;
    for (ObjId Id : *X)
      if (Y->count(Id))
        return false;
    return true;
  };
  if (!Disjoint(PA, PB))
    return std::nullopt;
  // A tensor made here and still ours is in no other variable: any other
  // pointer is another tensor (or NULL, when the call failed and there is
  // no tensor to speak of).
  auto Fresh = [&](const ObjSet *P) {
    if (!P || P->empty())
      return false;
    for (ObjId Id : *P) {
      const Obj *O = CurState->Objs.find(Id);
      if (Id >= ParamBase || !O || !O->Bits || (O->Bits & ~(Owned | Scoped)))
        return false;
    }
    return true;
  };
  if (Fresh(PA) || Fresh(PB))
    return false;
  return std::nullopt;
}

std::optional<bool> PathEngine::decideCond(const Expr *Cond, const PathFacts &F,
                                           const State &St) {
  auto [It, New] = CondCache.insert({Cond, CondInfo()});
  if (New)
    It->second = condInfo(Cond);
  BlockPaths BP;
  BP.Cond = Cond;
  BP.CI = It->second;
  CurState = &St;
  std::optional<bool> D = decide(BP, F);
  CurState = nullptr;
  return D;
}

std::optional<bool> PathEngine::decide(const BlockPaths &BP,
                                       const PathFacts &F) const {
  if (std::optional<int64_t> V = value(BP.Cond, F))
    return *V != 0;
  // A variable with one of several values: decided if all say the same.
  for (const PathVal &V : F.Vals) {
    if (!V.Eq || V.Base)
      continue;
    unsigned N = llvm::count_if(F.Vals, [&](const PathVal &W) {
      return W.Eq && !W.Base && W.VD == V.VD;
    });
    if (N < 2)
      continue;
    std::optional<bool> All;
    bool Agree = true;
    for (const PathVal &C : F.Vals) {
      if (!C.Eq || C.Base || C.VD != V.VD)
        continue;
      PathFacts One = F;
      llvm::erase_if(One.Vals, [&](const PathVal &W) {
        return W.Eq && !W.Base && W.VD == V.VD && W.V != C.V;
      });
      std::optional<int64_t> R = value(BP.Cond, One);
      if (!R || (All && *All != (*R != 0))) {
        Agree = false;
        break;
      }
      All = *R != 0;
    }
    if (Agree && All)
      return All;
    break;
  }
  if (BP.CI.Key)
    for (const auto &[Key, Val] : F.Lits)
      if (Key == BP.CI.Key)
        return Val != BP.CI.Neg;
  // A bare `v`: known non-zero, or following a condition decided here.
  if (BP.CI.EqVar && !BP.CI.EqOnKey) {
    for (const PathVal &V : F.Vals)
      if (!V.Eq && !V.Base && V.VD == BP.CI.EqVar && V.V == 0)
        return !BP.CI.Neg;
    for (const PathAlias &A : F.Aliases)
      if (A.VD == BP.CI.EqVar)
        for (const auto &[Key, Val] : F.Lits)
          if (Key == A.Key)
            return (Val != A.Neg) != BP.CI.Neg;
  }
  return std::nullopt;
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
  if (!llvm::is_contained(F.Vals, PathVal{VD, V, Eq, Base}))
    F.Vals.push_back({VD, V, Eq, Base});
}

bool PathEngine::edge(unsigned Idx, unsigned SuccIdx, const State &St,
                      const PathFacts &F, PathFacts &Out, bool &Decided,
                      bool &Added) const {
  const BlockPaths &BP = BPs[Idx];
  Decided = true;
  Added = false;
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
    if (const auto *CS = dyn_cast_or_null<CaseStmt>(T->getLabel())) {
      std::optional<int64_t> K = CaseValue(CS);
      if (Known && K)
        return *Known == *K;
      if (BP.SwitchVar && K) {
        for (const PathVal &V : F.Vals)
          if (!V.Eq && !V.Base && V.VD == BP.SwitchVar && V.V == *K)
            return false;
        setVal(Add(), BP.SwitchVar, *K, true);
      }
      pushStep(Add(), {CS, true});
      return true;
    }
    // The default arm, or past the switch: no case matched.
    unsigned Cases = 0;
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
        continue;
      }
      if (Known && *Known == *K)
        return false;
      if (BP.SwitchVar && !Known && ++Cases <= 16)
        setVal(Add(), BP.SwitchVar, *K, false);
    }
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
    if (BP.CI.EqVar == A.VD && !BP.CI.EqOnKey)
      Add().Lits.push_back({A.Key, KeyVal != A.Neg});
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
