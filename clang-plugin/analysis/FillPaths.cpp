//===- FillPaths.cpp - Does a fill happen on every path? ------------------===//
//
// summarizeFields reads the owner bits of the fields under pointer
// parameters at each block that ends the function; after a join (one
// cleanup label) a field stored only on the success path looks filled at
// the single exit, since the other path never bound it. A caller testing
// the status and returning on failure would then be told the fields leak
// (issue 15, heldout3 FP-A). A fill is summarized only when every path
// from the entry to an exit goes through a statement that names the
// parameter (a store, a call given it, a test of it): a path that never
// names it cannot have filled it. Otherwise the fill is left out (silence).
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"

namespace tsmem {
namespace ownership {

static bool names(const Stmt *S, const ParmVarDecl *P) {
  if (!S)
    return false;
  if (const auto *DR = dyn_cast<DeclRefExpr>(S))
    if (DR->getDecl() == P)
      return true;
  for (const Stmt *C : S->children())
    if (names(C, P))
      return true;
  return false;
}

bool FunctionAnalyzer::namedOnEveryPath(const ParmVarDecl *P) {
  if (!Cfg)
    return false;
  auto Names = [&](const CFGBlock *B) {
    for (const CFGElement &E : *B)
      if (auto CS = E.getAs<CFGStmt>())
        if (names(CS->getStmt(), P))
          return true;
    return names(B->getTerminatorStmt(), P);
  };
  // Search from the entry through blocks that do not name P.
  llvm::SmallPtrSet<const CFGBlock *, 32> Seen;
  llvm::SmallVector<const CFGBlock *, 32> Work{&Cfg->getEntry()};
  while (!Work.empty()) {
    const CFGBlock *B = Work.pop_back_val();
    if (!Seen.insert(B).second || Names(B))
      continue;
    if (ExitFields.count(B->getBlockID()))
      return false;
    for (const auto &Succ : B->succs())
      if (const CFGBlock *N = Succ.getReachableBlock())
        Work.push_back(N);
  }
  return true;
}

} // namespace ownership
} // namespace tsmem
