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

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace clang {
class ASTContext;
class CallExpr;
class FunctionDecl;
class Stmt;
class VarDecl;
} // namespace clang

namespace tsmem {

class Reporter;

/// What one walk over a function body found, so that the analysis needs
/// neither a walk of its own nor a ParentMap. "Parent" means what
/// clang::ParentMap would say; "effective parent" skips parentheses and
/// casts (ParentMap::getParentIgnoreParenCasts).
struct BodyFacts {
  /// False: the walker met code it does not handle exactly; the analysis
  /// then scans the body and builds a ParentMap itself.
  bool Known = false;
  /// Calls something tsmem models.
  bool UsesTsmem = false;
  /// Variables whose address is taken (&v).
  llvm::DenseSet<const clang::VarDecl *> AddrTaken;
  /// Expressions whose effective parent is neither an expression, a
  /// declaration nor a return: the ends of full expressions.
  llvm::DenseSet<const clang::Stmt *> FullExprs;
  /// Compound statements that are the body of a GNU statement expression.
  llvm::SmallPtrSet<const clang::Stmt *, 2> StmtExprBodies;
  /// Returns, gotos, breaks and continues; and local variables declared.
  /// Each jump ends the lifetime of the variables it leaves, in the CFG:
  /// their product bounds what those cost.
  unsigned Jumps = 0;
  unsigned Vars = 0;
  /// The effective parent of each ts_scope_begin() call.
  llvm::SmallDenseMap<const clang::CallExpr *, const clang::Stmt *, 4>
      ScopeBeginParents;
};

/// Analyses FD's body, which runs as Scope says, and reports what it finds.
/// Functions it cannot model completely are left alone; one whose analysis
/// would take more than Budget steps (PluginOptions::AnalysisBudget) too,
/// with a remark that says so.
void analyzeFunction(const clang::FunctionDecl *FD, BodyScope Scope,
                     const BodyFacts &Facts, CallModels &Models,
                     clang::ASTContext &Ctx, Reporter &Report, uint64_t Budget);

} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_FUNCTIONANALYSIS_H
