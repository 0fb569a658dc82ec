//===- TuGeneration.cpp - Which translation unit is being analysed --------===//
#include "TuGeneration.h"

namespace tsmem {

static unsigned Generation = 0;

void beginTranslationUnit() { ++Generation; }

unsigned translationUnitGeneration() { return Generation; }

} // namespace tsmem
