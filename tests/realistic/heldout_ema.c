/*
 * heldout_ema.c - running statistics for a model in training: an
 * exponential moving average of the weights, a batch-norm style running
 * mean and variance, snapshot averaging, and a metrics logger. Held-out
 * corpus (README.md).
 *
 * Labels: `// OK: why` or `// BUG: check: why` before each function; the
 * line of the bug ends in `// <- BUG`.
 */
#include <stdio.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define P 6
#define SNAPS 3

struct running {
  ts_tensor *mean; /* [P] */
  ts_tensor *var;  /* [P] */
  long count;
};

// OK: both statistics move into the struct
static void running_init(struct running *r) {
  r->mean = ts_zeros(TS_SHAPE(P), TS_FLOAT32);
  r->var = ts_ones(TS_SHAPE(P), TS_FLOAT32);
  r->count = 0;
}

// OK: frees both statistics
static void running_free(struct running *r) {
  ts_free(r->mean);
  ts_free(r->var);
}

// OK: updates the statistics in place from one batch; the batch moments
// are freed
static void running_update(struct running *r, const ts_tensor *batch,
                           double momentum) {
  ts_tensor *m = ts_mean_dim(batch, TS_SHAPE(0), false, TS_NO_DTYPE);
  ts_tensor *v = ts_var(batch, true);
  ts_lerp_Scalar_(r->mean, m, momentum);
  ts_mul_Scalar_(r->var, 1.0 - momentum);
  ts_add_Scalar_(r->var, ts_item(v) * momentum, 1.0);
  ts_free(v);
  ts_free(m);
  r->count++;
}

// OK: EMA of a weight vector: the shadow is replaced by a new tensor and
// the old shadow freed
static void ema_step(ts_tensor **shadow, const ts_tensor *w, double decay) {
  ts_tensor *a = ts_mul_scalar(*shadow, decay);
  ts_tensor *b = ts_mul_scalar(w, 1.0 - decay);
  ts_tensor *next = ts_add(a, b);
  ts_free(a);
  ts_free(b);
  ts_free(*shadow);
  *shadow = next;
}

// OK: a training-like loop feeding both trackers; everything is freed
void ema_track(void) {
  ts_manual_seed(17);
  struct running r;
  running_init(&r);
  ts_tensor *w = ts_randn(TS_SHAPE(P), TS_FLOAT32);
  ts_tensor *shadow = ts_clone(w);
  for (int step = 0; step < 4; step++) {
    ts_tensor *batch = ts_randn(TS_SHAPE(8, P), TS_FLOAT32);
    running_update(&r, batch, 0.1);
    ts_free(batch);
    ts_add_Scalar_(w, 0.01, 1.0);
    ema_step(&shadow, w, 0.9);
  }
  printf("count %ld shadow %lld\n", r.count, (long long)ts_numel(shadow));
  ts_free(shadow);
  ts_free(w);
  running_free(&r);
}

// BUG: use-after-free: a pointer to the shadow taken before ema_step is
// used after the step freed it
void ema_compare(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(P), TS_FLOAT32);
  ts_tensor *shadow = ts_zeros(TS_SHAPE(P), TS_FLOAT32);
  ts_tensor *before = shadow;
  ema_step(&shadow, w, 0.5);
  ts_tensor *delta = ts_sub(shadow, before); // <- BUG
  printf("delta %lld\n", (long long)ts_numel(delta));
  ts_free(delta);
  ts_free(shadow);
  ts_free(w);
}

// BUG: leak: the batch variance used for logging is never freed
static double batch_spread(const ts_tensor *batch) {
  ts_tensor *v = ts_var(batch, true); // <- BUG
  ts_tensor *s = ts_sqrt(v);
  double out = ts_item(s);
  ts_free(s);
  return out;
}

// OK: logs the spread of two batches (the helper leaks)
void ema_log_spread(void) {
  for (int i = 0; i < 2; i++) {
    ts_tensor *batch = ts_randn(TS_SHAPE(4, P), TS_FLOAT32);
    printf("spread %f\n", batch_spread(batch));
    ts_free(batch);
  }
}

// OK: snapshots stored in an array, averaged with a stack, all freed
void ema_snapshot_average(void) {
  ts_tensor *snaps[SNAPS];
  for (int i = 0; i < SNAPS; i++)
    snaps[i] = ts_full(TS_SHAPE(P), TS_FLOAT32, (double)i);
  const ts_tensor *view[SNAPS];
  for (int i = 0; i < SNAPS; i++)
    view[i] = snaps[i];
  ts_tensor *st = ts_stack(view, SNAPS, 0);
  ts_tensor *avg = ts_mean_dim(st, TS_SHAPE(0), false, TS_NO_DTYPE);
  ts_free(st);
  for (int i = 0; i < SNAPS; i++)
    ts_free(snaps[i]);
  printf("avg %lld\n", (long long)ts_numel(avg));
  ts_free(avg);
}

// BUG: leak: the loop that frees the snapshots stops one short
void ema_snapshot_short(void) {
  ts_tensor *snaps[SNAPS];
  for (int i = 0; i < SNAPS; i++)
    snaps[i] = ts_full(TS_SHAPE(P), TS_FLOAT32, 1.0); // <- BUG
  double total = 0;
  for (int i = 0; i < SNAPS; i++)
    total += (double)ts_numel(snaps[i]);
  for (int i = 0; i < SNAPS - 1; i++)
    ts_free(snaps[i]);
  printf("total %f\n", total);
}

// BUG: double-free: the last snapshot is freed in the loop and again after
// it
void ema_snapshot_twice(void) {
  ts_tensor *snaps[SNAPS];
  for (int i = 0; i < SNAPS; i++)
    snaps[i] = ts_zeros(TS_SHAPE(P), TS_FLOAT32);
  ts_tensor *latest = snaps[SNAPS - 1];
  for (int i = 0; i < SNAPS; i++)
    ts_free(snaps[i]);
  ts_free(latest); // <- BUG
}

// OK: the normalised batch belongs to the caller's scope
TS_CALLER_SCOPE static ts_tensor *running_normalize(const struct running *r,
                                                    const ts_tensor *x) {
  ts_tensor *c = ts_sub(x, r->mean);
  ts_tensor *sd = ts_sqrt(r->var);
  return ts_div(c, sd);
}

// OK: normalised batches are reduced inside each iteration's scope
void ema_normalize_scoped(void) {
  struct running r;
  running_init(&r);
  TS_SCOPE for (int i = 0; i < 3; i++) {
    ts_tensor *x = ts_randn(TS_SHAPE(2, P), TS_FLOAT32);
    ts_tensor *n = running_normalize(&r, x);
    printf("%f\n", ts_item(ts_mean(n)));
  }
  running_free(&r);
}

// BUG: use-after-scope: the normalised batch of the guarded block is
// returned through a local and printed after the block
void ema_normalize_after(void) {
  struct running r;
  running_init(&r);
  ts_tensor *out = NULL;
  {
    TS_SCOPE_GUARD();
    ts_tensor *x = ts_randn(TS_SHAPE(2, P), TS_FLOAT32);
    out = running_normalize(&r, x);
  }
  printf("%lld\n", (long long)ts_numel(out)); // <- BUG
  running_free(&r);
}

// BUG: unescaped-return: the z-scores made in the function's scope are
// returned without ts_escape
TS_SCOPED static ts_tensor *zscore(const struct running *r,
                                   const ts_tensor *x) {
  ts_tensor *c = ts_sub(x, r->mean);
  ts_tensor *z = ts_div(c, r->var);
  ts_free(c);
  return z; // <- BUG
}

// OK: reads and frees the z-scores (the helper returns them dead)
void ema_zscore(void) {
  struct running r;
  running_init(&r);
  ts_tensor *x = ts_randn(TS_SHAPE(2, P), TS_FLOAT32);
  ts_tensor *z = zscore(&r, x);
  printf("%lld\n", (long long)ts_numel(z));
  ts_free(z);
  ts_free(x);
  running_free(&r);
}

// OK: scoped helper with a manual free inside and an escaped result; the
// caller frees it
TS_SCOPED static ts_tensor *zscore_ok(const struct running *r,
                                      const ts_tensor *x) {
  ts_tensor *c = ts_sub(x, r->mean);
  ts_tensor *z = ts_div(c, r->var);
  ts_free(c);
  return ts_escape(z);
}

// OK: uses the correct scoped helper twice
void ema_zscore_ok(void) {
  struct running r;
  running_init(&r);
  ts_tensor *x = ts_randn(TS_SHAPE(2, P), TS_FLOAT32);
  for (int i = 0; i < 2; i++) {
    ts_tensor *z = zscore_ok(&r, x);
    printf("%lld\n", (long long)ts_numel(z));
    ts_free(z);
  }
  ts_free(x);
  running_free(&r);
}

// BUG: use-after-free: the running statistics are torn down before the
// final report reads the mean
void ema_final_report(void) {
  struct running r;
  running_init(&r);
  ts_tensor *batch = ts_randn(TS_SHAPE(4, P), TS_FLOAT32);
  running_update(&r, batch, 0.5);
  ts_free(batch);
  running_free(&r);
  printf("seen %ld batches, mean of %lld\n", r.count,
         (long long)ts_numel(r.mean)); // <- BUG
}
