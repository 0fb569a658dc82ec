//===- CfgPrune.h - When clang's CFG need not fold conditions ---*- C++ -*-===//
//
// Clang's CFG builder tries to evaluate every branch condition (if, loops,
// switch, `&&`, `||`, `?:`) to drop the edges a constant condition never
// takes (CFG::BuildOptions::PruneTriviallyFalseEdges). Each try runs the
// constant evaluator, about 5-10 k instructions even when it fails at once:
// a tenth of what the plugin spends on a tensor function's CFG. For a body
// whose every condition certainly does not fold (it reads a local variable
// or calls a function on every evaluation, and none of the builder's
// always-true/always-false patterns can match), the CFG built without the
// tries is the same CFG; this tells such bodies apart, conservatively: any
// doubt keeps the tries.
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_CLANG_PLUGIN_CFGPRUNE_H
#define TSMEM_CLANG_PLUGIN_CFGPRUNE_H

namespace clang {
class Expr;
class Stmt;
} // namespace clang

namespace tsmem {

/// True when no condition of Body can be folded by clang's CFG builder
/// (its constant evaluation or its tautology patterns), so that
/// PruneTriviallyFalseEdges changes nothing in Body's CFG.
bool conditionsNeverFold(const clang::Stmt *Body);

/// True when clang's CFG builder cannot fold Cond: the condition of an if,
/// a loop, a switch or a `?:`, or an `&&` or `||` itself. A walk over a
/// body that asks this of each gets conditionsNeverFold's answer.
bool conditionNeverFolds(const clang::Expr *Cond);

} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_CFGPRUNE_H
