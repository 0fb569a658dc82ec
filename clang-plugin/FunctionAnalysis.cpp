//===- FunctionAnalysis.cpp - Ownership dataflow over one function --------===//
//
// A forward dataflow over Clang's CFG (the statement kinds decode() reads as
// elements, with lifetime ends and cleanup-function calls). Each
// tensor-making call site is an abstract object (two per site: the newest
// and the older ones, so loops converge); the state maps variables to the
// objects they may hold, objects to the set of owner states they may be in, and
// keeps the stack of scope regions open on the path. States join at merge
// points; null tests refine the edge where a handle is NULL.
//
// Checks need the bad state on every path that reaches them (a "must"
// reading of the joined state), so correlated branches stay quiet. Leaks are
// found by reachability at the end of each full expression, when a variable
// dies and when the function returns.
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalysis.h"
#include "Diagnostics.h"
#include "PersistentMap.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"
#include "clang/AST/ParentMap.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/AST/Stmt.h"
#include "clang/Analysis/CFG.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Lex/Lexer.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"

#include "llvm/ADT/BitVector.h"

#include <algorithm>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

using namespace clang;

namespace tsmem {
namespace {

/// A small set, kept sorted (the order std::set would give).
template <typename T, unsigned N> class SortedSet {
public:
  SortedSet() = default;
  SortedSet(std::initializer_list<T> Init) {
    for (T Id : Init)
      insert(Id);
  }

  bool empty() const { return Ids.empty(); }
  size_t size() const { return Ids.size(); }
  const T *begin() const { return Ids.begin(); }
  const T *end() const { return Ids.end(); }
  bool count(T Id) const {
    return std::binary_search(Ids.begin(), Ids.end(), Id);
  }
  bool insert(T Id) {
    auto It = std::lower_bound(Ids.begin(), Ids.end(), Id);
    if (It != Ids.end() && *It == Id)
      return false;
    Ids.insert(It, Id);
    return true;
  }
  void insert(const SortedSet &O) {
    for (T Id : O)
      insert(Id);
  }
  bool erase(T Id) {
    auto It = std::lower_bound(Ids.begin(), Ids.end(), Id);
    if (It == Ids.end() || *It != Id)
      return false;
    Ids.erase(It);
    return true;
  }
  void clear() { Ids.clear(); }
  bool operator==(const SortedSet &O) const { return Ids == O.Ids; }

private:
  llvm::SmallVector<T, N> Ids;
};

using ObjId = unsigned;
/// A set of objects.
using ObjSet = SortedSet<ObjId, 2>;
/// The variables that hold an object.
using VarSet = SortedSet<const VarDecl *, 1>;

/// Objects from here on stand for a tensor a variable got from outside the
/// function (a parameter, a field) at the point where it is freed.
constexpr ObjId ForeignBase = 1u << 30;
bool isForeign(ObjId Id) { return Id >= ForeignBase; }

/// The owner states an object may be in (a set: states join at merges).
enum OwnerBit : uint8_t {
  Owned = 1,     ///< The function's to free, escape or hand on.
  Scoped = 2,    ///< Owned by the scope region Obj::Region.
  Freed = 4,     ///< ts_free'd.
  Released = 8,  ///< Handed to a pool by ts_pool_release.
  Ended = 16,    ///< Its scope ended and freed it.
  HandedOn = 32, ///< Escaped, kept, returned, stored or passed on: not ours.
};

struct Obj {
  uint8_t Bits = 0;
  const void *Region = nullptr;    ///< Owner while Scoped.
  const ReturnStmt *Ret = nullptr; ///< Returned while still Scoped.
  bool RetFixable = false;         ///< ts_escape at the return would do.
  const CallExpr *FreedBy = nullptr;
  SourceLocation EndLoc;            ///< Where its scope ended.
  const VarDecl *LastVar = nullptr; ///< The last variable bound to it.
  /// The variables whose points-to sets hold it (State::Pts, reversed).
  VarSet HeldBy;

  bool operator==(const Obj &O) const {
    return Bits == O.Bits && Region == O.Region && Ret == O.Ret &&
           RetFixable == O.RetFixable && FreedBy == O.FreedBy &&
           EndLoc == O.EndLoc && LastVar == O.LastVar && HeldBy == O.HeldBy;
  }
  bool operator!=(const Obj &O) const { return !(*this == O); }
};

/// A scope region and an object it may own: State::ScopedIn's keys.
using RegionObj = std::pair<const void *, ObjId>;
/// No value: PMap as a set.
struct Unit {
  bool operator==(Unit) const { return true; }
};

struct State {
  /// User-provided: value-initialisation (std::vector(N)) would zero the
  /// inline storage first.
  State() {}

  bool Reached = false;
  /// Some object may be neither held by a variable nor being returned:
  /// collect() has work. False only when that is sure.
  bool Dirty = false;
  /// Persistent maps (PersistentMap.h): a block's state shares the nodes
  /// of the states it comes from, so copies and joins cost what differs.
  PMap<ObjId, Obj> Objs;
  PMap<const VarDecl *, ObjSet> Pts;
  /// Holds (R, Id) for every object Id that is Scoped in region R (and
  /// maybe pairs that no longer are): the objects a scope's end looks at.
  PMap<RegionObj, Unit> ScopedIn;
  /// Holds every object that is Owned alone or being returned (and maybe
  /// some that no longer are): what exitTail() looks at.
  PMap<ObjId, Unit> MayReport;
  /// Every object no variable holds (and maybe some that are held or
  /// gone), unsorted: what collect() looks at.
  llvm::SmallVector<ObjId, 4> Unheld;
  llvm::SmallVector<const void *, 4> Regions; ///< Open scopes, innermost last.

  /// Points VD at Os, keeping the objects' HeldBy in step.
  void setPts(const VarDecl *VD, ObjSet Os);
  /// Forgets VD; whether it had an entry.
  bool erasePts(const VarDecl *VD);
  /// Notes that Id may now be Scoped in its Region.
  void noteScoped(ObjId Id) {
    const Obj *O = Objs.find(Id);
    if (O && (O->Bits & Scoped))
      ScopedIn.set({O->Region, Id}, Unit());
  }
  /// Notes that Id may now be reported on the way out; or forgets it when
  /// it cannot.
  void noteMayReport(ObjId Id) {
    const Obj *O = Objs.find(Id);
    if (O && (O->Bits == Owned || O->Ret))
      MayReport.set(Id, Unit());
    else if (MayReport.count(Id))
      MayReport.erase(Id);
  }
  /// The objects that are Scoped in Region, in order.
  llvm::SmallVector<ObjId, 8> scopedIn(const void *Region);
};

void State::setPts(const VarDecl *VD, ObjSet Os) {
  if (const ObjSet *Old = Pts.find(VD)) {
    for (ObjId Id : *Old)
      if (!Os.count(Id))
        if (Obj *O = Objs.findMut(Id)) {
          O->HeldBy.erase(VD);
          if (O->HeldBy.empty())
            Unheld.push_back(Id);
        }
    for (ObjId Id : Os)
      if (!Old->count(Id))
        if (Obj *O = Objs.findMut(Id))
          O->HeldBy.insert(VD);
  } else {
    for (ObjId Id : Os)
      if (Obj *O = Objs.findMut(Id))
        O->HeldBy.insert(VD);
  }
  Pts.set(VD, Os);
}

bool State::erasePts(const VarDecl *VD) {
  const ObjSet *Old = Pts.find(VD);
  if (!Old)
    return false;
  for (ObjId Id : *Old)
    if (Obj *O = Objs.findMut(Id)) {
      O->HeldBy.erase(VD);
      if (O->HeldBy.empty())
        Unheld.push_back(Id);
    }
  Pts.erase(VD);
  return true;
}

llvm::SmallVector<ObjId, 8> State::scopedIn(const void *Region) {
  llvm::SmallVector<ObjId, 8> Ids, Stale;
  ScopedIn.forEachFrom({Region, 0}, [&](const RegionObj &K, Unit) {
    if (K.first != Region)
      return false;
    const Obj *O = Objs.find(K.second);
    if (O && (O->Bits & Scoped) && O->Region == Region)
      Ids.push_back(K.second);
    else
      Stale.push_back(K.second);
    return true;
  });
  for (ObjId Id : Stale)
    ScopedIn.erase({Region, Id});
  return Ids;
}

/// Guard: TS_SCOPE_GUARD()/TS_SCOPE; Manual: ts_scope_begin bound to a local
/// variable; Function: TS_SCOPED or a ts_run callback; Caller:
/// TS_CALLER_SCOPE; Opaque: a scope the analysis cannot see end (an async
/// scope, or a ts_scope_begin whose id goes elsewhere). The last two outlive
/// the function: what they own is not the function's to free.
enum class RegionKind { Guard, Manual, Function, Caller, Opaque };

struct RegionInfo {
  RegionKind Kind;
  SourceLocation Begin;
};

/// Why a tensor became unreachable, for the leak message.
enum class LeakCause { Statement, OutOfScope, Return };

/// What the body does, found before building the CFG: no tsmem call at all
/// means nothing to analyse. Only for bodies the collector's walker could
/// not take (BodyFacts::Known false).
class BodyScan : public RecursiveASTVisitor<BodyScan> {
public:
  explicit BodyScan(CallModels &Models) : Models(Models) {}
  bool VisitUnaryOperator(UnaryOperator *UO) {
    if (UO->getOpcode() == UO_AddrOf)
      if (auto *DRE =
              dyn_cast<DeclRefExpr>(UO->getSubExpr()->IgnoreParenImpCasts()))
        if (auto *VD = dyn_cast<VarDecl>(DRE->getDecl()))
          AddrTaken.insert(VD);
    return true;
  }
  bool VisitCallExpr(CallExpr *CE) {
    if (Models.get(CE).Kind != CallKind::Unknown)
      UsesTsmem = true;
    return true;
  }
  bool VisitReturnStmt(ReturnStmt *) {
    ++Jumps;
    return true;
  }
  bool VisitBreakStmt(BreakStmt *) {
    ++Jumps;
    return true;
  }
  bool VisitContinueStmt(ContinueStmt *) {
    ++Jumps;
    return true;
  }
  bool VisitGotoStmt(GotoStmt *) {
    ++Jumps;
    return true;
  }
  bool VisitIndirectGotoStmt(IndirectGotoStmt *) {
    ++Jumps;
    return true;
  }
  bool VisitDeclStmt(DeclStmt *DS) {
    Vars += std::distance(DS->decl_begin(), DS->decl_end());
    return true;
  }
  CallModels &Models;
  llvm::DenseSet<const VarDecl *> AddrTaken;
  bool UsesTsmem = false;
  unsigned Jumps = 0, Vars = 0;
};

/// How many lifetime ends the CFG of Body will have, about: each return,
/// goto, break or continue ends the variables declared before it in the
/// blocks it leaves (a goto: as many as are in scope at it and not at its
/// label). Two walks (labels, then jumps), without recursion.
uint64_t lifetimeEndsEstimate(const Stmt *Body) {
  struct Item {
    const Stmt *S;
    uint64_t Live;      ///< Variables in scope where S runs.
    uint64_t BreakBase; ///< Live where a break from S would go.
    uint64_t ContBase;  ///< Live where a continue from S would go.
  };
  auto VarsIn = [](const Stmt *S) -> uint64_t {
    const auto *DS = dyn_cast_or_null<DeclStmt>(S);
    return DS ? std::distance(DS->decl_begin(), DS->decl_end()) : 0;
  };
  llvm::DenseMap<const LabelStmt *, uint64_t> LabelLive;
  uint64_t Total = 0;
  for (bool Labels : {true, false}) {
    Total = 0;
    llvm::SmallVector<Item, 64> Stack{{Body, 0, 0, 0}};
    while (!Stack.empty()) {
      Item I = Stack.pop_back_val();
      switch (I.S->getStmtClass()) {
      case Stmt::LabelStmtClass:
        if (Labels)
          LabelLive[cast<LabelStmt>(I.S)] = I.Live;
        break;
      case Stmt::GotoStmtClass: {
        auto It = LabelLive.find(cast<GotoStmt>(I.S)->getLabel()->getStmt());
        uint64_t To = It == LabelLive.end() ? 0 : It->second;
        Total += I.Live - std::min(I.Live, To);
        continue;
      }
      case Stmt::ReturnStmtClass:
      case Stmt::IndirectGotoStmtClass:
        Total += I.Live;
        break;
      case Stmt::BreakStmtClass:
        Total += I.Live - std::min(I.Live, I.BreakBase);
        continue;
      case Stmt::ContinueStmtClass:
        Total += I.Live - std::min(I.Live, I.ContBase);
        continue;
      case Stmt::CompoundStmtClass: {
        // A declaration is in scope for the statements after it.
        uint64_t Live = I.Live;
        for (const Stmt *Kid : cast<CompoundStmt>(I.S)->body()) {
          if (Kid)
            Stack.push_back({Kid, Live, I.BreakBase, I.ContBase});
          Live += VarsIn(Kid);
        }
        continue;
      }
      case Stmt::ForStmtClass:
      case Stmt::WhileStmtClass:
      case Stmt::DoStmtClass:
      case Stmt::SwitchStmtClass: {
        // Its own declarations (a for's init, a condition variable) are in
        // scope in all of it; a break leaves them, a continue does not.
        uint64_t Live = I.Live;
        for (const Stmt *Kid : I.S->children())
          Live += VarsIn(Kid);
        bool Loop = !isa<SwitchStmt>(I.S);
        for (const Stmt *Kid : I.S->children())
          if (Kid)
            Stack.push_back({Kid, Live, I.Live, Loop ? Live : I.ContBase});
        continue;
      }
      default:
        break;
      }
      uint64_t Live = I.Live;
      if (isa<IfStmt>(I.S))
        for (const Stmt *Kid : I.S->children())
          Live += VarsIn(Kid);
      for (const Stmt *Kid : I.S->children())
        if (Kid)
          Stack.push_back({Kid, Live, I.BreakBase, I.ContBase});
    }
  }
  return Total;
}

/// A CFG element the transfer function acts on, decoded once per function:
/// the fixpoint passes over the blocks only walk these.
struct Op {
  enum Kind : uint8_t {
    Other,       ///< A statement that only ends a full expression.
    Call,        ///< CallExpr.
    Assign,      ///< `=`.
    Decl,        ///< DeclStmt.
    Return,      ///< ReturnStmt.
    Aggregate,   ///< An initializer list or compound literal.
    IntCast,     ///< An explicit cast to neither a pointer nor void.
    LifetimeEnd, ///< A variable's lifetime ends.
    Cleanup,     ///< A scope guard's cleanup function runs.
  };
  Kind K = Other;
  bool Full = false; ///< Ends a full expression: collect() after it.
  const Stmt *St = nullptr;
  const VarDecl *VD = nullptr; ///< LifetimeEnd and Cleanup.
  SourceLocation Loc;          ///< LifetimeEnd and Cleanup: where it ends.
  CallModel Model;             ///< Call.
};

/// A block's ops and what its edges do, decoded once per function.
struct BlockInfo {
  /// User-provided, as State's.
  BlockInfo() {}

  const CFGBlock *B = nullptr;
  llvm::SmallVector<Op, 8> Ops;
  /// Falls through to the function's exit (functionEnd()).
  bool EndsFunction = false;
  const ReturnStmt *Ret = nullptr; ///< The block's last return, if any.
  /// A two-way branch on whether this variable is NULL.
  const VarDecl *NullTested = nullptr;
  bool NullOnTrue = false;
  /// Successors by rank in the reverse post-order (~0u: none there).
  llvm::SmallVector<unsigned, 2> Succs;
  /// The block leaves the function and nothing follows it: its state after
  /// Ops[Tail] (lifetime ends and scope guards' ends from there on) only
  /// matters for what it reports (FunctionAnalyzer::exitTail).
  bool Leaves = false;
  unsigned Tail = 0;
};

class FunctionAnalyzer {
public:
  FunctionAnalyzer(const FunctionDecl *FD, BodyScope Scope,
                   const BodyFacts &Facts, CallModels &Models, ASTContext &Ctx,
                   Reporter &Report, uint64_t Budget)
      : FD(FD), Scope(Scope), Facts(Facts), Models(Models), Ctx(Ctx),
        SM(Ctx.getSourceManager()), Report(Report), Budget(Budget) {}

  void run();

private:
  // Dataflow.
  State initialState();
  void decode(BlockInfo &BI);
  void transferBlock(const BlockInfo &BI);
  void exitTail(const BlockInfo &BI);
  void refineEdge(State &E, const BlockInfo &BI);
  static bool join(State &Dst, const State &Src);

  // Elements.
  void visitOp(const Op &O);
  void visitCall(const CallExpr *CE, const CallModel &M);
  void visitAssign(const Expr *LHS, const Expr *RHS);
  void visitInit(const VarDecl *VD);
  void visitReturn(const ReturnStmt *RS);
  void visitLifetimeEnd(const VarDecl *VD, SourceLocation Loc);
  void functionEnd(const BlockInfo &BI);

  // Effects.
  void allocate(const CallExpr *CE);
  void handOn(const ObjSet &Os);
  void consume(const ObjSet &Os, const CallExpr *CE, OwnerBit Bit);
  void escape(const ObjSet &Os);
  void registerInScope(const ObjSet &Os);
  void pushRegion(const void *Key, RegionKind Kind, SourceLocation Loc);
  void endRegion(const void *Key, SourceLocation EndLoc);
  void endOneRegion(const void *Key, SourceLocation EndLoc);
  void leaveRegion(const void *Key);
  bool isBoundToLocal(const CallExpr *CE) const;
  void collect(SourceLocation Loc, LeakCause Cause, const VarDecl *Dying);

  // Checks.
  bool mustBeIn(const ObjSet &Os, uint8_t Mask) const;
  bool checkUse(const ObjSet &Os, const Expr *Use, const CallExpr *Freeing);
  void reportLeak(ObjId Id, const Obj &O, SourceLocation Loc, LeakCause Cause,
                  const VarDecl *Dying);
  void reportUnescapedReturn(const Obj &O, const void *Region);

  // Helpers.
  ObjSet eval(const Expr *E) const;
  bool isTracked(const VarDecl *VD) const;
  CallModel model(const CallExpr *CE) const { return Models.get(CE); }
  bool isScopeBeginCall(const Expr *E) const;
  bool isFullExpression(const Stmt *St) const;
  bool isStmtExprBody(const Stmt *St) const;
  const VarDecl *nullTestedVar(const Expr *C, bool &NullOnTrue) const;
  std::string siteName(ObjId Id) const;
  SourceLocation locOf(const Stmt *Trigger) const;

  const FunctionDecl *FD;
  BodyScope Scope;
  /// The collector's facts; or, when it has none (Known false), the
  /// analysis finds AddrTaken and UsesTsmem itself and asks Parents.
  const BodyFacts &Facts;
  CallModels &Models;
  ASTContext &Ctx;
  const SourceManager &SM;
  Reporter &Report;

  std::unique_ptr<CFG> Cfg;
  std::unique_ptr<ParentMap> Parents;
  BodyFacts Scanned;
  const llvm::DenseSet<const VarDecl *> *AddrTaken = nullptr;
  mutable llvm::DenseMap<const VarDecl *, bool> Tracked;
  llvm::DenseMap<const CallExpr *, unsigned> SiteIndex;
  std::vector<const CallExpr *> Sites;
  llvm::DenseMap<const void *, RegionInfo> RegionInfos;
  llvm::DenseMap<const VarDecl *, ObjId> ForeignIds;

  /// Where the states' maps come from; declared before any state.
  PMapClock Clock;
  PMap<ObjId, Obj>::Context ObjNodes{Clock};
  PMap<const VarDecl *, ObjSet>::Context PtsNodes{Clock};
  PMap<RegionObj, Unit>::Context ScopedInNodes{Clock};
  PMap<ObjId, Unit>::Context MayReportNodes{Clock};

  State S;                ///< The state being transferred.
  bool Reporting = false; ///< Only the last pass over the fixpoint reports.
  /// The transfer met something to report (whether Reporting or not).
  bool WouldReport = false;
  /// A scope key was seen with two kinds or beginnings: which one
  /// RegionInfos holds depends on the order of the transfers.
  bool RegionInfoVaries = false;

  /// The most work the analysis may do on this function, in steps: CFG
  /// elements, then ops transferred and map nodes made by the dataflow.
  uint64_t Budget;
  uint64_t Steps = 0;
  /// Past the budget: says so (a remark) and gives up on the function.
  bool overBudget();
};

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

bool FunctionAnalyzer::isTracked(const VarDecl *VD) const {
  if (!VD)
    return false;
  auto [It, New] = Tracked.insert({VD, false});
  if (New)
    It->second = isTensorPointer(VD->getType()) && VD->hasLocalStorage() &&
                 !AddrTaken->count(VD);
  return It->second;
}

/// E->IgnoreParenCasts() with its usual steps (parentheses, casts) done
/// here: the library's loop over step functions costs more than they do.
/// A kind one of its other steps may look through goes to it.
static const Expr *ignoreParenCasts(const Expr *E) {
  while (true) {
    if (const auto *P = dyn_cast<ParenExpr>(E)) {
      E = P->getSubExpr();
      continue;
    }
    if (const auto *C = dyn_cast<CastExpr>(E)) {
      E = C->getSubExpr();
      continue;
    }
    switch (E->getStmtClass()) {
    case Stmt::DeclRefExprClass:
    case Stmt::CallExprClass:
    case Stmt::IntegerLiteralClass:
    case Stmt::FloatingLiteralClass:
    case Stmt::CharacterLiteralClass:
    case Stmt::StringLiteralClass:
    case Stmt::BinaryOperatorClass:
    case Stmt::CompoundAssignOperatorClass:
    case Stmt::ConditionalOperatorClass:
    case Stmt::CompoundLiteralExprClass:
    case Stmt::MemberExprClass:
    case Stmt::ArraySubscriptExprClass:
    case Stmt::UnaryExprOrTypeTraitExprClass:
      return E;
    default:
      return E->IgnoreParenCasts();
    }
  }
}

static const VarDecl *varOf(const Expr *E) {
  if (!E)
    return nullptr;
  if (const auto *DRE = dyn_cast<DeclRefExpr>(ignoreParenCasts(E)))
    return dyn_cast<VarDecl>(DRE->getDecl());
  return nullptr;
}

ObjSet FunctionAnalyzer::eval(const Expr *E) const {
  if (!E)
    return {};
  E = ignoreParenCasts(E);
  if (const auto *DRE = dyn_cast<DeclRefExpr>(E)) {
    const auto *VD = dyn_cast<VarDecl>(DRE->getDecl());
    if (!isTracked(VD))
      return {};
    const ObjSet *Os = S.Pts.find(VD);
    return Os ? *Os : ObjSet();
  }
  if (const auto *CE = dyn_cast<CallExpr>(E)) {
    // Only TS_OWNED calls have sites: look there first.
    auto It = SiteIndex.find(CE);
    if (It != SiteIndex.end()) {
      if (!S.Objs.count(It->second * 2))
        return {};
      return {It->second * 2};
    }
    CallModel M = model(CE);
    if ((M.Kind == CallKind::Escape || M.Kind == CallKind::Keep) &&
        CE->getNumArgs() == 1)
      return eval(CE->getArg(0));
    return {};
  }
  if (const auto *CO = dyn_cast<ConditionalOperator>(E)) {
    ObjSet Os = eval(CO->getTrueExpr());
    ObjSet F = eval(CO->getFalseExpr());
    Os.insert(F);
    return Os;
  }
  if (const auto *BCO = dyn_cast<BinaryConditionalOperator>(E)) {
    ObjSet Os = eval(BCO->getCommon());
    ObjSet F = eval(BCO->getFalseExpr());
    Os.insert(F);
    return Os;
  }
  if (const auto *OVE = dyn_cast<OpaqueValueExpr>(E))
    return eval(OVE->getSourceExpr());
  if (const auto *SE = dyn_cast<StmtExpr>(E)) {
    const CompoundStmt *CS = SE->getSubStmt();
    if (!CS->body_empty())
      if (const auto *Last = dyn_cast<Expr>(CS->body_back()))
        return eval(Last);
    return {};
  }
  if (const auto *BO = dyn_cast<BinaryOperator>(E))
    if (BO->getOpcode() == BO_Assign || BO->getOpcode() == BO_Comma)
      return eval(BO->getRHS());
  return {};
}

bool FunctionAnalyzer::isScopeBeginCall(const Expr *E) const {
  const auto *CE = E ? dyn_cast<CallExpr>(ignoreParenCasts(E)) : nullptr;
  return CE && model(CE).Kind == CallKind::ScopeBegin;
}

/// The end of a full expression: nothing above it will bind its value.
bool FunctionAnalyzer::isFullExpression(const Stmt *St) const {
  if (!isa<Expr>(St))
    return true;
  if (Facts.Known)
    return Facts.FullExprs.count(St);
  const Stmt *P = Parents->getParentIgnoreParenCasts(const_cast<Stmt *>(St));
  if (!P)
    return true;
  return !isa<Expr>(P) && !isa<DeclStmt>(P) && !isa<ReturnStmt>(P);
}

/// The body of a GNU statement expression.
bool FunctionAnalyzer::isStmtExprBody(const Stmt *St) const {
  if (!isa<CompoundStmt>(St))
    return false;
  if (Facts.Known)
    return Facts.StmtExprBodies.count(St);
  return isa_and_nonnull<StmtExpr>(Parents->getParent(St));
}

const VarDecl *FunctionAnalyzer::nullTestedVar(const Expr *C,
                                               bool &NullOnTrue) const {
  C = C->IgnoreParenImpCasts();
  if (const auto *UO = dyn_cast<UnaryOperator>(C)) {
    if (UO->getOpcode() != UO_LNot)
      return nullptr;
    const VarDecl *VD = nullTestedVar(UO->getSubExpr(), NullOnTrue);
    NullOnTrue = !NullOnTrue;
    return VD;
  }
  if (const auto *BO = dyn_cast<BinaryOperator>(C)) {
    if (BO->getOpcode() == BO_Assign) {
      NullOnTrue = false;
      return varOf(BO->getLHS());
    }
    if (BO->getOpcode() != BO_EQ && BO->getOpcode() != BO_NE)
      return nullptr;
    // decode() keeps only a tracked variable: most comparisons need not
    // pay for the null-constant tests.
    if (!isTracked(varOf(BO->getLHS())) && !isTracked(varOf(BO->getRHS())))
      return nullptr;
    const Expr *Other = nullptr;
    if (BO->getRHS()->isNullPointerConstant(const_cast<ASTContext &>(Ctx),
                                            Expr::NPC_ValueDependentIsNotNull))
      Other = BO->getLHS();
    else if (BO->getLHS()->isNullPointerConstant(
                 const_cast<ASTContext &>(Ctx),
                 Expr::NPC_ValueDependentIsNotNull))
      Other = BO->getRHS();
    if (!Other)
      return nullptr;
    NullOnTrue = BO->getOpcode() == BO_EQ;
    return varOf(Other);
  }
  NullOnTrue = false;
  if (isa<DeclRefExpr>(C))
    return varOf(C);
  return nullptr;
}

std::string FunctionAnalyzer::siteName(ObjId Id) const {
  if (isForeign(Id) || Id / 2 >= Sites.size())
    return "call";
  const CallExpr *CE = Sites[Id / 2];
  if (const FunctionDecl *Callee = CE->getDirectCallee())
    if (Callee->getIdentifier())
      return Callee->getName().str();
  return "call";
}

SourceLocation FunctionAnalyzer::locOf(const Stmt *Trigger) const {
  if (!Trigger)
    return FD->getBodyRBrace();
  if (const auto *CS = dyn_cast<CompoundStmt>(Trigger))
    return CS->getRBracLoc();
  return Trigger->getBeginLoc();
}

//===----------------------------------------------------------------------===//
// Effects
//===----------------------------------------------------------------------===//

void FunctionAnalyzer::allocate(const CallExpr *CE) {
  auto [It, New] = SiteIndex.insert({CE, Sites.size()});
  if (New)
    Sites.push_back(CE);
  ObjId Id = It->second * 2, Older = Id + 1;
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
    for (const VarDecl *VD : P.HeldBy) {
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
}

void FunctionAnalyzer::handOn(const ObjSet &Os) {
  for (ObjId Id : Os) {
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
                               OwnerBit Bit) {
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
  for (ObjId Id : Os) {
    Obj *P = S.Objs.findMut(Id);
    if (!P)
      continue;
    Obj &O = *P;
    O.Bits = Strong ? Bit : (O.Bits | Bit);
    O.FreedBy = CE;
    O.Ret = nullptr;
    S.Dirty = true;
    S.noteMayReport(Id);
  }
}

void FunctionAnalyzer::escape(const ObjSet &Os) {
  for (ObjId Id : Os) {
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
      } else
        O.Bits = (O.Bits & ~Scoped) | HandedOn;
    } else if (O.Bits & Owned) {
      O.Bits = (O.Bits & ~Owned) | HandedOn;
    }
    S.noteMayReport(Id);
  }
}

void FunctionAnalyzer::registerInScope(const ObjSet &Os) {
  if (S.Regions.empty())
    return;
  for (ObjId Id : Os) {
    Obj *O = S.Objs.findMut(Id);
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

void FunctionAnalyzer::leaveRegion(const void *Key) {
  auto It = llvm::find(llvm::reverse(S.Regions), Key);
  if (It == S.Regions.rend())
    return;
  S.Regions.erase(std::next(It).base());
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
    if (O->Ret) {
      Kept.push_back(Id);
      continue;
    }
    if (O->Bits == Owned)
      reportLeak(Id, *O, Loc, Cause, Dying);
    S.Objs.erase(Id);
  }
  S.Unheld = std::move(Kept);
}

//===----------------------------------------------------------------------===//
// Checks
//===----------------------------------------------------------------------===//

bool FunctionAnalyzer::mustBeIn(const ObjSet &Os, uint8_t Mask) const {
  for (ObjId Id : Os) {
    const Obj *O = S.Objs.find(Id);
    if (!O || !O->Bits || (O->Bits & ~Mask))
      return false;
  }
  return !Os.empty();
}

bool FunctionAnalyzer::checkUse(const ObjSet &Os, const Expr *Use,
                                const CallExpr *Freeing) {
  if (mustBeIn(Os, Freed | Released)) {
    WouldReport = true;
    const Obj &O = *S.Objs.find(*Os.begin());
    bool WasReleased = O.Bits == Released;
    if (Reporting) {
      bool Shown;
      if (Freeing)
        Shown = Report.warn(
            Check::DoubleFree, Freeing->getBeginLoc(),
            WasReleased ? "tensor freed or released again after it was "
                          "released to a pool"
                        : "tensor freed or released again after it was freed",
            Use->getSourceRange());
      else
        Shown = Report.warn(
            Check::UseAfterFree, Use->getBeginLoc(),
            WasReleased ? "use of a tensor after it was released to a pool"
                        : "use of a tensor after it was freed",
            Use->getSourceRange());
      if (Shown && O.FreedBy)
        Report.note(O.FreedBy->getBeginLoc(),
                    WasReleased ? "released here" : "freed here");
    }
    return true;
  }
  if (mustBeIn(Os, Ended)) {
    WouldReport = true;
    const Obj &O = *S.Objs.find(*Os.begin());
    if (Reporting &&
        Report.warn(Check::UseAfterScope, Use->getBeginLoc(),
                    "use of a tensor after the scope that owned it ended "
                    "and freed it; ts_escape() it inside the scope to keep it",
                    Use->getSourceRange()))
      Report.note(O.EndLoc, "the scope ends here");
    return true;
  }
  return false;
}

void FunctionAnalyzer::reportLeak(ObjId Id, const Obj &O, SourceLocation Loc,
                                  LeakCause Cause, const VarDecl *Dying) {
  WouldReport = true;
  if (!Reporting)
    return;
  std::string Made = "tensor from '" + siteName(Id) + "'";
  std::string Msg;
  const CallExpr *Site = Sites[Id / 2];
  switch (Cause) {
  case LeakCause::Statement:
    if (O.LastVar) {
      Msg = Made + " leaks: '" + O.LastVar->getName().str() +
            "' is overwritten before it is freed";
    } else {
      Msg = Made + " leaks: the result is discarded without being freed";
      Loc = Site->getBeginLoc();
    }
    break;
  case LeakCause::OutOfScope:
    Msg = Made + " leaks: '" +
          (Dying ? Dying->getName().str() : std::string("its variable")) +
          "' goes out of scope before it is freed";
    break;
  case LeakCause::Return:
    Msg = Made + " leaks: the function ends without freeing it";
    break;
  }
  Msg += " (free it, ts_keep() it or hand it on)";
  if (Report.warn(Check::Leak, Loc, Msg) && Loc != Site->getBeginLoc())
    Report.note(Site->getBeginLoc(), "tensor made here, outside any scope");
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
  if (!Report.warn(Check::UnescapedReturn, Value->getBeginLoc(),
                   "returning a tensor owned by a scope that this return "
                   "leaves: the scope frees it; wrap it in ts_escape()",
                   R, Fix))
    return;
  auto It = RegionInfos.find(Region);
  if (It != RegionInfos.end())
    Report.note(It->second.Begin, It->second.Kind == RegionKind::Function
                                      ? "the function body is the scope "
                                        "that owns it"
                                      : "the scope that owns it begins here");
}

//===----------------------------------------------------------------------===//
// Elements
//===----------------------------------------------------------------------===//

void FunctionAnalyzer::visitOp(const Op &O) {
  switch (O.K) {
  case Op::Other:
    break;
  case Op::Call:
    visitCall(cast<CallExpr>(O.St), O.Model);
    break;
  case Op::Assign: {
    const auto *BO = cast<BinaryOperator>(O.St);
    visitAssign(BO->getLHS(), BO->getRHS());
    break;
  }
  case Op::Decl:
    for (const Decl *D : cast<DeclStmt>(O.St)->decls())
      if (const auto *VD = dyn_cast<VarDecl>(D))
        visitInit(VD);
    break;
  case Op::Return:
    visitReturn(cast<ReturnStmt>(O.St));
    break;
  case Op::Aggregate:
    // Stored into an aggregate: its owner is whatever owns the aggregate.
    for (const Stmt *Child : O.St->children())
      if (const auto *E = dyn_cast_or_null<Expr>(Child))
        handOn(eval(E));
    break;
  case Op::IntCast:
    // Turned into an integer: nobody can follow it any more.
    handOn(eval(cast<ExplicitCastExpr>(O.St)->getSubExpr()));
    break;
  case Op::LifetimeEnd:
    visitLifetimeEnd(O.VD, O.Loc);
    return;
  case Op::Cleanup:
    // The guard's lifetime end, right after, knows what ended the block.
    endRegion(O.VD, O.Loc);
    return;
  }
  if (O.Full)
    collect(O.St->getBeginLoc(), LeakCause::Statement, nullptr);
}

/// TS__LOOP_SCOPE's `for` (tsmem.h), around a TS_SCOPE loop: it runs its
/// statement once.
static bool isOnceLoop(const Stmt *S) {
  const auto *FS = dyn_cast_or_null<ForStmt>(S);
  const auto *DS = FS ? dyn_cast_or_null<DeclStmt>(FS->getInit()) : nullptr;
  const auto *VD = DS && DS->isSingleDecl()
                       ? dyn_cast<VarDecl>(DS->getSingleDecl())
                       : nullptr;
  return VD && isLoopScopeGuard(VD);
}

void FunctionAnalyzer::visitCall(const CallExpr *CE, const CallModel &M) {
  if (M.Kind == CallKind::LoopOpen || M.Kind == CallKind::LoopClose) {
    // A TS_SCOPE loop's scopes, keyed by its guard: `&g`.
    const auto *UO =
        CE->getNumArgs() == 1
            ? dyn_cast<UnaryOperator>(CE->getArg(0)->IgnoreParenImpCasts())
            : nullptr;
    const auto *DRE =
        UO && UO->getOpcode() == UO_AddrOf
            ? dyn_cast<DeclRefExpr>(UO->getSubExpr()->IgnoreParenImpCasts())
            : nullptr;
    if (!DRE)
      return;
    endRegion(DRE->getDecl(), CE->getBeginLoc());
    if (M.Kind == CallKind::LoopOpen)
      pushRegion(DRE->getDecl(), RegionKind::Guard, CE->getBeginLoc());
    return;
  }
  if (M.Kind == CallKind::ScopeEnd) {
    if (CE->getNumArgs() == 1)
      if (const VarDecl *VD = varOf(CE->getArg(0)))
        endRegion(VD, CE->getBeginLoc());
    return;
  }
  if (M.Kind == CallKind::ScopeBegin && !isBoundToLocal(CE)) {
    pushRegion(CE, RegionKind::Opaque, CE->getBeginLoc());
    return;
  }
  if (M.Kind == CallKind::AsyncEnter || M.Kind == CallKind::AsyncLeave) {
    // Keyed by the variable, or the field, that names the async scope.
    const Expr *Arg =
        CE->getNumArgs() == 1 ? CE->getArg(0)->IgnoreParenCasts() : nullptr;
    const void *Key = nullptr;
    if (const auto *DRE = dyn_cast_or_null<DeclRefExpr>(Arg))
      Key = DRE->getDecl();
    else if (const auto *ME = dyn_cast_or_null<MemberExpr>(Arg))
      Key = ME->getMemberDecl();
    if (!Key)
      Key = CE;
    if (M.Kind == CallKind::AsyncEnter)
      pushRegion(Key, RegionKind::Opaque, CE->getBeginLoc());
    else
      leaveRegion(Key);
    return;
  }
  for (unsigned I = 0, N = CE->getNumArgs(); I < N; ++I) {
    ObjSet Os = eval(CE->getArg(I));
    bool IsConsumed = I == M.ConsumedArg;
    bool Frees = IsConsumed &&
                 (M.Kind == CallKind::Free || M.Kind == CallKind::PoolRelease);
    if (Os.empty() && Frees) {
      // Freeing what a variable got from outside: remember it is freed.
      const VarDecl *VD = varOf(CE->getArg(I));
      if (isTracked(VD)) {
        auto [It, New] =
            ForeignIds.insert({VD, ForeignBase + ForeignIds.size()});
        Obj O;
        O.Bits = M.Kind == CallKind::Free ? Freed : Released;
        O.FreedBy = CE;
        if (const Obj *Before = S.Objs.find(It->second))
          O.HeldBy = Before->HeldBy;
        S.Objs.set(It->second, O);
        S.setPts(VD, {It->second});
        S.Dirty = true;
      }
      continue;
    }
    if (Os.empty())
      continue;
    if (checkUse(Os, CE->getArg(I), Frees ? CE : nullptr)) {
      handOn(Os); // Reported once; the rest of the path says nothing more.
      continue;
    }
    switch (M.Kind) {
    case CallKind::Borrow:
      break;
    case CallKind::Owned: {
      // tsmem's own calls borrow; a user's TS_OWNED function borrows what
      // it takes as const.
      bool Borrows = M.Api;
      const FunctionDecl *Callee = Borrows ? nullptr : CE->getDirectCallee();
      if (!Borrows && Callee && I < Callee->getNumParams()) {
        QualType P = Callee->getParamDecl(I)->getType();
        Borrows = P->isPointerType() && P->getPointeeType().isConstQualified();
      }
      if (!Borrows)
        handOn(Os);
      break;
    }
    case CallKind::Free:
    case CallKind::PoolRelease:
      if (Frees)
        consume(Os, CE, M.Kind == CallKind::Free ? Freed : Released);
      break;
    case CallKind::Escape:
      escape(Os);
      break;
    case CallKind::Register:
      registerInScope(Os);
      break;
    case CallKind::Consume:
    case CallKind::Keep:
    case CallKind::Unknown:
    case CallKind::Run:
    case CallKind::ScopeBegin:
    case CallKind::ScopeEnd:
    case CallKind::AsyncEnter:
    case CallKind::AsyncLeave:
    case CallKind::LoopOpen:
    case CallKind::LoopClose:
      handOn(Os);
      break;
    }
  }
  if (M.Kind == CallKind::Owned)
    allocate(CE);
}

void FunctionAnalyzer::visitAssign(const Expr *LHS, const Expr *RHS) {
  const VarDecl *VD = varOf(LHS);
  if (VD && isScopeBeginCall(RHS)) {
    pushRegion(VD, RegionKind::Manual, RHS->getBeginLoc());
    return;
  }
  ObjSet Os = eval(RHS);
  if (VD && isTracked(VD) && isa<DeclRefExpr>(LHS->IgnoreParenImpCasts())) {
    for (ObjId Id : Os)
      if (Obj *O = S.Objs.findMut(Id))
        O->LastVar = VD;
    S.setPts(VD, std::move(Os));
    S.Dirty = true;
    return;
  }
  handOn(Os); // A global, a field, an array, through a pointer...
}

void FunctionAnalyzer::visitInit(const VarDecl *VD) {
  if (isScopeGuard(VD)) {
    pushRegion(VD, RegionKind::Guard, SM.getExpansionLoc(VD->getLocation()));
    return;
  }
  const Expr *Init = VD->getInit();
  if (isScopeBeginCall(Init)) {
    pushRegion(VD, RegionKind::Manual, Init->getBeginLoc());
    return;
  }
  ObjSet Os = eval(Init);
  if (isTracked(VD)) {
    for (ObjId Id : Os)
      if (Obj *O = S.Objs.findMut(Id))
        O->LastVar = VD;
    S.setPts(VD, std::move(Os));
    S.Dirty = true;
    return;
  }
  handOn(Os); // static locals, aggregates, void pointers...
}

void FunctionAnalyzer::visitReturn(const ReturnStmt *RS) {
  ObjSet Os = eval(RS->getRetValue());
  if (Os.empty())
    return;
  if (checkUse(Os, RS->getRetValue(), nullptr)) {
    handOn(Os);
    return;
  }
  for (ObjId Id : Os) {
    Obj *P = S.Objs.findMut(Id);
    if (!P)
      continue;
    Obj &O = *P;
    if (O.Bits & Scoped) {
      O.Ret = RS;
      O.RetFixable = !S.Regions.empty() && O.Region == S.Regions.back();
    }
    if (O.Bits & Owned)
      O.Bits = (O.Bits & ~Owned) | HandedOn;
    S.noteMayReport(Id);
  }
}

void FunctionAnalyzer::visitLifetimeEnd(const VarDecl *VD, SourceLocation Loc) {
  if (!S.erasePts(VD))
    return;
  S.Dirty = true;
  collect(Loc, LeakCause::OutOfScope, VD);
}

void FunctionAnalyzer::functionEnd(const BlockInfo &BI) {
  SourceLocation EndLoc = BI.Ret ? BI.Ret->getBeginLoc() : FD->getBodyRBrace();
  while (!S.Regions.empty()) {
    const void *K = S.Regions.pop_back_val();
    RegionKind Kind = RegionInfos.lookup(K).Kind;
    if (Kind == RegionKind::Function || Kind == RegionKind::Guard) {
      endOneRegion(K, EndLoc);
      continue;
    }
    // The caller's scope, or a scope left open: it outlives this call.
    for (ObjId Id : S.scopedIn(K)) {
      Obj &O = *S.Objs.findMut(Id);
      O.Bits = (O.Bits & ~Scoped) | HandedOn;
      O.Ret = nullptr;
      S.Dirty = true;
    }
  }
  S.Pts.forEach([&](const VarDecl *, const ObjSet &Os) {
    for (ObjId Id : Os)
      if (Obj *O = S.Objs.findMut(Id)) {
        O->HeldBy.clear();
        S.Unheld.push_back(Id);
      }
  });
  S.Pts.clear();
  S.Dirty = true;
  collect(EndLoc, LeakCause::Return, nullptr);
}

//===----------------------------------------------------------------------===//
// Dataflow
//===----------------------------------------------------------------------===//

State FunctionAnalyzer::initialState() {
  S = State();
  S.Objs = PMap<ObjId, Obj>(ObjNodes);
  S.Pts = PMap<const VarDecl *, ObjSet>(PtsNodes);
  S.ScopedIn = PMap<RegionObj, Unit>(ScopedInNodes);
  S.MayReport = PMap<ObjId, Unit>(MayReportNodes);
  S.Reached = true;
  if (Scope == BodyScope::Scoped)
    pushRegion(FD, RegionKind::Function, FD->getLocation());
  else if (Scope == BodyScope::CallerScope)
    pushRegion(FD, RegionKind::Caller, FD->getLocation());
  return S;
}

/// E without the parentheses and casts around it: the node whose
/// effective parent (ParentMap::getParentIgnoreParenCasts) E's is.
static const Expr *innermost(const Expr *E) {
  while (true) {
    if (const auto *P = dyn_cast<ParenExpr>(E))
      E = P->getSubExpr();
    else if (const auto *C = dyn_cast<CastExpr>(E))
      E = C->getSubExpr();
    else
      return E;
  }
}

/// Reads what transferBlock() and refineEdge() need off the block's
/// elements: everything that depends on the block and not on the state.
void FunctionAnalyzer::decode(BlockInfo &BI) {
  const CFGBlock *B = BI.B;
  for (unsigned I = 0, N = B->size(); I < N; ++I) {
    CFGElement E = (*B)[I];
    if (auto CS = E.getAs<CFGStmt>()) {
      const Stmt *St = CS->getStmt();
      Op::Kind K = Op::Other;
      CallModel Model;
      switch (St->getStmtClass()) {
      case Stmt::CallExprClass:
        K = Op::Call;
        Model = model(cast<CallExpr>(St));
        break;
      case Stmt::BinaryOperatorClass:
        if (cast<BinaryOperator>(St)->getOpcode() == BO_Assign)
          K = Op::Assign;
        break;
      case Stmt::DeclStmtClass:
        K = Op::Decl;
        break;
      case Stmt::ReturnStmtClass:
        K = Op::Return;
        BI.Ret = cast<ReturnStmt>(St);
        break;
      case Stmt::InitListExprClass:
      case Stmt::CompoundLiteralExprClass:
      case Stmt::DesignatedInitExprClass:
        K = Op::Aggregate;
        break;
      default:
        if (isa<CallExpr>(St)) {
          K = Op::Call;
          Model = model(cast<CallExpr>(St));
        } else if (const auto *Cast = dyn_cast<ExplicitCastExpr>(St)) {
          if (!Cast->getType()->isPointerType() &&
              !Cast->getType()->isVoidType())
            K = Op::IntCast;
        }
        break;
      }
      bool Full = isFullExpression(St);
      if (K == Op::Other && !Full)
        continue;
      if (Full) {
        if (!BI.Ops.empty() && BI.Ops.back().Full) {
          // The full op before already ran collect(): nothing is left for
          // this one to do.
          if (K == Op::Other)
            continue;
        } else if (const auto *E = dyn_cast<Expr>(St); E && innermost(E) != E) {
          // A cast whose operand is full too. With every subexpression an
          // element, collect() first ran at the operand; our CFG has it
          // only when it is a kind decode() reads.
          Op &O = BI.Ops.emplace_back();
          O.Full = true;
          O.St = innermost(E);
          if (K == Op::Other)
            continue;
        }
      }
      Op &O = BI.Ops.emplace_back();
      O.K = K;
      O.Full = Full;
      O.St = St;
      O.Model = Model;
    } else if (auto LE = E.getAs<CFGLifetimeEnds>()) {
      // The variables of a GNU statement expression die before its value
      // is bound: let them hold their tensors until the function ends.
      const Stmt *Trigger = LE->getTriggerStmt();
      if (Trigger && isStmtExprBody(Trigger))
        continue;
      Op O{Op::LifetimeEnd};
      O.VD = LE->getVarDecl();
      O.Loc = locOf(Trigger);
      BI.Ops.push_back(O);
    } else if (auto CF = E.getAs<CFGCleanupFunction>()) {
      const VarDecl *VD = CF->getVarDecl();
      if (!isScopeGuard(VD) && !isLoopScopeGuard(VD))
        continue;
      Op O{Op::Cleanup};
      O.VD = VD;
      for (unsigned J = I + 1; J < N && O.Loc.isInvalid(); ++J)
        if (auto LE = (*B)[J].getAs<CFGLifetimeEnds>())
          if (LE->getVarDecl() == VD)
            O.Loc = locOf(LE->getTriggerStmt());
      BI.Ops.push_back(O);
    }
  }
  if (!B->hasNoReturnElement())
    for (const CFGBlock::AdjacentBlock &Succ : B->succs())
      if (Succ.getReachableBlock() == &Cfg->getExit()) {
        BI.EndsFunction = true;
        break;
      }
  if (B->succ_size() == 2)
    if (const Expr *C = B->getLastCondition()) {
      const VarDecl *VD = nullTestedVar(C, BI.NullOnTrue);
      if (isTracked(VD))
        BI.NullTested = VD;
    }
}

void FunctionAnalyzer::transferBlock(const BlockInfo &BI) {
  if (BI.Leaves) {
    for (unsigned I = 0; I < BI.Tail; ++I)
      visitOp(BI.Ops[I]);
    exitTail(BI);
    return;
  }
  for (const Op &O : BI.Ops)
    visitOp(O);
  if (BI.EndsFunction)
    functionEnd(BI);
}

/// What the ops from BI.Tail on and functionEnd() would report, without
/// changing S: the state is not used after. Each return ends the lifetime
/// of every variable in scope, and ending each one by one made a function
/// with N early returns quadratic. Only an object the function owns (a
/// leak) or returns (an unescaped return) can be reported on the way out,
/// and the others do not affect them: the tail follows those alone, as
/// visitLifetimeEnd(), endRegion() and functionEnd() would.
void FunctionAnalyzer::exitTail(const BlockInfo &BI) {
  struct Cand {
    ObjId Id;
    Obj O;
    bool Gone = false;
  };
  llvm::SmallVector<Cand, 4> R;
  S.MayReport.forEach([&](ObjId Id, Unit) {
    const Obj *O = S.Objs.find(Id);
    if (O && (O->Bits == Owned || O->Ret))
      R.push_back({Id, *O});
  });
  if (R.empty())
    return;
  Steps += R.size() * (BI.Ops.size() - BI.Tail + 1);
  llvm::SmallVector<const void *, 4> Regions = S.Regions;
  llvm::SmallPtrSet<const VarDecl *, 8> Dead;
  auto Collect = [&](SourceLocation Loc, LeakCause Cause,
                     const VarDecl *Dying) {
    for (Cand &C : R) {
      if (C.Gone || !C.O.HeldBy.empty() || C.O.Ret)
        continue;
      if (C.O.Bits == Owned)
        reportLeak(C.Id, C.O, Loc, Cause, Dying);
      C.Gone = true;
    }
  };
  auto EndOne = [&](const void *Key, SourceLocation EndLoc) {
    for (Cand &C : R) {
      if (C.Gone || !(C.O.Bits & Scoped) || C.O.Region != Key)
        continue;
      if (C.O.Ret) {
        reportUnescapedReturn(C.O, Key);
        C.O.Bits = (C.O.Bits & ~Scoped) | HandedOn;
        C.O.Ret = nullptr;
        continue;
      }
      C.O.Bits = (C.O.Bits & ~Scoped) | Ended;
      C.O.EndLoc = EndLoc;
    }
  };
  for (unsigned I = BI.Tail; I < BI.Ops.size(); ++I) {
    const Op &O = BI.Ops[I];
    if (O.K == Op::LifetimeEnd) {
      if (Dead.count(O.VD) || !S.Pts.count(O.VD))
        continue;
      Dead.insert(O.VD);
      for (Cand &C : R)
        C.O.HeldBy.erase(O.VD);
      Collect(O.Loc, LeakCause::OutOfScope, O.VD);
      continue;
    }
    auto It = llvm::find(llvm::reverse(Regions), O.VD);
    if (It == Regions.rend())
      continue;
    size_t Depth = std::distance(It, Regions.rend()) - 1;
    while (Regions.size() > Depth)
      EndOne(Regions.pop_back_val(), O.Loc);
  }
  SourceLocation EndLoc = BI.Ret ? BI.Ret->getBeginLoc() : FD->getBodyRBrace();
  while (!Regions.empty()) {
    const void *K = Regions.pop_back_val();
    RegionKind Kind = RegionInfos.lookup(K).Kind;
    if (Kind == RegionKind::Function || Kind == RegionKind::Guard) {
      EndOne(K, EndLoc);
      continue;
    }
    for (Cand &C : R)
      if (!C.Gone && (C.O.Bits & Scoped) && C.O.Region == K) {
        C.O.Bits = (C.O.Bits & ~Scoped) | HandedOn;
        C.O.Ret = nullptr;
      }
  }
  for (Cand &C : R)
    C.O.HeldBy.clear();
  Collect(EndLoc, LeakCause::Return, nullptr);
}

/// On the edge where BI's null test holds (the variable is NULL).
void FunctionAnalyzer::refineEdge(State &E, const BlockInfo &BI) {
  const ObjSet *Os = E.Pts.find(BI.NullTested);
  if (!Os)
    return;
  if (Os->size() != 1) {
    // Each tensor it may hold either was not made on this path or was the
    // one whose call failed (one lost before would have been reported where
    // it was lost): forget those no other variable holds. Marking them
    // unreachable instead reported `t = c ? a() : b(); if (!t) return;`.
    ObjSet Held = *Os;
    E.Pts.set(BI.NullTested, ObjSet());
    for (ObjId Id : Held)
      if (Obj *O = E.Objs.findMut(Id)) {
        O->HeldBy.erase(BI.NullTested);
        if (O->HeldBy.empty())
          E.Objs.erase(Id);
      }
    return;
  }
  // The only tensor it could hold was never made (the call failed).
  ObjId Id = *Os->begin();
  if (const Obj *O = E.Objs.find(Id)) {
    VarSet Holders = O->HeldBy;
    for (const VarDecl *V : Holders)
      E.Pts.findMut(V)->erase(Id);
    E.Objs.erase(Id);
  }
}

bool FunctionAnalyzer::join(State &Dst, const State &Src) {
  if (!Src.Reached)
    return false;
  if (!Dst.Reached) {
    Dst = Src;
    return true;
  }
  // Only a hint, which Changed need not report: states of the same content
  // are just as clean.
  Dst.Dirty |= Src.Dirty;
  // Objects from outside the function, on each side.
  auto ForeignOf = [](const State &St) {
    llvm::SmallVector<ObjId, 4> Ids;
    St.Objs.forEachFrom(ForeignBase, [&](ObjId Id, const Obj &) {
      Ids.push_back(Id);
      return true;
    });
    return Ids;
  };
  llvm::SmallVector<ObjId, 4> DstForeign = ForeignOf(Dst);
  llvm::SmallVector<ObjId, 4> SrcForeign = ForeignOf(Src);
  bool Changed = Dst.Objs.unionWith(Src.Objs, [](Obj &D, const Obj &O) {
    Obj Before = D;
    D.Bits |= O.Bits;
    if ((O.Bits & Scoped) && D.Region != O.Region)
      D.Bits = (D.Bits & ~Scoped) | HandedOn; // Owners disagree: let it go.
    if (!D.Ret) {
      D.Ret = O.Ret;
      D.RetFixable = O.RetFixable;
    }
    if (!D.FreedBy)
      D.FreedBy = O.FreedBy;
    if (D.EndLoc.isInvalid())
      D.EndLoc = O.EndLoc;
    if (!D.LastVar)
      D.LastVar = O.LastVar;
    D.HeldBy.insert(O.HeldBy);
    return D != Before;
  });
  // A foreign object missing on one side is a tensor that was not freed
  // there: it may be live.
  for (ObjId Id : SrcForeign)
    if (!llvm::is_contained(DstForeign, Id))
      Dst.Objs.findMut(Id)->Bits |= HandedOn;
  for (ObjId Id : DstForeign)
    if (!llvm::is_contained(SrcForeign, Id)) {
      Obj *O = Dst.Objs.findMut(Id);
      if (!(O->Bits & HandedOn)) {
        O->Bits |= HandedOn;
        Changed = true;
      }
    }
  Changed |= Dst.Pts.unionWith(Src.Pts, [](ObjSet &D, const ObjSet &Os) {
    size_t Size = D.size();
    D.insert(Os);
    return D.size() != Size;
  });
  Dst.ScopedIn.unionWith(Src.ScopedIn, [](Unit &, Unit) { return false; });
  Dst.MayReport.unionWith(Src.MayReport, [](Unit &, Unit) { return false; });
  if (!Src.Unheld.empty()) {
    Dst.Unheld.append(Src.Unheld.begin(), Src.Unheld.end());
    llvm::sort(Dst.Unheld);
    Dst.Unheld.erase(std::unique(Dst.Unheld.begin(), Dst.Unheld.end()),
                     Dst.Unheld.end());
  }
  size_t Common = 0;
  while (Common < Dst.Regions.size() && Common < Src.Regions.size() &&
         Dst.Regions[Common] == Src.Regions[Common])
    ++Common;
  if (Common < Dst.Regions.size()) {
    Dst.Regions.resize(Common);
    Changed = true;
  }
  return Changed;
}

bool FunctionAnalyzer::overBudget() {
  if (Steps + Clock.Made <= Budget)
    return false;
  DiagnosticsEngine &Diags = Ctx.getDiagnostics();
  unsigned ID = Diags.getCustomDiagID(
      DiagnosticsEngine::Remark,
      "function '%0' not checked for memory errors: the tsmem analysis "
      "needs more than its budget of %1 steps here "
      "(-fplugin-arg-tsmem-analysis-budget=N sets it)");
  Diags.Report(FD->getLocation(), ID) << FD->getName() << Budget;
  return true;
}

void FunctionAnalyzer::run() {
  const Stmt *Body = FD->getBody();
  if (!Body)
    return;
  const BodyFacts *F = &Facts;
  if (!Facts.Known) {
    BodyScan Scan(Models);
    Scan.TraverseStmt(const_cast<Stmt *>(Body));
    Scanned.UsesTsmem = Scan.UsesTsmem;
    Scanned.AddrTaken = std::move(Scan.AddrTaken);
    Scanned.Jumps = Scan.Jumps;
    Scanned.Vars = Scan.Vars;
    F = &Scanned;
  }
  // TSMEM_ANALYZE_ALL=1 analyses functions without any tsmem call too: the
  // robustness test on foreign code (tests/realcode) uses it.
  static const bool AnalyzeAll = std::getenv("TSMEM_ANALYZE_ALL") != nullptr;
  if (!F->UsesTsmem && Scope == BodyScope::None && !AnalyzeAll)
    return;
  AddrTaken = &F->AddrTaken;
  // Clang's CFG would be too big to build (the budget counts its
  // elements): stop before building it.
  if (uint64_t(F->Jumps) * F->Vars > Budget) {
    Steps = lifetimeEndsEstimate(Body);
    if (overBudget())
      return;
    Steps = 0;
  }

  CFG::BuildOptions Opts;
  for (Stmt::StmtClass C :
       {Stmt::CallExprClass, Stmt::BinaryOperatorClass, Stmt::DeclStmtClass,
        Stmt::ReturnStmtClass, Stmt::InitListExprClass,
        Stmt::CompoundLiteralExprClass, Stmt::DesignatedInitExprClass,
        Stmt::CStyleCastExprClass})
    Opts.setAlwaysAdd(C);
  Opts.AddImplicitDtors = true;
  Opts.AddLifetime = true;
  Cfg = CFG::buildCFG(FD, const_cast<Stmt *>(Body), &Ctx, Opts);
  if (!Cfg)
    return;
  // The CFG's size is the first charge on the budget: returns and jumps
  // out of scopes end the lifetime of every variable they leave, so it can
  // grow as the square of the body's.
  for (const CFGBlock *B : *Cfg)
    Steps += B->size() + 1;
  if (overBudget())
    return;
  if (!Facts.Known)
    Parents = std::make_unique<ParentMap>(const_cast<Stmt *>(Body));

  // Reverse post-order by hand: unreachable successors are null blocks,
  // which llvm::ReversePostOrderTraversal would step on.
  std::vector<BlockInfo> Blocks;
  std::vector<unsigned> Rank(Cfg->getNumBlockIDs(), ~0u);
  {
    std::vector<bool> Seen(Cfg->getNumBlockIDs());
    llvm::SmallVector<std::pair<const CFGBlock *, unsigned>, 32> Stack;
    Stack.push_back({&Cfg->getEntry(), 0});
    Seen[Cfg->getEntry().getBlockID()] = true;
    while (!Stack.empty()) {
      auto &[B, Next] = Stack.back();
      if (Next < B->succ_size()) {
        const CFGBlock *T = B->succ_begin()[Next++].getReachableBlock();
        if (T && !Seen[T->getBlockID()]) {
          Seen[T->getBlockID()] = true;
          Stack.push_back({T, 0});
        }
        continue;
      }
      Blocks.emplace_back();
      Blocks.back().B = B;
      Stack.pop_back();
    }
    std::reverse(Blocks.begin(), Blocks.end());
    for (unsigned I = 0; I < Blocks.size(); ++I)
      Rank[Blocks[I].B->getBlockID()] = I;
  }
  const CFGBlock *Exit = &Cfg->getExit();
  for (BlockInfo &BI : Blocks) {
    decode(BI);
    const Stmt *Term = BI.B->getTerminatorStmt();
    for (const CFGBlock::AdjacentBlock &Succ : BI.B->succs()) {
      const CFGBlock *T = Succ.getReachableBlock();
      // A TS_SCOPE loop's once-loop: its back edge leaves it, its test
      // holds on entry.
      if (T && BI.B->getLoopTarget() &&
          T->getTerminatorStmt() == BI.B->getLoopTarget() &&
          T->succ_size() == 2 && isOnceLoop(BI.B->getLoopTarget()))
        T = T->succ_begin()[1].getReachableBlock();
      else if (BI.B->succ_size() == 2 && &Succ != BI.B->succ_begin() &&
               isOnceLoop(Term))
        T = nullptr;
      BI.Succs.push_back(!T || T == Exit ? ~0u : Rank[T->getBlockID()]);
    }
    BI.Leaves = BI.EndsFunction &&
                llvm::all_of(BI.Succs, [](unsigned T) { return T == ~0u; });
    BI.Tail = BI.Ops.size();
    while (BI.Tail > 0 && (BI.Ops[BI.Tail - 1].K == Op::LifetimeEnd ||
                           BI.Ops[BI.Tail - 1].K == Op::Cleanup))
      --BI.Tail;
  }

  std::vector<State> In(Blocks.size());
  unsigned EntryIdx = Rank[Cfg->getEntry().getBlockID()];
  In[EntryIdx] = initialState();

  // Any change to a block's entry state queues the block again, so its last
  // transfer saw the final state: the reporting pass only needs to redo
  // the transfers that met something to report.
  llvm::BitVector Reports(Blocks.size());
  llvm::BitVector Work(Blocks.size());
  Work.set(EntryIdx);
  // The lowest block queued is next; none is below Lowest.
  int Lowest = EntryIdx;
  unsigned Rounds = 64 * Blocks.size() + 256;
  State E;
  for (int Idx = Work.find_first_in(Lowest, Blocks.size()); Idx != -1;
       Idx = Work.find_first_in(Lowest, Blocks.size())) {
    if (Rounds-- == 0)
      return; // Too hard to model: stay quiet.
    const BlockInfo &BI = Blocks[Idx];
    Steps += (BI.Leaves ? BI.Tail : BI.Ops.size()) + 1;
    if (overBudget())
      return;
    Work.reset(Idx);
    Lowest = Idx;
    S = In[Idx];
    WouldReport = false;
    transferBlock(BI);
    Reports[Idx] = WouldReport;
    for (unsigned SuccIdx = 0; SuccIdx < BI.Succs.size(); ++SuccIdx) {
      unsigned T = BI.Succs[SuccIdx];
      if (T == ~0u)
        continue;
      bool Changed;
      if (BI.NullTested && (SuccIdx == 0) == BI.NullOnTrue) {
        E = S;
        refineEdge(E, BI);
        Changed = join(In[T], E);
      } else {
        Changed = join(In[T], S);
      }
      if (Changed) {
        Work.set(T);
        Lowest = std::min<int>(Lowest, T);
      }
    }
  }

  Reporting = true;
  if (RegionInfoVaries)
    Reports.set();
  for (int Idx = Reports.find_first(); Idx != -1;
       Idx = Reports.find_next(Idx)) {
    if (!In[Idx].Reached)
      continue;
    S = In[Idx];
    transferBlock(Blocks[Idx]);
  }
}

} // namespace

void analyzeFunction(const FunctionDecl *FD, BodyScope Scope,
                     const BodyFacts &Facts, CallModels &Models,
                     ASTContext &Ctx, Reporter &Report, uint64_t Budget) {
  FunctionAnalyzer(FD, Scope, Facts, Models, Ctx, Report, Budget).run();
}

} // namespace tsmem
