//===- LoopShapes.h - Counted loops and jumps, read off the AST -*- C++ -*-===//
//
// The pieces of a `for (i = A; i < B; i++)` loop that the checks reading
// statements share (CountedLoops.cpp, ArrayFrees.cpp, ArrayParams.cpp): its
// counter and start, its test, its step; and whether a statement holds a
// jump (break, continue, goto, return, a label) that may leave it early or
// enter it in the middle (ArrayFrees.cpp, ArrayParams.cpp, OutReplace.cpp).
// Each caller decides what bounds it accepts.
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_CLANG_PLUGIN_LOOPSHAPES_H
#define TSMEM_CLANG_PLUGIN_LOOPSHAPES_H

#include "clang/AST/ASTContext.h"
#include "clang/AST/Expr.h"
#include "clang/AST/Stmt.h"

namespace tsmem {

/// E's value when it is an integer constant (not value-dependent).
bool intConstant(const clang::Expr *E, const clang::ASTContext &Ctx,
                 int64_t &V);

/// The counter of FS: `i = A` or one declaration `int i = A` as its init,
/// with i of integer type. Start is A. Null when the init is anything
/// else.
const clang::VarDecl *loopCounter(const clang::ForStmt *FS,
                                  const clang::Expr *&Start);

/// FS's test, parentheses and implicit casts stripped, when it is a binary
/// operator (`i < B`); else null.
const clang::BinaryOperator *loopTest(const clang::ForStmt *FS);

/// What FS's increment adds to I: 1 for `i++` or `++i`, -1 for `i--` or
/// `--i`; with Compound, also 1 for `i += 1` and -1 for `i -= 1`. 0 for
/// anything else.
int loopStep(const clang::ForStmt *FS, const clang::VarDecl *I,
             const clang::ASTContext &Ctx, bool Compound);

/// Whether S holds a break, continue, goto (direct or computed), return or
/// label; with Cases, a case or default label too; with Counter, a write
/// to it (`++`, `--`, an assignment) or its address taken.
bool hasJump(const clang::Stmt *S, const clang::VarDecl *Counter = nullptr,
             bool Cases = false);

} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_LOOPSHAPES_H
