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
//  - runs the ownership analysis that reports the memory diagnostics;
//  - declares <tsmem/ops.h>'s functions when they are first used
//    (LazyOps.cpp).
//
//===----------------------------------------------------------------------===//
#include "CallSites.h"
#include "CheckControl.h"
#include "LazyOps.h"
#include "OwnershipAnalysis.h"
#include "PluginOptions.h"
#include "TsmemPass.h"

#include "clang/AST/ASTConsumer.h"
#include "clang/Basic/CodeGenOptions.h"
#include "clang/Basic/DiagnosticFrontend.h"
#include "clang/Basic/Version.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/FrontendPluginRegistry.h"
#include "clang/Frontend/MultiplexConsumer.h"
#include "clang/Lex/Preprocessor.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/raw_ostream.h"

#include <tsmem/version.h>

using namespace clang;

namespace {

/// TS_SCOPED (annotate("tsmem.scope")) anywhere but on a function
/// definition does nothing: an error says where it goes. Looks at the
/// declarations of each top-level declaration, those of function bodies
/// (locals, parameters) and records (fields) included, not at statements.
class ScopedPlacementChecker : public ASTConsumer {
  CompilerInstance &CI;
  unsigned DiagID;

public:
  explicit ScopedPlacementChecker(CompilerInstance &CI) : CI(CI) {
    DiagnosticsEngine &Diags = CI.getDiagnostics();
    DiagID = Diags.getCustomDiagID(
        DiagnosticsEngine::Error,
        "TS_SCOPED on %0: it goes before a function definition (its "
        "body becomes one scope); use TS_SCOPE before a block or loop");
  }

  bool HandleTopLevelDecl(DeclGroupRef DG) override {
    for (Decl *D : DG)
      check(D);
    return true;
  }

private:
  void check(const Decl *D) {
    if (!D || D->isImplicit())
      return;
    for (const auto *A : D->specific_attrs<AnnotateAttr>())
      if (!A->isInherited() && A->getAnnotation() == "tsmem.scope") {
        report(D, A->getLocation());
        break;
      }
    if (const auto *FD = dyn_cast<FunctionDecl>(D))
      for (const ParmVarDecl *P : FD->parameters())
        check(P);
    if (const auto *DC = dyn_cast<DeclContext>(D))
      if (isa<FunctionDecl, RecordDecl, LinkageSpecDecl, NamespaceDecl>(D))
        for (const Decl *Inner : DC->decls())
          if (!isa<ParmVarDecl>(Inner)) // parameters() has them
            check(Inner);
  }

  void report(const Decl *D, SourceLocation Loc) {
    const auto *FD = dyn_cast<FunctionDecl>(D);
    if (FD && FD->doesThisDeclarationHaveABody())
      return;
    SourceManager &SM = CI.getSourceManager();
    if (SM.isInSystemHeader(SM.getExpansionLoc(D->getLocation())))
      return;
    const char *What = FD ? "a function declaration without a body"
                       : isa<ParmVarDecl>(D) ? "a parameter"
                       : isa<VarDecl>(D)     ? "a variable"
                       : isa<FieldDecl>(D)   ? "a struct or union member"
                       : isa<TypedefNameDecl>(D)
                           ? "a typedef"
                           : "a declaration that is not a "
                             "function definition";
    CI.getDiagnostics().Report(SM.getExpansionLoc(Loc), DiagID) << What;
  }
};

class TsmemAction : public PluginASTAction {
  tsmem::PluginOptions Opts;
  bool BadArgs = false;

protected:
  /// A bad argument is reported here, but the action stays: without it
  /// __TSMEM_PLUGIN__ would be missing, and every TS_SCOPE would add an
  /// error saying the plugin is not loaded.
  bool ParseArgs(const CompilerInstance &CI,
                 const std::vector<std::string> &Args) override {
    DiagnosticsEngine &Diags = CI.getDiagnostics();
    for (llvm::StringRef Arg : Args) {
      if (Arg == "version") {
        llvm::outs() << "tsmem " TSMEM_VERSION_STRING
                        " (Clang plugin, built for clang " CLANG_VERSION_STRING
                        ")\n";
        continue;
      }
      // error=, no-error=, sarif= (CheckControl.cpp).
      if (std::optional<bool> OK = tsmem::parseControlArg(Diags, Arg, Opts)) {
        if (!*OK) // reported by parseControlArg
          BadArgs = true;
        continue;
      }
      if (Arg.consume_front("analysis-budget=")) {
        if (Arg.getAsInteger(10, Opts.AnalysisBudget) || !Opts.AnalysisBudget) {
          Diags.Report(Diags.getCustomDiagID(
              DiagnosticsEngine::Error,
              "tsmem plugin: -fplugin-arg-tsmem-analysis-budget takes a "
              "positive number of steps, not '%0'"))
              << Arg;
          BadArgs = true;
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
            BadArgs = true;
            continue;
          }
          Opts.DisabledChecks.insert(Check);
        }
        continue;
      }
      Diags.Report(Diags.getCustomDiagID(
          DiagnosticsEngine::Error,
          "tsmem plugin: unknown argument '-fplugin-arg-tsmem-%0'; the "
          "arguments are -fplugin-arg-tsmem-disable=CHECK[,CHECK], "
          "-fplugin-arg-tsmem-error=CHECK[,CHECK], "
          "-fplugin-arg-tsmem-no-error=CHECK[,CHECK], "
          "-fplugin-arg-tsmem-sarif=FILE, "
          "-fplugin-arg-tsmem-analysis-budget=N and "
          "-fplugin-arg-tsmem-version; "
          "CHECK is one of tsmem-unescaped-return, tsmem-use-after-scope, "
          "tsmem-leak, tsmem-use-after-free, tsmem-double-free"))
          << Arg;
      BadArgs = true;
    }
    return true;
  }

  std::unique_ptr<ASTConsumer> CreateASTConsumer(CompilerInstance &CI,
                                                 llvm::StringRef) override {
    // The predefines buffer is read when parsing starts, after this call.
    Preprocessor &PP = CI.getPreprocessor();
    PP.setPredefines(PP.getPredefines() + "#define __TSMEM_PLUGIN__ 1\n");
    if (BadArgs) // reported: parse with TS_SCOPE lowered and the operators
      return tsmem::createLazyOps(); // declared, nothing more

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
    Consumers.push_back(std::make_unique<ScopedPlacementChecker>(CI));
    Consumers.push_back(tsmem::createLazyOps());
    return std::make_unique<MultiplexConsumer>(std::move(Consumers));
  }

  ActionType getActionType() override { return AddBeforeMainAction; }
};

} // namespace

static FrontendPluginRegistry::Add<TsmemAction>
    X("tsmem", "tsmem: scopes for tensor code and memory diagnostics");
