//===- Plugin.cpp - Registration of the tsmem Clang plugin ----------------===//
//
// `clang-19 -fplugin=tsmem.so` loads this file's action before code
// generation. For each compile it:
//  - defines __TSMEM_PLUGIN__, so tsmem.h turns TS_SCOPE into the
//    `#pragma tsmem scope` that ScopePragma.cpp lowers, and TS_SCOPED into
//    the "tsmem.scope" annotation that the LLVM pass lowers;
//  - lists the tensor-making calls with their lines (CallSites.cpp) and adds
//    the tsmem LLVM pass, which records them as allocation sites, to the
//    pipeline;
//  - runs the ownership analysis that reports the memory diagnostics.
//
//===----------------------------------------------------------------------===//
#include "CallSites.h"
#include "OwnershipAnalysis.h"
#include "PluginOptions.h"
#include "TsmemPass.h"

#include "clang/AST/ASTConsumer.h"
#include "clang/Basic/CodeGenOptions.h"
#include "clang/Basic/DiagnosticFrontend.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/FrontendPluginRegistry.h"
#include "clang/Frontend/MultiplexConsumer.h"
#include "clang/Lex/Preprocessor.h"
#include "llvm/Passes/PassBuilder.h"

using namespace clang;

namespace {

class TsmemAction : public PluginASTAction {
  tsmem::PluginOptions Opts;

protected:
  bool ParseArgs(const CompilerInstance &CI,
                 const std::vector<std::string> &Args) override {
    DiagnosticsEngine &Diags = CI.getDiagnostics();
    for (llvm::StringRef Arg : Args) {
      if (Arg.consume_front("analysis-budget=")) {
        if (Arg.getAsInteger(10, Opts.AnalysisBudget) || !Opts.AnalysisBudget) {
          Diags.Report(Diags.getCustomDiagID(
              DiagnosticsEngine::Error,
              "tsmem plugin: -fplugin-arg-tsmem-analysis-budget takes a "
              "positive number of steps, not '%0'"))
              << Arg;
          return false;
        }
        continue;
      }
      if (Arg.consume_front("disable=")) {
        llvm::SmallVector<llvm::StringRef, 5> Names;
        Arg.split(Names, ',', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
        for (llvm::StringRef Name : Names) {
          std::string Check =
              Name.starts_with("tsmem-") ? Name.str() : ("tsmem-" + Name).str();
          if (!llvm::is_contained(tsmem::AllChecks, Check)) {
            Diags.Report(Diags.getCustomDiagID(
                DiagnosticsEngine::Error,
                "tsmem plugin: unknown check '%0' in "
                "-fplugin-arg-tsmem-disable; the checks are "
                "tsmem-unescaped-return, tsmem-use-after-scope, tsmem-leak, "
                "tsmem-use-after-free and tsmem-double-free"))
                << Name;
            return false;
          }
          Opts.DisabledChecks.insert(Check);
        }
        continue;
      }
      Diags.Report(Diags.getCustomDiagID(
          DiagnosticsEngine::Error,
          "tsmem plugin: unknown argument '%0'; the plugin takes "
          "-fplugin-arg-tsmem-disable=CHECK[,CHECK]"))
          << Arg;
      return false;
    }
    return true;
  }

  std::unique_ptr<ASTConsumer> CreateASTConsumer(CompilerInstance &CI,
                                                 llvm::StringRef) override {
    // The predefines buffer is read when parsing starts, after this call.
    Preprocessor &PP = CI.getPreprocessor();
    PP.setPredefines(PP.getPredefines() + "#define __TSMEM_PLUGIN__ 1\n");

    // The sites are listed from the AST before code generation, and read by
    // the pass when the backend runs: no source locations on the IR needed.
    auto Sites = std::make_shared<tsmem::SourceSites>();
    CI.getCodeGenOpts().PassBuilderCallbacks.push_back(
        [Sites](llvm::PassBuilder &PB) {
          tsmem::registerTsmemPass(PB, Sites);
        });

    std::vector<std::unique_ptr<ASTConsumer>> Consumers;
    Consumers.push_back(tsmem::createOwnershipAnalysis(CI, Opts));
    Consumers.push_back(tsmem::createCallSiteCollector(Sites));
    return std::make_unique<MultiplexConsumer>(std::move(Consumers));
  }

  ActionType getActionType() override { return AddBeforeMainAction; }
};

} // namespace

static FrontendPluginRegistry::Add<TsmemAction>
    X("tsmem", "tsmem: scopes for tensor code and memory diagnostics");
