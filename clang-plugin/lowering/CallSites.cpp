//===- CallSites.cpp - Allocation sites for the pass ----------------------===//
//
// The walk visits each function body in the order CodeGenFunction emits it,
// which is not always the order of the AST's children:
//  - a `for` emits its body before its increment;
//  - an assignment emits its right-hand side before its left;
//  - unevaluated operands (sizeof, _Alignof, __builtin_constant_p, the arms
//    _Generic and __builtin_choose_expr do not choose) emit nothing;
//  - an `if`, `?:`, `&&` or `||` whose condition folds to a constant emits
//    no dead arm that holds no label;
//  - statements after a return, break, continue or goto in the same block
//    emit nothing unless they hold a label.
// Anything else it gets wrong shows up as a list that does not match the IR,
// callee for callee; the pass then leaves that function's sites out rather
// than attach a wrong line.
//
//===----------------------------------------------------------------------===//
#include "CallSites.h"
#include "RuntimeCalls.h"
#include "TsmemNames.h"

#include "clang/AST/ASTConsumer.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"
#include "clang/AST/Mangle.h"
#include "clang/AST/Stmt.h"
#include "clang/AST/StmtVisitor.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/ADT/DenseMap.h"

#include <optional>

using namespace clang;

namespace {

/// Whether S holds a label a jump from outside could reach: then CodeGen
/// emits it even where it looks dead.
bool containsLabel(const Stmt *S, bool IgnoreCaseStmts = false) {
  if (!S)
    return false;
  if (isa<LabelStmt>(S))
    return true;
  if (isa<SwitchCase>(S) && !IgnoreCaseStmts)
    return true;
  if (isa<SwitchStmt>(S))
    IgnoreCaseStmts = true;
  for (const Stmt *Child : S->children())
    if (containsLabel(Child, IgnoreCaseStmts))
      return true;
  return false;
}

/// What the walks of one translation unit share: which callees make a
/// tensor, and the name of the file last seen.
struct WalkCache {
  llvm::DenseMap<const FunctionDecl *, bool> Owned;
  FileID LastFile;
  StringRef LastFileName;
};

/// Lists the owned calls of one body in emission order.
class EmissionOrderWalk : public ConstStmtVisitor<EmissionOrderWalk> {
  ASTContext &Ctx;
  const SourceManager &SM;
  std::vector<tsmem::SourceCall> &Out;
  WalkCache &Cache;
  const IdentifierInfo *ConstantP; // __builtin_constant_p

public:
  EmissionOrderWalk(ASTContext &Ctx, std::vector<tsmem::SourceCall> &Out,
                    WalkCache &Cache)
      : Ctx(Ctx), SM(Ctx.getSourceManager()), Out(Out), Cache(Cache),
        ConstantP(&Ctx.Idents.get("__builtin_constant_p")) {}

  void walk(const Stmt *S) {
    // Leaves and the casts around them are most of a body: skip them here,
    // before the visitor's dispatch.
    while (const auto *Cast = dyn_cast_or_null<ImplicitCastExpr>(S))
      S = Cast->getSubExpr();
    if (S && !isa<DeclRefExpr, IntegerLiteral, FloatingLiteral,
                  CharacterLiteral, StringLiteral>(S))
      Visit(S);
  }

  void VisitStmt(const Stmt *S) {
    for (const Stmt *Child : S->children())
      walk(Child);
  }

  void VisitCallExpr(const CallExpr *E) {
    const FunctionDecl *Callee = E->getDirectCallee();
    if (Callee && Callee->getIdentifier() == ConstantP)
      return; // its operand is never evaluated
    VisitStmt(E);
    if (!Callee || !isOwned(Callee))
      return;
    SourceLocation Loc = SM.getExpansionLoc(E->getExprLoc());
    auto [File, Offset] = SM.getDecomposedLoc(Loc);
    // #line directives in the call's file: let clang apply them. (A line
    // table exists as soon as any buffer has line markers, the predefines'
    // included: asked per file, as SourceManager::getPresumedLoc does.)
    if (File != Cache.LastFile && hasLineDirectives(File)) {
      PresumedLoc P = SM.getPresumedLoc(Loc);
      if (P.isValid())
        Out.push_back({Callee->getName(), P.getFilename(), P.getLine()});
      return;
    }
    // Without them the presumed file is the file's name, the same for all
    // its calls, and the line needs no column.
    if (File != Cache.LastFile) {
      PresumedLoc P = SM.getPresumedLoc(Loc);
      if (P.isInvalid())
        return;
      Cache.LastFile = File;
      Cache.LastFileName = P.getFilename();
    }
    Out.push_back({Callee->getName(), Cache.LastFileName,
                   SM.getLineNumber(File, Offset)});
  }

  void VisitForStmt(const ForStmt *S) {
    walk(S->getInit());
    walk(S->getConditionVariableDeclStmt());
    walk(S->getCond());
    walk(S->getBody());
    walk(S->getInc());
  }

  void VisitBinaryOperator(const BinaryOperator *E) {
    if (E->isAssignmentOp()) { // also the compound ones
      walk(E->getRHS());
      walk(E->getLHS());
      return;
    }
    if (E->isLogicalOp()) {
      walk(E->getLHS());
      size_t Mark = Out.size();
      walk(E->getRHS());
      if (Out.size() == Mark) // nothing to decide: spare the folding
        return;
      std::optional<bool> L = folded(E->getLHS());
      if (L && *L != (E->getOpcode() == BO_LAnd))
        dropIfDead(Mark, Out.size(), E->getRHS());
      return;
    }
    VisitStmt(E);
  }

  void VisitConditionalOperator(const ConditionalOperator *E) {
    walk(E->getCond());
    walkArms(E->getCond(), E->getTrueExpr(), E->getFalseExpr());
  }

  void VisitIfStmt(const IfStmt *S) {
    walk(S->getInit());
    walk(S->getConditionVariableDeclStmt());
    walk(S->getCond());
    walkArms(S->getCond(), S->getThen(), S->getElse());
  }

  void VisitCompoundStmt(const CompoundStmt *S) {
    bool Unreachable = false;
    for (const Stmt *Child : S->body()) {
      size_t Mark = Out.size();
      walk(Child);
      if (Unreachable && !isa<DeclStmt>(Child))
        dropIfDead(Mark, Out.size(), Child);
      if (isa<ReturnStmt, BreakStmt, ContinueStmt, GotoStmt>(Child))
        Unreachable = true;
      else if (Unreachable && containsLabel(Child))
        Unreachable = false; // a jump can land here
    }
  }

  void VisitUnaryExprOrTypeTraitExpr(const UnaryExprOrTypeTraitExpr *) {}
  void VisitGenericSelectionExpr(const GenericSelectionExpr *E) {
    if (!E->isResultDependent())
      walk(E->getResultExpr());
  }
  void VisitChooseExpr(const ChooseExpr *E) { walk(E->getChosenSubExpr()); }
  // A block's body is a function of its own in the IR.
  void VisitBlockExpr(const BlockExpr *) {}

private:
  bool hasLineDirectives(FileID File) const {
    if (!SM.hasLineTable())
      return false;
    bool Invalid = false;
    const SrcMgr::SLocEntry &Entry = SM.getSLocEntry(File, &Invalid);
    return Invalid || !Entry.isFile() || Entry.getFile().hasLineDirectives();
  }

  bool isOwned(const FunctionDecl *Callee) {
    auto [It, New] = Cache.Owned.try_emplace(Callee);
    if (New)
      It->second =
          Callee->getIdentifier() && tsmem::isOwnedFunction(Callee->getName());
    return It->second;
  }

  // Dead code is walked like the rest, and its calls taken back only if it
  // had any: folding a condition costs more than walking an arm.

  /// Takes back Out[Begin, End), the calls of S, unless S holds a label.
  void dropIfDead(size_t Begin, size_t End, const Stmt *S) {
    if (Begin != End && !containsLabel(S))
      Out.erase(Out.begin() + Begin, Out.begin() + End);
  }

  /// Walks both arms of a branch on Cond, then drops the one CodeGen does
  /// not emit when Cond folds.
  void walkArms(const Expr *Cond, const Stmt *Then, const Stmt *Else) {
    size_t Begin = Out.size();
    walk(Then);
    size_t Mid = Out.size();
    walk(Else);
    if (Out.size() == Begin)
      return;
    if (std::optional<bool> C = folded(Cond))
      *C ? dropIfDead(Mid, Out.size(), Else) : dropIfDead(Begin, Mid, Then);
  }

  /// The value of a condition CodeGen folds (and so emits one arm of).
  std::optional<bool> folded(const Expr *Cond) const {
    Expr::EvalResult R;
    if (!Cond->EvaluateAsInt(R, Ctx) || containsLabel(Cond))
      return std::nullopt;
    return R.Val.getInt().getBoolValue();
  }
};

class CallSiteCollector : public ASTConsumer {
  std::shared_ptr<tsmem::SourceSites> Out;
  std::unique_ptr<ASTNameGenerator> Names;
  WalkCache Cache;

public:
  explicit CallSiteCollector(std::shared_ptr<tsmem::SourceSites> Out)
      : Out(std::move(Out)) {}

  void HandleTranslationUnit(ASTContext &Ctx) override {
    // The owned functions are all named ts_...: none called here.
    if (!tsmem::mayMentionTsmem(Ctx.Idents))
      return;
    const SourceManager &SM = Ctx.getSourceManager();
    for (const Decl *D : Ctx.getTranslationUnitDecl()->decls()) {
      const auto *FD = dyn_cast<FunctionDecl>(D);
      if (!FD || !FD->doesThisDeclarationHaveABody() ||
          SM.isInSystemHeader(FD->getLocation()))
        continue;
      std::vector<tsmem::SourceCall> Calls;
      EmissionOrderWalk(Ctx, Calls, Cache).walk(FD->getBody());
      if (Calls.empty())
        continue;
      (*Out)[irName(Ctx, FD)] = {FD->getName(), std::move(Calls)};
    }
  }

private:
  /// The function's symbol: its name, unless an asm label or overloading
  /// renames it.
  std::string irName(ASTContext &Ctx, const FunctionDecl *FD) {
    if (!FD->hasAttr<AsmLabelAttr>() && !FD->hasAttr<OverloadableAttr>())
      return FD->getName().str();
    if (!Names)
      Names = std::make_unique<ASTNameGenerator>(Ctx);
    return Names->getName(FD);
  }
};

} // namespace

std::unique_ptr<ASTConsumer>
tsmem::createCallSiteCollector(std::shared_ptr<SourceSites> Out) {
  return std::make_unique<CallSiteCollector>(std::move(Out));
}
