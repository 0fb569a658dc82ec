/* heldout5_spectral.c - spectral clustering of two point clouds: a
 * Gaussian affinity matrix from pairwise squared distances, the
 * symmetric normalised affinity, leading eigenvectors by power iteration
 * with deflation kept in a malloc'd array, a resumable power iteration in
 * an async scope, and a host-side 2-means on the embedding.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { NPTS = 12, KEIG = 2, ITERS = 30 };

struct spectral {
  ts_tensor *A;     /* [NPTS, NPTS] normalised affinity, owned */
  ts_tensor **vecs; /* KEIG eigenvectors [NPTS], owned */
  double *vals;
  int k;
};

struct resumable {
  ts_async_scope *scope;
  ts_tensor *v; /* current iterate, owned by the async scope */
  const ts_tensor *A;
  int done;
};

// OK: two blobs, manual
static ts_tensor *two_blobs(void) {
  float off[NPTS * 2];
  for (int i = 0; i < NPTS; i++) {
    off[2 * i] = i < NPTS / 2 ? -2.0f : 2.0f;
    off[2 * i + 1] = 0.0f;
  }
  ts_tensor *o = ts_from_buffer(off, TS_SHAPE(NPTS, 2), TS_FLOAT32);
  ts_tensor *n = ts_randn(TS_SHAPE(NPTS, 2), TS_FLOAT32);
  ts_tensor *s = ts_mul_scalar(n, 0.3);
  ts_free(n);
  ts_tensor *x = ts_add(o, s);
  ts_free(o);
  ts_free(s);
  return x;
}

// OK: squared distances |xi|^2 + |xj|^2 - 2 xi.xj in the caller's scope
TS_CALLER_SCOPE static ts_tensor *sq_dists(const ts_tensor *x) {
  ts_tensor *n2 =
      ts_sum_dim_IntList(ts_mul(x, x), TS_SHAPE(1), true, TS_FLOAT32);
  ts_tensor *g = ts_matmul(x, ts_transpose(x, 0, 1));
  return ts_sub(ts_add(n2, ts_transpose(n2, 0, 1)), ts_mul_scalar(g, 2.0));
}

// OK: D^-1/2 W D^-1/2 escaped out of the function's scope
TS_SCOPED static ts_tensor *normalised_affinity(const ts_tensor *x,
                                                double sigma) {
  ts_tensor *W = ts_exp(ts_mul_scalar(sq_dists(x), -0.5 / (sigma * sigma)));
  ts_tensor *d = ts_rsqrt(ts_sum_dim_IntList(W, TS_SHAPE(1), true, TS_FLOAT32));
  return ts_escape(ts_mul(ts_mul(d, W), ts_transpose(d, 0, 1)));
}

// BUG: unescaped-return: the affinity is returned from the function's scope
TS_SCOPED static ts_tensor *raw_affinity(const ts_tensor *x, double sigma) {
  ts_tensor *D = sq_dists(x);
  return ts_exp(ts_mul_scalar(D, -0.5 / (sigma * sigma))); // <- BUG
}

// OK: unit-norm copy of v; v is the caller's
static ts_tensor *unit(const ts_tensor *v) {
  ts_tensor *sq = ts_mul(v, v);
  ts_tensor *s = ts_sum(sq);
  ts_free(sq);
  ts_tensor *r = ts_rsqrt(s);
  ts_free(s);
  ts_tensor *u = ts_mul(v, r);
  ts_free(r);
  return u;
}

// OK: v <- A v / |A v|, removing earlier eigenvectors; the old iterate freed
// each round
static ts_tensor *power_iterate(const ts_tensor *A, ts_tensor *const *prev,
                                int nprev, int iters) {
  ts_tensor *v = ts_randn(TS_SHAPE(NPTS), TS_FLOAT32);
  for (int it = 0; it < iters; it++) {
    ts_tensor *next;
    TS_SCOPE {
      ts_tensor *w = ts_mv(A, v);
      for (int j = 0; j < nprev; j++)
        w = ts_sub(w, ts_mul(prev[j], ts_dot(prev[j], w)));
      next = ts_keep(unit(w));
    }
    ts_free(v);
    v = next;
  }
  return v;
}

// BUG: leak: each round's product A v is dropped without being freed
static ts_tensor *power_iterate_plain(const ts_tensor *A, int iters) {
  ts_tensor *v = ts_randn(TS_SHAPE(NPTS), TS_FLOAT32);
  for (int it = 0; it < iters; it++) {
    ts_tensor *w = ts_mv(A, v); // <- BUG
    ts_tensor *u = unit(w);
    ts_free(v);
    v = u;
  }
  return v;
}

// OK: the Rayleigh quotient v.Av as a double
TS_SCOPED static double rayleigh(const ts_tensor *A, const ts_tensor *v) {
  return ts_item(ts_dot(v, ts_mv(A, v)));
}

// OK: the eigenvectors go into the array one by one; a failure frees those
// found
static int spectral_fit(struct spectral *s, const ts_tensor *x, double sigma) {
  s->k = KEIG;
  s->A = normalised_affinity(x, sigma);
  s->vecs = calloc(KEIG, sizeof *s->vecs);
  s->vals = calloc(KEIG, sizeof *s->vals);
  if (!s->A || !s->vecs || !s->vals) {
    if (s->A)
      ts_free(s->A);
    free(s->vecs);
    free(s->vals);
    return -1;
  }
  for (int j = 0; j < KEIG; j++) {
    s->vecs[j] = power_iterate(s->A, s->vecs, j, ITERS);
    s->vals[j] = rayleigh(s->A, s->vecs[j]);
  }
  return 0;
}

// OK: frees the affinity, the eigenvectors and the arrays
static void spectral_free(struct spectral *s) {
  for (int j = 0; j < s->k; j++)
    if (s->vecs[j])
      ts_free(s->vecs[j]);
  free(s->vecs);
  free(s->vals);
  ts_free(s->A);
  memset(s, 0, sizeof *s);
}

// BUG: leak: the affinity matrix is not freed with the eigenvectors
static void spectral_free_vecs(struct spectral *s) {
  for (int j = 0; j < s->k; j++)
    ts_free(s->vecs[j]);
  free(s->vecs);
  free(s->vals);
  memset(s, 0, sizeof *s); // <- BUG
}

// BUG: double-free: the first eigenvector is freed by the loop and again after
// it
static void spectral_free_first_twice(struct spectral *s) {
  ts_tensor *first = s->vecs[0];
  for (int j = 0; j < s->k; j++)
    ts_free(s->vecs[j]);
  ts_free(first); // <- BUG
  free(s->vecs);
  free(s->vals);
  ts_free(s->A);
}

// OK: 2-means on the second eigenvector's sign, host side
static int labels_from(const struct spectral *s, int *labels) {
  float v[NPTS];
  if (ts_copy_to_buffer(s->vecs[KEIG - 1], v, sizeof v) != TS_OK)
    return -1;
  for (int i = 0; i < NPTS; i++)
    labels[i] = v[i] > 0;
  return 0;
}

// OK: starts a resumable power iteration in an async scope
static int resumable_start(struct resumable *r, const ts_tensor *A) {
  r->scope = ts_async_scope_begin();
  if (!r->scope)
    return -1;
  r->A = A;
  r->done = 0;
  ts_async_scope_enter(r->scope);
  r->v = ts_randn(TS_SHAPE(NPTS), TS_FLOAT32);
  ts_async_scope_leave(r->scope);
  return 0;
}

// OK: a few more iterations inside the async scope; the iterates belong to it
static void resumable_step(struct resumable *r, int n) {
  ts_async_scope_enter(r->scope);
  for (int i = 0; i < n; i++) {
    ts_tensor *w = ts_mv(r->A, r->v);
    r->v = unit(w);
  }
  r->done += n;
  ts_async_scope_leave(r->scope);
}

// OK: copies the result out of the async scope as a manual clone, then ends the
// scope
static ts_tensor *resumable_finish(struct resumable *r) {
  ts_tensor *out = ts_clone(r->v);
  ts_async_scope_end(r->scope);
  r->scope = NULL;
  r->v = NULL;
  return out;
}

// BUG: use-after-scope: the iterate is handed out after its async scope ended
static ts_tensor *resumable_finish_bad(struct resumable *r) {
  ts_async_scope_end(r->scope);
  r->scope = NULL;
  ts_tensor *out = ts_clone(r->v); // <- BUG
  r->v = NULL;
  return out;
}

// OK: fit, label, report, free
void sc5_cluster(void) {
  struct spectral s;
  int labels[NPTS];
  ts_manual_seed(9);
  ts_tensor *x = two_blobs();
  if (spectral_fit(&s, x, 1.0) != 0) {
    ts_free(x);
    return;
  }
  if (labels_from(&s, labels) == 0)
    printf("labels %d %d, eig %.3f %.3f\n", labels[0], labels[NPTS - 1],
           s.vals[0], s.vals[1]);
  spectral_free(&s);
  ts_free(x);
}

// OK: a resumable iteration in three slices
void sc5_resumable(void) {
  ts_tensor *x = two_blobs();
  ts_tensor *A = normalised_affinity(x, 1.0);
  struct resumable r;
  if (resumable_start(&r, A) != 0) {
    ts_free(A);
    ts_free(x);
    return;
  }
  for (int k = 0; k < 3; k++)
    resumable_step(&r, 5);
  ts_tensor *v = resumable_finish(&r);
  printf("rayleigh %.3f after %d\n", rayleigh(A, v), r.done);
  ts_free(v);
  ts_free(A);
  ts_free(x);
}

// OK: drives resumable_finish_bad
void sc5_resumable_bad(void) {
  ts_tensor *x = two_blobs();
  ts_tensor *A = normalised_affinity(x, 1.0);
  struct resumable r;
  resumable_start(&r, A);
  resumable_step(&r, 2);
  ts_tensor *v = resumable_finish_bad(&r);
  ts_free(v);
  ts_free(A);
  ts_free(x);
}

// OK: uses and frees raw_affinity's result
void sc5_raw(void) {
  ts_tensor *x = two_blobs();
  ts_tensor *W = raw_affinity(x, 1.0);
  printf("W %lld\n", (long long)ts_numel(W));
  ts_free(W);
  ts_free(x);
}

// OK: drives power_iterate_plain
void sc5_plain(void) {
  ts_tensor *x = two_blobs();
  ts_tensor *A = normalised_affinity(x, 1.0);
  ts_tensor *v = power_iterate_plain(A, 3);
  ts_free(v);
  ts_free(A);
  ts_free(x);
}

// OK: drives spectral_free_vecs
void sc5_free_vecs(void) {
  struct spectral s;
  ts_tensor *x = two_blobs();
  if (spectral_fit(&s, x, 1.0) == 0)
    spectral_free_vecs(&s);
  ts_free(x);
}

// OK: drives spectral_free_first_twice
void sc5_free_first(void) {
  struct spectral s;
  ts_tensor *x = two_blobs();
  if (spectral_fit(&s, x, 1.0) == 0)
    spectral_free_first_twice(&s);
  ts_free(x);
}

// BUG: use-after-free: the points are freed once the affinity exists, then
// reused for the distances
void sc5_points_early(void) {
  ts_tensor *x = two_blobs();
  ts_tensor *A = normalised_affinity(x, 1.0);
  ts_free(x);
  double total;
  TS_SCOPE {
    total = ts_item(ts_sum(sq_dists(x))); // <- BUG
  }
  printf("total %.3f\n", total);
  ts_free(A);
}

// BUG: use-after-free: an eigenvector is read through an alias after
// spectral_free
void sc5_vec_after_free(void) {
  struct spectral s;
  ts_tensor *x = two_blobs();
  spectral_fit(&s, x, 1.0);
  ts_tensor *v0 = s.vecs[0];
  spectral_free(&s);
  float buf[NPTS];
  ts_copy_to_buffer(v0, buf, sizeof buf); // <- BUG
  ts_free(x);
}

// BUG: double-free: the eigenvector taken out of the model is freed, and
// spectral_free frees it again
void sc5_take_vec(void) {
  struct spectral s;
  ts_tensor *x = two_blobs();
  spectral_fit(&s, x, 1.0);
  ts_tensor *v1 = s.vecs[1];
  printf("v1 %lld\n", (long long)ts_numel(v1));
  ts_free(v1);
  spectral_free(&s); // <- BUG
  ts_free(x);
}

// OK: the eigenvector is moved out (slot cleared) and freed by its new owner
void sc5_take_vec_ok(void) {
  struct spectral s;
  ts_tensor *x = two_blobs();
  if (spectral_fit(&s, x, 1.0) != 0) {
    ts_free(x);
    return;
  }
  ts_tensor *v1 = s.vecs[1];
  s.vecs[1] = NULL;
  spectral_free(&s);
  printf("v1 %lld\n", (long long)ts_numel(v1));
  ts_free(v1);
  ts_free(x);
}

// BUG: use-after-scope: the distances of a scoped block are read after the
// block
void sc5_dist_scope(void) {
  ts_tensor *x = two_blobs();
  ts_tensor *D;
  TS_SCOPE { D = sq_dists(x); }
  ts_tensor *m = ts_max(D); // <- BUG
  ts_free(m);
  ts_free(x);
}

// BUG: leak: the affinity for a second bandwidth replaces the first without a
// free
void sc5_bandwidths(void) {
  ts_tensor *x = two_blobs();
  ts_tensor *A = normalised_affinity(x, 0.5); // <- BUG
  printf("A0 numel %lld\n", (long long)ts_numel(A));
  A = normalised_affinity(x, 2.0);
  ts_free(A);
  ts_free(x);
}

// BUG: leak: the eigenvalue estimate's eigenvector is never freed
void sc5_top_eig(void) {
  ts_tensor *x = two_blobs();
  ts_tensor *A = normalised_affinity(x, 1.0);
  ts_tensor *v = power_iterate(A, NULL, 0, 10); // <- BUG
  printf("top eigenvalue %.3f\n", rayleigh(A, v));
  ts_free(A);
  ts_free(x);
}
