//===- CheckControl.h - Per-check and per-line control -------*- C++ -*-===//
//
// The plugin arguments that set how each check reports, and the in-source
// comment that silences one finding:
//
//   -fplugin-arg-tsmem-error=CHECK[,CHECK]     those checks are errors
//   -fplugin-arg-tsmem-no-error=CHECK[,CHECK]  stay warnings under -Werror
//   -fplugin-arg-tsmem-sarif=FILE              SARIF 2.1.0 log (Sarif.h)
//   // tsmem: ignore [CHECK[,CHECK]]           on the finding's line, or
//                                              alone on the line before it
//
// CHECK is a check name with or without its `tsmem-` prefix.
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_CLANG_PLUGIN_CHECKCONTROL_H
#define TSMEM_CLANG_PLUGIN_CHECKCONTROL_H

#include "PluginOptions.h"

#include "clang/Basic/SourceLocation.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <optional>
#include <vector>

namespace clang {
class DiagnosticsEngine;
class SourceManager;
} // namespace clang

namespace tsmem {

/// The full name of a check given as `leak` or `tsmem-leak`; "" if unknown.
std::string canonicalCheckName(llvm::StringRef Name);

/// Parses the -fplugin-arg-tsmem-error=, -no-error= and -sarif= arguments
/// into Opts. None: Arg is none of them; false: it is, and was reported as
/// wrong.
std::optional<bool> parseControlArg(clang::DiagnosticsEngine &Diags,
                                    llvm::StringRef Arg, PluginOptions &Opts);

/// Finds `// tsmem: ignore` comments. Lines are read from the presumed file
/// (the line markers of a .i file name the source), so a preprocessed file
/// is silenced as its source is.
class Suppressions {
public:
  explicit Suppressions(const clang::SourceManager &SM) : SM(SM) {}

  /// Whether a comment silences Check (a full name) at Loc.
  bool isSuppressed(clang::SourceLocation Loc, llvm::StringRef Check);

  /// Whether the comment text on Line silences Check. CommentOnly: the line
  /// must hold nothing but the comment (the line before a finding).
  static bool lineSuppresses(llvm::StringRef Line, llvm::StringRef Check,
                             bool CommentOnly);

private:
  struct FileLines {
    std::unique_ptr<llvm::MemoryBuffer> Owned; // read from disk, if it was
    llvm::StringRef Text;
    std::vector<unsigned> Starts; // offset of each line, 0-based
  };
  FileLines *linesOf(clang::SourceLocation Loc, llvm::StringRef Presumed,
                     bool &UseBuffer);
  llvm::StringRef line(FileLines &F, unsigned Line);

  const clang::SourceManager &SM;
  llvm::StringMap<std::unique_ptr<FileLines>> Files;
};

} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_CHECKCONTROL_H
