//===- Checks.h - Every message the analysis prints -------------*- C++ -*-===//
//
// The messages of Checks.def by id: the warning's check, and its text with
// %0, %1 replaced by the arguments.
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_CLANG_PLUGIN_CHECKS_H
#define TSMEM_CLANG_PLUGIN_CHECKS_H

#include "Diagnostics.h"
#include "FunctionAnalysis.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace tsmem {

enum class Message {
#define TSMEM_WARNING(Id, Check, Format) Id,
#define TSMEM_NOTE(Id, Format) Id,
#define TSMEM_REMARK(Id, Format) Id,
#include "Checks.def"
};

/// The format of M, with %0, %1 where its arguments go.
llvm::StringRef messageFormat(Message M);
/// The check a warning belongs to.
Check checkOf(Message M);
/// M's text with its arguments in place.
std::string formatMessage(Message M, llvm::ArrayRef<llvm::StringRef> Args = {});

/// Findings::warn and Findings::note, by message id. warn() returns true:
/// whether the warning is shown is decided when the findings are replayed.
inline bool warn(Findings &R, Message M, clang::SourceLocation Loc,
                 llvm::ArrayRef<llvm::StringRef> Args = {},
                 clang::SourceRange Range = {},
                 llvm::ArrayRef<clang::FixItHint> FixIts = {}) {
  R.warn(checkOf(M), Loc, formatMessage(M, Args), Range, FixIts);
  return true;
}
inline void note(Findings &R, Message M, clang::SourceLocation Loc,
                 llvm::ArrayRef<llvm::StringRef> Args = {}) {
  R.note(Loc, formatMessage(M, Args));
}

} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_CHECKS_H
