/*
 * heldout10_lidar.c - lidar point clouds: a cloud struct with points and
 * intensities loaded with goto cleanup, centring and nearest-point
 * distances through out-parameters, a voxel hash map that sums the points
 * falling into each voxel, ground filtering on pooled buffers, manual
 * ts_scope_begin/ts_scope_end regions, range searches in scoped loops,
 * merges that take both clouds.
 *
 * Labels (see README.md): `// OK: why` or `// BUG: check: why` on the line
 * before each function; the line of the bug itself ends in `// <- BUG`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { P = 16, VB = 5 };

typedef struct {
  ts_tensor *pts;       /* [n, 3] */
  ts_tensor *intensity; /* [n] */
  int n;
} cloud;

typedef struct voxel {
  int key;
  int count;
  ts_tensor *sum; /* [3] */
  struct voxel *next;
} voxel;

typedef struct {
  voxel *bucket[VB];
} voxel_grid;

// OK: points then intensities; the cleanup frees what exists
static int cloud_load(cloud *c, int n, int fail) {
  c->pts = c->intensity = NULL;
  c->n = n;
  c->pts = ts_randn(TS_SHAPE(n, 3), TS_FLOAT32);
  if (!c->pts)
    goto fail;
  c->intensity = ts_rand(TS_SHAPE(n), TS_FLOAT32);
  if (!c->intensity || fail)
    goto fail;
  return 0;
fail:
  if (c->intensity)
    ts_free(c->intensity);
  if (c->pts)
    ts_free(c->pts);
  c->pts = c->intensity = NULL;
  return -1;
}

// OK: frees both
static void cloud_free(cloud *c) {
  ts_free(c->pts);
  ts_free(c->intensity);
  c->pts = c->intensity = NULL;
}

// OK: the points minus their centroid; the caller owns the result
static ts_tensor *centred(const cloud *c) {
  ts_tensor *mu = ts_mean_dim(c->pts, TS_SHAPE(0), true, TS_NO_DTYPE);
  ts_tensor *out = ts_sub(c->pts, mu);
  ts_free(mu);
  return out;
}

// OK: for each point of a, the distance to the nearest point of b: *dists
// (the caller's) and the mean returned
static double nearest_dists(const cloud *a, const cloud *b, ts_tensor **dists) {
  ts_tensor *d = ts_cdist(a->pts, b->pts, 2.0, TS_NO_INT);
  ts_tensor *nearest = ts_amin(d, TS_SHAPE(1), false);
  ts_tensor *m = ts_mean(nearest);
  double v = ts_item(m);
  ts_free(m);
  ts_free(d);
  *dists = nearest;
  return v;
}

// OK: both directions' distances freed
void lid_align(void) {
  cloud a, b;
  if (cloud_load(&a, P, 0) != 0)
    return;
  if (cloud_load(&b, P / 2, 0) != 0) {
    cloud_free(&a);
    return;
  }
  ts_tensor *dab, *dba;
  double e1 = nearest_dists(&a, &b, &dab);
  double e2 = nearest_dists(&b, &a, &dba);
  printf("chamfer %.3f (%lld + %lld)\n", e1 + e2, (long long)ts_numel(dab),
         (long long)ts_numel(dba));
  ts_free(dba);
  ts_free(dab);
  cloud_free(&b);
  cloud_free(&a);
}

// BUG: leak: the second call overwrites the first call's distances
void lid_align_error(void) {
  cloud a, b;
  if (cloud_load(&a, P, 0) != 0)
    return;
  if (cloud_load(&b, P / 2, 0) != 0) {
    cloud_free(&a);
    return;
  }
  ts_tensor *d;
  double e1 = nearest_dists(&a, &b, &d);
  double e2 = nearest_dists(&b, &a, &d); // <- BUG
  printf("chamfer %.3f\n", e1 + e2);
  ts_free(d);
  cloud_free(&b);
  cloud_free(&a);
}

// OK: a failing load, and the centred cloud's spread
void lid_centre(void) {
  cloud c;
  if (cloud_load(&c, P, 1) != 0)
    printf("load failed\n");
  if (cloud_load(&c, P, 0) != 0)
    return;
  ts_tensor *x = centred(&c);
  ts_tensor *v = ts_var(x, true);
  printf("spread %.3f\n", ts_item(v));
  ts_free(v);
  ts_free(x);
  cloud_free(&c);
}

// OK: keeps the first k points: both new fields replace both old ones
static void cloud_truncate(cloud *c, int k) {
  ts_tensor *p = ts_narrow_copy(c->pts, 0, 0, k);
  ts_tensor *i = ts_narrow_copy(c->intensity, 0, 0, k);
  ts_free(c->pts);
  ts_free(c->intensity);
  c->pts = p;
  c->intensity = i;
  c->n = k;
}

// BUG: leak: the old intensities are replaced without being freed
static void cloud_truncate_fast(cloud *c, int k) {
  ts_tensor *p = ts_narrow_copy(c->pts, 0, 0, k);
  ts_free(c->pts);
  c->pts = p;
  c->intensity = ts_narrow_copy(c->intensity, 0, 0, k); // <- BUG
  c->n = k;
}

// OK: truncated twice
void lid_truncate(void) {
  cloud c;
  if (cloud_load(&c, P, 0) != 0)
    return;
  cloud_truncate(&c, P / 2);
  cloud_truncate(&c, P / 4);
  printf("%d points\n", c.n);
  cloud_free(&c);
}

// OK: truncated through the fast helper
void lid_truncate_fast(void) {
  cloud c;
  if (cloud_load(&c, P, 0) != 0)
    return;
  cloud_truncate_fast(&c, P / 4);
  printf("%d points\n", c.n);
  cloud_free(&c);
}

// OK: the grid takes p: added to an existing voxel's sum (then freed) or
// stored in a new voxel
static void voxel_add(voxel_grid *g, int key, ts_tensor *p) {
  voxel **b = &g->bucket[key % VB];
  for (voxel *v = *b; v; v = v->next)
    if (v->key == key) {
      ts_tensor *next = ts_add(v->sum, p);
      ts_free(v->sum);
      ts_free(p);
      v->sum = next;
      v->count++;
      return;
    }
  voxel *v = malloc(sizeof *v);
  v->key = key;
  v->count = 1;
  v->sum = p;
  v->next = *b;
  *b = v;
}

// BUG: leak: a point added to an existing voxel is summed and never freed
static void voxel_add_fast(voxel_grid *g, int key, ts_tensor *p) {
  voxel **b = &g->bucket[key % VB];
  for (voxel *v = *b; v; v = v->next)
    if (v->key == key) {
      ts_tensor *next = ts_add(v->sum, p);
      ts_free(v->sum);
      v->sum = next; // <- BUG
      v->count++;
      return;
    }
  voxel *v = malloc(sizeof *v);
  v->key = key;
  v->count = 1;
  v->sum = p;
  v->next = *b;
  *b = v;
}

// OK: borrowed sum of a voxel
static ts_tensor *voxel_sum(const voxel_grid *g, int key) {
  for (voxel *v = g->bucket[key % VB]; v; v = v->next)
    if (v->key == key)
      return v->sum;
  return NULL;
}

// OK: frees every voxel and its sum
static void voxel_free_all(voxel_grid *g) {
  for (int b = 0; b < VB; b++) {
    voxel *v = g->bucket[b];
    while (v) {
      voxel *next = v->next;
      ts_free(v->sum);
      free(v);
      v = next;
    }
    g->bucket[b] = NULL;
  }
}

// OK: a voxel key from the point's x and y
static int voxel_key(const float *xyz) {
  int x = (int)(xyz[0] > 0 ? xyz[0] : -xyz[0]);
  int y = (int)(xyz[1] > 0 ? xyz[1] : -xyz[1]);
  return x * 7 + y;
}

// OK: every point into the grid, the grid freed
void lid_voxels(void) {
  cloud c;
  voxel_grid g = {{NULL}};
  float xyz[P * 3];
  if (cloud_load(&c, P, 0) != 0)
    return;
  ts_copy_to_buffer(c.pts, xyz, sizeof xyz);
  for (int k = 0; k < P; k++)
    voxel_add(&g, voxel_key(&xyz[3 * k]), ts_select_int(c.pts, 0, k));
  voxel_add(&g, 0, ts_zeros(TS_SHAPE(3), TS_FLOAT32));
  voxel_add(&g, 0, ts_ones(TS_SHAPE(3), TS_FLOAT32));
  ts_tensor *s = voxel_sum(&g, 0);
  if (s) {
    ts_tensor *t = ts_sum(s);
    printf("voxel 0 sum %.3f\n", ts_item(t));
    ts_free(t);
  }
  voxel_free_all(&g);
  cloud_free(&c);
}

// OK: the same grid through the fast add
void lid_voxels_fast(void) {
  voxel_grid g = {{NULL}};
  for (int k = 0; k < 3; k++)
    voxel_add_fast(&g, 1, ts_ones(TS_SHAPE(3), TS_FLOAT32));
  voxel_free_all(&g);
}

// BUG: use-after-free: the voxel's sum is borrowed, then a new point into the
// same voxel frees it
void lid_voxel_peek(void) {
  voxel_grid g = {{NULL}};
  voxel_add(&g, 2, ts_ones(TS_SHAPE(3), TS_FLOAT32));
  ts_tensor *before = voxel_sum(&g, 2);
  voxel_add(&g, 2, ts_ones(TS_SHAPE(3), TS_FLOAT32));
  ts_tensor *d = ts_sub(voxel_sum(&g, 2), before); // <- BUG
  ts_free(d);
  voxel_free_all(&g);
}

// OK: a point buffer from the pool or a new one
static ts_tensor *get_buf(ts_pool *p) {
  ts_tensor *t = ts_pool_acquire(p, TS_SHAPE(P, 3), TS_FLOAT32);
  return t ? t : ts_zeros(TS_SHAPE(P, 3), TS_FLOAT32);
}

// OK: fills buf with the cloud's points and counts those below the ground
// height; with none, buf goes back to the pool here and -1 says so
static int filter_ground(ts_pool *pool, ts_tensor *buf, const cloud *c,
                         double height) {
  ts_copy_(buf, c->pts, false);
  ts_tensor *z = ts_select_int(buf, 1, 2);
  ts_tensor *below = ts_lt_Scalar(z, height);
  ts_tensor *cnt = ts_sum(below);
  double n = ts_item(cnt);
  ts_free(cnt);
  ts_free(below);
  ts_free(z);
  if (n == 0) {
    ts_pool_release(pool, buf);
    return -1;
  }
  return (int)n;
}

// OK: on -1 the buffer is gone; otherwise released here
void lid_ground(void) {
  cloud c;
  if (cloud_load(&c, P, 0) != 0)
    return;
  ts_pool *pool = ts_pool_new(2);
  for (int k = 0; k < 2; k++) {
    ts_tensor *buf = get_buf(pool);
    int n = filter_ground(pool, buf, &c, k == 0 ? -100.0 : 100.0);
    if (n < 0) {
      printf("no ground\n");
      continue;
    }
    printf("%d ground points\n", n);
    ts_pool_release(pool, buf);
  }
  ts_pool_destroy(pool);
  cloud_free(&c);
}

// BUG: use-after-free: with no ground points the buffer already went back to
// the pool, and the report still reads it
void lid_ground_report(void) {
  cloud c;
  if (cloud_load(&c, P, 0) != 0)
    return;
  ts_pool *pool = ts_pool_new(2);
  ts_tensor *buf = get_buf(pool);
  int n = filter_ground(pool, buf, &c, -100.0);
  ts_tensor *s = ts_sum(buf); // <- BUG
  printf("%d ground points, sum %.3f\n", n, ts_item(s));
  ts_free(s);
  if (n >= 0)
    ts_pool_release(pool, buf);
  ts_pool_destroy(pool);
  cloud_free(&c);
}

// OK: the extent escapes the manual scope before it ends
void lid_extent_ok(void) {
  cloud c;
  if (cloud_load(&c, P, 0) != 0)
    return;
  ts_scope_id sc = ts_scope_begin();
  ts_tensor *hi = ts_amax(c.pts, TS_SHAPE(0), false);
  ts_tensor *lo = ts_amin(c.pts, TS_SHAPE(0), false);
  ts_tensor *ext = ts_escape(ts_sub(hi, lo));
  ts_scope_end(sc);
  ts_tensor *vol = ts_prod(ext, TS_NO_DTYPE);
  printf("box volume %.3f\n", ts_item(vol));
  ts_free(vol);
  ts_free(ext);
  cloud_free(&c);
}

// BUG: use-after-scope: the extent belongs to the manual scope and is read
// after ts_scope_end
void lid_extent(void) {
  cloud c;
  if (cloud_load(&c, P, 0) != 0)
    return;
  ts_scope_id sc = ts_scope_begin();
  ts_tensor *hi = ts_amax(c.pts, TS_SHAPE(0), false);
  ts_tensor *lo = ts_amin(c.pts, TS_SHAPE(0), false);
  ts_tensor *ext = ts_sub(hi, lo);
  ts_scope_end(sc);
  ts_tensor *vol = ts_prod(ext, TS_NO_DTYPE); // <- BUG
  printf("box volume %.3f\n", ts_item(vol));
  ts_free(vol);
  cloud_free(&c);
}

// OK: the first point farther than r, escaped out of its iteration's scope
static ts_tensor *first_far_point(const cloud *c, double r) {
  TS_SCOPE for (int k = 0; k < c->n; k++) {
    ts_tensor *p = ts_select_int(c->pts, 0, k);
    ts_tensor *d = ts_sum(ts_mul(p, p));
    if (ts_item(d) > r * r)
      return ts_escape(p);
  }
  return NULL;
}

// BUG: unescaped-return: the point is returned from inside the loop's scope
// without ts_escape
static ts_tensor *first_far_point_quick(const cloud *c, double r) {
  TS_SCOPE for (int k = 0; k < c->n; k++) {
    ts_tensor *p = ts_select_int(c->pts, 0, k);
    ts_tensor *d = ts_sum(ts_mul(p, p));
    if (ts_item(d) > r * r)
      return p; // <- BUG
  }
  return NULL;
}

// OK: the far point, freed
void lid_far(void) {
  cloud c;
  if (cloud_load(&c, P, 0) != 0)
    return;
  ts_tensor *p = first_far_point(&c, 0.1);
  if (p) {
    ts_tensor *s = ts_sum(p);
    printf("far point %.3f\n", ts_item(s));
    ts_free(s);
    ts_free(p);
  }
  cloud_free(&c);
}

// OK: uses the quick search's point
void lid_far_quick(void) {
  cloud c;
  if (cloud_load(&c, P, 0) != 0)
    return;
  ts_tensor *p = first_far_point_quick(&c, 0.1);
  if (p) {
    ts_tensor *s = ts_sum(p);
    printf("far point %.3f\n", ts_item(s));
    ts_free(s);
    ts_free(p);
  }
  cloud_free(&c);
}

// OK: takes both clouds' tensors and returns the merged cloud
static cloud cloud_merge(cloud *a, cloud *b) {
  const ts_tensor *pts[2] = {a->pts, b->pts};
  const ts_tensor *its[2] = {a->intensity, b->intensity};
  cloud m = {ts_cat(pts, 2, 0), ts_cat(its, 2, 0), a->n + b->n};
  ts_free(a->pts);
  ts_free(a->intensity);
  ts_free(b->pts);
  ts_free(b->intensity);
  a->n = b->n = 0;
  return m;
}

// OK: merged, the two inputs not touched again
void lid_merge(void) {
  cloud a, b;
  if (cloud_load(&a, P, 0) != 0)
    return;
  if (cloud_load(&b, P, 0) != 0) {
    cloud_free(&a);
    return;
  }
  cloud m = cloud_merge(&a, &b);
  printf("merged %d\n", m.n);
  cloud_free(&m);
}

// BUG: double-free: the merge already took the first cloud's tensors
void lid_merge_cleanup(void) {
  cloud a, b;
  if (cloud_load(&a, P, 0) != 0)
    return;
  if (cloud_load(&b, P, 0) != 0) {
    cloud_free(&a);
    return;
  }
  cloud m = cloud_merge(&a, &b);
  printf("merged %d\n", m.n);
  cloud_free(&m);
  cloud_free(&a); // <- BUG
}

// OK: every other point, escaped out of ts_run's scope
static void *downsample_job(void *ctx) {
  const cloud *c = ctx;
  ts_tensor *idx = ts_arange(0, c->n, 2, TS_INT64);
  return ts_escape(ts_index_select(c->pts, 0, idx));
}

// OK: the downsampled points, freed
void lid_downsample(void) {
  cloud c;
  if (cloud_load(&c, P, 0) != 0)
    return;
  ts_tensor *d = ts_run(downsample_job, &c);
  printf("downsampled %lld\n", (long long)ts_size(d, 0));
  ts_free(d);
  cloud_free(&c);
}

// OK: the covariance of the centred points under a guard, escaped
static ts_tensor *cloud_cov(const cloud *c) {
  TS_SCOPE_GUARD();
  ts_tensor *x = centred(c);
  ts_tensor *g = ts_matmul(ts_transpose(x, 0, 1), x);
  return ts_escape(ts_mul_scalar(g, 1.0 / c->n));
}

// OK: the covariance's trace, freed
void lid_cov(void) {
  cloud c;
  if (cloud_load(&c, P, 0) != 0)
    return;
  ts_tensor *cv = cloud_cov(&c);
  ts_tensor *s = ts_sum(cv);
  printf("cov sum %.3f\n", ts_item(s));
  ts_free(s);
  ts_free(cv);
  cloud_free(&c);
}
