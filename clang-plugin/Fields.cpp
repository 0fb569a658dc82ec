//===- Fields.cpp - Tensors in fields and elements of variables -----------===//
//
// Places below a variable (Loc, Locations.h): `m.w`, `m->w`, `xs[2]`,
// `c.k[i]`. A local struct or array, or a struct a pointer parameter points
// to, is followed when its address only goes straight into calls. A
// constant index names one element; any other index names "some element"
// (Loc::AnyIndex), which may be any constant one: reads join them, writes
// through it are weak, and a free through it is strong only inside a
// counted loop that covers the whole array (`for (i = 0; i < N; i++)` over
// an array of N). What a place holds on entry, or after a call that was
// given its address, is an object from outside (Borrowed), made when first
// read. Tensors left in fields under a pointer parameter go to the caller.
// Same-file summaries learn which fields of *param a function frees or
// fills on every path, and which fields of a struct it returns by value
// hold tensors it made.
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"

#include "clang/AST/RecursiveASTVisitor.h"

#include <functional>

namespace tsmem {
namespace ownership {

namespace {
/// E's value when it is an integer constant (a literal, most often).
bool intValue(const Expr *E, const ASTContext &Ctx, llvm::APSInt &V) {
  if (const auto *IL = dyn_cast<IntegerLiteral>(E->IgnoreParenImpCasts())) {
    V = llvm::APSInt(IL->getValue(), false);
    return true;
  }
  Expr::EvalResult R;
  if (!E->EvaluateAsInt(R, Ctx))
    return false;
  V = R.Val.getInt();
  return true;
}

/// Finds the variables whose address (or, for a pointer to a struct, whose
/// value) goes anywhere but straight into a call's argument, a field access
/// or a subscript; and pointer variables that are assigned.
class PlaceScan : public RecursiveASTVisitor<PlaceScan> {
public:
  explicit PlaceScan(llvm::DenseSet<const VarDecl *> &Bad) : Bad(Bad) {}

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
    if (BO->isAssignmentOp())
      if (const auto *DRE = dyn_cast<DeclRefExpr>(BO->getLHS()->IgnoreParens()))
        if (const auto *VD = dyn_cast<VarDecl>(DRE->getDecl()))
          if (VD->getType()->isPointerType())
            Bad.insert(VD);
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
        if (ME->isArrow())
          return;
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
  llvm::DenseSet<const Expr *> Allowed;
};

/// The counted loop `for (i = 0; i < K; i++)` (or `i <= K - 1`, `i != K`,
/// `++i`, `i += 1`): its variable and K.
const VarDecl *countedLoop(const ForStmt *FS, const ASTContext &Ctx,
                           uint64_t &K) {
  const VarDecl *I = nullptr;
  const Expr *Start = nullptr;
  if (const auto *DS = dyn_cast_or_null<DeclStmt>(FS->getInit())) {
    if (!DS->isSingleDecl())
      return nullptr;
    I = dyn_cast<VarDecl>(DS->getSingleDecl());
    Start = I ? I->getInit() : nullptr;
  } else if (const auto *BO = dyn_cast_or_null<BinaryOperator>(FS->getInit())) {
    if (BO->getOpcode() != BO_Assign)
      return nullptr;
    I = varOf(BO->getLHS());
    Start = BO->getRHS();
  }
  if (!I || !Start || !I->getType()->isIntegerType())
    return nullptr;
  const auto *C = dyn_cast_or_null<BinaryOperator>(
      FS->getCond() ? FS->getCond()->IgnoreParenImpCasts() : nullptr);
  if (!C || varOf(C->getLHS()) != I ||
      !isa<DeclRefExpr>(C->getLHS()->IgnoreParenImpCasts()))
    return nullptr;
  llvm::APSInt V;
  if (!intValue(Start, Ctx, V) || V != 0)
    return nullptr;
  if (!intValue(C->getRHS(), Ctx, V) || V.isNegative())
    return nullptr;
  uint64_t Bound = V.getLimitedValue(1u << 30);
  if (C->getOpcode() == BO_LE)
    ++Bound;
  else if (C->getOpcode() != BO_LT && C->getOpcode() != BO_NE)
    return nullptr;
  const Expr *Inc =
      FS->getInc() ? FS->getInc()->IgnoreParenImpCasts() : nullptr;
  bool Step = false;
  if (const auto *UO = dyn_cast_or_null<UnaryOperator>(Inc))
    Step = UO->isIncrementOp() && varOf(UO->getSubExpr()) == I;
  else if (const auto *CA = dyn_cast_or_null<CompoundAssignOperator>(Inc)) {
    llvm::APSInt One;
    Step = CA->getOpcode() == BO_AddAssign && varOf(CA->getLHS()) == I &&
           intValue(CA->getRHS(), Ctx, One) && One == 1;
  }
  if (!Step)
    return nullptr;
  K = Bound;
  return I;
}
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
        if (holdsTensors(F->getType())) {
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
  PlaceScan Scan(BadBases);
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
  LocKey L = placeOf(Arg);
  if (!L || L->isVar())
    return 0;
  if (!isExact(L))
    return coversAll(Arg) ? 1 : -1;
  // Strong only when what it holds is its own, not some element's.
  bool Other = false;
  forEachAlias(L, [&](LocKey Q) {
    if (Q != L)
      if (const ObjSet *P = S.Pts.find(Q))
        Other |= !P->empty();
  });
  return Other ? -1 : 0;
}

/// Every non-constant index on the way to Arg is the variable of a counted
/// loop at least as long as the array.
bool FunctionAnalyzer::coversAll(const Expr *Arg) const {
  const Expr *E = ignoreParenCasts(Arg);
  while (true) {
    if (const auto *ME = dyn_cast<MemberExpr>(E)) {
      E = ignoreParenCasts(ME->getBase());
      continue;
    }
    const auto *AS = dyn_cast<ArraySubscriptExpr>(E);
    if (!AS)
      return true;
    const Expr *Base = AS->getBase()->IgnoreParenImpCasts();
    Expr::EvalResult R;
    if (!AS->getIdx()->EvaluateAsInt(R, Ctx)) {
      const auto *AT = Ctx.getAsConstantArrayType(Base->getType());
      const VarDecl *I = varOf(AS->getIdx());
      auto It = I ? Covers.find(I) : Covers.end();
      if (!AT || It == Covers.end() ||
          It->second < AT->getSize().getZExtValue())
        return false;
    }
    E = ignoreParenCasts(Base);
  }
}

void FunctionAnalyzer::assignPlace(LocKey L, ObjSet Os) {
  for (ObjId Id : Os) {
    touch(Id); // A parameter's tensor stored away is not merely borrowed.
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
    P = Locs.field(P, Path[I], I == 0 && Arrow);
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
void FunctionAnalyzer::fieldArgs(const CallExpr *CE, const CallModel &M) {
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
    bool Const = PT->isPointerType() && PT->getPointeeType().isConstQualified();
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
        if (Os.empty())
          continue;
        if (!checkUse(Os, CE->getArg(I), CE))
          consume(Os, CE, Freed);
      }
    if (!Const)
      arrayParamEffect(CE, I, P, Kept, false); // ArrayParams.cpp
    if (Const && M.Api)
      useElements(CE, I, P); // Elements.cpp
    freeEntryFields(CE, M, I, P, Arrow, Kept); // EntryFields.cpp
    if (Const)
      continue;
    // Everything the callee may reach through the pointer: under P and
    // under the places P may be (`&xs[i]` reaches `xs[0]` too).
    llvm::SmallVector<LocKey, 8> Qs;
    forEachAlias(P, [&](LocKey A) {
      LocTable::forEachUnder(A, [&](LocKey Q) {
        if (Q != A && S.Pts.count(Q) && !llvm::is_contained(Kept, Q) &&
            !llvm::is_contained(Qs, Q))
          Qs.push_back(Q);
      });
    });
    for (LocKey Q : Qs) {
      ObjSet Os = *S.Pts.find(Q);
      handOn(Os);
      S.erasePts(Q);
      S.Dirty = true;
    }
    if (M.Fields)
      for (unsigned K = 0; K < M.Fields->FillFields.size(); ++K)
        if (M.Fields->FillFields[K].first == I)
          assignPlace(follow(P, M.Fields->FillFields[K].second, Arrow),
                      {allocField(CE, 1000 + K)});
    arrayParamEffect(CE, I, P, Kept, true); // ArrayParams.cpp
  }
}

/// The fields below a place, by field, when every step is a field (`.a.b`;
/// the first through a pointer when Arrow).
static bool fieldPath(LocKey Q, LocKey Top, bool Arrow, FieldPath &Path) {
  Path.clear();
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
  for (unsigned I = 0; I < A.size() && I < B.size(); ++I)
    if (A[I]->getFieldIndex() != B[I]->getFieldIndex())
      return A[I]->getFieldIndex() < B[I]->getFieldIndex();
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
        bool Here = O && (O->Bits == Owned ||
                          (Scope == BodyScope::CallerScope &&
                           O->Bits == Scoped && O->Region == FD));
        if (!Here || isForeign(Id) || isParam(Id))
          return;
      }
      Made.push_back(Path);
    });
    RetFieldSets[RS] = std::move(Made);
  }
  // The caller gets the struct, and what its fields hold.
  LocTable::forEachUnder(B, [&](LocKey Q) {
    if (const ObjSet *Os = S.Pts.find(Q)) {
      ObjSet Copy = *Os;
      handOn(Copy);
    }
  });
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
      auto IsPlace = [](const Expr *E) {
        E = E->IgnoreParenImpCasts();
        return isa<MemberExpr>(E) || isa<ArraySubscriptExpr>(E);
      };
      if (!IsPlace(BO->getLHS()) && !IsPlace(BO->getRHS()))
        return nullptr;
      auto IsNull = [&](const Expr *E) {
        return E->isNullPointerConstant(const_cast<ASTContext &>(Ctx),
                                        Expr::NPC_ValueDependentIsNotNull);
      };
      if (IsNull(BO->getRHS()))
        Tested = BO->getLHS();
      else if (IsNull(BO->getLHS()))
        Tested = BO->getRHS();
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

void FunctionAnalyzer::noteFieldUse(const Expr *Arg) {
  const Expr *E = ignoreParenCasts(Arg);
  if (!isa<MemberExpr>(E))
    return;
  LocKey L = placeOf(E);
  if (L && L->Indirect && isa<ParmVarDecl>(L->Base))
    FieldUses.insert({CurBlock, L});
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
      if (const Obj *O = S.Objs.find(Id))
        B |= O->Bits;
    Bits.push_back({L, B});
  });
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
  const auto &First = ExitFields.begin()->second;
  for (const auto &Entry : First) {
    LocKey L = Entry.first;
    uint8_t B0 = Entry.second;
    uint8_t Want = B0 == Freed ? Freed : B0 == Owned ? Owned : 0;
    if (!Want ||
        (Want == Owned && (Scope != BodyScope::None || FailureCleanupSeen)))
      continue;
    bool All = true;
    for (const auto &[Block, Bits] : ExitFields) {
      auto It =
          llvm::find_if(Bits, [&](const auto &P) { return P.first == L; });
      All &= It != Bits.end() && It->second == Want;
    }
    FieldPath Path;
    LocKey Top = Locs.findVar(L->Base);
    if (!All || !Top || !fieldPath(L, Top, true, Path))
      continue;
    unsigned Idx = cast<ParmVarDecl>(L->Base)->getFunctionScopeIndex();
    (Want == Freed ? F.FreeFields : F.FillFields).push_back({Idx, Path});
  }
  auto Less = [](const std::pair<unsigned, FieldPath> &A,
                 const std::pair<unsigned, FieldPath> &B) {
    return A.first != B.first ? A.first < B.first
                              : pathLess(A.second, B.second);
  };
  llvm::sort(F.FreeFields, Less);
  llvm::sort(F.FillFields, Less);
}

/// Counted loops, read off each block's terminator while decoding.
void FunctionAnalyzer::noteCountedLoop(const Stmt *Term) {
  const auto *FS = dyn_cast_or_null<ForStmt>(Term);
  if (!FS || OnceLoops.count(FS))
    return;
  uint64_t K = 0;
  const VarDecl *I = countedLoop(FS, Ctx, K);
  if (!I)
    return;
  if (K > 0)
    OnceLoops.insert(FS);
  // An index names every element only inside its own loop: only a
  // variable the loop declares is sure to be there.
  if (!isa<DeclStmt>(FS->getInit()))
    return;
  auto [It, New] = Covers.insert({I, K});
  if (!New)
    It->second = std::min(It->second, K);
}

bool FunctionAnalyzer::runsOnce(const Stmt *Term) const {
  return Term && OnceLoops.count(Term);
}

} // namespace ownership
} // namespace tsmem
