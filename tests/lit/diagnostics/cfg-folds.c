// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// RUN: env TSMEM_CFG_FOLD=1 %clang -fsyntax-only -Xclang -verify %tsmem %s
// Branches clang's CFG builder decides from the condition alone are not
// taken: the analysis builds its CFG without the builder's tries to fold
// conditions only for bodies where no condition can fold (CfgPrune.h). Each
// function below has one condition that does fold, so a leak on the branch
// never taken stays unreported; the last two show the same shapes with
// conditions that do not fold, where the leak is real.
// (With TSMEM_CFG_FOLD=0, which never tries, this test fails.)
#include <tsmem.h>

static int noop(int v) { return v; }

int contradiction(const ts_tensor *x, int n) {
  ts_tensor *a = ts_relu(x);
  for (int i = 0; i < n; i++)
    (void)noop(i);
  if (n < 1 && n > 2) // never true
    return -1;
  ts_free(a);
  return 0;
}

int times_zero(const ts_tensor *x, int n) {
  ts_tensor *a = ts_relu(x);
  if (noop(n) > 0)
    (void)noop(n);
  if (n * 0) // never true
    return -1;
  ts_free(a);
  return 0;
}

int masked(const ts_tensor *x, int n) {
  ts_tensor *a = ts_relu(x);
  if ((n & 4) == 2) // never true
    return -1;
  ts_free(a);
  return 0;
}

int boolean_against_five(const ts_tensor *x, int n) {
  ts_tensor *a = ts_relu(x);
  if ((n > 0) == 5) // never true; expected-warning {{result of comparison of constant 5 with boolean expression is always false}}
    return -1;
  ts_free(a);
  return 0;
}

int excluded_middle(const ts_tensor *x, int n) {
  ts_tensor *a = ts_relu(x);
  if (n || !n) // always true
    ts_free(a);
  else
    return -1;
  return 0;
}

int bitwise_or(const ts_tensor *x, int n) {
  ts_tensor *a = ts_relu(x);
  if (n | 1) // always true
    ts_free(a);
  else
    return -1;
  return 0;
}

int and_false(const ts_tensor *x, int n) {
  ts_tensor *a = ts_relu(x);
  while (n > 0 && 0) // never entered
    return -1;
  ts_free(a);
  return 0;
}

int ternary(const ts_tensor *x, int n) {
  ts_tensor *a = ts_relu(x);
  int r = n > 3 ? n : 1;
  if (sizeof(r) == 3) // never true
    return -1;
  ts_free(a);
  return r;
}

int constant_switch(const ts_tensor *x, int n) {
  ts_tensor *a = ts_relu(x);
  switch (2) {
  case 1: // never taken
    return -1;
  default:
    break;
  }
  ts_free(a);
  return n;
}

// The same shapes, with conditions that do not fold: the leaks are real.
int real_contradiction(const ts_tensor *x, int n, int m) {
  ts_tensor *a = ts_relu(x); // expected-note {{tensor made here}}
  if (n < 1 && m > 2)
    return -1; // expected-warning {{'a' goes out of scope before it is freed (free it, ts_keep() it or hand it on) [tsmem-leak]}}
  ts_free(a);
  return 0;
}

int real_masked(const ts_tensor *x, int n) {
  ts_tensor *a = ts_relu(x); // expected-note {{tensor made here}}
  if ((n & 4) == 4)
    return -1; // expected-warning {{'a' goes out of scope before it is freed (free it, ts_keep() it or hand it on) [tsmem-leak]}}
  ts_free(a);
  return 0;
}

int real_call(const ts_tensor *x, int n) {
  ts_tensor *a = ts_relu(x); // expected-note {{tensor made here}}
  for (int i = 0; i < n; i++)
    (void)noop(i);
  if (noop(n) > n)
    return -1; // expected-warning {{'a' goes out of scope before it is freed (free it, ts_keep() it or hand it on) [tsmem-leak]}}
  ts_free(a);
  return 0;
}
