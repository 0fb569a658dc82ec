// RUN: %clang -fsyntax-only %tsmem -fdiagnostics-parseable-fixits %s 2>&1 | FileCheck %s
// RUN: cp %s %t.c
// RUN: %clang -fsyntax-only %tsmem -Xclang -fixit %t.c 2>/dev/null; true
// RUN: FileCheck %s --check-prefix=FIXED < %t.c
// RUN: %clang -fsyntax-only %tsmem -Werror %t.c
// The unescaped-return fix-it wraps the value in ts_escape(); the fixed
// file compiles without a diagnostic.
#include <tsmem.h>

ts_tensor *f(const ts_tensor *x) {
  TS_SCOPE_GUARD();
  ts_tensor *t = ts_relu(x);
  return ts_mul(t, t);
}
// CHECK: warning: returning a tensor owned by a scope {{.*}}[tsmem-unescaped-return]
// CHECK: fix-it:"{{.*}}":{13:10-13:10}:"ts_escape("
// CHECK: fix-it:"{{.*}}":{13:22-13:22}:")"
// FIXED: return ts_escape(ts_mul(t, t));
