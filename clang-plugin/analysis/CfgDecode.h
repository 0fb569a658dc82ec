//===- CfgDecode.h - What the analysis reads off Clang's CFG ----*- C++ -*-===//
//
// Everything about a function that does not depend on the dataflow state,
// read once: a scan of the body when the collector's walker had none, an
// estimate of the CFG's size, and each block decoded into the ops the
// transfer functions act on, with its successors by rank in the reverse
// post-order and its null test.
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_CLANG_PLUGIN_CFGDECODE_H
#define TSMEM_CLANG_PLUGIN_CFGDECODE_H

#include "AnalysisState.h"
#include "OwnershipModel.h"

#include "clang/AST/Expr.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/AST/Stmt.h"
#include "clang/Analysis/CFG.h"
#include "clang/Basic/Builtins.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>

namespace tsmem {
namespace ownership {

using namespace clang;

/// What the body does, found before building the CFG: no tsmem call at all
/// means nothing to analyse. Only for bodies the collector's walker could
/// not take (BodyFacts::Known false).
class BodyScan : public RecursiveASTVisitor<BodyScan> {
public:
  explicit BodyScan(CallModels &Models) : Models(Models) {}
  bool VisitUnaryOperator(UnaryOperator *UO) {
    if (UO->getOpcode() == UO_AddrOf)
      if (auto *DRE =
              dyn_cast<DeclRefExpr>(UO->getSubExpr()->IgnoreParenImpCasts()))
        if (auto *VD = dyn_cast<VarDecl>(DRE->getDecl())) {
          AddrTaken.insert(VD);
          // As BodyFacts::AddrArgs: straight into a named call, or not.
          auto It = DirectArgs.find(UO);
          if (It != DirectArgs.end() && !AddrOther.count(VD)) {
            AddrArgs[VD].push_back(It->second);
          } else {
            AddrOther.insert(VD);
            AddrArgs.erase(VD);
          }
        }
    return true;
  }
  bool VisitCallExpr(CallExpr *CE) {
    if (Models.get(CE).Kind != CallKind::Unknown)
      UsesTsmem = true;
    // (Visited before its arguments.)
    if (CE->getDirectCallee())
      for (unsigned A = 0, N = CE->getNumArgs(); A < N; ++A)
        if (const auto *UO =
                dyn_cast<UnaryOperator>(CE->getArg(A)->IgnoreParenCasts()))
          if (UO->getOpcode() == UO_AddrOf)
            DirectArgs.insert({UO, {CE, A}});
    return true;
  }
  bool VisitReturnStmt(ReturnStmt *) {
    ++Jumps;
    return true;
  }
  bool VisitBreakStmt(BreakStmt *) {
    ++Jumps;
    return true;
  }
  bool VisitContinueStmt(ContinueStmt *) {
    ++Jumps;
    return true;
  }
  bool VisitGotoStmt(GotoStmt *) {
    ++Jumps;
    return true;
  }
  bool VisitIndirectGotoStmt(IndirectGotoStmt *) {
    ++Jumps;
    return true;
  }
  bool VisitDeclStmt(DeclStmt *DS) {
    Vars += std::distance(DS->decl_begin(), DS->decl_end());
    return true;
  }
  CallModels &Models;
  llvm::DenseSet<const VarDecl *> AddrTaken;
  llvm::DenseMap<const UnaryOperator *, std::pair<const CallExpr *, unsigned>>
      DirectArgs;
  llvm::DenseMap<const VarDecl *,
                 llvm::SmallVector<std::pair<const CallExpr *, unsigned>, 1>>
      AddrArgs;
  llvm::DenseSet<const VarDecl *> AddrOther;
  bool UsesTsmem = false;
  unsigned Jumps = 0, Vars = 0;
};

/// How many lifetime ends the CFG of Body will have, about: each return,
/// goto, break or continue ends the variables declared before it in the
/// blocks it leaves (a goto: as many as are in scope at it and not at its
/// label).
uint64_t lifetimeEndsEstimate(const Stmt *Body);

/// A CFG element the transfer function acts on, decoded once per function:
/// the fixpoint passes over the blocks only walk these.
struct Op {
  enum Kind : uint8_t {
    Other,       ///< A statement that only ends a full expression.
    Call,        ///< CallExpr.
    Assign,      ///< `=`.
    Decl,        ///< DeclStmt.
    Return,      ///< ReturnStmt.
    Aggregate,   ///< An initializer list or compound literal.
    IntCast,     ///< An explicit cast to neither a pointer nor void.
    LifetimeEnd, ///< A variable's lifetime ends.
    Cleanup,     ///< A scope guard's cleanup function runs.
  };
  Kind K = Other;
  bool Full = false; ///< Ends a full expression: collect() after it.
  const Stmt *St = nullptr;
  const VarDecl *VD = nullptr; ///< LifetimeEnd and Cleanup.
  SourceLocation Loc;          ///< LifetimeEnd and Cleanup: where it ends.
  CallModel Model;             ///< Call.
  /// Call: given the address of a struct or array that holds tensors, or
  /// a pointer to such a struct (FunctionAnalyzer::fieldArgs).
  bool TakesPlaces = false;
};

/// A block's ops and what its edges do, decoded once per function.
struct BlockInfo {
  /// User-provided, as State's.
  BlockInfo() {}

  const CFGBlock *B = nullptr;
  llvm::SmallVector<Op, 8> Ops;
  /// Falls through to the function's exit (functionEnd()).
  bool EndsFunction = false;
  const ReturnStmt *Ret = nullptr; ///< The block's last return, if any.
  /// A two-way branch on whether this place is NULL.
  const Loc *NullTested = nullptr;
  bool NullOnTrue = false;
  /// A two-way branch on whether a same-file helper's call returned 0 or
  /// NULL (Summaries.cpp): that call, and whether the true edge is the
  /// zero one.
  const CallExpr *CondCall = nullptr;
  bool ZeroOnTrue = false;
  /// A two-way branch on whether this `ts_tensor **` parameter is NULL
  /// (NullOnTrue says which edge): an optional out-parameter.
  const VarDecl *OutTested = nullptr;
  /// Successors by rank in the reverse post-order (~0u: none there).
  llvm::SmallVector<unsigned, 2> Succs;
  /// The block leaves the function and nothing follows it: its state after
  /// Ops[Tail] (lifetime ends and scope guards' ends from there on) only
  /// matters for what it reports (FunctionAnalyzer::exitTail).
  bool Leaves = false;
  unsigned Tail = 0;
};

/// E->IgnoreParenCasts() with its usual steps (parentheses, casts) done
/// here: the library's loop over step functions costs more than they do.
/// A kind one of its other steps may look through goes to it.
inline const Expr *ignoreParenCasts(const Expr *E) {
  while (true) {
    if (const auto *P = dyn_cast<ParenExpr>(E)) {
      E = P->getSubExpr();
      continue;
    }
    if (const auto *C = dyn_cast<CastExpr>(E)) {
      E = C->getSubExpr();
      continue;
    }
    switch (E->getStmtClass()) {
    case Stmt::DeclRefExprClass:
    case Stmt::CallExprClass:
    case Stmt::IntegerLiteralClass:
    case Stmt::FloatingLiteralClass:
    case Stmt::CharacterLiteralClass:
    case Stmt::StringLiteralClass:
    case Stmt::BinaryOperatorClass:
    case Stmt::CompoundAssignOperatorClass:
    case Stmt::ConditionalOperatorClass:
    case Stmt::CompoundLiteralExprClass:
    case Stmt::MemberExprClass:
    case Stmt::ArraySubscriptExprClass:
    case Stmt::UnaryExprOrTypeTraitExprClass:
      return E;
    default:
      return E->IgnoreParenCasts();
    }
  }
}

/// The condition a branch hint wraps (`__builtin_expect(c, v)`, the
/// `likely(c)` and `unlikely(c)` macros): its truth is c's. So is a comma's
/// (`a, c`: a TS_SCOPE loop's test opens the pass's scope first; the CFG
/// has a before the branch).
inline const Expr *ignoreExpect(const Expr *E) {
  while (true) {
    const auto *BO = dyn_cast<BinaryOperator>(E->IgnoreParenImpCasts());
    if (BO && BO->getOpcode() == BO_Comma) {
      E = BO->getRHS();
      continue;
    }
    const auto *CE = dyn_cast<CallExpr>(E->IgnoreParenImpCasts());
    if (!CE)
      break;
    unsigned ID = CE->getBuiltinCallee();
    if (CE->getNumArgs() < 1 ||
        (ID != Builtin::BI__builtin_expect &&
         ID != Builtin::BI__builtin_expect_with_probability &&
         ID != Builtin::BI__builtin_unpredictable))
      break;
    E = CE->getArg(0);
  }
  return E;
}

inline const VarDecl *varOf(const Expr *E) {
  if (!E)
    return nullptr;
  if (const auto *DRE = dyn_cast<DeclRefExpr>(ignoreParenCasts(E)))
    return dyn_cast<VarDecl>(DRE->getDecl());
  return nullptr;
}

/// Whether S (or anything under it) names V.
bool mentions(const Stmt *S, const VarDecl *V);

/// E without the parentheses and casts around it: the node whose
/// effective parent (ParentMap::getParentIgnoreParenCasts) E's is.
inline const Expr *innermost(const Expr *E) {
  while (true) {
    if (const auto *P = dyn_cast<ParenExpr>(E))
      E = P->getSubExpr();
    else if (const auto *C = dyn_cast<CastExpr>(E))
      E = C->getSubExpr();
    else
      return E;
  }
}

/// TS__LOOP_SCOPE's `for` (tsmem.h), around a TS_SCOPE loop: it runs its
/// statement once.
bool isOnceLoop(const Stmt *S);

} // namespace ownership
} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_CFGDECODE_H
