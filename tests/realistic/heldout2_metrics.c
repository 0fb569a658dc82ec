/* heldout2_metrics.c - a metric logger over a ring buffer of tensors and a
 * small hyper-parameter search: trials returned by value, the best kept, the
 * rest freed, manual scopes per trial, summaries computed through ts_run.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define RING 4
#define NTRIAL 3

struct ring {
  ts_tensor *slot[RING]; /* owned */
  int head, count;
};

struct trial {
  double lr;
  ts_tensor *w; /* owned */
  double score;
};

// OK: takes t; the slot it overwrites is freed first
static void ring_push(struct ring *r, ts_tensor *t) {
  if (r->slot[r->head])
    ts_free(r->slot[r->head]);
  r->slot[r->head] = t;
  r->head = (r->head + 1) % RING;
  if (r->count < RING)
    r->count++;
}

// BUG: leak: a full ring overwrites its oldest slot without freeing it
static void ring_push_fast(struct ring *r, ts_tensor *t) {
  r->slot[r->head] = t; // <- BUG
  r->head = (r->head + 1) % RING;
  if (r->count < RING)
    r->count++;
}

// OK: frees what the ring holds (the slots are not cleared)
static void ring_clear(struct ring *r) {
  for (int i = 0; i < RING; i++)
    if (r->slot[i])
      ts_free(r->slot[i]);
}

// OK: the mean of the logged values, or NaN for an empty ring
static double ring_mean(const struct ring *r) {
  if (r->count == 0)
    return NAN;
  const ts_tensor *v[RING];
  int n = 0;
  for (int i = 0; i < RING; i++)
    if (r->slot[i])
      v[n++] = r->slot[i];
  ts_tensor *s = ts_stack(v, n, 0);
  ts_tensor *m = ts_mean(s);
  double out = ts_item(m);
  ts_free(m);
  ts_free(s);
  return out;
}

// BUG: leak: the stacked values are never freed, only their maximum
static double ring_max(const struct ring *r) {
  const ts_tensor *v[RING];
  int n = 0;
  for (int i = 0; i < RING; i++)
    if (r->slot[i])
      v[n++] = r->slot[i];
  if (n == 0)
    return NAN;
  ts_tensor *s = ts_stack(v, n, 0); // <- BUG
  ts_tensor *m = ts_max(s);
  double out = ts_item(m);
  ts_free(m);
  return out;
}

// OK: logs six losses; the ring frees what it overwrites and is cleared once
void metrics_log(void) {
  struct ring r = {{NULL}, 0, 0};
  for (int step = 0; step < 6; step++)
    ring_push(&r, ts_full(TS_SHAPE(), TS_FLOAT32, 1.0 / (step + 1)));
  printf("mean of last %d: %.3f\n", r.count, ring_mean(&r));
  ring_clear(&r);
}

// OK: logs through the fast push (its leak is its own) and takes the maximum
// (ring_max leaks by itself too)
void metrics_log_fast(void) {
  struct ring r = {{NULL}, 0, 0};
  for (int step = 0; step < 6; step++)
    ring_push_fast(&r, ts_full(TS_SHAPE(), TS_FLOAT32, (double)step));
  printf("max %.1f\n", ring_max(&r));
  ring_clear(&r);
}

// BUG: use-after-free: the first logged loss is kept as "first" and read after
// the ring has wrapped around and freed it
void metrics_first_vs_last(void) {
  struct ring r = {{NULL}, 0, 0};
  ts_tensor *first = NULL;
  for (int step = 0; step < 6; step++) {
    ts_tensor *l = ts_full(TS_SHAPE(), TS_FLOAT32, 10.0 - step);
    if (step == 0)
      first = l;
    ring_push(&r, l);
  }
  printf("improved by %.2f\n", ts_item(first) - ring_mean(&r)); // <- BUG
  ring_clear(&r);
}

// BUG: double-free: the error path clears the ring, and so does the common
// exit (ring_clear does not reset the slots)
void metrics_abort_on_nan(void) {
  struct ring r = {{NULL}, 0, 0};
  int failed = 0;
  for (int step = 0; step < 3; step++) {
    double v = step == 2 ? NAN : 1.0;
    ring_push(&r, ts_full(TS_SHAPE(), TS_FLOAT32, v));
    if (isnan(v)) {
      fprintf(stderr, "metrics: NaN at step %d\n", step);
      ring_clear(&r);
      failed = 1;
      break;
    }
  }
  printf("failed=%d\n", failed);
  ring_clear(&r); // <- BUG
}

// OK: the same, with the ring reset after the error path's clear
void metrics_abort_on_nan_ok(void) {
  struct ring r = {{NULL}, 0, 0};
  for (int step = 0; step < 3; step++) {
    double v = step == 2 ? NAN : 1.0;
    ring_push(&r, ts_full(TS_SHAPE(), TS_FLOAT32, v));
    if (isnan(v)) {
      ring_clear(&r);
      r = (struct ring){{NULL}, 0, 0};
      break;
    }
  }
  ring_clear(&r);
}

// OK: a trial: a few SGD steps on a quadratic; the weights go to the caller
// in the returned struct
static struct trial run_trial(double lr) {
  struct trial t = {lr, NULL, INFINITY};
  ts_tensor *target = ts_ones(TS_SHAPE(4), TS_FLOAT32);
  ts_tensor *w = ts_zeros(TS_SHAPE(4), TS_FLOAT32);
  ts_requires_grad(w, true);
  for (int i = 0; i < 5; i++) {
    ts_tensor *loss = ts_mse_loss(w, target);
    ts_backward(loss);
    ts_sgd_step(w, lr);
    ts_zero_grad(w);
    t.score = ts_item(loss);
    ts_free(loss);
  }
  ts_free(target);
  t.w = w;
  return t;
}

// OK: keeps the best trial's weights, frees every other trial's at once
void search_best(void) {
  const double lrs[NTRIAL] = {0.01, 0.5, 0.1};
  struct trial best = {0, NULL, INFINITY};
  for (int i = 0; i < NTRIAL; i++) {
    struct trial t = run_trial(lrs[i]);
    if (t.score < best.score) {
      if (best.w)
        ts_free(best.w);
      best = t;
    } else {
      ts_free(t.w);
    }
  }
  printf("best lr %.2f score %.4f\n", best.lr, best.score);
  ts_free(best.w);
}

// BUG: double-free: the best trial is a struct copy of one of the array's
// trials; all trials are freed, and then the best one again
void search_all_then_best(void) {
  const double lrs[NTRIAL] = {0.01, 0.5, 0.1};
  struct trial trials[NTRIAL];
  struct trial best = {0, NULL, INFINITY};
  for (int i = 0; i < NTRIAL; i++) {
    trials[i] = run_trial(lrs[i]);
    if (trials[i].score < best.score)
      best = trials[i];
  }
  printf("best lr %.2f\n", best.lr);
  for (int i = 0; i < NTRIAL; i++)
    ts_free(trials[i].w);
  ts_free(best.w); // <- BUG
}

// BUG: use-after-free: a pointer to the best weights is kept while every
// trial's weights are freed, then the best ones are summarised
void search_keep_pointer(void) {
  const double lrs[NTRIAL] = {0.01, 0.5, 0.1};
  struct trial trials[NTRIAL];
  int best = 0;
  for (int i = 0; i < NTRIAL; i++) {
    trials[i] = run_trial(lrs[i]);
    if (trials[i].score < trials[best].score)
      best = i;
  }
  const ts_tensor *best_w = trials[best].w;
  for (int i = 0; i < NTRIAL; i++)
    ts_free(trials[i].w);
  ts_tensor *n = ts_norm_Scalar(best_w, 2.0); // <- BUG
  printf("best norm %.3f\n", ts_item(n));
  ts_free(n);
}

// OK: the best weights are cloned before the trials are freed
void search_keep_copy(void) {
  const double lrs[NTRIAL] = {0.01, 0.5, 0.1};
  struct trial trials[NTRIAL];
  int best = 0;
  for (int i = 0; i < NTRIAL; i++) {
    trials[i] = run_trial(lrs[i]);
    if (trials[i].score < trials[best].score)
      best = i;
  }
  ts_tensor *best_w = ts_clone(trials[best].w);
  for (int i = 0; i < NTRIAL; i++)
    ts_free(trials[i].w);
  ts_tensor *n = ts_norm_Scalar(best_w, 2.0);
  printf("best norm %.3f\n", ts_item(n));
  ts_free(n);
  ts_free(best_w);
}

// BUG: leak: a trial with a non-finite score is skipped without freeing its
// weights
void search_skip_diverged(void) {
  const double lrs[NTRIAL] = {0.01, 50.0, 0.1};
  struct trial best = {0, NULL, INFINITY};
  for (int i = 0; i < NTRIAL; i++) {
    struct trial t = run_trial(lrs[i]); // <- BUG
    if (!isfinite(t.score) || t.score > 1e3)
      continue;
    if (t.score < best.score) {
      if (best.w)
        ts_free(best.w);
      best = t;
    } else {
      ts_free(t.w);
    }
  }
  if (best.w)
    ts_free(best.w);
}

// BUG: use-after-scope: each trial's weights are made under a manual scope;
// the best weights are remembered inside it and read after its end
void search_scoped(void) {
  const double lrs[NTRIAL] = {0.01, 0.5, 0.1};
  const ts_tensor *best_w = NULL;
  double best = INFINITY;
  for (int i = 0; i < NTRIAL; i++) {
    ts_scope_id s = ts_scope_begin();
    struct trial t = run_trial(lrs[i]);
    if (t.score < best) {
      best = t.score;
      best_w = t.w;
    }
    ts_scope_end(s);
  }
  printf("best has %lld weights\n", (long long)ts_numel(best_w)); // <- BUG
}

// OK: the best weights escape each trial's manual scope (depth 1: manual),
// the previous best is freed
void search_scoped_ok(void) {
  const double lrs[NTRIAL] = {0.01, 0.5, 0.1};
  ts_tensor *best_w = NULL;
  double best = INFINITY;
  for (int i = 0; i < NTRIAL; i++) {
    ts_scope_id s = ts_scope_begin();
    struct trial t = run_trial(lrs[i]);
    if (t.score < best) {
      best = t.score;
      if (best_w)
        ts_free(best_w);
      best_w = ts_escape(t.w);
    }
    ts_scope_end(s);
  }
  printf("best has %lld weights\n", (long long)ts_numel(best_w));
  ts_free(best_w);
}

struct summary_ctx {
  const struct ring *r;
};

// BUG: unescaped-return: a ts_run job returns the reversed values without
// ts_escape; ts_run's scope frees them before the caller sees them
static void *summary_job(void *arg) {
  const struct summary_ctx *c = arg;
  const ts_tensor *v[RING];
  int n = 0;
  for (int i = 0; i < RING; i++)
    if (c->r->slot[i])
      v[n++] = c->r->slot[i];
  ts_tensor *s = ts_stack(v, n, 0);
  return ts_flip(s, TS_SHAPE(0)); // <- BUG
}

// OK: a ts_run job that escapes its result
static void *summary_job_ok(void *arg) {
  const struct summary_ctx *c = arg;
  const ts_tensor *v[RING];
  int n = 0;
  for (int i = 0; i < RING; i++)
    if (c->r->slot[i])
      v[n++] = c->r->slot[i];
  ts_tensor *s = ts_stack(v, n, 0);
  return ts_escape(ts_cumsum(s, 0, TS_NO_DTYPE));
}

// OK: uses and frees the correct job's result
void metrics_summary_ok(void) {
  struct ring r = {{NULL}, 0, 0};
  for (int step = 0; step < 3; step++)
    ring_push(&r, ts_full(TS_SHAPE(), TS_FLOAT32, (double)step));
  struct summary_ctx c = {&r};
  ts_tensor *cs = ts_run(summary_job_ok, &c);
  printf("cumsum %lld\n", (long long)ts_numel(cs));
  ts_free(cs);
  ring_clear(&r);
}

// OK: uses and frees what the wrong job returned (the job is the bug)
void metrics_summary(void) {
  struct ring r = {{NULL}, 0, 0};
  for (int step = 0; step < 3; step++)
    ring_push(&r, ts_full(TS_SHAPE(), TS_FLOAT32, (double)step));
  struct summary_ctx c = {&r};
  ts_tensor *flipped = ts_run(summary_job, &c);
  printf("flipped %lld\n", (long long)ts_numel(flipped));
  ts_free(flipped);
  ring_clear(&r);
}
