//===- TidyModule.cpp - tsmem's five checks as a clang-tidy module --------===//
//
//   clang-tidy-19 --load=<prefix>/lib/tsmem/tsmem-tidy.so -checks='tsmem-*'
//
// tsmem-tidy.so holds the plugin's analysis (OwnershipAnalysis.cpp and the
// files it uses), its TS_SCOPE pragma handler and the tsmem_plugin
// attribute, so tsmem.h expands TS_SCOPE/TS_SCOPED as under the plugin and
// the checks see the same AST as a compile with -fplugin. Each tsmem-*
// check clang-tidy enables runs the analysis with only that check on, and
// reports through clang-tidy (which adds the check name, applies
// -warnings-as-errors, NOLINT, --header-filter and --fix to the fix-its).
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

using namespace clang;
using namespace clang::ast_matchers;

namespace tsmem {
namespace {

class TsmemTidyCheck : public tidy::ClangTidyCheck, public FindingSink {
public:
  TsmemTidyCheck(llvm::StringRef Name, tidy::ClangTidyContext *Context,
                 Check Which)
      : ClangTidyCheck(Name, Context), Which(Which) {}

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
    PluginOptions Opts;
    for (llvm::StringRef Name : AllChecks)
      if (Name != checkName(Which))
        Opts.DisabledChecks.insert(Name);
    Reporter Report(Ctx.getDiagnostics(), *Result.SourceManager, Opts);
    Report.setSink(this);
    runOwnershipAnalysis(Ctx, Report);
  }

  void warning(Check, SourceLocation Loc, llvm::StringRef Message,
               SourceRange Range, llvm::ArrayRef<FixItHint> FixIts) override {
    DiagnosticBuilder DB = diag(Loc, "%0") << Message;
    if (Range.isValid())
      DB << Range;
    for (const FixItHint &Fix : FixIts)
      DB << Fix;
  }

  void note(SourceLocation Loc, llvm::StringRef Message) override {
    diag(Loc, "%0", DiagnosticIDs::Note) << Message;
  }

private:
  Check Which;
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
