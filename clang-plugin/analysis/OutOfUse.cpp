//===- OutOfUse.cpp - Frees of elements taken out of use ------------------===//
//
// A struct holding an array of tensors and how many are in use (`struct
// cache { ts_tensor *k[8]; int n; }`, CountLoops.cpp) drops an element by
// freeing it and shrinking the count:
//
//   c.n--; ts_free(c.k[c.n]);            ts_free(c.k[--c.n]);
//   ts_free(c.k[c.n - 1]); c.n--;
//   ts_free(c.k[j]);                     (any element, the later ones
//   for (i = j + 1; i < c.n; i++)         moved down over it)
//     c.k[i - 1] = c.k[i];
//   c.n--;
//
// The freed element is no longer among those in use, so a teardown over
// the count (a loop up to `c.n`, or a helper freeing every element in use)
// does not free it again. Such a free leaves no freed tensor in the array's
// places: the analysis keeps which element is in use by its index only for
// constant indexes, and the shift moves the others down weakly. The forms
// are read off the statements: the index is the count (already
// decremented), or the statements after the free (other frees or NULL
// stores of the same element of the struct's arrays first) decrement the
// count, next to a loop that moves each later element down by one.
// Without the decrement (or the shift, for an element before the last),
// the teardown still meets the freed tensor: a double free.
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"
#include "LoopShapes.h"

namespace tsmem {
namespace ownership {

namespace {

const Expr *bare(const Expr *E) { return E ? E->IgnoreParenCasts() : nullptr; }

/// The variable and access of `v.f` or `v->f`, v a variable.
const VarDecl *memberBase(const MemberExpr *ME, bool &Arrow) {
  Arrow = ME->isArrow();
  return isa<DeclRefExpr>(bare(ME->getBase())) ? varOf(ME->getBase()) : nullptr;
}

/// `V.n` (`V->n` when Arrow), n an integer field: n.
const FieldDecl *countField(const Expr *E, const VarDecl *V, bool Arrow) {
  const auto *ME = dyn_cast_or_null<MemberExpr>(bare(E));
  bool A = false;
  if (!ME || !ME->getType()->isIntegerType() || memberBase(ME, A) != V ||
      A != Arrow)
    return nullptr;
  return dyn_cast<FieldDecl>(ME->getMemberDecl());
}

bool isConst(const Expr *E, const ASTContext &Ctx, int64_t K) {
  int64_t V = 0;
  return E && intConstant(E, Ctx, V) && V == K;
}

/// The same value in the same place, by their shape: constants, variables,
/// fields of a variable, and sums or differences of those.
bool sameValue(const Expr *A, const Expr *B, const ASTContext &Ctx) {
  A = bare(A);
  B = bare(B);
  int64_t X = 0, Y = 0;
  if (intConstant(A, Ctx, X) || intConstant(B, Ctx, Y))
    return intConstant(A, Ctx, X) && intConstant(B, Ctx, Y) && X == Y;
  if (const auto *DA = dyn_cast<DeclRefExpr>(A)) {
    const auto *DB = dyn_cast<DeclRefExpr>(B);
    return DB && DA->getDecl() == DB->getDecl() &&
           !DA->getType().isVolatileQualified();
  }
  if (const auto *MA = dyn_cast<MemberExpr>(A)) {
    const auto *MB = dyn_cast<MemberExpr>(B);
    return MB && MA->getMemberDecl() == MB->getMemberDecl() &&
           MA->isArrow() == MB->isArrow() &&
           sameValue(MA->getBase(), MB->getBase(), Ctx);
  }
  const auto *BA = dyn_cast<BinaryOperator>(A);
  const auto *BB = dyn_cast<BinaryOperator>(B);
  return BA && BB && BA->getOpcode() == BB->getOpcode() &&
         (BA->getOpcode() == BO_Add || BA->getOpcode() == BO_Sub) &&
         sameValue(BA->getLHS(), BB->getLHS(), Ctx) &&
         sameValue(BA->getRHS(), BB->getRHS(), Ctx);
}

/// E is Base + D (D a constant; `Base + D`, `Base - D`, or both constants).
bool offsetOf(const Expr *E, const Expr *Base, int64_t D,
              const ASTContext &Ctx) {
  E = bare(E);
  int64_t X = 0, Y = 0;
  if (D == 0)
    return sameValue(E, Base, Ctx);
  if (intConstant(E, Ctx, X) && intConstant(Base, Ctx, Y))
    return X == Y + D;
  const auto *BO = dyn_cast<BinaryOperator>(E);
  if (!BO || (BO->getOpcode() != BO_Add && BO->getOpcode() != BO_Sub))
    return false;
  int64_t K = BO->getOpcode() == BO_Add ? D : -D;
  return (isConst(BO->getRHS(), Ctx, K) &&
          sameValue(BO->getLHS(), Base, Ctx)) ||
         (BO->getOpcode() == BO_Add && isConst(BO->getLHS(), Ctx, K) &&
          sameValue(BO->getRHS(), Base, Ctx));
}

/// E is `I + D` (`I`, `I + D`, `I - -D`), I a variable.
bool varPlus(const Expr *E, const VarDecl *I, int64_t D,
             const ASTContext &Ctx) {
  E = bare(E);
  if (D == 0)
    return isa<DeclRefExpr>(E) && varOf(E) == I;
  const auto *BO = dyn_cast<BinaryOperator>(E);
  if (!BO || (BO->getOpcode() != BO_Add && BO->getOpcode() != BO_Sub))
    return false;
  return varPlus(BO->getLHS(), I, 0, Ctx) &&
         isConst(BO->getRHS(), Ctx, BO->getOpcode() == BO_Add ? D : -D);
}

/// E is `V.n + D` (`V.n`, `V.n + D`, `V.n - -D`), n the field Count.
bool countPlus(const Expr *E, const VarDecl *V, bool Arrow,
               const FieldDecl *Count, int64_t D, const ASTContext &Ctx) {
  E = bare(E);
  if (D == 0)
    return countField(E, V, Arrow) == Count;
  const auto *BO = dyn_cast<BinaryOperator>(E);
  if (!BO || (BO->getOpcode() != BO_Add && BO->getOpcode() != BO_Sub))
    return false;
  return countField(BO->getLHS(), V, Arrow) == Count &&
         isConst(BO->getRHS(), Ctx, BO->getOpcode() == BO_Add ? D : -D);
}

/// St decrements `V.n` by one (`V.n--`, `--V.n`, `V.n -= 1`, `V.n = V.n -
/// 1`): n.
const FieldDecl *decrement(const Stmt *St, const VarDecl *V, bool Arrow,
                           const ASTContext &Ctx) {
  const auto *E = dyn_cast_or_null<Expr>(St);
  E = bare(E);
  if (const auto *UO = dyn_cast_or_null<UnaryOperator>(E))
    return UO->isDecrementOp() ? countField(UO->getSubExpr(), V, Arrow)
                               : nullptr;
  if (const auto *CA = dyn_cast_or_null<CompoundAssignOperator>(E))
    return CA->getOpcode() == BO_SubAssign && isConst(CA->getRHS(), Ctx, 1)
               ? countField(CA->getLHS(), V, Arrow)
               : nullptr;
  const auto *BO = dyn_cast_or_null<BinaryOperator>(E);
  if (!BO || BO->getOpcode() != BO_Assign)
    return nullptr;
  const FieldDecl *F = countField(BO->getLHS(), V, Arrow);
  return F && offsetOf(BO->getRHS(), BO->getLHS(), -1, Ctx) ? F : nullptr;
}

/// `V.a[Idx]` with a an array field: the member expression `V.a`.
const MemberExpr *elementOf(const Expr *E, const VarDecl *V, bool Arrow,
                            const Expr *&Idx) {
  const auto *AS = dyn_cast_or_null<ArraySubscriptExpr>(bare(E));
  const auto *ME =
      AS ? dyn_cast<MemberExpr>(AS->getBase()->IgnoreParenImpCasts()) : nullptr;
  bool A = false;
  if (!ME || !ME->getType()->isArrayType() || memberBase(ME, A) != V ||
      A != Arrow)
    return nullptr;
  Idx = AS->getIdx();
  return ME;
}

/// The statements of a loop body.
llvm::SmallVector<const Stmt *, 4> bodyOf(const Stmt *Body) {
  llvm::SmallVector<const Stmt *, 4> Out;
  if (const auto *CS = dyn_cast<CompoundStmt>(Body))
    Out.append(CS->body_begin(), CS->body_end());
  else
    Out.push_back(Body);
  return Out;
}

/// Where Target is a statement of a compound statement under S: that
/// compound and its position.
bool findStatement(const Stmt *S, const Stmt *Target, const CompoundStmt *&CS,
                   unsigned &Pos) {
  if (!S)
    return false;
  if (const auto *C = dyn_cast<CompoundStmt>(S)) {
    unsigned K = 0;
    for (const Stmt *Kid : C->body()) {
      const Stmt *E = Kid;
      if (const auto *X = dyn_cast<Expr>(Kid))
        E = X->IgnoreParenCasts();
      if (E == Target) {
        CS = C;
        Pos = K;
        return true;
      }
      ++K;
    }
  }
  for (const Stmt *Kid : S->children())
    if (findStatement(Kid, Target, CS, Pos))
      return true;
  return false;
}

} // namespace

/// A loop that moves each element of V's arrays after R down by one:
/// `for (i = R + 1; i < V.n; i++) V.a[i - 1] = V.a[i];` or `for (i = R; i <
/// V.n - 1; i++) V.a[i] = V.a[i + 1];` (bounds one higher when the count
/// was decremented before it: Before). Arr must be among the arrays moved.
static bool shiftsDown(const Stmt *St, const VarDecl *V, bool Arrow,
                       const Expr *R, const FieldDecl *Count,
                       const FieldDecl *Arr, bool Before,
                       const ASTContext &Ctx) {
  const auto *FS = dyn_cast_or_null<ForStmt>(St);
  const Expr *Start = nullptr;
  const VarDecl *I = FS ? loopCounter(FS, Start) : nullptr;
  const BinaryOperator *T = I ? loopTest(FS) : nullptr;
  if (!T || varOf(T->getLHS()) != I || loopStep(FS, I, Ctx, true) != 1 ||
      hasJump(FS->getBody(), I))
    return false;
  // The element moved into: i - 1 (Down) or i.
  bool Down = offsetOf(Start, R, 1, Ctx);
  if (!Down && !offsetOf(Start, R, 0, Ctx))
    return false;
  // The bound, as the count plus this (`<`).
  int64_t Plus = (Down ? 0 : -1) + (Before ? 1 : 0);
  const Expr *B = T->getRHS();
  if (T->getOpcode() == BO_LE)
    --Plus;
  else if (T->getOpcode() != BO_LT)
    return false;
  if (!countPlus(B, V, Arrow, Count, Plus, Ctx))
    return false;
  bool Moved = false;
  for (const Stmt *S : bodyOf(FS->getBody())) {
    const auto *BO = dyn_cast_or_null<BinaryOperator>(bare(dyn_cast<Expr>(S)));
    const Expr *To = nullptr, *From = nullptr;
    const MemberExpr *A = BO && BO->getOpcode() == BO_Assign
                              ? elementOf(BO->getLHS(), V, Arrow, To)
                              : nullptr;
    const MemberExpr *A2 =
        A ? elementOf(BO->getRHS(), V, Arrow, From) : nullptr;
    if (!A2 || A->getMemberDecl() != A2->getMemberDecl() ||
        !varPlus(To, I, Down ? -1 : 0, Ctx) ||
        !varPlus(From, I, Down ? 0 : 1, Ctx))
      return false;
    Moved |= A->getMemberDecl() == Arr;
  }
  return Moved;
}

const MemberExpr *FunctionAnalyzer::outOfUseArray(const CallExpr *CE,
                                                  const Expr *Arg) {
  auto [It, New] = OutOfUseArrays.insert({CE, nullptr});
  if (!New)
    return It->second;
  const auto *AS = dyn_cast<ArraySubscriptExpr>(bare(Arg));
  const auto *ME =
      AS ? dyn_cast<MemberExpr>(AS->getBase()->IgnoreParenImpCasts()) : nullptr;
  bool Arrow = false;
  const VarDecl *V = ME ? memberBase(ME, Arrow) : nullptr;
  const auto *Arr = ME ? dyn_cast<FieldDecl>(ME->getMemberDecl()) : nullptr;
  if (!V || !Arr || !isTensorPointer(AS->getType()))
    return nullptr;
  const Expr *R = AS->getIdx();
  // `V.a[--V.n]`: past the elements in use.
  if (const auto *UO = dyn_cast<UnaryOperator>(bare(R));
      UO && UO->getOpcode() == UO_PreDec &&
      countField(UO->getSubExpr(), V, Arrow))
    return It->second = ME;
  // Else the statements around it must take it out of use.
  const CompoundStmt *CS = nullptr;
  unsigned Pos = 0;
  if (!findStatement(FD->getBody(), CE, CS, Pos))
    return nullptr;
  const Stmt *const *Next = CS->body_begin() + Pos + 1;
  const Stmt *const *End = CS->body_end();
  // The same element of the struct's other arrays freed or cleared too.
  auto SameElement = [&](const Stmt *St) {
    const Expr *E = bare(dyn_cast_or_null<Expr>(St));
    const Expr *Idx = nullptr;
    const MemberExpr *Other = nullptr;
    if (const auto *C = dyn_cast_or_null<CallExpr>(E)) {
      CallModel M = model(C);
      // Another array's: the same one's again is a second free.
      return (M.Kind == CallKind::Free || M.Kind == CallKind::PoolRelease) &&
             M.Api && M.ConsumedArg < C->getNumArgs() &&
             (Other = elementOf(C->getArg(M.ConsumedArg), V, Arrow, Idx)) &&
             Other->getMemberDecl() != Arr && sameValue(Idx, R, Ctx);
    }
    const auto *BO = dyn_cast_or_null<BinaryOperator>(E);
    return BO && BO->getOpcode() == BO_Assign &&
           elementOf(BO->getLHS(), V, Arrow, Idx) && sameValue(Idx, R, Ctx) &&
           BO->getRHS()->IgnoreParenCasts()->isNullPointerConstant(
               Ctx, Expr::NPC_ValueDependentIsNotNull);
  };
  // `V.n--; ts_free(V.a[V.n]);`: the count, just decremented.
  if (const FieldDecl *F = countField(R, V, Arrow)) {
    const Stmt *const *Prev = CS->body_begin() + Pos;
    while (Prev != CS->body_begin() && SameElement(Prev[-1]))
      --Prev;
    if (Prev != CS->body_begin() && decrement(Prev[-1], V, Arrow, Ctx) == F)
      return It->second = ME;
    return nullptr;
  }
  // The last in use (`V.a[V.n - 1]`), then the count decremented.
  const FieldDecl *Last = nullptr;
  if (const auto *BO = dyn_cast<BinaryOperator>(bare(R)))
    if (const FieldDecl *F = countField(BO->getLHS(), V, Arrow);
        F && countPlus(R, V, Arrow, F, -1, Ctx))
      Last = F;
  while (Next != End && SameElement(*Next))
    ++Next;
  if (Next == End)
    return nullptr;
  const FieldDecl *Count = decrement(*Next, V, Arrow, Ctx);
  if (Count && Count == Last)
    return It->second = ME;
  // Moved over by the later elements, next to the count's decrement.
  if (Count && Next + 1 != End &&
      shiftsDown(Next[1], V, Arrow, R, Count, Arr, true, Ctx))
    return It->second = ME;
  if (!Count && Next + 1 != End &&
      (Count = decrement(Next[1], V, Arrow, Ctx)) &&
      shiftsDown(*Next, V, Arrow, R, Count, Arr, false, Ctx))
    return It->second = ME;
  return nullptr;
}

void FunctionAnalyzer::dropFreedUnder(LocKey A) {
  llvm::SmallVector<std::pair<LocKey, ObjSet>, 4> Changes;
  LocTable::forEachUnder(A, [&](LocKey Q) {
    const ObjSet *Os = S.Pts.find(Q);
    if (!Os)
      return;
    ObjSet Keep;
    for (ObjId Id : *Os) {
      const Obj *O = S.Objs.find(Id);
      if (!O || (O->Bits != Freed && O->Bits != Released))
        Keep.insert(Id);
    }
    if (Keep.size() != Os->size())
      Changes.push_back({Q, Keep});
  });
  for (auto &[Q, Keep] : Changes) {
    if (Keep.empty())
      S.erasePts(Q);
    else
      S.setPts(Q, Keep);
  }
  if (!Changes.empty())
    S.Dirty = true;
}

} // namespace ownership
} // namespace tsmem
