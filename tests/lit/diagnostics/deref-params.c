// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// Same-file helpers given a tensor variable's address that free the tensor
// it held (and put a new one there, or NULL): the caller's copies of the
// old tensor are freed by the call (DerefParams.cpp).
#include <stddef.h>
#include <tsmem.h>

// --- Helpers --------------------------------------------------------------

// Replaced on every path.
static void blend(ts_tensor **acc, const ts_tensor *x) {
  ts_tensor *sum = ts_add(*acc, x);
  ts_free(*acc);
  *acc = sum;
}

// Freed and cleared, through p[0].
static void drop(ts_tensor **slot) {
  ts_free(slot[0]);
  slot[0] = NULL;
}

// Replaced only when it succeeds (returns 0); untouched on failure.
static int try_normalize(ts_tensor **t) {
  ts_tensor *n = ts_mul_scalar(*t, 0.5);
  if (!n)
    return -1;
  ts_free(*t);
  *t = n;
  return 0;
}

// Consumed on failure (returns nonzero), replaced on success.
static int widen(ts_tensor **t, int cols) {
  if (cols <= 0) {
    ts_free(*t);
    *t = NULL;
    return 1;
  }
  ts_tensor *w = ts_mul_scalar(*t, cols);
  ts_free(*t);
  *t = w;
  return 0;
}

// Stores a new tensor first: the old one is not freed here.
static void overwrite(ts_tensor **t) {
  *t = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  ts_free(*t);
  *t = NULL;
}

// Frees only on one data-dependent branch, no status: nothing known.
static void maybe_drop(ts_tensor **t, int k) {
  if (k > 2) {
    ts_free(*t);
    *t = NULL;
  }
}

// The pointer moves: *p is not the caller's variable any more.
static void drop_second(ts_tensor **p) {
  p++;
  ts_free(*p);
}

// --- Bugs -------------------------------------------------------------------

double old_used_after_blend(void) {
  ts_tensor *x = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  ts_tensor *acc = ts_zeros(TS_SHAPE(3), TS_FLOAT32);
  ts_tensor *prev = acc;
  blend(&acc, x); // expected-note {{freed here}}
  double d = (double)ts_numel(prev); // expected-warning {{use of a tensor after it was freed}}
  ts_free(acc);
  ts_free(x);
  return d;
}

void freed_then_dropped(void) {
  ts_tensor *t = ts_rand(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *keep = t;
  ts_free(keep); // expected-note {{freed here}}
  drop(&t); // expected-warning {{tensor freed or released again after it was freed}}
}

void alias_freed_after_unchecked_normalize(void) {
  ts_tensor *t = ts_rand(TS_SHAPE(4), TS_FLOAT32);
  ts_tensor *orig = t;
  try_normalize(&t); // expected-note {{freed here}}
  ts_free(orig); // expected-warning {{tensor freed or released again after it was freed}}
  ts_free(t);
}

int alias_freed_on_widen_failure(int cols) {
  ts_tensor *t = ts_rand(TS_SHAPE(2, 1), TS_FLOAT32);
  ts_tensor *orig = t;
  if (widen(&t, cols) != 0) { // expected-note {{freed here}}
    ts_free(orig); // expected-warning {{tensor freed or released again after it was freed}}
    return -1;
  }
  ts_free(t);
  return 0;
}

// --- Correct code -----------------------------------------------------------

double blend_then_use_new(void) {
  ts_tensor *x = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  ts_tensor *acc = ts_zeros(TS_SHAPE(3), TS_FLOAT32);
  for (int i = 0; i < 4; i++)
    blend(&acc, x);
  double d = (double)ts_numel(acc);
  ts_free(acc);
  ts_free(x);
  return d;
}

void use_copy_before_blend(void) {
  ts_tensor *x = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  ts_tensor *acc = ts_clone(x);
  ts_tensor *prev = acc;
  (void)ts_numel(prev);
  blend(&acc, x);
  ts_free(acc);
  ts_free(x);
}

void checked_normalize(void) {
  ts_tensor *t = ts_rand(TS_SHAPE(4), TS_FLOAT32);
  ts_tensor *orig = t;
  if (try_normalize(&t) != 0) {
    ts_free(orig); // failure: t was left alone
    return;
  }
  ts_free(t);
}

void drop_then_nothing(void) {
  ts_tensor *t = ts_rand(TS_SHAPE(2), TS_FLOAT32);
  drop(&t);
  ts_free(t); // NULL now
}

void overwrite_keeps_alias(void) {
  ts_tensor *t = ts_rand(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *old = t;
  overwrite(&t);
  ts_free(old);
}

void maybe_drop_alias(int k) {
  ts_tensor *t = ts_rand(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *old = t;
  maybe_drop(&t, k);
  if (k <= 2)
    ts_free(old);
}

void drop_second_keeps_first(void) {
  ts_tensor *pair[2] = {ts_ones(TS_SHAPE(1), TS_FLOAT32),
                        ts_ones(TS_SHAPE(1), TS_FLOAT32)};
  ts_tensor *first = pair[0];
  drop_second(pair);
  ts_free(first);
}
