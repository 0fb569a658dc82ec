// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A helper that stores a tensor through its out-parameter and returns the
// same tensor (`*out = n; return n;`) hands back one tensor through two
// handles (ReturnedOuts.cpp): freed once through either, it is no leak;
// freed through both, it is freed twice; freed through neither, it leaks.
// A helper returning one tensor and handing back another keeps two.
#include <tsmem.h>
#include <tsmem/ops.h>

static ts_tensor *scaled(double a, ts_tensor **out) {
  ts_tensor *r = ts_rand(TS_SHAPE(3), TS_FLOAT32);
  ts_tensor *n = r ? ts_mul_scalar(r, a) : NULL;
  if (r)
    ts_free(r);
  *out = n;
  return n;
}

static ts_tensor *made(ts_tensor **out) {
  ts_tensor *n = ts_rand(TS_SHAPE(3), TS_FLOAT32);
  *out = n;
  return n;
}

static ts_tensor *two(ts_tensor **out) {
  *out = ts_zeros(TS_SHAPE(3), TS_FLOAT32);
  return ts_ones(TS_SHAPE(3), TS_FLOAT32);
}

// OK: freed through the returned handle.
void free_returned(void) {
  ts_tensor *alias = NULL;
  ts_tensor *n = scaled(0.1, &alias);
  if (n)
    ts_free(n);
}

// OK: freed through the returned handle.
void free_returned_made(void) {
  ts_tensor *alias = NULL;
  ts_tensor *n = made(&alias);
  ts_free(n);
}

// OK: freed through the out-parameter, the value unused.
void free_out(void) {
  ts_tensor *alias = NULL;
  ts_tensor *n = made(&alias);
  (void)n;
  ts_free(alias);
}

// Bug: freed through both.
void free_both(void) {
  ts_tensor *alias = NULL;
  ts_tensor *n = made(&alias);
  ts_free(n); // expected-note {{freed here}}
  ts_free(alias); // expected-warning {{freed or released again}}
}

// Bug: freed through neither.
void free_neither(void) {
  ts_tensor *alias = NULL;
  ts_tensor *n = made(&alias); // expected-note {{tensor made here}}
  (void)n;
} // expected-warning {{leaks}}

// Bug: two tensors, one freed.
void two_one_freed(void) {
  ts_tensor *o = NULL;
  ts_tensor *n = two(&o); // expected-note {{tensor made here}}
  ts_free(n);
} // expected-warning {{leaks}}
