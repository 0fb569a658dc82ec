// RUN: %clang -fsyntax-only %tsmem -isystem %S/Inputs -w %s 2>&1 | FileCheck %s --allow-empty --check-prefix=QUIET
// RUN: %clang -fsyntax-only %tsmem -isystem %S/Inputs -fplugin-arg-tsmem-disable=use-after-free,tsmem-leak %s 2>&1 | FileCheck %s --allow-empty --check-prefix=QUIET
// RUN: %clang -fsyntax-only %tsmem -isystem %S/Inputs -fplugin-arg-tsmem-disable=leak %s 2>&1 | FileCheck %s --check-prefix=UAF
// RUN: %clang -fsyntax-only %tsmem -isystem %S/Inputs -fplugin-arg-tsmem-disable=tsmem-use-after-free %s 2>&1 | FileCheck %s --check-prefix=LEAK
// RUN: %clang -fsyntax-only %tsmem -isystem %S/Inputs %s 2>&1 | FileCheck %s --check-prefix=SYS
// -w silences the checks, -fplugin-arg-tsmem-disable turns some off, and
// code in system headers is never reported on.
#include <tsmem.h>
#include <sys_tensor_helpers.h>

double f(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  ts_free(t);
  double v = ts_item(t);
  ts_tensor *u = ts_relu(x);
  (void)u;
  return v + sys_leaky_helper(x);
}
// QUIET-NOT: warning
// QUIET-NOT: error
// UAF: warning: use of a tensor after it was freed [tsmem-use-after-free]
// UAF-NOT: tsmem-leak
// LEAK-NOT: tsmem-use-after-free
// LEAK: warning: {{.*}} [tsmem-leak]
// LEAK-NOT: tsmem-use-after-free
// SYS-NOT: sys_tensor_helpers.h:{{.*}}warning
// SYS: silence.c:14:22: warning: {{.*}}[tsmem-use-after-free]
// SYS-NOT: sys_tensor_helpers.h:{{.*}}warning
