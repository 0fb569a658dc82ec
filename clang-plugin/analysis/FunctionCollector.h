//===- FunctionCollector.h - The functions of a translation unit -*- C++
//-*-===//
//
// One walk over a translation unit: the function definitions to analyse,
// what the analysis needs to know of each body (BodyFacts), and the
// functions ts_run calls back.
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_CLANG_PLUGIN_FUNCTIONCOLLECTOR_H
#define TSMEM_CLANG_PLUGIN_FUNCTIONCOLLECTOR_H

#include "FunctionAnalysis.h"

#include "llvm/ADT/DenseSet.h"

#include <memory>
#include <vector>

namespace clang {
class ASTContext;
class FunctionDecl;
} // namespace clang

namespace tsmem {

class CallModels;

struct CollectedFunctions {
  /// Definitions outside system headers, in the order of the file.
  std::vector<const clang::FunctionDecl *> Functions;
  /// Parallel to Functions.
  std::vector<std::unique_ptr<BodyFacts>> Facts;
  /// Functions passed to ts_run by name (their bodies are scopes).
  llvm::DenseSet<const clang::FunctionDecl *> RunTargets;
  /// `void *(void *)` functions used as values: maybe ts_run callbacks.
  llvm::DenseSet<const clang::FunctionDecl *> MaybeRunTargets;
  /// Whether the file calls ts_run at all.
  bool CallsRun = false;
};

CollectedFunctions collectFunctions(clang::ASTContext &Ctx, CallModels &Models);

} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_FUNCTIONCOLLECTOR_H
