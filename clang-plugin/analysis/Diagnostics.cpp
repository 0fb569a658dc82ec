//===- Diagnostics.cpp - Reporting tsmem's memory diagnostics -------------===//
//
// Custom diagnostic IDs behave like Clang's own warnings here: errors under
// -Werror, nothing under -w, nothing in system headers, one report per
// check and location, off when -fplugin-arg-tsmem-disable names the check.
//
//===----------------------------------------------------------------------===//
#include "Diagnostics.h"
#include "Sarif.h"

#include "clang/Basic/SourceManager.h"

using namespace clang;

namespace tsmem {

llvm::StringRef checkName(Check C) {
  return AllChecks[static_cast<unsigned>(C)];
}

Reporter::Reporter(DiagnosticsEngine &Diags, const SourceManager &SM,
                   const PluginOptions &Opts)
    : Diags(Diags), SM(SM), Opts(Opts), Suppress(SM) {
  WarningID = Diags.getCustomDiagID(DiagnosticsEngine::Warning, "%0");
  ErrorID = Diags.getCustomDiagID(DiagnosticsEngine::Error, "%0");
  NoteID = Diags.getCustomDiagID(DiagnosticsEngine::Note, "%0");
}

bool Reporter::isEnabled(Check C) const {
  return Opts.isEnabled(checkName(C)) && !Diags.getIgnoreAllWarnings();
}

bool Reporter::isError(Check C) const {
  llvm::StringRef Name = checkName(C);
  if (Opts.ErrorChecks.contains(Name))
    return true;
  return Diags.getWarningsAsErrors() && !Opts.NoErrorChecks.contains(Name);
}

bool Reporter::warn(Check C, SourceLocation Loc, llvm::StringRef Message,
                    SourceRange Range, llvm::ArrayRef<FixItHint> FixIts) {
  LastShown = false;
  if (!isEnabled(C) || Loc.isInvalid())
    return false;
  if (Diags.getSuppressSystemWarnings() &&
      (SM.isInSystemHeader(SM.getExpansionLoc(Loc)) || SM.isInSystemMacro(Loc)))
    return false;
  if (!Seen.insert({static_cast<unsigned>(C), Loc.getRawEncoding()}).second)
    return false;
  // `// tsmem: ignore [CHECK]` on the line or alone on the line before.
  if (Suppress.isSuppressed(Loc, checkName(C)))
    return false;
  bool Error = isError(C);
  if (Sarif)
    Sarif->result(checkName(C), Error, Loc, Message);
  LastShown = true;
  if (Sink) {
    Sink->warning(C, Loc, Message, Range, FixIts);
    return true;
  }
  unsigned ID = Error ? ErrorID : WarningID;
  std::string Text = (Message + " [" + checkName(C) + "]").str();
  DiagnosticBuilder DB = Diags.Report(Loc, ID);
  DB << Text;
  if (Range.isValid())
    DB << Range;
  for (const FixItHint &Fix : FixIts)
    DB << Fix;
  return true;
}

void Reporter::note(SourceLocation Loc, llvm::StringRef Message) {
  if (!LastShown || Loc.isInvalid())
    return;
  if (Sarif)
    Sarif->note(Loc, Message);
  if (Sink) {
    Sink->note(Loc, Message);
    return;
  }
  Diags.Report(Loc, NoteID) << Message;
}

} // namespace tsmem
