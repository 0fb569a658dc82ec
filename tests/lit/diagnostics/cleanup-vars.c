// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// Tensor variables with a GNU cleanup function that frees them (a
// same-file function whose summary frees `*p`): the cleanup call takes
// what the variable holds at the end of its scope, so a tensor it held
// before being assigned another one leaks (CleanupVars.cpp; issue 15,
// FN 43). Other cleanup functions: the variable is not followed.
#include <tsmem.h>

static void release_t(ts_tensor **slot) {
  if (*slot != NULL)
    ts_free(*slot);
}

static void log_t(ts_tensor **slot) { (void)slot; }

double squash(const ts_tensor *x) {
  __attribute__((cleanup(release_t))) ts_tensor *h = ts_sigmoid(x); // expected-note {{tensor made here}}
  h = ts_mul_scalar(h, 2.0); // expected-warning {{[tsmem-leak]}}
  return (double)ts_numel(h);
}

double squash_twice(const ts_tensor *x, int twice) {
  __attribute__((cleanup(release_t))) ts_tensor *h = ts_tanh(x); // expected-note {{tensor made here}}
  if (twice)
    h = ts_tanh(h); // expected-warning {{[tsmem-leak]}}
  return (double)ts_numel(h);
}

// Correct: several cleanup variables, each freed at the end of its scope.
double stats(const ts_tensor *x) {
  __attribute__((cleanup(release_t))) ts_tensor *e = ts_exp(x);
  __attribute__((cleanup(release_t))) ts_tensor *s = ts_sum(e);
  __attribute__((cleanup(release_t))) ts_tensor *m = ts_mean(e);
  return ts_item(s) + ts_item(m);
}

// Correct: an early return; every cleanup runs.
int early(const ts_tensor *x) {
  __attribute__((cleanup(release_t))) ts_tensor *a = ts_relu(x);
  if (ts_numel(a) < 2)
    return -1;
  __attribute__((cleanup(release_t))) ts_tensor *b = ts_neg(a);
  return (int)ts_numel(b);
}

// Correct: the old tensor is freed before the variable takes a new one.
double replace_ok(const ts_tensor *x) {
  __attribute__((cleanup(release_t))) ts_tensor *h = ts_sigmoid(x);
  ts_tensor *n = ts_mul_scalar(h, 2.0);
  ts_free(h);
  h = n;
  return (double)ts_numel(h);
}

// Correct: handed to the caller, the variable cleared.
ts_tensor *steal(const ts_tensor *x) {
  __attribute__((cleanup(release_t))) ts_tensor *h = ts_neg(x);
  ts_tensor *r = h;
  h = NULL;
  return r;
}

// Not followed: a cleanup function that does not free.
ts_tensor *logged(const ts_tensor *x) {
  __attribute__((cleanup(log_t))) ts_tensor *h = ts_neg(x);
  h = ts_relu(h);
  return h;
}

// Correct: in a loop, the variable's scope is the body.
double loop_ok(const ts_tensor *x) {
  double s = 0;
  for (int i = 0; i < 3; i++) {
    __attribute__((cleanup(release_t))) ts_tensor *h = ts_mul_scalar(x, i);
    s += (double)ts_numel(h);
  }
  return s;
}
