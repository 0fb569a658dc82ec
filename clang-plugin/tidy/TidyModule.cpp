//===- TidyModule.cpp - tsmem's five checks as a clang-tidy module --------===//
//
//   clang-tidy-19 --load=<prefix>/lib/tsmem/tsmem-tidy.so -checks='tsmem-*'
//
// tsmem-tidy.so holds the plugin's analysis (FileAnalysis.cpp and the
// files it uses), its TS_SCOPE pragma handler and the tsmem_plugin
// attribute, so tsmem.h expands TS_SCOPE/TS_SCOPED as under the plugin and
// the checks see the same AST as a compile with -fplugin. The analysis runs
// once per file for the tsmem-* checks clang-tidy enables, and reports
// each finding through its check in clang-tidy (which adds the check name,
// applies -warnings-as-errors, NOLINT, --header-filter and --fix to the
// fix-its).
//
//===----------------------------------------------------------------------===//
#include "Diagnostics.h"
#include "OwnershipAnalysis.h"
#include "PluginOptions.h"

#include "clang-tidy/ClangTidyCheck.h"
#include "clang-tidy/ClangTidyModule.h"
#include "clang-tidy/ClangTidyModuleRegistry.h"
#include "clang/AST/ASTContext.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "llvm/ADT/STLExtras.h"

#include <array>
#include <map>

using namespace clang;
using namespace clang::ast_matchers;

namespace tsmem {
namespace {

/// The checks of one clang-tidy run (one ClangTidyContext), by Check: the
/// first enabled one runs the analysis once for all of them and hands each
/// finding to the check it belongs to.
class TsmemTidyCheck;
std::map<tidy::ClangTidyContext *, std::array<TsmemTidyCheck *, 5>> &
checksOfRun() {
  static std::map<tidy::ClangTidyContext *, std::array<TsmemTidyCheck *, 5>>
      Map;
  return Map;
}

class TsmemTidyCheck : public tidy::ClangTidyCheck, public FindingSink {
public:
  TsmemTidyCheck(llvm::StringRef Name, tidy::ClangTidyContext *Context,
                 Check Which)
      : ClangTidyCheck(Name, Context), Context(Context), Which(Which) {
    checksOfRun()[Context][static_cast<unsigned>(Which)] = this;
  }
  ~TsmemTidyCheck() override {
    auto It = checksOfRun().find(Context);
    if (It == checksOfRun().end())
      return;
    It->second[static_cast<unsigned>(Which)] = nullptr;
    if (llvm::all_of(It->second, [](TsmemTidyCheck *C) { return !C; }))
      checksOfRun().erase(It);
  }

  bool isLanguageVersionSupported(const LangOptions &) const override {
    return true;
  }

  void registerMatchers(MatchFinder *Finder) override {
    Finder->addMatcher(translationUnitDecl().bind("tu"), this);
  }

  void check(const MatchFinder::MatchResult &Result) override {
    ASTContext &Ctx = *Result.Context;
    if (Ctx.getDiagnostics().hasUncompilableErrorOccurred())
      return;
    // The first check of the run that is here does the work.
    const auto &Checks = checksOfRun()[Context];
    if (*llvm::find_if(Checks, [](TsmemTidyCheck *C) { return C; }) != this)
      return;
    PluginOptions Opts;
    for (unsigned I = 0; I < Checks.size(); ++I)
      if (!Checks[I])
        Opts.DisabledChecks.insert(AllChecks[I]);
    Reporter Report(Ctx.getDiagnostics(), *Result.SourceManager, Opts);
    Report.setSink(this);
    runOwnershipAnalysis(Ctx, Report, analysisBudget(Opts));
  }

  void warning(Check C, SourceLocation Loc, llvm::StringRef Message,
               SourceRange Range, llvm::ArrayRef<FixItHint> FixIts) override {
    Last = checksOfRun()[Context][static_cast<unsigned>(C)];
    if (!Last)
      return;
    DiagnosticBuilder DB = Last->diag(Loc, "%0") << Message;
    if (Range.isValid())
      DB << Range;
    for (const FixItHint &Fix : FixIts)
      DB << Fix;
  }

  void note(SourceLocation Loc, llvm::StringRef Message) override {
    if (Last)
      Last->diag(Loc, "%0", DiagnosticIDs::Note) << Message;
  }

private:
  tidy::ClangTidyContext *Context;
  Check Which;
  TsmemTidyCheck *Last = nullptr; // the check of the last finding
};

class TsmemTidyModule : public tidy::ClangTidyModule {
public:
  void addCheckFactories(tidy::ClangTidyCheckFactories &Factories) override {
    for (unsigned I = 0; I < std::size(AllChecks); ++I)
      Factories.registerCheckFactory(
          AllChecks[I],
          [I](llvm::StringRef Name, tidy::ClangTidyContext *Context) {
            return std::make_unique<TsmemTidyCheck>(Name, Context,
                                                    static_cast<Check>(I));
          });
  }
};

} // namespace
} // namespace tsmem

static clang::tidy::ClangTidyModuleRegistry::Add<tsmem::TsmemTidyModule>
    TsmemTidy("tsmem-module", "tsmem's memory diagnostics for tensor code");
