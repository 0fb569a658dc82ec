//===- MayFreeEntries.cpp - Helpers that may free a field's tensor --------===//
//
// An update helper frees the tensor a field under its pointer parameter
// holds and stores a new one, but only on some paths: when a solve
// succeeds, when a loss is better, when a flag says so.
//
//   static void update(struct m *m) {
//     ts_tensor *n = solve(m);
//     if (!n)
//       return;             /* the old tensor kept */
//     ts_free(m->mean);     /* or replaced */
//     m->mean = n;
//   }
//
// Its summary says the field's tensor on entry is freed on some way out
// and left alone on the others (FunctionSummary::MayFreeEntryFields; on
// every way out is FreeEntryFields, EntryFields.cpp). A caller that drops
// the result cannot tell which happened: as condFree says of a tensor
// argument, on one path at least the old tensor is gone, so a copy of it
// taken before the call (`w = m.mean; update(&m); use(w);`) is used, or
// freed, after its free. A caller that tests the result may know which:
// it is not followed then.
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"

namespace tsmem {
namespace ownership {

namespace {
/// Whether some test in Body reads nothing but scalar parameters (`if
/// (shrink)`, `if (k > 0)`): which path the helper takes is then the
/// caller's choice, and a caller may well know it did not free.
bool testsFlag(const Stmt *Body) {
  auto OnlyParams = [](const Expr *C) {
    if (!C)
      return false;
    bool Any = false, Other = false;
    llvm::SmallVector<const Stmt *, 8> Work{C};
    while (!Work.empty() && !Other) {
      const Stmt *St = Work.pop_back_val();
      if (!St)
        continue;
      if (const auto *DRE = dyn_cast<DeclRefExpr>(St)) {
        const auto *P = dyn_cast<ParmVarDecl>(DRE->getDecl());
        if (P && P->getType()->isScalarType() && !P->getType()->isPointerType())
          Any = true;
        else if (!isa<EnumConstantDecl>(DRE->getDecl()))
          Other = true;
        continue;
      }
      if (isa<CallExpr>(St) || isa<MemberExpr>(St))
        Other = true;
      for (const Stmt *Ch : St->children())
        Work.push_back(Ch);
    }
    return Any && !Other;
  };
  llvm::SmallVector<const Stmt *, 32> Work{Body};
  while (!Work.empty()) {
    const Stmt *St = Work.pop_back_val();
    if (!St)
      continue;
    const Expr *C = nullptr;
    if (const auto *If = dyn_cast<IfStmt>(St))
      C = If->getCond();
    else if (const auto *CO = dyn_cast<ConditionalOperator>(St))
      C = CO->getCond();
    else if (const auto *W = dyn_cast<WhileStmt>(St))
      C = W->getCond();
    else if (const auto *SS = dyn_cast<SwitchStmt>(St))
      C = SS->getCond();
    else if (const auto *BO = dyn_cast<BinaryOperator>(St);
             BO && BO->isLogicalOp() && OnlyParams(BO->getRHS()))
      return true; // `if (p->a && flag)`
    else if (BO && BO->isLogicalOp())
      C = BO->getLHS();
    if (OnlyParams(C))
      return true;
    for (const Stmt *Ch : St->children())
      Work.push_back(Ch);
  }
  return false;
}
} // namespace

void FunctionAnalyzer::noteMayFreeExit() {
  auto [It, New] = MayFreeKnown.insert({CurBlock, ForeignIds.size()});
  if (!New)
    It->second = std::min<unsigned>(It->second, ForeignIds.size());
}

void FunctionAnalyzer::noteMayFreeEntry(LocKey L, const Obj *O) {
  // Not read on this path (0), read and left (Borrowed), or freed: any
  // other fate (handed on, escaped) is not a replacement.
  uint8_t B = O ? O->Bits : 0;
  // Freed by a call: a field tested NULL is marked Freed too on that edge
  // (markNullEntry), with no call, and there nothing of the caller's died.
  if ((B & Freed) && O->FreedBy) {
    MayFreeSeen.insert(L);
    MayFreeFates[{L, CurBlock}] |= 1;
  } else if (!(B & Freed)) {
    MayFreeFates[{L, CurBlock}] |= 2;
  }
  if (B & ~(Freed | Borrowed))
    MayFreeBad.insert(L);
}

uint8_t FunctionAnalyzer::mayFreeCond(LocKey L) const {
  // Freed only on the returns of one constant kind (`return 0;` after the
  // swap, `return -1;` where the new tensor could not be made) and left
  // only on the others: the result says which happened. Any doubt (a way
  // out that does both, returns something else, or ran before the field
  // was known) leaves no condition.
  auto Id = ForeignIds.find(L);
  if (Id == ForeignIds.end())
    return 0;
  unsigned Index = Id->second - ForeignBase;
  bool FreedZero = true, FreedNonZero = true, KeptZero = true,
       KeptNonZero = true, AnyFreed = false;
  for (const auto &[Block, Bits] : ExitEntries) {
    if (nullParamExit(Block, L))
      continue;
    auto F = MayFreeFates.find({L, Block});
    uint8_t Fate = F == MayFreeFates.end() ? 0 : F->second;
    auto K = MayFreeKnown.find(Block);
    if (K == MayFreeKnown.end() || K->second <= Index)
      Fate |= 2; // A path there before the field was read: left.
    uint8_t C = ExitRetClass.lookup(Block);
    bool Zero = C == RcZero, NonZero = C == RcNonZero;
    if (Fate & 1) {
      AnyFreed = true;
      FreedZero &= Zero;
      FreedNonZero &= NonZero;
    }
    if (Fate & 2) {
      KeptZero &= Zero;
      KeptNonZero &= NonZero;
    }
  }
  if (!AnyFreed)
    return 0;
  // Summaries.cpp's CondKinds: FreedIfNull (on a zero result) and
  // FreedIfNonNull.
  if (FreedZero && KeptNonZero)
    return 1;
  if (FreedNonZero && KeptZero)
    return 2;
  return 0;
}

void FunctionAnalyzer::summarizeMayFreeEntries(LocKey L,
                                               const FieldPath &Path) {
  if (!MayFreeSeen.count(L) || MayFreeBad.count(L))
    return;
  if (FlagTests < 0)
    FlagTests = testsFlag(FD->getBody());
  if (FlagTests)
    return;
  std::pair<unsigned, FieldPath> E{
      cast<ParmVarDecl>(L->Base)->getFunctionScopeIndex(), Path};
  if (!llvm::is_contained(Sum->MayFreeEntryFields, E)) {
    Sum->MayFreeEntryFields.push_back(std::move(E));
    Sum->MayFreeEntryConds.push_back(mayFreeCond(L));
  }
}

bool FunctionAnalyzer::condEntryFrees(const CallModel &M) {
  return M.Fields && llvm::any_of(M.Fields->MayFreeEntryConds,
                                  [](uint8_t C) { return C != 0; });
}

void FunctionAnalyzer::condFreeEntry(const ObjSet &Os, const CallExpr *CE,
                                      uint8_t Cond) {
  // Freed on one kind of result only, and the caller tests it: the test's
  // edge of that kind has it freed, the other has it as it was
  // (refineCond). Only a tensor from outside, merely borrowed here: one
  // the caller owns is handed on as before (its owner now unknown).
  for (ObjId Id : Os) {
    Obj *O = S.Objs.findMut(Id);
    if (!O || !isForeign(Id) || O->Bits != Borrowed || O->CondKind) {
      handOn({Id});
      continue;
    }
    O->CondCall = CE;
    O->CondKind = Cond;
    CondSeen = true;
  }
}

void FunctionAnalyzer::mayFreeEntryFields(const CallExpr *CE,
                                          const CallModel &M, unsigned I,
                                          LocKey P, bool Arrow) {
  if (!M.Fields || M.Fields->MayFreeEntryFields.empty())
    return;
  bool Tested =
      Facts.Known
          ? Facts.TestedCalls.count(CE)
          : isa_and_nonnull<IfStmt, WhileStmt, DoStmt, ForStmt, SwitchStmt>(
                Parents->getParentIgnoreParenCasts(const_cast<CallExpr *>(CE)));
  bool Dropped = isFullExpression(CE) && !Tested;
  for (unsigned K = 0; K < M.Fields->MayFreeEntryFields.size(); ++K) {
    const auto &[Idx, Path] = M.Fields->MayFreeEntryFields[K];
    if (Idx != I)
      continue;
    LocKey Q = follow(P, Path, Arrow);
    if (!isExact(Q))
      continue;
    // Only what the place holds already: a tensor from outside not read
    // yet has no copy to dangle.
    const ObjSet *Held = S.Pts.find(Q);
    if (!Held || Held->empty())
      continue;
    ObjSet Os = *Held;
    uint8_t Cond = K < M.Fields->MayFreeEntryConds.size()
                       ? M.Fields->MayFreeEntryConds[K]
                       : 0;
    if (Dropped && !checkUse(Os, CE->getArg(I), CE))
      consume(Os, CE, Freed);
    else if (Cond) // A test of the result settles it (or nothing does).
      condFreeEntry(Os, CE, Cond);
    else
      handOn(Os);
    // The field holds the old tensor or a new one: unknown here.
    if (S.erasePts(Q))
      S.Dirty = true;
  }
}

} // namespace ownership
} // namespace tsmem
