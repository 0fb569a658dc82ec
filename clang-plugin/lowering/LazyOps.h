//===- LazyOps.h - <tsmem/ops.h>'s declarations, made on first use -*- C++
//-*-===//
//
// With the plugin, <tsmem/ops.h> declares none of its 2,000-odd functions:
// it defines TS__OPS_LAZY, and the plugin declares an operator when a
// lookup of its name fails (as Clang declares library builtins), from the
// table gen_ops.py generates beside the header. A file that calls ten
// operators parses ten declarations, not all of them.
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_CLANG_PLUGIN_LAZYOPS_H
#define TSMEM_CLANG_PLUGIN_LAZYOPS_H

#include <memory>

namespace clang {
class ASTConsumer;
} // namespace clang

namespace tsmem {

/// A consumer that does nothing but install, when Sema starts, the source
/// that declares <tsmem/ops.h>'s functions on demand.
std::unique_ptr<clang::ASTConsumer> createLazyOps();

} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_LAZYOPS_H
