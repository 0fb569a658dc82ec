//===- BorrowedLiterals.h - Arrays of tensors written in a call -*- C++ -*-===//
//
// `ts_cat((const ts_tensor *[]){a, b}, 2, 0)`: a compound literal array of
// tensors given straight to a tsmem call that takes `const ts_tensor
// *const *` and a count only lends them to it, as a local array does
// (Elements.cpp). Its elements are used there, not handed on: decode
// leaves the literal's aggregate op out, and visitCall uses each element.
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_ANALYSIS_BORROWEDLITERALS_H
#define TSMEM_ANALYSIS_BORROWEDLITERALS_H

#include "OwnershipModel.h"

#include "clang/AST/Expr.h"

namespace tsmem {
namespace ownership {

/// The initialiser list of argument I of CE when it is such a literal;
/// else null.
inline const clang::InitListExpr *
borrowedLiteral(const clang::CallExpr *CE, unsigned I, const CallModel &M) {
  const clang::FunctionDecl *Callee = CE->getDirectCallee();
  if (!Callee || !M.Api ||
      (M.Kind != CallKind::Borrow && M.Kind != CallKind::Owned) ||
      I + 1 >= CE->getNumArgs() || I + 1 >= Callee->getNumParams())
    return nullptr;
  clang::QualType PT = Callee->getParamDecl(I)->getType();
  if (!PT->isPointerType() || !isTensorPointer(PT->getPointeeType()) ||
      !PT->getPointeeType()->getPointeeType().isConstQualified() ||
      !Callee->getParamDecl(I + 1)->getType()->isIntegerType())
    return nullptr;
  const auto *CL = llvm::dyn_cast<clang::CompoundLiteralExpr>(
      CE->getArg(I)->IgnoreParenCasts());
  return CL ? llvm::dyn_cast_or_null<clang::InitListExpr>(CL->getInitializer())
            : nullptr;
}

} // namespace ownership
} // namespace tsmem

#endif
