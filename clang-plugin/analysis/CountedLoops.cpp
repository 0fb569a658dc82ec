//===- CountedLoops.cpp - Counted loops over arrays -----------------------===//
//
// The counted loop `for (i = 0; i < K; i++)`, read off each block's
// terminator while decoding: a loop that runs at least once (runsOnce),
// and an index that names every element of an array of at most K
// (coversAll), for a strong free through `xs[i]` (Fields.cpp).
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"
#include "LoopShapes.h"

namespace tsmem {
namespace ownership {

namespace {
/// E's value when it is an integer constant (a literal, most often).
bool intValue(const Expr *E, const ASTContext &Ctx, llvm::APSInt &V) {
  if (const auto *IL = dyn_cast<IntegerLiteral>(E->IgnoreParenImpCasts())) {
    V = llvm::APSInt(IL->getValue(), false);
    return true;
  }
  Expr::EvalResult R;
  if (!E->EvaluateAsInt(R, Ctx))
    return false;
  V = R.Val.getInt();
  return true;
}

/// The counted loop `for (i = 0; i < K; i++)` (or `i <= K - 1`, `i != K`,
/// `++i`, `i += 1`): its variable and K.
const VarDecl *countedLoop(const ForStmt *FS, const ASTContext &Ctx,
                           uint64_t &K) {
  const Expr *Start = nullptr;
  const VarDecl *I = loopCounter(FS, Start); // LoopShapes.cpp
  if (!I)
    return nullptr;
  const auto *C = loopTest(FS);
  if (!C || varOf(C->getLHS()) != I ||
      !isa<DeclRefExpr>(C->getLHS()->IgnoreParenImpCasts()))
    return nullptr;
  llvm::APSInt V;
  if (!intValue(Start, Ctx, V) || V != 0)
    return nullptr;
  if (!intValue(C->getRHS(), Ctx, V) || V.isNegative())
    return nullptr;
  uint64_t Bound = V.getLimitedValue(1u << 30);
  if (C->getOpcode() == BO_LE)
    ++Bound;
  else if (C->getOpcode() != BO_LT && C->getOpcode() != BO_NE)
    return nullptr;
  if (loopStep(FS, I, Ctx, /*Compound=*/true) != 1)
    return nullptr;
  K = Bound;
  return I;
}
} // namespace

/// Every non-constant index on the way to Arg is the variable of a counted
/// loop at least as long as the array.
bool FunctionAnalyzer::coversAll(const Expr *Arg) const {
  const Expr *E = ignoreParenCasts(Arg);
  while (true) {
    if (const auto *ME = dyn_cast<MemberExpr>(E)) {
      E = ignoreParenCasts(ME->getBase());
      continue;
    }
    const auto *AS = dyn_cast<ArraySubscriptExpr>(E);
    if (!AS)
      return true;
    const Expr *Base = AS->getBase()->IgnoreParenImpCasts();
    Expr::EvalResult R;
    if (!AS->getIdx()->EvaluateAsInt(R, Ctx)) {
      const auto *AT = Ctx.getAsConstantArrayType(Base->getType());
      const VarDecl *I = varOf(AS->getIdx());
      auto It = I ? Covers.find(I) : Covers.end();
      if (!AT || It == Covers.end() ||
          It->second < AT->getSize().getZExtValue())
        return false;
    }
    E = ignoreParenCasts(Base);
  }
}

/// Counted loops, read off each block's terminator while decoding.
void FunctionAnalyzer::noteCountedLoop(const Stmt *Term) {
  const auto *FS = dyn_cast_or_null<ForStmt>(Term);
  if (!FS || OnceLoops.count(FS))
    return;
  uint64_t K = 0;
  const VarDecl *I = countedLoop(FS, Ctx, K);
  if (!I) {
    noteCountLoop(FS); // CountLoops.cpp
    return;
  }
  if (K > 0)
    OnceLoops.insert(FS);
  // An index names every element only inside its own loop: only a
  // variable the loop declares is sure to be there.
  if (!isa<DeclStmt>(FS->getInit()))
    return;
  auto [It, New] = Covers.insert({I, K});
  if (!New)
    It->second = std::min(It->second, K);
}

bool FunctionAnalyzer::runsOnce(const Stmt *Term) const {
  return Term && OnceLoops.count(Term);
}

} // namespace ownership
} // namespace tsmem
