//===- Sarif.h - tsmem's findings as a SARIF 2.1.0 log ----------*- C++ -*-===//
//
// -fplugin-arg-tsmem-sarif=FILE writes the compile's findings as a SARIF
// 2.1.0 log that GitHub code scanning accepts: one rule per check (its
// name as the id, with short and full descriptions and help), results
// naming their rule, notes as related locations, files as absolute file://
// URIs of the presumed (source) file. tools/tsmem-check merges these logs.
// clang's own -fdiagnostics-format=sarif gives all custom diagnostics one
// numeric rule id, which is why the plugin writes its own.
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_CLANG_PLUGIN_SARIF_H
#define TSMEM_CLANG_PLUGIN_SARIF_H

#include "clang/Basic/SourceLocation.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace clang {
class DiagnosticsEngine;
class SourceManager;
} // namespace clang

namespace tsmem {

/// What a check finds, for SARIF rules and clang-tidy's documentation.
struct CheckInfo {
  llvm::StringLiteral Name, RuleName, Short, Full, Help;
};
/// In AllChecks order.
extern const CheckInfo CheckInfos[5];

class SarifLog {
public:
  explicit SarifLog(const clang::SourceManager &SM) : SM(SM) {}

  void result(llvm::StringRef Check, bool Error, clang::SourceLocation Loc,
              llvm::StringRef Message);
  /// A related location of the last result.
  void note(clang::SourceLocation Loc, llvm::StringRef Message);

  /// Writes the log to Path; reports a failure through Diags.
  void write(llvm::StringRef Path, clang::DiagnosticsEngine &Diags) const;

private:
  struct Where {
    std::string File;
    unsigned Line = 0, Column = 0;
  };
  struct Note {
    Where At;
    std::string Message;
  };
  struct Result {
    std::string Check, Message;
    bool Error = false;
    Where At;
    std::vector<Note> Notes;
  };
  Where where(clang::SourceLocation Loc) const;

  const clang::SourceManager &SM;
  std::vector<Result> Results;
};

} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_SARIF_H
