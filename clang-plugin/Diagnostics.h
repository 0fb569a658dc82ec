//===- Diagnostics.h - Reporting tsmem's memory diagnostics -----*- C++ -*-===//
//
// The five checks of SPEC.md section 5 reported through Clang's diagnostics
// engine. Clang 19 applies neither -Werror, -w nor system-header suppression
// to a plugin's custom diagnostics, so the Reporter applies them itself.
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_CLANG_PLUGIN_DIAGNOSTICS_H
#define TSMEM_CLANG_PLUGIN_DIAGNOSTICS_H

#include "PluginOptions.h"

#include "clang/Basic/Diagnostic.h"
#include "clang/Basic/SourceLocation.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringRef.h"

#include <utility>

namespace clang {
class SourceManager;
} // namespace clang

namespace tsmem {

/// The checks, in SPEC.md section 5 order (AllChecks gives their names).
enum class Check {
  UnescapedReturn,
  UseAfterScope,
  Leak,
  UseAfterFree,
  DoubleFree
};

llvm::StringRef checkName(Check C);

class Reporter {
public:
  Reporter(clang::DiagnosticsEngine &Diags, const clang::SourceManager &SM,
           const PluginOptions &Opts);

  bool isEnabled(Check C) const;

  /// Reports `Message [check-name]` at Loc, once per check and location.
  /// Returns whether it was shown; notes() only follow a shown warning.
  bool warn(Check C, clang::SourceLocation Loc, llvm::StringRef Message,
            clang::SourceRange Range = {},
            llvm::ArrayRef<clang::FixItHint> FixIts = {});

  /// A note attached to the last warning, if that one was shown.
  void note(clang::SourceLocation Loc, llvm::StringRef Message);

private:
  clang::DiagnosticsEngine &Diags;
  const clang::SourceManager &SM;
  const PluginOptions &Opts;
  unsigned WarningID, ErrorID, NoteID;
  bool LastShown = false;
  llvm::DenseSet<std::pair<unsigned, unsigned>> Seen;
};

} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_DIAGNOSTICS_H
