/* heldout7_ringstream.c - streaming anomaly detection on a multivariate
 * sensor feed: a ring buffer of sample tensors, rolling mean/std over the
 * window, an exponentially weighted baseline, z-score alerts kept in a
 * growable array, and a status-code API with out-parameters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define RS_DIM 4

typedef struct {
  ts_tensor **slots;
  int cap, head, count;
} rs_ring;

typedef struct {
  long step;
  double score;
  ts_tensor *window; /* owned copy of the sample that fired */
} rs_alert;

typedef struct {
  rs_alert *items;
  int n, cap;
} rs_alerts;

typedef struct {
  ts_tensor *ema; /* [RS_DIM] */
  double alpha;
} rs_baseline;

// OK: plain heap setup, no tensors yet
static int rs_ring_init(rs_ring *r, int cap) {
  r->slots = calloc((size_t)cap, sizeof *r->slots);
  if (!r->slots)
    return -1;
  r->cap = cap;
  r->head = r->count = 0;
  return 0;
}

// OK: the ring takes the sample; when full the oldest is freed first
static void rs_ring_push(rs_ring *r, ts_tensor *x) TS_CONSUMES(2);
static void rs_ring_push(rs_ring *r, ts_tensor *x) {
  int at = (r->head + r->count) % r->cap;
  if (r->count == r->cap) {
    ts_free(r->slots[r->head]);
    r->slots[r->head] = x;
    r->head = (r->head + 1) % r->cap;
    return;
  }
  r->slots[at] = x;
  r->count++;
}

// OK: borrowed view of the i-th oldest sample
static const ts_tensor *rs_ring_at(const rs_ring *r, int i) {
  return r->slots[(r->head + i) % r->cap];
}

// OK: frees the live slots once, then the array
static void rs_ring_destroy(rs_ring *r) {
  for (int i = 0; i < r->count; i++)
    ts_free(r->slots[(r->head + i) % r->cap]);
  free(r->slots);
  r->slots = NULL;
  r->count = 0;
}

// BUG: leak: a sample of the wrong width is rejected after it was copied
static ts_status rs_ring_push_copy(rs_ring *r, const ts_tensor *x) {
  ts_tensor *c = ts_clone(x); // <- BUG
  if (!c)
    return ts_last_status();
  if (ts_numel(c) != RS_DIM)
    return TS_ERR_SHAPE;
  rs_ring_push(r, c);
  return TS_OK;
}

// OK: the width is checked before anything is made
static ts_status rs_ring_push_checked(rs_ring *r, const ts_tensor *x) {
  if (ts_numel(x) != RS_DIM)
    return TS_ERR_SHAPE;
  ts_tensor *c = ts_clone(x);
  if (!c)
    return ts_last_status();
  rs_ring_push(r, c);
  return TS_OK;
}

// OK: stacks the window in a guard scope; mean and std escape to the caller
static ts_status rs_window_stats(const rs_ring *r, ts_tensor **mean, ts_tensor **std) {
  const ts_tensor *rows[64];
  if (r->count < 2 || r->count > 64)
    return TS_ERR_ARG;
  TS_SCOPE_GUARD();
  for (int i = 0; i < r->count; i++)
    rows[i] = rs_ring_at(r, i);
  ts_tensor *w = ts_stack(rows, r->count, 0);
  ts_tensor *m = ts_mean_dim(w, TS_SHAPE(0), false, TS_NO_DTYPE);
  ts_tensor *v = ts_var_dim(w, TS_SHAPE(0), true, false);
  *mean = ts_escape(m);
  *std = ts_escape(ts_add_scalar(ts_sqrt(v), 1e-6));
  return TS_OK;
}

// BUG: leak: the mean is dropped when the std cannot be formed
static ts_status rs_window_stats_manual(const rs_ring *r, ts_tensor **mean, ts_tensor **std) {
  const ts_tensor *rows[64];
  for (int i = 0; i < r->count; i++)
    rows[i] = rs_ring_at(r, i);
  ts_tensor *w = ts_stack(rows, r->count, 0);
  ts_tensor *m = ts_mean_dim(w, TS_SHAPE(0), false, TS_NO_DTYPE); // <- BUG
  if (r->count < 3) {
    ts_free(w);
    return TS_ERR_ARG;
  }
  ts_tensor *v = ts_var_dim(w, TS_SHAPE(0), true, false);
  ts_free(w);
  *std = ts_sqrt(v);
  ts_free(v);
  *mean = m;
  return TS_OK;
}

// OK: the z-score of one sample, every temporary freed
static double rs_zscore(const ts_tensor *x, const ts_tensor *mean, const ts_tensor *std) {
  ts_tensor *d = ts_sub(x, mean);
  ts_tensor *z = ts_div(d, std);
  ts_free(d);
  ts_tensor *a = ts_amax(ts_abs_(z), TS_SHAPE(0), false);
  ts_free(z);
  double s = ts_item(a);
  ts_free(a);
  return s;
}

// BUG: unescaped-return: the per-channel z vector belongs to the guard scope
static ts_tensor *rs_zvector(const ts_tensor *x, const ts_tensor *mean, const ts_tensor *std) {
  TS_SCOPE_GUARD();
  ts_tensor *d = ts_sub(x, mean);
  return ts_div(d, std); // <- BUG
}

// OK: the same vector, escaped out of the guard scope
static ts_tensor *rs_zvector_escaped(const ts_tensor *x, const ts_tensor *mean,
                                     const ts_tensor *std) {
  TS_SCOPE_GUARD();
  ts_tensor *d = ts_sub(x, mean);
  return ts_escape(ts_div(d, std));
}

// OK: starts the baseline at zero
static int rs_baseline_init(rs_baseline *b, double alpha) {
  b->alpha = alpha;
  b->ema = ts_zeros(TS_SHAPE(RS_DIM), TS_FLOAT32);
  return b->ema ? 0 : -1;
}

// OK: replaces the average, the old one freed after the new one is made
static void rs_baseline_update(rs_baseline *b, const ts_tensor *x) {
  ts_tensor *keep = ts_mul_scalar(b->ema, 1.0 - b->alpha);
  ts_tensor *add = ts_mul_scalar(x, b->alpha);
  ts_tensor *next = ts_add(keep, add);
  ts_free(keep);
  ts_free(add);
  ts_free(b->ema);
  b->ema = next;
}

// BUG: leak: the previous average is overwritten without being freed
static void rs_baseline_update_fast(rs_baseline *b, const ts_tensor *x) {
  ts_tensor *delta = ts_sub(x, b->ema);
  ts_mul_Scalar_(delta, b->alpha);
  b->ema = ts_add(b->ema, delta); // <- BUG
  ts_free(delta);
}

// OK: frees the average once
static void rs_baseline_free(rs_baseline *b) {
  ts_free(b->ema);
  b->ema = NULL;
}

// OK: grows the array with realloc; the alert takes the window copy
static int rs_alerts_add(rs_alerts *a, long step, double score, ts_tensor *window) {
  if (a->n == a->cap) {
    int cap = a->cap ? a->cap * 2 : 4;
    rs_alert *p = realloc(a->items, (size_t)cap * sizeof *p);
    if (!p) {
      ts_free(window);
      return -1;
    }
    a->items = p;
    a->cap = cap;
  }
  a->items[a->n].step = step;
  a->items[a->n].score = score;
  a->items[a->n].window = window;
  a->n++;
  return 0;
}

// OK: frees every alert's window once, then the array
static void rs_alerts_free(rs_alerts *a) {
  for (int i = 0; i < a->n; i++)
    ts_free(a->items[i].window);
  free(a->items);
  a->items = NULL;
  a->n = a->cap = 0;
}

// OK: makes one sensor reading from a phase; the spike channel jumps at step 17
static ts_tensor *rs_sample(long step) {
  float v[RS_DIM];
  for (int k = 0; k < RS_DIM; k++)
    v[k] = (float)(0.1 * k + 0.01 * (step % 5));
  if (step == 17)
    v[2] += 9.0f;
  return ts_from_buffer(v, TS_SHAPE(RS_DIM), TS_FLOAT32);
}

// OK: ring of owned samples, stats per step, alerts keep their own copies
static int rs_process(long steps, double thresh, rs_alerts *alerts) {
  rs_ring r;
  if (rs_ring_init(&r, 8) != 0)
    return -1;
  for (long s = 0; s < steps; s++) {
    ts_tensor *x = rs_sample(s);
    ts_tensor *mean, *std;
    if (rs_window_stats(&r, &mean, &std) == TS_OK) {
      double z = rs_zscore(x, mean, std);
      if (z > thresh)
        rs_alerts_add(alerts, s, z, ts_clone(x));
      ts_free(mean);
      ts_free(std);
    }
    rs_ring_push(&r, x);
  }
  rs_ring_destroy(&r);
  return 0;
}

// BUG: double-free: the alert stores the ring's own sample, and both free it
static int rs_process_borrowed(long steps, double thresh, rs_alerts *alerts) {
  rs_ring r;
  if (rs_ring_init(&r, 32) != 0)
    return -1;
  for (long s = 0; s < steps; s++) {
    ts_tensor *x = rs_sample(s);
    ts_tensor *mean, *std;
    if (rs_window_stats(&r, &mean, &std) == TS_OK) {
      double z = rs_zscore(x, mean, std);
      if (z > thresh)
        rs_alerts_add(alerts, s, z, x); // <- BUG
      ts_free(mean);
      ts_free(std);
    }
    rs_ring_push(&r, x);
  }
  rs_ring_destroy(&r);
  return 0;
}

// BUG: use-after-free: the oldest sample is read after the push that evicted it
static double rs_drift(rs_ring *r, long step) {
  const ts_tensor *oldest = rs_ring_at(r, 0);
  rs_ring_push(r, rs_sample(step));
  ts_tensor *d = ts_sub(rs_ring_at(r, r->count - 1), oldest); // <- BUG
  ts_tensor *n = ts_linalg_vector_norm(d, 2.0, NULL, -1, false, TS_NO_DTYPE);
  double v = ts_item(n);
  ts_free(n);
  ts_free(d);
  return v;
}

// OK: the drift measured before the push can evict the oldest sample
static double rs_drift_ok(rs_ring *r, long step) {
  ts_tensor *x = rs_sample(step);
  ts_tensor *d = ts_sub(x, rs_ring_at(r, 0));
  ts_tensor *n = ts_linalg_vector_norm(d, 2.0, NULL, -1, false, TS_NO_DTYPE);
  double v = ts_item(n);
  ts_free(n);
  ts_free(d);
  rs_ring_push(r, x);
  return v;
}

// BUG: use-after-scope: samples made in the loop's scopes are pushed into a ring that outlives them
static double rs_fill_scoped(rs_ring *r, long steps) {
  TS_SCOPE for (long s = 0; s < steps; s++) {
    ts_tensor *x = rs_sample(s);
    rs_ring_push(r, ts_relu(x));
  }
  return (double)ts_numel(rs_ring_at(r, 0)); // <- BUG
}

// OK: the scoped loop keeps each sample before handing it to the ring
static void rs_fill_kept(rs_ring *r, long steps) {
  TS_SCOPE for (long s = 0; s < steps; s++) {
    ts_tensor *x = rs_sample(s);
    rs_ring_push(r, ts_keep(ts_relu(x)));
  }
}

// OK: the stream with owned alert copies
void rs_run_stream(void) {
  rs_alerts alerts = {0};
  rs_process(24, 3.0, &alerts);
  for (int i = 0; i < alerts.n; i++)
    printf("ringstream: alert at %ld score %.1f\n", alerts.items[i].step, alerts.items[i].score);
  rs_alerts_free(&alerts);
}

// OK: drives the borrowed-alert variant
void rs_run_borrowed(void) {
  rs_alerts alerts = {0};
  rs_process_borrowed(24, 3.0, &alerts);
  rs_alerts_free(&alerts);
}

// OK: pushes a checked sample and a rejected one
void rs_run_push(void) {
  rs_ring r;
  if (rs_ring_init(&r, 4) != 0)
    return;
  ts_tensor *good = rs_sample(1);
  ts_tensor *bad = ts_zeros(TS_SHAPE(RS_DIM + 1), TS_FLOAT32);
  rs_ring_push_checked(&r, good);
  if (rs_ring_push_checked(&r, bad) != TS_OK)
    printf("ringstream: rejected a sample\n");
  ts_free(bad);
  ts_free(good);
  rs_ring_destroy(&r);
}

// OK: the copying push, fed a sample of the wrong width
void rs_run_push_copy(void) {
  rs_ring r;
  if (rs_ring_init(&r, 4) != 0)
    return;
  ts_tensor *bad = ts_zeros(TS_SHAPE(RS_DIM + 1), TS_FLOAT32);
  if (rs_ring_push_copy(&r, bad) != TS_OK)
    printf("ringstream: rejected a copy\n");
  ts_free(bad);
  rs_ring_destroy(&r);
}

// OK: manual stats over a window too short for a std
void rs_run_manual_stats(void) {
  rs_ring r;
  ts_tensor *m = NULL, *s = NULL;
  if (rs_ring_init(&r, 4) != 0)
    return;
  rs_ring_push(&r, rs_sample(0));
  rs_ring_push(&r, rs_sample(1));
  if (rs_window_stats_manual(&r, &m, &s) == TS_OK) {
    ts_free(m);
    ts_free(s);
  }
  rs_ring_destroy(&r);
}

// OK: baselines updated both ways, z vectors printed
void rs_run_baseline(void) {
  rs_baseline b;
  if (rs_baseline_init(&b, 0.2) != 0)
    return;
  for (long s = 0; s < 6; s++) {
    ts_tensor *x = rs_sample(s);
    rs_baseline_update(&b, x);
    ts_free(x);
  }
  ts_tensor *sd = ts_ones(TS_SHAPE(RS_DIM), TS_FLOAT32);
  ts_tensor *x = rs_sample(17);
  ts_tensor *z = rs_zvector_escaped(x, b.ema, sd);
  printf("ringstream: z[2] numel %lld\n", (long long)ts_numel(z));
  ts_free(z);
  ts_free(x);
  ts_free(sd);
  rs_baseline_free(&b);
}

// OK: the fast baseline update over a few samples
void rs_run_baseline_fast(void) {
  rs_baseline b;
  if (rs_baseline_init(&b, 0.2) != 0)
    return;
  ts_tensor *x = rs_sample(3);
  rs_baseline_update_fast(&b, x);
  ts_free(x);
  rs_baseline_free(&b);
}

// OK: uses and frees the z vector it is given
void rs_run_zvector(void) {
  ts_tensor *x = rs_sample(17);
  ts_tensor *mu = ts_zeros(TS_SHAPE(RS_DIM), TS_FLOAT32);
  ts_tensor *sd = ts_ones(TS_SHAPE(RS_DIM), TS_FLOAT32);
  ts_tensor *z = rs_zvector(x, mu, sd);
  ts_tensor *top = ts_max(z);
  printf("ringstream: max z %.2f\n", ts_item(top));
  ts_free(top);
  ts_free(z);
  ts_free(sd);
  ts_free(mu);
  ts_free(x);
}

// OK: drift on a full ring, measured both ways
void rs_run_drift(void) {
  rs_ring r;
  if (rs_ring_init(&r, 3) != 0)
    return;
  rs_fill_kept(&r, 3);
  printf("ringstream: drift %.3f\n", rs_drift_ok(&r, 9));
  rs_ring_destroy(&r);
}

// OK: drift with the alias held across the push
void rs_run_drift_alias(void) {
  rs_ring r;
  if (rs_ring_init(&r, 3) != 0)
    return;
  rs_fill_kept(&r, 3);
  printf("ringstream: drift %.3f\n", rs_drift(&r, 9));
  rs_ring_destroy(&r);
}

// OK: fills the ring from the scoped loop
void rs_run_fill_scoped(void) {
  rs_ring r;
  if (rs_ring_init(&r, 8) != 0)
    return;
  printf("ringstream: first %.3f\n", rs_fill_scoped(&r, 4));
  rs_ring_destroy(&r);
}

// BUG: double-free: the alert list owns the window it was given, yet the caller frees it as well
void rs_run_manual_alert(void) {
  rs_alerts alerts = {0};
  ts_tensor *w = rs_sample(17);
  if (rs_alerts_add(&alerts, 17, 9.0, w) == 0)
    printf("ringstream: %d alerts\n", alerts.n);
  ts_free(w); // <- BUG
  rs_alerts_free(&alerts);
}

// BUG: leak: the window's std is never freed, only its mean
void rs_run_window_mean(void) {
  rs_ring r;
  ts_tensor *mean, *std;
  if (rs_ring_init(&r, 4) != 0)
    return;
  for (long s = 0; s < 4; s++)
    rs_ring_push(&r, rs_sample(s));
  if (rs_window_stats(&r, &mean, &std) == TS_OK) { // <- BUG
    printf("ringstream: mean over %lld channels\n", (long long)ts_numel(mean));
    ts_free(mean);
  }
  rs_ring_destroy(&r);
}

// BUG: use-after-scope: a sample made in the block is pushed after its scope ended
void rs_run_block_sample(void) {
  rs_ring r;
  ts_tensor *x = NULL;
  if (rs_ring_init(&r, 4) != 0)
    return;
  TS_SCOPE {
    x = ts_relu(rs_sample(3));
  }
  rs_ring_push(&r, x); // <- BUG
  printf("ringstream: %lld values\n", (long long)ts_numel(rs_ring_at(&r, 0)));
  rs_ring_destroy(&r);
}
