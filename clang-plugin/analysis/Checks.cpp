//===- Checks.cpp - When a state is a bug, and how it is reported ---------===//
//
// The five checks of SPEC.md section 5 read off the state (a "must"
// reading of the joined state: every path that reaches the use has the bug,
// so correlated branches stay quiet), and the warnings and notes they give.
// Their text is in Checks.def.
//
//===----------------------------------------------------------------------===//
#include "Checks.h"
#include "FunctionAnalyzer.h"

#include "clang/Lex/Lexer.h"

using namespace clang;

namespace tsmem {

namespace {
struct MessageInfo {
  Check C;
  llvm::StringLiteral Format;
};
constexpr MessageInfo Messages[] = {
#define TSMEM_WARNING(Id, C, Format) {Check::C, Format},
#define TSMEM_NOTE(Id, Format) {Check::Leak, Format},
#define TSMEM_REMARK(Id, Format) {Check::Leak, Format},
#include "Checks.def"
};
} // namespace

llvm::StringRef messageFormat(Message M) {
  return Messages[static_cast<unsigned>(M)].Format;
}

Check checkOf(Message M) { return Messages[static_cast<unsigned>(M)].C; }

std::string formatMessage(Message M, llvm::ArrayRef<llvm::StringRef> Args) {
  llvm::StringRef F = messageFormat(M);
  std::string Out;
  Out.reserve(F.size() + 32);
  for (size_t I = 0; I < F.size(); ++I) {
    if (F[I] == '%' && I + 1 < F.size() && F[I + 1] >= '0' && F[I + 1] <= '9' &&
        unsigned(F[I + 1] - '0') < Args.size()) {
      Out += Args[F[I + 1] - '0'];
      ++I;
      continue;
    }
    Out += F[I];
  }
  return Out;
}

void Findings::warn(Check C, SourceLocation Loc, std::string Message,
                    SourceRange Range, llvm::ArrayRef<FixItHint> FixIts) {
  Items.push_back({Item::Warning, C, Loc, std::move(Message), Range,
                   llvm::SmallVector<FixItHint, 0>(FixIts), 0});
}

void Findings::note(SourceLocation Loc, std::string Message) {
  Items.push_back(
      {Item::Note, Check::Leak, Loc, std::move(Message), {}, {}, 0});
}

void Findings::overBudget(SourceLocation Loc, llvm::StringRef Function,
                          uint64_t Budget) {
  Items.push_back(
      {Item::Remark, Check::Leak, Loc, Function.str(), {}, {}, Budget});
}

void Findings::replay(Reporter &Report, DiagnosticsEngine &Diags) const {
  for (const Item &I : Items) {
    switch (I.Kind) {
    case Item::Warning:
      Report.warn(I.C, I.Loc, I.Text, I.Range, I.FixIts);
      break;
    case Item::Note:
      Report.note(I.Loc, I.Text);
      break;
    case Item::Remark: {
      unsigned ID = Diags.getDiagnosticIDs()->getCustomDiagID(
          static_cast<DiagnosticIDs::Level>(DiagnosticsEngine::Remark),
          messageFormat(Message::OverBudget));
      Diags.Report(I.Loc, ID) << I.Text << I.Budget;
      break;
    }
    }
  }
}

namespace ownership {

bool FunctionAnalyzer::mustBeIn(const ObjSet &Os, uint8_t Mask) const {
  for (ObjId Id : Os) {
    const Obj *O = S.Objs.find(Id);
    if (!O || !O->Bits || (O->Bits & ~Mask))
      return false;
  }
  return !Os.empty();
}

/// Whether E reaches its tensor through an array index that is not a
/// constant (`xs[i]`, `m.k[j].v`).
static bool hasVariableIndex(const Expr *E, const ASTContext &Ctx) {
  E = E->IgnoreParenCasts();
  while (true) {
    if (const auto *ME = dyn_cast<MemberExpr>(E)) {
      E = ME->getBase()->IgnoreParenCasts();
      continue;
    }
    const auto *AS = dyn_cast<ArraySubscriptExpr>(E);
    if (!AS)
      return false;
    Expr::EvalResult R;
    if (!AS->getIdx()->EvaluateAsInt(R, Ctx))
      return true;
    E = AS->getBase()->IgnoreParenCasts();
  }
}

/// The variable of the first non-constant index in `a[i]`, `s.f[i]`,
/// `a[i].f` (nullptr if none).
static const VarDecl *indexVar(const Expr *E, ASTContext &Ctx) {
  E = E->IgnoreParenCasts();
  while (true) {
    if (const auto *ME = dyn_cast<MemberExpr>(E)) {
      E = ME->getBase()->IgnoreParenCasts();
      continue;
    }
    const auto *AS = dyn_cast<ArraySubscriptExpr>(E);
    if (!AS)
      return nullptr;
    Expr::EvalResult R;
    if (!AS->getIdx()->EvaluateAsInt(R, Ctx)) {
      const auto *DRE =
          dyn_cast<DeclRefExpr>(AS->getIdx()->IgnoreParenImpCasts());
      return DRE ? dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
    }
    E = AS->getBase()->IgnoreParenCasts();
  }
}

bool FunctionAnalyzer::otherElement(const ObjSet &Os, const Expr *Use,
                                    const CallExpr *Freeing) const {
  if (!hasVariableIndex(Use, Ctx))
    return false;
  // `a[i]` read before `ts_free(a[i])` in the body of the counted loop of
  // i (read and free each element): from the free, the read is reached
  // only by the back edge, where i names the next element.
  const VarDecl *UseIdx = indexVar(Use, Ctx);
  const SourceManager &SM = Ctx.getSourceManager();
  auto EarlierInLoop = [&](const CallExpr *FreedBy) {
    if (!UseIdx || !Covers.count(UseIdx) || FreedBy == Freeing)
      return false;
    bool SameIdx = false;
    for (const Expr *A : FreedBy->arguments())
      SameIdx |= indexVar(A, Ctx) == UseIdx;
    return SameIdx &&
           SM.isBeforeInTranslationUnit(
               SM.getExpansionLoc(Use->getBeginLoc()),
               SM.getExpansionLoc(FreedBy->getBeginLoc()));
  };
  for (ObjId Id : Os) {
    const Obj *O = S.Objs.find(Id);
    if (!O || !O->FreedBy)
      return false;
    // The same statement again (a loop's next element), or a free of some
    // element that did not sweep the whole array.
    bool Same = O->FreedBy == Freeing || EarlierInLoop(O->FreedBy);
    bool Some = false;
    for (const Expr *A : O->FreedBy->arguments())
      if (hasVariableIndex(A, Ctx) && !coversAll(A))
        Some = true;
    // Two teardown loops over the same count (CountLoops.cpp): the same
    // elements in use.
    if (Some && !Same)
      if (LocKey C = countOf(Use))
        for (const Expr *A : O->FreedBy->arguments())
          if (countOf(A) == C)
            Some = false;
    if (!Same && !Some)
      return false;
  }
  return true;
}

bool FunctionAnalyzer::checkUse(const ObjSet &Os, const Expr *Use,
                                const CallExpr *Freeing) {
  if (otherElement(Os, Use, Freeing))
    return false;
  bool Bad = mustBeIn(Os, Freed | Released) || mustBeIn(Os, Ended);
  // A sweep over every element (`for (i = 0; i < 2; i++) ts_free(a[i])`)
  // meets each element: one freed before through its constant index
  // (`ts_free(a[1])`) and still held there is freed or used again. Not when
  // some element was stored through a variable index: a[1] may hold
  // another tensor by then.
  LocKey U = Bad || !hasVariableIndex(Use, Ctx) ? nullptr : placeOf(Use);
  if (U && U->Step == Loc::AnyIndex && U->Parent && isExact(U->Parent) &&
      coversAll(Use)) {
    bool Stored = false;
    for (LocKey C : U->Parent->Children)
      if (C->Step == Loc::AnyIndex)
        if (const ObjSet *P = S.Pts.find(C))
          Stored |= !P->empty();
    for (ObjId Id : Os) {
      const Obj *O = Stored ? nullptr : S.Objs.find(Id);
      if (!O || !O->FreedBy || (O->Bits != Freed && O->Bits != Released))
        continue;
      for (const Expr *A : O->FreedBy->arguments()) {
        LocKey Q = placeOf(A);
        const ObjSet *Held = Q ? S.Pts.find(Q) : nullptr;
        if (Q && Q->Step == Loc::Elem && Q->Parent == U->Parent && Held &&
            Held->count(Id)) {
          // Reported; the sweep still frees (or uses) the others.
          checkUse(ObjSet{Id}, Use, Freeing);
          return false;
        }
      }
    }
  }
  // Reported once on a path: elsewhere, quiet; there again (the next pass
  // of a loop), the same report.
  const Expr *At = Freeing ? Freeing : Use;
  if (Bad && reportedElsewhere(Os, At))
    return true;
  if (Bad)
    markReported(Os, At);
  if (mustBeIn(Os, Freed | Released)) {
    WouldReport = true;
    const Obj &O = *S.Objs.find(*Os.begin());
    bool WasReleased = O.Bits == Released;
    if (Reporting) {
      bool Shown;
      if (Freeing)
        Shown = warn(Report,
                     WasReleased ? Message::DoubleFreeAfterRelease
                                 : Message::DoubleFree,
                     Freeing->getBeginLoc(), {}, Use->getSourceRange());
      else
        Shown =
            warn(Report,
                 WasReleased ? Message::UseAfterRelease : Message::UseAfterFree,
                 Use->getBeginLoc(), {}, Use->getSourceRange());
      if (Shown && O.FreedBy)
        note(Report, WasReleased ? Message::ReleasedHere : Message::FreedHere,
             O.FreedBy->getBeginLoc());
      if (Shown)
        notePath();
    }
    return true;
  }
  if (mustBeIn(Os, Ended)) {
    WouldReport = true;
    const Obj &O = *S.Objs.find(*Os.begin());
    if (Reporting && warn(Report, Message::UseAfterScope, Use->getBeginLoc(),
                          {}, Use->getSourceRange())) {
      note(Report, Message::ScopeEndsHere, O.EndLoc);
      notePath();
    }
    return true;
  }
  return false;
}

bool FunctionAnalyzer::reportedElsewhere(const ObjSet &Os,
                                         const Expr *At) const {
  for (ObjId Id : Os)
    if (const Obj *O = S.Objs.find(Id);
        O && O->ReportedAt && O->ReportedAt != At)
      return true;
  return false;
}

void FunctionAnalyzer::markReported(const ObjSet &Os, const Expr *At) {
  for (ObjId Id : Os) {
    touch(Id);
    Obj *O = S.Objs.findMut(Id);
    if (O && !O->ReportedAt)
      O->ReportedAt = At;
  }
}

void FunctionAnalyzer::reportLeak(ObjId Id, const Obj &O, SourceLocation Loc,
                                  LeakCause Cause, const VarDecl *Dying) {
  // Handed back through an out-parameter on some returns only, and the
  // status that tells which was not tested: maybe never made.
  if (O.CondKind >= 3)
    return;
  WouldReport = true;
  if (!Reporting)
    return;
  // A path out of a loop by a jump: which iteration jumped is not known.
  if (CurPaths && CurPath < CurPaths->size() && (*CurPaths)[CurPath].Jumped)
    return;
  std::string Site = siteName(Id);
  const CallExpr *Call = Sites[Id / 2];
  Message M = Message::LeakAtReturn;
  std::string Var;
  switch (Cause) {
  case LeakCause::Statement:
    if (O.LastVar) {
      M = Message::LeakOverwritten;
      Var = O.LastVar->name();
    } else {
      M = Message::LeakDiscarded;
      Loc = Call->getBeginLoc();
    }
    break;
  case LeakCause::OutOfScope:
    M = Message::LeakOutOfScope;
    Var = Dying ? Dying->getName().str() : std::string("its variable");
    break;
  case LeakCause::Return:
    break;
  }
  if (warn(Report, M, Loc, {Site, Var})) {
    if (Loc != Call->getBeginLoc())
      note(Report, Message::MadeOutsideScope, Call->getBeginLoc());
    notePath();
  }
}

void FunctionAnalyzer::reportUnescapedReturn(const Obj &O, const void *Region) {
  WouldReport = true;
  if (!Reporting)
    return;
  const Expr *Value = O.Ret->getRetValue();
  if (!Value)
    return;
  llvm::SmallVector<FixItHint, 2> Fix;
  SourceRange R = Value->getSourceRange();
  if (O.RetFixable && R.getBegin().isFileID() && R.getEnd().isFileID()) {
    Fix.push_back(FixItHint::CreateInsertion(R.getBegin(), "ts_escape("));
    Fix.push_back(FixItHint::CreateInsertion(
        Lexer::getLocForEndOfToken(R.getEnd(), 0, SM, Ctx.getLangOpts()), ")"));
  }
  if (!warn(Report, Message::UnescapedReturn, Value->getBeginLoc(), {}, R, Fix))
    return;
  auto It = RegionInfos.find(Region);
  if (It != RegionInfos.end())
    note(Report,
         It->second.Kind == RegionKind::Function ? Message::BodyIsScope
                                                 : Message::ScopeBeginsHere,
         It->second.Begin);
  notePath();
}

bool FunctionAnalyzer::overBudget() {
  if (Steps + Clock.Made <= Budget)
    return false;
  Report.overBudget(FD->getLocation(), FD->getName(), Budget);
  return true;
}

} // namespace ownership
} // namespace tsmem
