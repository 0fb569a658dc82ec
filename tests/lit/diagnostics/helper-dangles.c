// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A same-file helper frees a tensor a field under its pointer parameter
// holds and leaves the field (and the count) as they were; the caller then
// tears the struct down, and the teardown frees the field again. The
// report is at the helper's free (HelperDangles.cpp). A helper that
// clears the field, lowers the count, hands the struct on, or whose caller
// re-fills the field or never reaches the teardown stays silent.
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>

struct log {
  ts_tensor **u;
  int n;
};

struct cell {
  ts_tensor *w;
  ts_tensor *b;
};

static int log_init(struct log *l, int n) {
  l->u = calloc((size_t)n, sizeof *l->u);
  if (!l->u)
    return -1;
  for (int i = 0; i < n; i++)
    l->u[i] = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  l->n = n;
  return 0;
}

static void log_free(struct log *l) {
  for (int i = 0; i < l->n; i++)
    ts_free(l->u[i]);
  free(l->u);
  l->u = NULL;
  l->n = 0;
}

static void cell_free(struct cell *c) {
  if (c->w)
    ts_free(c->w);
  ts_free(c->b);
  c->w = NULL;
  c->b = NULL;
}

// --- Positive ----------------------------------------------------------------

// Frees the oldest entries, leaves them and the count.
static void log_trim(struct log *l, int keep) {
  for (int i = 0; i < l->n - keep; i++)
    ts_free(l->u[i]); // expected-warning {{tensor freed or released again after it was freed}}
}

// Frees a field on a flag, leaves it set.
static void cell_drop_bias(struct cell *c, int flag) {
  if (flag)
    ts_free(c->b); // expected-warning {{tensor freed or released again after it was freed}}
}

void use_positive(void) {
  struct log l;
  if (log_init(&l, 3) != 0)
    return;
  log_trim(&l, 1);
  log_free(&l);

  struct cell c;
  c.w = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  c.b = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  cell_drop_bias(&c, 1);
  cell_free(&c);
}

// --- Negative ----------------------------------------------------------------

// Lowers the count: the teardown never sees the freed entry.
static void log_pop(struct log *l) {
  if (l->n > 0) {
    ts_free(l->u[l->n - 1]);
    l->n--;
  }
}

// Clears what it frees.
static void cell_clear_bias(struct cell *c) {
  ts_free(c->b);
  c->b = NULL;
}

// Leaves the field, but its caller fills it again.
static void cell_drop_weight(struct cell *c) { ts_free(c->w); }

// Leaves the field, its caller never tears the struct down.
static void cell_release(struct cell *c) {
  ts_free(c->w);
  ts_free(c->b);
}

void use_negative(void) {
  struct log l;
  if (log_init(&l, 3) != 0)
    return;
  log_pop(&l);
  log_free(&l);

  struct cell c;
  c.w = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  c.b = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  cell_drop_weight(&c);
  c.w = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  cell_clear_bias(&c);
  cell_free(&c);

  struct cell d;
  d.w = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  d.b = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  cell_release(&d);
}
