/* heldout3_gp.c - Gaussian-process regression: an RBF kernel, a Cholesky
 * fit into a struct, posterior mean and variance (optional out-parameter),
 * the log marginal likelihood, a length-scale search, posterior samples and
 * a few rounds of Bayesian optimisation growing the training set.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

struct gp {
  ts_tensor *X, *y; /* [n,1], [n,1] training data (owned) */
  ts_tensor *L;     /* Cholesky factor of K + noise I */
  ts_tensor *alpha; /* K^-1 y */
  double ls, noise;
};

// OK: the sum of a tensor, temporaries in a guard scope
static double total(const ts_tensor *t) {
  TS_SCOPE_GUARD();
  return ts_item(ts_sum(t));
}

// OK: the objective the optimiser probes: sin(3x) + x^2 / 4, escaped out
// of the function's scope
TS_SCOPED static ts_tensor *objective(const ts_tensor *x) {
  ts_tensor *s = ts_sin(ts_mul_scalar(x, 3.0));
  ts_tensor *sq = ts_mul(x, x);
  ts_tensor *out = ts_add(s, ts_mul_scalar(sq, 0.25));
  return ts_escape(out);
}

// OK: RBF kernel between two column vectors, for the caller
static ts_tensor *rbf(const ts_tensor *a, const ts_tensor *b, double ls) {
  ts_tensor *d = ts_cdist(a, b, 2.0, 0);
  ts_tensor *d2 = ts_mul(d, d);
  ts_free(d);
  ts_tensor *k = ts_mul_scalar(d2, -0.5 / (ls * ls));
  ts_free(d2);
  ts_exp_(k);
  return k;
}

// OK: fits: K, its factor and alpha; on failure nothing is kept
static int gp_fit(struct gp *g) {
  int64_t n = ts_size(g->X, 0);
  ts_tensor *K = rbf(g->X, g->X, g->ls);
  ts_tensor *eye = ts_eye(n, TS_FLOAT32, NULL);
  ts_add_Tensor_(K, eye, g->noise);
  ts_free(eye);
  g->L = ts_linalg_cholesky(K, false);
  ts_free(K);
  if (!g->L)
    return -1;
  g->alpha = ts_cholesky_solve(g->y, g->L, false);
  if (!g->alpha) {
    ts_free(g->L);
    g->L = NULL;
    return -1;
  }
  return 0;
}

// OK: sets up a GP on n points of the objective and fits it; the data
// belong to the struct
static int gp_init(struct gp *g, int n, double ls) {
  g->X = ts_rand(TS_SHAPE(n, 1), TS_FLOAT32);
  g->y = objective(g->X);
  g->ls = ls;
  g->noise = 1e-2;
  g->L = g->alpha = NULL;
  if (gp_fit(g) != 0) {
    ts_free(g->X);
    ts_free(g->y);
    return -1;
  }
  return 0;
}

// OK: frees every tensor of the GP
static void gp_free(struct gp *g) {
  ts_free(g->X);
  ts_free(g->y);
  if (g->L)
    ts_free(g->L);
  if (g->alpha)
    ts_free(g->alpha);
}

// OK: posterior mean at Xs; the variance through an optional out-parameter
static ts_tensor *gp_predict(const struct gp *g, const ts_tensor *Xs,
                             ts_tensor **var_out) {
  ts_tensor *Ks = rbf(g->X, Xs, g->ls);
  ts_tensor *Kst = ts_t(Ks);
  ts_tensor *mean = ts_matmul(Kst, g->alpha);
  ts_free(Kst);
  if (var_out) {
    ts_tensor *v = ts_cholesky_solve(Ks, g->L, false);
    ts_tensor *prod = ts_mul(Ks, v);
    ts_tensor *red = ts_sum_dim_IntList(prod, TS_SHAPE(0), false, TS_NO_DTYPE);
    ts_tensor *var = ts_neg(red);
    ts_add_Scalar_(var, 1.0, 1.0);
    ts_clamp_min_(var, 1e-9);
    ts_free(red);
    ts_free(prod);
    ts_free(v);
    *var_out = var;
  }
  ts_free(Ks);
  return mean;
}

// OK: a column of test points in [0,1)
static ts_tensor *make_grid(double step) {
  ts_tensor *r = ts_arange(0.0, 1.0, step, TS_FLOAT32);
  ts_tensor *col = ts_unsqueeze(r, 1);
  ts_free(r);
  return col;
}

// OK: mean and variance at a grid, all freed
void gp_basic(void) {
  struct gp g;
  if (gp_init(&g, 12, 0.3) != 0)
    return;
  ts_tensor *grid = make_grid(0.1);
  ts_tensor *var = NULL;
  ts_tensor *mean = gp_predict(&g, grid, &var);
  printf("mean %.3f var %.3f\n", total(mean), total(var));
  ts_free(var);
  ts_free(mean);
  ts_free(grid);
  gp_free(&g);
}

// BUG: leak: the mean-only prediction asks for the variance and drops it
static double gp_mean_at(const struct gp *g, double x) {
  ts_tensor *pt = ts_full(TS_SHAPE(1, 1), TS_FLOAT32, x);
  ts_tensor *var;
  ts_tensor *m = gp_predict(g, pt, &var); // <- BUG
  double r = ts_item(m);
  ts_free(m);
  ts_free(pt);
  return r;
}

// OK: prints a few means (the leak is the helper's)
void gp_means(void) {
  struct gp g;
  if (gp_init(&g, 10, 0.3) != 0)
    return;
  for (int i = 0; i < 3; i++)
    printf("m(%.1f) = %.3f\n", 0.3 * i, gp_mean_at(&g, 0.3 * i));
  gp_free(&g);
}

// OK: log marginal likelihood: -y^T alpha / 2 - sum log diag L - n/2 log 2pi
TS_SCOPED static double gp_lml(const struct gp *g) {
  ts_tensor *fit = ts_mul(g->y, g->alpha);
  ts_tensor *logdet = ts_sum(ts_log(ts_diag(g->L, 0)));
  double n = (double)ts_size(g->y, 0);
  return -0.5 * ts_item(ts_sum(fit)) - ts_item(logdet) -
         0.5 * n * log(2 * M_PI);
}

// OK: refits with a new length scale; the old factor and alpha are freed
// first and cleared, so a failed fit leaves the struct consistent
static int gp_refit(struct gp *g, double ls) {
  if (g->L) {
    ts_free(g->L);
    g->L = NULL;
  }
  if (g->alpha) {
    ts_free(g->alpha);
    g->alpha = NULL;
  }
  g->ls = ls;
  return gp_fit(g);
}

// OK: length-scale search by the marginal likelihood
void gp_ls_search(void) {
  struct gp g;
  if (gp_init(&g, 15, 0.5) != 0)
    return;
  double best_ls = g.ls, best = gp_lml(&g);
  const double cands[] = {0.05, 0.1, 0.2, 0.4, 0.8};
  for (int i = 0; i < 5; i++) {
    if (gp_refit(&g, cands[i]) != 0)
      continue;
    double v = gp_lml(&g);
    if (v > best) {
      best = v;
      best_ls = cands[i];
    }
  }
  gp_refit(&g, best_ls);
  printf("best ls %.2f lml %.3f\n", best_ls, best);
  gp_free(&g);
}

// BUG: double-free: a refused length scale frees the trial kernel, then
// the common exit frees it again
static int gp_refit_checked(struct gp *g, double ls) {
  int rc = 0;
  ts_tensor *K = rbf(g->X, g->X, ls > 0.0 ? ls : g->ls);
  if (ls <= 0.0) {
    ts_free(K);
    rc = -1;
    goto out;
  }
  printf("trial kernel %.3f\n", total(K));
  rc = gp_refit(g, ls);
out:
  ts_free(K); // <- BUG
  return rc;
}

// OK: asks for a bad length scale (the double free is the refit's)
void gp_bad_ls(void) {
  struct gp g;
  if (gp_init(&g, 8, 0.3) != 0)
    return;
  if (gp_refit_checked(&g, -1.0) != 0)
    fprintf(stderr, "refused\n");
  gp_free(&g);
}

// OK: a posterior sample at the grid: mean + L_s z, everything freed
void gp_sample(void) {
  struct gp g;
  if (gp_init(&g, 10, 0.3) != 0)
    return;
  ts_tensor *grid = make_grid(0.25);
  ts_tensor *var = NULL;
  ts_tensor *mean = gp_predict(&g, grid, &var);
  TS_SCOPE {
    ts_tensor *z = ts_randn_like(mean, TS_NO_DTYPE, NULL);
    ts_tensor *sd = ts_sqrt(ts_unsqueeze(var, 1));
    ts_tensor *s = ts_add(mean, ts_mul(sd, z));
    printf("sample %.3f\n", total(s));
  }
  ts_free(mean);
  ts_free(var);
  ts_free(grid);
  gp_free(&g);
}

// BUG: use-after-free: the last log line reads the factor after the teardown
void gp_teardown_log(void) {
  struct gp g;
  if (gp_init(&g, 10, 0.3) != 0)
    return;
  double lml = gp_lml(&g);
  gp_free(&g);
  printf("lml %.3f, logdet %.3f\n", lml, total(g.L)); // <- BUG
}

// BUG: use-after-scope: batch predictions are kept in an array from the
// scoped loop and summed after it
void gp_batched_predict(void) {
  struct gp g;
  if (gp_init(&g, 10, 0.3) != 0)
    return;
  ts_tensor *parts[3];
  TS_SCOPE for (int b = 0; b < 3; b++) {
    ts_tensor *xs = ts_rand(TS_SHAPE(4, 1), TS_FLOAT32);
    parts[b] = gp_predict(&g, xs, NULL);
  }
  ts_tensor *all = ts_cat((const ts_tensor *const *)parts, 3, 0); // <- BUG
  printf("batched %.3f\n", total(all));
  ts_free(all);
  gp_free(&g);
}

// OK: the same with each prediction escaped from its iteration, freed after
void gp_batched_predict_ok(void) {
  struct gp g;
  if (gp_init(&g, 10, 0.3) != 0)
    return;
  ts_tensor *parts[3];
  TS_SCOPE for (int b = 0; b < 3; b++) {
    ts_tensor *xs = ts_rand(TS_SHAPE(4, 1), TS_FLOAT32);
    parts[b] = ts_escape(gp_predict(&g, xs, NULL));
  }
  ts_tensor *all = ts_cat((const ts_tensor *const *)parts, 3, 0);
  printf("batched %.3f\n", total(all));
  ts_free(all);
  for (int b = 0; b < 3; b++)
    ts_free(parts[b]);
  gp_free(&g);
}

// OK: upper confidence bound at candidates, escaped from a guard scope
static ts_tensor *ucb(const struct gp *g, const ts_tensor *cand, double beta) {
  TS_SCOPE_GUARD();
  ts_tensor *var = NULL;
  ts_tensor *mean = gp_predict(g, cand, &var);
  ts_tensor *sd = ts_unsqueeze(ts_sqrt(var), 1);
  return ts_escape(ts_add_Tensor(mean, sd, beta));
}

// BUG: unescaped-return: the lower bound is returned out of the guard scope
// without ts_escape
static ts_tensor *lcb(const struct gp *g, const ts_tensor *cand, double beta) {
  TS_SCOPE_GUARD();
  ts_tensor *var = NULL;
  ts_tensor *mean = gp_predict(g, cand, &var);
  ts_tensor *sd = ts_unsqueeze(ts_sqrt(var), 1);
  return ts_sub_Tensor(mean, sd, beta); // <- BUG
}

// OK: the bounds at a grid (the lower bound's helper is wrong)
void gp_bounds(void) {
  struct gp g;
  if (gp_init(&g, 10, 0.3) != 0)
    return;
  ts_tensor *grid = make_grid(0.2);
  ts_tensor *hi = ucb(&g, grid, 2.0);
  ts_tensor *lo = lcb(&g, grid, 2.0);
  printf("width %.3f\n", total(hi) - total(lo));
  ts_free(lo);
  ts_free(hi);
  ts_free(grid);
  gp_free(&g);
}

// OK: appends one point to the training data, replacing both fields
static void gp_append(struct gp *g, const ts_tensor *x) {
  ts_tensor *fx = objective(x);
  ts_tensor *X = ts_cat((const ts_tensor *[]){g->X, x}, 2, 0);
  ts_tensor *y = ts_cat((const ts_tensor *[]){g->y, fx}, 2, 0);
  ts_free(fx);
  ts_free(g->X);
  ts_free(g->y);
  g->X = X;
  g->y = y;
}

// OK: Bayesian optimisation: the next point maximises the UCB
void gp_bayesopt(void) {
  struct gp g;
  if (gp_init(&g, 4, 0.2) != 0)
    return;
  ts_tensor *grid = make_grid(0.05);
  for (int round = 0; round < 4; round++) {
    ts_tensor *a = ucb(&g, grid, 2.0);
    ts_tensor *idx = ts_argmax(a);
    ts_tensor *idx1 = ts_reshape(idx, TS_SHAPE(1));
    ts_tensor *x = ts_index_select(grid, 0, idx1);
    ts_free(idx1);
    ts_free(idx);
    ts_free(a);
    gp_append(&g, x);
    ts_free(x);
    if (gp_refit(&g, g.ls) != 0)
      break;
  }
  printf("points %lld\n", (long long)ts_size(g.X, 0));
  ts_free(grid);
  gp_free(&g);
}

// BUG: leak: the grown inputs replace the field without the old ones freed
static void gp_append_fast(struct gp *g, const ts_tensor *x) {
  ts_tensor *fx = objective(x);
  ts_tensor *y = ts_cat((const ts_tensor *[]){g->y, fx}, 2, 0);
  ts_free(fx);
  ts_free(g->y);
  g->y = y;
  g->X = ts_cat((const ts_tensor *[]){g->X, x}, 2, 0); // <- BUG
}

// OK: two rounds with the fast append (the leak is the append's)
void gp_bayesopt_fast(void) {
  struct gp g;
  if (gp_init(&g, 4, 0.2) != 0)
    return;
  for (int round = 0; round < 2; round++) {
    ts_tensor *x = ts_rand(TS_SHAPE(1, 1), TS_FLOAT32);
    gp_append_fast(&g, x);
    ts_free(x);
    gp_refit(&g, g.ls);
  }
  gp_free(&g);
}

struct acq_job {
  const struct gp *g;
  const ts_tensor *grid;
  double best;
};

// OK: the best acquisition value computed in a run's scope
static void *acq_job_fn(void *ctx) {
  struct acq_job *j = ctx;
  ts_tensor *a = ucb(j->g, j->grid, 1.0);
  ts_tensor *m = ts_max(a);
  j->best = ts_item(m);
  ts_free(a);
  return NULL;
}

// OK: the acquisition maximum through ts_run
void gp_acq_run(void) {
  struct gp g;
  if (gp_init(&g, 6, 0.3) != 0)
    return;
  ts_tensor *grid = make_grid(0.1);
  struct acq_job j = {&g, grid, 0.0};
  ts_run(acq_job_fn, &j);
  printf("best acquisition %.3f\n", j.best);
  ts_free(grid);
  gp_free(&g);
}

// BUG: leak: the early return for a large length scale skips freeing the
// probe column
static int gp_try_ls(struct gp *g, double ls, double *lml) {
  ts_tensor *probe = make_grid(0.5); // <- BUG
  if (gp_refit(g, ls) != 0) {
    ts_free(probe);
    return -1;
  }
  if (ls > 0.5)
    return 1;
  *lml = gp_lml(g);
  ts_tensor *m = gp_predict(g, probe, NULL);
  printf("probe mean %.3f\n", total(m));
  ts_free(m);
  ts_free(probe);
  return 0;
}

// OK: tries a large length scale (the helper leaks on that path)
void gp_try_large(void) {
  struct gp g;
  if (gp_init(&g, 6, 0.3) != 0)
    return;
  double v = 0.0;
  if (gp_try_ls(&g, 0.9, &v) != 0)
    fprintf(stderr, "skipped\n");
  gp_free(&g);
}

// BUG: leak: the grid is not freed after the prediction
void gp_grid_leak(void) {
  struct gp g;
  if (gp_init(&g, 8, 0.3) != 0)
    return;
  ts_tensor *grid = make_grid(0.2); // <- BUG
  ts_tensor *m = gp_predict(&g, grid, NULL);
  printf("mean %.3f\n", total(m));
  ts_free(m);
  gp_free(&g);
}

// BUG: leak: the kernel matrix made for a condition check is never freed
void gp_kernel_check(void) {
  struct gp g;
  if (gp_init(&g, 8, 0.3) != 0)
    return;
  ts_tensor *K = rbf(g.X, g.X, g.ls); // <- BUG
  printf("kernel trace %.3f\n", total(K));
  gp_free(&g);
}

// BUG: double-free: the variance is freed in the report branch and again
// at the end
void gp_variance_twice(void) {
  struct gp g;
  if (gp_init(&g, 8, 0.3) != 0)
    return;
  ts_tensor *grid = make_grid(0.25);
  ts_tensor *var = NULL;
  ts_tensor *mean = gp_predict(&g, grid, &var);
  if (total(var) > 0.0) {
    printf("var %.4f\n", total(var));
    ts_free(var);
  }
  ts_free(var); // <- BUG
  ts_free(mean);
  ts_free(grid);
  gp_free(&g);
}

// BUG: use-after-free: the inputs are freed before the refit reads them
void gp_inputs_freed(void) {
  struct gp g;
  if (gp_init(&g, 8, 0.3) != 0)
    return;
  ts_tensor *X = g.X;
  ts_free(X);
  gp_refit(&g, 0.5); // <- BUG
  gp_free(&g);
}

// BUG: double-free: the old factor is freed before gp_refit frees it too
void gp_refit_prefreed(void) {
  struct gp g;
  if (gp_init(&g, 8, 0.3) != 0)
    return;
  ts_free(g.L);
  gp_refit(&g, 0.4); // <- BUG
  gp_free(&g);
}

// BUG: use-after-free: the mean is freed before the error against the
// objective is computed
void gp_error_after_free(void) {
  struct gp g;
  if (gp_init(&g, 10, 0.3) != 0)
    return;
  ts_tensor *grid = make_grid(0.1);
  ts_tensor *mean = gp_predict(&g, grid, NULL);
  ts_tensor *truth = objective(grid);
  ts_free(mean);
  ts_tensor *err = ts_mse_loss(mean, truth); // <- BUG
  printf("err %.4f\n", total(err));
  ts_free(err);
  ts_free(truth);
  ts_free(grid);
  gp_free(&g);
}
