//===- HeapFields.cpp - Heap arrays of tensors behind a pointer field -----===//
//
// A struct may keep its tensors in a heap array its init allocates:
//
//   struct vec { ts_tensor **v; int n; };
//   q->v = calloc(cap, sizeof *q->v);   q->v[q->n++] = t;
//   for (int i = 0; i < q->n; i++) ts_free(q->v[i]);  free(q->v);
//
// Its elements are followed as those of an array field are (Fields.cpp,
// CountLoops.cpp), as places behind the pointer (Loc::Arrow): `q.v[0]`,
// `q.v[i]`. The pointer itself is not a place: where this function
// gives it another value, copies it (`ts_tensor **a = q->v`, a copy of
// the struct) or hands its address on, the elements could be anyone's
// and are not followed. Subscripting it, freeing it (`free(q->v)`),
// clearing it (`q->v = NULL`) and testing it for NULL leave it as it is.
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"
#include "LibcCalls.h"

#include "clang/AST/RecursiveASTVisitor.h"

namespace tsmem {
namespace ownership {

namespace {
bool heapArrayType(QualType T) {
  if (!T->isPointerType())
    return false;
  QualType E = T->getPointeeType();
  return isTensorPointer(E) && !E->getPointeeType().isConstQualified();
}

/// Finds the `ts_tensor **` fields whose value goes anywhere but into a
/// subscript, free() or a NULL test.
class HeapFieldScan : public RecursiveASTVisitor<HeapFieldScan> {
public:
  HeapFieldScan(llvm::DenseSet<const FieldDecl *> &Bad, ASTContext &Ctx)
      : Bad(Bad), Ctx(Ctx) {}

  bool TraverseUnaryExprOrTypeTraitExpr(UnaryExprOrTypeTraitExpr *) {
    return true; // `sizeof *q->v`: not evaluated.
  }
  bool VisitArraySubscriptExpr(ArraySubscriptExpr *AS) {
    Allowed.insert(strip(AS->getBase()));
    return true;
  }
  bool VisitCallExpr(CallExpr *CE) {
    if (isLibcFree(CE)) {
      Allowed.insert(strip(CE->getArg(0)));
      return true;
    }
    // Bytes copied from or into a struct: its arrays are shared then.
    const FunctionDecl *Callee = CE->getDirectCallee();
    if (Callee && Callee->getIdentifier() &&
        (Callee->getName() == "memcpy" || Callee->getName() == "memmove"))
      for (const Expr *A : CE->arguments()) {
        QualType T = A->IgnoreParenCasts()->getType();
        if (T->isPointerType())
          markRecord(T->getPointeeType());
      }
    return true;
  }
  bool VisitUnaryOperator(UnaryOperator *UO) {
    if (UO->getOpcode() == UO_LNot)
      Allowed.insert(strip(UO->getSubExpr()));
    return true;
  }
  bool VisitBinaryOperator(BinaryOperator *BO) {
    switch (BO->getOpcode()) {
    case BO_Assign:
      // Cleared after a free (`q->v = NULL`): no array to reach any more.
      if (BO->getRHS()->IgnoreParenCasts()->isNullPointerConstant(
              Ctx, Expr::NPC_ValueDependentIsNotNull))
        Allowed.insert(strip(BO->getLHS()));
      break;
    case BO_EQ:
    case BO_NE:
    case BO_LAnd:
    case BO_LOr:
      Allowed.insert(strip(BO->getLHS()));
      Allowed.insert(strip(BO->getRHS()));
      break;
    default:
      break;
    }
    return true;
  }
  bool VisitIfStmt(IfStmt *If) {
    if (If->getCond())
      Allowed.insert(strip(If->getCond()));
    return true;
  }
  bool VisitImplicitCastExpr(ImplicitCastExpr *IC) {
    // A copy of the struct: two structs name one array.
    if (IC->getCastKind() == CK_LValueToRValue && IC->getType()->isRecordType())
      markRecord(IC->getType());
    return true;
  }
  bool VisitMemberExpr(MemberExpr *ME) {
    if (const auto *F = dyn_cast<FieldDecl>(ME->getMemberDecl()))
      if (heapArrayType(F->getType()) && !Allowed.count(ME))
        Bad.insert(F);
    return true;
  }

private:
  static const Expr *strip(const Expr *E) {
    return E ? E->IgnoreParenImpCasts() : E;
  }
  void markRecord(QualType T) {
    const RecordDecl *RD = T->getAsRecordDecl();
    if (!RD || !(RD = RD->getDefinition()) || !Marked.insert(RD).second)
      return;
    for (const FieldDecl *F : RD->fields()) {
      if (heapArrayType(F->getType()))
        Bad.insert(F);
      else if (F->getType()->isRecordType())
        markRecord(F->getType());
    }
  }

  llvm::DenseSet<const FieldDecl *> &Bad;
  ASTContext &Ctx;
  llvm::DenseSet<const Expr *> Allowed;
  llvm::SmallPtrSet<const RecordDecl *, 4> Marked;
};
} // namespace

bool FunctionAnalyzer::isHeapArrayType(QualType T) { return heapArrayType(T); }

const FieldDecl *FunctionAnalyzer::heapField(const Expr *Base) const {
  const auto *ME = dyn_cast<MemberExpr>(Base->IgnoreParenImpCasts());
  const auto *F = ME ? dyn_cast<FieldDecl>(ME->getMemberDecl()) : nullptr;
  if (!F || F->getParent()->isUnion() || !isHeapArrayType(F->getType()))
    return nullptr;
  if (!HeapFieldsScanned) {
    HeapFieldsScanned = true;
    HeapFieldScan Scan(BadHeapFields, const_cast<ASTContext &>(Ctx));
    Scan.TraverseStmt(const_cast<Stmt *>(FD->getBody()));
  }
  return BadHeapFields.count(F) ? nullptr : F;
}

LocKey FunctionAnalyzer::heapElem(const ArraySubscriptExpr *AS,
                                  const MemberExpr *ME,
                                  const FieldDecl *F) const {
  LocKey B = placeOf(ME->getBase());
  // Through a pointer only from a variable, as for any field.
  if (!B || (ME->isArrow() && !B->isVar()))
    return nullptr;
  LocKey A = Locs.field(B, F, ME->isArrow());
  Expr::EvalResult R;
  if (AS->getIdx()->EvaluateAsInt(R, Ctx)) {
    const llvm::APSInt &I = R.Val.getInt();
    if (I.isNegative() || I.getActiveBits() > 32)
      return nullptr;
    return Locs.index(A, I.getZExtValue(), true);
  }
  return Locs.anyIndex(A, true);
}

} // namespace ownership
} // namespace tsmem
