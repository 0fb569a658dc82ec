//===- TuGeneration.h - Which translation unit is being analysed -*- C++
//-*-===//
//
// Caches that live for one translation unit compare this number, not the
// ASTContext's address: one clang process can compile several files
// (`clang -c a.c b.c` runs them in-process) and a new ASTContext may be
// allocated where the old one was, with stale declarations in the cache.
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_ANALYSIS_TUGENERATION_H
#define TSMEM_ANALYSIS_TUGENERATION_H

namespace tsmem {

/// Starts a new translation unit's analysis (runOwnershipAnalysis).
void beginTranslationUnit();

/// A number that differs between translation units of one process.
unsigned translationUnitGeneration();

} // namespace tsmem

#endif
