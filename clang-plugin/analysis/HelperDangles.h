//===- HelperDangles.h - Helpers that free a field and leave it set -------===//
#ifndef TSMEM_CLANG_PLUGIN_HELPERDANGLES_H
#define TSMEM_CLANG_PLUGIN_HELPERDANGLES_H

#include "FunctionAnalysis.h"

namespace tsmem {

/// A double free reported at a helper's free of a field its caller's
/// teardown frees again (HelperDangles.cpp).
void checkHelperDangles(const clang::FunctionDecl *FD, BodyScope Scope,
                        CallModels &Models, clang::ASTContext &Ctx,
                        Findings &Out);

} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_HELPERDANGLES_H
