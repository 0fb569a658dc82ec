// RUN: %clang -fsyntax-only -Xclang -verify=plain %tsmem %s
// RUN: %clang -fsyntax-only -Xclang -verify=err %tsmem -fplugin-arg-tsmem-error=use-after-free,tsmem-double-free %s
// RUN: %clang -fsyntax-only -Xclang -verify=werr %tsmem -Werror -fplugin-arg-tsmem-no-error=leak %s
// RUN: %clang -fsyntax-only -Xclang -verify=werr %tsmem -Werror -fplugin-arg-tsmem-no-error=tsmem-leak -fplugin-arg-tsmem-error=use-after-free %s
// RUN: not %clang -fsyntax-only %tsmem -fplugin-arg-tsmem-error=leaks %s 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not %clang -fsyntax-only %tsmem -fplugin-arg-tsmem-no-error= %s 2>&1 | FileCheck %s --check-prefix=EMPTY
// Per-check control: -fplugin-arg-tsmem-error=CHECK makes those checks
// errors; -fplugin-arg-tsmem-no-error=CHECK keeps them warnings under -Werror.
#include <tsmem.h>

double after_free(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  ts_free(t); // plain-note {{freed here}} err-note {{freed here}} werr-note {{freed here}}
  return ts_item(t); // plain-warning {{[tsmem-use-after-free]}} err-error {{[tsmem-use-after-free]}} werr-error {{[tsmem-use-after-free]}}
}

void leaks(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x); // plain-note {{made here}} err-note {{made here}} werr-note {{made here}}
  (void)t;
} // plain-warning {{[tsmem-leak]}} err-warning {{[tsmem-leak]}} werr-warning {{[tsmem-leak]}}

void twice(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  ts_free(t); // plain-note {{freed here}} err-note {{freed here}} werr-note {{freed here}}
  ts_free(t); // plain-warning {{[tsmem-double-free]}} err-error {{[tsmem-double-free]}} werr-error {{[tsmem-double-free]}}
}
// BAD: error: tsmem plugin: unknown check 'leaks' in -fplugin-arg-tsmem-error; the checks are
// EMPTY: error: tsmem plugin: -fplugin-arg-tsmem-no-error needs a check name
