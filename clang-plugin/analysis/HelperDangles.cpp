//===- HelperDangles.cpp - Helpers that free a field and leave it set -----===//
//
//   static void tel_trim(struct tel *t, int keep) {
//     for (int i = 0; i < t->n - keep; i++)
//       ts_free(t->u[i]);              /* double free: u[i] stays set */
//   }
//   static void tel_free(struct tel *t) {
//     for (int i = 0; i < t->n; i++)
//       ts_free(t->u[i]);
//   }
//   ... tel_trim(&t, 1); tel_free(&t); ...
//
// The helper frees what a field under its pointer parameter holds and
// leaves the field, the count and the links as they were; the file's
// teardown frees that field again. The report is at the helper's free,
// where the field is left dangling. Only the plain shape is taken:
//
// - the helper writes nothing under its parameter (no field cleared,
//   replaced, no count lowered), writes the field through no other base,
//   hands the parameter to no call outside tsmem.h and copies it nowhere;
// - a same-file teardown frees the same field under its own parameter,
//   not under a test of anything but that field;
// - a caller calls the helper as a statement and the teardown later in the
//   same block on the same variable, and between the two no statement
//   assigns the field or hands the variable to another call.
//
//===----------------------------------------------------------------------===//
#include "HelperDangles.h"
#include "Checks.h"
#include "TuGeneration.h"

#include "clang/AST/ParentMapContext.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

using namespace clang;

namespace tsmem {

namespace {

/// The innermost field of `p->f`, `p->f[i]`, `p->a[i].f` and the
/// parameter p at its root (a chain of fields and subscripts), or null.
const FieldDecl *paramField(const Expr *E, const ParmVarDecl *&Root) {
  Root = nullptr;
  E = E->IgnoreParenCasts();
  const FieldDecl *F = nullptr;
  while (true) {
    if (const auto *AS = dyn_cast<ArraySubscriptExpr>(E)) {
      E = AS->getBase()->IgnoreParenCasts();
    } else if (const auto *ME = dyn_cast<MemberExpr>(E)) {
      if (!F)
        F = dyn_cast<FieldDecl>(ME->getMemberDecl());
      if (ME->isArrow()) {
        const auto *DRE =
            dyn_cast<DeclRefExpr>(ME->getBase()->IgnoreParenImpCasts());
        if (!DRE)
          return nullptr;
        Root = dyn_cast<ParmVarDecl>(DRE->getDecl());
        return Root ? F : nullptr;
      }
      E = ME->getBase()->IgnoreParenCasts();
    } else {
      return nullptr;
    }
  }
}

/// The variable at the root of a call argument: `&s`, `s`, `&s->x`.
const ValueDecl *rootVar(const Expr *E) {
  E = E->IgnoreParenCasts();
  while (true) {
    if (const auto *UO = dyn_cast<UnaryOperator>(E)) {
      if (UO->getOpcode() != UO_AddrOf)
        return nullptr;
      E = UO->getSubExpr()->IgnoreParenCasts();
    } else if (const auto *ME = dyn_cast<MemberExpr>(E)) {
      E = ME->getBase()->IgnoreParenCasts();
    } else if (const auto *AS = dyn_cast<ArraySubscriptExpr>(E)) {
      E = AS->getBase()->IgnoreParenCasts();
    } else {
      break;
    }
  }
  const auto *DRE = dyn_cast<DeclRefExpr>(E);
  return DRE ? DRE->getDecl() : nullptr;
}

/// Whether E (a written place) is rooted at P.
bool rootedAt(const Expr *E, const ParmVarDecl *P) {
  E = E->IgnoreParenCasts();
  if (const auto *UO = dyn_cast<UnaryOperator>(E))
    if (UO->getOpcode() == UO_Deref)
      E = UO->getSubExpr()->IgnoreParenCasts();
  while (true) {
    if (const auto *ME = dyn_cast<MemberExpr>(E))
      E = ME->getBase()->IgnoreParenCasts();
    else if (const auto *AS = dyn_cast<ArraySubscriptExpr>(E))
      E = AS->getBase()->IgnoreParenCasts();
    else
      break;
  }
  const auto *DRE = dyn_cast<DeclRefExpr>(E);
  return DRE && DRE->getDecl() == P;
}

/// One free of a field under a parameter.
struct FieldFree {
  const FunctionDecl *Fn;
  const CallExpr *Call;
  unsigned ParamIndex;
  bool Plain; // under no test but one of the field itself
};

/// The file, scanned once: the field frees, the fields each function
/// assigns (through any base), the calls.
struct FileIndex {
  llvm::DenseMap<const FieldDecl *, llvm::SmallVector<FieldFree, 4>> Frees;
  llvm::DenseMap<const FunctionDecl *, llvm::SmallPtrSet<const FieldDecl *, 8>>
      Assigns;
  llvm::DenseMap<const FunctionDecl *, llvm::SmallVector<const CallExpr *, 4>>
      CallsTo; // callee -> call sites
};

/// Whether every statement between the free and the body of Fn is a
/// block, a loop, or an `if` whose condition names the field F.
bool plainFree(const CallExpr *CE, const FieldDecl *F, ASTContext &Ctx) {
  DynTypedNode N = DynTypedNode::create(*CE);
  while (true) {
    auto Parents = Ctx.getParents(N);
    if (Parents.size() != 1)
      return false;
    N = Parents[0];
    if (N.get<FunctionDecl>())
      return true;
    const Stmt *S = N.get<Stmt>();
    if (!S)
      return false;
    if (isa<CompoundStmt, ForStmt, WhileStmt, ImplicitCastExpr>(S))
      continue;
    if (const auto *If = dyn_cast<IfStmt>(S)) {
      bool NamesF = false;
      llvm::SmallVector<const Stmt *, 8> Work{If->getCond()};
      while (!Work.empty()) {
        const Stmt *X = Work.pop_back_val();
        if (!X)
          continue;
        if (const auto *ME = dyn_cast<MemberExpr>(X))
          if (ME->getMemberDecl() == F)
            NamesF = true;
        for (const Stmt *C : X->children())
          Work.push_back(C);
      }
      if (NamesF && !If->getElse())
        continue;
    }
    return false;
  }
}

class IndexScan : public RecursiveASTVisitor<IndexScan> {
public:
  IndexScan(CallModels &Models, ASTContext &Ctx, FileIndex &Idx)
      : Models(Models), Ctx(Ctx), Idx(Idx) {}
  bool TraverseFunctionDecl(FunctionDecl *FD) {
    if (!FD->doesThisDeclarationHaveABody())
      return true;
    const FunctionDecl *Saved = Cur;
    Cur = FD;
    bool R = RecursiveASTVisitor::TraverseFunctionDecl(FD);
    Cur = Saved;
    return R;
  }
  bool VisitBinaryOperator(BinaryOperator *BO) {
    if (Cur && BO->isAssignmentOp())
      if (const auto *ME =
              dyn_cast<MemberExpr>(BO->getLHS()->IgnoreParenCasts()))
        if (const auto *F = dyn_cast<FieldDecl>(ME->getMemberDecl()))
          Idx.Assigns[Cur].insert(F);
    return true;
  }
  bool VisitCallExpr(CallExpr *CE) {
    if (!Cur)
      return true;
    if (const FunctionDecl *Callee = CE->getDirectCallee())
      Idx.CallsTo[Callee->getCanonicalDecl()].push_back(CE);
    CallModel M = Models.get(CE);
    if (!M.Api ||
        (M.Kind != CallKind::Free && M.Kind != CallKind::PoolRelease) ||
        M.ConsumedArg >= CE->getNumArgs())
      return true;
    const ParmVarDecl *P = nullptr;
    const FieldDecl *F = paramField(CE->getArg(M.ConsumedArg), P);
    if (!F || P->getDeclContext() != Cur)
      return true;
    Idx.Frees[F].push_back(
        {Cur, CE, P->getFunctionScopeIndex(), plainFree(CE, F, Ctx)});
    return true;
  }
  CallModels &Models;
  ASTContext &Ctx;
  FileIndex &Idx;
  const FunctionDecl *Cur = nullptr;
};

/// Whether FD leaves everything under P as it found it, but for frees:
/// no write rooted at P, no write of the field F through any base, P
/// handed to no call outside tsmem.h and copied nowhere.
class LeavesParam : public RecursiveASTVisitor<LeavesParam> {
public:
  LeavesParam(const ParmVarDecl *P, CallModels &Models)
      : P(P), Models(Models) {}
  bool VisitBinaryOperator(BinaryOperator *BO) {
    if (BO->isAssignmentOp() && rootedAt(BO->getLHS(), P))
      Bad = true;
    return true;
  }
  bool VisitUnaryOperator(UnaryOperator *UO) {
    if (UO->isIncrementDecrementOp() && rootedAt(UO->getSubExpr(), P))
      Bad = true;
    return true;
  }
  bool VisitCallExpr(CallExpr *CE) {
    const FunctionDecl *Callee = CE->getDirectCallee();
    if (Callee && Models.get(CE).Api)
      return true;
    for (const Expr *A : CE->arguments())
      if (rootedAt(A, P) || rootVar(A) == P)
        Bad = true;
    return true;
  }
  bool TraverseMemberExpr(MemberExpr *ME) {
    // `p->f`, `p->a[i].f`: reads of what p points to; the indices are
    // traversed for what they name.
    const Expr *E = ME;
    while (true) {
      E = E->IgnoreParenCasts();
      if (const auto *M = dyn_cast<MemberExpr>(E)) {
        E = M->getBase();
      } else if (const auto *AS = dyn_cast<ArraySubscriptExpr>(E)) {
        TraverseStmt(const_cast<Expr *>(AS->getIdx()));
        E = AS->getBase();
      } else {
        break;
      }
    }
    const auto *DRE = dyn_cast<DeclRefExpr>(E);
    if (DRE && DRE->getDecl() == P)
      return true;
    return RecursiveASTVisitor::TraverseMemberExpr(ME);
  }
  bool TraverseIfStmt(IfStmt *If) {
    // `if (!p) return;`: a test of p copies nothing.
    ++InCond;
    TraverseStmt(If->getCond());
    --InCond;
    TraverseStmt(If->getThen());
    TraverseStmt(If->getElse());
    return true;
  }
  bool VisitDeclRefExpr(DeclRefExpr *DRE) {
    if (DRE->getDecl() == P && !InCond)
      Bad = true;
    return true;
  }
  const ParmVarDecl *P;
  CallModels &Models;
  int InCond = 0;
  bool Bad = false;
};

/// Whether a direct statement of a block calls Callee (as the statement
/// itself, or as `(void)callee(...)`).
const CallExpr *asStatementCall(const Stmt *S) {
  if (const auto *E = dyn_cast<Expr>(S))
    return dyn_cast<CallExpr>(E->IgnoreParenCasts());
  return nullptr;
}

/// Whether S assigns the field F (through any base), or hands V (or
/// something under it) to a call outside tsmem.h.
bool touches(const Stmt *S, const FieldDecl *F, const ValueDecl *V,
             CallModels &Models) {
  llvm::SmallVector<const Stmt *, 16> Work{S};
  while (!Work.empty()) {
    const Stmt *X = Work.pop_back_val();
    if (!X)
      continue;
    if (const auto *BO = dyn_cast<BinaryOperator>(X))
      if (BO->isAssignmentOp())
        if (const auto *ME =
                dyn_cast<MemberExpr>(BO->getLHS()->IgnoreParenCasts()))
          if (ME->getMemberDecl() == F)
            return true;
    if (const auto *CE = dyn_cast<CallExpr>(X))
      if (!CE->getDirectCallee() || !Models.get(CE).Api)
        for (const Expr *A : CE->arguments())
          if (rootVar(A) == V)
            return true;
    for (const Stmt *C : X->children())
      Work.push_back(C);
  }
  return false;
}

/// A caller's block that calls the helper H as a statement with Arg on
/// its parameter HIdx and later the teardown T on the same variable.
bool callerReachesTeardown(const FunctionDecl *H, unsigned HIdx,
                           const FunctionDecl *T, unsigned TIdx,
                           const FieldDecl *F, const FileIndex &Idx,
                           CallModels &Models, ASTContext &Ctx) {
  auto It = Idx.CallsTo.find(H->getCanonicalDecl());
  if (It == Idx.CallsTo.end())
    return false;
  for (const CallExpr *HC : It->second) {
    if (HIdx >= HC->getNumArgs())
      continue;
    const ValueDecl *V = rootVar(HC->getArg(HIdx));
    if (!V)
      continue;
    auto Parents = Ctx.getParents(*HC);
    if (Parents.size() != 1)
      continue;
    const Stmt *Blk = Parents[0].get<Stmt>();
    if (const auto *Cast = dyn_cast_or_null<CStyleCastExpr>(Blk)) {
      auto Up = Ctx.getParents(*Cast);
      Blk = Up.size() == 1 ? Up[0].get<Stmt>() : nullptr;
    }
    const auto *CS = dyn_cast_or_null<CompoundStmt>(Blk);
    if (!CS)
      continue;
    bool After = false;
    for (const Stmt *S : CS->body()) {
      const CallExpr *C = asStatementCall(S);
      if (C == HC) {
        After = true;
        continue;
      }
      if (!After)
        continue;
      if (C && C->getDirectCallee() &&
          C->getDirectCallee()->getCanonicalDecl() == T->getCanonicalDecl() &&
          TIdx < C->getNumArgs() && rootVar(C->getArg(TIdx)) == V)
        return true;
      // Between the two: nothing writes the field or gets the variable.
      if (touches(S, F, V, Models))
        break;
    }
  }
  return false;
}

} // namespace

void checkHelperDangles(const FunctionDecl *FD, BodyScope Scope,
                        CallModels &Models, ASTContext &Ctx, Findings &Out) {
  if (!FD->getBody() || Scope != BodyScope::None)
    return;
  // The file's index, made once per translation unit.
  static unsigned IndexedTu = 0;
  static FileIndex Idx;
  if (IndexedTu != translationUnitGeneration()) {
    Idx = FileIndex();
    IndexScan Scan(Models, Ctx, Idx);
    Scan.TraverseDecl(Ctx.getTranslationUnitDecl());
    IndexedTu = translationUnitGeneration();
  }
  llvm::DenseSet<const CallExpr *> Reported;
  // Whether the helper leaves parameter I untouched: one walk per parameter,
  // however many of its fields the helper frees.
  llvm::DenseMap<unsigned, bool> LeftAlone;
  auto leavesAlone = [&](unsigned I) {
    auto [It, New] = LeftAlone.try_emplace(I, false);
    if (New) {
      LeavesParam Leaves(FD->getParamDecl(I), Models);
      Leaves.TraverseStmt(const_cast<Stmt *>(FD->getBody()));
      It->second = !Leaves.Bad;
    }
    return It->second;
  };
  for (const auto &KV : Idx.Frees) {
    const FieldDecl *F = KV.first;
    for (const FieldFree &HF : KV.second) {
      if (HF.Fn != FD || Reported.count(HF.Call))
        continue;
      // The helper writes the field through no base, nor anything under P.
      auto AIt = Idx.Assigns.find(FD);
      if (AIt != Idx.Assigns.end() && AIt->second.count(F))
        continue;
      if (!leavesAlone(HF.ParamIndex))
        continue;
      for (const FieldFree &TF : KV.second) {
        if (TF.Fn == FD || !TF.Plain)
          continue;
        if (!callerReachesTeardown(FD, HF.ParamIndex, TF.Fn, TF.ParamIndex, F,
                                   Idx, Models, Ctx))
          continue;
        warn(Out, Message::DoubleFree, HF.Call->getBeginLoc(), {});
        Reported.insert(HF.Call);
        break;
      }
    }
  }
}

} // namespace tsmem
