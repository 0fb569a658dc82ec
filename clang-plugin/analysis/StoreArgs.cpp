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
// The helper's summary (ArgStore, OwnershipModel.h) is read once from its
// body: the store is a statement of the body itself, after statements that
// cannot leave the function except `if (...) return K;` with K a nonzero
// constant (a push that refuses when full: then only a call whose result
// is dropped counts), and the parameter is named nowhere else.
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"

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
  if (!If || If->getElse() || If->hasInitStorage() ||
      If->hasVarStorage() || mayLeave(If->getCond()))
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

unsigned countRefs(const Stmt *St, const VarDecl *VD) {
  if (!St)
    return 0;
  unsigned N = 0;
  if (const auto *DRE = dyn_cast<DeclRefExpr>(St))
    N += DRE->getDecl() == VD;
  for (const Stmt *C : St->children())
    N += countRefs(C, VD);
  return N;
}

std::vector<ArgStore> readStores(const FunctionDecl *FD) {
  std::vector<ArgStore> Out;
  const auto *Body = dyn_cast_or_null<CompoundStmt>(FD->getBody());
  if (!Body)
    return Out;
  ASTContext &Ctx = FD->getASTContext();
  bool Refuses = false;
  for (const Stmt *St : Body->body()) {
    const auto *BO = dyn_cast<BinaryOperator>(St);
    if (BO && BO->getOpcode() == BO_Assign) {
      const Expr *L = BO->getLHS()->IgnoreParens();
      bool Elem = false;
      if (const auto *AS = dyn_cast<ArraySubscriptExpr>(L)) {
        L = AS->getBase()->IgnoreParenImpCasts();
        Elem = true;
      }
      const auto *ME = dyn_cast<MemberExpr>(L);
      const auto *F = ME ? dyn_cast<FieldDecl>(ME->getMemberDecl()) : nullptr;
      const ParmVarDecl *P =
          ME && ME->isArrow() ? structParam(ME->getBase(), FD) : nullptr;
      const auto *DRE =
          dyn_cast<DeclRefExpr>(BO->getRHS()->IgnoreParenImpCasts());
      const auto *T = DRE ? dyn_cast<ParmVarDecl>(DRE->getDecl()) : nullptr;
      if (F && P && T && isTensorPointer(T->getType())) {
        QualType FT = F->getType();
        bool Tensors =
            Elem ? FT->isConstantArrayType() &&
                       isTensorPointer(
                           FT->castAsArrayTypeUnsafe()->getElementType())
                 : isTensorPointer(FT);
        // Named once in the body: only stored.
        if (Tensors && countRefs(Body, T) == 1 &&
            T->getFunctionScopeIndex() < 32)
          Out.push_back({T->getFunctionScopeIndex(),
                         P->getFunctionScopeIndex(), F, Elem, Refuses});
      }
    }
    if (refusal(St, Ctx))
      Refuses = true;
    else if (mayLeave(St))
      break;
  }
  return Out;
}

const std::vector<ArgStore> &storesOf(const FunctionDecl *Def,
                                      CallModels &Models) {
  auto It = Models.ArgStoreCache.find(Def);
  if (It != Models.ArgStoreCache.end())
    return It->second;
  return Models.ArgStoreCache[Def] = readStores(Def);
}

} // namespace

void FunctionAnalyzer::storeArgsBefore(const CallExpr *CE,
                                       const CallModel &M) {
  PendingStores.clear();
  const FunctionDecl *Callee = CE->getDirectCallee();
  const FunctionDecl *Def = nullptr;
  if (S.Regions.empty() || !Callee || !M.Inferred || M.Api ||
      !Callee->hasBody(Def) || Def == FD)
    return;
  for (const ArgStore &St : storesOf(Def, Models)) {
    if (St.Arg >= CE->getNumArgs() || St.Param >= CE->getNumArgs() ||
        ((M.BorrowMask | M.FreeMask | M.FreeIfNullMask |
          M.FreeIfNonNullMask) >>
             St.Arg &
         1) ||
        (St.Refuses && !isFullExpression(CE)))
      continue;
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
