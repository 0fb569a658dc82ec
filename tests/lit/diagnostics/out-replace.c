// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// Same-file helpers given `&v` for a `ts_tensor **` parameter: one that
// frees *p and stores a new tensor there (or leaves *p alone) keeps the
// caller's variable a tensor the caller must free; one that fills an
// optional out-parameter only when it is not NULL hands a new tensor to a
// caller that passes `&v`.
#include <stdbool.h>
#include <stddef.h>
#include <tsmem.h>
#include <tsmem/ops.h>

extern void show(double v);

// Replaces *t by its absolute value; on failure *t is left as it was.
static int absolve(ts_tensor **t) {
  if (ts_numel(*t) == 0)
    return -1;
  ts_tensor *a = ts_abs(*t);
  if (a == NULL)
    return -1;
  ts_free(*t);
  *t = a;
  return 0;
}

// Always replaces *slot, freeing the old one if there was one.
static void refresh(ts_tensor **slot, int64_t n) {
  ts_tensor *fresh = ts_zeros(TS_SHAPE(n), TS_FLOAT32);
  if (*slot)
    ts_free(*slot);
  *slot = fresh;
}

// Returns the sum; the mean too, when asked for.
static ts_tensor *totals(const ts_tensor *x, ts_tensor **mean) {
  ts_tensor *s = ts_sum(x);
  if (mean != NULL)
    *mean = ts_mean(x);
  return s;
}

// The same, returning early when the extra result is not wanted.
static ts_tensor *maxima(const ts_tensor *x, ts_tensor **arg) {
  ts_tensor *m = ts_amax(x, TS_SHAPE(0), false);
  if (!arg)
    return m;
  *arg = ts_argmax(x);
  return m;
}

// --- Bugs -----------------------------------------------------------------

void replaced_never_freed(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(4), TS_FLOAT32);
  if (absolve(&w) != 0)
    return; // a leak, not found since DerefParams.cpp forgets the variable
  show(ts_item(w));
} // a leak too (known miss after the merge with DerefParams.cpp)

void refreshed_then_overwritten(void) {
  ts_tensor *buf = ts_ones(TS_SHAPE(2), TS_FLOAT32); // expected-note {{tensor made here, outside any scope}}
  refresh(&buf, 3);
  buf = ts_ones(TS_SHAPE(5), TS_FLOAT32); // expected-warning {{'buf' is overwritten before it is freed}}
  ts_free(buf);
}

double optional_asked_not_freed(const ts_tensor *x) {
  ts_tensor *mean = NULL;
  ts_tensor *s = totals(x, &mean); // expected-note {{tensor made here, outside any scope}}
  double v = ts_item(s) + ts_item(mean);
  ts_free(s);
  return v; // expected-warning {{tensor from 'totals' leaks: 'mean' goes out of scope before it is freed}}
}

int64_t optional_early_return_not_freed(const ts_tensor *x) {
  ts_tensor *where;
  ts_tensor *m = maxima(x, &where); // expected-note {{tensor made here, outside any scope}}
  ts_free(m);
  return ts_numel(where); // expected-warning {{tensor from 'maxima' leaks: 'where' goes out of scope before it is freed}}
}

// --- Correct --------------------------------------------------------------

void replaced_then_freed(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(4), TS_FLOAT32);
  ts_tensor *before = w;
  if (absolve(&w) != 0) {
    ts_free(w);
    return;
  }
  show(before == w ? 0.0 : 1.0);
  ts_free(w);
}

void refreshed_in_a_loop(int steps) {
  ts_tensor *buf = NULL;
  for (int i = 0; i < steps; i++)
    refresh(&buf, i + 1);
  if (buf)
    ts_free(buf);
}

// Inside a scope the new tensor is the scope's.
void refreshed_in_scope(void) {
  ts_tensor *buf = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  TS_SCOPE { refresh(&buf, 3); }
}

// Frees *p and clears it on failure: not a replacement.
static int adopt(ts_tensor **p, bool bad) {
  if (bad) {
    ts_free(*p);
    *p = NULL;
    return -1;
  }
  ts_tensor *r = ts_relu(*p);
  ts_free(*p);
  *p = r;
  return 0;
}

void adopted_fails(bool bad) {
  ts_tensor *t = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  if (adopt(&t, bad) != 0)
    return;
  ts_free(t);
}

// Keeps the old tensor somewhere else before storing the new one.
static ts_tensor *history;
static void push(ts_tensor **cur) {
  ts_tensor *next = ts_neg(*cur);
  history = *cur;
  *cur = next;
}

void pushed(void) {
  ts_tensor *c = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  push(&c);
  ts_free(c);
}

double optional_not_asked(const ts_tensor *x) {
  ts_tensor *s = totals(x, NULL);
  ts_tensor *m = maxima(x, NULL);
  double v = ts_item(s) + ts_item(m);
  ts_free(s);
  ts_free(m);
  return v;
}

double optional_asked_and_freed(const ts_tensor *x) {
  ts_tensor *mean, *where;
  ts_tensor *s = totals(x, &mean);
  ts_tensor *m = maxima(x, &where);
  double v = ts_item(s) + ts_item(mean) + (double)ts_numel(where);
  ts_free(s);
  ts_free(mean);
  ts_free(m);
  ts_free(where);
  return v;
}
