/* heldout6_kmeans.c - k-means with random restarts: the best run's
 * centroids kept across restarts, assignment and update steps, distance
 * buffers taken from a pool, inertia bookkeeping and a mini-batch variant. */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { KM_N = 12, KM_D = 2, KM_K = 3 };

typedef struct {
  ts_tensor *centroids; /* [K, D] */
  double inertia;
} km_result;

// OK: a fixed toy data set the caller owns
static ts_tensor *km_data(void) {
  float buf[KM_N * KM_D];
  for (int i = 0; i < KM_N; i++) {
    buf[2 * i] = (float)(i % 3) * 4.0f + 0.1f * (float)i;
    buf[2 * i + 1] = (float)(i % 3) * -2.0f;
  }
  return ts_from_buffer(buf, TS_SHAPE(KM_N, KM_D), TS_FLOAT32);
}

// OK: squared distances [N, K] via |x|^2 - 2 x c^T + |c|^2, in the caller's scope
TS_CALLER_SCOPE static ts_tensor *km_dist(const ts_tensor *x,
                                          const ts_tensor *c) {
  ts_tensor *xc = ts_matmul(x, ts_transpose(c, 0, 1));
  ts_tensor *x2 = ts_sum_dim_IntList(ts_mul(x, x), TS_SHAPE(1), true, TS_NO_DTYPE);
  ts_tensor *c2 = ts_reshape(ts_sum_dim_IntList(ts_mul(c, c), TS_SHAPE(1), false,
                                                TS_NO_DTYPE),
                             TS_SHAPE(1, KM_K));
  return ts_add(ts_sub(x2, ts_mul_scalar(xc, 2.0)), c2);
}

// OK: initial centroids from K random rows; a new tensor the caller owns
static ts_tensor *km_init_centroids(const ts_tensor *x, uint64_t seed) {
  ts_tensor *c = NULL;
  ts_manual_seed(seed);
  TS_SCOPE {
    ts_tensor *idx = ts_randint(KM_N, TS_SHAPE(KM_K), TS_INT64, NULL);
    c = ts_escape(ts_index_select(x, 0, idx));
  }
  return c;
}

// OK: one Lloyd step: new centroids escaped, the old ones freed by the caller
TS_SCOPED static ts_tensor *km_step(const ts_tensor *x, const ts_tensor *c,
                                    double *inertia) {
  ts_tensor *d = km_dist(x, c);
  ts_tensor *assign = ts_argmax_dim(ts_neg(d), 1);
  int64_t a[KM_N];
  int n = (int)ts_size(x, 0);
  float xs[KM_N * KM_D], cs[KM_K * KM_D] = {0}, cnt[KM_K] = {0};
  ts_copy_to_buffer(assign, a, sizeof a);
  ts_copy_to_buffer(x, xs, sizeof xs);
  for (int i = 0; i < n; i++) {
    cnt[a[i]] += 1.0f;
    for (int j = 0; j < KM_D; j++)
      cs[a[i] * KM_D + j] += xs[i * KM_D + j];
  }
  float old[KM_K * KM_D];
  ts_copy_to_buffer(c, old, sizeof old);
  for (int k = 0; k < KM_K; k++)
    for (int j = 0; j < KM_D; j++)
      cs[k * KM_D + j] = cnt[k] > 0 ? cs[k * KM_D + j] / cnt[k] : old[k * KM_D + j];
  ts_tensor *mins[2];
  *inertia = 0;
  if (ts_max_dim(mins, ts_neg(d), 1, false) == TS_OK)
    *inertia = -ts_item(ts_sum(mins[0]));
  return ts_escape(ts_from_buffer(cs, TS_SHAPE(KM_K, KM_D), TS_FLOAT32));
}

// OK: a run of Lloyd steps, the centroids replaced each time
static km_result km_run(const ts_tensor *x, uint64_t seed, int iters) {
  km_result r = {NULL, 0.0};
  ts_tensor *c = km_init_centroids(x, seed);
  for (int i = 0; i < iters && c; i++) {
    ts_tensor *nc = km_step(x, c, &r.inertia);
    ts_free(c);
    c = nc;
  }
  r.centroids = c;
  return r;
}

// OK: restarts keep the best result and free the others
void km_restarts(void) {
  ts_tensor *x = km_data();
  km_result best = {NULL, 1e30};
  for (uint64_t s = 1; s <= 3; s++) {
    km_result r = km_run(x, s, 4);
    if (r.centroids && r.inertia < best.inertia) {
      if (best.centroids)
        ts_free(best.centroids);
      best = r;
    } else if (r.centroids) {
      ts_free(r.centroids);
    }
  }
  printf("kmeans: best inertia %.3f\n", best.inertia);
  ts_free(best.centroids);
  ts_free(x);
}

// BUG: leak: a worse restart's centroids are dropped without being freed
void km_restarts_leak(void) {
  ts_tensor *x = km_data();
  km_result best = {NULL, 1e30};
  for (uint64_t s = 1; s <= 3; s++) {
    km_result r = km_run(x, s, 3); // <- BUG
    if (r.centroids && r.inertia < best.inertia) {
      if (best.centroids)
        ts_free(best.centroids);
      best = r;
    }
  }
  ts_free(best.centroids);
  ts_free(x);
}

// BUG: double-free: the improved best frees the old best, then the common cleanup frees it too
void km_restarts_double(void) {
  ts_tensor *x = km_data();
  km_result best = km_run(x, 1, 1);
  for (int budget = 2; budget <= 3; budget++) {
    km_result r = km_run(x, 1, budget);
    ts_tensor *old = best.centroids;
    if (r.inertia <= best.inertia) {
      ts_free(old);
      best = r;
    } else {
      ts_free(r.centroids);
    }
    if (best.centroids != old)
      ts_free(old); // <- BUG
  }
  ts_free(best.centroids);
  ts_free(x);
}

// BUG: use-after-free: the previous centroids are freed before the shift is measured
void km_converge_uaf(void) {
  ts_tensor *x = km_data();
  ts_tensor *c = km_init_centroids(x, 5);
  double inertia = 0;
  for (int i = 0; i < 3; i++) {
    ts_tensor *nc = km_step(x, c, &inertia);
    ts_free(c);
    TS_SCOPE {
      double shift = ts_item(ts_sum(ts_abs(ts_sub(nc, c)))); // <- BUG
      if (shift < 1e-4)
        printf("kmeans: converged\n");
    }
    c = nc;
  }
  ts_free(c);
  ts_free(x);
}

// OK: the shift is measured before the previous centroids are freed
void km_converge_ok(void) {
  ts_tensor *x = km_data();
  ts_tensor *c = km_init_centroids(x, 5);
  double inertia = 0;
  int done = 0;
  for (int i = 0; i < 5 && !done; i++) {
    ts_tensor *nc = km_step(x, c, &inertia);
    TS_SCOPE { done = ts_item(ts_sum(ts_abs(ts_sub(nc, c)))) < 1e-4; }
    ts_free(c);
    c = nc;
  }
  printf("kmeans: inertia %.3f\n", inertia);
  ts_free(c);
  ts_free(x);
}

// BUG: unescaped-return: the assignment vector is returned from the run's scope
static void *km_assign_job(void *ctx) {
  ts_tensor **in = ctx;
  ts_tensor *d = km_dist(in[0], in[1]);
  return ts_argmax_dim(ts_neg(d), 1); // <- BUG
}

// OK: runs the assignment job (its bug) and reads the labels
void km_assign_via_run(void) {
  ts_tensor *x = km_data();
  ts_tensor *c = km_init_centroids(x, 2);
  ts_tensor *in[2] = {x, c};
  ts_tensor *lab = ts_run(km_assign_job, in);
  if (lab) {
    printf("kmeans: %lld labels\n", (long long)ts_numel(lab));
    ts_free(lab);
  }
  ts_free(c);
  ts_free(x);
}

// OK: the assignment job escapes its result out of ts_run's scope
static void *km_assign_job_ok(void *ctx) {
  ts_tensor **in = ctx;
  ts_tensor *d = km_dist(in[0], in[1]);
  return ts_escape(ts_argmax_dim(ts_neg(d), 1));
}

// OK: runs the escaping job and frees its result
void km_assign_via_run_ok(void) {
  ts_tensor *x = km_data();
  ts_tensor *c = km_init_centroids(x, 2);
  ts_tensor *in[2] = {x, c};
  ts_tensor *lab = ts_run(km_assign_job_ok, in);
  if (lab) {
    printf("kmeans: %lld labels\n", (long long)ts_numel(lab));
    ts_free(lab);
  }
  ts_free(c);
  ts_free(x);
}

// OK: distance buffers acquired from a pool and released on every path
static double km_pooled_inertia(ts_pool *pool, const ts_tensor *x,
                                const ts_tensor *c) {
  double v = -1.0;
  ts_tensor *buf = ts_pool_acquire(pool, TS_SHAPE(KM_N, KM_K), TS_FLOAT32);
  if (!buf)
    buf = ts_zeros(TS_SHAPE(KM_N, KM_K), TS_FLOAT32);
  if (!buf)
    return v;
  TS_SCOPE {
    ts_tensor *d = km_dist(x, c);
    ts_copy_(buf, d, false);
    ts_tensor *mins[2];
    if (ts_max_dim(mins, ts_neg(buf), 1, false) == TS_OK)
      v = -ts_item(ts_sum(mins[0]));
  }
  ts_pool_release(pool, buf);
  return v;
}

// OK: the pooled inertia for several centroid sets; the pool destroyed last
void km_pool_eval(void) {
  ts_pool *pool = ts_pool_new(4);
  ts_tensor *x = km_data();
  for (uint64_t s = 1; s <= 3; s++) {
    ts_tensor *c = km_init_centroids(x, s);
    printf("kmeans: seed %d inertia %.2f\n", (int)s, km_pooled_inertia(pool, x, c));
    ts_free(c);
  }
  ts_pool_stats st = ts_pool_get_stats(pool);
  printf("kmeans: pool hits %llu\n", (unsigned long long)st.hit_count);
  ts_free(x);
  ts_pool_destroy(pool);
}

// BUG: use-after-free: the buffer is released to the pool, then read for the report
static double km_pooled_release_early(ts_pool *pool, const ts_tensor *x,
                                      const ts_tensor *c) {
  ts_tensor *buf = ts_pool_acquire(pool, TS_SHAPE(KM_N, KM_K), TS_FLOAT32);
  if (!buf)
    buf = ts_zeros(TS_SHAPE(KM_N, KM_K), TS_FLOAT32);
  double v = 0;
  TS_SCOPE {
    ts_copy_(buf, km_dist(x, c), false);
    ts_pool_release(pool, buf);
    v = ts_item(ts_sum(buf)); // <- BUG
  }
  return v;
}

// OK: drives the early-release helper
void km_pool_release_early(void) {
  ts_pool *pool = ts_pool_new(2);
  ts_tensor *x = km_data();
  ts_tensor *c = km_init_centroids(x, 9);
  printf("kmeans: %.2f\n", km_pooled_release_early(pool, x, c));
  ts_free(c);
  ts_free(x);
  ts_pool_destroy(pool);
}

// BUG: double-free: the buffer goes back to the pool on the error path and again at the end
static int km_pooled_checked(ts_pool *pool, const ts_tensor *c, double *out) {
  ts_tensor *buf = ts_pool_acquire(pool, TS_SHAPE(KM_K, KM_D), TS_FLOAT32);
  if (!buf)
    buf = ts_clone(c);
  int rc = 0;
  if (ts_size(c, 0) != KM_K + 1) {
    ts_pool_release(pool, buf);
    rc = -1;
  } else {
    *out = 1.0;
  }
  ts_pool_release(pool, buf); // <- BUG
  return rc;
}

// OK: drives the checked pooled helper onto its error path
void km_pool_checked(void) {
  ts_pool *pool = ts_pool_new(2);
  ts_tensor *x = km_data();
  ts_tensor *c = km_init_centroids(x, 4);
  double v = 0;
  if (km_pooled_checked(pool, c, &v) != 0)
    printf("kmeans: bad centroids\n");
  ts_free(c);
  ts_free(x);
  ts_pool_destroy(pool);
}

// BUG: leak: the mini-batch sample is not freed when the batch is skipped
void km_minibatch(void) {
  ts_tensor *x = km_data();
  ts_tensor *c = km_init_centroids(x, 3);
  double inertia = 0;
  for (int it = 0; it < 3; it++) {
    ts_tensor *idx = ts_randint(KM_N, TS_SHAPE(4), TS_INT64, NULL);
    ts_tensor *batch = ts_index_select(x, 0, idx); // <- BUG
    ts_free(idx);
    if (it == 1)
      continue;
    ts_tensor *nc = km_step(batch, c, &inertia);
    ts_free(batch);
    ts_free(c);
    c = nc;
  }
  ts_free(c);
  ts_free(x);
}

// OK: the mini-batch loop body in a scope; only the centroids escape
void km_minibatch_scoped(void) {
  ts_tensor *x = km_data();
  ts_tensor *c = km_init_centroids(x, 3);
  double inertia = 0;
  TS_SCOPE for (int it = 0; it < 3; it++) {
    ts_tensor *idx = ts_randint(KM_N, TS_SHAPE(4), TS_INT64, NULL);
    ts_tensor *batch = ts_index_select(x, 0, idx);
    if (it == 1)
      continue;
    ts_tensor *nc = km_step(batch, c, &inertia);
    ts_free(c);
    c = ts_escape(nc);
  }
  printf("kmeans: minibatch inertia %.3f\n", inertia);
  ts_free(c);
  ts_free(x);
}

// BUG: use-after-scope: the centroids from a scoped run are stored and read later
void km_scoped_run_store(void) {
  ts_tensor *x = km_data();
  km_result keep = {NULL, 0};
  TS_SCOPE {
    ts_tensor *c = km_init_centroids(x, 8);
    ts_tensor *nc = km_step(x, c, &keep.inertia);
    keep.centroids = nc;
  }
  printf("kmeans: %.3f\n", ts_item(ts_mean(keep.centroids))); // <- BUG
  ts_free(x);
}

// OK: the same, with the stored centroids kept out of the scope
void km_scoped_run_keep(void) {
  ts_tensor *x = km_data();
  km_result keep = {NULL, 0};
  TS_SCOPE {
    ts_tensor *c = km_init_centroids(x, 8);
    ts_tensor *nc = km_step(x, c, &keep.inertia);
    keep.centroids = ts_keep(nc);
  }
  TS_SCOPE { printf("kmeans: %.3f\n", ts_item(ts_mean(keep.centroids))); }
  ts_free(keep.centroids);
  ts_free(x);
}

// BUG: leak: the inertia tensor of each restart is made manually and never freed
static double km_inertia_manual(const ts_tensor *x, const ts_tensor *c) {
  ts_tensor *ct = ts_transpose(c, 0, 1);
  ts_tensor *xc = ts_matmul(x, ct);
  ts_tensor *s = ts_sum(xc); // <- BUG
  double v = ts_item(s);
  ts_free(xc);
  ts_free(ct);
  return v;
}

// OK: drives the manual inertia helper
void km_manual_inertia(void) {
  ts_tensor *x = km_data();
  ts_tensor *c = km_init_centroids(x, 6);
  printf("kmeans: raw %.3f\n", km_inertia_manual(x, c));
  ts_free(c);
  ts_free(x);
}
