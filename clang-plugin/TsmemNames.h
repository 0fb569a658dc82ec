//===- TsmemNames.h - Whether a translation unit can mention tsmem --------===//
//
// The plugin's walks over function bodies (the ownership analysis'
// collector, the call-site list) find nothing in code that names no tsmem
// function, type or annotation. That is told from the identifier table in
// one pass over it, without a walk over the AST: every name the AST holds
// was an identifier first.
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_CLANG_PLUGIN_TSMEMNAMES_H
#define TSMEM_CLANG_PLUGIN_TSMEMNAMES_H

#include "clang/Basic/IdentifierTable.h"
#include "llvm/ADT/StringRef.h"

namespace tsmem {

/// False only when no identifier of the translation unit is spelled ts_...
/// (tsmem.h's functions and types, ts_run, the calls that make tensors) or
/// annotate (TS_OWNED, TS_CONSUMES, TS_SCOPED and TS_CALLER_SCOPE are
/// annotations): then no function calls anything tsmem models, none is a
/// scope, none takes a tensor. True when unsure: identifiers of a
/// precompiled header or module are read only when looked up.
inline bool mayMentionTsmem(const clang::IdentifierTable &Idents) {
  if (Idents.getExternalIdentifierLookup())
    return true;
  for (const auto &Entry : Idents) {
    llvm::StringRef Name = Entry.getKey();
    if (Name.starts_with("ts_") || Name == "annotate" || Name == "__annotate__")
      return true;
  }
  return false;
}

} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_TSMEMNAMES_H
