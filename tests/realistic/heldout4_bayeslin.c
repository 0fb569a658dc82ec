/* heldout4_bayeslin.c - Bayesian linear regression with online updates: a
 * Gaussian posterior kept as a precision matrix and a precision-weighted
 * mean, updates from batches as they arrive, the predictive mean and an
 * optional predictive variance, the evidence, posterior samples, a
 * forgetting factor, snapshots, and a Thompson-sampling contextual bandit
 * with one model per arm.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { DIMS = 4, ARMS = 3, NOBS = 40 };

struct blr {
  ts_tensor *mean; /* [d,1] posterior mean */
  ts_tensor *prec; /* [d,d] posterior precision */
  ts_tensor *b;    /* [d,1] prec @ mean */
  double beta;     /* noise precision */
  int64_t d, seen;
};

struct bandit {
  struct blr arms[ARMS];
  int k;
};

// OK: prior N(0, I / alpha); on a failure the struct holds nothing
static int blr_init(struct blr *m, int64_t d, double alpha, double beta) {
  m->mean = m->prec = m->b = NULL;
  m->d = d;
  m->beta = beta;
  m->seen = 0;
  m->prec = ts_eye(d, TS_FLOAT32, NULL);
  if (!m->prec)
    goto fail;
  ts_mul_Scalar_(m->prec, alpha);
  m->b = ts_zeros(TS_SHAPE(d, 1), TS_FLOAT32);
  if (!m->b)
    goto fail;
  m->mean = ts_zeros(TS_SHAPE(d, 1), TS_FLOAT32);
  if (!m->mean)
    goto fail;
  return 0;
fail:
  if (m->b)
    ts_free(m->b);
  if (m->prec)
    ts_free(m->prec);
  m->prec = m->b = NULL;
  return -1;
}

// OK: frees what is there and clears it: a second call does nothing
static void blr_free(struct blr *m) {
  if (m->mean)
    ts_free(m->mean);
  if (m->prec)
    ts_free(m->prec);
  if (m->b)
    ts_free(m->b);
  m->mean = m->prec = m->b = NULL;
}

// OK: prec += beta X^T X, b += beta X^T y in place; the mean is solved
// anew, kept out of the guard scope, and the old one freed
static void blr_update(struct blr *m, const ts_tensor *X, const ts_tensor *y) {
  TS_SCOPE_GUARD();
  ts_tensor *Xt = ts_t(X);
  ts_add_Tensor_(m->prec, ts_mm(Xt, X), m->beta);
  ts_add_Tensor_(m->b, ts_mm(Xt, y), m->beta);
  ts_tensor *mean = ts_linalg_solve(m->prec, m->b, true);
  if (!mean)
    return;
  ts_free(m->mean);
  m->mean = ts_keep(mean);
  m->seen += ts_size(X, 0);
}

// OK: predictive mean; the variance only when the caller asks for it
static ts_tensor *blr_predict(const struct blr *m, const ts_tensor *Xs,
                              ts_tensor **var_out) {
  ts_tensor *mu = ts_mm(Xs, m->mean);
  if (var_out) {
    TS_SCOPE_GUARD();
    ts_tensor *cov = ts_linalg_inv(m->prec);
    ts_tensor *q = ts_sum_dim_IntList(ts_mul(ts_mm(Xs, cov), Xs), TS_SHAPE(1),
                                      true, TS_NO_DTYPE);
    *var_out = ts_keep(ts_add_scalar(q, 1.0 / m->beta));
  }
  return mu;
}

// OK: a design matrix and targets from known weights, through
// out-parameters the caller frees
static void make_data(int64_t n, ts_tensor **X, ts_tensor **y) {
  const float w[DIMS] = {1.5f, -2.0f, 0.5f, 0.0f};
  ts_tensor *wt = ts_from_buffer(w, TS_SHAPE(DIMS, 1), TS_FLOAT32);
  *X = ts_randn(TS_SHAPE(n, DIMS), TS_FLOAT32);
  ts_tensor *clean = ts_mm(*X, wt);
  ts_tensor *noise = ts_randn_like(clean, TS_NO_DTYPE, NULL);
  ts_mul_Scalar_(noise, 0.1);
  *y = ts_add(clean, noise);
  ts_free(noise);
  ts_free(clean);
  ts_free(wt);
}

// OK: the data streamed in batches of views; the views are freed after
// each update
void bay_online_fit(void) {
  struct blr m;
  ts_tensor *X, *y;
  ts_manual_seed(5);
  make_data(NOBS, &X, &y);
  if (blr_init(&m, DIMS, 1.0, 100.0) != 0)
    goto out;
  for (int64_t s = 0; s < NOBS; s += 10) {
    ts_tensor *xb = ts_narrow(X, 0, s, 10);
    ts_tensor *yb = ts_narrow(y, 0, s, 10);
    blr_update(&m, xb, yb);
    ts_free(yb);
    ts_free(xb);
  }
  ts_tensor *w0 = ts_select_int(m.mean, 0, 0);
  printf("w0 after %lld points: %.3f\n", (long long)m.seen, ts_item(w0));
  ts_free(w0);
  blr_free(&m);
out:
  ts_free(y);
  ts_free(X);
}

// BUG: leak: the mean is solved again by hand and stored over the old one
// without freeing it
void bay_refit_leak(void) {
  struct blr m;
  ts_tensor *X, *y;
  make_data(NOBS, &X, &y);
  if (blr_init(&m, DIMS, 1.0, 100.0) == 0) {
    blr_update(&m, X, y);
    m.mean = ts_linalg_solve(m.prec, m.b, true); // <- BUG
    blr_free(&m);
  }
  ts_free(y);
  ts_free(X);
}

// OK: predictions with and without the variance out-parameter
void bay_predict(void) {
  struct blr m;
  ts_tensor *X, *y, *var = NULL;
  make_data(NOBS, &X, &y);
  if (blr_init(&m, DIMS, 1.0, 100.0) != 0) {
    ts_free(y);
    ts_free(X);
    return;
  }
  blr_update(&m, X, y);
  ts_tensor *mu = blr_predict(&m, X, NULL);
  ts_tensor *mu2 = blr_predict(&m, X, &var);
  ts_tensor *err = ts_mse_loss(mu, y);
  ts_tensor *mv = ts_mean(var);
  printf("mse %.4f, mean predictive variance %.4f\n", ts_item(err),
         ts_item(mv));
  ts_free(mv);
  ts_free(err);
  ts_free(var);
  ts_free(mu2);
  ts_free(mu);
  blr_free(&m);
  ts_free(y);
  ts_free(X);
}

// BUG: use-after-free: the standardised error divides by the variance
// that was just freed instead of by its square root
void bay_zscores(void) {
  struct blr m;
  ts_tensor *X, *y, *var = NULL;
  make_data(NOBS, &X, &y);
  if (blr_init(&m, DIMS, 1.0, 100.0) != 0) {
    ts_free(y);
    ts_free(X);
    return;
  }
  blr_update(&m, X, y);
  ts_tensor *mu = blr_predict(&m, X, &var);
  ts_tensor *sd = ts_sqrt(var);
  ts_free(var);
  ts_tensor *err = ts_sub(y, mu);
  ts_tensor *z = ts_div(err, var); // <- BUG
  printf("z computed\n");
  ts_free(z);
  ts_free(err);
  ts_free(sd);
  ts_free(mu);
  blr_free(&m);
  ts_free(y);
  ts_free(X);
}

// OK: the log evidence, every temporary in the function's scope
TS_SCOPED static double log_evidence(const struct blr *m, const ts_tensor *X,
                                     const ts_tensor *y) {
  ts_tensor *ld[2];
  if (ts_slogdet(ld, m->prec) != TS_OK)
    return NAN;
  ts_tensor *r = ts_sub(y, ts_mm(X, m->mean));
  double fit = ts_item(ts_sum(ts_mul(r, r)));
  int64_t n = ts_size(X, 0);
  return 0.5 * n * log(m->beta) - 0.5 * m->beta * fit - 0.5 * ts_item(ld[1]);
}

// BUG: unescaped-return: the sample is made in the function's scope and
// returned as it is
TS_SCOPED static ts_tensor *posterior_draw(const struct blr *m) {
  ts_tensor *L = ts_linalg_cholesky(ts_linalg_inv(m->prec), false);
  ts_tensor *z = ts_randn(TS_SHAPE(m->d, 1), TS_FLOAT32);
  return ts_add(m->mean, ts_mm(L, z)); // <- BUG
}

// OK: a caller of posterior_draw that uses and frees the sample
void bay_draw(void) {
  struct blr m;
  if (blr_init(&m, DIMS, 2.0, 10.0) != 0)
    return;
  ts_tensor *w = posterior_draw(&m);
  ts_tensor *n = ts_norm_Scalar(w, 2.0);
  printf("|w| %.3f\n", ts_item(n));
  ts_free(n);
  ts_free(w);
  blr_free(&m);
}

// OK: the same draw, escaped out of the function's scope
TS_SCOPED static ts_tensor *sample_weights(const struct blr *m) {
  ts_tensor *L = ts_linalg_cholesky(ts_linalg_inv(m->prec), false);
  ts_tensor *z = ts_randn(TS_SHAPE(m->d, 1), TS_FLOAT32);
  return ts_escape(ts_add(m->mean, ts_mm(L, z)));
}

// OK: the evidence of the fitted model against the prior
void bay_evidence(void) {
  struct blr m;
  ts_tensor *X, *y;
  make_data(NOBS, &X, &y);
  if (blr_init(&m, DIMS, 1.0, 100.0) == 0) {
    double before = log_evidence(&m, X, y);
    blr_update(&m, X, y);
    printf("evidence %.1f -> %.1f\n", before, log_evidence(&m, X, y));
    blr_free(&m);
  }
  ts_free(y);
  ts_free(X);
}

// OK: one model per arm; a failing arm frees the arms made before it
static int bandit_init(struct bandit *bd) {
  for (bd->k = 0; bd->k < ARMS; bd->k++) {
    if (blr_init(&bd->arms[bd->k], DIMS, 1.0, 4.0) != 0) {
      while (bd->k > 0)
        blr_free(&bd->arms[--bd->k]);
      return -1;
    }
  }
  return 0;
}

// OK: frees every arm
static void bandit_free(struct bandit *bd) {
  for (int i = 0; i < bd->k; i++)
    blr_free(&bd->arms[i]);
  bd->k = 0;
}

// OK: Thompson sampling: one posterior draw per arm in a scoped loop, only
// doubles leave the iterations
static int bandit_choose(const struct bandit *bd, const ts_tensor *ctx) {
  int best = 0;
  double best_v = -INFINITY;
  TS_SCOPE for (int a = 0; a < bd->k; a++) {
    ts_tensor *w = sample_weights(&bd->arms[a]);
    double v = ts_item(ts_mm(ctx, w));
    if (v > best_v) {
      best_v = v;
      best = a;
    }
  }
  return best;
}

// OK: rounds of choose, observe, update; the context and the reward are
// freed each round
void bay_thompson(void) {
  struct bandit bd;
  const float true_w[ARMS] = {0.2f, 1.0f, -0.5f};
  ts_manual_seed(9);
  if (bandit_init(&bd) != 0)
    return;
  int pulls[ARMS] = {0};
  for (int r = 0; r < 30; r++) {
    ts_tensor *ctx = ts_randn(TS_SHAPE(1, DIMS), TS_FLOAT32);
    int a = bandit_choose(&bd, ctx);
    ts_tensor *s = ts_sum(ctx);
    double rv = true_w[a] * ts_item(s);
    ts_free(s);
    ts_tensor *reward = ts_full(TS_SHAPE(1, 1), TS_FLOAT32, rv);
    blr_update(&bd.arms[a], ctx, reward);
    ts_free(reward);
    ts_free(ctx);
    pulls[a]++;
  }
  printf("pulls %d %d %d\n", pulls[0], pulls[1], pulls[2]);
  bandit_free(&bd);
}

// BUG: double-free: arm 0's mean is freed by hand to reset it, and the
// field still names it when bandit_free runs
void bay_bandit_reset(void) {
  struct bandit bd;
  if (bandit_init(&bd) != 0)
    return;
  ts_free(bd.arms[0].mean);
  bd.arms[0].seen = 0;
  bandit_free(&bd); // <- BUG
}

// BUG: use-after-scope: the winning draw is remembered from inside the
// scoped loop and read after it
void bay_best_draw(void) {
  struct bandit bd;
  if (bandit_init(&bd) != 0)
    return;
  ts_tensor *ctx = ts_randn(TS_SHAPE(1, DIMS), TS_FLOAT32);
  ts_tensor *best_w = NULL;
  double best_v = -INFINITY;
  TS_SCOPE for (int a = 0; a < bd.k; a++) {
    ts_tensor *w = sample_weights(&bd.arms[a]);
    double v = ts_item(ts_mm(ctx, w));
    if (v > best_v) {
      best_v = v;
      best_w = w;
    }
  }
  ts_tensor *n = ts_norm_Scalar(best_w, 2.0); // <- BUG
  printf("best draw norm %.3f\n", ts_item(n));
  ts_free(n);
  ts_free(ctx);
  bandit_free(&bd);
}

// OK: exponential forgetting of old evidence, in place on the fields
static void blr_forget(struct blr *m, double gamma) {
  ts_mul_Scalar_(m->prec, gamma);
  ts_mul_Scalar_(m->b, gamma);
}

// OK: a drifting stream: forget, then update, batch by batch
void bay_drift(void) {
  struct blr m;
  if (blr_init(&m, DIMS, 1.0, 50.0) != 0)
    return;
  for (int round = 0; round < 4; round++) {
    ts_tensor *X, *y;
    make_data(10, &X, &y);
    if (round == 2)
      ts_mul_Scalar_(y, -1.0);
    blr_forget(&m, 0.7);
    blr_update(&m, X, y);
    ts_free(y);
    ts_free(X);
  }
  ts_tensor *w1 = ts_select_int(m.mean, 0, 1);
  printf("w1 tracked: %.3f\n", ts_item(w1));
  ts_free(w1);
  blr_free(&m);
}

// BUG: use-after-free: w aliases the mean that blr_update frees when it
// replaces it
void bay_mean_change(void) {
  struct blr m;
  ts_tensor *X, *y;
  make_data(NOBS, &X, &y);
  if (blr_init(&m, DIMS, 1.0, 100.0) != 0) {
    ts_free(y);
    ts_free(X);
    return;
  }
  ts_tensor *w = m.mean;
  blr_update(&m, X, y);
  ts_tensor *delta = ts_sub(m.mean, w); // <- BUG
  ts_free(delta);
  blr_free(&m);
  ts_free(y);
  ts_free(X);
}

// BUG: leak: an unfitted model is refused after two of the three clones
// were made, and they are not freed
static int blr_copy(struct blr *dst, const struct blr *src) {
  *dst = *src;
  dst->mean = ts_clone(src->mean); // <- BUG
  dst->prec = ts_clone(src->prec);
  if (src->seen == 0)
    return -1;
  dst->b = ts_clone(src->b);
  return 0;
}

// OK: drives blr_copy on an unfitted model: on its failure the copy holds
// nothing the caller should free
void bay_copy_unfitted(void) {
  struct blr m, c;
  if (blr_init(&m, DIMS, 1.0, 100.0) != 0)
    return;
  if (blr_copy(&c, &m) == 0)
    blr_free(&c);
  blr_free(&m);
}

// OK: a snapshot by deep copy, the check made before anything is cloned
static int blr_snapshot(struct blr *dst, const struct blr *src) {
  if (src->seen == 0)
    return -1;
  *dst = *src;
  dst->mean = ts_clone(src->mean);
  dst->prec = ts_clone(src->prec);
  dst->b = ts_clone(src->b);
  return 0;
}

// OK: a snapshot survives more updates of the original; both are freed
void bay_snapshot(void) {
  struct blr m, snap;
  ts_tensor *X, *y;
  make_data(NOBS, &X, &y);
  if (blr_init(&m, DIMS, 1.0, 100.0) != 0) {
    ts_free(y);
    ts_free(X);
    return;
  }
  blr_update(&m, X, y);
  if (blr_snapshot(&snap, &m) == 0) {
    blr_update(&m, X, y);
    ts_tensor *d = ts_sub(m.mean, snap.mean);
    ts_tensor *n = ts_norm_Scalar(d, 2.0);
    printf("second pass moved the mean by %.4f\n", ts_item(n));
    ts_free(n);
    ts_free(d);
    blr_free(&snap);
  }
  blr_free(&m);
  ts_free(y);
  ts_free(X);
}

// BUG: double-free: the "snapshot" is a struct copy sharing the tensors,
// and both structs are freed
void bay_shallow_snapshot(void) {
  struct blr m;
  if (blr_init(&m, DIMS, 1.0, 100.0) != 0)
    return;
  struct blr snap = m;
  blr_free(&snap);
  blr_free(&m); // <- BUG
}

// OK: a read-only struct copy: only the original is freed
void bay_view_copy(void) {
  struct blr m;
  if (blr_init(&m, DIMS, 1.0, 100.0) != 0)
    return;
  struct blr view = m;
  printf("prior precision trace %lld\n", (long long)ts_size(view.prec, 0));
  blr_free(&m);
}

struct lik_job {
  const struct blr *m;
  const ts_tensor *X, *y;
  double nll;
  ts_tensor *resid;
};

// OK: a ts_run job: the negative log likelihood out as a double
static void *nll_job(void *ctx) {
  struct lik_job *j = ctx;
  ts_tensor *var = NULL;
  ts_tensor *mu = blr_predict(j->m, j->X, &var);
  ts_tensor *r = ts_sub(j->y, mu);
  ts_tensor *t = ts_add(ts_div(ts_mul(r, r), var), ts_log(var));
  j->nll = 0.5 * ts_item(ts_sum(t));
  ts_free(var);
  return NULL;
}

// OK: the predictive NLL of held-out data through ts_run
void bay_heldout_nll(void) {
  struct blr m;
  ts_tensor *X, *y, *Xt, *yt;
  make_data(NOBS, &X, &y);
  make_data(10, &Xt, &yt);
  if (blr_init(&m, DIMS, 1.0, 100.0) == 0) {
    blr_update(&m, X, y);
    struct lik_job j = {&m, Xt, yt, 0.0, NULL};
    ts_run(nll_job, &j);
    printf("held-out nll %.3f\n", j.nll);
    blr_free(&m);
  }
  ts_free(yt);
  ts_free(Xt);
  ts_free(y);
  ts_free(X);
}

// OK: a ts_run job that hands the residuals out; their scope is the
// job's, so they are read through the context only while it runs
static void *resid_job(void *ctx) {
  struct lik_job *j = ctx;
  ts_tensor *mu = blr_predict(j->m, j->X, NULL);
  j->resid = ts_sub(j->y, mu);
  j->nll = ts_item(ts_mean(ts_abs(j->resid)));
  return NULL;
}

// BUG: use-after-scope: the residuals the job stored died with the job's
// scope and are read afterwards
void bay_residuals(void) {
  struct blr m;
  ts_tensor *X, *y;
  make_data(NOBS, &X, &y);
  if (blr_init(&m, DIMS, 1.0, 100.0) == 0) {
    blr_update(&m, X, y);
    struct lik_job j = {&m, X, y, 0.0, NULL};
    ts_run(resid_job, &j);
    ts_tensor *mx = ts_max(j.resid); // <- BUG
    printf("mean |r| %.3f max %.3f\n", j.nll, ts_item(mx));
    ts_free(mx);
    blr_free(&m);
  }
  ts_free(y);
  ts_free(X);
}

// OK: polynomial features of a column, the powers freed after the cat
static ts_tensor *poly_features(const ts_tensor *x, int degree) {
  ts_tensor *cols[DIMS];
  int n = 0;
  for (int p = 1; p <= degree && n < DIMS; p++)
    cols[n++] = ts_pow_Tensor_Scalar(x, (double)p);
  ts_tensor *F = ts_cat((const ts_tensor *const *)cols, n, 1);
  for (int i = 0; i < n; i++)
    ts_free(cols[i]);
  return F;
}

// BUG: leak: the cube column is made for the cat and never freed
void bay_poly_leak(void) {
  ts_tensor *x = ts_linspace(-1.0, 1.0, 20, TS_FLOAT32, NULL);
  ts_tensor *xc = ts_unsqueeze(x, 1);
  ts_tensor *sq = ts_mul(xc, xc);
  ts_tensor *cu = ts_mul(sq, xc); // <- BUG
  const ts_tensor *cols[3] = {xc, sq, cu};
  ts_tensor *F = ts_cat(cols, 3, 1);
  ts_free(sq);
  printf("features %lld x %lld\n", (long long)ts_size(F, 0),
         (long long)ts_size(F, 1));
  ts_free(F);
  ts_free(xc);
  ts_free(x);
}

// OK: a polynomial fit of a curve through poly_features, with a pooled
// target buffer released after use
void bay_poly_fit(void) {
  struct blr m;
  ts_pool *pool = ts_pool_new(2);
  ts_tensor *x = ts_linspace(-1.0, 1.0, 20, TS_FLOAT32, NULL);
  ts_tensor *xc = ts_unsqueeze(x, 1);
  ts_tensor *F = poly_features(xc, DIMS);
  ts_tensor *y = ts_pool_acquire(pool, TS_SHAPE(20, 1), TS_FLOAT32);
  if (!y)
    y = ts_empty(TS_SHAPE(20, 1), TS_FLOAT32);
  ts_tensor *s = ts_sin(xc);
  ts_copy_(y, s, false);
  ts_free(s);
  if (blr_init(&m, DIMS, 0.1, 100.0) == 0) {
    blr_update(&m, F, y);
    printf("evidence %.2f\n", log_evidence(&m, F, y));
    blr_free(&m);
  }
  ts_pool_release(pool, y);
  ts_free(F);
  ts_free(xc);
  ts_free(x);
  ts_pool_destroy(pool);
}
