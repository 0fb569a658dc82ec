//===- OwnershipAnalysis.cpp - Build-time memory diagnostics --------------===//
//
// The AST consumer: once the translation unit is parsed, runs the analysis
// of every function defined outside system headers (FileAnalysis.cpp). A
// translation unit with errors is left alone: its AST may be incomplete
// (errors that are only -Werror warnings do not count).
//
//===----------------------------------------------------------------------===//
#include "OwnershipAnalysis.h"
#include "Diagnostics.h"
#include "Sarif.h"

#include "clang/AST/ASTConsumer.h"
#include "clang/AST/ASTContext.h"
#include "clang/Frontend/CompilerInstance.h"
#include "llvm/ADT/ScopeExit.h"

#include <cstdlib>
#include <memory>

using namespace clang;

namespace tsmem {
namespace {

class OwnershipConsumer : public ASTConsumer {
public:
  OwnershipConsumer(CompilerInstance &CI, const PluginOptions &Opts)
      : CI(CI), Opts(Opts) {}

  void HandleTranslationUnit(ASTContext &Ctx) override {
    DiagnosticsEngine &Diags = CI.getDiagnostics();
    // -fplugin-arg-tsmem-sarif: a log for every compile, empty or not.
    SarifLog Sarif(Ctx.getSourceManager());
    auto WriteSarif = llvm::make_scope_exit([&] {
      if (!Opts.SarifFile.empty())
        Sarif.write(Opts.SarifFile, Diags);
    });
    if (Diags.hasUncompilableErrorOccurred() || !Opts.anyCheckEnabled() ||
        Diags.getIgnoreAllWarnings())
      return;
    Reporter Report(Diags, Ctx.getSourceManager(), Opts);
    if (!Opts.SarifFile.empty())
      Report.setSarif(&Sarif);
    runOwnershipAnalysis(Ctx, Report, analysisBudget(Opts));
  }

private:
  CompilerInstance &CI;
  /// A copy: the plugin action that parsed the options does not outlive
  /// CreateASTConsumer.
  PluginOptions Opts;
};

} // namespace

uint64_t analysisBudget(const PluginOptions &Opts) {
  if (Opts.AnalysisBudget)
    return Opts.AnalysisBudget;
  uint64_t N = 0;
  if (const char *Env = std::getenv("TSMEM_ANALYSIS_BUDGET"))
    if (!llvm::StringRef(Env).trim().getAsInteger(10, N) && N)
      return N;
  return PluginOptions::DefaultAnalysisBudget;
}

} // namespace tsmem

std::unique_ptr<clang::ASTConsumer>
tsmem::createOwnershipAnalysis(clang::CompilerInstance &CI,
                               const PluginOptions &Opts) {
  return std::make_unique<OwnershipConsumer>(CI, Opts);
}
