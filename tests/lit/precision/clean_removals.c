// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// Correct code: elements removed from a counted array (the last popped,
// the oldest slid out, one taken from the middle) before a teardown over
// the count; loops whose first pass is told by the counter (an unknown
// bound, a TS_SCOPE loop). Not one diagnostic.
// expected-no-diagnostics
#include <stdbool.h>
#include <stdio.h>
#include <tsmem.h>

enum { CAP = 8 };

static double sum_of(const ts_tensor *t) {
  ts_tensor *s = ts_sum(t);
  double v = ts_item(s);
  ts_free(s);
  return v;
}

typedef struct {
  ts_tensor *rows[CAP];
  int n;
} window;

static int win_push(window *w, ts_tensor *t) {
  if (w->n == CAP)
    return -1;
  w->rows[w->n++] = t;
  return 0;
}

static void win_free(window *w) {
  for (int i = 0; i < w->n; i++)
    if (w->rows[i])
      ts_free(w->rows[i]);
  w->n = 0;
}

/* The oldest row slides out when the window is full. */
static void win_slide(window *w, ts_tensor *t) {
  if (w->n == CAP) {
    ts_free(w->rows[0]);
    for (int i = 1; i < w->n; i++)
      w->rows[i - 1] = w->rows[i];
    w->n--;
  }
  w->rows[w->n++] = t;
}

static ts_tensor *win_pop(window *w) {
  if (w->n == 0)
    return NULL;
  ts_tensor *t = w->rows[w->n - 1];
  w->rows[w->n - 1] = NULL;
  w->n--;
  return t;
}

void window_stream(void) {
  window w = {{0}, 0};
  for (int s = 0; s < 12; s++)
    win_slide(&w, ts_full(TS_SHAPE(1, 4), TS_FLOAT32, s));
  ts_tensor *last = win_pop(&w);
  if (last) {
    printf("%f\n", sum_of(last));
    ts_free(last);
  }
  win_free(&w);
}

/* Drop the newest on a bad score, shrinking first. */
void window_rollback(void) {
  window w = {{0}, 0};
  for (int s = 0; s < 3; s++) {
    ts_tensor *t = ts_full(TS_SHAPE(1, 4), TS_FLOAT32, s);
    if (win_push(&w, t) != 0)
      ts_free(t);
  }
  if (w.n > 0) {
    w.n--;
    ts_free(w.rows[w.n]);
    w.rows[w.n] = NULL;
  }
  win_free(&w);
}

/* Take the middle one out, the others moved down. */
void window_take_middle(int j) {
  window w = {{0}, 0};
  for (int s = 0; s < 4; s++)
    if (win_push(&w, ts_ones(TS_SHAPE(1, 4), TS_FLOAT32)) != 0)
      break;
  if (j >= 0 && j < w.n) {
    ts_free(w.rows[j]);
    for (int i = j; i < w.n - 1; i++)
      w.rows[i] = w.rows[i + 1];
    w.n--;
  }
  win_free(&w);
}

/* Drained from the end, then the teardown (nothing left). */
void window_drain(void) {
  window w = {{0}, 0};
  for (int s = 0; s < 3; s++)
    if (win_push(&w, ts_ones(TS_SHAPE(2), TS_FLOAT32)) != 0)
      break;
  double sum = 0;
  while (w.n > 0) {
    sum += sum_of(w.rows[w.n - 1]);
    ts_free(w.rows[--w.n]);
  }
  printf("%f\n", sum);
  win_free(&w);
}

/* A decoder's state: the tensor made before the loop freed on the first
 * pass, each pass's own left to its scope. */
void decode_first_pass(const ts_tensor *x, int steps) {
  ts_tensor *h = ts_zeros(TS_SHAPE(1, 4), TS_FLOAT32);
  TS_SCOPE for (int t = 0; t < 3; t++) {
    ts_tensor *y = ts_add(x, x);
    if (t == 0)
      ts_free(h);
    h = y;
  }
  (void)steps;
}

/* The same with a flag the loop clears, and an unknown bound. */
double accumulate_first(const ts_tensor *x, int n) {
  ts_tensor *acc = ts_clone(x);
  double v = 0;
  for (int i = 0; i < n; i++) {
    ts_tensor *y = ts_add_scalar(x, i);
    v += sum_of(y);
    if (i == 0) {
      ts_free(acc);
      acc = NULL;
    }
    ts_free(y);
  }
  if (acc)
    ts_free(acc);
  return v;
}
