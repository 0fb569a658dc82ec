/* heldout4_dbscan.c - density and centroid clustering of toy blobs: DBSCAN
 * over a distance matrix with neighbour lists copied into malloc'd arrays,
 * k-means++ seeding by D^2 sampling, Lloyd iterations with centroids
 * replaced through an out-parameter, inertia and an elbow search, cluster
 * sizes and a clustering struct owning a label array and its centroids.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { NPTS = 30, UNSEEN = -2, NOISE = -1 };

struct clustering {
  int *labels;          /* malloc'd, n entries */
  ts_tensor *centroids; /* [k, d], owned */
  int n, k;
};

// OK: three Gaussian blobs; the centres and indices live in the function's
// scope, the points are escaped
TS_SCOPED static ts_tensor *make_blobs(int64_t n) {
  const float c[6] = {0.f, 0.f, 5.f, 5.f, -5.f, 5.f};
  ts_tensor *centres = ts_from_buffer(c, TS_SHAPE(3, 2), TS_FLOAT32);
  ts_tensor *which = ts_randint(3, TS_SHAPE(n), TS_INT64, NULL);
  ts_tensor *base = ts_index_select(centres, 0, which);
  ts_tensor *noise = ts_mul_scalar(ts_randn(TS_SHAPE(n, 2), TS_FLOAT32), 0.4);
  return ts_escape(ts_add(base, noise));
}

// OK: the indices of the points within eps of point i, for the caller
static ts_tensor *region_query(const ts_tensor *dist, int64_t i, double eps) {
  ts_tensor *row = ts_select_int(dist, 0, i);
  ts_tensor *mask = ts_le_Scalar(row, eps);
  ts_free(row);
  ts_tensor *nz = ts_nonzero(mask);
  ts_free(mask);
  ts_tensor *flat = ts_reshape(nz, TS_SHAPE(-1));
  ts_free(nz);
  return flat;
}

// OK: the neighbour indices copied into a malloc'd array; the tensor is
// freed on both paths
static int64_t *neighbours(const ts_tensor *dist, int64_t i, double eps,
                           int64_t *count) {
  ts_tensor *idx = region_query(dist, i, eps);
  if (!idx)
    return NULL;
  *count = ts_numel(idx);
  int64_t *buf = malloc(sizeof(int64_t) * (size_t)(*count + 1));
  if (!buf) {
    ts_free(idx);
    return NULL;
  }
  ts_copy_to_buffer(idx, buf, ts_nbytes(idx));
  ts_free(idx);
  return buf;
}

// OK: DBSCAN by breadth-first expansion; the distance matrix is freed on
// every way out, neighbour arrays after each use
static int dbscan(const ts_tensor *x, double eps, int minpts, int *labels) {
  int64_t n = ts_size(x, 0);
  int nclusters = 0;
  ts_tensor *dist = ts_cdist(x, x, 2.0, 0);
  if (!dist)
    return -1;
  int64_t *queue = malloc(sizeof(int64_t) * (size_t)n);
  if (!queue) {
    ts_free(dist);
    return -1;
  }
  for (int64_t i = 0; i < n; i++)
    labels[i] = UNSEEN;
  for (int64_t i = 0; i < n; i++) {
    if (labels[i] != UNSEEN)
      continue;
    int64_t cnt = 0, head = 0, tail = 0;
    int64_t *nb = neighbours(dist, i, eps, &cnt);
    if (!nb)
      break;
    if (cnt < minpts) {
      labels[i] = NOISE;
      free(nb);
      continue;
    }
    int c = nclusters++;
    labels[i] = c;
    for (int64_t k = 0; k < cnt; k++) {
      if (labels[nb[k]] == UNSEEN)
        queue[tail++] = nb[k];
      if (labels[nb[k]] < 0)
        labels[nb[k]] = c;
    }
    free(nb);
    while (head < tail) {
      int64_t j = queue[head++], cj = 0;
      int64_t *nj = neighbours(dist, j, eps, &cj);
      if (!nj)
        break;
      for (int64_t k = 0; cj >= minpts && k < cj; k++) {
        if (labels[nj[k]] == UNSEEN)
          queue[tail++] = nj[k];
        if (labels[nj[k]] < 0)
          labels[nj[k]] = c;
      }
      free(nj);
    }
  }
  free(queue);
  ts_free(dist);
  return nclusters;
}

// OK: clusters the blobs and counts the noise points
void dbs_cluster_blobs(void) {
  int labels[NPTS];
  ts_manual_seed(3);
  ts_tensor *x = make_blobs(NPTS);
  int k = dbscan(x, 1.2, 3, labels);
  int noise = 0;
  for (int i = 0; i < NPTS; i++)
    noise += labels[i] == NOISE;
  printf("dbscan: %d clusters, %d noise\n", k, noise);
  ts_free(x);
}

// BUG: leak: a point with too few neighbours is marked as noise and its
// neighbour tensor is dropped without a free
void dbs_noise_count(void) {
  ts_tensor *x = make_blobs(NPTS);
  ts_tensor *dist = ts_cdist(x, x, 2.0, 0);
  int noise = 0;
  for (int64_t i = 0; i < NPTS; i++) {
    ts_tensor *idx = region_query(dist, i, 0.3); // <- BUG
    if (ts_numel(idx) < 3) {
      noise++;
      continue;
    }
    ts_free(idx);
  }
  printf("%d points below density\n", noise);
  ts_free(dist);
  ts_free(x);
}

// OK: k-means++ seeding: D^2 sampling, the centroid set grown by cat with
// the previous set freed each time
static ts_tensor *kmeanspp(const ts_tensor *x, int k) {
  int64_t n = ts_size(x, 0);
  ts_tensor *first = ts_randint(n, TS_SHAPE(1), TS_INT64, NULL);
  ts_tensor *cent = ts_index_select(x, 0, first);
  ts_free(first);
  for (int c = 1; c < k; c++) {
    ts_tensor *d = ts_cdist(x, cent, 2.0, 0);
    ts_tensor *mins[2];
    ts_min_dim(mins, d, 1, false);
    ts_free(d);
    ts_free(mins[1]);
    ts_tensor *w = ts_mul(mins[0], mins[0]);
    ts_free(mins[0]);
    ts_tensor *pick = ts_multinomial(w, 1, false);
    ts_free(w);
    ts_tensor *row = ts_index_select(x, 0, pick);
    ts_free(pick);
    const ts_tensor *parts[2] = {cent, row};
    ts_tensor *grown = ts_cat(parts, 2, 0);
    ts_free(row);
    ts_free(cent);
    cent = grown;
  }
  return cent;
}

// BUG: double-free: the last iteration frees the D^2 weights and the code
// after the loop frees them again
void dbs_seed_weights(void) {
  ts_tensor *x = make_blobs(NPTS);
  ts_tensor *cent = kmeanspp(x, 2);
  ts_tensor *w = NULL;
  for (int r = 0; r < 2; r++) {
    ts_tensor *d = ts_cdist(x, cent, 2.0, 0);
    w = ts_mul(d, d);
    ts_free(d);
    ts_tensor *tot = ts_sum(w);
    printf("round %d: total weight %.2f\n", r, ts_item(tot));
    ts_free(tot);
    ts_free(w);
  }
  ts_free(w); // <- BUG
  ts_free(cent);
  ts_free(x);
}

// OK: the nearest centroid of each point, for the caller
static ts_tensor *assign(const ts_tensor *x, const ts_tensor *cent) {
  ts_tensor *d = ts_cdist(x, cent, 2.0, 0);
  ts_tensor *lab = ts_argmin(d, 1, false);
  ts_free(d);
  return lab;
}

// OK: new centroids as the means of their points; *cent is replaced and
// the old tensor freed (an empty cluster counts as one point at 0)
static void update_centroids(const ts_tensor *x, const ts_tensor *lab, int k,
                             ts_tensor **cent) {
  TS_SCOPE_GUARD();
  ts_tensor *oh = ts_to_dtype(ts_one_hot(lab, k), TS_FLOAT32, false, false);
  ts_tensor *sums = ts_mm(ts_t(oh), x);
  ts_tensor *cnt = ts_clamp_min(
      ts_sum_dim_IntList(oh, TS_SHAPE(0), false, TS_NO_DTYPE), 1.0);
  ts_tensor *fresh = ts_div(sums, ts_unsqueeze(cnt, 1));
  ts_free(*cent);
  *cent = ts_keep(fresh);
}

// OK: Lloyd iterations with the assignments freed each round
void dbs_kmeans(void) {
  ts_tensor *x = make_blobs(NPTS);
  ts_tensor *cent = kmeanspp(x, 3);
  for (int it = 0; it < 5; it++) {
    ts_tensor *lab = assign(x, cent);
    update_centroids(x, lab, 3, &cent);
    ts_free(lab);
  }
  printf("centroids %lld x %lld\n", (long long)ts_size(cent, 0),
         (long long)ts_size(cent, 1));
  ts_free(cent);
  ts_free(x);
}

// BUG: use-after-free: old still names the centroids update_centroids
// freed when it replaced them
void dbs_kmeans_shift(void) {
  ts_tensor *x = make_blobs(NPTS);
  ts_tensor *cent = kmeanspp(x, 3);
  ts_tensor *lab = assign(x, cent);
  ts_tensor *old = cent;
  update_centroids(x, lab, 3, &cent);
  ts_tensor *shift = ts_sub(cent, old); // <- BUG
  printf("shift computed\n");
  ts_free(shift);
  ts_free(lab);
  ts_free(cent);
  ts_free(x);
}

// OK: the same convergence test on a clone taken before the update
void dbs_kmeans_converge(void) {
  ts_tensor *x = make_blobs(NPTS);
  ts_tensor *cent = kmeanspp(x, 3);
  for (int it = 0; it < 10; it++) {
    ts_tensor *lab = assign(x, cent);
    ts_tensor *old = ts_clone(cent);
    update_centroids(x, lab, 3, &cent);
    ts_free(lab);
    ts_tensor *diff = ts_sub(cent, old);
    ts_tensor *shift = ts_norm_Scalar(diff, 2.0);
    double s = ts_item(shift);
    ts_free(shift);
    ts_free(diff);
    ts_free(old);
    if (s < 1e-4)
      break;
  }
  ts_free(cent);
  ts_free(x);
}

// OK: the summed squared distance to the assigned centroids, temporaries
// in the function's scope
TS_SCOPED static double inertia(const ts_tensor *x, const ts_tensor *cent) {
  ts_tensor *d = ts_cdist(x, cent, 2.0, 0);
  ts_tensor *m[2];
  if (ts_min_dim(m, d, 1, false) != TS_OK)
    return NAN;
  return ts_item(ts_sum(ts_mul(m[0], m[0])));
}

// BUG: unescaped-return: the distances are a result of ts_min_dim made in
// the function's scope and returned without ts_escape
TS_SCOPED static ts_tensor *nearest_distance(const ts_tensor *x,
                                             const ts_tensor *cent) {
  ts_tensor *d = ts_cdist(x, cent, 2.0, 0);
  ts_tensor *m[2];
  ts_min_dim(m, d, 1, false);
  return m[0]; // <- BUG
}

// OK: the caller uses and frees what nearest_distance gives it
void dbs_outlier_scores(void) {
  ts_tensor *x = make_blobs(NPTS);
  ts_tensor *cent = kmeanspp(x, 3);
  ts_tensor *nd = nearest_distance(x, cent);
  ts_tensor *mx = ts_max(nd);
  printf("largest distance %.3f, inertia %.3f\n", ts_item(mx),
         inertia(x, cent));
  ts_free(mx);
  ts_free(nd);
  ts_free(cent);
  ts_free(x);
}

// BUG: use-after-scope: the cluster sizes are counted inside a scope and
// printed after it
void dbs_cluster_sizes(void) {
  ts_tensor *x = make_blobs(NPTS);
  ts_tensor *cent = kmeanspp(x, 3);
  ts_tensor *sizes = NULL;
  TS_SCOPE {
    ts_tensor *lab = assign(x, cent);
    sizes = ts_bincount(lab, NULL, 3);
  }
  int64_t buf[3] = {0};
  ts_copy_to_buffer(sizes, buf, sizeof buf); // <- BUG
  printf("sizes %lld %lld %lld\n", (long long)buf[0], (long long)buf[1],
         (long long)buf[2]);
  ts_free(cent);
  ts_free(x);
}

// OK: the sizes again, kept out of the scope with ts_keep
void dbs_cluster_sizes_kept(void) {
  ts_tensor *x = make_blobs(NPTS);
  ts_tensor *cent = kmeanspp(x, 3);
  ts_tensor *sizes = NULL;
  TS_SCOPE {
    ts_tensor *lab = assign(x, cent);
    sizes = ts_keep(ts_bincount(lab, NULL, 3));
  }
  int64_t buf[3] = {0};
  ts_copy_to_buffer(sizes, buf, sizeof buf);
  printf("sizes %lld %lld %lld\n", (long long)buf[0], (long long)buf[1],
         (long long)buf[2]);
  ts_free(sizes);
  ts_free(cent);
  ts_free(x);
}

// OK: fills a clustering: labels from DBSCAN into a malloc'd array and
// centroids from k-means; on failure everything made is freed
static int clustering_init(struct clustering *cl, const ts_tensor *x, int k) {
  cl->n = (int)ts_size(x, 0);
  cl->k = k;
  cl->labels = malloc(sizeof(int) * (size_t)cl->n);
  if (!cl->labels)
    return -1;
  cl->centroids = kmeanspp(x, k);
  if (!cl->centroids) {
    free(cl->labels);
    cl->labels = NULL;
    return -1;
  }
  if (dbscan(x, 1.2, 3, cl->labels) < 0) {
    ts_free(cl->centroids);
    free(cl->labels);
    cl->centroids = NULL;
    cl->labels = NULL;
    return -1;
  }
  return 0;
}

// OK: frees both members
static void clustering_free(struct clustering *cl) {
  ts_free(cl->centroids);
  free(cl->labels);
}

// OK: a clustering made, reported and freed once, with a goto on failure
void dbs_clustering_report(void) {
  struct clustering cl;
  ts_tensor *x = make_blobs(NPTS);
  if (clustering_init(&cl, x, 3) != 0)
    goto out;
  int noise = 0;
  for (int i = 0; i < cl.n; i++)
    noise += cl.labels[i] == NOISE;
  printf("%d of %d points are noise\n", noise, cl.n);
  clustering_free(&cl);
out:
  ts_free(x);
}

// BUG: double-free: a clustering with too much noise is freed in the
// branch and then again at the end
void dbs_clustering_retry(void) {
  struct clustering cl;
  ts_tensor *x = make_blobs(NPTS);
  if (clustering_init(&cl, x, 3) != 0) {
    ts_free(x);
    return;
  }
  int noise = 0;
  for (int i = 0; i < cl.n; i++)
    noise += cl.labels[i] == NOISE;
  printf("%d noise points\n", noise);
  if (cl.k >= 3)
    clustering_free(&cl);
  clustering_free(&cl); // <- BUG
  ts_free(x);
}

// BUG: leak: only the values of ts_min_dim are freed, the indices are
// left over
void dbs_margin(void) {
  ts_tensor *x = make_blobs(NPTS);
  ts_tensor *cent = kmeanspp(x, 3);
  ts_tensor *d = ts_cdist(x, cent, 2.0, 0);
  ts_tensor *m[2];
  if (ts_min_dim(m, d, 1, false) == TS_OK) { // <- BUG
    ts_tensor *mean = ts_mean(m[0]);
    printf("mean margin %.3f\n", ts_item(mean));
    ts_free(mean);
    ts_free(m[0]);
  }
  ts_free(d);
  ts_free(cent);
  ts_free(x);
}

// OK: both results of ts_sort are handled: the sorted distances freed, the
// order used and freed
void dbs_sorted_distances(void) {
  ts_tensor *x = make_blobs(NPTS);
  ts_tensor *origin = ts_zeros(TS_SHAPE(1, 2), TS_FLOAT32);
  ts_tensor *col = ts_cdist(x, origin, 2.0, 0);
  ts_tensor *d = ts_reshape(col, TS_SHAPE(-1));
  ts_free(col);
  ts_tensor *r[2];
  if (ts_sort(r, d, 0, true) == TS_OK) {
    ts_free(r[0]);
    ts_tensor *far = ts_select_int(r[1], 0, 0);
    printf("farthest point %lld\n", (long long)ts_item(far));
    ts_free(far);
    ts_free(r[1]);
  }
  ts_free(d);
  ts_free(origin);
  ts_free(x);
}

// BUG: leak: a k over the size budget is skipped with its centroids still
// allocated
void dbs_elbow_leaky(void) {
  ts_tensor *x = make_blobs(NPTS);
  ts_tensor *best = NULL;
  double best_in = INFINITY;
  int max_k = 3;
  for (int k = 1; k <= 4; k++) {
    ts_tensor *cent = kmeanspp(x, k); // <- BUG
    if (k > max_k)
      continue;
    double in = inertia(x, cent) + 10.0 * k;
    if (in >= best_in) {
      ts_free(cent);
      continue;
    }
    if (best)
      ts_free(best);
    best = cent;
    best_in = in;
  }
  printf("best k has %lld centroids\n", (long long)ts_size(best, 0));
  ts_free(best);
  ts_free(x);
}

// OK: the elbow search freeing every candidate it does not keep
void dbs_elbow(void) {
  ts_tensor *x = make_blobs(NPTS);
  ts_tensor *best = NULL;
  double best_in = INFINITY;
  for (int k = 1; k <= 4; k++) {
    ts_tensor *cent = kmeanspp(x, k);
    double in = inertia(x, cent) + 10.0 * k;
    if (in >= best_in) {
      ts_free(cent);
      continue;
    }
    if (best)
      ts_free(best);
    best = cent;
    best_in = in;
  }
  printf("best k: %lld\n", (long long)ts_size(best, 0));
  ts_free(best);
  ts_free(x);
}

// OK: merges the two closest centroids through views: the views and the
// concatenation are freed, the merged set replaces the old one
void dbs_merge_closest(void) {
  ts_tensor *x = make_blobs(NPTS);
  ts_tensor *cent = kmeanspp(x, 3);
  ts_tensor *a = ts_narrow(cent, 0, 0, 1);
  ts_tensor *b = ts_narrow(cent, 0, 1, 1);
  ts_tensor *rest = ts_narrow(cent, 0, 2, 1);
  ts_tensor *sum = ts_add(a, b);
  ts_tensor *mid = ts_mul_scalar(sum, 0.5);
  ts_free(sum);
  const ts_tensor *parts[2] = {mid, rest};
  ts_tensor *merged = ts_cat(parts, 2, 0);
  ts_free(mid);
  ts_free(a);
  ts_free(b);
  ts_free(rest);
  ts_free(cent);
  cent = merged;
  printf("merged to %lld centroids\n", (long long)ts_size(cent, 0));
  ts_free(cent);
  ts_free(x);
}

// BUG: use-after-free: the neighbour tensor is freed and its size read
// afterwards for the report
void dbs_density_profile(void) {
  ts_tensor *x = make_blobs(NPTS);
  ts_tensor *dist = ts_cdist(x, x, 2.0, 0);
  int64_t total = 0;
  for (int64_t i = 0; i < 4; i++) {
    ts_tensor *idx = region_query(dist, i, 1.0);
    ts_free(idx);
    total += ts_numel(idx); // <- BUG
  }
  printf("mean density %.2f\n", total / 4.0);
  ts_free(dist);
  ts_free(x);
}

// BUG: leak: the mask of close pairs is made and never freed; only the
// count leaves the helper
static int64_t close_pairs(const ts_tensor *dist, double eps) {
  ts_tensor *mask = ts_lt_Scalar(dist, eps); // <- BUG
  ts_tensor *cnt = ts_count_nonzero(mask, TS_NO_INT);
  int64_t c = (int64_t)ts_item(cnt);
  ts_free(cnt);
  return c;
}

// OK: a correct caller of close_pairs
void dbs_close_pairs(void) {
  ts_tensor *x = make_blobs(NPTS);
  ts_tensor *dist = ts_cdist(x, x, 2.0, 0);
  printf("%lld close pairs\n", (long long)close_pairs(dist, 0.5));
  ts_free(dist);
  ts_free(x);
}
