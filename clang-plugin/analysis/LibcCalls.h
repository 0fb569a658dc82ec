//===- LibcCalls.h - The C library calls the checks recognise ---*- C++ -*-===//
//
// By name, as a reader of the C would: the checks that follow heap objects
// and heap arrays of tensors (ArrayFrees.cpp, ShellFrees.cpp,
// ShortFreeLoops.cpp) need to know where such memory comes from and where
// it is given back.
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_CLANG_PLUGIN_LIBCCALLS_H
#define TSMEM_CLANG_PLUGIN_LIBCCALLS_H

#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"

namespace tsmem {

/// `free(x)`.
inline bool isLibcFree(const clang::CallExpr *CE) {
  const clang::FunctionDecl *Callee = CE->getDirectCallee();
  return Callee && Callee->getIdentifier() && Callee->getName() == "free" &&
         CE->getNumArgs() == 1;
}

/// `malloc(...)` or `calloc(...)`, under any parentheses and casts.
inline bool isHeapAlloc(const clang::Expr *E) {
  const auto *CE =
      llvm::dyn_cast_or_null<clang::CallExpr>(E ? E->IgnoreParenCasts() : E);
  const clang::FunctionDecl *Callee = CE ? CE->getDirectCallee() : nullptr;
  return Callee && Callee->getIdentifier() &&
         (Callee->getName() == "malloc" || Callee->getName() == "calloc");
}

} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_LIBCCALLS_H
