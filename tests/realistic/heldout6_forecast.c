/* heldout6_forecast.c - a time-series forecaster with sliding windows: an
 * autoregressive linear model trained on windows cut from a series,
 * windows returned by value in structs, multi-step rollouts feeding
 * predictions back, and a rolling normaliser. */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { FC_LEN = 24, FC_LAG = 4 };

typedef struct {
  ts_tensor *x; /* [1, LAG] */
  ts_tensor *y; /* [1, 1] */
} fc_window;

typedef struct {
  ts_tensor *w; /* [LAG, 1] */
  ts_tensor *b; /* [1, 1] */
} fc_model;

typedef struct {
  ts_tensor *mean, *std; /* [1, 1] each */
} fc_norm;

// OK: a seasonal series the caller owns, [1, LEN]
static ts_tensor *fc_series(void) {
  ts_tensor *t = ts_arange(0, FC_LEN, 1, TS_FLOAT32);
  ts_tensor *s = NULL;
  TS_SCOPE { s = ts_escape(ts_reshape(ts_add(ts_mul_scalar(t, 0.1), ts_tanh(ts_mul_scalar(t, 0.7))), TS_SHAPE(1, FC_LEN))); }
  ts_free(t);
  return s;
}

// OK: a window by value; both tensors owned by the caller
static fc_window fc_window_at(const ts_tensor *series, int64_t start) {
  fc_window w;
  w.x = ts_narrow(series, 1, start, FC_LAG);
  w.y = ts_narrow(series, 1, start + FC_LAG, 1);
  return w;
}

// OK: frees both halves of a window
static void fc_window_free(fc_window *w) {
  ts_free(w->x);
  ts_free(w->y);
  w->x = w->y = NULL;
}

// OK: weights marked for grad
static int fc_model_init(fc_model *m) {
  m->w = ts_zeros(TS_SHAPE(FC_LAG, 1), TS_FLOAT32);
  m->b = ts_zeros(TS_SHAPE(1, 1), TS_FLOAT32);
  if (!m->w || !m->b) {
    if (m->w)
      ts_free(m->w);
    if (m->b)
      ts_free(m->b);
    return -1;
  }
  ts_requires_grad(m->w, true);
  ts_requires_grad(m->b, true);
  return 0;
}

// OK: frees the weights
static void fc_model_free(fc_model *m) {
  ts_free(m->w);
  ts_free(m->b);
}

// OK: one-step prediction in the caller's scope
TS_CALLER_SCOPE static ts_tensor *fc_predict(const fc_model *m, const ts_tensor *x) {
  return ts_add(ts_matmul(x, m->w), m->b);
}

// OK: training over every window, the update through ts_backward_sgd
void fc_train(void) {
  fc_model m;
  if (fc_model_init(&m) != 0)
    return;
  ts_tensor *s = fc_series();
  ts_tensor *params[2] = {m.w, m.b};
  for (int ep = 0; ep < 2; ep++)
    for (int64_t t = 0; t + FC_LAG < FC_LEN; t += 2) {
      fc_window w = fc_window_at(s, t);
      TS_SCOPE {
        ts_tensor *loss = ts_mse_loss(fc_predict(&m, w.x), w.y);
        ts_backward_sgd(loss, params, 2, 0.01);
      }
      fc_window_free(&w);
    }
  TS_SCOPE { printf("forecast: w0 %.3f\n", ts_item(ts_sum(m.w))); }
  ts_free(s);
  fc_model_free(&m);
}

// BUG: leak: the window's target half is never freed, only its input
void fc_train_half_free(void) {
  fc_model m;
  if (fc_model_init(&m) != 0)
    return;
  ts_tensor *s = fc_series();
  ts_tensor *params[2] = {m.w, m.b};
  for (int64_t t = 0; t + FC_LAG < 10; t += 3) {
    fc_window w = fc_window_at(s, t); // <- BUG
    TS_SCOPE { ts_backward_sgd(ts_mse_loss(fc_predict(&m, w.x), w.y), params, 2, 0.01); }
    ts_free(w.x);
  }
  ts_free(s);
  fc_model_free(&m);
}

// BUG: double-free: the window is freed with the helper and then field by field
void fc_window_twice(void) {
  ts_tensor *s = fc_series();
  fc_window w = fc_window_at(s, 3);
  TS_SCOPE { printf("forecast: %.3f\n", ts_item(ts_sum(w.x))); }
  fc_window last = w;
  fc_window_free(&w);
  ts_free(last.y); // <- BUG
  ts_free(s);
}

// OK: an iterative rollout; each prediction appended to the lag window
static ts_tensor *fc_rollout(const fc_model *m, const ts_tensor *series, int steps) {
  ts_tensor *hist = ts_narrow(series, 1, FC_LEN - FC_LAG, FC_LAG);
  ts_tensor *hist_c = ts_clone(hist);
  ts_free(hist);
  ts_tensor *preds = ts_zeros(TS_SHAPE(1, 0), TS_FLOAT32);
  for (int i = 0; i < steps; i++) {
    TS_SCOPE {
      ts_tensor *p = fc_predict(m, hist_c);
      const ts_tensor *hp[2] = {ts_narrow(hist_c, 1, 1, FC_LAG - 1), p};
      ts_tensor *nh = ts_cat(hp, 2, 1);
      const ts_tensor *pp[2] = {preds, p};
      ts_tensor *np = ts_cat(pp, 2, 1);
      ts_free(hist_c);
      ts_free(preds);
      hist_c = ts_escape(nh);
      preds = ts_escape(np);
    }
  }
  ts_free(hist_c);
  return preds;
}

// OK: a trained-from-zero rollout; the predictions freed
void fc_forecast(void) {
  fc_model m;
  if (fc_model_init(&m) != 0)
    return;
  ts_tensor *s = fc_series();
  ts_tensor *p = fc_rollout(&m, s, 5);
  printf("forecast: %lld steps\n", (long long)ts_size(p, 1));
  ts_free(p);
  ts_free(s);
  fc_model_free(&m);
}

// BUG: use-after-scope: the rollout step keeps the history slice that died with its scope
static ts_tensor *fc_rollout_slice(const fc_model *m, const ts_tensor *series, int steps) {
  ts_tensor *hist = ts_narrow(series, 1, FC_LEN - FC_LAG, FC_LAG);
  double last = 0;
  for (int i = 0; i < steps; i++) {
    TS_SCOPE {
      ts_tensor *p = fc_predict(m, hist);
      const ts_tensor *hp[2] = {ts_narrow(hist, 1, 1, FC_LAG - 1), p};
      ts_free(hist);
      hist = ts_cat(hp, 2, 1); // <- BUG
      last = ts_item(p);
    }
  }
  ts_free(hist);
  return ts_full(TS_SHAPE(1, 1), TS_FLOAT32, last);
}

// OK: drives the slicing rollout (its bug)
void fc_forecast_slice(void) {
  fc_model m;
  if (fc_model_init(&m) != 0)
    return;
  ts_tensor *s = fc_series();
  ts_tensor *p = fc_rollout_slice(&m, s, 3);
  ts_free(p);
  ts_free(s);
  fc_model_free(&m);
}

// OK: a rolling normaliser's statistics, by out-parameter
static int fc_norm_fit(const ts_tensor *series, fc_norm *out) {
  out->mean = NULL;
  out->std = NULL;
  TS_SCOPE {
    ts_tensor *mu = ts_mean(series);
    ts_tensor *var = ts_mean(ts_pow_Tensor_Scalar(ts_sub(series, mu), 2.0));
    out->mean = ts_keep(ts_reshape(mu, TS_SHAPE(1, 1)));
    out->std = ts_keep(ts_reshape(ts_sqrt(ts_add_scalar(var, 1e-6)), TS_SHAPE(1, 1)));
  }
  if (out->mean && out->std)
    return 0;
  if (out->mean)
    ts_free(out->mean);
  if (out->std)
    ts_free(out->std);
  return -1;
}

// OK: frees the statistics
static void fc_norm_free(fc_norm *n) {
  ts_free(n->mean);
  ts_free(n->std);
}

// OK: a normalised copy of the series, a new tensor
static ts_tensor *fc_normalise(const fc_norm *n, const ts_tensor *s) {
  ts_tensor *c = ts_sub(s, n->mean);
  ts_tensor *r = ts_div(c, n->std);
  ts_free(c);
  return r;
}

// OK: fit, normalise, report, free
void fc_normalise_series(void) {
  ts_tensor *s = fc_series();
  fc_norm n;
  if (fc_norm_fit(s, &n) == 0) {
    ts_tensor *z = fc_normalise(&n, s);
    TS_SCOPE { printf("forecast: z mean %.3f\n", ts_item(ts_mean(z))); }
    ts_free(z);
    fc_norm_free(&n);
  }
  ts_free(s);
}

// BUG: use-after-scope: the statistics are stored from a scope without being kept
static int fc_norm_fit_nokeep(const ts_tensor *series, fc_norm *out) {
  TS_SCOPE {
    ts_tensor *mu = ts_reshape(ts_mean(series), TS_SHAPE(1, 1));
    out->mean = mu; // <- BUG
    out->std = ts_keep(ts_ones(TS_SHAPE(1, 1), TS_FLOAT32));
  }
  return 0;
}

// OK: normalises with the statistics of the non-keeping fit (its bug)
void fc_normalise_nokeep(void) {
  ts_tensor *s = fc_series();
  fc_norm n;
  fc_norm_fit_nokeep(s, &n);
  ts_tensor *z = fc_normalise(&n, s);
  ts_free(z);
  fc_norm_free(&n);
  ts_free(s);
}

// BUG: leak: the normalised series is dropped when the fit reports a flat series
static double fc_zscore_last(const ts_tensor *s) {
  fc_norm n;
  if (fc_norm_fit(s, &n) != 0)
    return 0.0;
  ts_tensor *z = fc_normalise(&n, s); // <- BUG
  double sd = 0;
  TS_SCOPE { sd = ts_item(ts_sum(n.std)); }
  fc_norm_free(&n);
  if (sd < 1e-2)
    return 0.0;
  double v = 0;
  TS_SCOPE { v = ts_item(ts_sum(ts_narrow(z, 1, FC_LEN - 1, 1))); }
  ts_free(z);
  return v;
}

// OK: drives the z-score helper with a flat series
void fc_zscore_flat(void) {
  ts_tensor *flat = ts_full(TS_SHAPE(1, FC_LEN), TS_FLOAT32, 3.0);
  printf("forecast: z %.3f\n", fc_zscore_last(flat));
  ts_free(flat);
}

// BUG: use-after-free: the normaliser is freed and then used to undo the scaling
void fc_denormalise_late(void) {
  ts_tensor *s = fc_series();
  fc_norm n;
  if (fc_norm_fit(s, &n) != 0) {
    ts_free(s);
    return;
  }
  ts_tensor *z = fc_normalise(&n, s);
  fc_norm_free(&n);
  TS_SCOPE {
    ts_tensor *back = ts_add(ts_mul(z, n.std), n.mean); // <- BUG
    printf("forecast: %.3f\n", ts_item(ts_mse_loss(back, s)));
  }
  ts_free(z);
  ts_free(s);
}

// OK: denormalise before freeing the statistics
void fc_denormalise_ok(void) {
  ts_tensor *s = fc_series();
  fc_norm n;
  if (fc_norm_fit(s, &n) != 0) {
    ts_free(s);
    return;
  }
  ts_tensor *z = fc_normalise(&n, s);
  TS_SCOPE {
    ts_tensor *back = ts_add(ts_mul(z, n.std), n.mean);
    printf("forecast: %.5f\n", ts_item(ts_mse_loss(back, s)));
  }
  fc_norm_free(&n);
  ts_free(z);
  ts_free(s);
}

// BUG: unescaped-return: the backtest error is returned from a TS_SCOPED function unescaped
TS_SCOPED static ts_tensor *fc_backtest(const fc_model *m, const ts_tensor *s) {
  ts_tensor *errs = ts_zeros(TS_SHAPE(1, 1), TS_FLOAT32);
  for (int64_t t = 0; t + FC_LAG < FC_LEN; t += 4) {
    ts_tensor *x = ts_narrow(s, 1, t, FC_LAG);
    ts_tensor *y = ts_narrow(s, 1, t + FC_LAG, 1);
    errs = ts_add(errs, ts_abs(ts_sub(fc_predict(m, x), y)));
  }
  return errs; // <- BUG
}

// OK: reads the backtest error (the helper's bug)
void fc_run_backtest(void) {
  fc_model m;
  if (fc_model_init(&m) != 0)
    return;
  ts_tensor *s = fc_series();
  ts_tensor *e = fc_backtest(&m, s);
  printf("forecast: mae %.3f\n", ts_item(e));
  ts_free(e);
  ts_free(s);
  fc_model_free(&m);
}

// BUG: use-after-free: the first window's input is remembered, the windows freed, then it is read
void fc_windows_summary(void) {
  ts_tensor *s = fc_series();
  fc_window ws[3];
  for (int i = 0; i < 3; i++)
    ws[i] = fc_window_at(s, i * 5);
  const ts_tensor *x0 = ws[0].x;
  for (int i = 0; i < 3; i++)
    fc_window_free(&ws[i]);
  TS_SCOPE { printf("forecast: %.3f\n", ts_item(ts_sum(x0))); } // <- BUG
  ts_free(s);
}

// OK: windows stacked into a design matrix; every window freed after
void fc_design_matrix(void) {
  ts_tensor *s = fc_series();
  enum { NW = 5 };
  fc_window ws[NW];
  const ts_tensor *xs[NW], *ys[NW];
  for (int i = 0; i < NW; i++) {
    ws[i] = fc_window_at(s, i * 3);
    xs[i] = ws[i].x;
    ys[i] = ws[i].y;
  }
  TS_SCOPE {
    ts_tensor *X = ts_cat(xs, NW, 0);
    ts_tensor *Y = ts_cat(ys, NW, 0);
    ts_tensor *xty = ts_matmul(ts_transpose(X, 0, 1), Y);
    printf("forecast: xty %.3f\n", ts_item(ts_sum(xty)));
  }
  for (int i = 0; i < NW; i++)
    fc_window_free(&ws[i]);
  ts_free(s);
}

// BUG: leak: the design-matrix loop stops at a short window without freeing those made
void fc_design_matrix_short(void) {
  ts_tensor *s = fc_series();
  fc_window ws[8];
  int n = 0;
  for (int i = 0; i < 8; i++) {
    if (i * 3 + FC_LAG >= FC_LEN)
      return;
    ws[n++] = fc_window_at(s, i * 3); // <- BUG
  }
  for (int i = 0; i < n; i++)
    fc_window_free(&ws[i]);
  ts_free(s);
}
