//===- OutReplace.h - Helpers that free *p and store a new tensor there -*- C++
//-*-===//
//
// `static int step(ts_tensor **x) { ...; ts_free(*x); *x = made; ... }`:
// on every path *x either keeps the caller's tensor untouched or gets a
// new tensor after the old one was freed. Either way the caller still
// holds one tensor it must free in its variable (issue 15, FN 17).
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_CLANG_PLUGIN_OUTREPLACE_H
#define TSMEM_CLANG_PLUGIN_OUTREPLACE_H

#include <cstdint>

namespace clang {
class FunctionDecl;
} // namespace clang

namespace tsmem {

class CallModels;

/// The `ts_tensor **` parameters of FD (bit I for parameter I < 32) whose
/// pointee FD only reads with borrowing calls, tests for NULL, frees once
/// (`ts_free(*p)`, maybe under `if (*p)`) and stores once (`*p = v`), the
/// store following the free in the same block with no jump between them:
/// whenever the store runs, the old tensor was freed just before. Whether
/// what is stored is a new tensor the dataflow says (Summaries.cpp).
uint32_t replaceCandidates(const clang::FunctionDecl *FD, CallModels &Models);

} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_OUTREPLACE_H
