//===- FileAnalysis.cpp - Every function of a translation unit ------------===//
//
// runOwnershipAnalysis: the functions of a file analysed callees first, over
// its call graph, so that each caller sees what a same-file helper does with
// the tensors it is given and returns (its FunctionSummary, as a CallModel);
// cycles are analysed again until their summaries settle.
//
//===----------------------------------------------------------------------===//
#include "Diagnostics.h"
#include "FunctionAnalysis.h"
#include "FunctionCollector.h"
#include "OwnershipAnalysis.h"
#include "OwnershipModel.h"
#include "TsmemNames.h"
#include "TuGeneration.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Attr.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <deque>
#include <vector>

using namespace clang;

namespace tsmem {

namespace {
/// The direct callees of a body the walker could not take.
class CalleeScan : public RecursiveASTVisitor<CalleeScan> {
public:
  bool VisitCallExpr(CallExpr *CE) {
    const FunctionDecl *Callee = CE->getDirectCallee();
    if (!Callee)
      return true;
    Callees.push_back(Callee->getFirstDecl());
    // A ts_run callback, as in the collector.
    if (Callee->getIdentifier() && Callee->getName() == "ts_run" &&
        CE->getNumArgs() >= 1) {
      const Expr *Fn = CE->getArg(0)->IgnoreParenCasts();
      if (const auto *UO = dyn_cast<UnaryOperator>(Fn))
        if (UO->getOpcode() == UO_AddrOf)
          Fn = UO->getSubExpr()->IgnoreParenCasts();
      if (const auto *DRE = dyn_cast<DeclRefExpr>(Fn))
        if (const auto *T = dyn_cast<FunctionDecl>(DRE->getDecl()))
          Callees.push_back(T->getFirstDecl());
    }
    return true;
  }
  bool VisitVarDecl(VarDecl *VD) {
    if (const auto *CA = VD->getAttr<CleanupAttr>())
      if (const FunctionDecl *Fn = CA->getFunctionDecl())
        Callees.push_back(Fn->getFirstDecl());
    return true;
  }
  llvm::SmallVector<const FunctionDecl *, 4> Callees;
};
} // namespace

void runOwnershipAnalysis(ASTContext &Ctx, Reporter &Report, uint64_t Budget) {
  beginTranslationUnit();
  // Code that names nothing of tsmem's has no function to analyse, unless
  // TSMEM_ANALYZE_ALL (FunctionAnalyzer::run) asks for all: no walk then.
  static const bool AnalyzeAll = std::getenv("TSMEM_ANALYZE_ALL") != nullptr;
  if (!AnalyzeAll && !mayMentionTsmem(Ctx.Idents))
    return;
  CallModels Models(Ctx);
  CollectedFunctions Collect = collectFunctions(Ctx, Models);
  size_t N = Collect.Functions.size();

  // The file's call graph, for summaries: callees are analysed first, so a
  // caller sees what each same-file function does with the tensors it is
  // given and returns (FunctionSummary). A callee not summarised yet (a
  // cycle) is an unknown function to its caller: handed on, quiet.
  llvm::DenseMap<const FunctionDecl *, unsigned> Index;
  for (size_t I = 0; I < N; ++I)
    Index.try_emplace(Collect.Functions[I]->getFirstDecl(), I);
  std::vector<llvm::SmallVector<unsigned, 4>> Calls(N);
  std::vector<bool> Cyclic(N);
  for (size_t I = 0; I < N; ++I) {
    CalleeScan Scan;
    const llvm::SmallVector<const FunctionDecl *, 4> *Callees =
        &Collect.Facts[I]->Callees;
    if (!Collect.Facts[I]->Known) {
      Scan.TraverseStmt(Collect.Functions[I]->getBody());
      Callees = &Scan.Callees;
    }
    for (const FunctionDecl *C : *Callees) {
      auto It = Index.find(C);
      if (It != Index.end() && It->second == I)
        Cyclic[I] = true; // Calls itself.
      if (It != Index.end() && It->second != I &&
          !llvm::is_contained(Calls[I], It->second))
        Calls[I].push_back(It->second);
    }
  }
  // Post-order of a depth-first walk: callees before their callers.
  std::vector<unsigned> Order;
  Order.reserve(N);
  {
    std::vector<bool> Seen(N);
    llvm::SmallVector<std::pair<unsigned, unsigned>, 16> Stack;
    for (unsigned Root = 0; Root < N; ++Root) {
      if (Seen[Root])
        continue;
      Seen[Root] = true;
      Stack.push_back({Root, 0});
      while (!Stack.empty()) {
        auto &[F, Next] = Stack.back();
        if (Next < Calls[F].size()) {
          unsigned C = Calls[F][Next++];
          if (!Seen[C]) {
            Seen[C] = true;
            Stack.push_back({C, 0});
          }
          continue;
        }
        Order.push_back(F);
        Stack.pop_back();
      }
    }
  }

  std::vector<Findings> Found(N);
  // Position of each function in Order: a callee at or after its caller's
  // position (a cycle, recursion included) had no summary yet when the
  // caller was analysed.
  std::vector<unsigned> Pos(N);
  for (unsigned P = 0; P < N; ++P)
    Pos[Order[P]] = P;
  std::vector<CallModel> Inferred(N);
  // Plain user functions (no annotation, not tsmem.h's) may get a summary.
  std::vector<bool> Plain(N);
  for (unsigned I = 0; I < N; ++I)
    Plain[I] = Models.isPlainUserFunction(Collect.Functions[I]);
  std::vector<bool> HasInferred(N);
  // Summaries with fields, which the models point to.
  std::deque<FunctionSummary> FieldSums;
  // The model of a call of a plain user function from its summary.
  auto modelOf = [](const FunctionSummary &Sum, BodyScope Scope,
                    BodyScope Declared) {
    CallModel M;
    M.Inferred = true;
    M.BorrowMask = Sum.BorrowMask;
    M.FreeMask = Sum.FreeMask;
    M.Kind = CallKind::Helper;
    if (Sum.ReturnsOwned && Scope == Declared)
      M.Kind = CallKind::Owned;
    // Passed to ts_run without TS_SCOPED: its body is a scope only there.
    M.RunReturnsOwned = Sum.ReturnsOwned && Scope == BodyScope::Scoped;
    // TS_CALLER_SCOPE as written (not a guess at a thread's function).
    if (Sum.ReturnsCallerScoped && Declared == BodyScope::CallerScope) {
      M.Kind = CallKind::Owned;
      M.CallerScoped = true;
    }
    M.FreeIfNullMask = Sum.FreeIfNullMask;
    M.FreeIfNonNullMask = Sum.FreeIfNonNullMask;
    M.AliasParam = Sum.AliasParam;
    M.OutMask = Sum.OutMask;
    M.OutIfNullMask = Sum.OutIfNullMask;
    M.OutIfNonNullMask = Sum.OutIfNonNullMask;
    M.OutCallerScoped = Sum.OutCallerScoped;
    M.RetOutParam = Sum.RetOutParam;
    M.OutEndMask = Sum.OutEndMask;
    M.ReplaceMask = Sum.ReplaceMask;
    M.FreeDerefMask = Sum.FreeDerefMask;
    M.FreeDerefCondMask = Sum.FreeDerefCondMask;
    return M;
  };
  // A helper that frees a tensor parameter or not as a flag says
  // (`consume`): the summaries of its calls passing 0 and 1.
  auto flagModels = [&](unsigned I, BodyScope Scope, BodyScope Declared,
                        const CallModel &General, bool CallsHelper) {
    const FunctionDecl *FD = Collect.Functions[I];
    uint32_t Flags = Collect.Facts[I]->FlagParams;
    uint32_t Open = 0;
    for (unsigned P = 0; P < FD->getNumParams() && P < 32; ++P)
      if (isTensorPointer(FD->getParamDecl(P)->getType()))
        Open |= 1u << P;
    Open &= ~(General.FreeMask | General.BorrowMask);
    if (!Flags || !Open)
      return;
    unsigned Param = llvm::countr_zero(Flags);
    for (unsigned Val = 0; Val < 2; ++Val) {
      FunctionSummary FS;
      summarizeWithFlag(FD, Scope, *Collect.Facts[I], Models, Ctx, Budget,
                        CallsHelper, Param, Val, FS);
      if (!FS.Valid)
        continue;
      CallModel M = modelOf(FS, Scope, Declared);
      if (((M.FreeMask | M.BorrowMask) & Open) == 0)
        continue;
      if (FS.hasFields())
        M.Fields = &FieldSums.emplace_back(std::move(FS));
      Models.setFlagModel(FD, Param, Val, M);
    }
  };
  auto Analyze = [&](unsigned I) {
    const FunctionDecl *FD = Collect.Functions[I];
    BodyScope Scope = bodyScopeOf(FD);
    BodyScope Declared = Scope;
    if (Scope == BodyScope::None &&
        Collect.RunTargets.count(FD->getCanonicalDecl()))
      Scope = BodyScope::Scoped;
    // Maybe a ts_run callback, maybe a thread's: its tensors may belong
    // to a scope, so they are not the function's to free (quiet).
    if (Scope == BodyScope::None && Collect.CallsRun &&
        Collect.MaybeRunTargets.count(FD->getCanonicalDecl()))
      Scope = BodyScope::CallerScope;
    bool CallsHelper = llvm::any_of(Calls[I], [&](unsigned C) {
      return Models.get(Collect.Functions[C]).Inferred;
    });
    FunctionSummary Sum;
    Found[I] = Findings();
    analyzeFunction(FD, Scope, *Collect.Facts[I], Models, Ctx, Found[I], Budget,
                    CallsHelper, &Sum);
    static const bool Debug = std::getenv("TSMEM_DEBUG_SUMMARIES") != nullptr;
    if (Debug && Sum.Valid)
      llvm::errs() << "tsmem summary " << FD->getName() << ": returns "
                   << (Sum.ReturnsOwned          ? "owned"
                       : Sum.ReturnsCallerScoped ? "caller-scoped"
                                                 : "other")
                   << ", borrows " << Sum.BorrowMask << ", frees "
                   << Sum.FreeMask << ", fields returned "
                   << Sum.RetFields.size() << " freed " << Sum.FreeFields.size()
                   << " filled " << Sum.FillFields.size() << " scope-filled "
                   << Sum.ScopeFillFields.size() << " scope-ended "
                   << Sum.ScopeEndFields.size() << "\n";
    if (!Sum.Valid || FD->isWeak() || !Plain[I])
      return false;
    CallModel M = modelOf(Sum, Scope, Declared);
    flagModels(I, Scope, Declared, M, CallsHelper);
    if (M.Kind == CallKind::Helper && !M.BorrowMask && !M.FreeMask &&
        !M.RunReturnsOwned && !M.conditional() && M.AliasParam < 0 &&
        !M.outParams() && !M.ReplaceMask && !Sum.hasFields() &&
        !M.FreeDerefMask && !M.FreeDerefCondMask)
      return false;
    const CallModel &P = Inferred[I];
    bool FieldsChanged =
        !P.Fields ? Sum.hasFields() : !P.Fields->sameFieldShape(Sum);
    if (Sum.hasFields())
      M.Fields = &FieldSums.emplace_back(std::move(Sum));
    bool Changed =
        !HasInferred[I] || P.Kind != M.Kind || P.BorrowMask != M.BorrowMask ||
        P.FreeMask != M.FreeMask || P.CallerScoped != M.CallerScoped ||
        P.RunReturnsOwned != M.RunReturnsOwned ||
        P.FreeIfNullMask != M.FreeIfNullMask ||
        P.FreeIfNonNullMask != M.FreeIfNonNullMask ||
        P.AliasParam != M.AliasParam || P.OutMask != M.OutMask ||
        P.OutIfNullMask != M.OutIfNullMask ||
        P.OutIfNonNullMask != M.OutIfNonNullMask ||
        P.OutCallerScoped != M.OutCallerScoped ||
        P.RetOutParam != M.RetOutParam || P.OutEndMask != M.OutEndMask ||
        P.ReplaceMask != M.ReplaceMask || P.FreeDerefMask != M.FreeDerefMask ||
        P.FreeDerefCondMask != M.FreeDerefCondMask || FieldsChanged;
    HasInferred[I] = true;
    Inferred[I] = M;
    Models.setInferred(FD, M);
    return Changed;
  };
  for (unsigned I : Order)
    Analyze(I);
  // Recursion (a call to itself, or a cycle): the callers in a cycle saw
  // their callees as unknown functions. Analysed again with the summaries
  // now known, a few rounds, until no summary changes.
  // Only those with a callee in the cycle that did get a summary.
  std::vector<llvm::SmallVector<unsigned, 2>> Late(N);
  for (unsigned I = 0; I < N; ++I) {
    if (Cyclic[I])
      Late[I].push_back(I);
    for (unsigned C : Calls[I])
      if (Pos[C] >= Pos[I])
        Late[I].push_back(C);
  }
  for (unsigned Round = 0; Round < 3; ++Round) {
    bool Any = false;
    for (unsigned I : Order)
      if (llvm::any_of(Late[I], [&](unsigned C) { return HasInferred[C]; }))
        Any |= Analyze(I);
    if (!Any)
      break;
  }
  // Reported in the order of the file.
  for (const Findings &F : Found)
    F.replay(Report, Ctx.getDiagnostics());
}

} // namespace tsmem
