// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A helper that reads the tensor a field of *param holds (a live tensor)
// and stores a new one over it without freeing it: the old one leaks
// (FieldOverwrite.cpp).
#include <stddef.h>
#include <tsmem.h>
#include <tsmem/ops.h>

struct stats {
  ts_tensor *avg, *x;
};

struct layer {
  ts_tensor *w, *prev;
};

// --- Bugs -----------------------------------------------------------------

static void stats_mix(struct stats *s) {
  s->avg = ts_add(s->avg, s->x); // expected-warning {{tensor in 's->avg' leaks: it is overwritten before it is freed}}
}

static void layer_resize(struct layer *l, int64_t extra) {
  int64_t n = ts_numel(l->w);
  l->w = ts_zeros(TS_SHAPE(n + extra), TS_FLOAT32); // expected-warning {{tensor in 'l->w' leaks}}
}

// --- Correct --------------------------------------------------------------

static void stats_mix_ok(struct stats *s) {
  ts_tensor *n = ts_add(s->avg, s->x);
  ts_free(s->avg);
  s->avg = n;
}

static void layer_init(struct layer *l, int64_t n) {
  l->w = ts_zeros(TS_SHAPE(n), TS_FLOAT32);
  l->prev = NULL;
}

static void layer_keep_previous(struct layer *l) {
  int64_t n = ts_numel(l->w);
  if (l->prev)
    ts_free(l->prev);
  l->prev = l->w;
  l->w = ts_ones(TS_SHAPE(n), TS_FLOAT32);
}

static void layer_swap(struct layer *l) {
  (void)ts_numel(l->w);
  ts_tensor *t = l->w;
  l->w = l->prev;
  l->prev = t;
}

static void stats_in_place(struct stats *s) {
  s->avg = ts_relu_(s->avg);
}

TS_CALLER_SCOPE static void stats_scoped(struct stats *s) {
  s->avg = ts_add(s->avg, s->x);
}

void use_all(struct stats *s, struct layer *l) {
  stats_mix(s);
  layer_resize(l, 1);
  stats_mix_ok(s);
  layer_init(l, 3);
  layer_keep_previous(l);
  layer_swap(l);
  stats_in_place(s);
  TS_SCOPE { stats_scoped(s); }
}
