//===- FieldCalls.cpp - What a call does to fields and elements -----------===//
//
// A call given the address of a followed struct or array (or a pointer
// to a struct, or an array): whether a call takes any (takesPlaces, read
// while decoding), and what it does to the places under it (fieldArgs):
// the fields its summary uses, frees or fills, the array helpers'
// effects (ArrayParams.cpp), and anything else handed to the callee.
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"

namespace tsmem {
namespace ownership {

bool FunctionAnalyzer::takesPlaces(const CallExpr *CE) const {
  for (const Expr *Arg : CE->arguments()) {
    // First by the argument's type alone: a number, or a tensor (most
    // arguments), is none.
    const Type *AT = Arg->getType().getTypePtr();
    if (const auto *PT =
            dyn_cast<PointerType>(AT->getCanonicalTypeInternal())) {
      if (const auto *RT = dyn_cast<RecordType>(
              PT->getPointeeType()->getCanonicalTypeInternal()))
        if (!RT->getDecl()->getDefinition())
          continue; // ts_tensor, or any opaque struct.
    } else if (!AT->isRecordType()) {
      continue;
    }
    const Expr *A = ignoreParenCasts(Arg);
    QualType T;
    if (const auto *UO = dyn_cast<UnaryOperator>(A)) {
      if (UO->getOpcode() != UO_AddrOf)
        continue;
      T = UO->getSubExpr()->getType();
      if (!T->isRecordType() && !T->isArrayType())
        continue;
    } else if (isa<DeclRefExpr>(A) || isa<MemberExpr>(A) ||
               isa<ArraySubscriptExpr>(A)) {
      if (const auto *DRE = dyn_cast<DeclRefExpr>(A))
        if (trackedLoc(dyn_cast<VarDecl>(DRE->getDecl())))
          continue; // A tensor variable, the most common argument.
      T = A->getType();
      if (T->isPointerType())
        T = T->getPointeeType();
      if (!T->isRecordType() && !T->isArrayType())
        continue;
    } else {
      continue;
    }
    if (holdsTensors(T))
      return true;
  }
  return false;
}

/// A call given the address of a followed struct or array (or a pointer to
/// a struct, or an array): the fields its summary frees or fills; anything
/// else under it is the callee's to take or replace, unless it takes it as
/// const.
/// Whether Body stores into field F anywhere (`p->f = ...`).
static bool storesField(const Stmt *Body, const FieldDecl *F) {
  llvm::SmallVector<const Stmt *, 32> Work{Body};
  while (!Work.empty()) {
    const Stmt *St = Work.pop_back_val();
    if (!St)
      continue;
    if (const auto *BO = dyn_cast<BinaryOperator>(St))
      if (BO->getOpcode() == BO_Assign)
        if (const auto *ME =
                dyn_cast<MemberExpr>(BO->getLHS()->IgnoreParenImpCasts()))
          if (ME->getMemberDecl() == F)
            return true;
    for (const Stmt *C : St->children())
      Work.push_back(C);
  }
  return false;
}

void FunctionAnalyzer::fieldArgs(const CallExpr *CE, const CallModel &M) {
  if (clearingMemset(CE)) // ClearingMemsets.cpp
    return;
  const FunctionDecl *Callee = CE->getDirectCallee();
  for (unsigned I = 0, N = CE->getNumArgs(); I < N; ++I) {
    const Expr *A = ignoreParenCasts(CE->getArg(I));
    LocKey P = nullptr;
    bool Arrow = false;
    if (const auto *UO = dyn_cast<UnaryOperator>(A)) {
      if (UO->getOpcode() != UO_AddrOf)
        continue;
      QualType T = UO->getSubExpr()->getType();
      if (!T->isRecordType() && !T->isArrayType())
        continue;
      P = placeOf(UO->getSubExpr());
    } else if (isa<DeclRefExpr>(A) || isa<MemberExpr>(A) ||
               isa<ArraySubscriptExpr>(A)) {
      QualType T = A->getType();
      if (T->isRecordType()) {
        // A struct by value: the callee gets its tensors too.
        if (LocKey V = holdsTensors(T) ? placeOf(A) : nullptr)
          LocTable::forEachUnder(V, [&](LocKey Q) {
            if (const ObjSet *Os = S.Pts.find(Q)) {
              ObjSet Copy = *Os;
              handOn(Copy);
            }
          });
        continue;
      }
      if (!T->isArrayType() &&
          !(T->isPointerType() && T->getPointeeType()->isRecordType() &&
            holdsTensors(T->getPointeeType())))
        continue;
      P = placeOf(A);
      Arrow = T->isPointerType();
    }
    if (!P)
      continue;
    QualType PT = Callee && I < Callee->getNumParams()
                      ? Callee->getParamDecl(I)->getType()
                      : CE->getArg(I)->getType();
    // Bytes through `const void *` or `const char *` (memcpy's source,
    // fwrite): the callee may copy the tensors anywhere, as through a
    // pointer it may write.
    bool Bytes = PT->isPointerType() && (PT->getPointeeType()->isVoidType() ||
                                         PT->getPointeeType()->isCharType());
    bool Const = PT->isPointerType() &&
                 PT->getPointeeType().isConstQualified() && !Bytes;
    llvm::SmallVector<LocKey, 4> Kept;
    if (M.Fields)
      for (const auto &[Idx, Path] : M.Fields->UseFields) {
        if (Idx != I)
          continue;
        // The callee reads it on every path: a use here.
        ObjSet Os = evalPlace(follow(P, Path, Arrow));
        if (!Os.empty())
          checkUse(Os, CE->getArg(I), nullptr);
      }
    if (M.Fields)
      for (const auto &[Idx, Path] : M.Fields->FreeFields) {
        if (Idx != I)
          continue;
        LocKey Q = follow(P, Path, Arrow);
        ObjSet Os = evalPlace(Q);
        Kept.push_back(Q);
        if (!Path.back()) {
          // Every element in use (CountLoops.cpp): none when the count is
          // 0; each element stays where it is, freed.
          if (zeroedUnder(P) && (Os.empty() || mustBeIn(Os, Freed | Released)))
            continue;
          for (LocKey E : Q->Parent->Children)
            if (E != Q && (E->Step == Loc::Elem || E->Step == Loc::AnyIndex))
              Kept.push_back(E);
          if (Os.empty()) {
            freeForeign(Q, CE);
            continue;
          }
        }
        if (Os.empty())
          continue;
        if (!checkUse(Os, CE->getArg(I), CE))
          consume(Os, CE, Freed);
      }
    if (!Const)
      arrayParamEffect(CE, I, P, Kept, false); // ArrayParams.cpp
    if (Const && M.Api)
      useElements(CE, I, P);                   // Elements.cpp
    freeEntryFields(CE, M, I, P, Arrow, Kept); // EntryFields.cpp
    mayFreeEntryFields(CE, M, I, P, Arrow);    // MayFreeEntries.cpp
    if (Const)
      continue;
    // The callee may fill the arrays again; or reset their counts.
    clearCounts(P); // CountLoops.cpp
    zeroCountsOf(M, I, P, Arrow);
    // Everything the callee may reach through the pointer: under P and
    // under the places P may be (`&xs[i]` reaches `xs[0]` too).
    llvm::SmallVector<LocKey, 8> Qs;
    // A field the callee never names stays as it is (UntouchedFields.cpp).
    auto Untouched = [&](LocKey A, LocKey Q) {
      while (Q->Parent != A)
        Q = Q->Parent;
      return Q->Step == Loc::Field && untouchedField(CE, I, Q->Member);
    };
    forEachAlias(P, [&](LocKey A) {
      LocTable::forEachUnder(A, [&](LocKey Q) {
        if (Q != A && S.Pts.count(Q) && !llvm::is_contained(Kept, Q) &&
            !llvm::is_contained(Qs, Q) && !Untouched(A, Q))
          Qs.push_back(Q);
      });
    });
    for (LocKey Q : Qs) {
      // A tensor already freed there is not the callee's to take (a
      // teardown's memset after its frees): it stays freed for its other
      // holders, the caller's aliases of the field.
      ObjSet Os;
      for (ObjId Id : *S.Pts.find(Q)) {
        const Obj *O = S.Objs.find(Id);
        if (!O || (O->Bits & ~(Freed | Released | Ended)) != 0)
          Os.insert(Id);
      }
      handOn(Os);
      S.erasePts(Q);
      S.Dirty = true;
    }
    // A same-file callee that stores into a tensor field of the struct
    // leaves there a tensor of unknown owner (its escaped result, now the
    // scope this call runs in, say), not the one from outside the field
    // held before: overwriting it is no leak (FieldOverwrite.cpp).
    const FunctionDecl *Def = nullptr;
    if (Callee && Callee->hasBody(Def) && Def->getBody())
      forEachAlias(P, [&](LocKey A) {
        LocTable::forEachUnder(A, [&](LocKey Q) {
          if (Q == A || Q->Step != Loc::Field || !isExact(Q) ||
              !isTensorPointer(Q->Member->getType()) || S.Pts.count(Q) ||
              llvm::is_contained(Kept, Q) ||
              !storesField(Def->getBody(), Q->Member))
            return;
          // One object per call and field, the same at every pass.
          ObjId Id = allocField(
              CE, 0x80000000u | unsigned(reinterpret_cast<uintptr_t>(Q) >> 3));
          if (Obj *O = S.Objs.findMut(Id))
            O->Bits = Borrowed;
          assignPlace(Q, {Id});
        });
      });
    if (M.Fields)
      for (unsigned K = 0; K < M.Fields->FillFields.size(); ++K) {
        if (M.Fields->FillFields[K].first != I)
          continue;
        ObjId Id = allocField(CE, 1000 + K);
        // ts_keep'd in the callee: manual, whatever scope the call runs in
        // (FieldSummaries.cpp's KeptFill bit).
        if (M.Fields->FillConds[K] & 0x80)
          if (Obj *O = S.Objs.findMut(Id); O && O->Bits == Scoped) {
            O->Bits = Owned;
            O->Region = nullptr;
            S.noteMayReport(Id);
          }
        assignPlace(follow(P, M.Fields->FillFields[K].second, Arrow), {Id});
        // Filled on one kind of result only (StatusFills.cpp): the caller's
        // test of it settles which (refineCond); thrown away: filled.
        uint8_t Cond = M.Fields->FillConds[K] & 0x7f;
        bool Tested = Facts.Known ? Facts.TestedCalls.count(CE) != 0
                                  : isa_and_nonnull<IfStmt, WhileStmt, DoStmt,
                                                    ForStmt, SwitchStmt>(
                                        Parents->getParentIgnoreParenCasts(
                                            const_cast<CallExpr *>(CE)));
        if (Cond && (Tested || !isFullExpression(CE)))
          if (Obj *O = S.Objs.findMut(Id)) {
            O->CondCall = CE;
            O->CondKind = Cond;
            CondSeen = true;
          }
      }
    arrayParamEffect(CE, I, P, Kept, true); // ArrayParams.cpp
  }
}

} // namespace ownership
} // namespace tsmem
