//===- CallSites.h - Allocation sites for the pass --------------*- C++ -*-===//
//
// An AST consumer that lists, for each function, the calls that make a
// tensor in the order Clang's code generator emits them, with their lines
// (pass/SourceSites.h). It runs before code generation; the pass reads the
// list when the backend pipeline runs.
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_CLANG_PLUGIN_CALLSITES_H
#define TSMEM_CLANG_PLUGIN_CALLSITES_H

#include "SourceSites.h"

#include <memory>

namespace clang {
class ASTConsumer;
} // namespace clang

namespace tsmem {

std::unique_ptr<clang::ASTConsumer>
createCallSiteCollector(std::shared_ptr<SourceSites> Out);

} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_CALLSITES_H
