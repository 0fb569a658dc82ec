// RUN: %clang -fsyntax-only -Xclang -verify %tsmem -Werror -Wunused-variable %s
// RUN: not %clang -fsyntax-only %tsmem -Werror %s 2>&1 | FileCheck %s
// -Werror makes tsmem's warnings errors, like Clang's own.
#include <tsmem.h>

double f(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  ts_free(t); // expected-note {{freed here}}
  return ts_item(t); // expected-error {{[tsmem-use-after-free]}}
}
// CHECK: error: use of a tensor after it was freed [tsmem-use-after-free]

// A clang warning made an error by -Werror does not stop the analysis.
// RUN: not %clang -fsyntax-only %tsmem -Werror -Wunused-variable %s 2>&1 | FileCheck %s --check-prefix=BOTH
// BOTH-DAG: error: unused variable 'unused'
// BOTH-DAG: error: use of a tensor after it was freed [tsmem-use-after-free]
int g(void) {
  int unused; // expected-error {{unused variable 'unused'}}
  return 0;
}
