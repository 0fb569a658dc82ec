//===- ScopedStores.cpp - A scoped body's tensor left in an owned field --===//
//
// A body that is one scope (a ts_run callback, TS_SCOPED) frees what it
// made when it returns, unless it was kept or escaped. Stored through the
// parameter into a field the struct owns, it leaves a dangling handle for
// the caller, whose next read or teardown uses it after its scope:
//
//   static void *job(void *arg) {
//     struct job *j = arg;
//     ts_tensor *u = solve(j->data);
//     ts_free(j->model->u);
//     j->model->u = u;              /* freed as the run's scope ends */
//     return NULL;
//   }
//
// Owned: a teardown of the file frees the field together with another
// field of the same struct (`model_free` frees u and v). A field nothing
// tears down may hold a scratch tensor the caller never reads (ScopeFills
// reports that read at the caller).
//
//===----------------------------------------------------------------------===//
#include "Checks.h"
#include "FunctionAnalyzer.h"
#include "StoredOutside.h"
#include "TeardownFields.h"

#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Lex/Lexer.h"

namespace tsmem {
namespace ownership {

namespace {

/// The variable at the root of `v->a.b->f`, with at least one `->`.
const VarDecl *rootThroughArrow(const MemberExpr *ME) {
  bool Arrow = false;
  const Expr *E = ME;
  while (const auto *M = dyn_cast<MemberExpr>(E->IgnoreParenImpCasts())) {
    Arrow |= M->isArrow();
    E = M->getBase();
  }
  const auto *DRE = dyn_cast<DeclRefExpr>(E->IgnoreParenImpCasts());
  return Arrow && DRE ? dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
}

/// The field `p->f` or `p->f[i]` names (f a tensor or an array of them).
const MemberExpr *tensorField(const Expr *LHS) {
  const Expr *E = LHS->IgnoreParenImpCasts();
  bool Elem = false;
  if (const auto *AS = dyn_cast<ArraySubscriptExpr>(E)) {
    E = AS->getBase()->IgnoreParenImpCasts();
    Elem = true;
  }
  const auto *ME = dyn_cast<MemberExpr>(E);
  const auto *F = ME ? dyn_cast<FieldDecl>(ME->getMemberDecl()) : nullptr;
  if (!F)
    return nullptr;
  QualType T = F->getType();
  if (Elem)
    return T->isConstantArrayType() &&
                   isTensorPointer(T->castAsArrayTypeUnsafe()->getElementType())
               ? ME
               : nullptr;
  return isTensorPointer(T) ? ME : nullptr;
}

/// F is freed by a function that frees another field of F's struct too.
bool tornDown(const FieldDecl *F, const FreedFieldMap &Freed) {
  auto It = Freed.find(F);
  if (It == Freed.end())
    return false;
  for (const FieldDecl *G : F->getParent()->fields()) {
    if (G == F)
      continue;
    auto Jt = Freed.find(G);
    if (Jt == Freed.end())
      continue;
    for (const FunctionDecl *Fn : It->second)
      if (Jt->second.count(Fn))
        return true;
  }
  return false;
}

/// The target of a store into memory reached through a pointer: `p->f`,
/// `p->a[i].f`, `p[i].f`, `p[i]`, `*p` (p a variable); Base is p, F the
/// last field named (null for `p[i]`, `*p`). At least one step goes
/// through the pointer.
bool outsideTarget(const Expr *LHS, const VarDecl *&Base, const FieldDecl *&F) {
  F = nullptr;
  bool Deref = false;
  const Expr *E = LHS->IgnoreParenImpCasts();
  if (!isTensorPointer(E->getType()))
    return false;
  while (true) {
    E = E->IgnoreParenImpCasts();
    if (const auto *ME = dyn_cast<MemberExpr>(E)) {
      if (!F)
        F = dyn_cast<FieldDecl>(ME->getMemberDecl());
      if (!F || F->getParent()->isUnion())
        return false;
      Deref |= ME->isArrow();
      E = ME->getBase();
    } else if (const auto *AS = dyn_cast<ArraySubscriptExpr>(E)) {
      Deref |=
          AS->getBase()->IgnoreParenImpCasts()->getType()->isPointerType() &&
          !isa<MemberExpr>(AS->getBase()->IgnoreParenImpCasts());
      E = AS->getBase();
    } else if (const auto *UO = dyn_cast<UnaryOperator>(E);
               UO && UO->getOpcode() == UO_Deref) {
      Deref = true;
      E = UO->getSubExpr();
    } else {
      break;
    }
  }
  const auto *DRE = dyn_cast<DeclRefExpr>(E);
  Base = DRE ? dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
  return Deref && Base && Base->getType()->isPointerType();
}

/// Names a local variable's address or decays a local array: what a call
/// given it may hand back points into the function's own memory.
bool namesLocalMemory(const Stmt *St) {
  if (!St)
    return false;
  if (const auto *UO = dyn_cast<UnaryOperator>(St);
      UO && UO->getOpcode() == UO_AddrOf)
    return true;
  if (const auto *DRE = dyn_cast<DeclRefExpr>(St))
    if (const auto *VD = dyn_cast<VarDecl>(DRE->getDecl()))
      if (VD->hasLocalStorage() && !isa<ParmVarDecl>(VD) &&
          VD->getType()->isArrayType())
        return true;
  for (const Stmt *C : St->children())
    if (namesLocalMemory(C))
      return true;
  return false;
}

/// A local pointer initialised by a lookup into a parameter's struct: a
/// call given a pointer parameter and no local memory. It points into the
/// caller's memory (an allocation here would be the function's own).
bool madeOutside(const VarDecl *VD) {
  if (!VD->hasLocalStorage() || isa<ParmVarDecl>(VD) || !VD->getInit())
    return false;
  const auto *CE = dyn_cast<CallExpr>(VD->getInit()->IgnoreParenCasts());
  if (!CE || namesLocalMemory(CE))
    return false;
  return llvm::any_of(CE->arguments(), [](const Expr *A) {
    const auto *DRE = dyn_cast<DeclRefExpr>(A->IgnoreParenCasts());
    const auto *P = DRE ? dyn_cast<ParmVarDecl>(DRE->getDecl()) : nullptr;
    return P && P->getType()->isPointerType();
  });
}

/// The field F, or (F null) an element of Base, named by E.
bool namesTarget(const Expr *E, const VarDecl *Base, const FieldDecl *F) {
  E = E->IgnoreParenCasts();
  if (F) {
    if (const auto *AS = dyn_cast<ArraySubscriptExpr>(E))
      E = AS->getBase()->IgnoreParenCasts();
    const auto *ME = dyn_cast<MemberExpr>(E);
    return ME && ME->getMemberDecl() == F;
  }
  const VarDecl *B = nullptr;
  const FieldDecl *G = nullptr;
  return outsideTarget(E, B, G) && B == Base && !G;
}

/// Something may take the tensor out of its scope's reach, or the target
/// out of use: ts_keep, ts_escape, a free or release of the stored
/// variable; after the store, a free of the target or another store to
/// it; the base pointer assigned; or, after the store and inside the
/// scope, the base handed to a call other than the storing helper (a pop
/// or a clear). Read from the function's body when a report is due.
class Rescues : public RecursiveASTVisitor<Rescues> {
public:
  Rescues(const Stmt *Store, const Decl *Stored, const VarDecl *Base,
          const FieldDecl *F, const FunctionDecl *Callee, const void *Region,
          CallModels &Models, const SourceManager &SM)
      : Store(Store), Stored(Stored), Base(Base), F(F), Callee(Callee),
        Region(Region), Models(Models), SM(SM) {}
  bool VisitCompoundStmt(CompoundStmt *CS) {
    if (!CS->body_empty())
      opens(CS->body_front(), CS);
    return true;
  }
  bool VisitForStmt(ForStmt *FS) {
    opens(FS->getInit(), FS);
    return true;
  }
  bool VisitCallExpr(CallExpr *CE) {
    CallModel M = Models.get(CE);
    bool Takes = M.Kind == CallKind::Keep || M.Kind == CallKind::Escape ||
                 M.Kind == CallKind::Register || M.Kind == CallKind::Free ||
                 M.Kind == CallKind::PoolRelease || M.Kind == CallKind::Consume;
    // An element handed whole to any call (ts_cat of a scratch array the
    // caller lent) may be all the array is for.
    bool Other = (!M.Api || !F) && CE->getDirectCallee() != Callee &&
                 (!ScopeEnd.isValid() ||
                  SM.isBeforeInTranslationUnit(CE->getBeginLoc(), ScopeEnd));
    for (const Expr *A : CE->arguments()) {
      const auto *DRE = dyn_cast<DeclRefExpr>(A->IgnoreParenCasts());
      if (Takes && DRE)
        Taken.insert(DRE->getDecl());
      if (!after(CE))
        continue;
      if (Takes && namesTarget(A, Base, F))
        Found = true;
      if (Other && DRE && DRE->getDecl() == Base)
        Found = true;
    }
    return true;
  }
  bool VisitBinaryOperator(BinaryOperator *BO) {
    if (!BO->isAssignmentOp())
      return true;
    const Expr *L = BO->getLHS()->IgnoreParenCasts();
    if (const auto *DRE = dyn_cast<DeclRefExpr>(L);
        DRE && DRE->getDecl() == Base)
      Found = true;
    if (BO->getLHS() == Store) {
      if (const auto *DRE =
              dyn_cast<DeclRefExpr>(BO->getRHS()->IgnoreParenCasts()))
        Stored = DRE->getDecl();
    } else if (after(BO) && namesTarget(L, Base, F)) {
      Found = true;
    }
    return true;
  }
  bool rescued() const { return Found || (Stored && Taken.count(Stored)); }

private:
  void opens(const Stmt *First, const Stmt *Scope) {
    const auto *DS = dyn_cast_or_null<DeclStmt>(First);
    if (DS && DS->isSingleDecl() && DS->getSingleDecl() == Region)
      ScopeEnd = Scope->getEndLoc();
  }
  bool after(const Stmt *St) const {
    return SM.isBeforeInTranslationUnit(Store->getBeginLoc(),
                                        St->getBeginLoc());
  }
  const Stmt *Store;
  const Decl *Stored;
  const VarDecl *Base;
  const FieldDecl *F;
  const FunctionDecl *Callee;
  const void *Region;
  CallModels &Models;
  const SourceManager &SM;
  SourceLocation ScopeEnd;
  bool Found = false;
  llvm::SmallPtrSet<const Decl *, 8> Taken;
};

} // namespace

bool rescuedLater(const Stmt *Store, const Decl *Stored, const VarDecl *Base,
                  const FieldDecl *F, const FunctionDecl *Callee,
                  const void *Region, const FunctionDecl *FD,
                  CallModels &Models, const SourceManager &SM) {
  Rescues R(Store, Stored, Base, F, Callee, Region, Models, SM);
  R.TraverseStmt(const_cast<Stmt *>(FD->getBody()));
  return R.rescued();
}

void FunctionAnalyzer::scopedStore(const Expr *LHS, const ObjSet &Os) {
  innerScopeStore(LHS, Os);
  if (Scope != BodyScope::Scoped || Os.empty())
    return;
  const auto *ME = dyn_cast<MemberExpr>(LHS->IgnoreParenImpCasts());
  const auto *F = ME ? dyn_cast<FieldDecl>(ME->getMemberDecl()) : nullptr;
  if (!F || !isTensorPointer(F->getType()))
    return;
  const VarDecl *Root = rootThroughArrow(ME);
  if (!Root || scopeFillParam(Root) < 0)
    return;
  for (ObjId Id : Os) {
    const Obj *O = S.Objs.find(Id);
    if (!O || isParam(Id) || isForeign(Id) || O->Bits != Scoped ||
        O->Region != FD || EscapedOut.count(Id))
      return;
  }
  if (!tornDown(F, freedFields(Models, Ctx)))
    return;
  // The reporting pass only revisits blocks that would report.
  WouldReport = true;
  if (!Reporting)
    return;
  std::string Name = Lexer::getSourceText(
                         CharSourceRange::getTokenRange(LHS->getSourceRange()),
                         SM, Ctx.getLangOpts())
                         .str();
  if (warn(Report, Message::StoredPastScope, LHS->getBeginLoc(), {Name},
           LHS->getSourceRange()))
    note(Report, Message::BodyIsScope, FD->getBeginLoc());
}

// A TS_SCOPE (or a ts_scope_begin/ts_scope_end pair) inside any function
// ends the same way: a tensor of that scope stored through a pointer
// parameter into an owned field, and still there when the function
// returns, is freed under the caller's struct:
//
//   static void step(struct opt *o) {
//     TS_SCOPE {
//       ts_tensor *m = ts_add(o->mom, g);
//       ts_free(o->mom);
//       o->mom = m;                  /* freed as the TS_SCOPE ends */
//     }
//   }
//
// The store is noted (innerScopeStore); at each way out, a field that
// holds only tensors whose scope of this function ended (or ends on the
// way out) reports it (innerScopeExit).
//
// Other memory that outlives a TS_SCOPE, which the analysis does not
// follow as a place, is reported at the store itself: an element of the
// caller's array (`out[i] = t`, `u[i].lp = t`, a `ts_tensor **`
// parameter or an array of structs), a heap array behind the parameter
// (`m->ent[i] = t`), a field of an entry a lookup returned (`b = find(g,
// id); b->pose = t`, the lookup given no local memory). A field counts
// when the file frees it somewhere (the struct owns it; a scratch field
// may dangle unread). Not when the function may take the tensor or the
// target back (rescuedLater): a keep, escape or free of the stored
// variable, a later free of or store to the target, the base pointer
// assigned, or the base handed to another call inside the scope.

void FunctionAnalyzer::innerScopeStore(const Expr *LHS, const ObjSet &Os) {
  if (Os.empty() || S.Regions.empty())
    return;
  const void *Region = nullptr;
  for (ObjId Id : Os) {
    const Obj *O = S.Objs.find(Id);
    if (!O || isParam(Id) || isForeign(Id) || O->Bits != Scoped ||
        O->Region == FD || (Region && O->Region != Region))
      return;
    Region = O->Region;
    auto It = RegionInfos.find(O->Region);
    if (It == RegionInfos.end() || (It->second.Kind != RegionKind::Guard &&
                                    It->second.Kind != RegionKind::Manual))
      return;
  }
  const MemberExpr *ME = tensorField(LHS);
  const VarDecl *Root = ME ? rootThroughArrow(ME) : nullptr;
  LocKey L = Root && scopeFillParam(Root) >= 0 ? placeOf(ignoreParenCasts(LHS))
                                               : nullptr;
  if (L && L->Indirect) {
    for (ObjId Id : Os)
      InnerStores[{L, Id & ~1u}] = LHS;
    return;
  }
  // Any other memory that outlives the scope, a TS_SCOPE's (a manual
  // scope may be left open for the caller).
  if (RegionInfos.lookup(Region).Kind != RegionKind::Guard)
    return;
  const VarDecl *Base = nullptr;
  const FieldDecl *F = nullptr;
  if (!outsideTarget(LHS, Base, F))
    return;
  // An element: of the caller's array (a parameter or an alias of one).
  // A field: also of an entry a lookup into the caller's memory returned.
  if (scopeFillParam(Base) < 0 && (!F || !madeOutside(Base)))
    return;
  if (F && !freedFields(Models, Ctx).count(F))
    return;
  // The reporting pass only revisits blocks that would report.
  WouldReport = true;
  if (!Reporting ||
      rescuedLater(LHS, nullptr, Base, F, nullptr, Region, FD, Models, SM))
    return;
  std::string Name = Lexer::getSourceText(
                         CharSourceRange::getTokenRange(LHS->getSourceRange()),
                         SM, Ctx.getLangOpts())
                         .str();
  warn(Report, Message::StoredPastInnerScope, LHS->getBeginLoc(), {Name},
       LHS->getSourceRange());
}

void FunctionAnalyzer::innerScopeExit() {
  for (const auto &[Key, LHS] : InnerStores) {
    const ObjSet *Os = S.Pts.find(Key.first);
    if (!Os || Os->empty())
      continue;
    bool Stored = false, Dies = true;
    SourceLocation End;
    for (ObjId Id : *Os) {
      const Obj *O = S.Objs.find(Id);
      Stored |= (Id & ~1u) == Key.second;
      if (O && O->Bits == Ended && O->EndLoc.isValid())
        End = O->EndLoc;
      else if (!O || O->Bits != Scoped || O->Region == FD ||
               !RegionInfos.count(O->Region) ||
               RegionInfos.find(O->Region)->second.Kind != RegionKind::Guard)
        Dies = false;
    }
    const auto *F = cast<FieldDecl>(tensorField(LHS)->getMemberDecl());
    if (!Stored || !Dies || !tornDown(F, freedFields(Models, Ctx)))
      continue;
    // The reporting pass only revisits blocks that would report.
    WouldReport = true;
    if (!Reporting)
      continue;
    std::string Name = Lexer::getSourceText(CharSourceRange::getTokenRange(
                                                LHS->getSourceRange()),
                                            SM, Ctx.getLangOpts())
                           .str();
    if (warn(Report, Message::StoredPastInnerScope, LHS->getBeginLoc(), {Name},
             LHS->getSourceRange()) &&
        End.isValid())
      note(Report, Message::ScopeEndsHere, End);
  }
}

} // namespace ownership
} // namespace tsmem
