/* heldout3_pca.c - principal components and whitening: centring with the
 * mean through an out-parameter, covariance, SVD and eigen-decomposition
 * fits into a struct, projection and reconstruction, power iteration,
 * streaming means over batches.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { N = 32, D = 6 };

struct pca {
  ts_tensor *mean;       /* [1,D] */
  ts_tensor *components; /* [k,D] */
  ts_tensor *scale;      /* [k] singular values / sqrt(n-1) */
  int k;
};

// OK: prints a number from a tensor inside a guard scope
static void report(const char *what, const ts_tensor *t) {
  TS_SCOPE_GUARD();
  printf("%s %.4f\n", what, ts_item(ts_sum(t)));
}

// OK: sample data with correlated columns, for the caller
static ts_tensor *make_data(void) {
  ts_tensor *z = ts_randn(TS_SHAPE(N, D), TS_FLOAT32);
  ts_tensor *mix = ts_rand(TS_SHAPE(D, D), TS_FLOAT32);
  ts_tensor *x = ts_matmul(z, mix);
  ts_free(z);
  ts_free(mix);
  return x;
}

// OK: centred data returned, the column mean through an out-parameter
static ts_tensor *center(const ts_tensor *x, ts_tensor **mean_out) {
  ts_tensor *m = ts_mean_dim(x, TS_SHAPE(0), true, TS_NO_DTYPE);
  ts_tensor *xc = ts_sub(x, m);
  if (mean_out)
    *mean_out = m;
  else
    ts_free(m);
  return xc;
}

// OK: sample covariance of centred data
static ts_tensor *covariance(const ts_tensor *xc) {
  ts_tensor *xt = ts_t(xc);
  ts_tensor *c = ts_matmul(xt, xc);
  ts_free(xt);
  ts_tensor *cov = ts_div_Scalar(c, (double)(ts_size(xc, 0) - 1));
  ts_free(c);
  return cov;
}

// OK: fits by SVD; one cleanup label frees what the struct does not take
static int pca_fit(struct pca *p, const ts_tensor *x, int k) {
  ts_tensor *svd[3] = {NULL, NULL, NULL};
  ts_tensor *mean = NULL;
  ts_tensor *xc = center(x, &mean);
  int rc = -1;
  if (ts_linalg_svd(svd, xc, false, NULL) != TS_OK)
    goto out;
  p->components = ts_narrow(svd[2], 0, 0, k);
  ts_tensor *s = ts_narrow(svd[1], 0, 0, k);
  p->scale = ts_div_Scalar(s, sqrt((double)(N - 1)));
  ts_free(s);
  p->mean = mean;
  mean = NULL;
  p->k = k;
  rc = 0;
out:
  for (int i = 0; i < 3; i++)
    if (svd[i])
      ts_free(svd[i]);
  if (mean)
    ts_free(mean);
  ts_free(xc);
  return rc;
}

// OK: frees the fitted model
static void pca_free(struct pca *p) {
  ts_free(p->mean);
  ts_free(p->components);
  ts_free(p->scale);
}

// BUG: leak: the left singular vectors of the SVD are never freed
static int pca_fit_quick(struct pca *p, const ts_tensor *x, int k) {
  ts_tensor *svd[3];
  ts_tensor *xc = center(x, &p->mean);
  if (ts_linalg_svd(svd, xc, false, NULL) != TS_OK) { // <- BUG
    ts_free(xc);
    ts_free(p->mean);
    return -1;
  }
  ts_free(xc);
  p->components = ts_narrow(svd[2], 0, 0, k);
  p->scale = ts_narrow(svd[1], 0, 0, k);
  ts_free(svd[1]);
  ts_free(svd[2]);
  p->k = k;
  return 0;
}

// OK: projection onto the components, new tensor for the caller
static ts_tensor *pca_transform(const struct pca *p, const ts_tensor *x) {
  ts_tensor *xc = ts_sub(x, p->mean);
  ts_tensor *ct = ts_t(p->components);
  ts_tensor *z = ts_matmul(xc, ct);
  ts_free(ct);
  ts_free(xc);
  return z;
}

// OK: fit, transform, report, free
void pca_basic(void) {
  ts_tensor *x = make_data();
  struct pca p;
  if (pca_fit(&p, x, 3) != 0) {
    ts_free(x);
    return;
  }
  ts_tensor *z = pca_transform(&p, x);
  report("scores", z);
  ts_free(z);
  pca_free(&p);
  ts_free(x);
}

// OK: drives the quick fit (its leak is its own)
void pca_quick(void) {
  ts_tensor *x = make_data();
  struct pca p;
  if (pca_fit_quick(&p, x, 2) == 0) {
    report("quick components", p.components);
    pca_free(&p);
  }
  ts_free(x);
}

// BUG: double-free: a k too large frees the components, then the shared
// failure label frees them again
static int pca_fit_checked(struct pca *p, const ts_tensor *x, int k) {
  ts_tensor *svd[3] = {NULL, NULL, NULL};
  ts_tensor *xc = center(x, &p->mean);
  if (ts_linalg_svd(svd, xc, false, NULL) != TS_OK)
    goto fail;
  p->components = ts_clone(svd[2]);
  if (k > ts_size(svd[2], 0)) {
    ts_free(p->components);
    goto fail;
  }
  p->scale = ts_clone(svd[1]);
  p->k = k;
  for (int i = 0; i < 3; i++)
    ts_free(svd[i]);
  ts_free(xc);
  return 0;
fail:
  for (int i = 0; i < 3; i++)
    if (svd[i])
      ts_free(svd[i]);
  if (p->components)
    ts_free(p->components); // <- BUG
  ts_free(p->mean);
  ts_free(xc);
  return -1;
}

// OK: asks for too many components (the double free is the fit's)
void pca_too_many(void) {
  ts_tensor *x = make_data();
  struct pca p = {0};
  if (pca_fit_checked(&p, x, 2 * D) != 0)
    fprintf(stderr, "fit refused\n");
  else
    pca_free(&p);
  ts_free(x);
}

// OK: fraction of variance the first k components explain, in one scope
TS_SCOPED static double explained_ratio(const ts_tensor *x, int k) {
  ts_tensor *xc = center(x, NULL);
  ts_tensor *svd[3];
  if (ts_linalg_svd(svd, xc, false, NULL) != TS_OK)
    return NAN;
  ts_tensor *s2 = ts_mul(svd[1], svd[1]);
  ts_tensor *top = ts_narrow(s2, 0, 0, k);
  return ts_item(ts_sum(top)) / ts_item(ts_sum(s2));
}

// OK: explained variance for growing k, stops when 90% is reached
void pca_choose_k(void) {
  ts_tensor *x = make_data();
  int k;
  for (k = 1; k <= D; k++)
    if (explained_ratio(x, k) > 0.9)
      break;
  printf("k = %d\n", k);
  ts_free(x);
}

// BUG: use-after-free: the singular values are freed before the ratio reads
// them
static double explained_first(const ts_tensor *x) {
  ts_tensor *xc = center(x, NULL);
  ts_tensor *svd[3];
  double r = NAN;
  if (ts_linalg_svd(svd, xc, false, NULL) == TS_OK) {
    ts_free(svd[0]);
    ts_free(svd[1]);
    ts_free(svd[2]);
    ts_tensor *s2 = ts_mul(svd[1], svd[1]); // <- BUG
    ts_tensor *first = ts_select_int(s2, 0, 0);
    ts_tensor *all = ts_sum(s2);
    r = ts_item(first) / ts_item(all);
    ts_free(first);
    ts_free(all);
    ts_free(s2);
  }
  ts_free(xc);
  return r;
}

// OK: prints the first component's share (the bug is in the helper)
void pca_first_share(void) {
  ts_tensor *x = make_data();
  printf("first %.3f\n", explained_first(x));
  ts_free(x);
}

// OK: whitening: escapes the result out of the function's scope
TS_SCOPED static ts_tensor *whiten(const struct pca *p, const ts_tensor *x) {
  ts_tensor *z = pca_transform(p, x);
  ts_tensor *w = ts_div(z, p->scale);
  ts_free(z);
  return ts_escape(w);
}

// BUG: unescaped-return: the whitened data are returned out of the scoped
// function without ts_escape
TS_SCOPED static ts_tensor *whiten_eps(const struct pca *p, const ts_tensor *x,
                                       double eps) {
  ts_tensor *z = ts_matmul(ts_sub(x, p->mean), ts_t(p->components));
  ts_tensor *den = ts_add_scalar(p->scale, eps);
  return ts_div(z, den); // <- BUG
}

// OK: whitened features checked for unit variance
void pca_whiten(void) {
  ts_tensor *x = make_data();
  struct pca p;
  if (pca_fit(&p, x, 3) != 0) {
    ts_free(x);
    return;
  }
  ts_tensor *w = whiten(&p, x);
  TS_SCOPE {
    ts_tensor *v = ts_var(w, true);
    printf("whitened var %.3f\n", ts_item(v));
  }
  ts_free(w);
  pca_free(&p);
  ts_free(x);
}

// OK: uses the epsilon whitening as if it escaped (the helper is wrong)
void pca_whiten_eps(void) {
  ts_tensor *x = make_data();
  struct pca p;
  if (pca_fit(&p, x, 3) != 0) {
    ts_free(x);
    return;
  }
  ts_tensor *w = whiten_eps(&p, x, 1e-5);
  report("whitened eps", w);
  ts_free(w);
  pca_free(&p);
  ts_free(x);
}

// OK: the covariance eigen-decomposition; both results freed on every path
void pca_eigh(void) {
  ts_tensor *x = make_data();
  ts_tensor *xc = center(x, NULL);
  ts_tensor *cov = covariance(xc);
  ts_tensor *eig[2];
  if (ts_linalg_eigh(eig, cov, "L") != TS_OK) {
    ts_free(cov);
    ts_free(xc);
    ts_free(x);
    return;
  }
  report("eigenvalues", eig[0]);
  ts_free(eig[0]);
  ts_free(eig[1]);
  ts_free(cov);
  ts_free(xc);
  ts_free(x);
}

// BUG: leak: the eigenvectors are dropped when only the values are wanted
static double largest_eigenvalue(const ts_tensor *cov) {
  ts_tensor *eig[2];
  if (ts_linalg_eigh(eig, cov, "L") != TS_OK) // <- BUG
    return NAN;
  ts_tensor *mx = ts_max(eig[0]);
  double v = ts_item(mx);
  ts_free(mx);
  ts_free(eig[0]);
  return v;
}

// OK: compares the largest eigenvalue with power iteration's
static double power_iteration(const ts_tensor *cov, int iters) {
  ts_tensor *v = ts_ones(TS_SHAPE(D, 1), TS_FLOAT32);
  for (int i = 0; i < iters; i++) {
    ts_tensor *mv = ts_matmul(cov, v);
    ts_tensor *nrm =
        ts_linalg_vector_norm(mv, 2.0, NULL, -1, false, TS_NO_DTYPE);
    ts_tensor *next = ts_div(mv, nrm);
    ts_free(mv);
    ts_free(nrm);
    ts_free(v);
    v = next;
  }
  ts_tensor *cv = ts_matmul(cov, v);
  ts_tensor *vt = ts_t(v);
  ts_tensor *lam = ts_matmul(vt, cv);
  double r = ts_item(lam);
  ts_free(lam);
  ts_free(vt);
  ts_free(cv);
  ts_free(v);
  return r;
}

// OK: the two estimates side by side
void pca_power_vs_eigh(void) {
  ts_tensor *x = make_data();
  ts_tensor *xc = center(x, NULL);
  ts_tensor *cov = covariance(xc);
  printf("power %.4f eigh %.4f\n", power_iteration(cov, 30),
         largest_eigenvalue(cov));
  ts_free(cov);
  ts_free(xc);
  ts_free(x);
}

// BUG: leak: the loop replaces the iterate without freeing the old one
static double power_iteration_lazy(const ts_tensor *cov, int iters) {
  ts_tensor *v = ts_ones(TS_SHAPE(D, 1), TS_FLOAT32);
  for (int i = 0; i < iters; i++) {
    ts_tensor *mv = ts_matmul(cov, v);
    ts_tensor *nrm =
        ts_linalg_vector_norm(mv, 2.0, NULL, -1, false, TS_NO_DTYPE);
    v = ts_div(mv, nrm); // <- BUG
    ts_free(mv);
    ts_free(nrm);
  }
  ts_tensor *nrm = ts_linalg_vector_norm(v, 2.0, NULL, -1, false, TS_NO_DTYPE);
  double r = ts_item(nrm);
  ts_free(nrm);
  ts_free(v);
  return r;
}

// OK: drives the lazy power iteration
void pca_power_lazy(void) {
  ts_tensor *x = make_data();
  ts_tensor *xc = center(x, NULL);
  ts_tensor *cov = covariance(xc);
  printf("norm %.3f\n", power_iteration_lazy(cov, 4));
  ts_free(cov);
  ts_free(xc);
  ts_free(x);
}

// OK: streaming mean over batches, in place into an accumulator; a batch
// with NaNs is skipped and freed
void pca_streaming_mean(void) {
  ts_tensor *acc = ts_zeros(TS_SHAPE(1, D), TS_FLOAT32);
  int used = 0;
  for (int b = 0; b < 4; b++) {
    ts_tensor *batch = make_data();
    if (b == 2) {
      ts_tensor *bad = ts_full(TS_SHAPE(1, D), TS_FLOAT32, NAN);
      ts_tensor *m = ts_cat((const ts_tensor *[]){batch, bad}, 2, 0);
      ts_free(bad);
      ts_free(batch);
      batch = m;
    }
    ts_tensor *s = ts_sum(batch);
    int has_nan = isnan(ts_item(s));
    ts_free(s);
    if (has_nan) {
      ts_free(batch);
      continue;
    }
    ts_tensor *m = ts_mean_dim(batch, TS_SHAPE(0), true, TS_NO_DTYPE);
    ts_add_Tensor_(acc, m, 1.0);
    ts_free(m);
    ts_free(batch);
    used++;
  }
  ts_div_Scalar_(acc, used);
  report("stream mean", acc);
  ts_free(acc);
}

// BUG: leak: the NaN batch is skipped by `continue` without being freed
void pca_streaming_skip(void) {
  ts_tensor *acc = ts_zeros(TS_SHAPE(1, D), TS_FLOAT32);
  int used = 0;
  for (int b = 0; b < 3; b++) {
    ts_tensor *batch = make_data(); // <- BUG
    if (b == 1)
      ts_fill_Scalar_(batch, NAN);
    ts_tensor *s = ts_sum(batch);
    int has_nan = isnan(ts_item(s));
    ts_free(s);
    if (has_nan)
      continue;
    ts_tensor *m = ts_mean_dim(batch, TS_SHAPE(0), true, TS_NO_DTYPE);
    ts_add_Tensor_(acc, m, 1.0);
    ts_free(m);
    ts_free(batch);
    used++;
  }
  ts_div_Scalar_(acc, used);
  report("stream mean", acc);
  ts_free(acc);
}

// OK: reconstruction error for k = 1..D in a scoped loop, best kept by value
void pca_reconstruction_sweep(void) {
  ts_tensor *x = make_data();
  double best = INFINITY;
  int best_k = 0;
  TS_SCOPE for (int k = 1; k <= D; k++) {
    struct pca p;
    if (pca_fit(&p, x, k) != 0)
      break;
    ts_tensor *z = pca_transform(&p, x);
    ts_tensor *back = ts_add(ts_matmul(z, p.components), p.mean);
    double err = ts_item(ts_mse_loss(back, x));
    pca_free(&p);
    if (err < best) {
      best = err;
      best_k = k;
    }
  }
  printf("best k %d err %.5f\n", best_k, best);
  ts_free(x);
}

// BUG: use-after-scope: the best reconstruction is kept from the scoped loop
void pca_best_reconstruction(void) {
  ts_tensor *x = make_data();
  ts_tensor *best_back = NULL;
  double best = INFINITY;
  TS_SCOPE for (int k = 1; k <= 3; k++) {
    struct pca p;
    if (pca_fit(&p, x, k) != 0)
      break;
    ts_tensor *z = pca_transform(&p, x);
    ts_tensor *back = ts_add(ts_matmul(z, p.components), p.mean);
    double err = ts_item(ts_mse_loss(back, x));
    pca_free(&p);
    if (err < best) {
      best = err;
      best_back = back;
    }
  }
  report("best reconstruction", best_back); // <- BUG
  ts_free(x);
}

// BUG: leak: the centred data are never freed after the covariance
void pca_cov_leak(void) {
  ts_tensor *x = make_data();
  ts_tensor *xc = center(x, NULL); // <- BUG
  ts_tensor *cov = covariance(xc);
  report("covariance", cov);
  ts_free(cov);
  ts_free(x);
}

// BUG: leak: the column mean asked for through the out-parameter is dropped
void pca_mean_dropped(void) {
  ts_tensor *x = make_data();
  ts_tensor *mean = NULL;
  ts_tensor *xc = center(x, &mean); // <- BUG
  report("centred", xc);
  ts_free(xc);
  ts_free(x);
}

// BUG: double-free: the model is torn down on the report path and again at
// the end
void pca_double_teardown(void) {
  ts_tensor *x = make_data();
  struct pca p;
  if (pca_fit(&p, x, 2) != 0) {
    ts_free(x);
    return;
  }
  if (p.k == 2) {
    report("components", p.components);
    pca_free(&p);
  }
  pca_free(&p); // <- BUG
  ts_free(x);
}

// BUG: use-after-free: the data are freed before the projection uses them
void pca_transform_freed(void) {
  ts_tensor *x = make_data();
  struct pca p;
  if (pca_fit(&p, x, 2) != 0) {
    ts_free(x);
    return;
  }
  ts_free(x);
  ts_tensor *z = pca_transform(&p, x); // <- BUG
  ts_free(z);
  pca_free(&p);
}

// BUG: double-free: the scale tensor is freed by hand before the teardown
void pca_scale_freed(void) {
  ts_tensor *x = make_data();
  struct pca p;
  if (pca_fit(&p, x, 3) == 0) {
    report("scale", p.scale);
    ts_free(p.scale);
    pca_free(&p); // <- BUG
  }
  ts_free(x);
}

// BUG: use-after-free: the covariance is freed inside the loop on its last
// pass and read again by the final check
void pca_cov_loop(void) {
  ts_tensor *x = make_data();
  ts_tensor *xc = center(x, NULL);
  ts_tensor *cov = covariance(xc);
  for (int i = 0; i < 3; i++) {
    printf("power %d: %.4f\n", i, power_iteration(cov, 5 + i));
    if (i == 2)
      ts_free(cov);
  }
  report("cov", cov); // <- BUG
  ts_free(xc);
  ts_free(x);
}
