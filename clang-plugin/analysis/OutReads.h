//===- OutReads.h - An out-parameter read after it was filled ---*- C++ -*-===//
//
// `*x = ts_make(...); if (!*x) return -1; ... ts_mul(*x, *x) ...`: reads of
// what the function itself stored (OutReads.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_ANALYSIS_OUTREADS_H
#define TSMEM_ANALYSIS_OUTREADS_H

#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace tsmem {

class CallModels;

namespace ownership {

/// The references to the `ts_tensor **` parameters of Params (null: not a
/// candidate) that read `*p` (or `p[0]`) after a store `*p = v` that every
/// path to the read passes, in a test for NULL or as an argument of a tsmem
/// call that only reads it or frees it: they read the function's own
/// tensor, never the caller's old one, and hand it nowhere.
void outReadsAfterStore(const clang::FunctionDecl *FD,
                        llvm::ArrayRef<const clang::ParmVarDecl *> Params,
                        CallModels &Models,
                        llvm::SmallPtrSetImpl<const clang::DeclRefExpr *> &Out);

/// `c ? make(...) : NULL` (or the other way round): a store of it that
/// gives no tensor stored NULL.
bool nullUnlessMade(const clang::Expr *E, clang::ASTContext &Ctx);

/// Some return of FD names P.
bool returnReads(const clang::FunctionDecl *FD, const clang::ParmVarDecl *P);

/// Whether Caller's body, after CE, reads VD for more than a NULL test or
/// gives its address on: a caller that never does takes nothing from a
/// helper that hands a tensor back through `&VD` only on one status.
bool usedAfterCall(const clang::FunctionDecl *Caller, const clang::CallExpr *CE,
                   const clang::VarDecl *VD, clang::ASTContext &Ctx);

/// p when E is `*p` or `p[0]` (parentheses and casts aside), else null.
const clang::ParmVarDecl *derefParam(const clang::Expr *E);

} // namespace ownership
} // namespace tsmem

#endif
