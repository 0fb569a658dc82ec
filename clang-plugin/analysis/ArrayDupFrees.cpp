//===- ArrayDupFrees.cpp - One tensor freed twice through an array --------===//
//
// The dataflow keeps one place for "some element" of an array, and a free
// loop may run zero times, so two frees of the same elements do not look
// like a double free to it. This check reads the statements of one block:
//
//  - `T *p[N] = {a, b, a};` then `for (i = 0; i < N; i++) ts_free(p[i]);`
//    over both places that hold the same variable or field: the tensor is
//    freed twice;
//  - `if (c) { for (i = 0; i < n; i++) ts_free(p[i]); }` then, later in
//    the same block, the same loop again unconditionally: when c holds,
//    every element is freed twice.
//
// Only when nothing between the two frees mentions the array or jumps
// (break, continue, goto, return, a label), the loops have no jump and do
// not write their counter, and a variable bound is written nowhere in the
// function. A loop body must be the free alone (or `if (p[i])` around it):
// a loop that also clears the element is left to the dataflow.
//
//===----------------------------------------------------------------------===//
#include "ArrayDupFrees.h"

#include "CfgDecode.h"
#include "Checks.h"
#include "LoopShapes.h"
#include "OwnershipModel.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "llvm/ADT/DenseSet.h"

#include <vector>

using namespace clang;

namespace tsmem {

namespace {

using ownership::mentions;

/// The same place with no side effects: a variable, a field or element
/// of one (`m->w`, `s.a.b`, `p[i]`), an integer literal.
bool samePlace(const Expr *A, const Expr *B) {
  A = A->IgnoreParenImpCasts();
  B = B->IgnoreParenImpCasts();
  if (const auto *DA = dyn_cast<DeclRefExpr>(A)) {
    const auto *DB = dyn_cast<DeclRefExpr>(B);
    return DB && DA->getDecl() == DB->getDecl() && isa<VarDecl>(DA->getDecl());
  }
  if (const auto *MA = dyn_cast<MemberExpr>(A)) {
    const auto *MB = dyn_cast<MemberExpr>(B);
    return MB && MA->getMemberDecl() == MB->getMemberDecl() &&
           MA->isArrow() == MB->isArrow() &&
           samePlace(MA->getBase(), MB->getBase());
  }
  if (const auto *AA = dyn_cast<ArraySubscriptExpr>(A)) {
    const auto *AB = dyn_cast<ArraySubscriptExpr>(B);
    return AB && samePlace(AA->getBase(), AB->getBase()) &&
           samePlace(AA->getIdx(), AB->getIdx());
  }
  if (const auto *IA = dyn_cast<IntegerLiteral>(A)) {
    const auto *IB = dyn_cast<IntegerLiteral>(B);
    return IB && IA->getValue() == IB->getValue();
  }
  return false;
}

/// Mentions of local variables, their writes, and the blocks.
class Scan : public RecursiveASTVisitor<Scan> {
public:
  llvm::DenseSet<const VarDecl *> Written;
  std::vector<const CompoundStmt *> Blocks;

  bool TraverseUnaryExprOrTypeTraitExpr(UnaryExprOrTypeTraitExpr *) {
    return true;
  }
  bool VisitBinaryOperator(BinaryOperator *BO) {
    if (BO->isAssignmentOp())
      wrote(BO->getLHS());
    return true;
  }
  bool VisitUnaryOperator(UnaryOperator *UO) {
    if (UO->isIncrementDecrementOp() || UO->getOpcode() == UO_AddrOf)
      wrote(UO->getSubExpr());
    return true;
  }
  bool VisitCompoundStmt(CompoundStmt *CS) {
    Blocks.push_back(CS);
    return true;
  }

private:
  void wrote(const Expr *E) {
    if (const VarDecl *V = ownership::varOf(E))
      Written.insert(V);
  }
};

/// A loop whose body only frees `p[i]`: `for (i = A; i < B; i++)` (or
/// `<=`, `!=`; counting down with `i--`).
struct FreeLoop {
  const VarDecl *I = nullptr, *Arr = nullptr;
  const Expr *Start = nullptr, *Bound = nullptr;
  BinaryOperatorKind Op = BO_LT;
  int Step = 0;
  const CallExpr *Free = nullptr;
};

class Checker {
public:
  Checker(Scan &S, CallModels &Models, ASTContext &Ctx, Findings &Out)
      : S(S), Models(Models), Ctx(Ctx), Out(Out) {}

  void block(const CompoundStmt *CS) {
    llvm::SmallVector<const Stmt *, 8> Stmts(CS->body_begin(), CS->body_end());
    for (unsigned I = 0; I < Stmts.size(); ++I) {
      if (const auto *DS = dyn_cast<DeclStmt>(Stmts[I]))
        for (const Decl *D : DS->decls())
          if (const auto *V = dyn_cast<VarDecl>(D))
            listedTwice(V, Stmts, I);
      FreeLoop First;
      if (branchFree(Stmts[I], First))
        freedAgain(First, Stmts, I);
    }
  }

private:
  Scan &S;
  CallModels &Models;
  ASTContext &Ctx;
  Findings &Out;

  /// The free St is: `free(x)` or `if (x) free(x);`, x returned.
  const Expr *freed(const Stmt *St, const CallExpr *&Call) {
    if (const auto *IS = dyn_cast<IfStmt>(St)) {
      if (IS->getElse() || IS->getInit() || IS->getConditionVariable())
        return nullptr;
      const Stmt *Then = IS->getThen();
      if (const auto *C = dyn_cast<CompoundStmt>(Then))
        Then = C->size() == 1 ? C->body_front() : nullptr;
      const Expr *Cond = IS->getCond();
      const Expr *X = Then ? freed(Then, Call) : nullptr;
      return X && samePlace(Cond, X) ? X : nullptr;
    }
    const auto *CE = dyn_cast<CallExpr>(St);
    if (!CE)
      return nullptr;
    CallModel M = Models.get(CE);
    if (M.Kind != CallKind::Free || M.ConsumedArg >= CE->getNumArgs())
      return nullptr;
    Call = CE;
    return CE->getArg(M.ConsumedArg);
  }

  bool freeLoop(const Stmt *St, FreeLoop &L) {
    const auto *FS = dyn_cast_or_null<ForStmt>(St);
    if (!FS)
      return false;
    L.I = loopCounter(FS, L.Start); // LoopShapes.cpp
    const auto *T = loopTest(FS);
    if (!L.I || !T || ownership::varOf(T->getLHS()) != L.I ||
        !isa<DeclRefExpr>(T->getLHS()->IgnoreParenImpCasts()))
      return false;
    L.Bound = T->getRHS();
    L.Op = T->getOpcode();
    L.Step = loopStep(FS, L.I, Ctx, /*Compound=*/true);
    if (L.Step == 0 || hasJump(FS->getBody(), L.I))
      return false;
    const Stmt *Body = FS->getBody();
    if (const auto *C = dyn_cast_or_null<CompoundStmt>(Body))
      Body = C->size() == 1 ? C->body_front() : nullptr;
    const Expr *X = Body ? freed(Body, L.Free) : nullptr;
    const auto *AS =
        X ? dyn_cast<ArraySubscriptExpr>(X->IgnoreParenImpCasts()) : nullptr;
    if (!AS || !isa<DeclRefExpr>(AS->getIdx()->IgnoreParenImpCasts()) ||
        ownership::varOf(AS->getIdx()) != L.I ||
        !isa<DeclRefExpr>(AS->getBase()->IgnoreParenImpCasts()))
      return false;
    L.Arr = ownership::varOf(AS->getBase());
    return L.Arr && L.Arr->hasLocalStorage() && L.Arr != L.I &&
           isTensorPointer(AS->getType());
  }

  /// The same start and test over the same array: the same elements. A
  /// variable bound must be written nowhere.
  bool sameLoop(const FreeLoop &A, const FreeLoop &B) {
    int64_t SA = 0, SB = 0;
    if (A.Arr != B.Arr || A.Op != B.Op || A.Step != B.Step ||
        !intConstant(A.Start, Ctx, SA) || !intConstant(B.Start, Ctx, SB) ||
        SA != SB)
      return false;
    int64_t BA = 0, BB = 0;
    if (intConstant(A.Bound, Ctx, BA))
      return intConstant(B.Bound, Ctx, BB) && BA == BB;
    const VarDecl *V = ownership::varOf(A.Bound);
    return V && isa<DeclRefExpr>(A.Bound->IgnoreParenImpCasts()) &&
           isa<DeclRefExpr>(B.Bound->IgnoreParenImpCasts()) &&
           ownership::varOf(B.Bound) == V && !S.Written.count(V);
  }

  /// No statement in (From, To) mentions V or jumps.
  bool quietBetween(llvm::ArrayRef<const Stmt *> Stmts, unsigned From,
                    unsigned To, const VarDecl *V) {
    for (unsigned K = From + 1; K < To; ++K)
      if (mentions(Stmts[K], V) || hasJump(Stmts[K], nullptr, /*Cases=*/true))
        return false;
    return true;
  }

  void report(const FreeLoop &Again, const Stmt *Before) {
    warn(Out, Message::DoubleFree, Again.Free->getBeginLoc(), {},
         Again.Free->getSourceRange());
    note(Out, Message::FreedHere, Before->getBeginLoc());
  }

  /// `T *p[N] = {..., x, ..., x, ...};` then a loop freeing both.
  void listedTwice(const VarDecl *V, llvm::ArrayRef<const Stmt *> Stmts,
                   unsigned At) {
    const auto *IL = dyn_cast_or_null<InitListExpr>(V->getInit());
    const ConstantArrayType *AT = Ctx.getAsConstantArrayType(V->getType());
    if (!IL || !AT || !isTensorPointer(AT->getElementType()))
      return;
    int64_t First = -1, Second = -1;
    for (unsigned I = 0; I < IL->getNumInits() && First < 0; ++I) {
      const Expr *X = IL->getInit(I);
      if (X->IgnoreParenCasts()->isNullPointerConstant(
              Ctx, Expr::NPC_ValueDependentIsNotNull))
        continue;
      for (unsigned J = I + 1; J < IL->getNumInits(); ++J)
        if (samePlace(X, IL->getInit(J)) &&
            !isa<IntegerLiteral>(X->IgnoreParenImpCasts())) {
          First = I;
          Second = J;
          break;
        }
    }
    if (First < 0)
      return;
    for (unsigned K = At + 1; K < Stmts.size(); ++K) {
      FreeLoop L;
      if (freeLoop(Stmts[K], L) && L.Arr == V) {
        int64_t A = 0, B = 0;
        if (!intConstant(L.Start, Ctx, A) || !intConstant(L.Bound, Ctx, B))
          return;
        int64_t Lo, Hi;
        if (L.Step == 1 && (L.Op == BO_LT || L.Op == BO_NE))
          Lo = A, Hi = B;
        else if (L.Step == 1 && L.Op == BO_LE)
          Lo = A, Hi = B + 1;
        else if (L.Step == -1 && (L.Op == BO_GT || L.Op == BO_NE))
          Lo = B + 1, Hi = A + 1;
        else if (L.Step == -1 && L.Op == BO_GE)
          Lo = B, Hi = A + 1;
        else
          return;
        if (Lo <= First && Second < Hi && quietBetween(Stmts, At, K, V))
          report(L, IL->getInit(Second));
        return;
      }
      if (mentions(Stmts[K], V))
        return;
    }
  }

  /// `if (c) { <free loop> }`, no else, nothing else in the branch.
  bool branchFree(const Stmt *St, FreeLoop &L) {
    const auto *IS = dyn_cast<IfStmt>(St);
    if (!IS || IS->getElse() || IS->getInit() || IS->getConditionVariable())
      return false;
    const Stmt *Then = IS->getThen();
    if (const auto *C = dyn_cast<CompoundStmt>(Then))
      Then = C->size() == 1 ? C->body_front() : nullptr;
    return freeLoop(Then, L) && !mentions(IS->getCond(), L.Arr);
  }

  /// The same loop again after the branch, unconditionally.
  void freedAgain(const FreeLoop &First, llvm::ArrayRef<const Stmt *> Stmts,
                  unsigned At) {
    for (unsigned K = At + 1; K < Stmts.size(); ++K) {
      FreeLoop L;
      if (freeLoop(Stmts[K], L) && L.Arr == First.Arr) {
        if (sameLoop(First, L) && quietBetween(Stmts, At, K, L.Arr))
          report(L, First.Free);
        return;
      }
      if (mentions(Stmts[K], First.Arr))
        return;
    }
  }
};

} // namespace

void checkArrayDupFrees(const FunctionDecl *FD, CallModels &Models,
                        ASTContext &Ctx, Findings &Out) {
  const Stmt *Body = FD->getBody();
  if (!Body)
    return;
  Scan S;
  S.TraverseStmt(const_cast<Stmt *>(Body));
  Checker C(S, Models, Ctx, Out);
  for (const CompoundStmt *CS : S.Blocks)
    C.block(CS);
}

} // namespace tsmem
