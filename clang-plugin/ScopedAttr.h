//===- ScopedAttr.h - TS_SCOPED's mark, put on after the body ---*- C++ -*-===//
//
// Under the plugin TS_SCOPED is __attribute__((tsmem_scoped)) (tsmem.h),
// which becomes the same annotate("tsmem.scope") that everything reads (the
// analysis, the placement check, the LLVM pass through the IR). In C it is
// put on the declaration only when the parser hands the top-level
// declaration over, after the body: a function with an attribute makes Sema
// look its attributes up for each call in its body (issue 15: 200 marked
// functions cost about 6 M instructions of parsing). Without this consumer
// (clang-tidy, C++) the mark goes on at once.
//
// Code generation pays the same again, and emits the annotation for the
// pass to find. When the plugin's pass lowers the module in this compile,
// a function definition whose only attribute is the mark has it taken off
// before code generation: the pass finds it in the list of the front end's
// sites instead (SourceSites::Scoped), and the analysis asks
// markTakenOff(). The object file is the same; the IR has no annotation
// for it.
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_CLANG_PLUGIN_SCOPEDATTR_H
#define TSMEM_CLANG_PLUGIN_SCOPEDATTR_H

#include "SourceSites.h"

#include "clang/AST/ASTConsumer.h"

#include <memory>

namespace clang {
class FunctionDecl;
} // namespace clang

namespace tsmem {

/// The consumer that puts the marks on; it goes first among the plugin's,
/// so that all the others see them.
std::unique_ptr<clang::ASTConsumer> createScopedAttrs();

/// The consumer that takes them off again where the pass is told in Sites
/// instead; it goes last among the plugin's, just before code generation.
std::unique_ptr<clang::ASTConsumer>
createScopedMarkRemover(std::shared_ptr<SourceSites> Sites);

/// Whether FD (any of its declarations) was TS_SCOPED and had the mark
/// taken off.
bool markTakenOff(const clang::FunctionDecl *FD);

} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_SCOPEDATTR_H
