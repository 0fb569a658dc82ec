//===- ShellFrees.h - free() of memory that still holds tensors -*- C++ -*-===//
//
// `free(node)` releases a heap object (or `free(t->items)` a heap array)
// whose tensor fields (or elements) the function never freed, read nor
// handed on: the tensors are lost with the memory that held them. Only
// for fields the file frees elsewhere (so the object owns them).
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_CLANG_PLUGIN_SHELLFREES_H
#define TSMEM_CLANG_PLUGIN_SHELLFREES_H

#include "FunctionAnalysis.h"

namespace tsmem {

/// Reports to Out each free() in FD of an object or array holding owned
/// tensors FD never names.
void checkShellFrees(const clang::FunctionDecl *FD, BodyScope Scope,
                     CallModels &Models, clang::ASTContext &Ctx, Findings &Out);

} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_SHELLFREES_H
