//===- ScopeFills.cpp - Fields a scoped body fills, seen by its caller ----===//
//
// A body that is one scope (TS_SCOPED, or a ts_run callback) may leave a
// tensor in a field of the struct its pointer parameter points to:
//
//   static void *job(void *arg) {
//     struct req *r = arg;                 /* the parameter, typed */
//     r->out = ts_escape(ts_relu(h));      /* the caller's after the run */
//     r->tmp = ts_neg(h);                  /* freed as the run's scope ends */
//     return NULL;
//   }
//
// Escaped out of the body's scope, the tensor is the caller's (or its
// current scope's) once the body returns; not escaped, the body's scope
// freed it on the way out. When a field holds one or the other on every
// way out, the summary says so (FunctionSummary::ScopeFillFields,
// ScopeEndFields), and a caller's `ts_run(job, &req)` (or a call of the
// TS_SCOPED function) puts a new tensor, or a freed one, in that field of
// its struct: a leak when the caller drops it, a use after scope when it
// reads the freed one (issue 15, FN 34).
//
// A local pointer initialised from a pointer parameter and never assigned
// again (`struct req *r = arg;`) stands for the parameter.
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"

#include "clang/AST/RecursiveASTVisitor.h"
#include "llvm/ADT/BitVector.h"

namespace tsmem {
namespace ownership {

namespace {

enum FillKind : uint8_t { FillNone = 0, FillEscaped = 1, FillEnded = 2 };

/// Locals `T *r = p;` (p a pointer parameter, casts allowed) that are never
/// assigned, incremented or have their address taken afterwards.
class ParamAliasScan : public RecursiveASTVisitor<ParamAliasScan> {
public:
  llvm::DenseMap<const VarDecl *, int> Alias;
  llvm::DenseSet<const VarDecl *> Bad;

  bool VisitVarDecl(VarDecl *VD) {
    if (!VD->hasLocalStorage() || isa<ParmVarDecl>(VD) ||
        !VD->getType()->isPointerType() ||
        !VD->getType()->getPointeeType()->isRecordType() || !VD->getInit())
      return true;
    const auto *DRE =
        dyn_cast<DeclRefExpr>(VD->getInit()->IgnoreParenCasts());
    const auto *P = DRE ? dyn_cast<ParmVarDecl>(DRE->getDecl()) : nullptr;
    if (P && P->getType()->isPointerType())
      Alias[VD] = int(P->getFunctionScopeIndex());
    return true;
  }
  void bad(const Expr *E) {
    if (const auto *DRE = dyn_cast<DeclRefExpr>(E->IgnoreParenCasts()))
      if (const auto *VD = dyn_cast<VarDecl>(DRE->getDecl()))
        Bad.insert(VD);
  }
  bool VisitBinaryOperator(BinaryOperator *BO) {
    if (BO->isAssignmentOp())
      bad(BO->getLHS());
    return true;
  }
  bool VisitUnaryOperator(UnaryOperator *UO) {
    if (UO->isIncrementDecrementOp() || UO->getOpcode() == UO_AddrOf)
      bad(UO->getSubExpr());
    return true;
  }
};

/// The fields below Top, by field, every step a field and only the first
/// through the pointer (`->a.b`).
bool arrowPath(LocKey Q, LocKey Top, FieldPath &Path) {
  Path.clear();
  for (; Q && Q != Top; Q = Q->Parent) {
    if (Q->Step != Loc::Field || Q->Arrow != (Q->Parent == Top))
      return false;
    Path.push_back(Q->Member);
  }
  std::reverse(Path.begin(), Path.end());
  return Q == Top && !Path.empty();
}

} // namespace

int FunctionAnalyzer::scopeFillParam(const VarDecl *VD) {
  if (const auto *P = dyn_cast<ParmVarDecl>(VD))
    return P->getType()->isPointerType() ? int(P->getFunctionScopeIndex())
                                         : -1;
  if (!AliasesScanned) {
    AliasesScanned = true;
    ParamAliasScan Scan;
    Scan.TraverseStmt(const_cast<Stmt *>(FD->getBody()));
    for (const auto &[V, I] : Scan.Alias)
      if (!Scan.Bad.count(V))
        ParamAliases[V] = I;
  }
  auto It = ParamAliases.find(VD);
  return It == ParamAliases.end() ? -1 : It->second;
}

void FunctionAnalyzer::noteExitScopeFills(const BlockInfo &BI) {
  if (!Sum || Scope != BodyScope::Scoped || !Locs.anyIndirect())
    return;
  auto &Kinds = ExitScopeFills[BI.B->getBlockID()];
  Kinds.clear();
  S.Pts.forEach([&](LocKey L, const ObjSet &Os) {
    if (!L->Indirect || L->isVar() || Os.empty() || scopeFillParam(L->Base) < 0)
      return;
    uint8_t K = FillNone;
    bool First = true;
    for (ObjId Id : Os) {
      const Obj *O = S.Objs.find(Id);
      uint8_t This = FillNone;
      if (O && !isParam(Id) && !isForeign(Id)) {
        if (O->Bits == HandedOn && EscapedOut.count(Id))
          This = FillEscaped;
        else if (O->Bits == Scoped && O->Region == FD)
          This = FillEnded;
      }
      K = First || K == This ? This : FillNone;
      First = false;
    }
    Kinds.push_back({L, K});
  });
}

bool FunctionAnalyzer::storedOnEveryPath(LocKey L) {
  // The states join what a field holds on each path (a path without the
  // store adds nothing): look for a way from the entry to the exit that
  // passes no block storing to L.
  llvm::BitVector Stores(Cfg->getNumBlockIDs());
  for (const BlockInfo &BI : Blocks)
    for (const Op &O : BI.Ops)
      if (O.K == Op::Assign &&
          placeOf(ignoreParenCasts(cast<BinaryOperator>(O.St)->getLHS())) == L)
        Stores.set(BI.B->getBlockID());
  llvm::BitVector Seen(Cfg->getNumBlockIDs());
  llvm::SmallVector<const CFGBlock *, 16> Work{&Cfg->getEntry()};
  Seen.set(Cfg->getEntry().getBlockID());
  while (!Work.empty()) {
    const CFGBlock *B = Work.pop_back_val();
    if (B == &Cfg->getExit())
      return false;
    if (Stores.test(B->getBlockID()))
      continue;
    for (const CFGBlock::AdjacentBlock &Succ : B->succs())
      if (const CFGBlock *N = Succ.getReachableBlock())
        if (!Seen.test(N->getBlockID())) {
          Seen.set(N->getBlockID());
          Work.push_back(N);
        }
  }
  return true;
}

void FunctionAnalyzer::summarizeScopeFills() {
  if (ExitScopeFills.empty() || ExitScopeFills.size() != ExitBits.size())
    return;
  FunctionSummary &F = *Sum;
  const auto &First = ExitScopeFills.begin()->second;
  for (const auto &Entry : First) {
    // Named, not a structured binding: the lambda below captures L.
    const auto *L = Entry.first;
    auto K0 = Entry.second;
    if (K0 == FillNone)
      continue;
    bool All = true;
    for (const auto &[Block, Kinds] : ExitScopeFills) {
      auto It =
          llvm::find_if(Kinds, [&](const auto &P) { return P.first == L; });
      All &= It != Kinds.end() && It->second == K0;
    }
    LocKey Top = Locs.findVar(L->Base);
    FieldPath Path;
    if (!All || !Top || !arrowPath(L, Top, Path) || !storedOnEveryPath(L))
      continue;
    std::pair<unsigned, FieldPath> E{unsigned(scopeFillParam(L->Base)),
                                     std::move(Path)};
    auto &List = K0 == FillEscaped ? F.ScopeFillFields : F.ScopeEndFields;
    if (!llvm::is_contained(List, E))
      List.push_back(std::move(E));
  }
  auto Less = [](const std::pair<unsigned, FieldPath> &A,
                 const std::pair<unsigned, FieldPath> &B) {
    if (A.first != B.first)
      return A.first < B.first;
    for (unsigned I = 0; I < A.second.size() && I < B.second.size(); ++I)
      if (A.second[I]->getFieldIndex() != B.second[I]->getFieldIndex())
        return A.second[I]->getFieldIndex() < B.second[I]->getFieldIndex();
    return A.second.size() < B.second.size();
  };
  llvm::sort(F.ScopeFillFields, Less);
  llvm::sort(F.ScopeEndFields, Less);
}

void FunctionAnalyzer::scopeFillArgs(const CallExpr *CE, const CallModel &M) {
  // ts_run(fn, ctx): fn(ctx) in a scope of its own. A call of a TS_SCOPED
  // function: the same, argument by argument.
  const FunctionSummary *FS = nullptr;
  unsigned Shift = 0;
  if (M.Kind == CallKind::Run) {
    if (CE->getNumArgs() < 2)
      return;
    const Expr *Fn = ignoreParenCasts(CE->getArg(0));
    if (const auto *UO = dyn_cast<UnaryOperator>(Fn))
      if (UO->getOpcode() == UO_AddrOf)
        Fn = ignoreParenCasts(UO->getSubExpr());
    const auto *DRE = dyn_cast<DeclRefExpr>(Fn);
    const auto *Target = DRE ? dyn_cast<FunctionDecl>(DRE->getDecl()) : nullptr;
    if (!Target)
      return;
    FS = Models.get(Target).Fields;
    Shift = 1;
  } else if (M.Inferred && M.Fields) {
    const FunctionDecl *Callee = CE->getDirectCallee();
    if (!Callee || bodyScopeOf(Callee) != BodyScope::Scoped)
      return;
    FS = M.Fields;
  }
  if (!FS || (FS->ScopeFillFields.empty() && FS->ScopeEndFields.empty()))
    return;
  auto Apply = [&](const std::vector<std::pair<unsigned, FieldPath>> &List,
                   bool Gone, unsigned Base) {
    for (unsigned K = 0; K < List.size(); ++K) {
      unsigned I = List[K].first + Shift;
      if (I >= CE->getNumArgs())
        continue;
      const Expr *A = ignoreParenCasts(CE->getArg(I));
      LocKey P = nullptr;
      bool Arrow = false;
      if (const auto *UO = dyn_cast<UnaryOperator>(A)) {
        if (UO->getOpcode() == UO_AddrOf &&
            UO->getSubExpr()->getType()->isRecordType())
          P = placeOf(UO->getSubExpr());
      } else if (isa<DeclRefExpr>(A) && A->getType()->isPointerType() &&
                 A->getType()->getPointeeType()->isRecordType()) {
        P = placeOf(A);
        Arrow = true;
      }
      if (!P)
        continue;
      // The struct the argument points to must be the one the callee's
      // parameter does.
      const FieldDecl *F0 = List[K].second.front();
      QualType RT = Arrow ? A->getType()->getPointeeType()
                          : cast<UnaryOperator>(A)->getSubExpr()->getType();
      const auto *RD = RT->getAsRecordDecl();
      if (!RD || RD->getCanonicalDecl() !=
                     F0->getParent()->getCanonicalDecl())
        continue;
      LocKey Q = follow(P, List[K].second, Arrow);
      ObjId Id = allocField(CE, Base + K);
      if (Gone) {
        Obj *O = S.Objs.findMut(Id);
        O->Bits = Ended;
        O->Region = nullptr;
        O->EndLoc = CE->getRParenLoc();
        S.noteMayReport(Id);
      }
      if (Obj *O = S.Objs.findMut(Id))
        O->LastVar = Q;
      assignPlace(Q, {Id});
    }
  };
  Apply(FS->ScopeFillFields, false, 3000);
  Apply(FS->ScopeEndFields, true, 4000);
}

} // namespace ownership
} // namespace tsmem
