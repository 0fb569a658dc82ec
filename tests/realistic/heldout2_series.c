/* heldout2_series.c - time-series windowing: sliding windows as narrowed
 * views, z-scores, rolling statistics, lagged features, resampling of a
 * series struct, naive forecasts, unbinding a batch of series.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define LEN 24
#define MAXW 16

struct series {
  ts_tensor *values; /* [LEN], owned */
  double dt;
};

// OK: windows of length w every stride steps, as views the caller frees
static int windows(const ts_tensor *x, int w, int stride, ts_tensor **out,
                   int cap) {
  int n = 0;
  for (int64_t s = 0; s + w <= ts_size(x, 0) && n < cap; s += stride)
    out[n++] = ts_narrow(x, 0, s, w);
  return n;
}

// OK: frees n windows
static void windows_free(ts_tensor **win, int n) {
  for (int i = 0; i < n; i++)
    ts_free(win[i]);
}

// OK: (x - mean) / std, a new tensor
static ts_tensor *zscore(const ts_tensor *x) {
  ts_tensor *sm[2];
  if (ts_std_mean(sm, x, true) != TS_OK)
    return NULL;
  ts_tensor *c = ts_sub(x, sm[1]);
  ts_tensor *z = ts_div(c, sm[0]);
  ts_free(c);
  ts_free(sm[0]);
  ts_free(sm[1]);
  return z;
}

// BUG: leak: each window view is made for its mean and never freed
static void rolling_mean(const ts_tensor *x, int w, double *out, int n) {
  for (int i = 0; i < n; i++) {
    ts_tensor *v = ts_narrow(x, 0, i, w); // <- BUG
    ts_tensor *m = ts_mean(v);
    out[i] = ts_item(m);
    ts_free(m);
  }
}

// OK: rolling means of a ramp (rolling_mean leaks by itself)
void series_rolling(void) {
  ts_tensor *x = ts_arange(0, LEN, 1, TS_FLOAT32);
  double means[LEN - 4 + 1];
  rolling_mean(x, 4, means, LEN - 4 + 1);
  printf("first rolling mean %.1f\n", means[0]);
  ts_free(x);
}

// BUG: leak: a non-positive horizon returns before the last value is freed
static ts_tensor *forecast_last(const ts_tensor *x, int h) {
  ts_tensor *last = ts_narrow(x, 0, ts_size(x, 0) - 1, 1); // <- BUG
  if (h <= 0)
    return NULL;
  ts_tensor *f = ts_repeat(last, TS_SHAPE(h));
  ts_free(last);
  return f;
}

// OK: forecasts with a good and a bad horizon (forecast_last leaks itself)
void series_forecast(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(LEN), TS_FLOAT32);
  ts_tensor *f = forecast_last(x, 3);
  ts_tensor *g = forecast_last(x, 0);
  printf("forecast %lld %s\n", (long long)ts_numel(f), g ? "?" : "none");
  if (g)
    ts_free(g);
  ts_free(f);
  ts_free(x);
}

// BUG: use-after-free: the old values are freed, then their mean is taken
// for the log line
static void resample(struct series *s) {
  ts_tensor *x3 = ts_reshape(s->values, TS_SHAPE(1, 1, ts_size(s->values, 0)));
  ts_tensor *p =
      ts_avg_pool1d(x3, TS_SHAPE(2), TS_SHAPE(2), TS_SHAPE(0), false, true);
  ts_free(x3);
  ts_free(s->values);
  ts_tensor *old_mean = ts_mean(s->values); // <- BUG
  printf("resampled from mean %.3f\n", ts_item(old_mean));
  ts_free(old_mean);
  s->values = ts_flatten_using_ints(p, 0, -1);
  ts_free(p);
  s->dt *= 2;
}

// OK: drives resample
void series_resample(void) {
  struct series s = {ts_randn(TS_SHAPE(LEN), TS_FLOAT32), 1.0};
  resample(&s);
  ts_free(s.values);
}

// BUG: use-after-free: the lagged copy is freed, then its length is printed
void series_lagged(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(LEN), TS_FLOAT32);
  ts_tensor *now = ts_narrow(x, 0, 1, LEN - 1);
  ts_tensor *lag1 = ts_narrow(x, 0, 0, LEN - 1);
  const ts_tensor *cols[2] = {now, lag1};
  ts_tensor *feat = ts_stack(cols, 2, 1);
  ts_free(lag1);
  ts_free(now);
  printf("features %lld x %lld from lag of %lld\n", (long long)ts_size(feat, 0),
         (long long)ts_size(feat, 1), (long long)ts_size(lag1, 0)); // <- BUG
  ts_free(feat);
  ts_free(x);
}

// BUG: double-free: the NaN check frees the windows and jumps to the common
// exit, which frees them again
void series_windows_nan(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(LEN), TS_FLOAT32);
  ts_tensor *win[MAXW];
  int n = windows(x, 6, 3, win, MAXW);
  for (int i = 0; i < n; i++) {
    ts_tensor *z = zscore(win[i]);
    ts_tensor *bad = ts_isnan(z);
    ts_tensor *any = ts_any(bad);
    int has_nan = ts_item(any) != 0 || i == n - 1;
    ts_free(any);
    ts_free(bad);
    ts_free(z);
    if (has_nan) {
      fprintf(stderr, "series: window %d rejected\n", i);
      windows_free(win, n);
      goto out;
    }
  }
out:
  windows_free(win, n); // <- BUG
  ts_free(x);
}

// OK: z-scores of every window replace the windows; all freed once
void series_windows_ok(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(LEN), TS_FLOAT32);
  ts_tensor *win[MAXW];
  int n = windows(x, 6, 3, win, MAXW);
  ts_free(x);
  for (int i = 0; i < n; i++) {
    ts_tensor *z = zscore(win[i]);
    ts_free(win[i]);
    win[i] = z;
  }
  printf("%d windows\n", n);
  windows_free(win, n);
}

// OK: returns x itself when there is nothing to smooth, else a new tensor
static ts_tensor *smooth(ts_tensor *x, int k) {
  if (k <= 1)
    return x;
  ts_tensor *x3 = ts_reshape(x, TS_SHAPE(1, 1, ts_size(x, 0)));
  ts_tensor *p =
      ts_avg_pool1d(x3, TS_SHAPE(k), TS_SHAPE(1), TS_SHAPE(0), false, true);
  ts_tensor *out = ts_flatten_using_ints(p, 0, -1);
  ts_free(p);
  ts_free(x3);
  return out;
}

// BUG: double-free: with k = 1 smooth hands back the series itself, and both
// handles are freed
void series_smooth(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(LEN), TS_FLOAT32);
  ts_tensor *s = smooth(x, 1);
  printf("smoothed %lld\n", (long long)ts_numel(s));
  ts_free(s);
  ts_free(x); // <- BUG
}

// OK: frees the smoothed series only when it is a new tensor
void series_smooth_ok(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(LEN), TS_FLOAT32);
  for (int k = 1; k <= 3; k += 2) {
    ts_tensor *s = smooth(x, k);
    printf("smoothed(%d) %lld\n", k, (long long)ts_numel(s));
    if (s != x)
      ts_free(s);
  }
  ts_free(x);
}

// BUG: use-after-scope: a guard scopes each loop body; the last window is
// remembered from inside it and read after the loop
void series_last_window(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(LEN), TS_FLOAT32);
  ts_tensor *last = NULL;
  int64_t s = 0;
  while (s + 8 <= LEN) {
    TS_SCOPE_GUARD();
    ts_tensor *w = ts_narrow(x, 0, s, 8);
    last = zscore(w);
    s += 8;
  }
  printf("last window %lld\n", (long long)ts_numel(last)); // <- BUG
  ts_free(x);
}

// BUG: leak: the loop over the unbound rows stops one short, so the last row
// is never freed
void series_unbind(void) {
  ts_tensor *batch = ts_randn(TS_SHAPE(3, LEN), TS_FLOAT32);
  ts_tensor *rows[3];
  int n = 0;
  if (ts_unbind_int(rows, 3, &n, batch, 0) != TS_OK) { // <- BUG
    ts_free(batch);
    return;
  }
  for (int i = 0; i + 1 < n; i++) {
    printf("row %d: %lld\n", i, (long long)ts_numel(rows[i]));
    ts_free(rows[i]);
  }
  ts_free(batch);
}

// BUG: use-after-free: the previous level is freed when the cumulative level
// is replaced, and then the step between them is computed from it
void series_levels(void) {
  ts_tensor *step = ts_full(TS_SHAPE(4), TS_FLOAT32, 0.5);
  ts_tensor *cur = ts_zeros(TS_SHAPE(4), TS_FLOAT32);
  ts_tensor *prev = NULL;
  for (int t = 0; t < 3; t++) {
    prev = cur;
    cur = ts_add(prev, step);
    ts_free(prev);
  }
  ts_tensor *d = ts_sub(cur, prev); // <- BUG
  printf("last step %lld\n", (long long)ts_numel(d));
  ts_free(d);
  ts_free(cur);
  ts_free(step);
}
