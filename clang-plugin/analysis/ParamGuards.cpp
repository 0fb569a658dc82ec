//===- ParamGuards.cpp - Ways out where a pointer parameter is NULL -------===//
//
// A teardown that first checks its struct pointer,
//
//   static void graph_free(struct graph *g) {
//     if (!g)
//       return;                       /* no struct: nothing to free */
//     ts_free(g->x);
//     free(g);
//   }
//
// frees g->x on every way out where there is a struct at all. The summary
// (FieldSummaries.cpp, EntryFields.cpp) does not count the way out taken
// when g is NULL against the fields under g: a caller that reads or passes
// a field of the struct has one.
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"

namespace tsmem {
namespace ownership {

namespace {
/// The pointer parameter C tests for NULL (`!p`, `p == NULL`, `p`), and
/// whether its true edge is the NULL one.
const ParmVarDecl *testedParam(const Expr *C, bool &NullOnTrue,
                               ASTContext &Ctx) {
  C = C->IgnoreParenImpCasts();
  NullOnTrue = false;
  if (const auto *UO = dyn_cast<UnaryOperator>(C)) {
    if (UO->getOpcode() != UO_LNot)
      return nullptr;
    const ParmVarDecl *P = testedParam(UO->getSubExpr(), NullOnTrue, Ctx);
    NullOnTrue = !NullOnTrue;
    return P;
  }
  if (const auto *BO = dyn_cast<BinaryOperator>(C)) {
    if (BO->getOpcode() != BO_EQ && BO->getOpcode() != BO_NE)
      return nullptr;
    const Expr *L = BO->getLHS()->IgnoreParenImpCasts();
    const Expr *R = BO->getRHS()->IgnoreParenImpCasts();
    if (isa<DeclRefExpr>(R))
      std::swap(L, R);
    if (!isa<DeclRefExpr>(L) ||
        !R->isNullPointerConstant(Ctx, Expr::NPC_ValueDependentIsNotNull))
      return nullptr;
    const ParmVarDecl *P = testedParam(L, NullOnTrue, Ctx);
    NullOnTrue = BO->getOpcode() == BO_EQ;
    return P;
  }
  const auto *DRE = dyn_cast<DeclRefExpr>(C);
  const auto *P = DRE ? dyn_cast<ParmVarDecl>(DRE->getDecl()) : nullptr;
  return P && P->getType()->isPointerType() &&
                 P->getType()->getPointeeType()->isRecordType()
             ? P
             : nullptr;
}
} // namespace

void FunctionAnalyzer::noteNullParamExit(const BlockInfo &BI) {
  const CFGBlock *B = BI.B;
  if (!BI.Ret || B->pred_size() != 1)
    return;
  const CFGBlock *Pred = B->pred_begin()->getReachableBlock();
  if (!Pred || Pred->succ_size() != 2)
    return;
  const Stmt *T = Pred->getTerminatorStmt();
  const auto *If = dyn_cast_or_null<IfStmt>(T);
  if (!If || If->getConditionVariable())
    return;
  bool NullOnTrue = false;
  const ParmVarDecl *P = testedParam(If->getCond(), NullOnTrue, Ctx);
  if (!P)
    return;
  auto Succ = Pred->succ_begin();
  if (Succ[NullOnTrue ? 0 : 1].getReachableBlock() != B)
    return;
  NullParamExits[B->getBlockID()] = P;
  // Noted as a way out for the field summaries even when it is transferred
  // before any field was read (the others' fields count, not its own).
  ExitFields[B->getBlockID()];
  ExitEntries[B->getBlockID()];
}

bool FunctionAnalyzer::nullParamExit(unsigned Block, LocKey L) const {
  auto It = NullParamExits.find(Block);
  return It != NullParamExits.end() && L->Base == It->second;
}

} // namespace ownership
} // namespace tsmem
