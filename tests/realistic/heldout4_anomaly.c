/* heldout4_anomaly.c - a sliding-window anomaly detector over a stream of
 * feature vectors: a ring of the last samples that owns them, z-scores
 * against the window, exponentially weighted statistics, alarms through a
 * callback that logs copies of the offending samples, CUSUM, batch
 * scoring, seasonal baselines and pooled feature buffers.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { WIN = 8, FEAT = 3, SEASONS = 4 };

struct window {
  ts_tensor *slots[WIN]; /* [FEAT] each, owned; NULL when empty */
  int head, count;
};

typedef void (*alarm_fn)(void *user, int t, const ts_tensor *x, double score);

struct detector {
  struct window w;
  ts_tensor *mean, *var; /* exponentially weighted, [FEAT] */
  double threshold;
  alarm_fn on_alarm;
  void *user;
  int t;
};

struct alarm_log {
  ts_tensor **samples; /* copies, owned */
  int *times;
  int n, cap;
};

/* Helpers that take ownership of a tensor argument. */
static void window_push(struct window *w, ts_tensor *x) TS_CONSUMES(2);
static void window_push_fast(struct window *w, ts_tensor *x) TS_CONSUMES(2);

// OK: an empty window
static void window_init(struct window *w) {
  for (int i = 0; i < WIN; i++)
    w->slots[i] = NULL;
  w->head = w->count = 0;
}

// OK: takes ownership of x; the sample it overwrites is freed
static void window_push(struct window *w, ts_tensor *x) {
  if (w->slots[w->head])
    ts_free(w->slots[w->head]);
  w->slots[w->head] = x;
  w->head = (w->head + 1) % WIN;
  if (w->count < WIN)
    w->count++;
}

// BUG: leak: the sample in the overwritten slot is dropped without a free
static void window_push_fast(struct window *w, ts_tensor *x) {
  w->slots[w->head] = x; // <- BUG
  w->head = (w->head + 1) % WIN;
  if (w->count < WIN)
    w->count++;
}

// OK: frees every occupied slot
static void window_clear(struct window *w) {
  for (int i = 0; i < WIN; i++) {
    if (w->slots[i]) {
      ts_free(w->slots[i]);
      w->slots[i] = NULL;
    }
  }
  w->head = w->count = 0;
}

// OK: the occupied slots stacked into [count, FEAT], for the caller
static ts_tensor *window_stack(const struct window *w) {
  const ts_tensor *rows[WIN];
  int n = 0;
  for (int i = 0; i < WIN; i++)
    if (w->slots[i])
      rows[n++] = w->slots[i];
  return n ? ts_stack(rows, n, 0) : NULL;
}

// OK: the largest |z| of x against the window, temporaries in the
// function's scope
TS_SCOPED static double window_score(const struct window *w,
                                     const ts_tensor *x) {
  ts_tensor *h = window_stack(w);
  if (!h || w->count < 2)
    return 0.0;
  ts_tensor *sm[2];
  if (ts_std_mean_dim(sm, h, TS_SHAPE(0), true, false) != TS_OK)
    return 0.0;
  ts_tensor *z = ts_div(ts_sub(x, sm[1]), ts_add_scalar(sm[0], 1e-6));
  return ts_item(ts_max(ts_abs(z)));
}

// OK: a detector with an empty window and zero statistics; on failure
// nothing is kept
static int detector_init(struct detector *d, double thr, alarm_fn fn,
                         void *user) {
  window_init(&d->w);
  d->mean = ts_zeros(TS_SHAPE(FEAT), TS_FLOAT32);
  if (!d->mean)
    return -1;
  d->var = ts_ones(TS_SHAPE(FEAT), TS_FLOAT32);
  if (!d->var) {
    ts_free(d->mean);
    return -1;
  }
  d->threshold = thr;
  d->on_alarm = fn;
  d->user = user;
  d->t = 0;
  return 0;
}

// OK: frees the window and the statistics (once: it does not clear them)
static void detector_free(struct detector *d) {
  window_clear(&d->w);
  ts_free(d->mean);
  ts_free(d->var);
}

// OK: scores x, raises an alarm through the callback, updates the
// weighted statistics in place and keeps a copy of x in the window
static void detector_observe(struct detector *d, const ts_tensor *x) {
  double s = window_score(&d->w, x);
  if (d->w.count >= WIN / 2 && s > d->threshold && d->on_alarm)
    d->on_alarm(d->user, d->t, x, s);
  TS_SCOPE {
    ts_tensor *dev = ts_sub(x, d->mean);
    ts_lerp_Scalar_(d->mean, x, 0.1);
    ts_lerp_Scalar_(d->var, ts_mul(dev, dev), 0.1);
  }
  window_push(&d->w, ts_clone(x));
  d->t++;
}

// OK: a stream sample at time t: noise, a spike every 13th step
static ts_tensor *stream_sample(int t) {
  ts_tensor *x = ts_randn(TS_SHAPE(FEAT), TS_FLOAT32);
  if (t % 13 == 12)
    ts_add_Scalar_(x, 8.0, 1.0);
  return x;
}

// OK: a callback counting alarms in an int
static void count_alarm(void *user, int t, const ts_tensor *x, double score) {
  (void)t;
  (void)x;
  (void)score;
  (*(int *)user)++;
}

// OK: forty samples through the detector, each freed after observe
void anom_stream(void) {
  struct detector d;
  int alarms = 0;
  ts_manual_seed(17);
  if (detector_init(&d, 4.0, count_alarm, &alarms) != 0)
    return;
  for (int t = 0; t < 40; t++) {
    ts_tensor *x = stream_sample(t);
    detector_observe(&d, x);
    ts_free(x);
  }
  printf("%d alarms\n", alarms);
  detector_free(&d);
}

// OK: the window filled past its size through window_push_fast
void anom_fast_window(void) {
  struct window w;
  window_init(&w);
  for (int t = 0; t < WIN + 3; t++)
    window_push_fast(&w, stream_sample(t));
  printf("window holds %d\n", w.count);
  window_clear(&w);
}

// BUG: double-free: the window owns x after the push, and the caller
// frees it too
void anom_push_and_free(void) {
  struct window w;
  window_init(&w);
  for (int t = 0; t < 3; t++) {
    ts_tensor *x = stream_sample(t);
    window_push(&w, x);
    ts_free(x);
  }
  window_clear(&w); // <- BUG
}

// BUG: use-after-free: the newest sample is remembered while WIN more
// pushes go round the ring and free its slot
void anom_stale_latest(void) {
  struct window w;
  window_init(&w);
  window_push(&w, stream_sample(0));
  ts_tensor *latest = w.slots[0];
  for (int t = 1; t <= WIN; t++)
    window_push(&w, stream_sample(t));
  ts_tensor *n = ts_norm_Scalar(latest, 2.0); // <- BUG
  printf("first sample norm %.3f\n", ts_item(n));
  ts_free(n);
  window_clear(&w);
}

// BUG: unescaped-return: the window mean is made in the function's scope
// and returned without ts_escape
TS_SCOPED static ts_tensor *window_mean(const struct window *w) {
  ts_tensor *h = window_stack(w);
  return ts_mean_dim(h, TS_SHAPE(0), false, TS_NO_DTYPE); // <- BUG
}

// OK: uses and frees what window_mean returns
void anom_window_mean(void) {
  struct window w;
  window_init(&w);
  for (int t = 0; t < 5; t++)
    window_push(&w, stream_sample(t));
  ts_tensor *m = window_mean(&w);
  ts_tensor *n = ts_norm_Scalar(m, 2.0);
  printf("window mean norm %.3f\n", ts_item(n));
  ts_free(n);
  ts_free(m);
  window_clear(&w);
}

// BUG: use-after-scope: the stacked history is made inside a scope and
// read after it
void anom_history(void) {
  struct window w;
  window_init(&w);
  for (int t = 0; t < 5; t++)
    window_push(&w, stream_sample(t));
  ts_tensor *h = NULL;
  TS_SCOPE {
    h = window_stack(&w);
    printf("history %lld rows\n", (long long)ts_size(h, 0));
  }
  ts_tensor *mx = ts_max(h); // <- BUG
  printf("max %.3f\n", ts_item(mx));
  ts_free(mx);
  window_clear(&w);
}

// OK: CUSUM on the first feature: only doubles leave each iteration's
// scope
void anom_cusum(void) {
  double pos = 0.0, neg = 0.0, k = 0.5, h = 5.0;
  int first = -1;
  TS_SCOPE for (int t = 0; t < 40; t++) {
    ts_tensor *x = stream_sample(t);
    double v = ts_item(ts_select_int(x, 0, 0));
    pos = fmax(0.0, pos + v - k);
    neg = fmax(0.0, neg - v - k);
    if (first < 0 && (pos > h || neg > h))
      first = t;
  }
  printf("cusum first alarm at %d\n", first);
}

// OK: grows the log as needed; the copy is freed if the log cannot grow
static void alarm_log_add(void *user, int t, const ts_tensor *x, double score) {
  struct alarm_log *log = user;
  (void)score;
  ts_tensor *copy = ts_clone(x);
  if (log->n == log->cap) {
    int cap = log->cap ? 2 * log->cap : 4;
    ts_tensor **s = realloc(log->samples, sizeof *s * (size_t)cap);
    if (!s) {
      ts_free(copy);
      return;
    }
    log->samples = s;
    int *tm = realloc(log->times, sizeof *tm * (size_t)cap);
    if (!tm) {
      ts_free(copy);
      return;
    }
    log->times = tm;
    log->cap = cap;
  }
  log->samples[log->n] = copy;
  log->times[log->n++] = t;
}

// OK: frees the copies and the arrays
static void alarm_log_free(struct alarm_log *log) {
  for (int i = 0; i < log->n; i++)
    ts_free(log->samples[i]);
  free(log->samples);
  free(log->times);
  log->samples = NULL;
  log->times = NULL;
  log->n = log->cap = 0;
}

// OK: alarms logged through the callback, reviewed, and the log freed
void anom_alarm_log(void) {
  struct detector d;
  struct alarm_log log = {NULL, NULL, 0, 0};
  ts_manual_seed(17);
  if (detector_init(&d, 3.0, alarm_log_add, &log) != 0)
    return;
  for (int t = 0; t < 40; t++) {
    ts_tensor *x = stream_sample(t);
    detector_observe(&d, x);
    ts_free(x);
  }
  for (int i = 0; i < log.n; i++) {
    ts_tensor *m = ts_max(log.samples[i]);
    printf("alarm at %d, peak %.2f\n", log.times[i], ts_item(m));
    ts_free(m);
  }
  alarm_log_free(&log);
  detector_free(&d);
}

// OK: batch scores of N samples against the detector's statistics, for
// the caller
static ts_tensor *batch_scores(const struct detector *d, const ts_tensor *X) {
  TS_SCOPE_GUARD();
  ts_tensor *sd = ts_sqrt(ts_add_scalar(d->var, 1e-6));
  ts_tensor *z = ts_abs(ts_div(ts_sub(X, d->mean), sd));
  ts_tensor *mx[2];
  if (ts_max_dim(mx, z, 1, false) != TS_OK)
    return NULL;
  return ts_keep(mx[0]);
}

// BUG: leak: each row is scored through a view that is never freed
void anom_row_scores(void) {
  struct detector d;
  if (detector_init(&d, 3.0, NULL, NULL) != 0)
    return;
  ts_tensor *X = ts_randn(TS_SHAPE(6, FEAT), TS_FLOAT32);
  double worst = 0.0;
  for (int i = 0; i < 6; i++) {
    ts_tensor *row = ts_select_int(X, 0, i); // <- BUG
    double s = window_score(&d.w, row);
    if (s > worst)
      worst = s;
  }
  printf("worst %.3f\n", worst);
  ts_free(X);
  detector_free(&d);
}

// OK: batch scoring of a matrix through batch_scores
void anom_batch(void) {
  struct detector d;
  if (detector_init(&d, 3.0, NULL, NULL) != 0)
    return;
  ts_tensor *X = ts_randn(TS_SHAPE(6, FEAT), TS_FLOAT32);
  ts_tensor *s = batch_scores(&d, X);
  if (s) {
    ts_tensor *over = ts_gt_Scalar(s, 2.0);
    ts_tensor *cnt = ts_count_nonzero(over, TS_NO_INT);
    printf("%lld over threshold\n", (long long)ts_item(cnt));
    ts_free(cnt);
    ts_free(over);
    ts_free(s);
  }
  ts_free(X);
  detector_free(&d);
}

// BUG: double-free: a detector that raised too many alarms is freed in the
// branch, and again at the end
void anom_noisy_detector(void) {
  struct detector d;
  int alarms = 0;
  ts_manual_seed(17);
  if (detector_init(&d, 0.0, count_alarm, &alarms) != 0)
    return;
  for (int t = 0; t < 12; t++) {
    ts_tensor *x = stream_sample(t);
    detector_observe(&d, x);
    ts_free(x);
  }
  if (alarms > 3) {
    printf("too noisy (%d alarms)\n", alarms);
    detector_free(&d);
  }
  detector_free(&d); // <- BUG
}

// OK: a per-season baseline updated in place and freed in a loop
void anom_seasonal(void) {
  ts_tensor *season[SEASONS];
  for (int s = 0; s < SEASONS; s++)
    season[s] = ts_zeros(TS_SHAPE(FEAT), TS_FLOAT32);
  for (int t = 0; t < 20; t++) {
    ts_tensor *x = stream_sample(t);
    ts_lerp_Scalar_(season[t % SEASONS], x, 0.2);
    ts_free(x);
  }
  for (int s = 0; s < SEASONS; s++) {
    ts_tensor *n = ts_norm_Scalar(season[s], 2.0);
    printf("season %d baseline %.3f\n", s, ts_item(n));
    ts_free(n);
    ts_free(season[s]);
  }
}

// BUG: use-after-free: the season's old baseline is freed and then read
// to compute the change, before the new one is stored
void anom_seasonal_replace(void) {
  ts_tensor *season[SEASONS];
  for (int s = 0; s < SEASONS; s++)
    season[s] = ts_zeros(TS_SHAPE(FEAT), TS_FLOAT32);
  ts_tensor *x = stream_sample(1);
  ts_tensor *fresh = ts_lerp_Scalar(season[1], x, 0.5);
  ts_free(season[1]);
  ts_tensor *change = ts_sub(fresh, season[1]); // <- BUG
  season[1] = fresh;
  ts_free(change);
  ts_free(x);
  for (int s = 0; s < SEASONS; s++)
    ts_free(season[s]);
}

// OK: per-step feature buffers from a pool: acquire or make, release on
// both paths
void anom_pooled_features(void) {
  ts_pool *pool = ts_pool_new(2);
  double acc = 0.0;
  for (int t = 0; t < 10; t++) {
    ts_tensor *buf = ts_pool_acquire(pool, TS_SHAPE(FEAT), TS_FLOAT32);
    if (!buf)
      buf = ts_empty(TS_SHAPE(FEAT), TS_FLOAT32);
    ts_tensor *x = stream_sample(t);
    ts_copy_(buf, x, false);
    ts_free(x);
    if (t % 5 == 0) {
      ts_pool_release(pool, buf);
      continue;
    }
    ts_tensor *s = ts_sum(buf);
    acc += ts_item(s);
    ts_free(s);
    ts_pool_release(pool, buf);
  }
  printf("feature sum %.3f\n", acc);
  ts_pool_destroy(pool);
}

// BUG: leak: the warm-up ticks skip the step without releasing the buffer
// they acquired
void anom_pooled_warmup(void) {
  ts_pool *pool = ts_pool_new(2);
  double acc = 0.0;
  for (int t = 0; t < 10; t++) {
    ts_tensor *buf = ts_pool_acquire(pool, TS_SHAPE(FEAT), TS_FLOAT32);
    if (!buf)
      buf = ts_empty(TS_SHAPE(FEAT), TS_FLOAT32); // <- BUG
    if (t < 2)
      continue;
    ts_tensor *x = stream_sample(t);
    ts_copy_(buf, x, false);
    ts_free(x);
    ts_tensor *s = ts_sum(buf);
    acc += ts_item(s);
    ts_free(s);
    ts_pool_release(pool, buf);
  }
  printf("feature sum %.3f\n", acc);
  ts_pool_destroy(pool);
}

struct quantile_job {
  const struct window *w;
  double q95;
};

// OK: a ts_run job: the 95th percentile of the window's first feature
static void *quantile_job(void *ctx) {
  struct quantile_job *j = ctx;
  ts_tensor *h = window_stack(j->w);
  if (!h)
    return NULL;
  ts_tensor *col = ts_select_int(h, 1, 0);
  ts_tensor *r[2];
  if (ts_sort(r, col, 0, false) != TS_OK)
    return NULL;
  int64_t k = (int64_t)(0.95 * (ts_numel(col) - 1));
  j->q95 = ts_item(ts_select_int(r[0], 0, k));
  return NULL;
}

// OK: a threshold from the window through ts_run
void anom_threshold(void) {
  struct window w;
  window_init(&w);
  for (int t = 0; t < WIN; t++)
    window_push(&w, stream_sample(t));
  struct quantile_job j = {&w, 0.0};
  ts_run(quantile_job, &j);
  printf("q95 %.3f\n", j.q95);
  window_clear(&w);
}
