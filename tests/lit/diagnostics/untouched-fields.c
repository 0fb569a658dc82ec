// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A same-file helper given a struct's address that never names a field,
// or only reads its tensor where it is (tests it, passes it to a tsmem call
// that takes it as const and does not give it back), and lets the address
// go nowhere else, leaves that field alone (UntouchedFields.cpp): the
// caller still owns what the field holds after the call, so a store over
// it leaks and a second teardown frees it again. A helper that does more
// with the field, or hands the struct on to something that may reach it,
// may have freed or replaced it: silence, as before.
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

struct trainer {
  ts_tensor *w;
  ts_tensor *best;
  int step;
};

static void train_step(struct trainer *t) {
  (void)ts_item(t->w);
  t->step++;
}

static void train_nested(struct trainer *t) {
  if (!t)
    return;
  train_step(t);
}

static void drop_best(struct trainer *t) {
  if (t->best) {
    ts_free(t->best);
    t->best = NULL;
  }
}

static void observe(struct trainer *t, const ts_tensor *x) {
  if (t->best) {
    ts_tensor *s = ts_mul(x, t->best);
    ts_free(s);
  }
  ts_mul_Scalar_(t->w, 0.5);
}

static void trainer_free(struct trainer *t) {
  ts_free(t->w);
  ts_free(t->best);
}

// The in-place result is the field's tensor, freed here.
static void scale_drop(struct trainer *t) {
  ts_tensor *y = ts_mul_Scalar_(t->best, 0.5);
  ts_free(y);
}

static void wipe(struct trainer *t) { memset(t, 0, sizeof *t); }

static struct trainer *Saved;
static void keep_pointer(struct trainer *t) { Saved = t; }

// --- Positives -------------------------------------------------------------

void best_overwritten(void) {
  struct trainer tr = {ts_ones(TS_SHAPE(2), TS_FLOAT32), NULL, 0};
  for (int s = 0; s < 4; s++) {
    train_step(&tr);
    if (s % 2)
      tr.best = ts_clone(tr.w); // expected-warning {{'tr.best' is overwritten before it is freed}} expected-note {{tensor made here}}
  }
  ts_free(tr.best);
  ts_free(tr.w);
}

void best_overwritten_nested(void) {
  struct trainer tr = {ts_ones(TS_SHAPE(2), TS_FLOAT32), NULL, 0};
  tr.best = ts_clone(tr.w); // expected-note {{tensor made here}}
  train_nested(&tr);
  tr.best = ts_clone(tr.w); // expected-warning {{'tr.best' is overwritten before it is freed}}
  ts_free(tr.best);
  ts_free(tr.w);
}

void alias_freed_then_teardown(void) {
  struct trainer tr = {ts_ones(TS_SHAPE(2), TS_FLOAT32),
                       ts_ones(TS_SHAPE(2), TS_FLOAT32), 0};
  ts_tensor *x = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *orig = tr.best;
  observe(&tr, x);
  train_step(&tr);
  ts_free(orig); // expected-note {{freed here}}
  ts_free(x);
  trainer_free(&tr); // expected-warning {{freed or released again}}
}

// --- Negatives -------------------------------------------------------------

void best_replaced_by_helper(void) {
  struct trainer tr = {ts_ones(TS_SHAPE(2), TS_FLOAT32), NULL, 0};
  tr.best = ts_clone(tr.w);
  drop_best(&tr);
  tr.best = ts_clone(tr.w);
  ts_free(tr.best);
  ts_free(tr.w);
}

void best_after_wipe(void) {
  struct trainer tr = {ts_ones(TS_SHAPE(2), TS_FLOAT32), NULL, 0};
  tr.best = ts_clone(tr.w);
  wipe(&tr);
  tr.best = ts_clone(tr.w);
  ts_free(tr.best);
}

void best_after_keep(void) {
  struct trainer tr = {ts_ones(TS_SHAPE(2), TS_FLOAT32), NULL, 0};
  tr.best = ts_clone(tr.w);
  keep_pointer(&tr);
  tr.best = ts_clone(tr.w);
  ts_free(tr.best);
  ts_free(tr.w);
}

void best_freed_first(void) {
  struct trainer tr = {ts_ones(TS_SHAPE(2), TS_FLOAT32), NULL, 0};
  for (int s = 0; s < 4; s++) {
    train_step(&tr);
    if (s % 2) {
      if (tr.best)
        ts_free(tr.best);
      tr.best = ts_clone(tr.w);
    }
  }
  ts_free(tr.best);
  ts_free(tr.w);
}

void best_after_scale_drop(void) {
  struct trainer tr = {ts_ones(TS_SHAPE(2), TS_FLOAT32), NULL, 0};
  tr.best = ts_clone(tr.w);
  scale_drop(&tr);
  tr.best = ts_clone(tr.w);
  ts_free(tr.best);
  ts_free(tr.w);
}

void observed_freed_once(int n) {
  struct trainer tr = {ts_ones(TS_SHAPE(2), TS_FLOAT32),
                       ts_ones(TS_SHAPE(2), TS_FLOAT32), 0};
  for (int i = 0; i < 3; i++) {
    ts_tensor *x = ts_ones(TS_SHAPE(2), TS_FLOAT32);
    observe(&tr, x);
    ts_free(x);
  }
  if (n > 3) {
    trainer_free(&tr);
    return;
  }
  trainer_free(&tr);
}
