// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// Same-file helpers whose effect depends on what they return: one that
// frees its argument only when it returns NULL (or an error status), one
// that gives its argument back, and ones that hand a new tensor back through
// a `ts_tensor **` out-parameter, always or only on success. The caller's
// test of the result (or the status) says which path it is on; where it
// does not test it, the analysis stays quiet, except that a discarded
// result means the tensor may be gone.
#include <stdbool.h>
#include <tsmem.h>

// --- Helpers --------------------------------------------------------------

// Frees its argument and returns NULL when it has the wrong length; else
// gives it back.
static ts_tensor *check_length(ts_tensor *t, int64_t n) {
  if (ts_numel(t) != n) {
    ts_free(t);
    return NULL;
  }
  return t;
}

// Frees its argument and returns an error status when it is too big.
static int reject_big(ts_tensor *t, int64_t limit) {
  if (ts_numel(t) > limit) {
    ts_free(t);
    return -1;
  }
  return 0;
}

// Gives its argument back, untouched.
static ts_tensor *pass_through(ts_tensor *t) { return t; }

// Status: 0 and a new tensor in *w, or nonzero and *w untouched.
static int open_weights(int n, ts_tensor **w) {
  ts_tensor *t = ts_randn(TS_SHAPE(n), TS_FLOAT32);
  if (!t)
    return 1;
  *w = t;
  return 0;
}

// true and a new tensor in *out, or false.
static bool try_ones(ts_tensor **out, int n) {
  if (n <= 0)
    return false;
  *out = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  return true;
}

// Always two new tensors.
static void make_pair(int n, ts_tensor **lo, ts_tensor **hi) {
  *lo = ts_zeros(TS_SHAPE(n), TS_FLOAT32);
  *hi = ts_ones(TS_SHAPE(n), TS_FLOAT32);
}

// Stores the caller's own tensor: no new tensor.
static void pick(ts_tensor *x, ts_tensor **out) { *out = x; }

// Keeps the pointer: not an out-parameter the analysis follows.
static ts_tensor **slot;
static void remember(ts_tensor **out) { slot = out; }

// --- Bugs -----------------------------------------------------------------

void read_after_rejected_length(void) {
  ts_tensor *t = ts_rand(TS_SHAPE(6), TS_FLOAT32);
  ts_tensor *v = check_length(t, 4); // expected-note {{freed here}}
  if (v == NULL) {
    (void)ts_item(t); // expected-warning {{use of a tensor after it was freed}}
    return;
  }
  ts_free(v);
}

void free_after_error_status(void) {
  ts_tensor *t = ts_rand(TS_SHAPE(6), TS_FLOAT32);
  if (reject_big(t, 3) != 0) { // expected-note {{freed here}}
    ts_free(t); // expected-warning {{tensor freed or released again after it was freed}}
    return;
  }
  ts_free(t);
}

void free_after_ignored_status(void) {
  ts_tensor *t = ts_rand(TS_SHAPE(6), TS_FLOAT32);
  reject_big(t, 3); // expected-note {{freed here}}
  ts_free(t); // expected-warning {{tensor freed or released again after it was freed}}
}

void alias_freed_twice(void) {
  ts_tensor *t = ts_rand(TS_SHAPE(6), TS_FLOAT32);
  ts_tensor *u = pass_through(t);
  ts_free(u); // expected-note {{freed here}}
  ts_free(t); // expected-warning {{tensor freed or released again after it was freed}}
}

double opened_and_dropped(void) {
  ts_tensor *w = NULL;
  if (open_weights(3, &w) != 0) // expected-note {{tensor made here}}
    return 0.0;
  double s = ts_item(w);
  return s; // expected-warning {{tensor from 'open_weights' leaks: 'w' goes out of scope}}
}

void loaded_and_dropped(int n) {
  ts_tensor *x;
  if (!try_ones(&x, n)) // expected-note {{tensor made here}}
    return;
  (void)ts_numel(x);
} // expected-warning {{tensor from 'try_ones' leaks: 'x' goes out of scope}}

void pair_half_freed(void) {
  ts_tensor *lo, *hi;
  make_pair(2, &lo, &hi); // expected-note {{tensor made here}}
  ts_free(lo);
} // expected-warning {{tensor from 'make_pair' leaks: 'hi' goes out of scope}}

void pair_read_after_free(void) {
  ts_tensor *lo, *hi;
  make_pair(2, &lo, &hi);
  ts_free(hi); // expected-note {{freed here}}
  (void)ts_item(hi); // expected-warning {{use of a tensor after it was freed}}
  ts_free(lo);
}

void pair_in_scope_after(void) {
  ts_tensor *lo = NULL, *hi = NULL;
  {
    TS_SCOPE_GUARD();
    make_pair(2, &lo, &hi);
  } // expected-note {{the scope ends here}}
  (void)ts_item(lo); // expected-warning {{use of a tensor after the scope that owned it ended}}
}

// --- Correct code: no warning ---------------------------------------------

void length_checked(void) {
  ts_tensor *t = ts_rand(TS_SHAPE(6), TS_FLOAT32);
  ts_tensor *v = check_length(t, 6);
  if (!v)
    return; // freed by the helper
  (void)ts_item(v);
  ts_free(v);
}

void status_checked(void) {
  ts_tensor *t = ts_rand(TS_SHAPE(6), TS_FLOAT32);
  if (reject_big(t, 10))
    return; // freed by the helper
  (void)ts_item(t);
  ts_free(t);
}

void alias_freed_once(void) {
  ts_tensor *t = ts_rand(TS_SHAPE(6), TS_FLOAT32);
  ts_tensor *u = pass_through(t);
  (void)ts_item(t);
  ts_free(u);
}

int opened_and_freed(void) {
  ts_tensor *w = NULL;
  int rc = open_weights(3, &w);
  if (rc != 0)
    return rc; // not tested on the call: the analysis does not guess
  ts_free(w);
  return 0;
}

void opened_checked_on_pointer(void) {
  ts_tensor *w = NULL;
  open_weights(3, &w);
  if (!w)
    return;
  ts_free(w);
}

void loaded_and_freed(int n) {
  ts_tensor *x = NULL;
  if (try_ones(&x, n)) {
    (void)ts_item(x);
    ts_free(x);
  }
}

void pair_freed(void) {
  ts_tensor *lo, *hi;
  make_pair(2, &lo, &hi);
  ts_free(hi);
  ts_free(lo);
}

void pair_in_scope(void) {
  TS_SCOPE {
    ts_tensor *lo, *hi;
    make_pair(2, &lo, &hi);
    (void)ts_item(ts_add(lo, hi));
  }
}

void picked_is_own(void) {
  ts_tensor *x = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *y = NULL;
  pick(x, &y);
  ts_free(y); // the same tensor as x: not followed, quiet
}

void remembered(void) {
  ts_tensor *t = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  remember(&t);
}
