// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// RUN: %clang %tsmem -E %s -o %t.i
// RUN: %clang -fsyntax-only %tsmem -Wno-unused-command-line-argument %t.i 2>&1 | FileCheck %s --implicit-check-not=warning:
// `// tsmem: ignore [CHECK[,CHECK]]` on the finding's line, or alone on the
// line before it, silences that finding (all checks when none is named).
// In a preprocessed file (comments gone) the source's comments still count.
#include <tsmem.h>

void named(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  (void)t;
} // tsmem: ignore leak (handed to the C++ side through a global)

void all_checks(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  (void)t;
} // tsmem: ignore

void line_before(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  ts_free(t);
  // tsmem: ignore tsmem-use-after-free, double-free
  ts_free(t);
}

void other_check(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x); // expected-note {{made here}}
  (void)t;
} // tsmem: ignore use-after-free
// expected-warning@-1 {{[tsmem-leak]}}
// CHECK: ignore-comment.c:[[@LINE-2]]:1: warning: {{.*}}[tsmem-leak]

void code_before(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  ts_free(t); // expected-note {{freed here}} tsmem: ignore
  ts_free(t); // expected-warning {{[tsmem-double-free]}}
}
// CHECK: ignore-comment.c:[[@LINE-2]]:3: warning: {{.*}}[tsmem-double-free]

void ignored_word(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x); // expected-note {{made here}}
  (void)t;
} // tsmem: ignored is not the marker
// expected-warning@-1 {{[tsmem-leak]}}
// CHECK: ignore-comment.c:[[@LINE-2]]:1: warning: {{.*}}[tsmem-leak]
