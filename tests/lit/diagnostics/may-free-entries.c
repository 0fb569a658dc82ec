// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// Same-file update helpers that free the tensor a field of *param holds
// and store a new one on some paths only (a solve that may fail, a better
// score): a caller that drops the result cannot tell which path ran, so a
// copy of the old tensor taken before the call may be dangling after it
// (MayFreeEntries.cpp). A helper whose choice is a flag the caller passes,
// or a result the caller tests, is not followed.
#include <stddef.h>
#include <tsmem.h>
#include <tsmem/ops.h>

struct model {
  ts_tensor *mean;
  ts_tensor *prec;
  double best;
};

// --- Helpers --------------------------------------------------------------

// Frees what is there and clears it.
static void model_free(struct model *m) {
  if (m->mean)
    ts_free(m->mean);
  if (m->prec)
    ts_free(m->prec);
  m->mean = m->prec = NULL;
}

// The mean solved anew; on a failed solve the old one stays.
static void model_update(struct model *m, const ts_tensor *x) {
  ts_tensor *fresh = ts_linalg_solve(m->prec, x, true);
  if (!fresh)
    return;
  ts_free(m->mean);
  m->mean = fresh;
}

// The same with a status.
static int model_refit(struct model *m, const ts_tensor *x) {
  ts_tensor *fresh = ts_linalg_solve(m->prec, x, true);
  if (!fresh)
    return -1;
  if (m->mean)
    ts_free(m->mean);
  m->mean = fresh;
  return 0;
}

// A copy of the precision kept when the score is better than the best.
static void model_keep_best(struct model *m, double score) {
  if (score >= m->best)
    return;
  m->best = score;
  if (m->prec)
    ts_free(m->prec);
  m->prec = ts_clone(m->mean);
}

// Replaced only when the caller asks: the caller knows.
static void model_maybe_reset(struct model *m, int reset) {
  if (reset) {
    ts_free(m->mean);
    m->mean = ts_zeros(TS_SHAPE(4, 1), TS_FLOAT32);
  }
}

extern int model_init(struct model *m);

// --- Bugs -----------------------------------------------------------------

// An alias of the mean, read after an update that may replace it.
double alias_after_update(const ts_tensor *x) {
  struct model m;
  if (model_init(&m) != 0)
    return 0;
  ts_tensor *w = m.mean;
  model_update(&m, x); // expected-note {{freed here}}
  double v = ts_item(w); // expected-warning {{use of a tensor after it was freed}}
  model_free(&m);
  return v;
}

// The status dropped: the caller goes on whichever path ran.
void alias_after_dropped_status(const ts_tensor *x) {
  struct model m;
  if (model_init(&m) != 0)
    return;
  ts_tensor *w = m.mean;
  model_refit(&m, x); // expected-note {{freed here}}
  ts_tensor *d = ts_sub(m.mean, w); // expected-warning {{use of a tensor after it was freed}}
  ts_free(d);
  model_free(&m);
}

// Through a pointer parameter, a score the caller does not control.
double alias_after_best(struct model *m, double score) {
  ts_tensor *p = m->prec;
  model_keep_best(m, score); // expected-note {{freed here}}
  return ts_item(p); // expected-warning {{use of a tensor after it was freed}}
}

// --- Correct --------------------------------------------------------------

// The field read again after the update: the current tensor.
double field_after_update(const ts_tensor *x) {
  struct model m;
  if (model_init(&m) != 0)
    return 0;
  model_update(&m, x);
  double v = ts_item(m.mean);
  model_free(&m);
  return v;
}

// The alias used before the update only.
double alias_before_update(const ts_tensor *x) {
  struct model m;
  if (model_init(&m) != 0)
    return 0;
  ts_tensor *w = m.mean;
  double v = ts_item(w);
  model_update(&m, x);
  model_free(&m);
  return v;
}

// The status tested: the old mean is used only where the refit failed.
double alias_on_failure(const ts_tensor *x) {
  struct model m;
  if (model_init(&m) != 0)
    return 0;
  ts_tensor *w = m.mean;
  double v = 0;
  if (model_refit(&m, x) != 0)
    v = ts_item(w);
  model_free(&m);
  return v;
}

// A flag the caller passes: the alias is used where it said no reset.
double alias_without_reset(int k) {
  struct model m;
  if (model_init(&m) != 0)
    return 0;
  ts_tensor *w = m.mean;
  model_maybe_reset(&m, k);
  double v = k ? 0 : ts_item(w);
  model_free(&m);
  return v;
}

// A clone taken before the update is the caller's own.
double clone_before_update(const ts_tensor *x) {
  struct model m;
  if (model_init(&m) != 0)
    return 0;
  ts_tensor *w = ts_clone(m.mean);
  model_update(&m, x);
  ts_tensor *d = ts_sub(m.mean, w);
  double v = ts_item(d);
  ts_free(d);
  ts_free(w);
  model_free(&m);
  return v;
}

// The teardown after the update frees the current tensors once.
void teardown_after_update(const ts_tensor *x) {
  struct model m;
  if (model_init(&m) != 0)
    return;
  model_update(&m, x);
  model_update(&m, x);
  model_free(&m);
}
