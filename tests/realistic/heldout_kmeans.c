/*
 * heldout_kmeans.c - k-means clustering: centroid initialisation from a
 * random permutation, assignment by distance, centroid updates through an
 * out-parameter, results returned by value in a struct, convergence
 * checks. Held-out corpus (README.md).
 *
 * Labels: `// OK: why` or `// BUG: check: why` before each function; the
 * line of the bug ends in `// <- BUG`.
 */
#include <math.h>
#include <stdio.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define NPTS 12
#define FDIM 2
#define K 3

struct km_result {
  ts_tensor *centroids; /* [K, FDIM] or NULL */
  ts_tensor *labels;    /* [NPTS] int64 or NULL */
  double inertia;
};

// OK: k random rows of x; the permutation and its prefix are freed
static ts_tensor *km_init_centroids(const ts_tensor *x, int k) {
  ts_tensor *perm = ts_randperm(ts_size(x, 0), TS_INT64, NULL);
  ts_tensor *first = ts_narrow(perm, 0, 0, k);
  ts_tensor *c = ts_index_select(x, 0, first);
  ts_free(first);
  ts_free(perm);
  return c;
}

// OK: nearest centroid of each point; the distance matrix is freed
static ts_tensor *km_assign(const ts_tensor *x, const ts_tensor *c) {
  ts_tensor *d = ts_cdist(x, c, 2.0, 0);
  if (!d)
    return NULL;
  ts_tensor *lab = ts_argmin(d, 1, false);
  ts_free(d);
  return lab;
}

// OK: replaces *centroids by the means of the assigned points (the old
// centroids are freed here)
static int km_update(ts_tensor **centroids, const ts_tensor *x,
                     const ts_tensor *labels) {
  ts_tensor *oh = ts_one_hot(labels, K);
  ts_tensor *ohf = ts_to_dtype(oh, TS_FLOAT32, false, false);
  ts_free(oh);
  ts_tensor *oht = ts_t(ohf);
  ts_tensor *sums = ts_mm(oht, x);
  ts_free(oht);
  ts_tensor *counts = ts_sum_dim_IntList(ohf, TS_SHAPE(0), true, TS_NO_DTYPE);
  ts_free(ohf);
  ts_tensor *countst = ts_t(counts);
  ts_tensor *safe = ts_clamp(countst, 1.0, INFINITY);
  ts_free(countst);
  ts_free(counts);
  ts_tensor *next = ts_div(sums, safe);
  ts_free(safe);
  ts_free(sums);
  if (!next)
    return -1;
  ts_free(*centroids);
  *centroids = next;
  return 0;
}

// OK: a fixed number of Lloyd iterations; each iteration's labels are freed
// before the next
void km_lloyd(void) {
  ts_manual_seed(3);
  ts_tensor *x = ts_randn(TS_SHAPE(NPTS, FDIM), TS_FLOAT32);
  ts_tensor *c = km_init_centroids(x, K);
  for (int it = 0; it < 4; it++) {
    ts_tensor *lab = km_assign(x, c);
    int rc = km_update(&c, x, lab);
    ts_free(lab);
    if (rc != 0)
      break;
  }
  printf("centroids %lld\n", (long long)ts_numel(c));
  ts_free(c);
  ts_free(x);
}

// BUG: leak: each iteration's labels overwrite the previous ones
void km_lloyd_labels(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(NPTS, FDIM), TS_FLOAT32);
  ts_tensor *c = km_init_centroids(x, K);
  ts_tensor *lab = NULL;
  for (int it = 0; it < 3; it++) {
    lab = km_assign(x, c); // <- BUG
    km_update(&c, x, lab);
  }
  printf("first label %lld\n", (long long)ts_numel(lab));
  ts_free(lab);
  ts_free(c);
  ts_free(x);
}

// BUG: use-after-free: prev aliases the centroids km_update frees and
// replaces
void km_converge_alias(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(NPTS, FDIM), TS_FLOAT32);
  ts_tensor *c = km_init_centroids(x, K);
  ts_tensor *lab = km_assign(x, c);
  ts_tensor *prev = c;
  km_update(&c, x, lab);
  ts_tensor *shift = ts_sub(c, prev); // <- BUG
  printf("shift %lld\n", (long long)ts_numel(shift));
  ts_free(shift);
  ts_free(lab);
  ts_free(c);
  ts_free(x);
}

// OK: prev is a clone, so it survives the update; all are freed
void km_converge_clone(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(NPTS, FDIM), TS_FLOAT32);
  ts_tensor *c = km_init_centroids(x, K);
  for (int it = 0; it < 5; it++) {
    ts_tensor *lab = km_assign(x, c);
    ts_tensor *prev = ts_clone(c);
    km_update(&c, x, lab);
    ts_free(lab);
    ts_tensor *diff = ts_sub(c, prev);
    ts_free(prev);
    ts_tensor *n = ts_norm_ScalarOpt_dim(diff, 2.0, NULL, 0, false);
    ts_free(diff);
    double moved = ts_item(n);
    ts_free(n);
    if (moved < 1e-4)
      break;
  }
  ts_free(c);
  ts_free(x);
}

// OK: the result struct owns the centroids and labels it returns; the
// inertia is read in a scope
static struct km_result km_fit(const ts_tensor *x, int iters) {
  struct km_result r = {NULL, NULL, 0.0};
  ts_tensor *c = km_init_centroids(x, K);
  ts_tensor *lab = NULL;
  for (int it = 0; it < iters; it++) {
    if (lab)
      ts_free(lab);
    lab = km_assign(x, c);
    km_update(&c, x, lab);
  }
  TS_SCOPE {
    ts_tensor *d = ts_cdist(x, c, 2.0, 0);
    ts_tensor *dmin = ts_amin(d, TS_SHAPE(1), false);
    r.inertia = ts_item(ts_sum(ts_square(dmin)));
  }
  r.centroids = c;
  r.labels = lab;
  return r;
}

// OK: releases what a result owns
static void km_result_free(struct km_result *r) {
  if (r->centroids)
    ts_free(r->centroids);
  if (r->labels)
    ts_free(r->labels);
  r->centroids = r->labels = NULL;
}

// OK: fits and frees the result through its teardown
void km_fit_and_report(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(NPTS, FDIM), TS_FLOAT32);
  struct km_result r = km_fit(x, 3);
  printf("inertia %f, %lld labels\n", r.inertia, (long long)ts_numel(r.labels));
  km_result_free(&r);
  ts_free(x);
}

// BUG: double-free: the centroids are freed by hand and again by the
// result's teardown
void km_fit_export(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(NPTS, FDIM), TS_FLOAT32);
  struct km_result r = km_fit(x, 2);
  float buf[K * FDIM];
  ts_copy_to_buffer(r.centroids, buf, sizeof buf);
  ts_free(r.centroids);
  printf("%f\n", buf[0]);
  km_result_free(&r); // <- BUG
  ts_free(x);
}

// BUG: leak: when the caller asks for zero iterations the initial
// centroids are dropped without being freed
static struct km_result km_fit_checked(const ts_tensor *x, int iters) {
  struct km_result r = {NULL, NULL, 0.0};
  ts_tensor *c = km_init_centroids(x, K); // <- BUG
  if (iters <= 0) {
    fprintf(stderr, "km: no iterations\n");
    return r;
  }
  ts_tensor *lab = km_assign(x, c);
  km_update(&c, x, lab);
  r.centroids = c;
  r.labels = lab;
  return r;
}

// OK: drives the checked fit with a bad and a good iteration count
void km_fit_checked_driver(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(NPTS, FDIM), TS_FLOAT32);
  for (int iters = 0; iters < 2; iters++) {
    struct km_result r = km_fit_checked(x, iters);
    km_result_free(&r);
  }
  ts_free(x);
}

// BUG: unescaped-return: the per-cluster sizes belong to the function's
// scope and are returned without ts_escape
TS_SCOPED static ts_tensor *km_cluster_sizes(const ts_tensor *labels) {
  ts_tensor *oh = ts_one_hot(labels, K);
  return ts_sum_dim_IntList(oh, TS_SHAPE(0), false, TS_NO_DTYPE); // <- BUG
}

// OK: reads the sizes the scoped helper returns, then frees them
void km_sizes_report(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(NPTS, FDIM), TS_FLOAT32);
  ts_tensor *c = km_init_centroids(x, K);
  ts_tensor *lab = km_assign(x, c);
  ts_tensor *sizes = km_cluster_sizes(lab);
  printf("%lld clusters\n", (long long)ts_numel(sizes));
  ts_free(sizes);
  ts_free(lab);
  ts_free(c);
  ts_free(x);
}
