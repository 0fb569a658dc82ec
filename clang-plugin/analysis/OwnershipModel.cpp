//===- OwnershipModel.cpp - What tsmem's calls do to ownership ------------===//
//
// Annotations first (TS_OWNED, TS_CONSUMES, TS_SCOPED, TS_CALLER_SCOPE), then
// the runtime calls recognised by name, and only when declared by tsmem.h:
// a user function that happens to be called ts_something stays unknown.
//
//===----------------------------------------------------------------------===//
#include "OwnershipModel.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Attr.h"
#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/ADT/StringSwitch.h"

using namespace clang;

namespace tsmem {

bool hasAnnotation(const FunctionDecl *FD, llvm::StringRef Name) {
  for (const FunctionDecl *D : FD->redecls())
    for (const auto *A : D->specific_attrs<AnnotateAttr>())
      if (A->getAnnotation() == Name)
        return true;
  return false;
}

namespace {

/// The 1-based parameter of annotate("tsmem.consumes", n), made 0-based.
unsigned consumedParam(const FunctionDecl *FD, ASTContext &Ctx) {
  for (const FunctionDecl *D : FD->redecls())
    for (const auto *A : D->specific_attrs<AnnotateAttr>()) {
      if (A->getAnnotation() != "tsmem.consumes" || A->args_size() != 1)
        continue;
      const Expr *Arg = *A->args_begin();
      if (Arg->isValueDependent())
        continue;
      if (std::optional<llvm::APSInt> N = Arg->getIntegerConstantExpr(Ctx))
        if (*N >= 1 && *N <= FD->getNumParams())
          return static_cast<unsigned>(N->getZExtValue()) - 1;
    }
  return ~0u;
}

/// Declared by tsmem.h (or a header under include/tsmem/).
bool isTsmemApi(const FunctionDecl *FD, const SourceManager &SM) {
  if (!FD->getIdentifier() || !FD->getName().starts_with("ts_"))
    return false;
  SourceLocation Loc =
      SM.getExpansionLoc(FD->getCanonicalDecl()->getLocation());
  // The presumed file: in preprocessed input (.i) the line markers name the
  // header, the buffer is the .i file.
  PresumedLoc P = SM.getPresumedLoc(Loc);
  llvm::StringRef File = P.isValid() ? P.getFilename() : SM.getFilename(Loc);
  return File.ends_with("tsmem.h") || File.contains("/tsmem/");
}

} // namespace

namespace {

/// The parameter whose tensor an in-place or out= operator of tsmem's API
/// returns (SPEC section 6: the handle it was given): `out` when it has
/// one, else the first (`self` of `ts_relu_`); -1 for any other call.
int givenBackParam(const FunctionDecl *FD) {
  for (unsigned I = 0; I < FD->getNumParams(); ++I) {
    const ParmVarDecl *P = FD->getParamDecl(I);
    if (P->getIdentifier() && P->getName() == "out" &&
        isTensorPointer(P->getType()))
      return int(I);
  }
  StringRef Name = FD->getName();
  if (Name.ends_with("_") && !Name.starts_with("ts__") &&
      FD->getNumParams() > 0 &&
      isTensorPointer(FD->getParamDecl(0)->getType()))
    return 0;
  return -1;
}

CallModel modelCallee(const FunctionDecl *FD, ASTContext &Ctx) {
  CallModel M;
  if (!FD)
    return M;
  bool Api = isTsmemApi(FD, Ctx.getSourceManager());
  M.Api = Api;
  if (hasAnnotation(FD, "tsmem.owned")) {
    M.Kind = CallKind::Owned;
    return M;
  }
  unsigned Consumed = consumedParam(FD, Ctx);
  if (Consumed != ~0u) {
    M.ConsumedArg = Consumed;
    M.Kind = CallKind::Consume;
    if (Api && FD->getName() == "ts_free")
      M.Kind = CallKind::Free;
    else if (Api && FD->getName() == "ts_pool_release")
      M.Kind = CallKind::PoolRelease;
    return M;
  }
  if (!Api)
    return M;
  M.Kind = llvm::StringSwitch<CallKind>(FD->getName())
               .Cases("ts_escape", "ts_scope_escape_tensor", CallKind::Escape)
               .Case("ts_keep", CallKind::Keep)
               .Case("ts_scope_register_tensor", CallKind::Register)
               .Case("ts_scope_begin", CallKind::ScopeBegin)
               .Case("ts_scope_end", CallKind::ScopeEnd)
               .Case("ts_run", CallKind::Run)
               .Case("ts_async_scope_enter", CallKind::AsyncEnter)
               .Case("ts_async_scope_leave", CallKind::AsyncLeave)
               .Case("ts_async_scope_end", CallKind::AsyncEnd)
               .Case("ts__loop_scope_open", CallKind::LoopOpen)
               .Case("ts__loop_scope_close", CallKind::LoopClose)
               .Default(CallKind::Borrow);
  if (M.Kind == CallKind::Borrow && isTensorPointer(FD->getReturnType()))
    M.AliasParam = givenBackParam(FD);
  return M;
}

} // namespace

CallModel modelCall(const CallExpr *Call, ASTContext &Ctx) {
  return modelCallee(Call->getDirectCallee(), Ctx);
}

CallModel CallModels::get(const FunctionDecl *FD) {
  if (!FD)
    return CallModel();
  // By the first declaration: a summary set for a definition applies to
  // calls through any of its declarations.
  FD = FD->getFirstDecl();
  auto It = Cache.find(FD);
  if (It != Cache.end())
    return It->second;
  CallModel M = modelCallee(FD, Ctx);
  Cache.insert({FD, M});
  return M;
}

CallModels::CalleeFacts &CallModels::calleeFacts(const FunctionDecl *FD) {
  auto [It, New] = Callees.try_emplace(FD);
  if (New)
    It->second.BuiltinID = FD->getBuiltinID();
  return It->second;
}

CallModel CallModels::get(const CallExpr *Call) {
  const FunctionDecl *FD = Call->getDirectCallee();
  if (!Flags.empty() && FD) {
    auto It = Flags.find(FD->getFirstDecl());
    Expr::EvalResult R;
    if (It != Flags.end() && It->second.Param < Call->getNumArgs() &&
        Call->getArg(It->second.Param)->EvaluateAsInt(R, Ctx)) {
      const llvm::APSInt &V = R.Val.getInt();
      if ((V == 0 || V == 1) && It->second.Has[V.getZExtValue()])
        return It->second.M[V.getZExtValue()];
    }
  }
  return get(FD);
}

void CallModels::setFlagModel(const FunctionDecl *FD, unsigned Param,
                              unsigned Val, const CallModel &M) {
  FlagModel &F = Flags[FD->getFirstDecl()];
  if (F.Param != Param)
    F = FlagModel();
  F.Param = Param;
  F.M[Val] = M;
  F.Has[Val] = true;
}

bool CallModels::isPlainUserFunction(const FunctionDecl *FD) {
  CallModel M = get(FD);
  return FD && M.Kind == CallKind::Unknown && !M.Api && !M.Inferred;
}

void CallModels::setInferred(const FunctionDecl *FD, const CallModel &M) {
  Cache[FD->getFirstDecl()] = M;
}

BodyScope bodyScopeOf(const FunctionDecl *FD) {
  // One look through the annotations for both; TS_CALLER_SCOPE wins.
  bool Scoped = false;
  for (const FunctionDecl *D : FD->redecls())
    for (const auto *A : D->specific_attrs<AnnotateAttr>()) {
      if (A->getAnnotation() == "tsmem.caller_scope")
        return BodyScope::CallerScope;
      Scoped |= A->getAnnotation() == "tsmem.scope";
    }
  return Scoped ? BodyScope::Scoped : BodyScope::None;
}

bool isTensorPointer(QualType T) {
  if (T.isNull())
    return false;
  const auto *P = T.getCanonicalType()->getAs<PointerType>();
  if (!P)
    return false;
  const auto *R = P->getPointeeType()->getAs<RecordType>();
  if (!R)
    return false;
  const IdentifierInfo *Name = R->getDecl()->getIdentifier();
  return Name && Name->getName() == "ts_tensor";
}

bool isScopeGuard(const VarDecl *VD) {
  const auto *A = VD->getAttr<CleanupAttr>();
  if (!A || !A->getFunctionDecl())
    return false;
  const FunctionDecl *F = A->getFunctionDecl();
  return F->getIdentifier() && F->getName() == "ts__scope_guard_end";
}

bool isLoopScopeGuard(const VarDecl *VD) {
  const auto *A = VD->getAttr<CleanupAttr>();
  if (!A || !A->getFunctionDecl())
    return false;
  const FunctionDecl *F = A->getFunctionDecl();
  return F->getIdentifier() && F->getName() == "ts__loop_scope_end";
}

} // namespace tsmem
