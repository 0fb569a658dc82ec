//===- CfgPrune.cpp - When clang's CFG need not fold conditions -----------===//
//
// Mirrors, on the safe side, what clang 19's CFGBuilder (lib/Analysis/
// CFG.cpp) does with PruneTriviallyFalseEdges: tryEvaluateBool on the
// condition of each if, for, while and do, on each operand of `&&` and `||`
// and on the condition of each `?:`, and tryEvaluate on each switch's
// condition. Besides the constant evaluator, tryEvaluateBool knows `x * 0`,
// `x & 0`, `x | C`, `x || !x`, `x < 1 && x > 2` and comparisons of a
// boolean or a masked value with a constant; each of those shapes is
// refused here. What is accepted fails the constant evaluator for certain:
// on every evaluation it reads a non-const local variable or parameter, or
// calls a function that is not a builtin (C has no constexpr functions).
//
//===----------------------------------------------------------------------===//
#include "CfgPrune.h"

#include "clang/AST/Expr.h"
#include "clang/AST/Stmt.h"
#include "llvm/ADT/SmallVector.h"

using namespace clang;

namespace tsmem {
namespace {

constexpr unsigned MaxDepth = 48;

bool fails(const Expr *E, unsigned Depth);

/// Reading this lvalue needs a value that no constant evaluation has: a
/// non-const local variable or parameter, or memory reached through one.
bool unknownLValue(const Expr *E, unsigned Depth) {
  if (Depth > MaxDepth)
    return false;
  E = E->IgnoreParens();
  if (const auto *DRE = dyn_cast<DeclRefExpr>(E)) {
    const auto *VD = dyn_cast<VarDecl>(DRE->getDecl());
    return VD && VD->hasLocalStorage() && !VD->getType().isConstQualified() &&
           !VD->getType()->isReferenceType();
  }
  if (const auto *ME = dyn_cast<MemberExpr>(E))
    return ME->isArrow() ? fails(ME->getBase(), Depth + 1)
                         : unknownLValue(ME->getBase(), Depth + 1);
  if (const auto *AS = dyn_cast<ArraySubscriptExpr>(E))
    return fails(AS->getIdx(), Depth + 1) || fails(AS->getBase(), Depth + 1);
  if (const auto *UO = dyn_cast<UnaryOperator>(E))
    return UO->getOpcode() == UO_Deref && fails(UO->getSubExpr(), Depth + 1);
  return false;
}

/// A literal or enumerator, under parentheses, casts and unary operators:
/// wider than what CFGBuilder takes for a constant operand.
bool constantLike(const Expr *E) {
  while (true) {
    E = E->IgnoreParens();
    if (const auto *CE = dyn_cast<CastExpr>(E)) {
      E = CE->getSubExpr();
      continue;
    }
    if (const auto *UO = dyn_cast<UnaryOperator>(E)) {
      E = UO->getSubExpr();
      continue;
    }
    break;
  }
  if (isa<IntegerLiteral>(E) || isa<CharacterLiteral>(E) ||
      isa<FloatingLiteral>(E))
    return true;
  const auto *DRE = dyn_cast<DeclRefExpr>(E);
  return DRE && isa<EnumConstantDecl>(DRE->getDecl());
}

/// CFGBuilder's checkIncorrectEqualityOperator and
/// checkIncorrectRelationalOperator may decide this comparison: a constant
/// against a bitwise and/or or against a boolean value.
bool comparePattern(const BinaryOperator *BO) {
  const Expr *L = BO->getLHS()->IgnoreParens();
  const Expr *R = BO->getRHS()->IgnoreParens();
  const Expr *Other;
  if (constantLike(L))
    Other = R;
  else if (constantLike(R))
    Other = L;
  else
    return false;
  if (const auto *Bit = dyn_cast<BinaryOperator>(Other))
    if (Bit->getOpcode() == BO_And || Bit->getOpcode() == BO_Or)
      return true;
  return Other->isKnownToHaveBooleanValue();
}

bool comparesConstant(const Expr *E) {
  const auto *BO = dyn_cast<BinaryOperator>(E);
  return BO && BO->isComparisonOp() &&
         (constantLike(BO->getLHS()) || constantLike(BO->getRHS()));
}

/// CFGBuilder's checkIncorrectLogicOperator may decide this `&&` or `||`:
/// `x || !x`, or two comparisons with constants.
bool logicPattern(const BinaryOperator *BO) {
  const Expr *L = BO->getLHS()->IgnoreParens();
  const Expr *R = BO->getRHS()->IgnoreParens();
  for (auto [A, B] : {std::pair(L, R), std::pair(R, L)})
    if (const auto *UO = dyn_cast<UnaryOperator>(A))
      if (UO->getOpcode() == UO_LNot &&
          Expr::isSameComparisonOperand(UO->getSubExpr(), B))
        return true;
  return comparesConstant(L) && comparesConstant(R);
}

/// Neither the constant evaluator nor CFGBuilder's patterns can give E a
/// value.
bool fails(const Expr *E, unsigned Depth) {
  if (!E || Depth > MaxDepth)
    return false;
  E = E->IgnoreParens();
  if (const auto *CE = dyn_cast<CastExpr>(E)) {
    switch (CE->getCastKind()) {
    case CK_LValueToRValue:
      return unknownLValue(CE->getSubExpr(), Depth + 1);
    case CK_NoOp:
    case CK_BitCast:
    case CK_IntegralCast:
    case CK_IntegralToBoolean:
    case CK_IntegralToFloating:
    case CK_IntegralToPointer:
    case CK_FloatingToIntegral:
    case CK_FloatingToBoolean:
    case CK_FloatingCast:
    case CK_PointerToBoolean:
    case CK_PointerToIntegral:
      return fails(CE->getSubExpr(), Depth + 1);
    default:
      return false;
    }
  }
  if (const auto *Call = dyn_cast<CallExpr>(E)) {
    const FunctionDecl *FD = Call->getDirectCallee();
    return FD && FD->getBuiltinID() == 0;
  }
  if (const auto *UO = dyn_cast<UnaryOperator>(E)) {
    switch (UO->getOpcode()) {
    case UO_LNot:
    case UO_Minus:
    case UO_Plus:
    case UO_Not:
      return fails(UO->getSubExpr(), Depth + 1);
    case UO_PreInc:
    case UO_PreDec:
    case UO_PostInc:
    case UO_PostDec:
      return unknownLValue(UO->getSubExpr(), Depth + 1);
    default:
      return false;
    }
  }
  if (const auto *BO = dyn_cast<BinaryOperator>(E)) {
    const Expr *L = BO->getLHS(), *R = BO->getRHS();
    switch (BO->getOpcode()) {
    case BO_LAnd:
    case BO_LOr:
      return fails(L, Depth + 1) && fails(R, Depth + 1) && !logicPattern(BO);
    case BO_EQ:
    case BO_NE:
    case BO_LT:
    case BO_GT:
    case BO_LE:
    case BO_GE:
      return (fails(L, Depth + 1) || fails(R, Depth + 1)) &&
             !comparePattern(BO);
    case BO_Add:
    case BO_Sub:
    case BO_Div:
    case BO_Rem:
    case BO_Shl:
    case BO_Shr:
      return fails(L, Depth + 1) || fails(R, Depth + 1);
    case BO_Mul:
    case BO_And:
    case BO_Or:
    case BO_Xor:
      // `x * 0`, `x & 0` and `x | C` are decided with one operand known.
      return fails(L, Depth + 1) && fails(R, Depth + 1);
    case BO_Comma:
    case BO_Assign:
      return fails(R, Depth + 1);
    default:
      return false;
    }
  }
  return false;
}

} // namespace

bool conditionNeverFolds(const Expr *Cond) { return fails(Cond, 0); }

bool conditionsNeverFold(const Stmt *Body) {
  llvm::SmallVector<const Stmt *, 64> Stack;
  Stack.push_back(Body);
  while (!Stack.empty()) {
    const Stmt *S = Stack.pop_back_val();
    if (!S)
      continue;
    const Expr *Cond = nullptr;
    switch (S->getStmtClass()) {
    case Stmt::IfStmtClass:
      Cond = cast<IfStmt>(S)->getCond();
      break;
    case Stmt::ForStmtClass:
      Cond = cast<ForStmt>(S)->getCond(); // None: no evaluation.
      break;
    case Stmt::WhileStmtClass:
      Cond = cast<WhileStmt>(S)->getCond();
      break;
    case Stmt::DoStmtClass:
      Cond = cast<DoStmt>(S)->getCond();
      break;
    case Stmt::SwitchStmtClass:
      Cond = cast<SwitchStmt>(S)->getCond();
      break;
    case Stmt::ConditionalOperatorClass:
      Cond = cast<ConditionalOperator>(S)->getCond();
      break;
    case Stmt::BinaryConditionalOperatorClass:
      return false;
    case Stmt::BinaryOperatorClass:
      if (cast<BinaryOperator>(S)->isLogicalOp())
        Cond = cast<Expr>(S);
      break;
    default:
      break;
    }
    if (Cond && !fails(Cond, 0))
      return false;
    for (const Stmt *Kid : S->children())
      Stack.push_back(Kid);
  }
  return true;
}

} // namespace tsmem
