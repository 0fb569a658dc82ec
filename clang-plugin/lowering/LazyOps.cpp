//===- LazyOps.cpp - <tsmem/ops.h>'s declarations, made on first use ------===//
//
// Parsing <tsmem/ops.h>'s 2,199 prototypes costs Clang about 150 million
// instructions, more than the rest of a 300-line file's -O0 compile (issue
// 11). Under the plugin the header declares nothing but TS__OPS_LAZY; when
// Sema fails to find a name, it asks its external sources (as it asks for
// library builtins), and this one declares the operator of that name, with
// the declaration the full header would have given: same type, parameter
// names, TS_OWNED, tsmem's own mark ("tsmem.runtime") and default
// visibility. It answers only while TS__OPS_LAZY is defined, that is after
// the #include, as the full header would.
//
// The table (ops_lazy.inc, generated with the header by
// tools/gen-ops/gen_ops.py) is sorted by name; each entry gives the result
// (t: ts_tensor *, s: ts_status), one letter per parameter type and the
// parameter names.
//
//===----------------------------------------------------------------------===//
#include "LazyOps.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Attr.h"
#include "clang/AST/Decl.h"
#include "clang/Lex/MacroInfo.h"
#include "clang/Lex/Preprocessor.h"
#include "clang/Sema/ExternalSemaSource.h"
#include "clang/Sema/Lookup.h"
#include "clang/Sema/Sema.h"
#include "clang/Sema/SemaConsumer.h"
#include "llvm/ADT/StringRef.h"

#include <algorithm>
#include <cstring>

using namespace clang;

namespace {

struct LazyOp {
  const char *Name;
  bool Owned;         // TS_OWNED: returns a new tensor
  char Result;        // 't': ts_tensor *, 's': ts_status
  const char *Types;  // one letter per parameter (typeOf)
  const char *Params; // the parameter names, comma-separated
};

const LazyOp Ops[] = {
#include "ops_lazy.inc"
};

const LazyOp *findOp(llvm::StringRef Name) {
  const LazyOp *End = std::end(Ops);
  const LazyOp *It = std::lower_bound(std::begin(Ops), End, Name,
                                      [](const LazyOp &Op, llvm::StringRef N) {
                                        return N.compare(Op.Name) > 0;
                                      });
  return It != End && Name == It->Name ? It : nullptr;
}

class LazyOpsSource : public ExternalSemaSource {
  Sema &S;
  IdentifierInfo *Marker;
  bool Busy = false; // looking up a type name for a declaration
  QualType Tensor, Dtype, Status, Int64;

public:
  explicit LazyOpsSource(Sema &S)
      : S(S), Marker(S.getPreprocessor().getIdentifierInfo("TS__OPS_LAZY")) {}

  bool LookupUnqualified(LookupResult &R, Scope *) override {
    if (Busy || (R.getLookupKind() != Sema::LookupOrdinaryName &&
                 R.getLookupKind() != Sema::LookupRedeclarationWithLinkage))
      return false;
    IdentifierInfo *II = R.getLookupName().getAsIdentifierInfo();
    if (!II || !II->getName().starts_with("ts_"))
      return false;
    const MacroInfo *MI = S.getPreprocessor().getMacroInfo(Marker);
    if (!MI)
      return false; // <tsmem/ops.h> not included (yet)
    const LazyOp *Op = findOp(II->getName());
    if (!Op)
      return false;
    FunctionDecl *FD = declare(*Op, II, MI->getDefinitionLoc());
    if (!FD)
      return false;
    R.addDecl(FD);
    return true;
  }

private:
  QualType typedefType(llvm::StringRef Name) {
    ASTContext &Ctx = S.getASTContext();
    LookupResult R(S, &Ctx.Idents.get(Name), SourceLocation(),
                   Sema::LookupOrdinaryName);
    Busy = true;
    bool Found = S.LookupName(R, S.TUScope);
    Busy = false;
    if (!Found)
      return QualType();
    if (const auto *TD = R.getAsSingle<TypedefNameDecl>())
      return Ctx.getTypedefType(TD);
    return QualType();
  }

  /// tsmem.h's types, found once (ops.h includes tsmem.h before the marker).
  bool types() {
    if (!Tensor.isNull())
      return true;
    Tensor = typedefType("ts_tensor");
    Dtype = typedefType("ts_dtype");
    Status = typedefType("ts_status");
    Int64 = typedefType("int64_t");
    if (Tensor.isNull() || Dtype.isNull() || Status.isNull() ||
        Int64.isNull()) {
      Tensor = QualType();
      return false;
    }
    return true;
  }

  QualType typeOf(char C) {
    ASTContext &Ctx = S.getASTContext();
    auto Ptr = [&](QualType T) { return Ctx.getPointerType(T); };
    auto ConstPtr = [&](QualType T) {
      return Ctx.getPointerType(T.withConst());
    };
    switch (C) {
    case 'T':
      return ConstPtr(Tensor); // const ts_tensor *
    case 'L':
      return Ptr(ConstPtr(Tensor).withConst()); // const ts_tensor *const *
    case 'i':
      return Int64;
    case 'n':
      return Ctx.IntTy;
    case 'b':
      return Ctx.BoolTy;
    case 'd':
      return Ctx.DoubleTy;
    case 'D':
      return Dtype;
    case 's':
      return ConstPtr(Ctx.CharTy); // const char *
    case 'I':
      return ConstPtr(Int64);
    case 'F':
      return ConstPtr(Ctx.DoubleTy);
    case 'B':
      return ConstPtr(Ctx.BoolTy);
    case 'O':
      return Ptr(Ptr(Tensor)); // ts_tensor **
    case 'p':
      return Ptr(Ctx.IntTy);
    case 'x':
      return Ptr(Ctx.BoolTy);
    case 'y':
      return Ptr(Int64);
    case 'z':
      return Ptr(Ctx.DoubleTy);
    case 'w':
      return Ptr(Dtype);
    }
    return QualType();
  }

  FunctionDecl *declare(const LazyOp &Op, IdentifierInfo *II,
                        SourceLocation Loc) {
    if (!types())
      return nullptr;
    ASTContext &Ctx = S.getASTContext();
    llvm::SmallVector<QualType, 16> ParamTypes;
    for (const char *C = Op.Types; *C; ++C) {
      QualType T = typeOf(*C);
      if (T.isNull())
        return nullptr;
      ParamTypes.push_back(T);
    }
    QualType Result = Op.Result == 't' ? Ctx.getPointerType(Tensor) : Status;
    QualType FT = Ctx.getFunctionType(Result, ParamTypes,
                                      FunctionProtoType::ExtProtoInfo());
    TranslationUnitDecl *TU = Ctx.getTranslationUnitDecl();
    FunctionDecl *FD = FunctionDecl::Create(Ctx, TU, Loc, Loc, II, FT,
                                            /*TInfo=*/nullptr, SC_None);
    llvm::SmallVector<ParmVarDecl *, 16> Params;
    llvm::StringRef Names = Op.Params;
    for (unsigned I = 0; I < ParamTypes.size(); ++I) {
      auto [Name, Rest] = Names.split(',');
      Names = Rest;
      ParmVarDecl *P = ParmVarDecl::Create(
          Ctx, FD, Loc, Loc, &Ctx.Idents.get(Name), ParamTypes[I],
          Ctx.getTrivialTypeSourceInfo(ParamTypes[I], Loc), SC_None, nullptr);
      P->setScopeInfo(0, I);
      Params.push_back(P);
    }
    FD->setParams(Params);
    // What the full header's pragmas and TS_OWNED give each declaration.
    FD->addAttr(VisibilityAttr::CreateImplicit(Ctx, VisibilityAttr::Default,
                                               SourceRange(Loc)));
    if (Op.Owned)
      FD->addAttr(AnnotateAttr::CreateImplicit(Ctx, "tsmem.owned", nullptr, 0,
                                               SourceRange(Loc)));
    FD->addAttr(AnnotateAttr::CreateImplicit(Ctx, "tsmem.runtime", nullptr, 0,
                                             SourceRange(Loc)));
    // Into the translation unit, as Sema::LazilyCreateBuiltin does.
    DeclContext *Saved = S.CurContext;
    S.CurContext = TU;
    S.PushOnScopeChains(FD, S.TUScope);
    S.CurContext = Saved;
    return FD;
  }
};

class LazyOpsInstaller : public SemaConsumer {
public:
  void InitializeSema(Sema &S) override {
    S.addExternalSource(new LazyOpsSource(S));
  }
};

} // namespace

std::unique_ptr<ASTConsumer> tsmem::createLazyOps() {
  return std::make_unique<LazyOpsInstaller>();
}
