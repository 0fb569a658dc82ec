//===- FunctionCollector.cpp - The functions of a translation unit --------===//
//
// The collector: a RecursiveASTVisitor over the translation unit that hands
// function bodies in plain C to BodyWalker, one pass that gathers each
// body's BodyFacts as it goes (the visitor's own path is slower).
//
//===----------------------------------------------------------------------===//
#include "FunctionCollector.h"
#include "CfgPrune.h"
#include "OwnershipModel.h"
#include "TsmemNames.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Attr.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/SmallVector.h"

using namespace clang;

namespace tsmem {
namespace {

/// A type as written that holds no expression (no array size, no typeof,
/// no parameter list): RecursiveASTVisitor finds nothing in it.
bool isPlainTypeLoc(TypeLoc TL) {
  while (true) {
    TL = TL.getUnqualifiedLoc();
    switch (TL.getTypeLocClass()) {
    case TypeLoc::Builtin:
    case TypeLoc::Typedef:
    case TypeLoc::Record:
    case TypeLoc::Enum:
      return true;
    case TypeLoc::Elaborated: {
      auto ETL = TL.castAs<ElaboratedTypeLoc>();
      if (ETL.getQualifierLoc())
        return false;
      TL = ETL.getNamedTypeLoc();
      continue;
    }
    case TypeLoc::Pointer:
      TL = TL.castAs<PointerTypeLoc>().getPointeeLoc();
      continue;
    case TypeLoc::Paren:
      TL = TL.castAs<ParenTypeLoc>().getInnerLoc();
      continue;
    case TypeLoc::IncompleteArray: {
      auto ATL = TL.castAs<IncompleteArrayTypeLoc>();
      if (ATL.getSizeExpr())
        return false;
      TL = ATL.getElementLoc();
      continue;
    }
    default:
      return false;
    }
  }
}

/// isPlainTypeLoc(TSI->getTypeLoc()) read off the type, whose sugar has the
/// TypeLoc's shape, without stepping through the TypeLoc's data: only an
/// incomplete array's size expression is not in the type.
bool isPlainType(const TypeSourceInfo *TSI) {
  if (!TSI)
    return false;
  const Type *T = TSI->getType().getTypePtr();
  while (true) {
    switch (T->getTypeClass()) {
    case Type::Builtin:
    case Type::Typedef:
    case Type::Record:
    case Type::Enum:
      return true;
    case Type::Elaborated: {
      const auto *ET = cast<ElaboratedType>(T);
      if (ET->getQualifier())
        return false;
      T = ET->getNamedType().getTypePtr();
      continue;
    }
    case Type::Pointer:
      T = cast<PointerType>(T)->getPointeeType().getTypePtr();
      continue;
    case Type::Paren:
      T = cast<ParenType>(T)->getInnerType().getTypePtr();
      continue;
    case Type::IncompleteArray: {
      // At the top (TS_SHAPE's compound literal) the TypeLoc is at hand.
      auto ATL = T == TSI->getType().getTypePtr()
                     ? TSI->getTypeLoc().getAs<IncompleteArrayTypeLoc>()
                     : IncompleteArrayTypeLoc();
      if (!ATL)
        return isPlainTypeLoc(TSI->getTypeLoc());
      if (ATL.getSizeExpr())
        return false;
      T = cast<IncompleteArrayType>(T)->getElementType().getTypePtr();
      continue;
    }
    default:
      return false;
    }
  }
}

/// Attributes without expression arguments (an annotation's arguments are
/// literals), so RecursiveASTVisitor finds nothing in them.
bool hasPlainAttrs(const Decl *D) {
  for (const Attr *A : D->attrs()) {
    switch (A->getKind()) {
    case attr::Annotate:
      for (const Expr *Arg : cast<AnnotateAttr>(A)->args()) {
        const Expr *E = Arg->IgnoreImplicit()->IgnoreParens();
        if (!isa<IntegerLiteral>(E) && !isa<StringLiteral>(E))
          return false;
      }
      break;
    case attr::AllocSize:
    case attr::AlwaysInline:
    case attr::AsmLabel:
    case attr::Builtin:
    case attr::C11NoReturn:
    case attr::Cleanup:
    case attr::Cold:
    case attr::Const:
    case attr::Format:
    case attr::GNUInline:
    case attr::Hot:
    case attr::Leaf:
    case attr::NoInline:
    case attr::NoReturn:
    case attr::NoThrow:
    case attr::NonNull:
    case attr::Pure:
    case attr::Restrict:
    case attr::ReturnsNonNull:
    case attr::Unused:
    case attr::Used:
    case attr::Visibility:
    case attr::WarnUnusedResult:
    case attr::Weak:
      break;
    default:
      return false;
    }
  }
  return true;
}

/// Collects the function definitions to analyse and the ts_run callbacks.
/// Function bodies in plain C go to BodyWalker, which also gathers the
/// analysis' BodyFacts in the same pass; anything else takes the visitor's
/// own (slower) path.
class FunctionCollector : public RecursiveASTVisitor<FunctionCollector>,
                          public CollectedFunctions {
  using Base = RecursiveASTVisitor<FunctionCollector>;

public:
  FunctionCollector(const SourceManager &SM, CallModels &Models)
      : SM(SM), Models(Models) {}

  bool VisitFunctionDecl(FunctionDecl *FD) {
    if (FD->doesThisDeclarationHaveABody() && !FD->isInvalidDecl() &&
        !FD->isDependentContext() &&
        !SM.isInSystemHeader(SM.getExpansionLoc(FD->getLocation()))) {
      Functions.push_back(FD);
      Facts.push_back(std::make_unique<BodyFacts>());
    }
    return true;
  }

  /// A `void *(void *)` function used as a value: it may reach ts_run
  /// through a variable or a field, where the collector cannot follow it.
  bool VisitDeclRefExpr(DeclRefExpr *DRE) {
    if (!Callees.count(DRE))
      noteFunctionValue(DRE);
    return true;
  }

  bool VisitCallExpr(CallExpr *CE) {
    if (const auto *ICE = dyn_cast<ImplicitCastExpr>(CE->getCallee()))
      if (const auto *DRE = dyn_cast<DeclRefExpr>(ICE->getSubExpr()))
        Callees.insert(DRE);
    noteRun(CE);
    return true;
  }

  bool TraverseFunctionDecl(FunctionDecl *FD);

  const SourceManager &SM;
  CallModels &Models;
  /// Callee names of calls, which are not function values.
  llvm::DenseSet<const DeclRefExpr *> Callees;

private:
  friend class BodyWalker;

  void noteFunctionValue(const DeclRefExpr *DRE) {
    const auto *FD = dyn_cast<FunctionDecl>(DRE->getDecl());
    if (!FD || FD->getNumParams() != 1 ||
        !FD->getReturnType()->isVoidPointerType() ||
        !FD->getParamDecl(0)->getType()->isVoidPointerType())
      return;
    MaybeRunTargets.insert(FD->getCanonicalDecl());
  }

  void noteRun(const CallExpr *CE) { noteRun(CE, CE->getDirectCallee()); }

  /// Callee: CE's direct callee. Returns the callback of a ts_run call.
  const FunctionDecl *noteRun(const CallExpr *CE, const FunctionDecl *Callee) {
    if (!Callee || !Callee->getIdentifier() || Callee->getName() != "ts_run" ||
        CE->getNumArgs() < 1)
      return nullptr;
    CallsRun = true;
    const Expr *Fn = CE->getArg(0)->IgnoreParenCasts();
    if (const auto *UO = dyn_cast<UnaryOperator>(Fn))
      if (UO->getOpcode() == UO_AddrOf)
        Fn = UO->getSubExpr()->IgnoreParenCasts();
    if (const auto *DRE = dyn_cast<DeclRefExpr>(Fn))
      if (const auto *Target = dyn_cast<FunctionDecl>(DRE->getDecl())) {
        RunTargets.insert(Target->getCanonicalDecl());
        return Target;
      }
    return nullptr;
  }
};

/// One pass over a function body, in the collector's place, visiting what
/// RecursiveASTVisitor would visit and noting each node's parent as
/// clang::ParentMap would. Both agree with Stmt::children() on the node
/// kinds handled here; on any other kind walk() gives up (returns false).
/// What it notes does not depend on the order of the visits, so children
/// are taken off the stack last first.
class BodyWalker {
public:
  BodyWalker(FunctionCollector &Collect, BodyFacts &Facts)
      : Collect(Collect), Facts(Facts) {}

  bool walk(Stmt *Body) {
    Stack.push_back({Body, nullptr, nullptr});
    while (!Stack.empty()) {
      Item I = Stack.pop_back_val();
      if (!visit(I))
        return false;
    }
    return true;
  }

private:
  struct Item {
    Stmt *S;
    const Stmt *Parent;
    const Stmt *EffParent;
  };

  /// Queues Kid, a child of Parent whose effective parent is EffParent.
  /// Parentheses and implicit casts are visited on the way down and leaves
  /// at once: neither needs the stack.
  void push(Stmt *Kid, const Stmt *Parent, const Stmt *EffParent) {
    while (Kid) {
      switch (Kid->getStmtClass()) {
      case Stmt::ImplicitCastExprClass:
        noteFull(Kid, EffParent);
        Parent = Kid;
        Kid = cast<ImplicitCastExpr>(Kid)->getSubExpr();
        continue;
      case Stmt::ParenExprClass:
        noteFull(Kid, EffParent);
        Parent = Kid;
        Kid = cast<ParenExpr>(Kid)->getSubExpr();
        continue;
      case Stmt::IntegerLiteralClass:
      case Stmt::FloatingLiteralClass:
      case Stmt::CharacterLiteralClass:
      case Stmt::StringLiteralClass:
        noteFull(Kid, EffParent);
        return;
      case Stmt::DeclRefExprClass: {
        auto *DRE = cast<DeclRefExpr>(Kid);
        if (DRE->hasQualifier() || DRE->hasExplicitTemplateArgs())
          break;
        noteFull(Kid, EffParent);
        Collect.noteFunctionValue(DRE);
        return;
      }
      default:
        break;
      }
      Stack.push_back({Kid, Parent, EffParent});
      return;
    }
  }

  template <typename Range>
  void pushChildren(Stmt *S, const Stmt *EffParent, Range Kids) {
    for (Stmt *Kid : Kids)
      push(Kid, S, EffParent);
  }

  /// S is an expression whose effective parent is EffParent.
  void noteFull(const Stmt *S, const Stmt *EffParent) {
    if (!EffParent || (!isa<Expr>(EffParent) && !isa<DeclStmt>(EffParent) &&
                       !isa<ReturnStmt>(EffParent)))
      Facts.FullExprs.insert(S);
  }

  bool visit(const Item &I);

  /// S branches on a condition clang's CFG builder tries to fold.
  void noteCondition(const Stmt *S) {
    if (!Facts.NeverFold)
      return;
    const Expr *Cond = nullptr;
    if (const auto *If = dyn_cast<IfStmt>(S))
      Cond = If->getCond();
    else if (const auto *For = dyn_cast<ForStmt>(S))
      Cond = For->getCond(); // None: no fold to try.
    else if (const auto *While = dyn_cast<WhileStmt>(S))
      Cond = While->getCond();
    else if (const auto *Do = dyn_cast<DoStmt>(S))
      Cond = Do->getCond();
    else if (const auto *Switch = dyn_cast<SwitchStmt>(S))
      Cond = Switch->getCond();
    else
      Cond = cast<ConditionalOperator>(S)->getCond();
    if (Cond)
      Facts.NeverFold = conditionNeverFolds(Cond);
  }

  /// `if (flag)`, `if (!flag)`, `flag ? a : b` on an integer parameter.
  void noteFlagTest(const Stmt *S) {
    const Expr *Cond = nullptr;
    if (const auto *If = dyn_cast<IfStmt>(S))
      Cond = If->getCond();
    else if (const auto *CO = dyn_cast<ConditionalOperator>(S))
      Cond = CO->getCond();
    while (Cond) {
      Cond = Cond->IgnoreParenImpCasts();
      const auto *UO = dyn_cast<UnaryOperator>(Cond);
      if (!UO || UO->getOpcode() != UO_LNot)
        break;
      Cond = UO->getSubExpr();
    }
    const auto *DRE = dyn_cast_or_null<DeclRefExpr>(Cond);
    const auto *P = DRE ? dyn_cast<ParmVarDecl>(DRE->getDecl()) : nullptr;
    if (P && P->getType()->isIntegralOrEnumerationType() &&
        P->getFunctionScopeIndex() < 32)
      Facts.FlagParams |= 1u << P->getFunctionScopeIndex();
  }

  /// `&VD` as UO, whose effective parent is P: a direct call's argument,
  /// or anything else.
  void noteAddrUse(const VarDecl *VD, const UnaryOperator *UO, const Stmt *P) {
    if (Facts.AddrOther.count(VD))
      return;
    if (const auto *CE = dyn_cast_or_null<CallExpr>(P))
      if (CE->getDirectCallee())
        for (unsigned A = 0, N = CE->getNumArgs(); A < N; ++A)
          if (CE->getArg(A)->IgnoreParenCasts() == UO) {
            Facts.AddrArgs[VD].push_back({CE, A});
            return;
          }
    Facts.AddrOther.insert(VD);
    Facts.AddrArgs.erase(VD);
  }

  FunctionCollector &Collect;
  BodyFacts &Facts;
  llvm::SmallVector<Item, 32> Stack;
};

bool BodyWalker::visit(const Item &I) {
  Stmt *S = I.S;
  if (isa<Expr>(S))
    noteFull(S, I.EffParent);
  // Children of parentheses and casts share their effective parent.
  const Stmt *KidsEff = isa<ParenExpr>(S) || isa<CastExpr>(S) ? I.EffParent : S;
  switch (S->getStmtClass()) {
  case Stmt::CompoundStmtClass:
    if (isa_and_nonnull<StmtExpr>(I.Parent))
      Facts.StmtExprBodies.insert(S);
    pushChildren(S, KidsEff, cast<CompoundStmt>(S)->body());
    return true;
  case Stmt::BreakStmtClass:
  case Stmt::ContinueStmtClass:
  case Stmt::GotoStmtClass:
    ++Facts.Jumps;
    break;
  case Stmt::IfStmtClass:
  case Stmt::ForStmtClass:
  case Stmt::WhileStmtClass:
  case Stmt::DoStmtClass:
  case Stmt::SwitchStmtClass:
  case Stmt::ConditionalOperatorClass:
    noteCondition(S);
    noteFlagTest(S);
    break;
  case Stmt::NullStmtClass:
  case Stmt::CaseStmtClass:
  case Stmt::DefaultStmtClass:
  case Stmt::LabelStmtClass:
  case Stmt::ConstantExprClass:
  case Stmt::IntegerLiteralClass:
  case Stmt::FloatingLiteralClass:
  case Stmt::CharacterLiteralClass:
  case Stmt::StringLiteralClass:
  case Stmt::MemberExprClass:
  case Stmt::ArraySubscriptExprClass:
  case Stmt::StmtExprClass:
    break;
  // The commonest kinds without Stmt::children()'s dispatch: the same
  // children in the same order.
  case Stmt::ReturnStmtClass:
    ++Facts.Jumps;
    push(cast<ReturnStmt>(S)->getRetValue(), S, KidsEff);
    return true;
  case Stmt::ImplicitCastExprClass:
  case Stmt::ParenExprClass:
    // Never queued (push() goes through them) but as a walk's root.
    break;
  case Stmt::BinaryOperatorClass:
  case Stmt::CompoundAssignOperatorClass:
    if (cast<BinaryOperator>(S)->isLogicalOp() && Facts.NeverFold)
      Facts.NeverFold = conditionNeverFolds(cast<BinaryOperator>(S));
    push(cast<BinaryOperator>(S)->getLHS(), S, KidsEff);
    push(cast<BinaryOperator>(S)->getRHS(), S, KidsEff);
    return true;
  case Stmt::DeclRefExprClass: {
    auto *DRE = cast<DeclRefExpr>(S);
    if (DRE->hasQualifier() || DRE->hasExplicitTemplateArgs())
      return false;
    Collect.noteFunctionValue(DRE);
    return true;
  }
  case Stmt::CallExprClass: {
    auto *CE = cast<CallExpr>(S);
    // The usual callee, `f` decayed to a pointer: getDirectCallee() without
    // its search. The visitor notes nothing in it (a callee is no function
    // value), so the walk need not go there either.
    const FunctionDecl *Callee = nullptr;
    auto *ICE = dyn_cast<ImplicitCastExpr>(CE->getCallee());
    auto *DRE = ICE ? dyn_cast<DeclRefExpr>(ICE->getSubExpr()) : nullptr;
    if (DRE) {
      if (DRE->hasQualifier() || DRE->hasExplicitTemplateArgs())
        return false;
      Callee = dyn_cast<FunctionDecl>(DRE->getDecl());
    } else {
      Callee = CE->getDirectCallee();
      push(CE->getCallee(), S, KidsEff);
    }
    // A ts_run callback runs before the call returns: summarised first
    // (ScopeFills.cpp).
    if (const FunctionDecl *Target = Collect.noteRun(CE, Callee))
      Facts.Callees.push_back(Target->getFirstDecl());
    if (Callee)
      Facts.Callees.push_back(Callee->getFirstDecl());
    CallModel M = Collect.Models.get(Callee);
    if (M.Kind != CallKind::Unknown)
      Facts.UsesTsmem = true;
    if (M.Kind == CallKind::Free && M.ConsumedArg < CE->getNumArgs() &&
        isa<ArraySubscriptExpr>(
            CE->getArg(M.ConsumedArg)->IgnoreParenImpCasts()))
      Facts.FreesElement = true;
    if (M.Kind == CallKind::ScopeBegin)
      Facts.ScopeBeginParents[CE] = I.EffParent;
    if (isa_and_nonnull<IfStmt, WhileStmt, DoStmt, ForStmt, SwitchStmt>(
            I.EffParent))
      Facts.TestedCalls.insert(CE);
    // A plain CallExpr has no pre-arguments: its children are the callee
    // and the arguments.
    for (Expr *Arg : CE->arguments())
      push(Arg, S, KidsEff);
    return true;
  }
  case Stmt::UnaryOperatorClass: {
    auto *UO = cast<UnaryOperator>(S);
    if (UO->getOpcode() == UO_AddrOf)
      if (auto *DRE =
              dyn_cast<DeclRefExpr>(UO->getSubExpr()->IgnoreParenImpCasts()))
        if (auto *VD = dyn_cast<VarDecl>(DRE->getDecl())) {
          Facts.AddrTaken.insert(VD);
          noteAddrUse(VD, UO, I.EffParent);
        }
    push(UO->getSubExpr(), S, KidsEff);
    return true;
  }
  case Stmt::CStyleCastExprClass:
    if (!isPlainType(cast<CStyleCastExpr>(S)->getTypeInfoAsWritten()))
      return false;
    push(cast<CStyleCastExpr>(S)->getSubExpr(), S, KidsEff);
    return true;
  case Stmt::CompoundLiteralExprClass:
    if (!isPlainType(cast<CompoundLiteralExpr>(S)->getTypeSourceInfo()))
      return false;
    push(cast<CompoundLiteralExpr>(S)->getInitializer(), S, KidsEff);
    return true;
  case Stmt::UnaryExprOrTypeTraitExprClass: {
    auto *UE = cast<UnaryExprOrTypeTraitExpr>(S);
    if (UE->isArgumentType() && !isPlainType(UE->getArgumentTypeInfo()))
      return false;
    break;
  }
  case Stmt::InitListExprClass: {
    // The visitor walks the syntactic form, ParentMap the semantic one:
    // fine when both hold the same expressions.
    auto *ILE = cast<InitListExpr>(S);
    const InitListExpr *Syn = ILE;
    if (ILE->isSemanticForm() && ILE->getSyntacticForm())
      Syn = ILE->getSyntacticForm();
    if (Syn != ILE && (Syn->getNumInits() != ILE->getNumInits() ||
                       !std::equal(Syn->begin(), Syn->end(), ILE->begin())))
      return false;
    break;
  }
  case Stmt::DeclStmtClass:
    for (const Decl *D : cast<DeclStmt>(S)->decls()) {
      const auto *VD = dyn_cast<VarDecl>(D);
      if (!VD || VD->getKind() != Decl::Var || VD->isImplicit() ||
          VD->getQualifierLoc() || !isPlainType(VD->getTypeSourceInfo()) ||
          !hasPlainAttrs(VD))
        return false;
      ++Facts.Vars;
      // A cleanup function runs at the end of the variable's scope: a
      // callee (CleanupVars.cpp).
      if (const auto *CA = VD->getAttr<CleanupAttr>())
        if (const FunctionDecl *Fn = CA->getFunctionDecl())
          Facts.Callees.push_back(Fn->getFirstDecl());
    }
    break;
  default:
    return false;
  }
  pushChildren(S, KidsEff, S->children());
  return true;
}

bool FunctionCollector::TraverseFunctionDecl(FunctionDecl *FD) {
  // The parts of a declaration other than its body must hold no expression.
  auto FTL =
      FD->getTypeSourceInfo()
          ? FD->getTypeSourceInfo()->getTypeLoc().getAs<FunctionProtoTypeLoc>()
          : FunctionProtoTypeLoc();
  bool HasBody = FD->doesThisDeclarationHaveABody();
  bool Plain = (!HasBody || FD->getBody()) && FTL && !FD->getQualifierLoc() &&
               isPlainTypeLoc(FTL.getReturnLoc()) &&
               FTL.getNumParams() == FD->getNumParams() && hasPlainAttrs(FD);
  for (unsigned I = 0; Plain && I < FTL.getNumParams(); ++I) {
    const ParmVarDecl *P = FTL.getParam(I);
    Plain = P && !P->hasDefaultArg() && isPlainType(P->getTypeSourceInfo()) &&
            hasPlainAttrs(P);
  }
  if (!Plain)
    return Base::TraverseFunctionDecl(FD);
  // A prototype (the headers' many): nothing there for the visitor.
  if (!HasBody) {
    VisitFunctionDecl(FD);
    return true;
  }
  auto Facts = std::make_unique<BodyFacts>();
  if (!BodyWalker(*this, *Facts).walk(FD->getBody()))
    // What the walker noted is a part of what the visitor notes again.
    return Base::TraverseFunctionDecl(FD);
  size_t N = Functions.size();
  VisitFunctionDecl(FD);
  if (Functions.size() != N) {
    Facts->Known = true;
    this->Facts.back() = std::move(Facts);
  }
  return true;
}

} // namespace

CollectedFunctions collectFunctions(ASTContext &Ctx, CallModels &Models) {
  FunctionCollector Collect(Ctx.getSourceManager(), Models);
  Collect.TraverseDecl(Ctx.getTranslationUnitDecl());
  return std::move(static_cast<CollectedFunctions &>(Collect));
}

} // namespace tsmem
