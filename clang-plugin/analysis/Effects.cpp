//===- Effects.cpp - What the transfer functions do to objects ------------===//
//
// The effects the transfer functions apply: a new object at an
// allocation site, handing on, consuming (a free, strong or weak),
// escaping to the parent scope, registering in a scope; scope regions
// begun, left and ended; and collecting, at the end of a full
// expression, the objects no variable holds (a leak when owned).
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"

namespace tsmem {
namespace ownership {

//===----------------------------------------------------------------------===//
// Effects
//===----------------------------------------------------------------------===//

void FunctionAnalyzer::allocate(const CallExpr *CE) {
  auto [It, New] = SiteIndex.insert({CE, Sites.size()});
  if (New)
    Sites.push_back(CE);
  allocateSite(It->second);
}

ObjId FunctionAnalyzer::allocateSite(unsigned Idx) {
  ObjId Id = Idx * 2, Older = Id + 1;
  if (const Obj *Prev = S.Objs.find(Id)) {
    // The site runs again: what it made before becomes "older".
    Obj P = *Prev;
    S.Objs.erase(Id);
    if (Obj *OO = S.Objs.findMut(Older)) {
      OO->Bits |= P.Bits;
      OO->HeldBy.insert(P.HeldBy);
    } else {
      S.Objs.set(Older, P);
    }
    for (LocKey VD : P.HeldBy) {
      ObjSet *Os = S.Pts.findMut(VD);
      Os->erase(Id);
      Os->insert(Older);
    }
    if (S.Objs.find(Older)->HeldBy.empty())
      S.Unheld.push_back(Older);
    S.noteScoped(Older);
    S.noteMayReport(Older);
  }
  Obj O;
  if (S.Regions.empty()) {
    O.Bits = Owned;
  } else {
    O.Bits = Scoped;
    O.Region = S.Regions.back();
  }
  S.Objs.set(Id, O);
  S.Unheld.push_back(Id);
  S.noteScoped(Id);
  S.noteMayReport(Id);
  S.Dirty = true;
  return Id;
}

void FunctionAnalyzer::touch(ObjId Id) {
  if (isParam(Id) && Id - ParamBase < 32)
    ParamTouched |= 1u << (Id - ParamBase);
}

void FunctionAnalyzer::handOn(const ObjSet &Os) {
  for (ObjId Id : Os) {
    touch(Id);
    Obj *O = S.Objs.findMut(Id);
    if (!O)
      continue;
    O->Bits = HandedOn;
    O->Ret = nullptr;
    S.Dirty = true;
    S.noteMayReport(Id);
  }
}

void FunctionAnalyzer::consume(const ObjSet &Os, const CallExpr *CE,
                               OwnerBit Bit, int Strength) {
  // A strong update is right when the argument can only be one object, or
  // when no other variable may hold any of them (every live object is held
  // by some variable, so on each path the argument is that object).
  bool Strong = Os.size() == 1;
  if (!Strong) {
    Strong = true;
    for (ObjId Id : Os) {
      const Obj *O = S.Objs.find(Id);
      if (O && O->HeldBy.size() > 1)
        Strong = false;
    }
  }
  if (Strength)
    Strong = Strength > 0;
  for (ObjId Id : Os) {
    touch(Id);
    Obj *P = S.Objs.findMut(Id);
    if (!P)
      continue;
    Obj &O = *P;
    O.Bits = Strong ? Bit : (O.Bits | Bit);
    if (Strong)
      O.ReportedAt = nullptr;
    O.FreedBy = CE;
    O.Ret = nullptr;
    S.Dirty = true;
    S.noteMayReport(Id);
  }
}

void FunctionAnalyzer::escape(const ObjSet &Os) {
  for (ObjId Id : Os) {
    touch(Id);
    Obj *P = S.Objs.findMut(Id);
    if (!P)
      continue;
    Obj &O = *P;
    if ((O.Bits & Scoped) && !S.Regions.empty() &&
        O.Region == S.Regions.back()) {
      // From the current scope to its parent; beyond the function (or at
      // depth 1, manual) it is the caller's business.
      if (S.Regions.size() >= 2) {
        O.Region = S.Regions[S.Regions.size() - 2];
        S.noteScoped(Id);
      } else {
        O.Bits = (O.Bits & ~Scoped) | HandedOn;
        noteEscapedOut(Id, O.Region);
      }
    } else if (O.Bits & (Owned | Borrowed)) {
      O.Bits = (O.Bits & ~(Owned | Borrowed)) | HandedOn;
    }
    S.noteMayReport(Id);
  }
}

void FunctionAnalyzer::registerInScope(const ObjSet &Os) {
  if (S.Regions.empty())
    return;
  for (ObjId Id : Os) {
    touch(Id);
    Obj *O = S.Objs.findMut(Id);
    if (O && (O->Bits & Borrowed))
      O->Bits = (O->Bits & ~Borrowed) | HandedOn;
    if (O && O->Bits == Owned) {
      O->Bits = Scoped;
      O->Region = S.Regions.back();
      S.noteScoped(Id);
      S.noteMayReport(Id);
    }
  }
}

void FunctionAnalyzer::pushRegion(const void *Key, RegionKind Kind,
                                  SourceLocation Loc) {
  auto [It, New] = RegionInfos.insert({Key, {Kind, Loc}});
  if (!New && (It->second.Kind != Kind || It->second.Begin != Loc)) {
    It->second = {Kind, Loc};
    RegionInfoVaries = true;
  }
  S.Regions.push_back(Key);
}

void FunctionAnalyzer::endRegion(const void *Key, SourceLocation EndLoc) {
  auto It = llvm::find(llvm::reverse(S.Regions), Key);
  if (It == S.Regions.rend())
    return;
  // Ending a scope that is not innermost ends the inner ones first.
  size_t Depth = std::distance(It, S.Regions.rend()) - 1;
  while (S.Regions.size() > Depth) {
    const void *K = S.Regions.pop_back_val();
    endOneRegion(K, EndLoc);
  }
}

void FunctionAnalyzer::leaveRegion(const void *Key, bool Keep) {
  auto It = llvm::find(llvm::reverse(S.Regions), Key);
  if (It == S.Regions.rend())
    return;
  S.Regions.erase(std::next(It).base());
  if (Keep)
    return;
  for (ObjId Id : S.scopedIn(Key)) {
    Obj &O = *S.Objs.findMut(Id);
    O.Bits = (O.Bits & ~Scoped) | HandedOn;
    O.Ret = nullptr;
    S.Dirty = true;
  }
}

/// Is a ts_scope_begin() call's id kept in a local variable, where
/// visitInit and visitAssign follow it?
bool FunctionAnalyzer::isBoundToLocal(const CallExpr *CE) const {
  const Stmt *P =
      Facts.Known
          ? Facts.ScopeBeginParents.lookup(CE)
          : Parents->getParentIgnoreParenCasts(const_cast<CallExpr *>(CE));
  if (isa_and_nonnull<DeclStmt>(P))
    return true;
  if (const auto *BO = dyn_cast_or_null<BinaryOperator>(P)) {
    const VarDecl *VD = varOf(BO->getLHS());
    return BO->getOpcode() == BO_Assign && VD && VD->hasLocalStorage() &&
           isa<DeclRefExpr>(BO->getLHS()->IgnoreParenImpCasts());
  }
  return false;
}

void FunctionAnalyzer::endOneRegion(const void *Key, SourceLocation EndLoc) {
  for (ObjId Id : S.scopedIn(Key)) {
    Obj &O = *S.Objs.findMut(Id);
    if (O.Ret) {
      reportUnescapedReturn(O, Key);
      O.Bits = (O.Bits & ~Scoped) | HandedOn;
      O.Ret = nullptr;
      S.Dirty = true;
      continue;
    }
    O.Bits = (O.Bits & ~Scoped) | Ended;
    O.EndLoc = EndLoc;
  }
}

void FunctionAnalyzer::collect(SourceLocation Loc, LeakCause Cause,
                               const VarDecl *Dying) {
  // Clean: every object is held or being returned.
  if (!S.Dirty)
    return;
  S.Dirty = false;
  // The objects no variable holds are among S.Unheld: in order, once.
  llvm::sort(S.Unheld);
  S.Unheld.erase(std::unique(S.Unheld.begin(), S.Unheld.end()), S.Unheld.end());
  llvm::SmallVector<ObjId, 4> Kept;
  for (ObjId Id : S.Unheld) {
    const Obj *O = S.Objs.find(Id);
    if (!O || !O->HeldBy.empty())
      continue;
    // A parameter's tensor is the caller's: kept for the summary.
    if (isParam(Id))
      continue;
    if (O->Ret) {
      Kept.push_back(Id);
      continue;
    }
    if (O->Bits == Owned)
      reportLeak(Id, *O, Loc, Cause, Dying);
    if (keepFreedEntry(Id, *O))
      continue; // For the summary (EntryFields.cpp).
    S.Objs.erase(Id);
  }
  S.Unheld = std::move(Kept);
}

} // namespace ownership
} // namespace tsmem
