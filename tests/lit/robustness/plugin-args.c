// An unknown -fplugin-arg-tsmem-* (issue 20): one error naming it and the
// valid ones; TS_SCOPE still works (no "needs the tsmem Clang plugin" error
// at each one), nothing else is said.
// RUN: not %clang -fsyntax-only %tsmem -Xclang -plugin-arg-tsmem -Xclang bogus %s 2>&1 | FileCheck %s --check-prefix=ARG --implicit-check-not=error: --implicit-check-not=warning:
// ARG: error: tsmem plugin: unknown argument '-fplugin-arg-tsmem-bogus'; the arguments are -fplugin-arg-tsmem-disable=CHECK[,CHECK], -fplugin-arg-tsmem-error=CHECK[,CHECK], -fplugin-arg-tsmem-no-error=CHECK[,CHECK], -fplugin-arg-tsmem-sarif=FILE, -fplugin-arg-tsmem-analysis-budget=N and -fplugin-arg-tsmem-version; CHECK is one of tsmem-unescaped-return, tsmem-use-after-scope, tsmem-leak, tsmem-use-after-free, tsmem-double-free
// ARG: 1 error generated.
// RUN: not %clang -fsyntax-only %tsmem -fplugin-arg-tsmem-disable=leak,nonsense %s 2>&1 | FileCheck %s --check-prefix=CHECK --implicit-check-not=error: --implicit-check-not=warning:
// CHECK: error: tsmem plugin: unknown check 'nonsense' in -fplugin-arg-tsmem-disable; the checks are
// CHECK: 1 error generated.
#include <tsmem.h>

void f(const ts_tensor *x) {
  TS_SCOPE { (void)ts_item(ts_sum(x)); }
  TS_SCOPE for (int i = 0; i < 2; i++)
    (void)ts_item(ts_sum(x));
  TS_SCOPE while (ts_item(ts_sum(x)) < 0)
    ;
}

void leaks(const ts_tensor *x) { (void)ts_item(ts_sum(x)); }
