//===- ArrayFrees.cpp - Arrays filled whole and freed in part -------------===//
//
// The dataflow keeps one place for "some element" of an array (Fields.cpp):
// after `for (i = 0; i < N; i++) a[i] = ts_rand(...)` it knows that the
// elements hold tensors, not how many. A free loop that stops one short
// (`i < N - 1`), or frees of a few constant elements, then look like frees
// of "some element", and the rest is not seen to leak. This check counts
// instead, on the statements: in one block, a counted loop fills every
// element of a local array (or of an array field of a local struct) with
// new tensors; later statements of the same block free ranges of it
// (counted loops, constant indices); the elements no free covers leak.
//
// Only when nothing else can reach the array: every other mention of it
// is a read of one element by a call that only borrows it, a NULL test or
// a NULL store; no scope (TS_SCOPE, TS_SCOPE_GUARD, ts_scope_begin) is in
// the function; the loops have no break, continue, goto or return and do
// not assign their variable. Anything else (the array passed to a helper,
// an element returned or stored, a free under a condition) leaves it to
// the dataflow.
//
//===----------------------------------------------------------------------===//
#include "ArrayFrees.h"

#include "CfgDecode.h"
#include "Checks.h"
#include "LibcCalls.h"
#include "LoopShapes.h"
#include "OwnershipModel.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <string>
#include <utility>
#include <vector>

using namespace clang;

namespace tsmem {

namespace {

/// An array: a local variable, or a field of a local struct variable.
using Key = std::pair<const VarDecl *, const FieldDecl *>;

/// A local `ts_tensor **v = malloc(...)` (or calloc): an array of tensors
/// of unknown length, this function's own.
bool isHeapArray(const VarDecl *V) {
  return V && V->hasLocalStorage() && !isa<ParmVarDecl>(V) &&
         V->getType()->isPointerType() &&
         isTensorPointer(V->getType()->getPointeeType()) &&
         isHeapAlloc(V->getInit());
}

/// E names an array of tensors the check may follow: its key and size (0
/// for a heap array, whose elements only counted fills and frees follow).
bool designator(const Expr *E, ASTContext &Ctx, Key &K, uint64_t &N) {
  E = E->IgnoreParenImpCasts();
  if (const auto *DRE = dyn_cast<DeclRefExpr>(E))
    if (const auto *V = dyn_cast<VarDecl>(DRE->getDecl()); isHeapArray(V)) {
      N = 0;
      K = {V, nullptr};
      return true;
    }
  const FieldDecl *F = nullptr;
  if (const auto *ME = dyn_cast<MemberExpr>(E)) {
    F = dyn_cast<FieldDecl>(ME->getMemberDecl());
    if (ME->isArrow() || !F || F->getParent()->isUnion())
      return false;
    E = ME->getBase()->IgnoreParenImpCasts();
  }
  const auto *DRE = dyn_cast<DeclRefExpr>(E);
  const auto *V = DRE ? dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
  if (!V || !V->hasLocalStorage() || isa<ParmVarDecl>(V))
    return false;
  const ConstantArrayType *AT =
      Ctx.getAsConstantArrayType(F ? F->getType() : V->getType());
  if (!AT || !isTensorPointer(AT->getElementType()))
    return false;
  N = AT->getSize().getZExtValue();
  K = {V, F};
  return N > 0 && N <= 4096;
}

/// E is an element of such an array: the subscript.
const ArraySubscriptExpr *element(const Expr *E, ASTContext &Ctx, Key &K,
                                  uint64_t &N) {
  const auto *AS = dyn_cast<ArraySubscriptExpr>(E->IgnoreParenImpCasts());
  if (!AS || !designator(AS->getBase(), Ctx, K, N))
    return nullptr;
  return AS;
}

bool isNullConstant(const Expr *E, ASTContext &Ctx) {
  return E->IgnoreParenCasts()->isNullPointerConstant(
      Ctx, Expr::NPC_ValueDependentIsNotNull);
}

/// `for (i = A; i < B; i++)` (or `<=`, `!=`; or counting down with `>`,
/// `>=`, `!=` and `i--`), with A and B constants: i runs over [Lo, Hi),
/// every value once, unless the body jumps or writes i.
struct Range {
  const VarDecl *I = nullptr;
  int64_t Lo = 0, Hi = 0;
};

bool loopRange(const ForStmt *FS, const ASTContext &Ctx, Range &R) {
  const Expr *Start = nullptr;
  const VarDecl *I = loopCounter(FS, Start); // LoopShapes.cpp
  int64_t A = 0, B = 0;
  if (!I || !intConstant(Start, Ctx, A))
    return false;
  const auto *C = loopTest(FS);
  if (!C || !isa<DeclRefExpr>(C->getLHS()->IgnoreParenImpCasts()) ||
      ownership::varOf(C->getLHS()) != I || !intConstant(C->getRHS(), Ctx, B))
    return false;
  int Step = loopStep(FS, I, Ctx, /*Compound=*/true);
  BinaryOperatorKind Op = C->getOpcode();
  if (Step == 1 && (Op == BO_LT || Op == BO_NE))
    R = {I, A, B};
  else if (Step == 1 && Op == BO_LE)
    R = {I, A, B + 1};
  else if (Step == -1 && (Op == BO_GT || Op == BO_NE))
    R = {I, B + 1, A + 1};
  else if (Step == -1 && Op == BO_GE)
    R = {I, B, A + 1};
  else
    return false;
  if (R.Lo > R.Hi)
    return false;
  return !hasJump(FS->getBody(), I);
}

/// The statements a loop body runs on every iteration, in order.
llvm::SmallVector<const Stmt *, 4> bodyStmts(const Stmt *Body) {
  llvm::SmallVector<const Stmt *, 4> Out;
  if (const auto *CS = dyn_cast_or_null<CompoundStmt>(Body))
    Out.append(CS->body_begin(), CS->body_end());
  else if (Body)
    Out.push_back(Body);
  return Out;
}

struct Array {
  uint64_t N = 0;
  /// Every subscript of it, and those whose use is known harmless.
  std::vector<const ArraySubscriptExpr *> Subs;
  llvm::DenseSet<const ArraySubscriptExpr *> Fine;
  /// `V.F` mentions (for a field), all of them subscripted or not.
  unsigned FieldRefs = 0;
  unsigned Fills = 0;
  const CallExpr *FillCall = nullptr;
  /// The elements freed, as ranges [Lo, Hi), and where.
  std::vector<std::pair<int64_t, int64_t>> Freed;
  std::vector<const Stmt *> FreeStmts;
  /// Filled by `a[n++] = made()` instead (n a local counting from 0), or
  /// (Bound) by `for (i = 0; i < n; i++) a[i] = made()`: n, and the loops
  /// that free [0, n - k), by k.
  const VarDecl *Count = nullptr;
  bool Bound = false;
  std::vector<int64_t> Short;
};

class ArrayScan : public RecursiveASTVisitor<ArrayScan> {
public:
  ArrayScan(CallModels &Models, ASTContext &Ctx) : Models(Models), Ctx(Ctx) {}

  bool Bail = false;
  llvm::DenseMap<Key, Array> Arrays;
  llvm::DenseMap<const VarDecl *, unsigned> Refs, MemberRefs;
  std::vector<const CompoundStmt *> Blocks;

  // sizeof(a), _Alignof: no use of the array.
  bool TraverseUnaryExprOrTypeTraitExpr(UnaryExprOrTypeTraitExpr *) {
    return true;
  }
  bool VisitVarDecl(VarDecl *VD) {
    if (isScopeGuard(VD) || isLoopScopeGuard(VD))
      Bail = true;
    return !Bail;
  }
  bool VisitDeclRefExpr(DeclRefExpr *DRE) {
    if (const auto *V = dyn_cast<VarDecl>(DRE->getDecl()))
      if (V->hasLocalStorage())
        ++Refs[V];
    return true;
  }
  /// Mentions of a heap array that cannot let its tensors go: NULL tests,
  /// free() of the array, a tsmem call that reads its elements through a
  /// pointer to const.
  llvm::DenseMap<const VarDecl *, unsigned> HeapReads;
  void heapRead(const Expr *E) {
    if (const auto *DRE = dyn_cast<DeclRefExpr>(E->IgnoreParenCasts()))
      if (const auto *V = dyn_cast<VarDecl>(DRE->getDecl()); isHeapArray(V))
        ++HeapReads[V];
  }
  bool VisitMemberExpr(MemberExpr *ME) {
    if (ME->isArrow())
      return true;
    if (const auto *DRE =
            dyn_cast<DeclRefExpr>(ME->getBase()->IgnoreParenImpCasts()))
      if (const auto *V = dyn_cast<VarDecl>(DRE->getDecl())) {
        ++MemberRefs[V];
        Key K;
        uint64_t N;
        if (designator(ME, Ctx, K, N))
          ++arrayOf(K, N).FieldRefs;
      }
    return true;
  }
  bool VisitArraySubscriptExpr(ArraySubscriptExpr *AS) {
    Key K;
    uint64_t N;
    if (designator(AS->getBase(), Ctx, K, N))
      arrayOf(K, N).Subs.push_back(AS);
    return true;
  }
  bool VisitCallExpr(CallExpr *CE) {
    CallModel M = Models.get(CE);
    switch (M.Kind) {
    case CallKind::ScopeBegin:
    case CallKind::LoopOpen:
    case CallKind::AsyncEnter:
    case CallKind::Register:
      Bail = true;
      return false;
    default:
      break;
    }
    const FunctionDecl *Callee = CE->getDirectCallee();
    bool Free = isLibcFree(CE);
    for (unsigned I = 0, E = CE->getNumArgs(); I < E; ++I) {
      if (Free || (M.Api && Callee && I < Callee->getNumParams() &&
                   Callee->getParamDecl(I)->getType()->isPointerType() &&
                   Callee->getParamDecl(I)
                       ->getType()
                       ->getPointeeType()
                       .isConstQualified()))
        heapRead(CE->getArg(I));
      bool Borrows = M.Kind == CallKind::Borrow ||
                     (M.Inferred && I < 32 && (M.BorrowMask >> I & 1));
      if (Borrows)
        fine(CE->getArg(I));
    }
    return true;
  }
  bool VisitIfStmt(IfStmt *S) { return tested(S->getCond()); }
  bool VisitWhileStmt(WhileStmt *S) { return tested(S->getCond()); }
  bool VisitDoStmt(DoStmt *S) { return tested(S->getCond()); }
  bool VisitConditionalOperator(ConditionalOperator *CO) {
    return tested(CO->getCond());
  }
  bool VisitBinaryOperator(BinaryOperator *BO) {
    if (BO->isAssignmentOp())
      wrote(BO->getLHS());
    if (BO->getOpcode() == BO_Assign && isNullConstant(BO->getRHS(), Ctx))
      fine(BO->getLHS());
    if (BO->getOpcode() == BO_EQ || BO->getOpcode() == BO_NE) {
      if (isNullConstant(BO->getRHS(), Ctx))
        fine(BO->getLHS());
      else if (isNullConstant(BO->getLHS(), Ctx))
        fine(BO->getRHS());
    }
    return true;
  }
  bool VisitUnaryOperator(UnaryOperator *UO) {
    if (UO->getOpcode() == UO_LNot)
      fine(UO->getSubExpr());
    if (UO->isIncrementDecrementOp() || UO->getOpcode() == UO_AddrOf)
      wrote(UO->getSubExpr());
    return true;
  }
  /// Writes of local variables (`++`, `--`, `=`, `+=`, `&v`).
  llvm::DenseMap<const VarDecl *, unsigned> Writes;
  void wrote(const Expr *E) {
    if (const auto *DRE = dyn_cast<DeclRefExpr>(E->IgnoreParenImpCasts()))
      if (const auto *V = dyn_cast<VarDecl>(DRE->getDecl()))
        ++Writes[V];
  }
  bool VisitCompoundStmt(CompoundStmt *CS) {
    Blocks.push_back(CS);
    return true;
  }

  Array &arrayOf(Key K, uint64_t N) {
    Array &A = Arrays[K];
    A.N = N;
    return A;
  }
  /// A use of E that cannot let its tensor go.
  void fine(const Expr *E) {
    Key K;
    uint64_t N;
    if (!E)
      return;
    if (const ArraySubscriptExpr *AS = element(E, Ctx, K, N))
      arrayOf(K, N).Fine.insert(AS);
    else
      heapRead(E);
  }
  bool tested(const Expr *C) {
    if (C)
      fine(C);
    return true;
  }

private:
  CallModels &Models;
  ASTContext &Ctx;
};

class Checker {
public:
  Checker(ArrayScan &Scan, CallModels &Models, ASTContext &Ctx)
      : Scan(Scan), Models(Models), Ctx(Ctx) {}

  void block(const CompoundStmt *CS) {
    llvm::SmallVector<const Stmt *, 8> Stmts(CS->body_begin(), CS->body_end());
    for (unsigned I = 0; I < Stmts.size(); ++I) {
      Key K;
      const CallExpr *Call = nullptr;
      const VarDecl *Count = nullptr;
      bool Bound = false;
      if (!fill(Stmts[I], K, Call) && !countedFill(Stmts[I], K, Call, Count) &&
          !(Bound = boundFill(Stmts[I], K, Call, Count)))
        continue;
      Array &A = Scan.Arrays[K];
      if (++A.Fills > 1)
        continue;
      A.FillCall = Call;
      A.Count = Count;
      A.Bound = Bound;
      for (unsigned J = I + 1; J < Stmts.size(); ++J)
        frees(Stmts[J], K, A);
    }
  }

private:
  ArrayScan &Scan;
  CallModels &Models;
  ASTContext &Ctx;

  /// `for (i = 0; i < N; i++) { ... a[i] = made(...); ... }`.
  bool fill(const Stmt *St, Key &K, const CallExpr *&Call) {
    const auto *FS = dyn_cast<ForStmt>(St);
    Range R;
    if (!FS || !loopRange(FS, Ctx, R))
      return false;
    for (const Stmt *B : bodyStmts(FS->getBody())) {
      const auto *BO = dyn_cast<BinaryOperator>(B);
      if (!BO || BO->getOpcode() != BO_Assign)
        continue;
      uint64_t N = 0;
      const ArraySubscriptExpr *AS = element(BO->getLHS(), Ctx, K, N);
      const auto *CE =
          dyn_cast<CallExpr>(ownership::ignoreParenCasts(BO->getRHS()));
      if (!AS || !CE || ownership::varOf(AS->getIdx()) != R.I ||
          !isa<DeclRefExpr>(AS->getIdx()->IgnoreParenImpCasts()) || R.Lo != 0 ||
          uint64_t(R.Hi) != N)
        continue;
      CallModel M = Models.get(CE);
      if (M.Kind != CallKind::Owned || M.CallerScoped)
        continue;
      Scan.Arrays[K].Fine.insert(AS);
      Call = CE;
      return true;
    }
    return false;
  }

  /// `for (i = 0; i < n; i++) { ... a[i] = made(...); ... }` over a heap
  /// array, n a variable: filled up to n.
  bool boundFill(const Stmt *St, Key &K, const CallExpr *&Call,
                 const VarDecl *&Count) {
    const auto *FS = dyn_cast<ForStmt>(St);
    const Expr *Start = nullptr;
    const VarDecl *I = FS ? loopCounter(FS, Start) : nullptr;
    const auto *C = FS ? loopTest(FS) : nullptr;
    int64_t A = -1;
    if (!I || !intConstant(Start, Ctx, A) || A != 0 || !C ||
        C->getOpcode() != BO_LT ||
        !isa<DeclRefExpr>(C->getLHS()->IgnoreParenImpCasts()) ||
        ownership::varOf(C->getLHS()) != I ||
        !isa<DeclRefExpr>(C->getRHS()->IgnoreParenImpCasts()) ||
        loopStep(FS, I, Ctx, /*Compound=*/true) != 1 ||
        hasJump(FS->getBody(), I))
      return false;
    const VarDecl *N = ownership::varOf(C->getRHS());
    if (!N || !N->hasLocalStorage())
      return false;
    for (const Stmt *B : bodyStmts(FS->getBody())) {
      const auto *BO = dyn_cast<BinaryOperator>(B);
      if (!BO || BO->getOpcode() != BO_Assign)
        continue;
      uint64_t Size = 1;
      const ArraySubscriptExpr *AS = element(BO->getLHS(), Ctx, K, Size);
      const auto *CE =
          dyn_cast<CallExpr>(ownership::ignoreParenCasts(BO->getRHS()));
      if (!AS || Size != 0 || !CE || ownership::varOf(AS->getIdx()) != I ||
          !isa<DeclRefExpr>(AS->getIdx()->IgnoreParenImpCasts()))
        continue;
      CallModel M = Models.get(CE);
      if (M.Kind != CallKind::Owned || M.CallerScoped)
        continue;
      Scan.Arrays[K].Fine.insert(AS);
      Call = CE;
      Count = N;
      return true;
    }
    return false;
  }

  /// A loop whose body, somewhere, appends `a[n++] = made()` (the only
  /// such store in it), n a local variable.
  bool countedFill(const Stmt *St, Key &K, const CallExpr *&Call,
                   const VarDecl *&Count) {
    const Stmt *Body = nullptr;
    if (const auto *FS = dyn_cast<ForStmt>(St))
      Body = FS->getBody();
    else if (const auto *WS = dyn_cast<WhileStmt>(St))
      Body = WS->getBody();
    if (!Body)
      return false;
    const ArraySubscriptExpr *Found = nullptr;
    unsigned Stores = 0;
    llvm::SmallVector<const Stmt *, 16> Work{Body};
    while (!Work.empty()) {
      const Stmt *X = Work.pop_back_val();
      if (!X)
        continue;
      Work.append(X->child_begin(), X->child_end());
      const auto *BO = dyn_cast<BinaryOperator>(X);
      if (!BO || BO->getOpcode() != BO_Assign)
        continue;
      Key Of;
      uint64_t N = 0;
      const ArraySubscriptExpr *AS = element(BO->getLHS(), Ctx, Of, N);
      if (!AS)
        continue;
      ++Stores;
      const auto *Inc =
          dyn_cast<UnaryOperator>(AS->getIdx()->IgnoreParenImpCasts());
      const auto *CE =
          dyn_cast<CallExpr>(ownership::ignoreParenCasts(BO->getRHS()));
      const VarDecl *V =
          Inc && Inc->getOpcode() == UO_PostInc &&
                  isa<DeclRefExpr>(Inc->getSubExpr()->IgnoreParenImpCasts())
              ? ownership::varOf(Inc->getSubExpr())
              : nullptr;
      if (!V || !V->hasLocalStorage() || !CE)
        return false;
      CallModel M = Models.get(CE);
      if (M.Kind != CallKind::Owned || M.CallerScoped)
        return false;
      Found = AS;
      K = Of;
      Call = CE;
      Count = V;
    }
    if (Stores != 1 || !Found)
      return false;
    Scan.Arrays[K].Fine.insert(Found);
    return true;
  }

  /// `for (i = 0; i < n - k; i++)` or `i + k < n`: k, with k >= 0.
  bool shortLoop(const ForStmt *FS, const VarDecl *N, int64_t &K) {
    const Expr *Start = nullptr;
    const VarDecl *I = loopCounter(FS, Start);
    int64_t A = 0;
    const auto *C = loopTest(FS);
    if (!I || !intConstant(Start, Ctx, A) || A != 0 || !C ||
        C->getOpcode() != BO_LT ||
        loopStep(FS, I, Ctx, /*Compound=*/true) != 1 ||
        hasJump(FS->getBody(), I))
      return false;
    auto IsVar = [](const Expr *E, const VarDecl *V) {
      return isa<DeclRefExpr>(E->IgnoreParenImpCasts()) &&
             ownership::varOf(E) == V;
    };
    const Expr *L = C->getLHS()->IgnoreParenImpCasts();
    const Expr *R = C->getRHS()->IgnoreParenImpCasts();
    K = 0;
    if (const auto *Add = dyn_cast<BinaryOperator>(L);
        Add && Add->getOpcode() == BO_Add) {
      if (!intConstant(Add->getRHS(), Ctx, K))
        return false;
      L = Add->getLHS();
    }
    if (const auto *Sub = dyn_cast<BinaryOperator>(R);
        Sub && Sub->getOpcode() == BO_Sub && K == 0) {
      if (!intConstant(Sub->getRHS(), Ctx, K))
        return false;
      R = Sub->getLHS();
    }
    return K >= 0 && IsVar(L, I) && IsVar(R, N);
  }

  /// The subscript St frees: `ts_free(a[x])` or `if (a[x]) ts_free(a[x]);`.
  const ArraySubscriptExpr *freed(const Stmt *St, const Key &K) {
    if (const auto *IS = dyn_cast<IfStmt>(St)) {
      if (IS->getElse() || IS->getInit() || IS->getConditionVariable())
        return nullptr;
      llvm::SmallVector<const Stmt *, 4> Then = bodyStmts(IS->getThen());
      if (Then.size() != 1)
        return nullptr;
      St = Then[0];
    }
    const auto *CE = dyn_cast<CallExpr>(St);
    if (!CE)
      return nullptr;
    CallModel M = Models.get(CE);
    unsigned Arg = ~0u;
    if (M.Kind == CallKind::Free || M.Kind == CallKind::Consume)
      Arg = M.ConsumedArg;
    else if (M.Inferred && M.FreeMask && !(M.FreeMask & (M.FreeMask - 1)))
      Arg = llvm::countr_zero(M.FreeMask);
    if (Arg >= CE->getNumArgs())
      return nullptr;
    Key Of;
    uint64_t N;
    const ArraySubscriptExpr *AS = element(CE->getArg(Arg), Ctx, Of, N);
    return AS && Of == K ? AS : nullptr;
  }

  void frees(const Stmt *St, const Key &K, Array &A) {
    if (const auto *FS = dyn_cast<ForStmt>(St)) {
      int64_t Short = 0;
      if (A.Count && shortLoop(FS, A.Count, Short)) {
        const Expr *Start = nullptr;
        const VarDecl *I = loopCounter(FS, Start);
        for (const Stmt *B : bodyStmts(FS->getBody()))
          if (const ArraySubscriptExpr *AS = freed(B, K))
            if (ownership::varOf(AS->getIdx()) == I &&
                isa<DeclRefExpr>(AS->getIdx()->IgnoreParenImpCasts())) {
              A.Fine.insert(AS);
              A.Short.push_back(Short);
              A.FreeStmts.push_back(B);
            }
        return;
      }
      Range R;
      if (!loopRange(FS, Ctx, R))
        return;
      for (const Stmt *B : bodyStmts(FS->getBody()))
        if (const ArraySubscriptExpr *AS = freed(B, K))
          if (ownership::varOf(AS->getIdx()) == R.I &&
              isa<DeclRefExpr>(AS->getIdx()->IgnoreParenImpCasts())) {
            A.Fine.insert(AS);
            A.Freed.push_back({R.Lo, R.Hi});
            A.FreeStmts.push_back(B);
          }
      return;
    }
    if (const ArraySubscriptExpr *AS = freed(St, K)) {
      int64_t C = 0;
      if (!intConstant(AS->getIdx(), Ctx, C))
        return;
      A.Fine.insert(AS);
      A.Freed.push_back({C, C + 1});
      A.FreeStmts.push_back(St);
    }
  }
};

std::string arrayName(const Key &K) {
  std::string S = K.first->getName().str();
  if (K.second)
    S += "." + K.second->getName().str();
  return S;
}

} // namespace

void checkArrayFrees(const FunctionDecl *FD, BodyScope Scope,
                     CallModels &Models, ASTContext &Ctx, Findings &Out) {
  const Stmt *Body = FD->getBody();
  if (!Body || Scope != BodyScope::None)
    return;
  ArrayScan Scan(Models, Ctx);
  Scan.TraverseStmt(const_cast<Stmt *>(Body));
  if (Scan.Bail || Scan.Arrays.empty())
    return;
  Checker C(Scan, Models, Ctx);
  for (const CompoundStmt *CS : Scan.Blocks)
    C.block(CS);
  std::vector<std::pair<Key, const Array *>> Found;
  for (const auto &Entry : Scan.Arrays) {
    const Key &K = Entry.first;
    const Array &A = Entry.second;
    if (A.Fills != 1 || (A.Freed.empty() && A.Short.empty()))
      continue;
    // Nothing else reaches the array: every mention is a subscript (of the
    // field, for a field; a struct mentioned whole is copied or passed).
    const VarDecl *V = K.first;
    if (K.second
            ? Scan.MemberRefs.lookup(V) != Scan.Refs.lookup(V) ||
                  A.FieldRefs != A.Subs.size()
            : Scan.Refs.lookup(V) != A.Subs.size() + Scan.HeapReads.lookup(V))
      continue;
    // A heap array: never assigned (nor its address taken).
    if (A.N == 0 && Scan.Writes.lookup(V) != 0)
      continue;
    if (!llvm::all_of(A.Subs, [&](const ArraySubscriptExpr *AS) {
          return A.Fine.count(AS);
        }))
      continue;
    // Filled up to a count: only loops that each stop short of it, and
    // the count counts from 0 and moves only with the fill.
    if (A.Count && A.Bound) {
      // Up to a bound nothing changes in the function.
      if (A.Freed.empty() && A.Short.size() == 1 && A.Short[0] > 0 &&
          Scan.Writes.lookup(A.Count) == 0)
        Found.push_back({K, &A});
      continue;
    }
    if (A.Count) {
      const Expr *Init = A.Count->getInit();
      int64_t Zero = -1;
      if (A.Freed.empty() && A.Short.size() == 1 && A.Short[0] > 0 && Init &&
          intConstant(Init, Ctx, Zero) && Zero == 0 &&
          Scan.Writes.lookup(A.Count) == 1)
        Found.push_back({K, &A});
      continue;
    }
    // The elements freed, each once, within the array.
    std::vector<bool> Covered(A.N, false);
    bool Ok = true;
    for (auto [Lo, Hi] : A.Freed)
      for (int64_t I = Lo; I < Hi && Ok; ++I) {
        if (I < 0 || uint64_t(I) >= A.N || Covered[I])
          Ok = false;
        else
          Covered[I] = true;
      }
    if (Ok && llvm::is_contained(Covered, false))
      Found.push_back({K, &A});
  }
  // In source order (DenseMap's is not stable).
  llvm::sort(Found, [&](const auto &X, const auto &Y) {
    return Ctx.getSourceManager().isBeforeInTranslationUnit(
        X.second->FillCall->getBeginLoc(), Y.second->FillCall->getBeginLoc());
  });
  for (const auto &[K, A] : Found) {
    if (A->Count) {
      const FunctionDecl *Callee = A->FillCall->getDirectCallee();
      std::string Site = Callee ? Callee->getName().str() : "a call";
      std::string N = A->Count->getName().str();
      std::string Left = A->Short[0] == 1
                             ? "the last one (element " + N + " - 1)"
                             : "the last " + std::to_string(A->Short[0]) +
                                   " (from element " + N + " - " +
                                   std::to_string(A->Short[0]) + ")";
      warn(Out, Message::LeakElements, A->FillCall->getBeginLoc(),
           {Site, Left, arrayName(K)});
      for (const Stmt *St : A->FreeStmts)
        note(Out, Message::FreedHere, St->getBeginLoc());
      continue;
    }
    std::vector<bool> Covered(A->N, false);
    for (auto [Lo, Hi] : A->Freed)
      for (int64_t I = Lo; I < Hi; ++I)
        Covered[I] = true;
    // The elements left out, as ranges: "element 4", "elements 0 to 6".
    std::string Left;
    unsigned Count = 0;
    for (uint64_t I = 0; I < A->N;) {
      if (Covered[I]) {
        ++I;
        continue;
      }
      uint64_t J = I;
      while (J + 1 < A->N && !Covered[J + 1])
        ++J;
      Left += (Left.empty() ? "" : ", ") + std::to_string(I);
      if (J > I)
        Left += " to " + std::to_string(J);
      Count += J - I + 1;
      I = J + 1;
    }
    Left = (Count == 1 ? "element " : "elements ") + Left;
    const FunctionDecl *Callee = A->FillCall->getDirectCallee();
    std::string Site = Callee ? Callee->getName().str() : "a call";
    warn(Out, Message::LeakElements, A->FillCall->getBeginLoc(),
         {Site, Left, arrayName(K)});
    for (const Stmt *St : A->FreeStmts)
      note(Out, Message::FreedHere, St->getBeginLoc());
  }
}

} // namespace tsmem
