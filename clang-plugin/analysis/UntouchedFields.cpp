//===- UntouchedFields.cpp - Fields a helper never names ------------------===//
//
// A call given the address of a followed struct hands on what the struct's
// fields hold: the callee may free, replace or keep any of them
// (FieldCalls.cpp). But a same-file helper that never names a field, or
// only reads the tensor in it where it is (tests it against NULL, passes it
// to a tsmem call that takes it as `const ts_tensor *` and does not give it
// back), and lets the struct's address go nowhere it could be reached
// from, leaves that field alone:
//
//   static double train_step(struct trainer *t) {   /* never names best */
//     ts_optim_step(t->opt);
//     t->step++;
//   }
//   ...
//   for (...) {
//     train_step(&tr);
//     if (better)
//       tr.best = ts_clone(w);   /* the last pass's clone is lost */
//   }
//
// The caller keeps what such a field holds across the call, so a store
// over it, or a path that never frees it, is seen. Read off the helper's
// text: its parameter may appear only as the base of `p->f` (f then
// named, unless only read), in a test against NULL, or as an argument to a
// same-file function that is, in turn, such a helper for it (or takes it
// as a pointer to const, which the analysis takes as only reading it).
// Anything else (a copy of the pointer, `*p`, `&p`, `p[i]`, an unknown
// callee, a callback) may reach every field. One read of each helper's
// body per parameter.
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"

#include <functional>

namespace tsmem {
namespace ownership {

const FieldReach &fieldReach(const FunctionDecl *Def, unsigned I,
                             CallModels &Models, FieldReachCache &Cache);

namespace {

/// The parameter's uses in a body: the fields named under it, or any.
class ParamReach {
public:
  ParamReach(const ParmVarDecl *P, CallModels &Models, FieldReachCache &Cache)
      : P(P), Models(Models), Cache(Cache) {}

  /// Parent: St's parent past casts and parentheses.
  void scan(const Stmt *St, const Stmt *Parent) {
    if (!St || Out.All)
      return;
    if (const auto *ME = dyn_cast<MemberExpr>(St))
      if (ME->isArrow() && isParam(ME->getBase()))
        if (const auto *F = dyn_cast<FieldDecl>(ME->getMemberDecl()))
          if (!onlyRead(ME, Parent))
            Out.Named.insert(F);
    if (const auto *CE = dyn_cast<CallExpr>(St))
      for (unsigned I = 0; I < CE->getNumArgs(); ++I)
        if (isParam(CE->getArg(I)))
          callArg(CE, I);
    bool Through = isa<ImplicitCastExpr, ParenExpr, CStyleCastExpr>(St);
    for (const Stmt *C : St->children())
      scan(C, Through ? Parent : St);
  }

  FieldReach Out;
  /// Calls whose result is thrown away (a statement of a block).
  llvm::SmallPtrSet<const Stmt *, 16> Discarded;

private:
  /// E is the parameter itself, past parentheses and casts.
  bool isParam(const Expr *E) const {
    const auto *DRE = dyn_cast<DeclRefExpr>(E->IgnoreParenCasts());
    return DRE && DRE->getDecl() == P;
  }

  /// `p->t`, a tensor, only read where it is: tested against NULL, or an
  /// argument a tsmem call takes as `const ts_tensor *` and does not give
  /// back (it makes a new tensor, returns no tensor, or its result is
  /// thrown away: `ts_add_(p->t, x);`). The tensor stays in the field.
  bool onlyRead(const MemberExpr *ME, const Stmt *Parent) const {
    if (!isTensorPointer(ME->getType()) || !Parent)
      return false;
    if (const auto *UO = dyn_cast<UnaryOperator>(Parent))
      return UO->getOpcode() == UO_LNot;
    if (const auto *BO = dyn_cast<BinaryOperator>(Parent))
      return BO->getOpcode() == BO_EQ || BO->getOpcode() == BO_NE;
    if (const auto *If = dyn_cast<IfStmt>(Parent))
      return If->getCond()->IgnoreParenCasts() == ME;
    const auto *CE = dyn_cast<CallExpr>(Parent);
    const FunctionDecl *Callee = CE ? CE->getDirectCallee() : nullptr;
    if (!Callee)
      return false;
    CallModel M = Models.get(Callee);
    if (!M.Api || (M.Kind != CallKind::Borrow && M.Kind != CallKind::Owned))
      return false;
    for (unsigned I = 0; I < CE->getNumArgs(); ++I) {
      if (CE->getArg(I)->IgnoreParenCasts() != ME)
        continue;
      if (I >= Callee->getNumParams())
        return false;
      QualType T = Callee->getParamDecl(I)->getType();
      if (!T->isPointerType() || !T->getPointeeType().isConstQualified())
        return false;
    }
    return M.Kind == CallKind::Owned || !isTensorPointer(CE->getType()) ||
           Discarded.count(CE);
  }

  void callArg(const CallExpr *CE, unsigned I) {
    const FunctionDecl *Callee = CE->getDirectCallee();
    if (!Callee || I >= Callee->getNumParams()) {
      Out.All = true;
      return;
    }
    QualType T = Callee->getParamDecl(I)->getType();
    if (T->isPointerType() && T->getPointeeType()->isRecordType() &&
        T->getPointeeType().isConstQualified())
      return; // Read only, as FieldCalls.cpp takes it.
    const FunctionDecl *Def = nullptr;
    if (!Callee->hasBody(Def) || Models.get(Callee).Api) {
      Out.All = true;
      return;
    }
    const FieldReach &R = fieldReach(Def, I, Models, Cache);
    if (R.All) {
      Out.All = true;
      return;
    }
    for (const FieldDecl *F : R.Named)
      Out.Named.insert(F);
  }

  const ParmVarDecl *P;
  CallModels &Models;
  FieldReachCache &Cache;
};

/// The calls that are statements of a block, past parentheses and casts
/// (`(void)f(x);`).
void noteDiscarded(const Stmt *St, llvm::SmallPtrSetImpl<const Stmt *> &Out) {
  if (!St)
    return;
  if (const auto *CS = dyn_cast<CompoundStmt>(St))
    for (const Stmt *C : CS->body())
      if (const auto *E = dyn_cast<Expr>(C))
        if (const auto *CE = dyn_cast<CallExpr>(E->IgnoreParenCasts()))
          Out.insert(CE);
  for (const Stmt *C : St->children())
    noteDiscarded(C, Out);
}

/// Whether each use of the parameter itself hangs, past casts and
/// parentheses, from an allowed parent: `p->f`, a call's argument
/// (ParamReach::callArg decides), a test against NULL.
bool usesAllowed(const Stmt *Body, const ParmVarDecl *P) {
  bool Ok = true;
  std::function<void(const Stmt *, const Stmt *)> Walk =
      [&](const Stmt *St, const Stmt *Parent) {
        if (!St || !Ok)
          return;
        // Past casts and parentheses: what the pointer's value goes into.
        if (isa<ImplicitCastExpr, ParenExpr, CStyleCastExpr>(St)) {
          for (const Stmt *C : St->children())
            Walk(C, Parent);
          return;
        }
        if (const auto *DRE = dyn_cast<DeclRefExpr>(St)) {
          if (DRE->getDecl() != P)
            return;
          if (!Parent) {
            Ok = false;
            return;
          }
          if (const auto *ME = dyn_cast<MemberExpr>(Parent)) {
            Ok = ME->isArrow();
            return;
          }
          if (isa<CallExpr>(Parent))
            return; // ParamReach::callArg decides (not the callee itself:
                    // a parameter is never called).
          if (const auto *UO = dyn_cast<UnaryOperator>(Parent)) {
            Ok = UO->getOpcode() == UO_LNot;
            return;
          }
          if (const auto *BO = dyn_cast<BinaryOperator>(Parent)) {
            Ok = BO->getOpcode() == BO_EQ || BO->getOpcode() == BO_NE ||
                 BO->getOpcode() == BO_LAnd || BO->getOpcode() == BO_LOr;
            return;
          }
          if (isa<IfStmt, WhileStmt, DoStmt, ForStmt, ConditionalOperator>(
                  Parent)) {
            // As a condition only (a conditional operator's arms would
            // hand the pointer on).
            if (const auto *CO = dyn_cast<ConditionalOperator>(Parent))
              Ok = CO->getCond()->IgnoreParenCasts() == DRE;
            return;
          }
          Ok = false;
          return;
        }
        for (const Stmt *C : St->children())
          Walk(C, St);
      };
  Walk(Body, nullptr);
  return Ok;
}

} // namespace

const FieldReach &fieldReach(const FunctionDecl *Def, unsigned I,
                             CallModels &Models, FieldReachCache &Cache) {
  auto Key = std::make_pair(Def, I);
  auto It = Cache.find(Key);
  if (It != Cache.end())
    return It->second;
  // Recursion reaches this helper again: any field, until it is known.
  Cache[Key].All = true;
  FieldReach R;
  const ParmVarDecl *P = Def->getParamDecl(I);
  QualType T = P->getType();
  if (!T->isPointerType() || !T->getPointeeType()->isRecordType() ||
      !Def->getBody() || !usesAllowed(Def->getBody(), P)) {
    R.All = true;
  } else {
    ParamReach Scan(P, Models, Cache);
    noteDiscarded(Def->getBody(), Scan.Discarded);
    Scan.scan(Def->getBody(), nullptr);
    R = std::move(Scan.Out);
  }
  return Cache[Key] = std::move(R);
}

bool FunctionAnalyzer::untouchedField(const CallExpr *CE, unsigned I,
                                      const FieldDecl *F) {
  const FunctionDecl *Callee = CE->getDirectCallee();
  const FunctionDecl *Def = nullptr;
  if (!Callee || I >= Callee->getNumParams() || !Callee->hasBody(Def) ||
      model(CE).Api)
    return false;
  const FieldReach &R = fieldReach(Def, I, Models, Models.FieldReaches);
  return !R.All && !R.Named.count(F);
}

} // namespace ownership
} // namespace tsmem
