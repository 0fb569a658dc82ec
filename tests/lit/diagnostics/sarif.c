// RUN: %clang -fsyntax-only %tsmem -fdiagnostics-format=sarif %s 2>&1 | FileCheck %s
// The plugin's diagnostics go through the engine, so SARIF carries them.
#include <tsmem.h>

void leak(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  (void)t;
}

// CHECK: "startLine":8
// CHECK-SAME: "message":{"text":"tensor from {{.*}}[tsmem-leak]"}
// CHECK-SAME: "startLine":6
// CHECK-SAME: "message":{"text":"tensor made here, outside any scope"}
