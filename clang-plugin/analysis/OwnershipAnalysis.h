//===- OwnershipAnalysis.h - Build-time memory diagnostics ------*- C++ -*-===//
//
// The flow-sensitive ownership analysis behind the five checks of SPEC.md
// section 5, run as an AST consumer next to code generation.
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_CLANG_PLUGIN_OWNERSHIPANALYSIS_H
#define TSMEM_CLANG_PLUGIN_OWNERSHIPANALYSIS_H

#include "PluginOptions.h"

#include <memory>

namespace clang {
class ASTContext;
class ASTConsumer;
class CompilerInstance;
} // namespace clang

#include <cstdint>

namespace tsmem {

std::unique_ptr<clang::ASTConsumer>
createOwnershipAnalysis(clang::CompilerInstance &CI, const PluginOptions &Opts);

class Reporter;

/// The analysis of every function defined outside system headers in Ctx's
/// translation unit, findings to Report (the plugin's consumer above, and
/// clang-tidy's tsmem-* checks, TidyModule.cpp), in FileAnalysis.cpp. A
/// function whose analysis would take more than Budget steps is skipped with
/// a remark.
void runOwnershipAnalysis(clang::ASTContext &Ctx, Reporter &Report,
                          uint64_t Budget);

/// The step budget per function: -fplugin-arg-tsmem-analysis-budget's, else
/// TSMEM_ANALYSIS_BUDGET's, else PluginOptions::DefaultAnalysisBudget.
uint64_t analysisBudget(const PluginOptions &Opts);

} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_OWNERSHIPANALYSIS_H
