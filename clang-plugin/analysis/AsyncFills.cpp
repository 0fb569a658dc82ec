//===- AsyncFills.cpp - Tensors a helper leaves in an async scope a struct
//                      field names -----------------------------------===//
//
// A session struct names its async scope in a field, and same-file
// helpers enter it, store what they make in another field, and leave:
//
//   static void sess_step(struct sess *s) {
//     ts_async_scope_enter(s->scope);
//     s->state = ts_add(s->state, ...);     /* owned by s->scope */
//     ts_async_scope_leave(s->scope);
//   }
//
// Each helper's summary (AsyncFill, OwnershipModel.h) is read once from
// its body: a pointer parameter p, the field p->Scope entered and left by
// statements of the body itself (not under a branch), and the tensor
// fields stored between the two with a tensor tsmem makes there: a call,
// a local that holds one made there and is only read otherwise, or, in a
// TS_SCOPE directly inside, the ts_escape of one (it moves to the
// enclosing scope, the async one). Any
// other store to such a field, its address taken, ts_keep/ts_escape of
// it, an end of the scope, or p used otherwise than `p->field`, and the
// helper says nothing. A caller that passes `&x` (a local struct) then
// finds `x.state` (or the elements of `x.docs`) owned by the async scope
// `x.scope`, and its ts_async_scope_end(x.scope) ends them: a use of the
// field, or of a copy taken before, is a use after scope.
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"

namespace tsmem {
namespace ownership {

namespace {

class FillReader {
public:
  FillReader(const FunctionDecl *FD, CallModels &Models)
      : FD(FD), Models(Models) {}

  std::vector<AsyncFill> read() {
    const auto *Body = dyn_cast_or_null<CompoundStmt>(FD->getBody());
    if (!Body)
      return {};
    this->Body = Body;
    walk(Body, nullptr);
    // One scope and one kind of store per field, or nothing.
    for (const AsyncFill &F : Found)
      for (const AsyncFill &G : Found)
        if (G.Param == F.Param && G.Tensor == F.Tensor &&
            (G.Scope != F.Scope || G.Elem != F.Elem))
          Bad.insert({F.Param, F.Tensor});
    std::vector<AsyncFill> Out;
    for (unsigned K = 0; K < Found.size(); ++K) {
      const AsyncFill &F = Found[K];
      if (FoundLocals[K] && BadLocals.count(FoundLocals[K]))
        continue;
      if (BadParams.count(F.Param) || Bad.count({F.Param, F.Tensor}) ||
          llvm::any_of(Out, [&](const AsyncFill &G) {
            return G.Param == F.Param && G.Tensor == F.Tensor;
          }))
        continue;
      Out.push_back(F);
    }
    return Out;
  }

private:
  const FunctionDecl *FD;
  CallModels &Models;
  const CompoundStmt *Body = nullptr;
  llvm::DenseMap<unsigned, const FieldDecl *> Inside;
  std::vector<AsyncFill> Found;
  llvm::DenseSet<std::pair<unsigned, const FieldDecl *>> Bad;
  llvm::DenseSet<unsigned> BadParams;
  /// Found[K]'s stored local, if any (null: a call stored directly).
  std::vector<const VarDecl *> FoundLocals;
  /// Tensor locals initialised with a tensor made while an async scope is
  /// entered, by the TS_SCOPE depth there; those assigned again, passed to
  /// a call that may keep or free them, or whose address is taken.
  llvm::DenseMap<const VarDecl *, unsigned> MadeLocals;
  llvm::DenseSet<const VarDecl *> BadLocals;
  /// TS_SCOPEs open around the statement walked.
  unsigned Depth = 0;

  const VarDecl *localOf(const Expr *E) const {
    const auto *DRE = dyn_cast<DeclRefExpr>(E->IgnoreParenCasts());
    const auto *VD = DRE ? dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
    return VD && MadeLocals.count(VD) ? VD : nullptr;
  }

  /// What `p->f = RHS` stores, when it is a tensor made in the async
  /// scope entered: Ok; and the local it comes through (Local).
  bool filled(const Expr *RHS, const VarDecl *&Local) const {
    Local = nullptr;
    if (Depth == 0) {
      if (madeHere(RHS))
        return true;
      Local = localOf(RHS);
      return Local && MadeLocals.lookup(Local) == 0;
    }
    // ts_escape in a TS_SCOPE directly inside the async scope.
    const auto *CE = dyn_cast<CallExpr>(RHS->IgnoreParenCasts());
    if (Depth != 1 || !CE || CE->getNumArgs() != 1 ||
        Models.get(CE).Kind != CallKind::Escape)
      return false;
    if (madeHere(CE->getArg(0)))
      return true;
    Local = localOf(CE->getArg(0));
    return Local != nullptr;
  }

  /// A TS_SCOPE's block: its guard is declared first.
  static bool opensScope(const Stmt *St) {
    const Stmt *First = nullptr;
    if (const auto *CS = dyn_cast<CompoundStmt>(St))
      First = CS->body_empty() ? nullptr : CS->body_front();
    else if (const auto *FS = dyn_cast<ForStmt>(St))
      First = FS->getInit();
    const auto *DS = dyn_cast_or_null<DeclStmt>(First);
    const auto *VD = DS && DS->isSingleDecl()
                         ? dyn_cast<VarDecl>(DS->getSingleDecl())
                         : nullptr;
    return VD && (isScopeGuard(VD) || isLoopScopeGuard(VD));
  }

  /// The index of the pointer-to-struct parameter E names, or -1.
  int param(const Expr *E) const {
    const auto *DRE = dyn_cast<DeclRefExpr>(E->IgnoreParenImpCasts());
    const auto *PD = DRE ? dyn_cast<ParmVarDecl>(DRE->getDecl()) : nullptr;
    if (!PD || PD->getDeclContext() != FD)
      return -1;
    QualType T = PD->getType();
    if (!T->isPointerType() || !T->getPointeeType()->isRecordType() ||
        T->getPointeeType().isConstQualified())
      return -1;
    return int(PD->getFunctionScopeIndex());
  }

  /// `p->F` for a parameter p: its index and F.
  bool arrowField(const Expr *E, unsigned &P, const FieldDecl *&F) const {
    const auto *ME = dyn_cast<MemberExpr>(E->IgnoreParenImpCasts());
    if (!ME || !ME->isArrow())
      return false;
    int I = param(ME->getBase());
    F = dyn_cast<FieldDecl>(ME->getMemberDecl());
    if (I < 0 || !F)
      return false;
    P = unsigned(I);
    return true;
  }

  /// A tensor tsmem makes in the current scope.
  bool madeHere(const Expr *E) const {
    const auto *CE = dyn_cast<CallExpr>(E->IgnoreParenCasts());
    if (!CE)
      return false;
    CallModel M = Models.get(CE);
    return M.Api && M.Kind == CallKind::Owned;
  }

  void walk(const Stmt *St, const Stmt *Parent) {
    if (!St)
      return;
    if (const auto *CE = dyn_cast<CallExpr>(St)) {
      CallModel M = Models.get(CE);
      unsigned P;
      const FieldDecl *F;
      if (M.Kind == CallKind::AsyncEnter || M.Kind == CallKind::AsyncLeave ||
          M.Kind == CallKind::AsyncEnd) {
        if (CE->getNumArgs() != 1 || !arrowField(CE->getArg(0), P, F))
          return walkChildren(St);
        // Entered and left by the body's own statements only.
        if (Parent != Body || M.Kind == CallKind::AsyncEnd)
          BadParams.insert(P);
        else if (M.Kind == CallKind::AsyncEnter && !Inside.count(P))
          Inside[P] = F;
        else if (M.Kind == CallKind::AsyncLeave && Inside.lookup(P) == F)
          Inside.erase(P);
        else
          BadParams.insert(P);
        return;
      }
      if (M.Kind == CallKind::Keep || M.Kind == CallKind::Escape ||
          M.Kind == CallKind::Register)
        for (const Expr *A : CE->arguments())
          if (arrowField(A, P, F))
            Bad.insert({P, F});
      // A made local only read by tsmem's calls.
      if (!(M.Api && (M.Kind == CallKind::Borrow || M.Kind == CallKind::Owned)))
        for (const Expr *A : CE->arguments())
          if (const VarDecl *VD = localOf(A))
            BadLocals.insert(VD);
      return walkChildren(St);
    }
    if (const auto *BO = dyn_cast<BinaryOperator>(St);
        BO && BO->getOpcode() == BO_Assign) {
      const Expr *L = BO->getLHS()->IgnoreParens();
      bool Elem = false;
      if (const auto *AS = dyn_cast<ArraySubscriptExpr>(L)) {
        walk(AS->getIdx(), AS);
        L = AS->getBase()->IgnoreParenImpCasts();
        Elem = true;
      }
      unsigned P;
      const FieldDecl *F;
      if (arrowField(L, P, F)) {
        QualType T = F->getType();
        bool Tensors =
            Elem ? T->isConstantArrayType() &&
                       isTensorPointer(
                           T->castAsArrayTypeUnsafe()->getElementType())
                 : isTensorPointer(T);
        if (Tensors) {
          auto It = Inside.find(P);
          const VarDecl *Local = nullptr;
          if (It != Inside.end() && filled(BO->getRHS(), Local)) {
            Found.push_back({P, It->second, F, Elem});
            FoundLocals.push_back(Local);
            return;
          }
          Bad.insert({P, F});
        }
        walk(BO->getRHS(), BO);
        return;
      }
      if (const VarDecl *VD = localOf(L))
        BadLocals.insert(VD);
      return walkChildren(St);
    }
    if (const auto *DS = dyn_cast<DeclStmt>(St)) {
      for (const Decl *D : DS->decls())
        if (const auto *VD = dyn_cast<VarDecl>(D))
          if (!Inside.empty() && VD->hasLocalStorage() && VD->getInit() &&
              isTensorPointer(VD->getType()) && madeHere(VD->getInit()))
            MadeLocals[VD] = Depth;
      return walkChildren(St);
    }
    if (opensScope(St)) {
      ++Depth;
      walkChildren(St);
      --Depth;
      return;
    }
    if (const auto *UO = dyn_cast<UnaryOperator>(St);
        UO && UO->getOpcode() == UO_AddrOf) {
      unsigned P;
      const FieldDecl *F;
      const Expr *Sub = UO->getSubExpr()->IgnoreParens();
      if (const auto *AS = dyn_cast<ArraySubscriptExpr>(Sub))
        Sub = AS->getBase();
      if (arrowField(Sub, P, F))
        Bad.insert({P, F});
      if (const VarDecl *VD = localOf(Sub))
        BadLocals.insert(VD);
      return walkChildren(St);
    }
    if (const auto *ME = dyn_cast<MemberExpr>(St); ME && ME->isArrow()) {
      if (param(ME->getBase()) >= 0)
        return; // `p->field`: read.
      return walkChildren(St);
    }
    if (const auto *DRE = dyn_cast<DeclRefExpr>(St)) {
      // The parameter itself, not through `->`: passed on, copied.
      int I = param(DRE);
      if (I >= 0)
        BadParams.insert(unsigned(I));
      return;
    }
    walkChildren(St);
  }

  void walkChildren(const Stmt *St) {
    for (const Stmt *C : St->children())
      walk(C, St);
  }
};

/// The helper's summary, read once.
const std::vector<AsyncFill> &fillsOf(const FunctionDecl *Def,
                                      CallModels &Models) {
  auto It = Models.AsyncFillCache.find(Def);
  if (It != Models.AsyncFillCache.end())
    return It->second;
  std::vector<AsyncFill> V = FillReader(Def, Models).read();
  return Models.AsyncFillCache[Def] = std::move(V);
}

/// `&x` for a local struct variable x.
const VarDecl *localStruct(const Expr *A) {
  const auto *UO = dyn_cast<UnaryOperator>(A->IgnoreParenCasts());
  if (!UO || UO->getOpcode() != UO_AddrOf)
    return nullptr;
  const auto *DRE = dyn_cast<DeclRefExpr>(UO->getSubExpr()->IgnoreParens());
  const auto *VD = DRE ? dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
  if (!VD || isa<ParmVarDecl>(VD) || !VD->hasLocalStorage() ||
      !VD->getType()->isRecordType())
    return nullptr;
  return VD;
}

} // namespace

void FunctionAnalyzer::asyncFills(const CallExpr *CE) {
  const FunctionDecl *Callee = CE->getDirectCallee();
  const FunctionDecl *Def = nullptr;
  if (!Callee || !Callee->hasBody(Def) || Def == FD)
    return;
  CallModel M = model(CE);
  if (M.Api || !(M.Inferred || M.Kind == CallKind::Unknown))
    return;
  const std::vector<AsyncFill> &Fills = fillsOf(Def, Models);
  for (unsigned K = 0; K < Fills.size(); ++K) {
    const AsyncFill &F = Fills[K];
    if (F.Param >= CE->getNumArgs() || !localStruct(CE->getArg(F.Param)))
      continue;
    const auto *UO = cast<UnaryOperator>(ignoreParenCasts(CE->getArg(F.Param)));
    LocKey P = placeOf(UO->getSubExpr());
    if (!P || !P->isVar())
      continue;
    LocKey Key = Locs.field(P, F.Scope, false);
    LocKey T = Locs.field(P, F.Tensor, false);
    if (F.Elem)
      T = Locs.anyIndex(T, false);
    ObjId Id = allocField(CE, 5000 + K);
    Obj *O = S.Objs.findMut(Id);
    O->Bits = Scoped;
    O->Region = Key;
    O->Ret = nullptr;
    S.noteScoped(Id);
    S.noteMayReport(Id);
    assignPlace(T, {Id});
  }
}

void FunctionAnalyzer::endAsyncField(const Expr *Arg, SourceLocation Loc) {
  const auto *ME = dyn_cast<MemberExpr>(Arg->IgnoreParenCasts());
  const auto *F = ME ? dyn_cast<FieldDecl>(ME->getMemberDecl()) : nullptr;
  if (!F || ME->isArrow())
    return;
  LocKey B = placeOf(ME->getBase());
  if (!B || !B->isVar())
    return;
  LocKey Key = Locs.field(B, F, false);
  if (!S.scopedIn(Key).empty())
    endOneRegion(Key, Loc);
}

} // namespace ownership
} // namespace tsmem
