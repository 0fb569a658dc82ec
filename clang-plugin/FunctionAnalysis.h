//===- FunctionAnalysis.h - Ownership dataflow over one function -*- C++
//-*-===//
//
// Follows every tensor a function makes through its CFG: which variables
// hold it, who owns it (the function, a scope region, nobody any more) and
// whether it was freed, released, escaped or handed on; reports the five
// checks where the states say a bug happens on the path.
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_CLANG_PLUGIN_FUNCTIONANALYSIS_H
#define TSMEM_CLANG_PLUGIN_FUNCTIONANALYSIS_H

#include "OwnershipModel.h"

namespace clang {
class ASTContext;
class FunctionDecl;
} // namespace clang

namespace tsmem {

class Reporter;

/// Analyses FD's body, which runs as Scope says, and reports what it finds.
/// Functions it cannot model completely are left alone.
void analyzeFunction(const clang::FunctionDecl *FD, BodyScope Scope,
                     clang::ASTContext &Ctx, Reporter &Report);

} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_FUNCTIONANALYSIS_H
