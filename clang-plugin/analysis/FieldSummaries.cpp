//===- FieldSummaries.cpp - What summaries learn of fields ----------------===//
//
// Same-file summaries learn which fields of *param a function frees or
// fills on every path, which it uses before its first branch, and which
// fields of a struct it returns by value hold tensors it made.
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"
#include "StatusFills.h"

namespace tsmem {
namespace ownership {

/// Summaries.cpp: whether some function ts_keep()s the tensor CE makes.
bool keptCall(const CallExpr *CE);
/// In ExitFields' bits (owner bits use 0x7f): the field holds a tensor
/// made here and not kept, one of the scope the call runs in.
static constexpr uint8_t MadeUnkept = 0x80;
/// In FillConds (FillStatus uses 0x7f; FieldCalls.cpp and StatusFills.cpp
/// mask it): the fill holds kept tensors only, manual in any caller scope.
static constexpr uint8_t KeptFill = 0x80;

/// The fields below a place, by field, when every step is a field (`.a.b`;
/// the first through a pointer when Arrow).
static bool fieldPath(LocKey Q, LocKey Top, bool Arrow, FieldPath &Path,
                      bool Elems = false) {
  Path.clear();
  // With Elems, a last step "some element" of an array field (null): every
  // element in use (CountLoops.cpp); behind the pointer of a heap array
  // field (HeapFields.cpp) when Arrow.
  if (Elems && Q && Q->Step == Loc::AnyIndex && Q->Parent && Q->Parent != Top &&
      Q->Parent->Step == Loc::Field) {
    Path.push_back(nullptr);
    Q = Q->Parent;
  }
  for (; Q && Q != Top; Q = Q->Parent) {
    if (Q->Step != Loc::Field)
      return false;
    bool First = Q->Parent == Top;
    if (Q->Arrow != (First && Arrow))
      return false;
    Path.push_back(Q->Member);
  }
  std::reverse(Path.begin(), Path.end());
  return Q == Top && !Path.empty();
}

static bool pathLess(const FieldPath &A, const FieldPath &B) {
  auto Index = [](const clang::FieldDecl *F) {
    return F ? F->getFieldIndex() : ~0u; // Some element: after the fields.
  };
  for (unsigned I = 0; I < A.size() && I < B.size(); ++I)
    if (Index(A[I]) != Index(B[I]))
      return Index(A[I]) < Index(B[I]);
  return A.size() < B.size();
}

void FunctionAnalyzer::returnRecord(const ReturnStmt *RS, LocKey B) {
  if (Sum) {
    std::vector<FieldPath> Made;
    FieldPath Path;
    LocTable::forEachUnder(B, [&](LocKey Q) {
      const ObjSet *Os = S.Pts.find(Q);
      if (!Os || Os->empty() || !fieldPath(Q, B, false, Path))
        return;
      for (ObjId Id : *Os) {
        const Obj *O = S.Objs.find(Id);
        // Made here: the caller's, or its scope's (TS_CALLER_SCOPE).
        bool Here =
            O && (O->Bits == Owned || (Scope == BodyScope::CallerScope &&
                                       O->Bits == Scoped && O->Region == FD));
        if (!Here || isForeign(Id) || isParam(Id))
          return;
      }
      Made.push_back(Path);
    });
    RetFieldSets[RS] = std::move(Made);
  }
  // The caller gets the struct, and what its fields hold; a tensor of a
  // scope the return leaves is returned unescaped, as by visitReturn
  // (issue 15, FN 35; no fix-it: the value is the struct).
  LocTable::forEachUnder(B, [&](LocKey Q) {
    if (const ObjSet *Os = S.Pts.find(Q)) {
      ObjSet Copy = *Os;
      for (ObjId Id : Copy) {
        Obj *O = S.Objs.findMut(Id);
        if (!O || !(O->Bits & Scoped) || isParam(Id) || isForeign(Id)) {
          handOn({Id});
          continue;
        }
        O->Ret = RS;
        O->RetFixable = false;
        if (O->Bits & Owned)
          O->Bits = (O->Bits & ~Owned) | HandedOn;
        S.noteMayReport(Id);
      }
    }
  });
}

void FunctionAnalyzer::noteFieldUse(const Expr *Arg) {
  const Expr *E = ignoreParenCasts(Arg);
  if (!isa<MemberExpr>(E))
    return;
  LocKey L = placeOf(E);
  if (L && L->Indirect && isa<ParmVarDecl>(L->Base))
    FieldUses.insert({CurBlock, L});
}

void FunctionAnalyzer::noteExitFields(unsigned Block) {
  if (!Locs.anyIndirect())
    return;
  auto &Bits = ExitFields[Block];
  Bits.clear();
  S.Pts.forEach([&](LocKey L, const ObjSet &Os) {
    if (!L->Indirect || L->isVar() || !isa<ParmVarDecl>(L->Base))
      return;
    uint8_t B = 0;
    for (ObjId Id : Os)
      if (const Obj *O = S.Objs.find(Id)) {
        B |= O->Bits;
        if (O->Bits == Owned && !keptCall(Sites[Id / 2]))
          B |= MadeUnkept;
        // Freed maybe on another path than the field's (GuardedFrees.cpp).
        if (O->Bits == Freed && freedThroughNulledLocal(O->FreedBy))
          B |= Owned;
        // Some element freed, not every one in use (CountLoops.cpp).
        if (L->Step == Loc::AnyIndex && O->Bits == Freed &&
            !countFree(O->FreedBy))
          B |= Owned;
      }
    Bits.push_back({L, B});
  });
}

/// Whether Body assigns the field Last anywhere (`p->a = NULL` on some
/// path): the join of the paths at a way out may show the freed tensor
/// still there where one path cleared the field.
static bool assignsField(const Stmt *Body, const FieldDecl *Last) {
  llvm::SmallVector<const Stmt *, 32> Work{Body};
  while (!Work.empty()) {
    const Stmt *St = Work.pop_back_val();
    if (!St)
      continue;
    if (const auto *BO = dyn_cast<BinaryOperator>(St);
        BO && BO->isAssignmentOp())
      if (const auto *ME =
              dyn_cast<MemberExpr>(BO->getLHS()->IgnoreParenCasts());
          ME && ME->getMemberDecl() == Last)
        return true;
    for (const Stmt *C : St->children())
      Work.push_back(C);
  }
  return false;
}

void FunctionAnalyzer::summarizeFields() {
  FunctionSummary &F = *Sum;
  // Fields of a struct returned by value: made on every return.
  if (!RetOtherRecord && !RetFieldSets.empty() &&
      FD->getReturnType()->isRecordType() &&
      (Scope == BodyScope::None ||
       (Scope == BodyScope::CallerScope &&
        bodyScopeOf(FD) == BodyScope::CallerScope))) {
    std::vector<FieldPath> Common = RetFieldSets.begin()->second;
    for (const auto &Ret : RetFieldSets)
      llvm::erase_if(Common, [&](const FieldPath &P) {
        return !llvm::is_contained(Ret.second, P);
      });
    llvm::sort(Common, pathLess);
    F.RetFields = std::move(Common);
  }
  // Fields used before the first branch: on every path.
  if (!FieldUses.empty()) {
    llvm::SmallPtrSet<const CFGBlock *, 8> Chain;
    const CFGBlock *B = &Cfg->getEntry();
    while (B && Chain.insert(B).second && B->succ_size() == 1) {
      const CFGBlock *Next = B->succ_begin()->getReachableBlock();
      if (!Next || Next->pred_size() != 1)
        break;
      B = Next;
    }
    FieldPath Path;
    for (const auto &Use : FieldUses) {
      unsigned Block = Use.first;
      LocKey L = Use.second;
      LocKey Top = Locs.findVar(L->Base);
      if (!Top || !fieldPath(L, Top, true, Path))
        continue;
      bool InChain = llvm::any_of(
          Chain, [&](const CFGBlock *C) { return C->getBlockID() == Block; });
      std::pair<unsigned, FieldPath> U{
          cast<ParmVarDecl>(L->Base)->getFunctionScopeIndex(), Path};
      if (InChain && !llvm::is_contained(F.UseFields, U))
        F.UseFields.push_back(U);
    }
    llvm::sort(F.UseFields, [](const std::pair<unsigned, FieldPath> &A,
                               const std::pair<unsigned, FieldPath> &B) {
      return A.first != B.first ? A.first < B.first
                                : pathLess(A.second, B.second);
    });
  }
  // Every way out must have been noted (one before any place behind a
  // pointer was made has none: nothing freed or filled there).
  if (ExitFields.empty() || ExitFields.size() != ExitBits.size())
    return;
  // Fields under pointer parameters: freed, or filled with a tensor made
  // here, on every way out.
  // A way out where a parameter is NULL (ParamGuards.cpp) names no field
  // under it: the fields come from the others.
  auto FirstIt = llvm::find_if(ExitFields, [&](const auto &E) {
    return !NullParamExits.count(E.first);
  });
  if (FirstIt == ExitFields.end())
    return;
  const auto &First = FirstIt->second;
  std::vector<std::pair<std::pair<unsigned, FieldPath>, uint8_t>> Fills;
  for (const auto &Entry : First) {
    LocKey L = Entry.first;
    uint8_t B0 = Entry.second & ~MadeUnkept;
    bool Kept = true;
    uint8_t Want = B0 == Freed ? Freed : B0 == Owned ? Owned : 0;
    if (!Want ||
        (Want == Owned && (Scope != BodyScope::None || FailureCleanupSeen)))
      continue;
    bool All = true;
    for (const auto &[Block, Bits] : ExitFields) {
      if (Want == Freed && nullParamExit(Block, L))
        continue;
      auto It =
          llvm::find_if(Bits, [&](const auto &P) { return P.first == L; });
      All &= It != Bits.end() && (It->second & ~MadeUnkept) == Want;
      Kept &= It == Bits.end() || !(It->second & MadeUnkept);
    }
    FieldPath Path;
    LocKey Top = Locs.findVar(L->Base);
    if (!All || !Top || !fieldPath(L, Top, true, Path, Want == Freed))
      continue;
    // A fill only on the paths that name the parameter (FillPaths.cpp).
    if (Want == Owned && !namedOnEveryPath(cast<ParmVarDecl>(L->Base)))
      continue;
    // Freed, and cleared on some path only: the caller's field may not
    // name the freed tensor (EntryFields.cpp follows the entry tensor).
    if (Want == Freed && assignsField(FD->getBody(), Path.back()))
      continue;
    unsigned Idx = cast<ParmVarDecl>(L->Base)->getFunctionScopeIndex();
    if (Want == Freed) {
      F.FreeFields.push_back({Idx, Path});
      continue;
    }
    // Filled, but the status may say it is NULL (StatusFills.cpp).
    FillStatus Cond =
        statusFill(FD, const_cast<ASTContext &>(Ctx), [&](const Expr *E) {
          return isa<MemberExpr>(E) && placeOf(E) == L;
        });
    Fills.push_back({{Idx, Path}, uint8_t(Cond | (Kept ? KeptFill : 0))});
  }
  auto Less = [](const std::pair<unsigned, FieldPath> &A,
                 const std::pair<unsigned, FieldPath> &B) {
    return A.first != B.first ? A.first < B.first
                              : pathLess(A.second, B.second);
  };
  llvm::sort(F.FreeFields, Less);
  llvm::sort(Fills, [&](const auto &A, const auto &B) {
    return Less(A.first, B.first);
  });
  for (const auto &Fill : Fills) {
    F.FillFields.push_back(Fill.first);
    F.FillConds.push_back(Fill.second);
  }
}

} // namespace ownership
} // namespace tsmem
