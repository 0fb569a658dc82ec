//===- StatusFills.h - A status made from the place just filled -*- C++ -*-===//
//
// `s->f = ts_make(...); return s->f ? 0 : -1;`: on which result of the
// helper the fill is the caller's (StatusFills.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_ANALYSIS_STATUSFILLS_H
#define TSMEM_ANALYSIS_STATUSFILLS_H

#include "clang/AST/Decl.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstdint>

namespace tsmem {
struct CallModel;

namespace ownership {

/// On which result a helper's fill of a place holds a tensor. The values
/// are those of the conditional kinds of Summaries.cpp (MadeIfNull,
/// MadeIfNonNull), which the caller's objects carry.
enum FillStatus : uint8_t {
  FilledAlways = 0,
  FilledOnZero = 3,
  FilledOnNonZero = 4,
};

/// The status FD returns, read from its return statements, with the place
/// IsToken names NULL and non-NULL: FilledOnZero or FilledOnNonZero when
/// that place decides it, else FilledAlways.
FillStatus statusFill(const clang::FunctionDecl *FD, clang::ASTContext &Ctx,
                      llvm::function_ref<bool(const clang::Expr *)> IsToken);

/// Some field M fills is the caller's on one kind of result only.
bool hasStatusFills(const CallModel &M);

} // namespace ownership
} // namespace tsmem

#endif
