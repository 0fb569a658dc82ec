//===- OwnershipModel.h - What tsmem's calls do to ownership ----*- C++ -*-===//
//
// The facts the ownership analysis reads off declarations: which calls make,
// consume, escape, keep or only borrow a tensor, which variables hold tensors
// and which declarations open a scope (SPEC.md sections 2, 4 and 5).
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_CLANG_PLUGIN_OWNERSHIPMODEL_H
#define TSMEM_CLANG_PLUGIN_OWNERSHIPMODEL_H

#include "clang/AST/Expr.h"
#include "clang/AST/Type.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/SmallVector.h"
#include <cstdint>
#include <optional>
#include <vector>

namespace clang {
class ASTContext;
class CallExpr;
class FunctionDecl;
class VarDecl;
} // namespace clang

namespace tsmem {

struct FunctionSummary;
/// Fields from a struct down to one inside it (`.a.b`).
using FieldPath = llvm::SmallVector<const clang::FieldDecl *, 2>;

/// What a call does with the tensors passed to it and what it returns.
enum class CallKind {
  Unknown,     ///< Not modelled: tensors passed to it are handed on.
  Borrow,      ///< A tsmem.h call that only reads its tensor arguments.
  Owned,       ///< annotate("tsmem.owned"): returns a new tensor.
  Free,        ///< ts_free: frees its consumed argument.
  PoolRelease, ///< ts_pool_release: hands its consumed argument to a pool.
  Consume,     ///< A user function with annotate("tsmem.consumes", n).
  Escape,      ///< ts_escape, ts_scope_escape_tensor.
  Keep,        ///< ts_keep.
  Register,    ///< ts_scope_register_tensor.
  ScopeBegin,  ///< ts_scope_begin.
  ScopeEnd,    ///< ts_scope_end.
  Run,         ///< ts_run: its context is handed on.
  AsyncEnter,  ///< ts_async_scope_enter: an async scope becomes current.
  AsyncLeave,  ///< ts_async_scope_leave.
  AsyncEnd,    ///< ts_async_scope_end: frees what the async scope owns.
  LoopOpen,    ///< ts__loop_scope_open(&g): TS_SCOPE loop's next scope.
  LoopClose,   ///< ts__loop_scope_close(&g): ends it, if open.
  Helper,      ///< A same-file function with an inferred summary that
               ///< returns nothing the caller owns (Inferred).
};

struct CallModel {
  CallKind Kind = CallKind::Unknown;
  /// For Free, PoolRelease and Consume: the 0-based consumed argument.
  unsigned ConsumedArg = ~0u;
  /// Declared by tsmem.h (rather than by the user).
  bool Api = false;
  /// From a summary the analysis inferred for a same-file function without
  /// annotations (Owned: it returns a tensor it made; Helper: it does not),
  /// rather than from an annotation. Then the masks say, bit I for
  /// parameter I, which tensor parameters it only borrows and which it frees
  /// on every path; any other tensor argument is handed on.
  bool Inferred = false;
  uint32_t BorrowMask = 0;
  uint32_t FreeMask = 0;
  /// Owned (inferred for a TS_CALLER_SCOPE function): what it returns was
  /// made in, and belongs to, the caller's current scope (SPEC.md section
  /// 4); outside any scope the analysis does not follow it.
  bool CallerScoped = false;
  /// A function passed to ts_run whose every return is NULL or a tensor
  /// escaped out of (or kept from) the run's scope: ts_run returns a
  /// tensor the caller owns (or its current scope does).
  bool RunReturnsOwned = false;
  /// Inferred effects that depend on the call's result (FunctionSummary).
  uint32_t FreeIfNullMask = 0;
  uint32_t FreeIfNonNullMask = 0;
  int AliasParam = -1;
  uint32_t OutMask = 0;
  uint32_t OutIfNullMask = 0;
  uint32_t OutIfNonNullMask = 0;
  bool OutCallerScoped = false;
  /// Every return is NULL or the tensor handed back through this
  /// out-parameter (-1: none): the call's value is the caller's variable's
  /// tensor (ReturnedOuts.cpp).
  int RetOutParam = -1;
  /// Inferred (TS_SCOPED): `ts_tensor **` parameters through which a tensor
  /// of the callee's own scope is handed back on every path: its scope
  /// ended when the callee returned (FunctionSummary::OutEndMask).
  uint32_t OutEndMask = 0;
  /// Inferred: `ts_tensor **` parameters whose tensor is left alone or
  /// replaced by a new one (FunctionSummary::ReplaceMask).
  uint32_t ReplaceMask = 0;
  /// Frees the tensor `*p` held on entry (FunctionSummary).
  uint32_t FreeDerefMask = 0;
  uint32_t FreeDerefCondMask = 0;
  /// Has an effect that a test of the call's result settles.
  bool conditional() const {
    return FreeIfNullMask | FreeIfNonNullMask | OutIfNullMask |
           OutIfNonNullMask;
  }
  uint32_t outParams() const {
    return OutMask | OutIfNullMask | OutIfNonNullMask | OutEndMask;
  }
  /// Inferred: what it does to tensors in fields (FunctionSummary).
  const FunctionSummary *Fields = nullptr;
};

CallModel modelCall(const clang::CallExpr *Call, clang::ASTContext &Ctx);

/// modelCall for a whole translation unit: a call's model depends only on
/// its callee, so each callee is looked at once.
/// A same-file helper that, between ts_async_scope_enter(p->Scope) and
/// ts_async_scope_leave(p->Scope), stores a tensor it makes in p->Tensor
/// (Elem: in some element of the array p->Tensor): the tensor belongs to
/// the async scope `p->Scope` names (AsyncFills.cpp).
struct AsyncFill {
  unsigned Param;
  const clang::FieldDecl *Scope;
  const clang::FieldDecl *Tensor;
  bool Elem;
};

/// A same-file helper that stores its tensor parameter Arg, and does
/// nothing else with it, in Param->Field (Elem: in some element of that
/// array) on every way out, or (Refuses) on every way out but returns of
/// a nonzero constant before the store (StoreArgs.cpp).
struct ArgStore {
  unsigned Arg;
  unsigned Param;
  const clang::FieldDecl *Field;
  bool Elem;
  bool Refuses;
};

/// The fields of *p a same-file helper names, p its pointer parameter;
/// All: p may reach any of them (UntouchedFields.cpp).
struct FieldReach {
  bool All = false;
  llvm::SmallPtrSet<const clang::FieldDecl *, 4> Named;
};
/// Each tensor field the file frees by name, with the functions that do
/// (TeardownFields.cpp).
using FreedFieldMap =
    llvm::DenseMap<const clang::FieldDecl *,
                   llvm::SmallPtrSet<const clang::FunctionDecl *, 4>>;
using FieldReachCache =
    llvm::DenseMap<std::pair<const clang::FunctionDecl *, unsigned>,
                   FieldReach>;

class CallModels {
public:
  /// UntouchedFields.cpp's reads, each helper's parameter's once.
  FieldReachCache FieldReaches;
  /// AsyncFills.cpp's summaries, each helper's computed once.
  llvm::DenseMap<const clang::FunctionDecl *, std::vector<AsyncFill>>
      AsyncFillCache;
  /// StoreArgs.cpp's summaries, each helper's computed once.
  llvm::DenseMap<const clang::FunctionDecl *, std::vector<ArgStore>>
      ArgStoreCache;
  /// TeardownFields.cpp's scan of the file, made on first need.
  std::optional<FreedFieldMap> FreedFields;
  /// ShortFreeLoops.cpp's (array field, count field) pairs the file frees
  /// whole in a loop, made on first need.
  std::optional<llvm::DenseSet<
      std::pair<const clang::FieldDecl *, const clang::FieldDecl *>>>
      CountedArrays;
  explicit CallModels(clang::ASTContext &Ctx) : Ctx(Ctx) {}

  /// What the path engine asks of a direct callee for each call it reads
  /// (PathFacts.cpp): its builtin ID (each look-up searches the callee's
  /// attributes) and the integer constant all its returns give, if any.
  /// Both depend on the callee alone: found once per translation unit.
  struct CalleeFacts {
    unsigned BuiltinID = 0;
    bool ConstKnown = false; ///< ConstReturn computed.
    std::optional<int64_t> ConstReturn;
  };
  CalleeFacts &calleeFacts(const clang::FunctionDecl *Callee);

  /// By value: a reference into the cache would not survive the next call.
  /// A call passing 0 or 1 to a flag its callee's summary was specialised
  /// on (setFlagModel) gets that summary's model.
  CallModel get(const clang::CallExpr *Call);
  /// For a call whose direct callee is Callee.
  CallModel get(const clang::FunctionDecl *Callee);
  /// Whether Callee's model comes from its declarations alone: neither
  /// tsmem.h's nor annotated (a summary may then be inferred for it).
  bool isPlainUserFunction(const clang::FunctionDecl *Callee);
  /// Calls to Callee use M from now on (an inferred summary).
  void setInferred(const clang::FunctionDecl *Callee, const CallModel &M);
  /// Calls to Callee whose argument Param is the constant Val (0 or 1) use
  /// M (FileAnalysis.cpp, flagModels); Callee's other calls keep its
  /// model.
  void setFlagModel(const clang::FunctionDecl *Callee, unsigned Param,
                    unsigned Val, const CallModel &M);

private:
  struct FlagModel {
    unsigned Param = 0;
    CallModel M[2];
    bool Has[2] = {false, false};
  };
  llvm::DenseMap<const clang::FunctionDecl *, FlagModel> Flags;
  clang::ASTContext &Ctx;
  llvm::DenseMap<const clang::FunctionDecl *, CallModel> Cache;
  llvm::DenseMap<const clang::FunctionDecl *, CalleeFacts> Callees;
};

/// How a function body relates to scopes, as a whole.
enum class BodyScope {
  None,        ///< Tensors made outside an inner scope are the function's.
  Scoped,      ///< TS_SCOPED, or passed to ts_run: the body is one scope.
  CallerScope, ///< TS_CALLER_SCOPE: runs inside the caller's scope.
};

BodyScope bodyScopeOf(const clang::FunctionDecl *FD);

/// `ts_tensor *` (any qualifiers on either level, through typedefs).
bool isTensorPointer(clang::QualType T);

/// A TS_SCOPE_GUARD() variable: cleanup(ts__scope_guard_end).
bool isScopeGuard(const clang::VarDecl *VD);
/// The guard of a TS_SCOPE loop's scopes (TS__LOOP_SCOPE in tsmem.h).
bool isLoopScopeGuard(const clang::VarDecl *VD);

/// Does FD carry __attribute__((annotate(Name))) on any declaration?
bool hasAnnotation(const clang::FunctionDecl *FD, llvm::StringRef Name);

} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_OWNERSHIPMODEL_H
