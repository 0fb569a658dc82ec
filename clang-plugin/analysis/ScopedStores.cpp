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
#include "TeardownFields.h"

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

} // namespace

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

void FunctionAnalyzer::innerScopeStore(const Expr *LHS, const ObjSet &Os) {
  if (Os.empty() || S.Regions.empty())
    return;
  const MemberExpr *ME = tensorField(LHS);
  const VarDecl *Root = ME ? rootThroughArrow(ME) : nullptr;
  if (!Root || scopeFillParam(Root) < 0)
    return;
  for (ObjId Id : Os) {
    const Obj *O = S.Objs.find(Id);
    if (!O || isParam(Id) || isForeign(Id) || O->Bits != Scoped ||
        O->Region == FD)
      return;
    auto It = RegionInfos.find(O->Region);
    if (It == RegionInfos.end() || (It->second.Kind != RegionKind::Guard &&
                                    It->second.Kind != RegionKind::Manual))
      return;
  }
  LocKey L = placeOf(ignoreParenCasts(LHS));
  if (!L || !L->Indirect)
    return;
  for (ObjId Id : Os)
    InnerStores[{L, Id & ~1u}] = LHS;
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
    std::string Name = Lexer::getSourceText(
                           CharSourceRange::getTokenRange(LHS->getSourceRange()),
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
