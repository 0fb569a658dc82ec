//===- Diagnostics.h - Reporting tsmem's memory diagnostics -----*- C++ -*-===//
//
// The five checks of SPEC.md section 5 reported through Clang's diagnostics
// engine. Clang 19 applies neither -Werror, -w nor system-header suppression
// to a plugin's custom diagnostics, so the Reporter applies them itself.
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_CLANG_PLUGIN_DIAGNOSTICS_H
#define TSMEM_CLANG_PLUGIN_DIAGNOSTICS_H

#include "CheckControl.h"
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
#define TSMEM_CHECK(Enum, Name, SarifId, Short, Full, Help) Enum,
#include "Checks.def"
};

llvm::StringRef checkName(Check C);

class SarifLog;

/// Where shown findings go instead of the diagnostics engine (clang-tidy's
/// module, TidyModule.cpp). Message comes without the `[check-name]`.
class FindingSink {
public:
  virtual ~FindingSink() = default;
  virtual void warning(Check C, clang::SourceLocation Loc,
                       llvm::StringRef Message, clang::SourceRange Range,
                       llvm::ArrayRef<clang::FixItHint> FixIts) = 0;
  virtual void note(clang::SourceLocation Loc, llvm::StringRef Message) = 0;
};

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

  /// Shown findings also go to Log (-fplugin-arg-tsmem-sarif).
  void setSarif(SarifLog *Log) { Sarif = Log; }
  /// Shown findings go to Sink only, not to the diagnostics engine.
  void setSink(FindingSink *S) { Sink = S; }

  /// Error or warning: -fplugin-arg-tsmem-error/-no-error, then -Werror.
  bool isError(Check C) const;

private:
  clang::DiagnosticsEngine &Diags;
  const clang::SourceManager &SM;
  const PluginOptions &Opts;
  unsigned WarningID, ErrorID, NoteID;
  bool LastShown = false;
  llvm::DenseSet<std::pair<unsigned, unsigned>> Seen;
  Suppressions Suppress;
  SarifLog *Sarif = nullptr;
  FindingSink *Sink = nullptr;
};

} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_DIAGNOSTICS_H
