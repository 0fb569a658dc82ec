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
//===----------------------------------------------------------------------===//
#include "clang/AST/Attr.h"
#include "clang/Basic/ParsedAttrInfo.h"
#include "clang/Sema/ParsedAttr.h"
#include "clang/Sema/Sema.h"

using namespace clang;

namespace {

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

} // namespace

static ParsedAttrInfoRegistry::Add<TsmemPluginAttrInfo> TsmemPluginAttr(
    "tsmem_plugin",
    "tells tsmem.h (__has_attribute) that the plugin is loaded");
