// RUN: not %clang -fsyntax-only %tsmem %s 2>&1 | FileCheck %s
// A translation unit with errors is left alone: the errors, no crash and no
// tsmem diagnostic.
#include <tsmem.h>
int f(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x)
  ts_free(t;
}
int g( {
// CHECK: error:
// CHECK-NOT: {{\[}}tsmem-
// CHECK-NOT: {{PLEASE}} submit a bug report
