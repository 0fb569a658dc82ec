//===- ShortFreeLoops.h - Free loops that stop short of a count -*- C++ -*-===//
//
// `for (i = 0; i < x.n - 1; i++) ts_free(x.a[i]); free(x.a);`: the file
// frees x.a's elements up to x.n elsewhere, so x.n counts them; this loop
// stops short and the array is released with the last ones in it.
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_CLANG_PLUGIN_SHORTFREELOOPS_H
#define TSMEM_CLANG_PLUGIN_SHORTFREELOOPS_H

#include "FunctionAnalysis.h"

namespace tsmem {

/// Reports to Out each free loop of FD over a heap array field that stops
/// short of the count field the file's teardowns use, followed by free().
void checkShortFreeLoops(const clang::FunctionDecl *FD, BodyScope Scope,
                         CallModels &Models, clang::ASTContext &Ctx,
                         Findings &Out);

} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_SHORTFREELOOPS_H
