//===- ArrayFrees.h - Arrays filled whole and freed in part -----*- C++ -*-===//
//
// A local array of tensors (or an array field of a local struct) filled by
// a counted loop over every element, then freed by counted loops and
// constant-index frees that leave some elements out (a loop that stops one
// short): the elements left out leak. The dataflow folds an array's
// elements into "some element", so it cannot count them; this check reads
// the statements instead, once per function.
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_CLANG_PLUGIN_ARRAYFREES_H
#define TSMEM_CLANG_PLUGIN_ARRAYFREES_H

#include "FunctionAnalysis.h"

namespace tsmem {

/// Reports to Out the elements of FD's local tensor arrays that a counted
/// loop fills and no free reaches, when nothing else touches the array but
/// reads of its elements by calls that only borrow them.
void checkArrayFrees(const clang::FunctionDecl *FD, BodyScope Scope,
                     CallModels &Models, clang::ASTContext &Ctx, Findings &Out);

} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_ARRAYFREES_H
