//===- TeardownFields.h - Teardowns that clear a field they never freed -*-===//
//
// A teardown frees some tensor fields of *p and then clears the whole
// struct, `memset(p, 0, sizeof *p)`: a tensor field it never names is
// overwritten with NULL while it still holds a tensor. Only a field the
// file frees somewhere else (so the struct owns it) and only when the
// function hands p to nothing that could have freed the field.
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_CLANG_PLUGIN_TEARDOWNFIELDS_H
#define TSMEM_CLANG_PLUGIN_TEARDOWNFIELDS_H

#include "FunctionAnalysis.h"

namespace tsmem {

/// Reports to Out each owned tensor field of *p that FD's
/// `memset(p, 0, ...)` clears after FD freed other fields of *p but not it.
void checkTeardownFields(const clang::FunctionDecl *FD, BodyScope Scope,
                         CallModels &Models, clang::ASTContext &Ctx,
                         Findings &Out);

/// The tensor fields the translation unit frees by name, with the
/// functions that free each; scanned once, kept in Models.
const FreedFieldMap &freedFields(CallModels &Models, clang::ASTContext &Ctx);

} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_TEARDOWNFIELDS_H
