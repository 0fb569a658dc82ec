//===- StatusFills.cpp - A status made from the place just filled ---------===//
//
// `s->f = ts_make(...); return s->f ? 0 : -1;`: the helper fills the place
// on every path, but the status it returns says whether the fill gave a
// tensor; on the failing status the place holds NULL. A caller that returns
// on that status owns nothing there (heldout4's one false positive). The
// fill is then the caller's only on the status that says so, as with an
// out-parameter written on one kind of return (Summaries.cpp, MadeIfNull):
// the summary says which.
//
// FunctionSummary::FillConds keeps the kind for each of FillFields.
//
// Every return must give a value known once the places it tests are taken
// as non-NULL, of one kind (zero or not) on all of them, and some return
// must give the other kind when the place is NULL. Anything else: the fill
// stays unconditional.
//
//===----------------------------------------------------------------------===//
#include "StatusFills.h"
#include "FunctionAnalyzer.h"

namespace tsmem {
namespace ownership {

namespace {

/// Evaluates a status over pointers that are tested: the place Token is
/// NULL when TokenNull, every other tested pointer is taken as non-NULL.
class StatusEval {
public:
  StatusEval(ASTContext &Ctx, llvm::function_ref<bool(const Expr *)> IsToken,
             bool TokenNull)
      : Ctx(Ctx), IsToken(IsToken), TokenNull(TokenNull) {}

  std::optional<int64_t> value(const Expr *E) {
    E = E->IgnoreParens();
    if (const auto *IC = dyn_cast<ImplicitCastExpr>(E)) {
      if (IC->getCastKind() == CK_PointerToBoolean) {
        std::optional<bool> T = truth(IC->getSubExpr());
        return T ? std::optional<int64_t>(*T) : std::nullopt;
      }
      if (IC->getCastKind() == CK_IntegralCast ||
          IC->getCastKind() == CK_IntegralToBoolean ||
          IC->getCastKind() == CK_NoOp)
        return value(IC->getSubExpr());
    }
    if (!E->isValueDependent()) {
      Expr::EvalResult R;
      if (E->EvaluateAsInt(R, Ctx))
        return R.Val.getInt().getExtValue();
    }
    if (const auto *CO = dyn_cast<ConditionalOperator>(E)) {
      std::optional<bool> C = truth(CO->getCond());
      if (C)
        return value(*C ? CO->getTrueExpr() : CO->getFalseExpr());
      return std::nullopt;
    }
    if (const auto *UO = dyn_cast<UnaryOperator>(E))
      if (UO->getOpcode() == UO_LNot) {
        std::optional<bool> T = truth(UO->getSubExpr());
        return T ? std::optional<int64_t>(!*T) : std::nullopt;
      }
    if (const auto *BO = dyn_cast<BinaryOperator>(E)) {
      switch (BO->getOpcode()) {
      case BO_LAnd:
      case BO_LOr:
      case BO_EQ:
      case BO_NE: {
        std::optional<bool> T = truth(BO);
        return T ? std::optional<int64_t>(*T) : std::nullopt;
      }
      default:
        break;
      }
    }
    return std::nullopt;
  }

  std::optional<bool> truth(const Expr *E) {
    E = E->IgnoreParenCasts();
    if (E->getType()->isPointerType()) {
      if (E->isNullPointerConstant(Ctx, Expr::NPC_ValueDependentIsNotNull))
        return false;
      if (IsToken(E))
        return !TokenNull;
      // Another place tested for NULL: taken as filled.
      if (isa<MemberExpr, UnaryOperator, ArraySubscriptExpr>(E))
        return true;
      return std::nullopt;
    }
    if (const auto *BO = dyn_cast<BinaryOperator>(E)) {
      BinaryOperatorKind Op = BO->getOpcode();
      if (Op == BO_LAnd || Op == BO_LOr) {
        std::optional<bool> L = truth(BO->getLHS()), R = truth(BO->getRHS());
        bool Short = Op == BO_LOr; // The value that decides alone.
        if ((L && *L == Short) || (R && *R == Short))
          return Short;
        if (L && R)
          return !Short;
        return std::nullopt;
      }
      if (Op == BO_EQ || Op == BO_NE) {
        // Only a pointer against NULL (value() would come back here).
        if (!BO->getLHS()->getType()->isPointerType() &&
            !BO->getRHS()->getType()->isPointerType())
          return std::nullopt;
        const Expr *X = nullptr;
        if (BO->getRHS()->isNullPointerConstant(
                Ctx, Expr::NPC_ValueDependentIsNotNull))
          X = BO->getLHS();
        else if (BO->getLHS()->isNullPointerConstant(
                     Ctx, Expr::NPC_ValueDependentIsNotNull))
          X = BO->getRHS();
        if (!X)
          return std::nullopt;
        std::optional<bool> T = truth(X);
        if (!T)
          return std::nullopt;
        return Op == BO_NE ? *T : !*T;
      }
    }
    std::optional<int64_t> V = value(E);
    return V ? std::optional<bool>(*V != 0) : std::nullopt;
  }

private:
  ASTContext &Ctx;
  llvm::function_ref<bool(const Expr *)> IsToken;
  bool TokenNull;
};

void collectReturns(const Stmt *S,
                    llvm::SmallVectorImpl<const ReturnStmt *> &Out) {
  if (!S)
    return;
  if (const auto *RS = dyn_cast<ReturnStmt>(S))
    Out.push_back(RS);
  for (const Stmt *C : S->children())
    collectReturns(C, Out);
}

} // namespace

FillStatus statusFill(const FunctionDecl *FD, ASTContext &Ctx,
                      llvm::function_ref<bool(const Expr *)> IsToken) {
  QualType RT = FD->getReturnType();
  if (!RT->isIntegerType() || !FD->hasBody())
    return FilledAlways;
  llvm::SmallVector<const ReturnStmt *, 4> Rets;
  collectReturns(FD->getBody(), Rets);
  std::optional<bool> FilledZero;
  bool Depends = false;
  for (const ReturnStmt *RS : Rets) {
    const Expr *V = RS->getRetValue();
    if (!V)
      return FilledAlways;
    StatusEval Filled(Ctx, IsToken, false), Empty(Ctx, IsToken, true);
    std::optional<int64_t> F = Filled.value(V), N = Empty.value(V);
    if (!F || (FilledZero && *FilledZero != (*F == 0)))
      return FilledAlways;
    FilledZero = *F == 0;
    Depends |= N && (*N == 0) != (*F == 0);
  }
  if (!FilledZero || !Depends)
    return FilledAlways;
  return *FilledZero ? FilledOnZero : FilledOnNonZero;
}

bool hasStatusFills(const CallModel &M) {
  if (M.Fields)
    for (uint8_t Cond : M.Fields->FillConds)
      if ((Cond & 0x7f) != FilledAlways) // 0x80: FieldSummaries.cpp's KeptFill
        return true;
  return false;
}

} // namespace ownership
} // namespace tsmem
