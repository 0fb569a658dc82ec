//===- ArrayDupFrees.h - One tensor freed twice through an array -*- C++
//-*-===//
//
// A local array of tensors whose initialiser lists the same variable or
// field twice, then freed whole by a loop; or a free loop over an array on
// a branch, followed by the same loop unconditionally: a tensor is freed
// twice. The dataflow folds an array's elements into "some element" and a
// loop may run zero times, so it does not see either; this check reads the
// statements instead, once per function.
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_CLANG_PLUGIN_ARRAYDUPFREES_H
#define TSMEM_CLANG_PLUGIN_ARRAYDUPFREES_H

#include "FunctionAnalysis.h"

namespace tsmem {

/// Reports to Out the frees in FD of a tensor that an earlier free in the
/// same block already freed through the same local array.
void checkArrayDupFrees(const clang::FunctionDecl *FD, CallModels &Models,
                        clang::ASTContext &Ctx, Findings &Out);

} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_ARRAYDUPFREES_H
