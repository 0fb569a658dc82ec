// RUN: %clang -fsyntax-only -Xclang -verify %tsmem -Werror %s
// RUN: not %clang -fsyntax-only %tsmem -Werror %s 2>&1 | FileCheck %s
// -Werror makes tsmem's warnings errors, like Clang's own.
#include <tsmem.h>

double f(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  ts_free(t); // expected-note {{freed here}}
  return ts_item(t); // expected-error {{[tsmem-use-after-free]}}
}
// CHECK: error: use of a tensor after it was freed [tsmem-use-after-free]
