//===- Sarif.cpp - tsmem's findings as a SARIF 2.1.0 log ------------------===//
#include "Sarif.h"
#include "PluginOptions.h"

#include "clang/Basic/Diagnostic.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace clang;

namespace tsmem {

const CheckInfo CheckInfos[5] = {
#define TSMEM_CHECK(Enum, Name, SarifId, Short, Full, Help)                    \
  {Name, SarifId, Short, Full, Help},
#include "Checks.def"
};

SarifLog::Where SarifLog::where(SourceLocation Loc) const {
  Where W;
  Loc = SM.getExpansionLoc(Loc);
  PresumedLoc P = SM.getPresumedLoc(Loc);
  if (P.isInvalid())
    return W;
  llvm::SmallString<256> Path(P.getFilename());
  llvm::sys::fs::make_absolute(Path);
  llvm::sys::path::remove_dots(Path, /*remove_dot_dot=*/true);
  W.File = std::string(Path);
  W.Line = P.getLine();
  W.Column = P.getColumn();
  return W;
}

void SarifLog::result(llvm::StringRef Check, bool Error, SourceLocation Loc,
                      llvm::StringRef Message) {
  Result R;
  R.Check = Check.str();
  R.Message = Message.str();
  R.Error = Error;
  R.At = where(Loc);
  Results.push_back(std::move(R));
}

void SarifLog::note(SourceLocation Loc, llvm::StringRef Message) {
  if (Results.empty())
    return;
  Results.back().Notes.push_back({where(Loc), Message.str()});
}

namespace {

/// file:///abs/path, with the characters a URI may not hold escaped.
std::string fileUri(llvm::StringRef Path) {
  std::string Uri = "file://";
  for (unsigned char C : Path) {
    if (isalnum(C) || llvm::StringRef("/-._~").contains(C)) {
      Uri += C;
    } else {
      char Buf[4];
      snprintf(Buf, sizeof Buf, "%%%02X", C);
      Uri += Buf;
    }
  }
  return Uri;
}

llvm::json::Object physical(const std::string &File, unsigned Line,
                            unsigned Column) {
  llvm::json::Object Region{{"startLine", Line}};
  if (Column)
    Region["startColumn"] = Column;
  return llvm::json::Object{
      {"physicalLocation",
       llvm::json::Object{
           {"artifactLocation", llvm::json::Object{{"uri", fileUri(File)}}},
           {"region", std::move(Region)}}}};
}

} // namespace

void SarifLog::write(llvm::StringRef Path, DiagnosticsEngine &Diags) const {
  llvm::json::Array Rules;
  for (const CheckInfo &I : CheckInfos)
    Rules.push_back(llvm::json::Object{
        {"id", I.Name},
        {"name", I.RuleName},
        {"shortDescription", llvm::json::Object{{"text", I.Short}}},
        {"fullDescription", llvm::json::Object{{"text", I.Full}}},
        {"help", llvm::json::Object{{"text", I.Help}, {"markdown", I.Help}}},
        {"defaultConfiguration", llvm::json::Object{{"level", "warning"}}},
        {"properties",
         llvm::json::Object{{"tags", llvm::json::Array{"memory", "tsmem"}},
                            {"precision", "high"},
                            {"problem.severity", "warning"}}}});

  llvm::json::Array Results;
  for (const Result &R : this->Results) {
    if (R.At.File.empty())
      continue;
    unsigned Index = 0;
    while (Index < 5 && CheckInfos[Index].Name != R.Check)
      ++Index;
    llvm::json::Object Res{
        {"ruleId", R.Check},
        {"ruleIndex", Index},
        {"level", R.Error ? "error" : "warning"},
        {"message", llvm::json::Object{{"text", R.Message}}},
        {"locations",
         llvm::json::Array{physical(R.At.File, R.At.Line, R.At.Column)}}};
    llvm::json::Array Related;
    int Id = 0;
    for (const Note &N : R.Notes) {
      if (N.At.File.empty())
        continue;
      llvm::json::Object L = physical(N.At.File, N.At.Line, N.At.Column);
      L["id"] = Id++;
      L["message"] = llvm::json::Object{{"text", N.Message}};
      Related.push_back(std::move(L));
    }
    if (!Related.empty())
      Res["relatedLocations"] = std::move(Related);
    Results.push_back(std::move(Res));
  }

  llvm::json::Object Log{
      {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
      {"version", "2.1.0"},
      {"runs",
       llvm::json::Array{llvm::json::Object{
           {"tool",
            llvm::json::Object{
                {"driver",
                 llvm::json::Object{
                     {"name", "tsmem"},
                     {"fullName", "tsmem Clang plugin memory diagnostics"},
                     {"version", "0.1.0"},
                     {"rules", std::move(Rules)}}}}},
           {"results", std::move(Results)}}}}};

  // Written whole and renamed: a reader never sees half a log.
  std::string Tmp = (Path + ".tmp").str();
  std::error_code EC;
  {
    llvm::raw_fd_ostream OS(Tmp, EC, llvm::sys::fs::OF_Text);
    if (!EC) {
      OS << llvm::formatv("{0:2}", llvm::json::Value(std::move(Log))) << "\n";
      OS.close();
      if (OS.has_error())
        EC = OS.error();
    }
  }
  if (!EC)
    EC = llvm::sys::fs::rename(Tmp, Path);
  if (EC)
    Diags.Report(Diags.getCustomDiagID(
        DiagnosticsEngine::Error,
        "tsmem plugin: cannot write the SARIF log '%0': %1"))
        << Path << EC.message();
}

} // namespace tsmem
