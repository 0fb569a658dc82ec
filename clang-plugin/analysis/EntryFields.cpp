//===- EntryFields.cpp - What a helper does to the tensors its caller's
//                       fields held on entry --------------------------===//
//
// A teardown or an update helper frees the tensor a field under its
// pointer parameter holds, and then clears the field or puts another
// tensor there:
//
//   static void pr_free(struct pr *p) {
//     if (p->a) ts_free(p->a);       /* guarded */
//     p->a = NULL;                   /* cleared */
//   }
//   static void step(struct s *s) {
//     ts_tensor *n = ts_neg(s->pos);
//     ts_free(s->pos);
//     s->pos = n;                    /* replaced */
//   }
//
// What the field holds on the way out says nothing of what was freed
// (Fields.cpp's FreeFields reads that). Here the object that stands for
// the field's tensor on entry (a foreign object, made when first read) is
// followed instead: kept once freed, although no place holds it any more,
// and on the edge where a test finds the field NULL it is marked as done
// too (nothing to free on that path). When it is freed (or NULL) on every
// way out, the summary says so (FunctionSummary::FreeEntryFields), and a
// caller frees what the field holds before the call: a copy of it, an
// alias, the same field of a struct copied by value all see the free.
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"

namespace tsmem {
namespace ownership {

namespace {
/// A field (or fields) below what a pointer parameter points to, every
/// step a field: the places whose entry tensor a summary can name.
bool isEntryCandidate(LocKey L) {
  if (!L || L->isVar() || !L->Indirect || !isa<ParmVarDecl>(L->Base) ||
      !L->Base->getType()->isPointerType())
    return false;
  for (LocKey Q = L; Q && !Q->isVar(); Q = Q->Parent)
    if (Q->Step != Loc::Field || (Q->Arrow != Q->Parent->isVar()))
      return false;
  return true;
}

/// Whether the field L still holds what it held on entry, the object Id
/// (O), on the way out: its entry tensor (freed or not), or NULL where a
/// test found it NULL (markNullEntry: freed by no call). A field cleared,
/// replaced, or reached by a call that may write it (its place forgotten)
/// does not.
bool heldAsOnEntry(const State &St, LocKey L, ObjId Id, const Obj &O) {
  const ObjSet *Os = St.Pts.find(L);
  if (!Os)
    return false;
  if (Os->size() == 1 && *Os->begin() == Id)
    return true;
  return Os->empty() && O.Bits == Freed && !O.FreedBy && O.HeldBy.empty();
}

/// Whether FD's body may write the field Last of what its parameter Param
/// points to on some path: an assignment to a field Last (through any
/// base), an assignment of a whole struct, or a call outside tsmem.h that
/// gets the parameter (or the address of something under it) as a pointer
/// to non-const. The states at the exits cannot tell (a path that cleared
/// the field joins one that did not as if none did), the text can.
bool mayRewriteField(const FunctionDecl *FD, const ParmVarDecl *Param,
                     const FieldDecl *Last, CallModels &Models) {
  const Stmt *Body = FD->getBody();
  if (!Body)
    return true;
  auto NamesParam = [&](const Expr *E) {
    E = E->IgnoreParenCasts();
    if (const auto *UO = dyn_cast<UnaryOperator>(E))
      if (UO->getOpcode() == UO_AddrOf)
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
    return DRE && DRE->getDecl() == Param;
  };
  llvm::SmallVector<const Stmt *, 32> Work{Body};
  while (!Work.empty()) {
    const Stmt *St = Work.pop_back_val();
    if (!St)
      continue;
    if (const auto *BO = dyn_cast<BinaryOperator>(St)) {
      if (BO->isAssignmentOp()) {
        const Expr *L = BO->getLHS()->IgnoreParenCasts();
        if (L->getType()->isRecordType())
          return true;
        if (const auto *ME = dyn_cast<MemberExpr>(L))
          if (ME->getMemberDecl() == Last)
            return true;
      }
    } else if (const auto *CE = dyn_cast<CallExpr>(St)) {
      const FunctionDecl *Callee = CE->getDirectCallee();
      if (!Callee || !Models.get(Callee).Api)
        for (unsigned I = 0; I < CE->getNumArgs(); ++I) {
          QualType T = CE->getArg(I)->IgnoreParenImpCasts()->getType();
          if (Callee && I < Callee->getNumParams())
            T = Callee->getParamDecl(I)->getType();
          if (T->isPointerType() && T->getPointeeType().isConstQualified())
            continue;
          if (NamesParam(CE->getArg(I)))
            return true;
        }
    }
    for (const Stmt *C : St->children())
      Work.push_back(C);
  }
  return false;
}

/// The fields below a pointer parameter, in order (`->a.b`).
bool entryPath(LocKey L, FieldPath &Path) {
  Path.clear();
  for (LocKey Q = L; Q && !Q->isVar(); Q = Q->Parent)
    Path.push_back(Q->Member);
  std::reverse(Path.begin(), Path.end());
  return !Path.empty();
}
} // namespace

bool FunctionAnalyzer::keepFreedEntry(ObjId Id, const Obj &O) const {
  if (!Sum || !isForeign(Id) || O.Bits != Freed)
    return false;
  for (const auto &[L, F] : ForeignIds)
    if (F == Id)
      return isEntryCandidate(L);
  return false;
}

bool FunctionAnalyzer::markNullEntry(State &E, LocKey L) {
  if (!Sum || !isEntryCandidate(L))
    return false;
  const ObjSet *Os = E.Pts.find(L);
  ObjId Id;
  if (!Os) {
    // Not read before the test: its entry tensor, NULL on this edge.
    auto [It, New] = ForeignIds.insert({L, ForeignBase + ForeignIds.size()});
    if (!New && E.Objs.find(It->second))
      return false; // Read before, and since forgotten: not the entry's.
    Id = It->second;
    Obj O;
    O.Bits = Freed;
    E.Objs.set(Id, O);
    E.Pts.set(L, ObjSet());
    return true;
  }
  if (Os->size() != 1)
    return false;
  Id = *Os->begin();
  auto It = ForeignIds.find(L);
  if (It == ForeignIds.end() || It->second != Id)
    return false;
  // Held here alone (and by aliases read from it): NULL on this edge, so
  // nothing is left to free; kept, as done, for the summary.
  Obj *O = E.Objs.findMut(Id);
  if (!O || O->Bits != Borrowed)
    return false;
  LocSet Holders = O->HeldBy;
  for (LocKey V : Holders)
    if (ObjSet *H = E.Pts.findMut(V))
      H->erase(Id);
  O = E.Objs.findMut(Id);
  O->HeldBy.clear();
  O->Bits = Freed;
  O->FreedBy = nullptr;
  return true;
}

void FunctionAnalyzer::noteReturnEntry(const ReturnStmt *RS, const ObjSet &Os) {
  LastRetEntry = nullptr;
  const Expr *V = RS->getRetValue();
  if (!Sum || RetEntryBad || !V || !isTensorPointer(V->getType()) ||
      Os.size() != 1 || !isForeign(*Os.begin()))
    return;
  ObjId Id = *Os.begin();
  const Obj *O = S.Objs.find(Id);
  if (!O || O->Bits != Borrowed)
    return;
  for (const auto &[L, F] : ForeignIds) {
    if (F != Id)
      continue;
    // Still there: a tensor moved out (the field cleared) is the caller's.
    const ObjSet *Held = S.Pts.find(L);
    if (isEntryCandidate(L) && Held && Held->size() == 1 &&
        *Held->begin() == Id)
      LastRetEntry = L;
    return;
  }
}

ObjSet FunctionAnalyzer::evalRetEntry(const CallExpr *CE,
                                      const FunctionSummary &F) {
  if (unsigned(F.RetEntryParam) >= CE->getNumArgs())
    return {};
  const Expr *A = ignoreParenCasts(CE->getArg(F.RetEntryParam));
  LocKey P = nullptr;
  bool Arrow = false;
  if (const auto *UO = dyn_cast<UnaryOperator>(A)) {
    if (UO->getOpcode() != UO_AddrOf ||
        !UO->getSubExpr()->getType()->isRecordType())
      return {};
    P = placeOf(UO->getSubExpr());
  } else if (isa<DeclRefExpr>(A) || isa<MemberExpr>(A) ||
             isa<ArraySubscriptExpr>(A)) {
    if (!A->getType()->isPointerType() ||
        !A->getType()->getPointeeType()->isRecordType())
      return {};
    P = placeOf(A);
    Arrow = true;
  }
  if (!P)
    return {};
  LocKey Q = follow(P, F.RetEntryPath, Arrow);
  return Q && isExact(Q) ? evalPlace(Q) : ObjSet();
}

void FunctionAnalyzer::noteExitEntries(const BlockInfo &BI) {
  // Getters: every way out returns NULL or the same field's entry tensor.
  if (Sum && !RetEntryBad) {
    if (!BI.Ret || (!LastRetEntry && LastRetClass != RcZero) ||
        (LastRetEntry && RetEntry && LastRetEntry != RetEntry))
      RetEntryBad = true;
    else if (LastRetEntry)
      RetEntry = LastRetEntry;
  }
  // A test of a field whose NULL edge leaves the function (`if (p->a)
  // {...}` last): on the way out there, the field is NULL, whatever the
  // state before the edge says.
  LocKey NullOut = nullptr;
  if (BI.NullTested && isEntryCandidate(BI.NullTested) &&
      BI.B->succ_size() == 2) {
    unsigned NullIdx = BI.NullOnTrue ? 0 : 1;
    const CFGBlock *Exit = &Cfg->getExit();
    auto Succ = BI.B->succ_begin();
    const CFGBlock *N = Succ[NullIdx].getReachableBlock();
    const CFGBlock *O = Succ[1 - NullIdx].getReachableBlock();
    if (N == Exit && O && O != Exit)
      NullOut = BI.NullTested;
  }
  auto &Bits = ExitEntries[BI.B->getBlockID()];
  Bits.clear();
  // Noted even when no field was read yet (a way out before the first
  // read, transferred first): nothing of the entry's freed there.
  noteMayFreeExit(); // MayFreeEntries.cpp
  if (ForeignIds.empty() && !NullOut)
    return;
  // Accumulated over every transfer of the block, each disjunct on its
  // own: the join of a path that cleared the field with one that did not
  // would look as if none did.
  auto &NotKept = ExitKeptEntries[BI.B->getBlockID()];
  for (const auto &[L, Id] : ForeignIds) {
    if (!isEntryCandidate(L) || L == NullOut)
      continue;
    const Obj *O = S.Objs.find(Id);
    Bits.push_back({L, O ? O->Bits : uint8_t(0)});
    noteMayFreeEntry(L, O); // MayFreeEntries.cpp
    if ((!O || !heldAsOnEntry(S, L, Id, *O)) && !llvm::is_contained(NotKept, L))
      NotKept.push_back(L);
  }
  if (NullOut) {
    auto It = ForeignIds.find(NullOut);
    const Obj *O = It == ForeignIds.end() ? nullptr : S.Objs.find(It->second);
    // Not read yet, or read and untouched: the entry tensor, NULL here.
    if (!O || (O->Bits & ~(Borrowed | Freed)) == 0) {
      Bits.push_back({NullOut, uint8_t(Freed)});
      // NULL on entry and on the way out: as it was.
    }
  }
}

void FunctionAnalyzer::summarizeEntries() {
  FunctionSummary &F = *Sum;
  FieldPath RetPath;
  if (!RetEntryBad && RetEntry && isTensorPointer(FD->getReturnType()) &&
      entryPath(RetEntry, RetPath)) {
    F.RetEntryParam =
        cast<ParmVarDecl>(RetEntry->Base)->getFunctionScopeIndex();
    F.RetEntryPath = RetPath;
  }
  if (ExitEntries.empty() || ExitEntries.size() != ExitBits.size() ||
      Scope != BodyScope::None)
    return;
  llvm::SmallVector<LocKey, 4> Ls;
  for (const auto &[L, Id] : ForeignIds)
    if (isEntryCandidate(L))
      Ls.push_back(L);
  for (const auto &[Block, Bits] : ExitEntries)
    for (const auto &[L, B] : Bits)
      if (!llvm::is_contained(Ls, L))
        Ls.push_back(L);
  for (LocKey L : Ls) {
    bool All = true;
    for (const auto &[Block, Bits] : ExitEntries) {
      if (nullParamExit(Block, L))
        continue; // No struct there (ParamGuards.cpp).
      auto It =
          llvm::find_if(Bits, [&](const auto &P) { return P.first == L; });
      All &= It != Bits.end() && It->second == Freed;
    }
    FieldPath Path;
    if (!entryPath(L, Path))
      continue;
    if (!All) {
      summarizeMayFreeEntries(L, Path); // MayFreeEntries.cpp
      continue;
    }
    std::pair<unsigned, FieldPath> E{
        cast<ParmVarDecl>(L->Base)->getFunctionScopeIndex(), Path};
    if (llvm::is_contained(F.FreeFields, E) ||
        llvm::is_contained(F.FreeEntryFields, E))
      continue;
    // Left as it was on every way out: the caller's field still names the
    // freed tensor.
    bool Kept = true;
    for (const auto &[Block, NotKept] : ExitKeptEntries)
      Kept &= nullParamExit(Block, L) || !llvm::is_contained(NotKept, L);
    if (Kept &&
        !mayRewriteField(FD, cast<ParmVarDecl>(L->Base), Path.back(), Models))
      F.KeptEntryFields.push_back(E);
    F.FreeEntryFields.push_back(std::move(E));
  }
  llvm::sort(F.FreeEntryFields, [](const auto &A, const auto &B) {
    if (A.first != B.first)
      return A.first < B.first;
    for (unsigned I = 0; I < A.second.size() && I < B.second.size(); ++I)
      if (A.second[I]->getFieldIndex() != B.second[I]->getFieldIndex())
        return A.second[I]->getFieldIndex() < B.second[I]->getFieldIndex();
    return A.second.size() < B.second.size();
  });
}

void FunctionAnalyzer::freeEntryFields(const CallExpr *CE, const CallModel &M,
                                       unsigned I, LocKey P, bool Arrow,
                                       llvm::SmallVectorImpl<LocKey> &Kept) {
  if (!M.Fields)
    return;
  const Expr *Arg = ignoreParenCasts(CE->getArg(I));
  if (const auto *UO = dyn_cast<UnaryOperator>(Arg))
    Arg = UO->getSubExpr();
  for (const auto &[Idx, Path] : M.Fields->FreeEntryFields) {
    if (Idx != I)
      continue;
    LocKey Q = follow(P, Path, Arrow);
    ObjSet Os = evalPlace(Q);
    if (Os.empty())
      continue;
    if (checkUse(Os, CE->getArg(I), CE))
      handOn(Os);
    else // Some element (`&xs[i]`): strong only in a loop over them all.
      consume(Os, CE, Freed, isExact(Q) ? 0 : coversAll(Arg) ? 1 : -1);
    // Left as it was by the helper: the field still names the freed
    // tensor (a second teardown frees it again).
    if (isExact(Q) && llvm::is_contained(M.Fields->KeptEntryFields,
                                         std::make_pair(Idx, Path))) {
      Kept.push_back(Q);
      continue;
    }
    // The field holds something else now (NULL, a new tensor): unknown
    // here, a tensor from outside when read again. Its old tensor stays
    // with its other holders (copies, aliases). Some element: each one
    // (the loop over them all frees them all; without one, the others are
    // the callee's anyway, as fieldArgs says).
    llvm::SmallVector<LocKey, 4> Qs{Q};
    if (!isExact(Q))
      forEachAlias(Q, [&](LocKey A) { Qs.push_back(A); });
    for (LocKey A : Qs)
      if (S.erasePts(A))
        S.Dirty = true;
  }
}

} // namespace ownership
} // namespace tsmem
