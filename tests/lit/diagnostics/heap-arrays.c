// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A local heap array of tensors (`ts_tensor **v = malloc(n * sizeof *v)`)
// filled by a loop up to a count n, then freed by a loop that stops short
// of n: the last elements leak (ArrayFrees.cpp). Quiet when the free loop
// covers n, when the count changes, or when the array is handed on.
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

ts_tensor *stack_short(const float *x, int n) {
  ts_tensor **fr = malloc(sizeof *fr * (size_t)n);
  if (!fr)
    return NULL;
  for (int i = 0; i < n; i++)
    fr[i] = ts_from_buffer(x + i, TS_SHAPE(1), TS_FLOAT32); // expected-warning {{tensors from 'ts_from_buffer' leak: a loop fills every element of 'fr' but the frees miss the last one (element n - 1)}}
  ts_tensor *out = ts_stack((const ts_tensor *const *)fr, n, 0);
  for (int i = 0; i < n - 1; i++)
    ts_free(fr[i]); // expected-note {{freed here}}
  free(fr);
  return out;
}

ts_tensor *stack_short_calloc(int n) {
  ts_tensor **v = calloc((size_t)n, sizeof *v);
  for (int i = 0; i < n; i++)
    v[i] = ts_zeros(TS_SHAPE(2), TS_FLOAT32); // expected-warning {{but the frees miss the last 2 (from element n - 2)}}
  ts_tensor *out = ts_stack((const ts_tensor *const *)v, n, 0);
  for (int i = 0; i + 2 < n; i++)
    ts_free(v[i]); // expected-note {{freed here}}
  free(v);
  return out;
}

/* Negative cases. */

ts_tensor *stack_all(const float *x, int n) {
  ts_tensor **fr = malloc(sizeof *fr * (size_t)n);
  if (!fr)
    return NULL;
  for (int i = 0; i < n; i++)
    fr[i] = ts_from_buffer(x + i, TS_SHAPE(1), TS_FLOAT32);
  ts_tensor *out = ts_stack((const ts_tensor *const *)fr, n, 0);
  for (int i = 0; i < n; i++)
    ts_free(fr[i]);
  free(fr);
  return out;
}

/* The count changes between the loops. */
ts_tensor *stack_count_moves(int n) {
  ts_tensor **v = malloc(sizeof *v * (size_t)n);
  for (int i = 0; i < n; i++)
    v[i] = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *out = ts_stack((const ts_tensor *const *)v, n, 0);
  ts_free(v[n - 1]);
  n--;
  for (int i = 0; i < n; i++)
    ts_free(v[i]);
  free(v);
  return out;
}

/* The array is handed to a helper: it may free the last element. */
void drop_last(ts_tensor **v, int n);
void stack_handed(int n) {
  ts_tensor **v = malloc(sizeof *v * (size_t)n);
  for (int i = 0; i < n; i++)
    v[i] = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  drop_last(v, n);
  for (int i = 0; i < n - 1; i++)
    ts_free(v[i]);
  free(v);
}

/* The last element is handed on: returned. */
ts_tensor *keep_last(int n) {
  ts_tensor **v = malloc(sizeof *v * (size_t)n);
  for (int i = 0; i < n; i++)
    v[i] = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  for (int i = 0; i < n - 1; i++)
    ts_free(v[i]);
  ts_tensor *last = v[n - 1];
  free(v);
  return last;
}
