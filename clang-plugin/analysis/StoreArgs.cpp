//===- StoreArgs.cpp - A scope's tensor a same-file helper stores into the
//                     caller's struct -----------------------------------===//
//
// A container's add, push or append stores its tensor argument in a field
// (or some element of an array field) of the struct its pointer parameter
// points to, and does nothing else with it:
//
//   static void bank_add(struct bank *b, ts_tensor *s) {
//     if (b->n == 4) { ... }
//     b->samples[b->n++] = s;
//   }
//
// A caller passing a tensor of one of its own scopes (a TS_SCOPE, not kept
// or escaped) and `&x`, x a local struct, leaves it in x.samples, where the
// scope's end frees it: a read of the field after the scope, or the
// container's teardown, uses it after its scope (heldout6 S3, heldout5 R8).
// Any other tensor passed is handed on as before.
//
// The same helper given the caller's own pointer parameter (a queue, a
// ring the caller's caller keeps) stores the scope's tensor where the
// scope's end leaves it dangling: reported at the call, when the field is
// one the file frees (owned), unless the function may take it back
// (StoredOutside.h: a keep or escape, a pop inside the scope...).
//
// The helper's summary (ArgStore, OwnershipModel.h) is read once from its
// body: every use of the tensor parameter is a store into P->...F (one
// pointer-to-struct parameter P, one field F), a read by tsmem's calls or
// a free (a push that frees what it refuses). Refuses, unless a store is
// a statement of the body itself after statements that cannot leave the
// function except `if (...) return K;` with K a nonzero constant (a push
// that refuses when full: then only a call whose result is dropped
// counts); a local struct's field is filled only then.
//
//===----------------------------------------------------------------------===//
#include "Checks.h"
#include "FunctionAnalyzer.h"
#include "StoredOutside.h"
#include "TeardownFields.h"

#include "clang/AST/RecursiveASTVisitor.h"

namespace tsmem {
namespace ownership {

namespace {

/// The pointer-to-struct (not const) parameter E names, or null.
const ParmVarDecl *structParam(const Expr *E, const FunctionDecl *FD) {
  const auto *DRE = dyn_cast<DeclRefExpr>(E->IgnoreParenImpCasts());
  const auto *PD = DRE ? dyn_cast<ParmVarDecl>(DRE->getDecl()) : nullptr;
  if (!PD || PD->getDeclContext() != FD)
    return nullptr;
  QualType T = PD->getType();
  if (!T->isPointerType() || !T->getPointeeType()->isRecordType() ||
      T->getPointeeType().isConstQualified())
    return nullptr;
  return PD;
}

/// St contains a return, a goto or a call that does not return.
bool mayLeave(const Stmt *St) {
  if (!St)
    return false;
  if (isa<ReturnStmt>(St) || isa<GotoStmt>(St) || isa<IndirectGotoStmt>(St))
    return true;
  for (const Stmt *C : St->children())
    if (mayLeave(C))
      return true;
  return false;
}

/// `if (...) return K;` with K a nonzero integer constant, no else.
bool refusal(const Stmt *St, ASTContext &Ctx) {
  const auto *If = dyn_cast<IfStmt>(St);
  if (!If || If->getElse() || If->hasInitStorage() || If->hasVarStorage() ||
      mayLeave(If->getCond()))
    return false;
  const Stmt *Then = If->getThen();
  if (const auto *CS = dyn_cast<CompoundStmt>(Then))
    Then = CS->size() == 1 ? CS->body_front() : nullptr;
  const auto *RS = dyn_cast_or_null<ReturnStmt>(Then);
  const Expr *V = RS ? RS->getRetValue() : nullptr;
  Expr::EvalResult R;
  return V && !V->isValueDependent() && V->getType()->isIntegerType() &&
         V->EvaluateAsInt(R, Ctx) && R.Val.getInt() != 0;
}

/// How a helper's body uses its tensor parameter T: stored (only) into
/// P->...F, F a tensor field or an array of them, P one pointer-to-struct
/// parameter, on some paths; otherwise only read by tsmem's calls or freed
/// (a push that frees what it refuses). Anything else: Bad.
class ParamUses : public RecursiveASTVisitor<ParamUses> {
public:
  ParamUses(const ParmVarDecl *T, const FunctionDecl *FD, CallModels &Models)
      : T(T), FD(FD), Models(Models) {}
  bool TraverseBinaryOperator(BinaryOperator *BO) {
    const auto *DRE =
        dyn_cast<DeclRefExpr>(BO->getRHS()->IgnoreParenImpCasts());
    if (BO->getOpcode() != BO_Assign || !DRE || DRE->getDecl() != T)
      return RecursiveASTVisitor::TraverseBinaryOperator(BO);
    store(BO->getLHS());
    return TraverseStmt(BO->getLHS());
  }
  bool TraverseCallExpr(CallExpr *CE) {
    CallModel M = Models.get(CE);
    bool Reads = M.Api && M.Kind == CallKind::Borrow;
    bool Frees =
        M.Api && (M.Kind == CallKind::Free || M.Kind == CallKind::PoolRelease);
    if (!Reads && !Frees)
      return RecursiveASTVisitor::TraverseCallExpr(CE);
    for (Expr *A : CE->arguments()) {
      const auto *DRE = dyn_cast<DeclRefExpr>(A->IgnoreParenImpCasts());
      if (!DRE || DRE->getDecl() != T)
        TraverseStmt(A);
    }
    return true;
  }
  bool VisitDeclRefExpr(DeclRefExpr *DRE) {
    Bad |= DRE->getDecl() == T;
    return true;
  }
  const ParmVarDecl *P = nullptr;
  const FieldDecl *F = nullptr;
  bool Elem = false;
  bool Bad = false;

private:
  void store(const Expr *LHS) {
    const Expr *E = LHS->IgnoreParenImpCasts();
    const FieldDecl *G = nullptr;
    bool Sub = false;
    const ParmVarDecl *Q = nullptr;
    while (!Q) {
      E = E->IgnoreParenImpCasts();
      if (const auto *ME = dyn_cast<MemberExpr>(E)) {
        if (!G)
          G = dyn_cast<FieldDecl>(ME->getMemberDecl());
        if (ME->isArrow())
          Q = structParam(ME->getBase(), FD);
        if (ME->isArrow() && !Q)
          break;
        E = ME->getBase();
      } else if (const auto *AS = dyn_cast<ArraySubscriptExpr>(E)) {
        Sub = true;
        E = AS->getBase();
      } else {
        break;
      }
    }
    if (!Q || !G || (P && (P != Q || F != G))) {
      Bad = true;
      return;
    }
    P = Q;
    F = G;
    Elem |= Sub;
  }
  const ParmVarDecl *T;
  const FunctionDecl *FD;
  CallModels &Models;
};

/// The old reading: a store that is a statement of the body itself, after
/// statements that cannot leave but refusals.
void plainStores(const CompoundStmt *Body, ASTContext &Ctx,
                 std::vector<ArgStore> &Out) {
  bool Refuses = false;
  for (const Stmt *St : Body->body()) {
    const auto *BO = dyn_cast<BinaryOperator>(St);
    if (BO && BO->getOpcode() == BO_Assign) {
      const auto *DRE =
          dyn_cast<DeclRefExpr>(BO->getRHS()->IgnoreParenImpCasts());
      const auto *T = DRE ? dyn_cast<ParmVarDecl>(DRE->getDecl()) : nullptr;
      for (ArgStore &A : Out)
        if (T && A.Arg == T->getFunctionScopeIndex())
          A.Refuses = Refuses;
    }
    if (refusal(St, Ctx))
      Refuses = true;
    else if (mayLeave(St))
      break;
  }
}

std::vector<ArgStore> readStores(const FunctionDecl *FD, CallModels &Models) {
  std::vector<ArgStore> Out;
  const auto *Body = dyn_cast_or_null<CompoundStmt>(FD->getBody());
  if (!Body)
    return Out;
  for (const ParmVarDecl *T : FD->parameters()) {
    if (!isTensorPointer(T->getType()) || T->getFunctionScopeIndex() >= 32)
      continue;
    ParamUses U(T, FD, Models);
    U.TraverseStmt(const_cast<CompoundStmt *>(Body));
    if (U.Bad || !U.F)
      continue;
    QualType FT = U.F->getType();
    bool Tensors =
        isTensorPointer(FT) ||
        (FT->isConstantArrayType() &&
         isTensorPointer(FT->castAsArrayTypeUnsafe()->getElementType())) ||
        (FT->isPointerType() && isTensorPointer(FT->getPointeeType()));
    if (!Tensors)
      continue;
    // Refuses until a plain store says otherwise: some paths only.
    Out.push_back({T->getFunctionScopeIndex(), U.P->getFunctionScopeIndex(),
                   U.F, U.Elem, true});
  }
  if (!Out.empty())
    plainStores(Body, FD->getASTContext(), Out);
  return Out;
}

const std::vector<ArgStore> &storesOf(const FunctionDecl *Def,
                                      CallModels &Models) {
  auto It = Models.ArgStoreCache.find(Def);
  if (It != Models.ArgStoreCache.end())
    return It->second;
  return Models.ArgStoreCache[Def] = readStores(Def, Models);
}

} // namespace

void FunctionAnalyzer::storeArgsBefore(const CallExpr *CE, const CallModel &M) {
  PendingStores.clear();
  const FunctionDecl *Callee = CE->getDirectCallee();
  const FunctionDecl *Def = nullptr;
  // Its summary is read from its body alone (what the analysis inferred
  // for it may be none: a push that frees what it refuses).
  if (S.Regions.empty() || !Callee || M.Api || CE->getNumArgs() < 2 ||
      !Callee->hasBody(Def) || Def == FD)
    return;
  for (const ArgStore &St : storesOf(Def, Models)) {
    if (St.Arg >= CE->getNumArgs() || St.Param >= CE->getNumArgs())
      continue;
    // The caller's own pointer parameter (or an alias of it): the helper
    // stores the tensor, on some paths at least, in memory that outlives
    // every scope here; reported at the call.
    if (const auto *DRE =
            dyn_cast<DeclRefExpr>(ignoreParenCasts(CE->getArg(St.Param)))) {
      const auto *V = dyn_cast<VarDecl>(DRE->getDecl());
      if (!V || scopeFillParam(V) < 0 ||
          !freedFields(Models, Ctx).count(St.Field))
        continue;
      // Every tensor passed one of an inner scope's (not kept, escaped).
      const void *Region = nullptr;
      bool Inner = true;
      for (ObjId Id : eval(CE->getArg(St.Arg))) {
        const Obj *O = S.Objs.find(Id);
        auto It = O ? RegionInfos.find(O->Region) : RegionInfos.end();
        Inner &= It != RegionInfos.end() && !isParam(Id) && !isForeign(Id) &&
                 O->Bits == Scoped && O->Region != FD &&
                 (!Region || O->Region == Region) &&
                 It->second.Kind == RegionKind::Guard;
        Region = O ? O->Region : nullptr;
      }
      if (!Inner || !Region)
        continue;
      // The reporting pass only revisits blocks that would report.
      WouldReport = true;
      const auto *Arg =
          dyn_cast<DeclRefExpr>(ignoreParenCasts(CE->getArg(St.Arg)));
      if (!Reporting || rescuedLater(CE, Arg ? Arg->getDecl() : nullptr, V,
                                     St.Field, Callee, Region, FD, Models, SM))
        continue;
      std::string Name = St.Field->getName().str() + " of *" +
                         V->getName().str() + " (by " +
                         Callee->getName().str() + ")";
      warn(Report, Message::StoredPastInnerScope, CE->getBeginLoc(), {Name},
           CE->getSourceRange());
      continue;
    }
    // A local struct: the helper has an inferred summary that hands the
    // tensor on, or none (its store, read from its body, is then all the
    // analysis knows of it).
    if (!(M.Inferred || M.Kind == CallKind::Unknown) ||
        ((M.BorrowMask | M.FreeMask | M.FreeIfNullMask | M.FreeIfNonNullMask) >>
             St.Arg &
         1) ||
        (St.Refuses && !isFullExpression(CE)))
      continue;
    if (St.Elem && St.Field->getType()->isPointerType())
      continue; // A heap array: its elements are not places here.
    // `&x`, x a local struct the analysis follows.
    const auto *UO =
        dyn_cast<UnaryOperator>(ignoreParenCasts(CE->getArg(St.Param)));
    if (!UO || UO->getOpcode() != UO_AddrOf ||
        !UO->getSubExpr()->getType()->isRecordType())
      continue;
    LocKey P = placeOf(UO->getSubExpr());
    if (!P || !P->isVar() || isa<ParmVarDecl>(P->Base) ||
        !P->Base->getType()->getAsRecordDecl() ||
        P->Base->getType()->getAsRecordDecl()->getCanonicalDecl() !=
            St.Field->getParent()->getCanonicalDecl())
      continue;
    ObjSet Os = eval(CE->getArg(St.Arg));
    if (Os.empty())
      continue;
    bool Ok = true;
    for (ObjId Id : Os) {
      const Obj *O = S.Objs.find(Id);
      auto It = O ? RegionInfos.find(O->Region) : RegionInfos.end();
      Ok &= It != RegionInfos.end() && !isParam(Id) && !isForeign(Id) &&
            O->Bits == Scoped && O->Region != FD &&
            (It->second.Kind == RegionKind::Guard ||
             It->second.Kind == RegionKind::Manual);
    }
    if (!Ok)
      continue;
    LocKey T = Locs.field(P, St.Field, false);
    if (St.Elem)
      T = Locs.anyIndex(T, false);
    for (ObjId Id : Os)
      PendingStores.push_back({T, Id, S.Objs.find(Id)->Region});
  }
}

void FunctionAnalyzer::storeArgsAfter() {
  for (unsigned I = 0; I < PendingStores.size();) {
    LocKey Place = PendingStores[I].Place;
    ObjSet Os;
    for (; I < PendingStores.size() && PendingStores[I].Place == Place; ++I) {
      const PendingStore &PS = PendingStores[I];
      Obj *O = S.Objs.findMut(PS.Id);
      if (!O || O->Bits != HandedOn)
        continue;
      // Still its scope's: the helper only stored it.
      O->Bits = Scoped;
      O->Region = PS.Region;
      S.noteScoped(PS.Id);
      S.noteMayReport(PS.Id);
      Os.insert(PS.Id);
    }
    if (!Os.empty())
      assignPlace(Place, std::move(Os));
  }
  PendingStores.clear();
}

} // namespace ownership
} // namespace tsmem
