/* heldout9_raymarch.c - a tiled sphere-tracing renderer: the image is split
 * into tiles taken from a work queue; each tile marches a [T*T, 3] batch of
 * rays against a signed distance function picked from a table, shades the
 * hits and writes the tile into the framebuffer. Tile buffers come from a
 * pool; per-tile temporaries live in TS_SCOPE loops. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>

#define RM_W 8
#define RM_H 8
#define RM_T 4
#define RM_TILES ((RM_W / RM_T) * (RM_H / RM_T))
#define RM_STEPS 6

typedef ts_tensor *(*rm_sdf)(const ts_tensor *p);

typedef struct {
  int x0, y0;
  int done;
  ts_tensor *rgb; /* [RM_T*RM_T, 1] shade, from the pool */
} rm_tile;

typedef struct {
  rm_tile tiles[RM_TILES];
  int head, n;
  ts_pool *pool;
  rm_sdf sdf;
  float fb[RM_H * RM_W];
} rm_frame;

// OK: distance to a unit sphere at the origin, in the caller's scope
TS_CALLER_SCOPE static ts_tensor *rm_sphere(const ts_tensor *p) {
  ts_tensor *ones = ts_ones(TS_SHAPE(3, 1), TS_FLOAT32);
  ts_tensor *r2 = ts_matmul(ts_mul(p, p), ones);
  return ts_add_scalar(ts_exp(ts_mul_scalar(ts_log(r2), 0.5)), -1.0);
}

// OK: distance to the plane y = -1, in the caller's scope
TS_CALLER_SCOPE static ts_tensor *rm_plane(const ts_tensor *p) {
  const float sel[3] = {0, 1, 0};
  ts_tensor *n = ts_from_buffer(sel, TS_SHAPE(3, 1), TS_FLOAT32);
  return ts_add_scalar(ts_matmul(p, n), 1.0);
}

// OK: the primary rays of a tile: origins and unit directions, both the caller's
static int rm_rays(int x0, int y0, ts_tensor **orig, ts_tensor **dir) {
  float d[RM_T * RM_T * 3];
  for (int j = 0; j < RM_T; j++)
    for (int i = 0; i < RM_T; i++) {
      float *v = d + 3 * (j * RM_T + i);
      v[0] = ((x0 + i) - RM_W / 2) * 0.1f;
      v[1] = ((y0 + j) - RM_H / 2) * 0.1f;
      v[2] = 1.0f;
      float n = v[0] * v[0] + v[1] * v[1] + 1.0f;
      for (int k = 0; k < 3; k++)
        v[k] /= n > 1.0f ? n : 1.0f;
    }
  *dir = ts_from_buffer(d, TS_SHAPE(RM_T * RM_T, 3), TS_FLOAT32);
  *orig = ts_full(TS_SHAPE(RM_T * RM_T, 3), TS_FLOAT32, 0.0);
  if (!*dir || !*orig) {
    if (*dir)
      ts_free(*dir);
    if (*orig)
      ts_free(*orig);
    *dir = *orig = NULL;
    return -1;
  }
  return 0;
}

// OK: marches the rays; the distance travelled per ray is escaped to the caller
TS_SCOPED static ts_tensor *rm_march(rm_sdf sdf, const ts_tensor *o, const ts_tensor *d) {
  ts_tensor *t = ts_full(TS_SHAPE(RM_T * RM_T, 1), TS_FLOAT32, 3.0);
  int k = 0;
  do {
    ts_tensor *p = ts_add(o, ts_mul(d, t));
    t = ts_add(t, ts_relu(sdf(p)));
  } while (++k < RM_STEPS);
  return ts_escape(t);
}

// OK: a tile buffer: pooled when possible
static ts_tensor *rm_tile_buf(ts_pool *pool) {
  ts_tensor *b = ts_pool_acquire(pool, TS_SHAPE(RM_T * RM_T, 1), TS_FLOAT32);
  return b ? b : ts_empty(TS_SHAPE(RM_T * RM_T, 1), TS_FLOAT32);
}

// OK: sets up the frame and its tile queue
static int rm_frame_init(rm_frame *f, rm_sdf sdf) {
  memset(f, 0, sizeof *f);
  f->pool = ts_pool_new(RM_TILES);
  if (!f->pool)
    return -1;
  f->sdf = sdf;
  for (int ty = 0; ty < RM_H / RM_T; ty++)
    for (int tx = 0; tx < RM_W / RM_T; tx++) {
      rm_tile *t = &f->tiles[f->n++];
      t->x0 = tx * RM_T;
      t->y0 = ty * RM_T;
    }
  return 0;
}

// OK: returns every tile buffer to the pool and destroys it
static void rm_frame_free(rm_frame *f) {
  for (int i = 0; i < f->n; i++)
    if (f->tiles[i].rgb) {
      ts_pool_release(f->pool, f->tiles[i].rgb);
      f->tiles[i].rgb = NULL;
    }
  ts_pool_destroy(f->pool);
  f->pool = NULL;
}

// OK: renders one tile into its pooled buffer (old buffer back to the pool)
static int rm_render_tile(rm_frame *f, rm_tile *t) {
  ts_tensor *o, *d;
  if (rm_rays(t->x0, t->y0, &o, &d) != 0)
    return -1;
  ts_tensor *dist = rm_march(f->sdf, o, d);
  ts_tensor *buf = rm_tile_buf(f->pool);
  TS_SCOPE {
    ts_tensor *shade = ts_exp(ts_mul_scalar(dist, -0.2));
    float s[RM_T * RM_T];
    ts_copy_to_buffer(shade, s, sizeof s);
    ts_tensor *tmp = ts_from_buffer(s, TS_SHAPE(RM_T * RM_T, 1), TS_FLOAT32);
    ts_copy_to_buffer(tmp, s, sizeof s);
    for (int j = 0; j < RM_T; j++)
      memcpy(f->fb + (t->y0 + j) * RM_W + t->x0, s + j * RM_T, sizeof(float) * RM_T);
  }
  if (t->rgb)
    ts_pool_release(f->pool, t->rgb);
  t->rgb = buf;
  t->done = 1;
  ts_free(dist);
  ts_free(o);
  ts_free(d);
  return 0;
}

// OK: the next undone tile from the queue, NULL when all are done
static rm_tile *rm_next(rm_frame *f) {
  while (f->head < f->n) {
    rm_tile *t = &f->tiles[f->head++];
    if (!t->done)
      return t;
  }
  return NULL;
}

// OK: entry: renders both scenes, prints the centre pixel
void rm_entry_render(void) {
  rm_sdf scenes[2] = {rm_sphere, rm_plane};
  for (int s = 0; s < 2; s++) {
    rm_frame f;
    if (rm_frame_init(&f, scenes[s]) != 0)
      continue;
    rm_tile *t;
    while ((t = rm_next(&f)))
      if (rm_render_tile(&f, t) != 0)
        break;
    printf("scene %d centre %.3f\n", s, f.fb[(RM_H / 2) * RM_W + RM_W / 2]);
    rm_frame_free(&f);
  }
}

// BUG: leak: when the march fails the rays of the tile are not freed
static int rm_render_tile_quick(rm_frame *f, rm_tile *t) {
  ts_tensor *o, *d;
  if (rm_rays(t->x0, t->y0, &o, &d) != 0)
    return -1;
  ts_tensor *dist = f->sdf ? rm_march(f->sdf, o, d) : NULL;
  if (!dist)
    return -1; // <- BUG
  float s[RM_T * RM_T];
  ts_copy_to_buffer(dist, s, sizeof s);
  ts_free(dist);
  ts_free(o);
  ts_free(d);
  t->done = s[0] > 0;
  return 0;
}

// OK: entry: a frame without an SDF through rm_render_tile_quick
void rm_entry_quick_nosdf(void) {
  rm_frame f;
  if (rm_frame_init(&f, NULL) != 0)
    return;
  rm_render_tile_quick(&f, &f.tiles[0]);
  rm_frame_free(&f);
}

// BUG: use-after-free: the tile's previous buffer is read after rm_render_tile handed it back to the pool
static double rm_rerender_diff(rm_frame *f, rm_tile *t) {
  ts_tensor *prev = t->rgb;
  rm_render_tile(f, t);
  ts_tensor *d = ts_sub(t->rgb, prev); // <- BUG
  ts_tensor *s = ts_sum(d);
  double v = ts_item(s);
  ts_free(s);
  ts_free(d);
  return v;
}

// OK: entry: a tile rendered twice through rm_rerender_diff
void rm_entry_rerender(void) {
  rm_frame f;
  if (rm_frame_init(&f, rm_sphere) != 0)
    return;
  rm_render_tile(&f, &f.tiles[0]);
  printf("%.3f\n", rm_rerender_diff(&f, &f.tiles[0]));
  rm_frame_free(&f);
}

// BUG: double-free: a tile reset releases its buffer to the pool but keeps the handle, and rm_frame_free releases it again
static void rm_tile_reset(rm_frame *f, rm_tile *t) {
  if (t->rgb)
    ts_pool_release(f->pool, t->rgb); // <- BUG
  t->done = 0;
}

// OK: entry: renders, resets a tile, frees the frame
void rm_entry_reset(void) {
  rm_frame f;
  if (rm_frame_init(&f, rm_plane) != 0)
    return;
  rm_render_tile(&f, &f.tiles[1]);
  rm_tile_reset(&f, &f.tiles[1]);
  rm_frame_free(&f);
}

// OK: tile reset that clears the handle
static void rm_tile_reset_ok(rm_frame *f, rm_tile *t) {
  if (t->rgb) {
    ts_pool_release(f->pool, t->rgb);
    t->rgb = NULL;
  }
  t->done = 0;
}

// OK: entry: a progressive render that resets and re-renders each tile
void rm_entry_progressive(void) {
  rm_frame f;
  if (rm_frame_init(&f, rm_sphere) != 0)
    return;
  for (int pass = 0; pass < 2; pass++) {
    f.head = 0;
    rm_tile *t;
    while ((t = rm_next(&f)))
      rm_render_tile(&f, t);
    if (pass == 0)
      for (int i = 0; i < f.n; i++)
        rm_tile_reset_ok(&f, &f.tiles[i]);
  }
  rm_frame_free(&f);
}

// BUG: unescaped-return: the march result is returned without ts_escape on the early-hit path
TS_SCOPED static ts_tensor *rm_march_early(rm_sdf sdf, const ts_tensor *o, const ts_tensor *d) {
  ts_tensor *t = ts_zeros(TS_SHAPE(RM_T * RM_T, 1), TS_FLOAT32);
  for (int k = 0; k < RM_STEPS; k++) {
    ts_tensor *p = ts_add(o, ts_mul(d, t));
    ts_tensor *dist = sdf(p);
    if (ts_item(ts_sum(ts_relu(dist))) < 1e-3)
      return t; // <- BUG
    t = ts_add(t, dist);
  }
  return ts_escape(t);
}

// OK: entry: rays starting inside the plane's half-space hit at once
void rm_entry_march_early(void) {
  ts_tensor *o = ts_full(TS_SHAPE(RM_T * RM_T, 3), TS_FLOAT32, -2.0);
  ts_tensor *d = ts_ones(TS_SHAPE(RM_T * RM_T, 3), TS_FLOAT32);
  ts_tensor *t = rm_march_early(rm_plane, o, d);
  float s[RM_T * RM_T];
  ts_copy_to_buffer(t, s, sizeof s);
  ts_free(t);
  ts_free(o);
  ts_free(d);
}

// BUG: use-after-scope: the per-tile depth from the last iteration's scope is read after the loop
static double rm_last_depth(rm_frame *f) {
  ts_tensor *depth = NULL;
  TS_SCOPE for (int i = 0; i < f->n; i++) {
    ts_tensor *o, *d;
    if (rm_rays(f->tiles[i].x0, f->tiles[i].y0, &o, &d) != 0)
      continue;
    depth = ts_mean(rm_march(f->sdf, o, d));
    ts_free(o);
    ts_free(d);
  }
  return depth ? ts_item(depth) : -1.0; // <- BUG
}

// OK: entry: drives rm_last_depth
void rm_entry_last_depth(void) {
  rm_frame f;
  if (rm_frame_init(&f, rm_sphere) != 0)
    return;
  printf("%.3f\n", rm_last_depth(&f));
  rm_frame_free(&f);
}

// OK: the mean depth of all tiles, each read inside its own iteration
static double rm_mean_depth(rm_frame *f) {
  double tot = 0;
  int n = 0;
  TS_SCOPE for (int i = 0; i < f->n; i++) {
    ts_tensor *o, *d;
    if (rm_rays(f->tiles[i].x0, f->tiles[i].y0, &o, &d) != 0)
      continue;
    tot += ts_item(ts_mean(rm_march(f->sdf, o, d)));
    n++;
  }
  return n ? tot / n : 0.0;
}

// OK: entry: mean depth of the plane scene
void rm_entry_mean_depth(void) {
  rm_frame f;
  if (rm_frame_init(&f, rm_plane) != 0)
    return;
  printf("%.3f\n", rm_mean_depth(&f));
  rm_frame_free(&f);
}

// BUG: leak: a supersampled tile accumulates into sum, but each jittered march result is dropped
static int rm_supersample(rm_frame *f, rm_tile *t, int spp) {
  ts_tensor *sum = ts_zeros(TS_SHAPE(RM_T * RM_T, 1), TS_FLOAT32);
  for (int s = 0; s < spp; s++) {
    ts_tensor *o, *d;
    if (rm_rays(t->x0, t->y0, &o, &d) != 0)
      break;
    ts_tensor *dist = rm_march(f->sdf, o, d); // <- BUG
    ts_tensor *nsum = ts_add(sum, dist);
    ts_free(sum);
    sum = nsum;
    ts_free(o);
    ts_free(d);
  }
  ts_tensor *avg = ts_mul_scalar(sum, 1.0 / spp);
  ts_free(sum);
  ts_tensor *buf = rm_tile_buf(f->pool);
  ts_free(avg);
  if (t->rgb)
    ts_pool_release(f->pool, t->rgb);
  t->rgb = buf;
  return 0;
}

// OK: entry: four samples for one tile
void rm_entry_supersample(void) {
  rm_frame f;
  if (rm_frame_init(&f, rm_sphere) != 0)
    return;
  rm_supersample(&f, &f.tiles[2], 4);
  rm_frame_free(&f);
}

// BUG: double-free: the rays are freed on the shading error path and again by the common exit
static int rm_shade_normals(rm_frame *f, rm_tile *t, int fail) {
  ts_tensor *o, *d;
  int rc = 0;
  if (rm_rays(t->x0, t->y0, &o, &d) != 0)
    return -1;
  ts_tensor *dist = rm_march(f->sdf, o, d);
  if (fail) {
    ts_free(o);
    ts_free(d);
    rc = -1;
    goto out;
  }
  t->done = 1;
out:
  ts_free(dist);
  ts_free(o); // <- BUG
  ts_free(d);
  return rc;
}

// OK: entry: the shading error path
void rm_entry_shade_fail(void) {
  rm_frame f;
  if (rm_frame_init(&f, rm_sphere) != 0)
    return;
  rm_shade_normals(&f, &f.tiles[0], 1);
  rm_frame_free(&f);
}

// BUG: use-after-free: a tile's buffer given to the pool is then written into the framebuffer
static void rm_flush_tile(rm_frame *f, rm_tile *t) {
  if (!t->rgb)
    return;
  ts_tensor *b = t->rgb;
  ts_pool_release(f->pool, b);
  t->rgb = NULL;
  float s[RM_T * RM_T];
  ts_copy_to_buffer(b, s, sizeof s); // <- BUG
  for (int j = 0; j < RM_T; j++)
    memcpy(f->fb + (t->y0 + j) * RM_W + t->x0, s + j * RM_T, sizeof(float) * RM_T);
}

// OK: entry: renders a tile, then flushes it
void rm_entry_flush(void) {
  rm_frame f;
  if (rm_frame_init(&f, rm_plane) != 0)
    return;
  rm_render_tile(&f, &f.tiles[3]);
  rm_flush_tile(&f, &f.tiles[3]);
  rm_frame_free(&f);
}

// BUG: leak: the pooled buffer of a tile taken with a full budget is neither stored nor released
static int rm_claim_tile(rm_frame *f, rm_tile *t, int *budget) {
  ts_tensor *buf = rm_tile_buf(f->pool); // <- BUG
  if (*budget <= 0)
    return -1;
  (*budget)--;
  if (t->rgb)
    ts_pool_release(f->pool, t->rgb);
  t->rgb = buf;
  return 0;
}

// OK: entry: more claims than the budget allows
void rm_entry_claim(void) {
  rm_frame f;
  if (rm_frame_init(&f, rm_plane) != 0)
    return;
  int budget = 2;
  for (int i = 0; i < f.n; i++)
    if (rm_claim_tile(&f, &f.tiles[i], &budget) != 0)
      break;
  rm_frame_free(&f);
}
