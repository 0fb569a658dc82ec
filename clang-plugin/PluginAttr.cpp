//===- PluginAttr.cpp - The attribute that tells tsmem.h the plugin is in -===//
//
// tsmem.h must know whether the plugin is loaded, in every mode clang runs
// in: a compile, but also `clang -E` (ccache's preprocessor mode, distcc's
// local preprocessing, -save-temps) and clang-tidy with tsmem-tidy.so.
// __TSMEM_PLUGIN__ is defined only by the plugin's AST action, which -E
// never runs. An attribute registered in clang's ParsedAttrInfo registry is
// visible to `__has_attribute` as soon as the plugin library is loaded,
// preprocessing included, so tsmem.h tests
// `__has_attribute(tsmem_plugin)`.
//
// The attribute itself marks a declaration as tsmem's: it becomes
// annotate("tsmem.plugin"), which nothing reads. It exists to be asked for.
//
// tsmem_scoped is TS_SCOPED under the plugin: annotate("tsmem.scope"), put
// on when ScopedAttr.h says.
//
//===----------------------------------------------------------------------===//
#include "ScopedAttr.h"

#include "clang/AST/Attr.h"
#include "clang/AST/Decl.h"
#include "clang/Basic/ParsedAttrInfo.h"
#include "clang/Sema/ParsedAttr.h"
#include "clang/Sema/Sema.h"
#include "llvm/ADT/DenseSet.h"

#include <vector>

using namespace clang;

namespace {

/// A TS_SCOPED mark not on its declaration yet: Index is how many
/// attributes the declaration had when the mark was read, so that it goes
/// where annotate() would have put it.
struct PendingMark {
  Decl *D;
  AnnotateAttr *A;
  unsigned Index;
};

/// The marks waiting for their top-level declaration's end, while a
/// ScopedAttrs consumer lives (a compile with the plugin); else null.
std::vector<PendingMark> *Pending = nullptr;

class ScopedAttrs : public ASTConsumer {
  std::vector<PendingMark> Marks;

public:
  ScopedAttrs() { Pending = &Marks; }
  ~ScopedAttrs() override {
    if (Pending == &Marks)
      Pending = nullptr;
  }

  bool HandleTopLevelDecl(DeclGroupRef) override {
    flush();
    return true;
  }
  void HandleTranslationUnit(ASTContext &) override { flush(); }

private:
  void flush() {
    for (const PendingMark &M : Marks) {
      if (!M.D->hasAttrs()) {
        M.D->addAttr(M.A);
        continue;
      }
      // Inherited attributes go first (Decl::addAttr); then the marked
      // declaration's own, in the order they were read.
      AttrVec &Attrs = M.D->getAttrs();
      auto It = Attrs.begin();
      while (It != Attrs.end() && (*It)->isInherited())
        ++It;
      for (unsigned I = 0; I < M.Index && It != Attrs.end(); ++I)
        ++It;
      Attrs.insert(It, M.A);
    }
    Marks.clear();
  }
};

struct TsmemPluginAttrInfo : public ParsedAttrInfo {
  TsmemPluginAttrInfo() {
    static constexpr Spelling S[] = {{ParsedAttr::AS_GNU, "tsmem_plugin"},
                                     {ParsedAttr::AS_C23, "tsmem::plugin"},
                                     {ParsedAttr::AS_CXX11, "tsmem::plugin"}};
    Spellings = S;
  }

  AttrHandling handleDeclAttribute(Sema &S, Decl *D,
                                   const ParsedAttr &Attr) const override {
    D->addAttr(AnnotateAttr::Create(S.Context, "tsmem.plugin", nullptr, 0,
                                    Attr.getRange()));
    return AttributeApplied;
  }
};

/// The functions whose mark was taken off (canonical declarations), while a
/// ScopedMarkRemover lives; else null.
const llvm::DenseSet<const Decl *> *TakenOff = nullptr;

class ScopedMarkRemover : public ASTConsumer {
  std::shared_ptr<tsmem::SourceSites> Sites;
  llvm::DenseSet<const Decl *> Removed;

public:
  explicit ScopedMarkRemover(std::shared_ptr<tsmem::SourceSites> Sites)
      : Sites(std::move(Sites)) {
    TakenOff = &Removed;
  }
  ~ScopedMarkRemover() override {
    if (TakenOff == &Removed)
      TakenOff = nullptr;
  }

  bool HandleTopLevelDecl(DeclGroupRef DG) override {
    for (Decl *D : DG)
      if (auto *FD = dyn_cast<FunctionDecl>(D))
        takeOff(FD);
    return true;
  }

private:
  /// Only the mark as the definition's one attribute: then the function has
  /// none left (no attribute look-ups in code generation) and its symbol is
  /// its name (no asm label, no overloading, no versions).
  void takeOff(FunctionDecl *FD) {
    if (!FD->doesThisDeclarationHaveABody() || !FD->getIdentifier() ||
        !FD->hasAttrs() || FD->getAttrs().size() != 1)
      return;
    const auto *A = dyn_cast<AnnotateAttr>(FD->getAttrs().front());
    if (!A || A->isInherited() || A->args_size() ||
        A->getAnnotation() != "tsmem.scope")
      return;
    FD->dropAttrs();
    Removed.insert(FD->getCanonicalDecl());
    tsmem::SourceFunction &Entry = (*Sites)[FD->getName()];
    Entry.Name = FD->getName();
    Entry.Scoped = true;
  }
};

struct TsmemScopedAttrInfo : public ParsedAttrInfo {
  TsmemScopedAttrInfo() {
    static constexpr Spelling S[] = {{ParsedAttr::AS_GNU, "tsmem_scoped"}};
    Spellings = S;
  }

  AttrHandling handleDeclAttribute(Sema &S, Decl *D,
                                   const ParsedAttr &Attr) const override {
    auto *A = AnnotateAttr::Create(S.Context, "tsmem.scope", nullptr, 0,
                                   Attr.getRange());
    // C++ instantiates templates from their pattern's attributes, maybe
    // before the pattern's declaration is over: the mark goes on at once.
    if (Pending && !S.getLangOpts().CPlusPlus) {
      Pending->push_back(
          {D, A, D->hasAttrs() ? unsigned(D->getAttrs().size()) : 0u});
      return AttributeApplied;
    }
    D->addAttr(A);
    return AttributeApplied;
  }
};

} // namespace

std::unique_ptr<ASTConsumer> tsmem::createScopedAttrs() {
  return std::make_unique<ScopedAttrs>();
}

std::unique_ptr<ASTConsumer>
tsmem::createScopedMarkRemover(std::shared_ptr<SourceSites> Sites) {
  return std::make_unique<ScopedMarkRemover>(std::move(Sites));
}

bool tsmem::markTakenOff(const FunctionDecl *FD) {
  return TakenOff && !TakenOff->empty() &&
         TakenOff->count(FD->getCanonicalDecl());
}

static ParsedAttrInfoRegistry::Add<TsmemScopedAttrInfo>
    TsmemScopedAttr("tsmem_scoped", "TS_SCOPED under the plugin");
static ParsedAttrInfoRegistry::Add<TsmemPluginAttrInfo> TsmemPluginAttr(
    "tsmem_plugin",
    "tells tsmem.h (__has_attribute) that the plugin is loaded");
