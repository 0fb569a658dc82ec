//===- OwnershipAnalysis.cpp - Build-time memory diagnostics --------------===//
//
// Placeholder until the analysis lands: a consumer that reports nothing.
//
//===----------------------------------------------------------------------===//
#include "OwnershipAnalysis.h"

#include "clang/AST/ASTConsumer.h"

std::unique_ptr<clang::ASTConsumer>
tsmem::createOwnershipAnalysis(clang::CompilerInstance &,
                               const PluginOptions &) {
  return std::make_unique<clang::ASTConsumer>();
}
