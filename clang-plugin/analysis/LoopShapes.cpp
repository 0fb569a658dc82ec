//===- LoopShapes.cpp - Counted loops and jumps, read off the AST ---------===//
//
// LoopShapes.h: the counter, test and step of a `for` loop, and the jump
// finder, shared by the checks that read statements.
//
//===----------------------------------------------------------------------===//
#include "LoopShapes.h"

#include "CfgDecode.h"

#include "clang/AST/RecursiveASTVisitor.h"

using namespace clang;

namespace tsmem {

namespace {

/// A statement that may leave S early or enter it in the middle.
class Jumps : public RecursiveASTVisitor<Jumps> {
public:
  Jumps(const VarDecl *I, bool Cases) : I(I), Cases(Cases) {}
  bool Found = false;
  bool VisitBreakStmt(BreakStmt *) { return !(Found = true); }
  bool VisitContinueStmt(ContinueStmt *) { return !(Found = true); }
  bool VisitGotoStmt(GotoStmt *) { return !(Found = true); }
  bool VisitIndirectGotoStmt(IndirectGotoStmt *) { return !(Found = true); }
  bool VisitReturnStmt(ReturnStmt *) { return !(Found = true); }
  bool VisitLabelStmt(LabelStmt *) { return !(Found = true); }
  bool VisitCaseStmt(CaseStmt *) { return !(Found |= Cases); }
  bool VisitDefaultStmt(DefaultStmt *) { return !(Found |= Cases); }
  // The loop variable written (or its address taken).
  bool VisitUnaryOperator(UnaryOperator *UO) {
    if (I && (UO->isIncrementDecrementOp() || UO->getOpcode() == UO_AddrOf) &&
        ownership::varOf(UO->getSubExpr()) == I)
      Found = true;
    return !Found;
  }
  bool VisitBinaryOperator(BinaryOperator *BO) {
    if (I && BO->isAssignmentOp() && ownership::varOf(BO->getLHS()) == I)
      Found = true;
    return !Found;
  }

private:
  const VarDecl *I;
  bool Cases;
};

} // namespace

bool intConstant(const Expr *E, const ASTContext &Ctx, int64_t &V) {
  Expr::EvalResult R;
  if (E->isValueDependent() || !E->EvaluateAsInt(R, Ctx))
    return false;
  V = R.Val.getInt().getExtValue();
  return true;
}

const VarDecl *loopCounter(const ForStmt *FS, const Expr *&Start) {
  const VarDecl *I = nullptr;
  Start = nullptr;
  if (const auto *DS = dyn_cast_or_null<DeclStmt>(FS->getInit())) {
    if (!DS->isSingleDecl())
      return nullptr;
    I = dyn_cast<VarDecl>(DS->getSingleDecl());
    Start = I ? I->getInit() : nullptr;
  } else if (const auto *BO = dyn_cast_or_null<BinaryOperator>(FS->getInit())) {
    if (BO->getOpcode() != BO_Assign)
      return nullptr;
    I = ownership::varOf(BO->getLHS());
    Start = BO->getRHS();
  }
  if (!I || !Start || !I->getType()->isIntegerType())
    return nullptr;
  return I;
}

const BinaryOperator *loopTest(const ForStmt *FS) {
  return dyn_cast_or_null<BinaryOperator>(
      FS->getCond() ? FS->getCond()->IgnoreParenImpCasts() : nullptr);
}

int loopStep(const ForStmt *FS, const VarDecl *I, const ASTContext &Ctx,
             bool Compound) {
  const Expr *Inc =
      FS->getInc() ? FS->getInc()->IgnoreParenImpCasts() : nullptr;
  if (const auto *UO = dyn_cast_or_null<UnaryOperator>(Inc)) {
    if (ownership::varOf(UO->getSubExpr()) == I)
      return UO->isIncrementOp() ? 1 : UO->isDecrementOp() ? -1 : 0;
  } else if (const auto *CA = dyn_cast_or_null<CompoundAssignOperator>(Inc);
             CA && Compound) {
    int64_t One = 0;
    if (ownership::varOf(CA->getLHS()) == I &&
        intConstant(CA->getRHS(), Ctx, One) && One == 1)
      return CA->getOpcode() == BO_AddAssign   ? 1
             : CA->getOpcode() == BO_SubAssign ? -1
                                               : 0;
  }
  return 0;
}

bool hasJump(const Stmt *S, const VarDecl *Counter, bool Cases) {
  Jumps J(Counter, Cases);
  J.TraverseStmt(const_cast<Stmt *>(S));
  return J.Found;
}

} // namespace tsmem
