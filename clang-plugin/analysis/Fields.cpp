//===- Fields.cpp - Tensors in fields and elements of variables -----------===//
//
// Places below a variable (Loc, Locations.h): `m.w`, `m->w`, `xs[2]`,
// `c.k[i]`. A local struct or array, or a struct a pointer parameter points
// to, is followed when its address only goes straight into calls. A
// constant index names one element; any other index names "some element"
// (Loc::AnyIndex), which may be any constant one: reads join them, writes
// through it are weak, and a free through it is strong only inside a
// counted loop that covers the whole array (`for (i = 0; i < N; i++)` over
// an array of N; CountedLoops.cpp). What a place holds on entry, or after
// a call that was given its address (FieldCalls.cpp), is an object from
// outside (Borrowed), made when first read. Tensors left in fields under a
// pointer parameter go to the caller. What the summaries learn of fields
// is FieldSummaries.cpp's.
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"
#include "Paths.h"

#include "clang/AST/RecursiveASTVisitor.h"

#include <functional>

namespace tsmem {
namespace ownership {

namespace {
/// Finds the variables whose address (or, for a pointer to a struct, whose
/// value) goes anywhere but straight into a call's argument, a field access
/// or a subscript; and pointer variables that are assigned.
class PlaceScan : public RecursiveASTVisitor<PlaceScan> {
public:
  PlaceScan(llvm::DenseSet<const VarDecl *> &Bad,
            llvm::DenseSet<const VarDecl *> &Repointed,
            llvm::function_ref<bool(QualType)> HoldsTensors)
      : Bad(Bad), Repointed(Repointed), HoldsTensors(HoldsTensors) {}

  /// `sizeof *p` (a teardown's `memset(p, 0, sizeof *p)`) is not evaluated:
  /// p's value goes nowhere.
  bool TraverseUnaryExprOrTypeTraitExpr(UnaryExprOrTypeTraitExpr *) {
    return true;
  }

  bool VisitCallExpr(CallExpr *CE) {
    for (Expr *A : CE->arguments())
      Allowed.insert(strip(A));
    return true;
  }
  bool VisitMemberExpr(MemberExpr *ME) {
    Allowed.insert(strip(ME->getBase()));
    return true;
  }
  bool VisitArraySubscriptExpr(ArraySubscriptExpr *AS) {
    Allowed.insert(strip(AS->getBase()));
    return true;
  }
  bool VisitUnaryOperator(UnaryOperator *UO) {
    if (UO->getOpcode() == UO_AddrOf && !Allowed.count(UO))
      markBase(UO->getSubExpr());
    // A NULL test of a pointer (`!p`, `p == NULL`, `if (p)`) only reads
    // whether there is a struct.
    if (UO->getOpcode() == UO_LNot)
      Allowed.insert(strip(UO->getSubExpr()));
    return true;
  }
  /// `return p;` hands p's value to the caller as the function ends: no
  /// alias of p is left here to reach its fields by another name.
  bool VisitReturnStmt(ReturnStmt *RS) {
    if (RS->getRetValue())
      Allowed.insert(strip(RS->getRetValue()));
    return true;
  }
  bool VisitIfStmt(IfStmt *If) {
    if (If->getCond())
      Allowed.insert(strip(If->getCond()));
    return true;
  }
  /// A loop's NULL test of a cursor (`while (s)`, `for (; p; ...)`).
  bool VisitWhileStmt(WhileStmt *W) {
    if (W->getCond())
      Allowed.insert(strip(W->getCond()));
    return true;
  }
  bool VisitForStmt(ForStmt *F) {
    if (F->getCond())
      Allowed.insert(strip(F->getCond()));
    return true;
  }
  bool VisitImplicitCastExpr(ImplicitCastExpr *IC) {
    if (Allowed.count(IC))
      return true;
    if (IC->getCastKind() == CK_ArrayToPointerDecay)
      markBase(IC->getSubExpr());
    else if (IC->getCastKind() == CK_LValueToRValue &&
             IC->getType()->isPointerType())
      if (const auto *DRE =
              dyn_cast<DeclRefExpr>(IC->getSubExpr()->IgnoreParens()))
        if (const auto *VD = dyn_cast<VarDecl>(DRE->getDecl()))
          if (!VD->getType()->getPointeeType().isNull() &&
              VD->getType()->getPointeeType()->isRecordType())
            Bad.insert(VD);
    return true;
  }
  bool VisitBinaryOperator(BinaryOperator *BO) {
    if (BO->getOpcode() == BO_EQ || BO->getOpcode() == BO_NE) {
      Allowed.insert(strip(BO->getLHS()));
      Allowed.insert(strip(BO->getRHS()));
    }
    if (BO->isAssignmentOp())
      if (const auto *DRE = dyn_cast<DeclRefExpr>(BO->getLHS()->IgnoreParens()))
        if (const auto *VD = dyn_cast<VarDecl>(DRE->getDecl()))
          if (VD->getType()->isPointerType()) {
            // A local (not a parameter, whose fields the summaries name)
            // given another struct: its places start afresh there
            // (RepointedBases.cpp).
            if (BO->getOpcode() == BO_Assign && !isa<ParmVarDecl>(VD) &&
                VD->getType()->getPointeeType()->isRecordType())
              Repointed.insert(VD);
            else
              Bad.insert(VD);
          }
    return true;
  }

private:
  /// The node a use hangs from, past parentheses and the casts that keep
  /// an address an address.
  static const Expr *strip(const Expr *E) {
    while (true) {
      if (const auto *P = dyn_cast<ParenExpr>(E)) {
        E = P->getSubExpr();
        continue;
      }
      if (const auto *C = dyn_cast<ExplicitCastExpr>(E)) {
        E = C->getSubExpr();
        continue;
      }
      if (const auto *C = dyn_cast<ImplicitCastExpr>(E))
        if (C->getCastKind() == CK_NoOp || C->getCastKind() == CK_BitCast) {
          E = C->getSubExpr();
          continue;
        }
      return E;
    }
  }
  /// The variable below `v.a[1].b`: its memory escapes.
  void markBase(const Expr *E) {
    while (true) {
      E = E->IgnoreParenImpCasts();
      if (const auto *ME = dyn_cast<MemberExpr>(E)) {
        // `&p->f` kept anywhere but a call: what p's fields hold afterwards
        // is not followed, so p's fields are not followed at all.
        if (ME->isArrow()) {
          // A field that holds no tensor (`pp = &w->next` in a list walk,
          // `w->name` decayed): writes through it touch no followed place.
          if (!HoldsTensors(ME->getType()))
            return;
          E = ME->getBase()->IgnoreParenImpCasts();
          break;
        }
        E = ME->getBase();
        continue;
      }
      if (const auto *AS = dyn_cast<ArraySubscriptExpr>(E)) {
        if (!AS->getBase()->IgnoreParenImpCasts()->getType()->isArrayType())
          return;
        E = AS->getBase();
        continue;
      }
      break;
    }
    if (const auto *DRE = dyn_cast<DeclRefExpr>(E))
      if (const auto *VD = dyn_cast<VarDecl>(DRE->getDecl()))
        Bad.insert(VD);
  }

  llvm::DenseSet<const VarDecl *> &Bad;
  llvm::DenseSet<const VarDecl *> &Repointed;
  llvm::function_ref<bool(QualType)> HoldsTensors;
  llvm::DenseSet<const Expr *> Allowed;
};
} // namespace

bool FunctionAnalyzer::holdsTensors(QualType T) const {
  if (T.isNull())
    return false;
  const Type *Ty = T.getCanonicalType().getTypePtr();
  auto It = TensorTypes.find(Ty);
  if (It != TensorTypes.end())
    return It->second;
  TensorTypes[Ty] = false; // Against recursion through pointers.
  bool Holds = false;
  if (isTensorPointer(T))
    Holds = true;
  else if (const auto *AT = dyn_cast<ConstantArrayType>(Ty))
    Holds = holdsTensors(AT->getElementType());
  else if (const auto *RT = dyn_cast<RecordType>(Ty)) {
    const RecordDecl *RD = RT->getDecl()->getDefinition();
    if (RD && !RD->isUnion())
      for (const FieldDecl *F : RD->fields())
        // A heap array field's elements (HeapFields.cpp) are the struct's.
        if (holdsTensors(F->getType()) || isHeapArrayType(F->getType())) {
          Holds = true;
          break;
        }
  }
  TensorTypes[Ty] = Holds;
  return Holds;
}

/// A local variable or parameter whose fields or elements are followed: a
/// struct, an array, or a pointer to a struct, holding tensors.
bool FunctionAnalyzer::isBase(const VarDecl *VD) const {
  if (!VD || !VD->hasLocalStorage())
    return false;
  QualType T = VD->getType();
  if (T->isPointerType()) {
    T = T->getPointeeType();
    if (!T->isRecordType())
      return false;
  } else if (!T->isRecordType() &&
             !isa<ConstantArrayType>(T.getCanonicalType().getTypePtr())) {
    return false;
  }
  if (!holdsTensors(T))
    return false;
  scanPlaces();
  return !BadBases.count(VD);
}

void FunctionAnalyzer::scanPlaces() const {
  if (PlacesScanned)
    return;
  PlacesScanned = true;
  auto Holds = [this](QualType T) {
    return holdsTensors(T) || isHeapArrayType(T);
  };
  PlaceScan Scan(BadBases, RepointedBases, Holds);
  Scan.TraverseStmt(const_cast<Stmt *>(FD->getBody()));
}

LocKey FunctionAnalyzer::placeOf(const Expr *E) const {
  if (!E)
    return nullptr;
  E = ignoreParenCasts(E);
  if (const auto *DRE = dyn_cast<DeclRefExpr>(E)) {
    const auto *VD = dyn_cast<VarDecl>(DRE->getDecl());
    if (LocKey L = trackedLoc(VD))
      return L;
    return isBase(VD) ? Locs.var(VD) : nullptr;
  }
  if (const auto *ME = dyn_cast<MemberExpr>(E)) {
    const auto *F = dyn_cast<FieldDecl>(ME->getMemberDecl());
    if (!F || F->getParent()->isUnion() || !holdsTensors(ME->getType()))
      return nullptr;
    LocKey B = placeOf(ME->getBase());
    if (!B)
      return nullptr;
    // Through a pointer only from a variable (a parameter, most often).
    if (ME->isArrow() && !B->isVar())
      return nullptr;
    return Locs.field(B, F, ME->isArrow());
  }
  if (const auto *AS = dyn_cast<ArraySubscriptExpr>(E)) {
    const Expr *Base = AS->getBase()->IgnoreParenImpCasts();
    const auto *AT = Ctx.getAsConstantArrayType(Base->getType());
    if (!AT && holdsTensors(AS->getType()))
      if (const FieldDecl *F = heapField(Base)) // HeapFields.cpp
        return heapElem(AS, cast<MemberExpr>(Base), F);
    if (!AT || !holdsTensors(AS->getType()))
      return nullptr;
    LocKey B = placeOf(Base);
    if (!B)
      return nullptr;
    Expr::EvalResult R;
    if (AS->getIdx()->EvaluateAsInt(R, Ctx)) {
      const llvm::APSInt &I = R.Val.getInt();
      if (I.isNegative() || I.uge(AT->getSize().getZExtValue()))
        return nullptr;
      return Locs.index(B, I.getZExtValue(), false);
    }
    return Locs.anyIndex(B, false);
  }
  return nullptr;
}

void FunctionAnalyzer::forEachAlias(LocKey L,
                                    llvm::function_ref<void(LocKey)> Fn) const {
  if (L->isVar()) {
    Fn(L);
    return;
  }
  forEachAlias(L->Parent, [&](LocKey A) {
    for (LocKey C : A->Children) {
      if (C->Step == Loc::Field || L->Step == Loc::Field) {
        if (C->Step == L->Step && C->Member == L->Member &&
            C->Arrow == L->Arrow)
          Fn(C);
        continue;
      }
      if (L->Step == Loc::AnyIndex || C->Step == Loc::AnyIndex ||
          C->Index == L->Index)
        Fn(C);
    }
  });
}

bool FunctionAnalyzer::isExact(LocKey L) {
  for (; L; L = L->Parent)
    if (L->Step == Loc::AnyIndex)
      return false;
  return true;
}

ObjSet FunctionAnalyzer::evalPlace(LocKey L) {
  ObjSet Os;
  bool Any = false;
  forEachAlias(L, [&](LocKey Q) {
    if (const ObjSet *P = S.Pts.find(Q)) {
      Os.insert(*P);
      Any = true;
    }
  });
  if (Any || L->isVar() || !isExact(L))
    return Os;
  // Nothing stored here in this function: a tensor from outside, made
  // when first read (so that its aliases are the same object).
  auto [It, New] = ForeignIds.insert({L, ForeignBase + ForeignIds.size()});
  if (const Obj *Before = S.Objs.find(It->second))
    if (!Before->HeldBy.empty())
      return Os;
  Obj O;
  O.Bits = Borrowed;
  S.Objs.set(It->second, O);
  S.setPts(L, {It->second});
  return {It->second};
}

/// How a free of Arg updates what it frees (consume's Strength).
int FunctionAnalyzer::freeStrength(const Expr *Arg) {
  // `ts_free(k ? b : a)` where this path's facts do not decide k: one of
  // two tensors, each still held by its own variable, is freed.
  if (const auto *CO = dyn_cast<ConditionalOperator>(Arg->IgnoreParenCasts()))
    if (!(PE && CurFacts && PE->decideCond(CO->getCond(), *CurFacts, S)) &&
        !eval(CO->getTrueExpr()).empty() && !eval(CO->getFalseExpr()).empty())
      return -1;
  LocKey L = placeOf(Arg);
  if (!L || L->isVar())
    return 0;
  if (!isExact(L))
    return coversAll(Arg) || countOf(Arg) ? 1 : -1;
  // Strong only when what it holds is its own, not some element's.
  bool Other = false;
  forEachAlias(L, [&](LocKey Q) {
    if (Q != L)
      if (const ObjSet *P = S.Pts.find(Q))
        Other |= !P->empty();
  });
  return Other ? -1 : 0;
}

void FunctionAnalyzer::assignPlace(LocKey L, ObjSet Os) {
  // A parameter's tensor stored away is not merely borrowed; in a local
  // struct or array (`const ts_tensor *parts[2] = {acc, x};` for ts_cat)
  // it is still, until the aggregate is handed on (which touches it then).
  bool Away = L->Indirect || !L->Base->hasLocalStorage();
  for (ObjId Id : Os) {
    if (Away)
      touch(Id);
    if (Obj *O = S.Objs.findMut(Id))
      O->LastVar = L;
  }
  if (!isExact(L))
    if (const ObjSet *Old = S.Pts.find(L))
      Os.insert(*Old); // Some element: the others keep theirs.
  S.setPts(L, std::move(Os));
  S.Dirty = true;
}

void FunctionAnalyzer::killUnder(LocKey P, bool Hand) {
  llvm::SmallVector<LocKey, 8> Qs;
  LocTable::forEachUnder(P, [&](LocKey Q) {
    if (S.Pts.count(Q))
      Qs.push_back(Q);
  });
  for (LocKey Q : Qs) {
    if (Hand) {
      ObjSet Os = *S.Pts.find(Q);
      handOn(Os);
    }
    S.erasePts(Q);
  }
  if (!Qs.empty())
    S.Dirty = true;
}

/// The place at Q's path below From, below To instead.
LocKey FunctionAnalyzer::replay(LocKey Q, LocKey From, LocKey To) {
  if (Q == From)
    return To;
  LocKey P = replay(Q->Parent, From, To);
  switch (Q->Step) {
  case Loc::Field:
    return Locs.field(P, Q->Member, Q->Arrow);
  case Loc::Elem:
    return Locs.index(P, Q->Index, Q->Arrow);
  case Loc::AnyIndex:
    return Locs.anyIndex(P, Q->Arrow);
  case Loc::Var:
    break;
  }
  return P;
}

LocKey FunctionAnalyzer::follow(LocKey P, const FieldPath &Path, bool Arrow) {
  for (unsigned I = 0; I < Path.size(); ++I)
    P = Path[I] ? Locs.field(P, Path[I], I == 0 && Arrow)
                // Some element (CountLoops.cpp), behind the pointer of a
                // heap array field (HeapFields.cpp).
                : Locs.anyIndex(P, I > 0 && Path[I - 1] &&
                                       Path[I - 1]->getType()->isPointerType());
  return P;
}

/// `L = RHS` (or its initialisation) for a struct or an array L: a copy of
/// a followed struct, a struct returned by a same-file function whose
/// fields hold new tensors, or anything else (what L held is lost).
void FunctionAnalyzer::assignRecord(LocKey L, const Expr *RHS) {
  const Expr *R = RHS ? ignoreParenCasts(RHS) : nullptr;
  const auto *CE = dyn_cast_or_null<CallExpr>(R);
  const FunctionSummary *FS = CE ? model(CE).Fields : nullptr;
  LocKey From = R && !CE ? placeOf(R) : nullptr;
  if (!L) {
    // Copied where the analysis does not follow: handed on.
    if (From)
      LocTable::forEachUnder(From, [&](LocKey Q) {
        if (const ObjSet *Os = S.Pts.find(Q)) {
          ObjSet Copy = *Os;
          handOn(Copy);
        }
      });
    return;
  }
  if (From == L)
    return;
  // Some element (`xs[i] = f()`): the others keep theirs (a weak update,
  // as assignPlace makes for a tensor).
  if (isExact(L))
    killUnder(L, false);
  if (From) {
    // A field of the source not read yet holds a tensor from outside (one
    // a call filled, say): the copy shares it (`b = a;`, then both torn
    // down), so it gets that object now.
    if (isExact(From))
      if (const RecordDecl *RD = R->getType()->getAsRecordDecl()) {
        llvm::SmallVector<std::pair<LocKey, const RecordDecl *>, 4> Work{
            {From, RD}};
        while (!Work.empty()) {
          auto [Q, Rec] = Work.pop_back_val();
          if (!Rec->getDefinition() || Rec->isUnion())
            continue;
          for (const FieldDecl *F : Rec->getDefinition()->fields()) {
            QualType T = F->getType();
            if (isTensorPointer(T))
              evalPlace(Locs.field(Q, F, false));
            else if (T->isRecordType() && holdsTensors(T))
              Work.push_back({Locs.field(Q, F, false), T->getAsRecordDecl()});
          }
        }
      }
    llvm::SmallVector<std::pair<LocKey, ObjSet>, 4> Copies;
    std::function<void(LocKey)> Walk = [&](LocKey Q) {
      if (Q != From && Q->Arrow)
        return; // Behind a pointer: the same memory, not a copy.
      if (Q != From)
        if (const ObjSet *Os = S.Pts.find(Q))
          Copies.push_back({Q, *Os});
      for (LocKey C : Q->Children)
        Walk(C);
    };
    Walk(From);
    for (auto &[Q, Os] : Copies)
      assignPlace(replay(Q, From, L), Os);
    return;
  }
  // A TS_CALLER_SCOPE function's tensors belong to the current scope:
  // followed only when this function knows which one.
  if (FS && (!S.Regions.empty() || !CE->getDirectCallee() ||
             bodyScopeOf(CE->getDirectCallee()) != BodyScope::CallerScope))
    for (unsigned K = 0; K < FS->RetFields.size(); ++K)
      assignPlace(follow(L, FS->RetFields[K], false), {allocField(CE, K + 1)});
}

ObjId FunctionAnalyzer::allocField(const CallExpr *CE, unsigned K) {
  auto [It, New] = FieldSites.insert({{CE, K}, unsigned(Sites.size())});
  if (New)
    Sites.push_back(CE);
  allocateSite(It->second);
  return It->second * 2;
}

/// `struct pair p = {a, b};`, `ts_tensor *xs[2] = {a, b};`: the
/// initialiser lists of a followed variable put their tensors in its
/// places (initPlaces) rather than handing them on (Op::Aggregate).
void FunctionAnalyzer::keepAggregates(BlockInfo &BI, const DeclStmt *DS) const {
  for (const Decl *D : DS->decls()) {
    const auto *VD = dyn_cast<VarDecl>(D);
    const auto *IL =
        VD && VD->getInit()
            ? dyn_cast<InitListExpr>(VD->getInit()->IgnoreParenImpCasts())
            : nullptr;
    if (!IL || !isBase(VD) || VD->getType()->isPointerType())
      continue;
    llvm::SmallVector<const InitListExpr *, 4> Lists{IL};
    for (unsigned I = 0; I < Lists.size(); ++I)
      for (const Expr *E : Lists[I]->inits())
        if (const auto *Sub = dyn_cast<InitListExpr>(E->IgnoreParenImpCasts()))
          Lists.push_back(Sub);
    for (Op &O : BI.Ops)
      if (O.K == Op::Aggregate && llvm::is_contained(Lists, O.St))
        O.K = Op::Other;
  }
}

void FunctionAnalyzer::initPlaces(LocKey L, const InitListExpr *IL) {
  killUnder(L, false);
  QualType T = IL->getType();
  const RecordDecl *RD = T->isRecordType() ? T->getAsRecordDecl() : nullptr;
  if (RD && (RD->isUnion() || !RD->getDefinition()))
    return;
  llvm::SmallVector<const FieldDecl *, 8> Fields;
  if (RD)
    Fields.append(RD->getDefinition()->field_begin(),
                  RD->getDefinition()->field_end());
  for (unsigned I = 0; I < IL->getNumInits(); ++I) {
    const Expr *E = IL->getInit(I);
    LocKey Q;
    if (RD) {
      if (I >= Fields.size() || !holdsTensors(Fields[I]->getType()))
        continue;
      Q = Locs.field(L, Fields[I], false);
    } else {
      if (!holdsTensors(E->getType()))
        continue;
      Q = Locs.index(L, I, false);
    }
    if (const auto *Sub = dyn_cast<InitListExpr>(E->IgnoreParenImpCasts()))
      initPlaces(Q, Sub);
    else if (E->getType()->isRecordType())
      assignRecord(Q, E);
    else if (isTensorPointer(E->getType()))
      assignPlace(Q, eval(E));
  }
}

LocKey FunctionAnalyzer::nullTestedPlace(const Expr *C,
                                         bool &NullOnTrue) const {
  C = C->IgnoreParenImpCasts();
  if (const auto *UO = dyn_cast<UnaryOperator>(C)) {
    if (UO->getOpcode() != UO_LNot)
      return nullptr;
    LocKey L = nullTestedPlace(UO->getSubExpr(), NullOnTrue);
    NullOnTrue = !NullOnTrue;
    return L;
  }
  const Expr *Tested = nullptr;
  NullOnTrue = false;
  if (const auto *BO = dyn_cast<BinaryOperator>(C)) {
    if (BO->getOpcode() == BO_Assign) {
      Tested = BO->getLHS();
    } else if (BO->getOpcode() == BO_EQ || BO->getOpcode() == BO_NE) {
      // Only a field or an element is for us (variables: nullTestedVar).
      // `(p->t = next()) != NULL` tests p->t.
      auto Assigned = [](const Expr *E) {
        const auto *A = dyn_cast<BinaryOperator>(E->IgnoreParenImpCasts());
        return A && A->getOpcode() == BO_Assign ? A->getLHS() : E;
      };
      auto IsPlace = [&](const Expr *E) {
        E = Assigned(E)->IgnoreParenImpCasts();
        return isa<MemberExpr>(E) || isa<ArraySubscriptExpr>(E);
      };
      if (!IsPlace(BO->getLHS()) && !IsPlace(BO->getRHS()))
        return nullptr;
      auto IsNull = [&](const Expr *E) {
        return E->isNullPointerConstant(const_cast<ASTContext &>(Ctx),
                                        Expr::NPC_ValueDependentIsNotNull);
      };
      if (IsNull(BO->getRHS()))
        Tested = Assigned(BO->getLHS());
      else if (IsNull(BO->getLHS()))
        Tested = Assigned(BO->getRHS());
      NullOnTrue = BO->getOpcode() == BO_EQ;
    }
  } else if (isa<MemberExpr>(C) || isa<ArraySubscriptExpr>(C)) {
    Tested = C;
  }
  if (!Tested || !isTensorPointer(Tested->getType()))
    return nullptr;
  LocKey L = placeOf(Tested);
  return L && !L->isVar() && isExact(L) ? L : nullptr;
}

bool FunctionAnalyzer::heldIndirectly(const Obj &O) const {
  for (LocKey L : O.HeldBy)
    if (L->Indirect)
      return true;
  return false;
}

/// At the function's end: tensors left in memory a pointer parameter (or
/// any pointer) points to are the caller's.
void FunctionAnalyzer::handOnIndirect() {
  if (!Locs.anyIndirect())
    return;
  S.Pts.forEach([&](LocKey L, const ObjSet &Os) {
    if (!L->Indirect)
      return;
    for (ObjId Id : Os)
      if (Obj *O = S.Objs.findMut(Id))
        if (O->Bits & Owned)
          O->Bits = (O->Bits & ~Owned) | HandedOn;
  });
}

} // namespace ownership
} // namespace tsmem
