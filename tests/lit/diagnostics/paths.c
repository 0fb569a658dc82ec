// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// RUN: %clang -fsyntax-only %tsmem -fplugin-arg-tsmem-sarif=%t.sarif %s 2>/dev/null
// RUN: FileCheck %s --check-prefix=SARIF < %t.sarif
// SARIF: "text": "use of a tensor after it was freed"
// SARIF: "text": "freed here"
// SARIF: "text": "branch taken: 'dump > 2' is true"
// Bugs on some paths only (a free on one branch, a leak on one way out, a
// free in one iteration), with the branches taken as notes; and paths the
// analysis can see are correlated (the same test twice, a flag set with the
// free, a counter past its bound, a handle set to NULL), which stay silent.
#include <tsmem.h>

int level(void);

/* ---- bugs on some paths ---- */

void branch_then_use(const ts_tensor *x, int dump) {
  ts_tensor *h = ts_relu(x);
  if (dump > 2) // expected-note {{branch taken: 'dump > 2' is true}}
    ts_free(h); // expected-note {{freed here}}
  ts_tensor *g = ts_tanh(h); // expected-warning {{use of a tensor after it was freed}}
  ts_free(g);
  if (dump <= 2)
    ts_free(h);
}

void branch_then_free(const ts_tensor *x) {
  ts_tensor *h = ts_relu(x);
  int lv = level();
  if (!lv) // expected-note {{branch taken: '!lv' is true}}
    ts_free(h); // expected-note {{freed here}}
  ts_free(h); // expected-warning {{tensor freed or released again after it was freed}}
}

int leak_on_one_exit(const ts_tensor *x) {
  int rc = level();
  ts_tensor *h = ts_exp(x); // expected-note {{tensor made here}}
  if (rc != 0) // expected-note {{branch taken: 'rc != 0' is true}}
    goto done;
  ts_free(h);
done:
  return rc; // expected-warning {{tensor from 'ts_exp' leaks: 'h' goes out of scope before it is freed}}
}

void next_iteration(const ts_tensor *x) {
  ts_tensor *acc = ts_relu(x);
  int k = 0;
  while (k < 5) {
    ts_tensor *d = ts_exp(acc); // expected-warning {{use of a tensor after it was freed}}
    ts_free(d);
    if (k == 3) // expected-note {{branch taken: 'k == 3' is true}}
      ts_free(acc); // expected-note {{freed here}}
    k += 1;
  }
}

void no_case(const ts_tensor *x, int kind) {
  ts_tensor *t = ts_relu(x); // expected-note {{tensor made here}}
  switch (kind) { // expected-note {{branch taken: no case of the switch matches}}
  case 0:
    ts_free(t);
    break;
  case 4:
    ts_free(t);
    break;
  }
} // expected-warning {{'t' goes out of scope before it is freed}}

void case_arm(const ts_tensor *x, int kind) {
  ts_tensor *t = ts_relu(x);
  switch (kind) {
  case 1: // expected-note {{branch taken: 'case 1'}}
    ts_free(t); // expected-note {{freed here}}
    break;
  default:
    break;
  }
  ts_tensor *u = ts_neg(t); // expected-warning {{use of a tensor after it was freed}}
  ts_free(u);
  if (kind != 1)
    ts_free(t);
}

void made_under_other_test(const ts_tensor *x, int a, int b) {
  ts_tensor *extra = NULL;
  if (a) // expected-note {{branch taken: 'a' is true}}
    extra = ts_exp(x); // expected-note {{tensor made here}}
  if (b) // expected-note {{branch taken: 'b' is false}}
    ts_free(extra);
} // expected-warning {{'extra' goes out of scope before it is freed}}

/* ---- correlated paths: silent ---- */

void same_test_twice(const ts_tensor *x, int mode) {
  ts_tensor *t = ts_relu(x);
  if (mode > 1)
    ts_free(t);
  if (1 >= mode) { // the same test, written the other way round
    ts_tensor *u = ts_neg(t);
    ts_free(u);
    ts_free(t);
  }
}

void flag_with_free(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  int done = 0;
  if (level() > 3) {
    ts_free(t);
    done = 1;
  }
  if (!done)
    ts_free(t);
}

void null_after_free(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  if (level()) {
    ts_free(t);
    t = NULL;
  }
  if (t) {
    ts_tensor *u = ts_neg(t);
    ts_free(u);
    ts_free(t);
  }
}

void last_iteration_constant(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  for (int j = 0; j < 4; ++j) {
    ts_tensor *u = ts_neg(t);
    ts_free(u);
    if (j == 3)
      ts_free(t);
  }
}

void last_iteration_bound(const ts_tensor *x, int n) {
  ts_tensor *t = ts_relu(x);
  for (int j = 0; j < n; j++) {
    ts_tensor *u = ts_neg(t);
    ts_free(u);
    if (j == n - 1)
      ts_free(t);
  }
}

void switch_then_test(const ts_tensor *x, int kind) {
  ts_tensor *t = ts_relu(x);
  switch (kind) {
  case 2:
  case 3:
    ts_free(t);
    break;
  default:
    break;
  }
  if (kind != 2 && kind != 3)
    ts_free(t);
}

void maybe_copy(const ts_tensor *x, int copy) {
  ts_tensor *y = copy ? ts_relu(x) : (ts_tensor *)x;
  ts_tensor *s = ts_sum(y);
  ts_free(s);
  if (y != x)
    ts_free(y);
}

void made_and_freed_under_test(const ts_tensor *x, int a) {
  ts_tensor *extra = NULL;
  if (a)
    extra = ts_exp(x);
  int unrelated = level();
  if (unrelated)
    unrelated++;
  if (a)
    ts_free(extra);
}

void mode_value(const ts_tensor *x) {
  int mode = 2;
  ts_tensor *t = ts_relu(x);
  if (mode == 2)
    ts_free(t);
  if (mode != 2)
    ts_free(t);
}

void flag_from_test(const ts_tensor *x, int n) {
  ts_tensor *t = NULL;
  int have = n > 0; // the flag follows the test, before and after it
  if (n > 0)
    t = ts_relu(x);
  if (have)
    ts_free(t);
}

void flag_after_test(const ts_tensor *x, int n) {
  ts_tensor *t = NULL;
  if (n < 3)
    t = ts_relu(x);
  int small = !(n >= 3);
  if (small)
    ts_free(t);
}
