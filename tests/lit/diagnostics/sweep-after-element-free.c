// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A loop over every element of an array (`for (i = 0; i < 2; i++)
// ts_free(a[i])`) meets each element: one freed before through its
// constant index and still held there is freed or used again
// (Checks.cpp, checkUse). Not when the element was stored to since, or an
// element was stored through a variable index, or the loop does not reach
// it, or the earlier free was on some paths only.
#include <tsmem.h>
#include <tsmem/ops.h>

// Positive: the second element dropped early, then the teardown loop.
void drop_then_sweep(const ts_tensor *w) {
  ts_tensor *ema[2] = {ts_clone(w), ts_clone(w)};
  ts_free(ema[1]); // expected-note {{freed here}}
  for (int i = 0; i < 2; i++)
    ts_free(ema[i]); // expected-warning {{[tsmem-double-free]}}
}

// Positive: a reading loop over every element after one was freed.
double read_sweep(const ts_tensor *w) {
  ts_tensor *a[2] = {ts_clone(w), ts_clone(w)};
  ts_free(a[0]); // expected-note {{freed here}}
  double s = 0;
  for (int i = 0; i < 2; i++)
    s += ts_item(a[i]); // expected-warning {{[tsmem-use-after-free]}}
  ts_free(a[1]);
  return s;
}

// Negative: the freed element is replaced before the sweep.
void drop_replace_sweep(const ts_tensor *w) {
  ts_tensor *a[2] = {ts_clone(w), ts_clone(w)};
  ts_free(a[1]);
  a[1] = ts_zeros_like(w, TS_NO_DTYPE, NULL);
  for (int i = 0; i < 2; i++)
    ts_free(a[i]);
}

// Negative: every element refreshed through a variable index.
void drop_refresh_sweep(const ts_tensor *w) {
  ts_tensor *a[2] = {ts_clone(w), ts_clone(w)};
  ts_free(a[1]);
  for (int i = 1; i < 2; i++)
    a[i] = ts_clone(w);
  for (int i = 0; i < 2; i++)
    ts_free(a[i]);
}

// Negative: the loop stops before the freed element.
void drop_short_sweep(const ts_tensor *w) {
  ts_tensor *a[2] = {ts_clone(w), ts_clone(w)};
  ts_free(a[1]);
  for (int i = 0; i < 1; i++)
    ts_free(a[i]);
}

// Negative: dropped on some paths only, and cleared there.
void drop_maybe_sweep(const ts_tensor *w, int keep) {
  ts_tensor *a[2] = {ts_clone(w), ts_clone(w)};
  if (!keep) {
    ts_free(a[1]);
    a[1] = NULL;
  }
  for (int i = 0; i < 2; i++)
    if (a[i])
      ts_free(a[i]);
}
