//===- CheckControl.cpp - Per-check and per-line control of the checks ----===//
#include "CheckControl.h"

#include "clang/Basic/Diagnostic.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"

using namespace clang;

namespace tsmem {

std::string canonicalCheckName(llvm::StringRef Name) {
  Name = Name.trim();
  std::string Full =
      Name.starts_with("tsmem-") ? Name.str() : ("tsmem-" + Name).str();
  return llvm::is_contained(AllChecks, Full) ? Full : std::string();
}

std::optional<bool> parseControlArg(DiagnosticsEngine &Diags,
                                    llvm::StringRef Arg, PluginOptions &Opts) {
  if (Arg.consume_front("sarif=")) {
    if (Arg.empty()) {
      Diags.Report(Diags.getCustomDiagID(
          DiagnosticsEngine::Error,
          "tsmem plugin: -fplugin-arg-tsmem-sarif needs a file name"));
      return false;
    }
    Opts.SarifFile = Arg.str();
    return true;
  }
  llvm::StringSet<> *Set = nullptr;
  const char *Option = nullptr;
  if (Arg.consume_front("error=")) {
    Set = &Opts.ErrorChecks;
    Option = "-fplugin-arg-tsmem-error";
  } else if (Arg.consume_front("no-error=")) {
    Set = &Opts.NoErrorChecks;
    Option = "-fplugin-arg-tsmem-no-error";
  } else {
    return std::nullopt;
  }
  llvm::SmallVector<llvm::StringRef, 5> Names;
  Arg.split(Names, ',', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
  if (Names.empty()) {
    Diags.Report(Diags.getCustomDiagID(DiagnosticsEngine::Error,
                                       "tsmem plugin: %0 needs a check name"))
        << Option;
    return false;
  }
  for (llvm::StringRef Name : Names) {
    std::string Check = canonicalCheckName(Name);
    if (Check.empty()) {
      Diags.Report(Diags.getCustomDiagID(
          DiagnosticsEngine::Error,
          "tsmem plugin: unknown check '%0' in %1; the checks are "
          "tsmem-unescaped-return, tsmem-use-after-scope, tsmem-leak, "
          "tsmem-use-after-free and tsmem-double-free"))
          << Name << Option;
      return false;
    }
    Set->insert(Check);
  }
  return true;
}

bool Suppressions::lineSuppresses(llvm::StringRef Line, llvm::StringRef Check,
                                  bool CommentOnly) {
  size_t At = Line.find("tsmem: ignore");
  if (At == llvm::StringRef::npos)
    return false;
  // Inside a comment that starts before the marker.
  llvm::StringRef Before = Line.take_front(At);
  size_t Comment = std::min(Before.find("//"), Before.find("/*"));
  if (Comment == llvm::StringRef::npos)
    return false;
  if (CommentOnly && !Before.take_front(Comment).trim().empty())
    return false;
  llvm::StringRef Rest = Line.drop_front(At + strlen("tsmem: ignore"));
  if (!Rest.empty() && (isalnum(Rest.front()) || Rest.front() == '-'))
    return false; // "tsmem: ignored", not the marker
  // The check names that follow, separated by commas or spaces; none: all.
  bool Named = false;
  while (true) {
    Rest = Rest.ltrim(" \t,");
    size_t Len = 0;
    while (Len < Rest.size() &&
           (isalnum(Rest[Len]) || Rest[Len] == '-' || Rest[Len] == '_'))
      ++Len;
    if (Len == 0)
      break;
    std::string Name = canonicalCheckName(Rest.take_front(Len));
    if (Name.empty())
      break; // the comment's prose
    if (Name == Check)
      return true;
    Named = true;
    Rest = Rest.drop_front(Len);
  }
  return !Named;
}

Suppressions::FileLines *Suppressions::linesOf(SourceLocation Loc,
                                               llvm::StringRef Presumed,
                                               bool &UseBuffer) {
  std::string Key = (UseBuffer ? "buffer:" : "file:") + Presumed.str();
  auto It = Files.find(Key);
  if (It != Files.end())
    return It->second.get();
  auto F = std::make_unique<FileLines>();
  if (UseBuffer) {
    F->Text = SM.getBufferData(SM.getFileID(Loc));
  } else if (auto Buf = llvm::MemoryBuffer::getFile(Presumed)) {
    F->Owned = std::move(*Buf);
    F->Text = F->Owned->getBuffer();
  }
  F->Starts.push_back(0);
  for (size_t I = 0; I < F->Text.size(); ++I)
    if (F->Text[I] == '\n')
      F->Starts.push_back(I + 1);
  return (Files[Key] = std::move(F)).get();
}

llvm::StringRef Suppressions::line(FileLines &F, unsigned Line) {
  if (Line == 0 || Line > F.Starts.size())
    return {};
  size_t Begin = F.Starts[Line - 1];
  size_t End = Line < F.Starts.size() ? F.Starts[Line] : F.Text.size();
  return F.Text.slice(Begin, End).rtrim("\r\n");
}

bool Suppressions::isSuppressed(SourceLocation Loc, llvm::StringRef Check) {
  Loc = SM.getExpansionLoc(Loc);
  PresumedLoc P = SM.getPresumedLoc(Loc);
  if (P.isInvalid())
    return false;
  // The buffer when it is the presumed file (no line markers); else the
  // presumed file on disk (a .i file's source, a #line's target).
  bool UseBuffer = SM.getFilename(Loc) == P.getFilename() &&
                   SM.getExpansionLineNumber(Loc) == P.getLine();
  FileLines *F = linesOf(Loc, P.getFilename(), UseBuffer);
  if (!F || F->Text.empty())
    return false;
  return lineSuppresses(line(*F, P.getLine()), Check, /*CommentOnly=*/false) ||
         lineSuppresses(line(*F, P.getLine() - 1), Check,
                        /*CommentOnly=*/true);
}

} // namespace tsmem
