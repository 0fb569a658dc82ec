//===- PathFacts.cpp - What a path knows: conditions and values -----------===//
//
// The facts of a disjunct (PathFacts.h) and how they decide a branch:
// conditions as canonical keys (the same condition tested twice), integer
// values of local variables, pointers the state tells apart, and the join
// of two disjuncts' facts. The path engine (Paths.cpp) carries them along
// the edges.
//
//===----------------------------------------------------------------------===//
#include "Paths.h"

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
  size_t Before = Lits.size() +
                  llvm::count_if(Vals, [](const PathVal &V) { return !V.Ge; });
  // Long lists (a chain of tests, each joined into one exit) by a set, not
  // a scan per entry: the join stays linear in them.
  if (Lits.size() * O.Lits.size() > 256) {
    auto Code = [](const std::pair<unsigned, bool> &L) {
      return uint64_t(L.first) << 1 | L.second;
    };
    llvm::DenseSet<uint64_t> Theirs;
    Theirs.reserve(O.Lits.size());
    for (const auto &L : O.Lits)
      Theirs.insert(Code(L));
    llvm::erase_if(Lits, [&](const std::pair<unsigned, bool> &L) {
      return !Theirs.count(Code(L));
    });
  } else {
    llvm::erase_if(Lits, [&](const std::pair<unsigned, bool> &L) {
      return !llvm::is_contained(O.Lits, L);
    });
  }
  // A variable with a value on both sides keeps the values of both: one of
  // them (`case 2: case 3:` joined).
  auto Values = [](const PathFacts &F, const VarDecl *VD) {
    unsigned N = 0;
    for (const PathVal &V : F.Vals)
      N += V.Eq && !V.Base && V.VD == VD;
    return N;
  };
  // Lower bounds (PathVal::Ge): the weaker of the two sides' where both
  // bound the variable, by a bound or by the values it may have.
  llvm::SmallVector<PathVal, 2> Bounds;
  for (const PathFacts *Side : {static_cast<const PathFacts *>(this), &O})
    for (const PathVal &V : Side->Vals)
      if (V.Ge && llvm::none_of(
                      Bounds, [&](const PathVal &B) { return B.VD == V.VD; })) {
        std::optional<int64_t> A = lowerBound(V.VD), B = O.lowerBound(V.VD);
        if (A && B)
          Bounds.push_back({V.VD, std::min(*A, *B), false, nullptr, true});
      }
  // Weaker, or gone: the facts changed (a bound the values imply anyway
  // is no change, or the join would never settle).
  for (const PathVal &V : Vals) {
    if (!V.Ge)
      continue;
    auto It =
        llvm::find_if(Bounds, [&](const PathVal &B) { return B.VD == V.VD; });
    std::optional<int64_t> Old = lowerBound(V.VD);
    if (It == Bounds.end() || (Old && It->V < *Old))
      Dropped = true;
  }
  llvm::erase_if(Vals, [](const PathVal &V) { return V.Ge; });
  llvm::SmallVector<PathVal, 4> Added;
  llvm::SmallPtrSet<const VarDecl *, 4> Done;
  for (const PathVal &V : Vals)
    if (V.Eq && !V.Base && Done.insert(V.VD).second && Values(O, V.VD) &&
        Values(*this, V.VD) + Values(O, V.VD) <= 8)
      for (const PathVal &W : O.Vals)
        if (W.Eq && !W.Base && W.VD == V.VD && !llvm::is_contained(Vals, W))
          Added.push_back(W);
  llvm::erase_if(Vals, [&](const PathVal &V) {
    // Too many values: none (not those both sides have, which would say
    // too much of the paths with the others, and keep a loop's counter
    // creeping up without end).
    if (V.Eq && !V.Base && Values(O, V.VD))
      return Values(*this, V.VD) + Values(O, V.VD) > 8;
    return !llvm::is_contained(O.Vals, V);
  });
  Vals.append(Added.begin(), Added.end());
  bool Changed = Dropped || Lits.size() + Vals.size() != Before;
  Vals.append(Bounds.begin(), Bounds.end());
  llvm::erase_if(Trail, [&](const PathStep &S) {
    return !llvm::is_contained(O.Trail, S);
  });
  return Changed;
}

std::optional<int64_t> PathFacts::lowerBound(const VarDecl *VD) const {
  std::optional<int64_t> Ge, MinEq;
  for (const PathVal &V : Vals) {
    if (V.VD != VD || V.Base)
      continue;
    if (V.Ge)
      Ge = Ge ? std::max(*Ge, V.V) : V.V;
    else if (V.Eq)
      MinEq = MinEq ? std::min(*MinEq, V.V) : V.V;
  }
  if (Ge && MinEq)
    return std::max(*Ge, *MinEq);
  return Ge ? Ge : MinEq;
}

bool sameOwnership(const State &A, const State &B) {
  // Whether an object of X that Y lacks lets them agree.
  auto Missing = [](const State &X, const State &Y, ObjId Id, const Obj &O) {
    if (!((O.Bits & (Owned | Borrowed)) || isForeign(Id) ||
          (O.Bits == Ended && !O.HeldBy.empty())))
      return true;
    // Ours on one side, not made (or NULL) on the other: keep apart, so
    // that the condition it was made under is tested again. (A tensor a
    // scope owns is freed by the scope on either side.) Unless each place
    // holding it holds, on the other side, another tensor in the same
    // state (`if (c) v = a(); else v = b();`). A tensor whose scope ended,
    // still in a variable: kept apart too (a scoped loop's next pass reads
    // it, the first does not).
    if (isForeign(Id) || O.HeldBy.empty())
      return false;
    for (LocKey L : O.HeldBy) {
      const ObjSet *Os = Y.Pts.find(L);
      bool Alt = false;
      if (Os)
        for (ObjId J : *Os) {
          const Obj *Q = X.Objs.count(J) ? nullptr : Y.Objs.find(J);
          Alt |= Q && Q->Bits == O.Bits;
        }
      if (!Alt)
        return false;
    }
    return true;
  };
  // A count reset on one side only: its teardown loops differ.
  if (!(A.Zeroed == B.Zeroed))
    return false;
  // Only where the maps differ: they share the rest (PersistentMap.h).
  bool Same = true;
  A.Objs.diff(B.Objs, [&](ObjId Id, const Obj *OA, const Obj *OB) {
    if (OA && OB)
      Same = OA->Bits == OB->Bits;
    else if (OA)
      Same = Missing(A, B, Id, *OA);
    else
      Same = Missing(B, A, Id, *OB);
    return Same;
  });
  return Same;
}

//===----------------------------------------------------------------------===//
// Conditions as keys
//===----------------------------------------------------------------------===//

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
  E = ignoreExpect(E)->IgnoreParenImpCasts();
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
    KeyExprs.push_back({C, CI.Neg});
    KeyMem.push_back(Mem);
    KeyGlobal.push_back(llvm::any_of(
        Vars, [](const VarDecl *VD) { return !VD->hasLocalStorage(); }));
  }
  CI.Key = It->second;
  return CI;
}

//===----------------------------------------------------------------------===//
// Deciding a branch
//===----------------------------------------------------------------------===//

namespace {

/// Collects the return statements of a body (C has no nested functions).
void collectReturns(const Stmt *S,
                    llvm::SmallVectorImpl<const ReturnStmt *> &Out) {
  if (!S)
    return;
  if (const auto *RS = dyn_cast<ReturnStmt>(S))
    Out.push_back(RS);
  for (const Stmt *C : S->children())
    collectReturns(C, Out);
}

/// The value every call of a same-file function returns, when each of its
/// returns gives the same integer constant (`static int init(...) { ...;
/// return 0; }`): the caller's test of such a status has one way only.
std::optional<int64_t> constantReturn(const FunctionDecl *FD) {
  if (!(FD = FD->getDefinition()) || FD->isVariadic() ||
      !FD->getReturnType()->isIntegralOrEnumerationType() ||
      FD->hasAttr<WeakAttr>())
    return std::nullopt;
  llvm::SmallVector<const ReturnStmt *, 4> Returns;
  collectReturns(FD->getBody(), Returns);
  if (Returns.empty())
    return std::nullopt;
  std::optional<int64_t> Only;
  for (const ReturnStmt *RS : Returns) {
    const Expr *RV = RS->getRetValue();
    Expr::EvalResult R;
    if (!RV || RV->isValueDependent() ||
        !RV->EvaluateAsInt(R, FD->getASTContext()) ||
        R.Val.getInt().getSignificantBits() > 62)
      return std::nullopt;
    int64_t V = R.Val.getInt().getExtValue();
    if (Only && *Only != V)
      return std::nullopt;
    Only = V;
  }
  return Only;
}

} // namespace

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
  if (const auto *CE = dyn_cast<CallExpr>(E)) {
    // ignoreExpect's test and constantReturn, by the callee's cached facts.
    const FunctionDecl *Callee = CE->getDirectCallee();
    if (!Callee)
      return std::nullopt;
    CallModels::CalleeFacts &CF = Models.calleeFacts(Callee);
    if (CE->getNumArgs() >= 1 &&
        (CF.BuiltinID == Builtin::BI__builtin_expect ||
         CF.BuiltinID == Builtin::BI__builtin_expect_with_probability ||
         CF.BuiltinID == Builtin::BI__builtin_unpredictable))
      return value(ignoreExpect(CE), F, Depth + 1);
    if (!CF.ConstKnown) {
      CF.ConstReturn = constantReturn(Callee);
      CF.ConstKnown = true;
    }
    return CF.ConstReturn;
  }
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
      if (V.isNe() && V.VD == VD && V.V == K)
        return Op == BO_NE;
    if (std::optional<int64_t> G = VD ? F.lowerBound(VD) : std::nullopt;
        G && K < *G)
      return Op == BO_NE;
    return std::nullopt;
  }
  if (BO->isRelationalOp() && L.has_value() != R.has_value()) {
    // A variable's lower bound against a constant (`i > 0` once i was
    // stepped up from 0).
    const VarDecl *VD = varOf(L ? BO->getRHS() : BO->getLHS());
    std::optional<int64_t> G = VD ? F.lowerBound(VD) : std::nullopt;
    if (!G)
      return std::nullopt;
    int64_t K = L ? *L : *R;
    if (K < 0 && (BO->getLHS()->getType()->isUnsignedIntegerType() ||
                  BO->getRHS()->getType()->isUnsignedIntegerType()))
      return std::nullopt;
    // As `VD op K`.
    BinaryOperatorKind O = Op;
    if (L)
      O = BinaryOperator::reverseComparisonOp(Op);
    switch (O) {
    case BO_GT:
      return *G > K ? std::optional<int64_t>(1) : std::nullopt;
    case BO_GE:
      return *G >= K ? std::optional<int64_t>(1) : std::nullopt;
    case BO_LT:
      return *G >= K ? std::optional<int64_t>(0) : std::nullopt;
    case BO_LE:
      return *G > K ? std::optional<int64_t>(0) : std::nullopt;
    default:
      return std::nullopt;
    }
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
    if (!CE->getType()->isIntegralOrEnumerationType())
      return std::nullopt;
    // A `bool` holds 0 or 1, not the offset of another variable: only its
    // value (`made = true`, `ok = n > 0` with n known).
    if (CE->getType()->isBooleanType()) {
      if (std::optional<int64_t> V = value(E, F, Depth))
        return Lin(nullptr, *V);
      return std::nullopt;
    }
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
  if (New) {
    CondInfo CI = condInfo(Cond);
    cacheParts(Cond);
    It = CondCache.find(Cond);
    It->second = CI;
  }
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
      if (V.isNe() && V.VD == BP.CI.EqVar && V.V == 0)
        return !BP.CI.Neg;
    if (std::optional<int64_t> G = F.lowerBound(BP.CI.EqVar); G && *G > 0)
      return !BP.CI.Neg;
    for (const PathAlias &A : F.Aliases)
      if (A.VD == BP.CI.EqVar)
        for (const auto &[Key, Val] : F.Lits)
          if (Key == A.Key)
            return (Val != A.Neg) != BP.CI.Neg;
  }
  // `!t && ++tries < 5` after `!t` was tested on its own (the block of
  // the `&&`'s left side): its parts tell.
  return decideParts(BP.Cond, F);
}

std::optional<bool> PathEngine::decideParts(const Expr *E, const PathFacts &F,
                                            unsigned Depth) const {
  if (!E || Depth > 8)
    return std::nullopt;
  E = ignoreExpect(E)->IgnoreParenImpCasts();
  if (const auto *UO = dyn_cast<UnaryOperator>(E);
      UO && UO->getOpcode() == UO_LNot) {
    if (std::optional<bool> D = decideParts(UO->getSubExpr(), F, Depth + 1))
      return !*D;
    return std::nullopt;
  }
  if (const auto *BO = dyn_cast<BinaryOperator>(E); BO && BO->isLogicalOp()) {
    // A false part decides a `&&`, a true one a `||`.
    bool And = BO->getOpcode() == BO_LAnd;
    std::optional<bool> L = decideParts(BO->getLHS(), F, Depth + 1);
    if (L && *L != And)
      return !And;
    std::optional<bool> R = decideParts(BO->getRHS(), F, Depth + 1);
    if (R && *R != And)
      return !And;
    if (L && R)
      return And;
    return std::nullopt;
  }
  if (!Depth)
    return std::nullopt; // The whole condition: decide() tried it.
  auto It = CondCache.find(E);
  if (It == CondCache.end())
    return std::nullopt;
  BlockPaths Part;
  Part.Cond = E;
  Part.CI = It->second;
  return decide(Part, F);
}

} // namespace ownership
} // namespace tsmem
