// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// Same-file helpers that fill, or free, every element of an array parameter
// given its count (ArrayParams.cpp): at a call with a local array and its
// size, the elements become new tensors the caller owns, or are freed.
// Silent when the count or the helper's loops may not cover the array, or
// when the helper may do anything else with it.
#include <tsmem.h>
#include <tsmem/ops.h>

extern void show(double v);

// Fills: element 0 by hand, then a loop up to the count (inclusive form).
static void make_bank(ts_tensor **slot, int count, int64_t len) {
  slot[0] = ts_zeros(TS_SHAPE(len), TS_FLOAT32);
  for (int k = 1; k <= count - 1; k++)
    slot[k] = ts_ones(TS_SHAPE(len + k), TS_FLOAT32);
}

// Fills through a loop that stops one short, then the last by hand.
static void make_steps(int count, const ts_tensor *seed, ts_tensor *out[]) {
  for (int k = 0; k + 1 < count; k++)
    out[k] = ts_mul_Scalar(seed, (double)k);
  out[count - 1] = ts_clone(seed);
}

// Frees every element; reads them first.
static void drop_bank(int count, ts_tensor **slot) {
  show(ts_item(slot[0]));
  for (int k = 0; k < count; ++k)
    ts_free(slot[k]);
}

// Not a whole-array helper: the loop bound is not the count.
static void drop_some(ts_tensor **slot, int count) {
  for (int k = 0; k < 2; ++k)
    ts_free(slot[k]);
  (void)count;
}

// Not one: it may return before the loop.
static void drop_unless(ts_tensor **slot, int count, int keep) {
  if (keep)
    return;
  for (int k = 0; k < count; ++k)
    ts_free(slot[k]);
}

// Not one: the elements are stored elsewhere.
static ts_tensor *saved;
static void fill_and_save(ts_tensor **slot, int count) {
  for (int k = 0; k < count; ++k)
    slot[k] = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  saved = slot[0];
}

// Not one: the helper writes its count.
static void fill_halved(ts_tensor **slot, int count) {
  count = count / 2;
  for (int k = 0; k < count; ++k)
    slot[k] = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
}

// Not one: its tensors die with its own scope.
TS_SCOPED static void fill_scoped(ts_tensor **slot, int count) {
  for (int k = 0; k < count; ++k)
    slot[k] = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
}
static void fill_in_scope(ts_tensor **slot, int count) {
  ts_scope_id sc = ts_scope_begin();
  for (int k = 0; k < count; ++k)
    slot[k] = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  ts_scope_end(sc);
}

// --- Bugs -----------------------------------------------------------------

// Two banks filled, one freed: the other's tensors leak.
void two_banks_one_freed(void) {
  ts_tensor *x[5], *y[5];
  make_bank(x, 5, 3);
  make_bank(y, 5, 4); // expected-note {{made here}}
  show(ts_item(y[2]));
  drop_bank(5, x);
} // expected-warning {{tensor from 'make_bank' leaks: 'y' goes out of scope}}

// An element kept by pointer is read after the helper freed the array.
double kept_after_drop(const ts_tensor *seed) {
  ts_tensor *s[3];
  make_steps(3, seed, s);
  ts_tensor *mid = s[1];
  drop_bank(3, s); // expected-note {{freed here}}
  return ts_item(mid); // expected-warning {{use}}
}

// The caller's own tensor put in the array, freed by the helper and again.
void own_tensor_twice(void) {
  ts_tensor *t = ts_rand(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *a[2];
  a[0] = t;
  a[1] = ts_rand(TS_SHAPE(2), TS_FLOAT32);
  drop_bank(2, a); // expected-note {{freed here}}
  ts_free(t); // expected-warning {{freed or released again}}
}

// An element freed by hand, then with the whole array.
void element_then_all(void) {
  ts_tensor *b[4];
  make_bank(b, 4, 2);
  ts_tensor *r = ts_relu_(b[2]);
  ts_free(r); // expected-note {{freed here}}
  drop_bank(4, b); // expected-warning {{freed or released again}}
}

// Steps made from a parameter, half of them freed by hand.
void steps_half_freed(const ts_tensor *seed) {
  ts_tensor *s[4];
  make_steps(4, seed, s); // expected-note {{made here}}
  ts_free(s[0]);
  ts_free(s[1]);
} // expected-warning {{tensor from 'make_steps' leaks: 's' goes out of scope}}

// --- Correct code, and what the analysis cannot know -----------------------

void filled_and_freed(void) {
  ts_tensor *x[5];
  make_bank(x, 5, 3);
  show(ts_item(x[4]));
  drop_bank(5, x);
}

void steps_freed_by_hand(const ts_tensor *seed) {
  ts_tensor *s[2];
  make_steps(2, seed, s);
  ts_free(s[0]);
  ts_free(s[1]);
}

// The count is smaller than the array: nothing is said about the rest.
void short_count(void) {
  ts_tensor *x[4];
  make_bank(x, 3, 1);
  x[3] = NULL;
  drop_bank(3, x);
}

// Helpers that are not whole-array: silent.
void partial_helpers(int keep) {
  ts_tensor *x[3];
  make_bank(x, 3, 1);
  ts_tensor *first = x[0];
  drop_some(x, 3);
  show(ts_item(first));
  ts_tensor *y[2];
  make_bank(y, 2, 1);
  ts_tensor *t = y[1];
  drop_unless(y, 2, keep);
  show(ts_item(t));
}

void not_filled(void) {
  ts_tensor *x[2], *y[2];
  fill_and_save(x, 2);
  fill_halved(y, 2);
}

// Helpers whose tensors die in their own scopes: not the caller's to free.
void scoped_fills(void) {
  ts_tensor *x[2], *y[2];
  fill_scoped(x, 2);
  fill_in_scope(y, 2);
  for (int k = 0; k < 2; ++k) {
    x[k] = NULL;
    y[k] = NULL;
  }
}
