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

#include "Diagnostics.h"
#include "OwnershipModel.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/SmallVector.h"

#include <string>
#include <vector>

namespace clang {
class ASTContext;
class CallExpr;
class FunctionDecl;
class Stmt;
class VarDecl;
} // namespace clang

namespace tsmem {

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
  /// Frees an element (`ts_free(p[i])`): what ArrayDupFrees.cpp looks for.
  bool FreesElement = false;
  /// Variables whose address is taken (&v).
  llvm::DenseSet<const clang::VarDecl *> AddrTaken;
  /// Of those, the ones whose address is only ever a direct argument of a
  /// call to a named function (`f(&v)`), with those calls and argument
  /// indexes: a same-file helper may hand a tensor back through it.
  llvm::DenseMap<
      const clang::VarDecl *,
      llvm::SmallVector<std::pair<const clang::CallExpr *, unsigned>, 1>>
      AddrArgs;
  llvm::DenseSet<const clang::VarDecl *> AddrOther;
  /// Calls that are the condition of an if, a loop or a switch.
  llvm::SmallPtrSet<const clang::CallExpr *, 4> TestedCalls;
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
  /// No branch condition that clang's CFG builder could fold
  /// (conditionNeverFolds, CfgPrune.h): it need not try.
  bool NeverFold = true;
  /// The effective parent of each ts_scope_begin() call.
  llvm::SmallDenseMap<const clang::CallExpr *, const clang::Stmt *, 4>
      ScopeBeginParents;
  /// The functions it calls directly (first declarations), for the order
  /// of the summaries; only when Known.
  llvm::SmallVector<const clang::FunctionDecl *, 4> Callees;
  /// Integer parameters (bit I for parameter I) that are, alone or
  /// negated, the condition of an if or a `?:`: flags a summary may be
  /// specialised on (FileAnalysis.cpp, flagModels).
  uint32_t FlagParams = 0;
};

/// What one function's analysis reports, kept until Replay() gives it to
/// a Reporter: functions are analysed callees first (for their summaries)
/// and reported in the order of the file.
class Findings {
public:
  /// As Reporter::warn, which decides later whether it is shown (the notes
  /// after one that is not are dropped then).
  void warn(Check C, clang::SourceLocation Loc, std::string Message,
            clang::SourceRange Range = {},
            llvm::ArrayRef<clang::FixItHint> FixIts = {});
  void note(clang::SourceLocation Loc, std::string Message);
  /// The remark of a function over its budget.
  void overBudget(clang::SourceLocation Loc, llvm::StringRef Function,
                  uint64_t Budget);
  void replay(Reporter &Report, clang::DiagnosticsEngine &Diags) const;

private:
  struct Item {
    enum { Warning, Note, Remark } Kind;
    Check C;
    clang::SourceLocation Loc;
    std::string Text;
    clang::SourceRange Range;
    llvm::SmallVector<clang::FixItHint, 0> FixIts;
    uint64_t Budget;
  };
  std::vector<Item> Items;
};

/// What a function does with its tensor parameters and returns, inferred
/// from its body for its callers (OwnershipModel.h, CallModel::Inferred).
struct FunctionSummary {
  bool Valid = false;        ///< The analysis ran to its fixpoint.
  bool ReturnsOwned = false; ///< Every return is NULL or a tensor it made.
  uint32_t BorrowMask = 0;   ///< Tensor parameters only read on every path.
  uint32_t FreeMask = 0;     ///< Tensor parameters freed on every path.
  /// TS_CALLER_SCOPE: every return is NULL or a tensor made in the
  /// caller's scope (ReturnsOwned false then).
  bool ReturnsCallerScoped = false;
  /// Tensor parameters freed exactly on the paths that return NULL (or 0),
  /// and on no other; or exactly on the others (Summaries.cpp).
  uint32_t FreeIfNullMask = 0;
  uint32_t FreeIfNonNullMask = 0;
  /// Every return is NULL or this parameter's tensor (-1: none).
  int AliasParam = -1;
  /// `ts_tensor **` parameters through which a new tensor is handed back:
  /// on every path, or only on the paths that return NULL/0 (the usual
  /// status), or only on the others; OutCallerScoped: it belongs to the
  /// caller's current scope (TS_CALLER_SCOPE) rather than to the caller.
  uint32_t OutMask = 0;
  uint32_t OutIfNullMask = 0;
  uint32_t OutIfNonNullMask = 0;
  bool OutCallerScoped = false;
  /// Every return is NULL or the tensor stored through this out-parameter
  /// on that path (-1: none; ReturnedOuts.cpp).
  int RetOutParam = -1;
  /// TS_SCOPED: `ts_tensor **` parameters through which, on every path, a
  /// tensor of the function's own scope is handed back (not escaped): it
  /// is gone when the function returns (Summaries.cpp).
  uint32_t OutEndMask = 0;
  /// `ts_tensor **` parameters whose tensor, on every path, is left alone
  /// or freed and replaced by a new one (OutReplace.h): the caller's
  /// variable still holds a tensor it must free.
  uint32_t ReplaceMask = 0;
  /// `ts_tensor **` parameters (not out-parameters) whose tensor on entry
  /// `*p` is freed on every path, or only on the returns of one kind (0 or
  /// not) and untouched on the others (DerefParams.cpp).
  uint32_t FreeDerefMask = 0;
  uint32_t FreeDerefCondMask = 0;
  /// Tensors in fields (FieldSummaries.cpp): a struct returned by value whose
  /// fields hold a tensor it made, on every return; fields under a pointer
  /// parameter it frees, or fills with a tensor it made, on every path.
  std::vector<FieldPath> RetFields;
  std::vector<std::pair<unsigned, FieldPath>> FreeFields, FillFields;
  /// FillConds[K]: on which result FillFields[K] holds the tensor made
  /// (FillStatus, StatusFills.h: every path, or a zero or nonzero status).
  std::vector<uint8_t> FillConds;
  /// Fields under a pointer parameter it uses on every path (before any
  /// branch).
  std::vector<std::pair<unsigned, FieldPath>> UseFields;
  /// Fields under a pointer parameter whose tensor on entry it frees on
  /// every path where it was not NULL, whatever the field holds after
  /// (cleared, or replaced: EntryFields.cpp).
  std::vector<std::pair<unsigned, FieldPath>> FreeEntryFields;
  /// Those of FreeEntryFields that the helper leaves as they were on every
  /// way out (not cleared, not replaced): the caller's field still names
  /// the freed tensor (EntryFields.cpp).
  std::vector<std::pair<unsigned, FieldPath>> KeptEntryFields;
  /// Fields under a pointer parameter whose tensor on entry it frees on
  /// some way out and leaves alone on the others (an update that replaces
  /// it when it succeeds, or when a test says so): a caller that drops the
  /// result goes on without knowing which, so a copy of the old tensor
  /// may be dangling (MayFreeEntries.cpp).
  std::vector<std::pair<unsigned, FieldPath>> MayFreeEntryFields;
  /// MayFreeEntryConds[K]: 0, or the kind of result (1: zero, 2: nonzero)
  /// on which, alone, MayFreeEntryFields[K] is freed: a caller's test of
  /// the result settles it (MayFreeEntries.cpp).
  std::vector<uint8_t> MayFreeEntryConds;
  /// A getter: every return is NULL or the tensor the field RetEntryPath
  /// under pointer parameter RetEntryParam holds (-1: none), left there
  /// untouched. The caller's result is that field's tensor, borrowed
  /// (EntryFields.cpp).
  int RetEntryParam = -1;
  FieldPath RetEntryPath;
  /// A body that is one scope (TS_SCOPED, a ts_run callback): fields under
  /// a pointer parameter that hold, on every way out, a tensor escaped out
  /// of that scope (the caller's) or one of the scope (freed as the body
  /// returns) (ScopeFills.cpp).
  std::vector<std::pair<unsigned, FieldPath>> ScopeFillFields, ScopeEndFields;
  /// Count fields of the struct under a pointer parameter set to 0 on
  /// every path (after a teardown loop over them, CountLoops.cpp). A
  /// FreeFields path may end in "some element" (null): every element in
  /// use of that array.
  std::vector<std::pair<unsigned, const clang::FieldDecl *>> ZeroCounts;
  bool hasFields() const {
    return !RetFields.empty() || !FreeFields.empty() || !FillFields.empty() ||
           !UseFields.empty() || !FreeEntryFields.empty() ||
           !MayFreeEntryFields.empty() || RetEntryParam >= 0 ||
           !ScopeFillFields.empty() || !ScopeEndFields.empty() ||
           !ZeroCounts.empty();
  }
  /// Whether the field lists the summary driver's fixpoint compares have
  /// the sizes and entry parameter of O's (FileAnalysis.cpp).
  bool sameFieldShape(const FunctionSummary &O) const {
    return RetFields.size() == O.RetFields.size() &&
           FreeFields.size() == O.FreeFields.size() &&
           FillFields.size() == O.FillFields.size() &&
           FreeEntryFields.size() == O.FreeEntryFields.size() &&
           KeptEntryFields.size() == O.KeptEntryFields.size() &&
           MayFreeEntryFields.size() == O.MayFreeEntryFields.size() &&
           RetEntryParam == O.RetEntryParam &&
           ScopeFillFields.size() == O.ScopeFillFields.size() &&
           ScopeEndFields.size() == O.ScopeEndFields.size() &&
           ZeroCounts.size() == O.ZeroCounts.size();
  }
};

/// Analyses FD's body, which runs as Scope says, and reports what it finds
/// to Out. Functions it cannot model completely are left alone; one whose
/// analysis would take more than Budget steps
/// (PluginOptions::AnalysisBudget) too, with a remark that says so.
/// CallsHelper: FD calls a function with an inferred summary. Sum, if
/// given, receives FD's summary.
/// Has a `ts_tensor *` or `ts_tensor **` parameter, or returns a tensor:
/// its summary may say what it does with them even when it calls nothing
/// tsmem models.
bool takesTensors(const clang::FunctionDecl *FD);

void analyzeFunction(const clang::FunctionDecl *FD, BodyScope Scope,
                     const BodyFacts &Facts, CallModels &Models,
                     clang::ASTContext &Ctx, Findings &Out, uint64_t Budget,
                     bool CallsHelper = false, FunctionSummary *Sum = nullptr);

/// FD's summary on the paths where its integer parameter Param holds Val
/// on entry (the path engine decides its tests of Param by that): what a
/// call passing that constant does. Nothing is reported.
void summarizeWithFlag(const clang::FunctionDecl *FD, BodyScope Scope,
                       const BodyFacts &Facts, CallModels &Models,
                       clang::ASTContext &Ctx, uint64_t Budget,
                       bool CallsHelper, unsigned Param, int64_t Val,
                       FunctionSummary &Sum);

} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_FUNCTIONANALYSIS_H
