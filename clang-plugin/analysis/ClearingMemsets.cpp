//===- ClearingMemsets.cpp - memset(p, 0, sizeof *p) clears the struct ----===//
//
// A teardown often ends by zeroing the whole struct:
//
//   static void model_free(struct model *m) {
//     ts_free(m->w);
//     ts_free(m->b);
//     memset(m, 0, sizeof *m);
//   }
//
// Taken as an unknown call, the memset would hand every tensor of the
// struct on, and the summary would lose that the teardown freed them. It
// is a store of NULL into every field and element instead: the freed
// tensors stay freed (a caller that freed m.w by hand first frees it again
// in the teardown), and a tensor the struct alone held is lost.
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"

#include "clang/Basic/Builtins.h"

namespace tsmem {
namespace ownership {

bool FunctionAnalyzer::clearingMemset(const CallExpr *CE) {
  const FunctionDecl *Callee = CE->getDirectCallee();
  if (!Callee || CE->getNumArgs() != 3)
    return false;
  unsigned Id = Callee->getBuiltinID();
  if (Id != Builtin::BImemset && Id != Builtin::BI__builtin_memset)
    return false;
  Expr::EvalResult V, N;
  if (CE->getArg(1)->isValueDependent() || CE->getArg(2)->isValueDependent() ||
      !CE->getArg(1)->EvaluateAsInt(V, Ctx) || V.Val.getInt() != 0 ||
      !CE->getArg(2)->EvaluateAsInt(N, Ctx))
    return false;
  // The destination: `&s` (a struct or an array) or `p` (a pointer to a
  // struct), the whole of it.
  const Expr *A = ignoreParenCasts(CE->getArg(0));
  QualType T;
  LocKey P = nullptr;
  if (const auto *UO = dyn_cast<UnaryOperator>(A)) {
    if (UO->getOpcode() != UO_AddrOf)
      return false;
    T = UO->getSubExpr()->getType();
    P = placeOf(UO->getSubExpr());
  } else if (A->getType()->isPointerType()) {
    T = A->getType()->getPointeeType();
    P = placeOf(A);
  } else if (A->getType()->isArrayType()) {
    T = A->getType();
    P = placeOf(A);
  }
  if (!P || !isExact(P) || T.isNull() || T->isIncompleteType() ||
      (!T->isRecordType() && !T->isConstantArrayType()) ||
      N.Val.getInt() != Ctx.getTypeSizeInChars(T).getQuantity())
    return false;
  llvm::SmallVector<LocKey, 8> Qs;
  LocTable::forEachUnder(P, [&](LocKey Q) {
    if (Q != P && S.Pts.count(Q))
      Qs.push_back(Q);
  });
  for (LocKey Q : Qs)
    S.setPts(Q, ObjSet());
  S.Dirty |= !Qs.empty();
  return true;
}

} // namespace ownership
} // namespace tsmem
