//===- PluginOptions.h - Arguments of the tsmem Clang plugin ----*- C++ -*-===//
//
// What `-fplugin-arg-tsmem-...` set for one compile, shared by the parts of
// the plugin. Check names are the bracketed names in the diagnostics.
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_CLANG_PLUGIN_PLUGINOPTIONS_H
#define TSMEM_CLANG_PLUGIN_PLUGINOPTIONS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/StringSet.h"

#include <cstdint>
#include <string>

namespace tsmem {

/// Every check the analysis knows, in SPEC.md section 5 order.
/// (Checks.def holds the table.)
inline constexpr llvm::StringLiteral AllChecks[] = {
#define TSMEM_CHECK(Enum, Name, SarifId, Short, Full, Help) Name,
#include "Checks.def"
};

struct PluginOptions {
  /// Checks turned off with -fplugin-arg-tsmem-disable=CHECK[,CHECK].
  llvm::StringSet<> DisabledChecks;
  /// Checks reported as errors: -fplugin-arg-tsmem-error=CHECK[,CHECK].
  llvm::StringSet<> ErrorChecks;
  /// Checks that stay warnings under -Werror:
  /// -fplugin-arg-tsmem-no-error=CHECK[,CHECK].
  llvm::StringSet<> NoErrorChecks;
  /// -fplugin-arg-tsmem-sarif=FILE: the findings as SARIF 2.1.0 (Sarif.h).
  std::string SarifFile;

  /// -fplugin-arg-tsmem-analysis-budget=N: the most steps the analysis of
  /// one function may take before it gives up on it with a remark. 0: the
  /// TSMEM_ANALYSIS_BUDGET environment variable's, or DefaultAnalysisBudget.
  uint64_t AnalysisBudget = 0;
  static constexpr uint64_t DefaultAnalysisBudget = 2000000;

  bool isEnabled(llvm::StringRef Check) const {
    return !DisabledChecks.contains(Check);
  }
  bool anyCheckEnabled() const {
    for (llvm::StringRef Check : AllChecks)
      if (isEnabled(Check))
        return true;
    return false;
  }
};

} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_PLUGINOPTIONS_H
