//===- OwnershipAnalysis.cpp - Build-time memory diagnostics --------------===//
//
// The AST consumer: once the translation unit is parsed, finds the functions
// ts_run calls back (their bodies are scopes), then analyses every function
// definition outside system headers. A translation unit with errors is left
// alone: its AST may be incomplete (errors that are only -Werror warnings
// do not count).
//
//===----------------------------------------------------------------------===//
#include "OwnershipAnalysis.h"
#include "Diagnostics.h"
#include "FunctionAnalysis.h"
#include "OwnershipModel.h"

#include "clang/AST/ASTConsumer.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Frontend/CompilerInstance.h"
#include "llvm/ADT/DenseSet.h"

using namespace clang;

namespace tsmem {
namespace {

/// Collects the function definitions to analyse and the ts_run callbacks.
class FunctionCollector : public RecursiveASTVisitor<FunctionCollector> {
public:
  explicit FunctionCollector(const SourceManager &SM) : SM(SM) {}

  bool VisitFunctionDecl(FunctionDecl *FD) {
    if (FD->doesThisDeclarationHaveABody() && !FD->isInvalidDecl() &&
        !FD->isDependentContext() &&
        !SM.isInSystemHeader(SM.getExpansionLoc(FD->getLocation())))
      Functions.push_back(FD);
    return true;
  }

  /// A `void *(void *)` function used as a value: it may reach ts_run
  /// through a variable or a field, where the collector cannot follow it.
  bool VisitDeclRefExpr(DeclRefExpr *DRE) {
    const auto *FD = dyn_cast<FunctionDecl>(DRE->getDecl());
    if (!FD || FD->getNumParams() != 1 ||
        !FD->getReturnType()->isVoidPointerType() ||
        !FD->getParamDecl(0)->getType()->isVoidPointerType())
      return true;
    if (Callees.count(DRE))
      return true;
    MaybeRunTargets.insert(FD->getCanonicalDecl());
    return true;
  }

  bool VisitCallExpr(CallExpr *CE) {
    if (const auto *ICE = dyn_cast<ImplicitCastExpr>(CE->getCallee()))
      if (const auto *DRE = dyn_cast<DeclRefExpr>(ICE->getSubExpr()))
        Callees.insert(DRE);
    const FunctionDecl *Callee = CE->getDirectCallee();
    if (!Callee || !Callee->getIdentifier() || Callee->getName() != "ts_run" ||
        CE->getNumArgs() < 1)
      return true;
    CallsRun = true;
    const Expr *Fn = CE->getArg(0)->IgnoreParenCasts();
    if (const auto *UO = dyn_cast<UnaryOperator>(Fn))
      if (UO->getOpcode() == UO_AddrOf)
        Fn = UO->getSubExpr()->IgnoreParenCasts();
    if (const auto *DRE = dyn_cast<DeclRefExpr>(Fn))
      if (const auto *Target = dyn_cast<FunctionDecl>(DRE->getDecl()))
        RunTargets.insert(Target->getCanonicalDecl());
    return true;
  }

  const SourceManager &SM;
  std::vector<const FunctionDecl *> Functions;
  llvm::DenseSet<const FunctionDecl *> RunTargets;
  llvm::DenseSet<const FunctionDecl *> MaybeRunTargets;
  llvm::DenseSet<const DeclRefExpr *> Callees;
  bool CallsRun = false;
};

class OwnershipConsumer : public ASTConsumer {
public:
  OwnershipConsumer(CompilerInstance &CI, const PluginOptions &Opts)
      : CI(CI), Opts(Opts) {}

  void HandleTranslationUnit(ASTContext &Ctx) override {
    DiagnosticsEngine &Diags = CI.getDiagnostics();
    if (Diags.hasUncompilableErrorOccurred() || !Opts.anyCheckEnabled() ||
        Diags.getIgnoreAllWarnings())
      return;
    FunctionCollector Collect(Ctx.getSourceManager());
    Collect.TraverseDecl(Ctx.getTranslationUnitDecl());
    Reporter Report(Diags, Ctx.getSourceManager(), Opts);
    for (const FunctionDecl *FD : Collect.Functions) {
      BodyScope Scope = bodyScopeOf(FD);
      if (Scope == BodyScope::None &&
          Collect.RunTargets.count(FD->getCanonicalDecl()))
        Scope = BodyScope::Scoped;
      // Maybe a ts_run callback, maybe a thread's: its tensors may belong
      // to a scope, so they are not the function's to free (quiet).
      if (Scope == BodyScope::None && Collect.CallsRun &&
          Collect.MaybeRunTargets.count(FD->getCanonicalDecl()))
        Scope = BodyScope::CallerScope;
      analyzeFunction(FD, Scope, Ctx, Report);
    }
  }

private:
  CompilerInstance &CI;
  /// A copy: the plugin action that parsed the options does not outlive
  /// CreateASTConsumer.
  PluginOptions Opts;
};

} // namespace
} // namespace tsmem

std::unique_ptr<clang::ASTConsumer>
tsmem::createOwnershipAnalysis(clang::CompilerInstance &CI,
                               const PluginOptions &Opts) {
  return std::make_unique<OwnershipConsumer>(CI, Opts);
}
