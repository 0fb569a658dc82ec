//===- StoredOutside.h - Scope tensors stored where they outlive it -*- C++
//-*-===//
//
// Shared by ScopedStores.cpp (a store in the function) and StoreArgs.cpp
// (a store by a same-file helper): whether something in the function may
// take the stored tensor out of the scope's reach, or the target out of
// use, so that the store is no evidence of a bug.
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_CLANG_PLUGIN_STOREDOUTSIDE_H
#define TSMEM_CLANG_PLUGIN_STOREDOUTSIDE_H

#include "OwnershipModel.h"

#include "clang/AST/Decl.h"
#include "clang/Basic/SourceManager.h"

namespace tsmem {
namespace ownership {

/// Store: the assignment's left side, or the helper's call (Callee); Stored:
/// the variable stored (null: read from the assignment); Base: the pointer
/// the target is reached through; F: the target's field (null: an element
/// of Base); Region: the scope's key (its guard variable).
bool rescuedLater(const clang::Stmt *Store, const clang::Decl *Stored,
                  const clang::VarDecl *Base, const clang::FieldDecl *F,
                  const clang::FunctionDecl *Callee, const void *Region,
                  const clang::FunctionDecl *FD, CallModels &Models,
                  const clang::SourceManager &SM);

} // namespace ownership
} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_STOREDOUTSIDE_H
