/* heldout7_optflow.c - Lucas-Kanade optical flow between frames: image
 * gradients by central differences, a Gaussian-free box pyramid kept in an
 * array, a 2x2 least-squares solve per level, coarse-to-fine tracking,
 * a tracker state carried across frames, and pooled scratch buffers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define OF_S 16
#define OF_LEVELS 3

typedef struct {
  ts_tensor *lv[OF_LEVELS];
  int n;
} of_pyramid;

typedef struct {
  ts_tensor *prev; /* last frame */
  ts_tensor *flow; /* [2] last estimate */
  int frames;
} of_tracker;

// OK: a smooth blob centred at (cx, cy)
static ts_tensor *of_frame(double cx, double cy) {
  float px[OF_S * OF_S];
  for (int y = 0; y < OF_S; y++)
    for (int x = 0; x < OF_S; x++)
      px[y * OF_S + x] = (float)exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / 12.0);
  return ts_from_buffer(px, TS_SHAPE(OF_S, OF_S), TS_FLOAT32);
}

// OK: central differences into two out-parameters; the first freed if the second fails
static int of_gradients(const ts_tensor *img, ts_tensor **gx, ts_tensor **gy) {
  TS_SCOPE {
    ts_tensor *r = ts_roll(img, TS_SHAPE(-1), TS_SHAPE(1));
    ts_tensor *l = ts_roll(img, TS_SHAPE(1), TS_SHAPE(1));
    *gx = ts_keep(ts_mul_scalar(ts_sub(r, l), 0.5));
  }
  if (!*gx)
    return -1;
  TS_SCOPE {
    ts_tensor *d = ts_roll(img, TS_SHAPE(-1), TS_SHAPE(0));
    ts_tensor *u = ts_roll(img, TS_SHAPE(1), TS_SHAPE(0));
    *gy = ts_keep(ts_mul_scalar(ts_sub(d, u), 0.5));
  }
  if (!*gy) {
    ts_free(*gx);
    return -1;
  }
  return 0;
}

// BUG: leak: the rolled copies are made outside any scope and never freed
static ts_tensor *of_gradient_x(const ts_tensor *img) {
  ts_tensor *diff = ts_sub(ts_roll(img, TS_SHAPE(-1), TS_SHAPE(1)), ts_roll(img, TS_SHAPE(1), TS_SHAPE(1))); // <- BUG
  ts_tensor *gx = ts_mul_scalar(diff, 0.5);
  ts_free(diff);
  return gx;
}

// OK: 2x2 box average, via a 4-D view; both views freed
static ts_tensor *of_down(const ts_tensor *img) {
  int64_t h = ts_size(img, 0), w = ts_size(img, 1);
  ts_tensor *x4 = ts_reshape(img, TS_SHAPE(1, 1, h, w));
  if (!x4)
    return NULL;
  ts_tensor *p = ts_avg_pool2d(x4, TS_SHAPE(2, 2), TS_SHAPE(2, 2), TS_SHAPE(0, 0), false, true, TS_NO_INT);
  ts_free(x4);
  if (!p)
    return NULL;
  ts_tensor *out = ts_reshape(p, TS_SHAPE(h / 2, w / 2));
  ts_free(p);
  return out;
}

// BUG: leak: the pooled 4-D tensor is dropped once reshaped back
static ts_tensor *of_down_fast(const ts_tensor *img) {
  int64_t h = ts_size(img, 0), w = ts_size(img, 1);
  ts_tensor *x4 = ts_reshape(img, TS_SHAPE(1, 1, h, w));
  ts_tensor *p = ts_avg_pool2d(x4, TS_SHAPE(2, 2), TS_SHAPE(2, 2), TS_SHAPE(0, 0), false, true, TS_NO_INT); // <- BUG
  ts_free(x4);
  return ts_reshape(p, TS_SHAPE(h / 2, w / 2));
}

// OK: level 0 is a copy, the others successive halvings; a failure frees what was built
static int of_pyramid_build(const ts_tensor *img, int levels, of_pyramid *p) {
  p->n = 0;
  p->lv[0] = ts_clone(img);
  if (!p->lv[0])
    return -1;
  p->n = 1;
  while (p->n < levels) {
    ts_tensor *d = of_down(p->lv[p->n - 1]);
    if (!d) {
      while (p->n > 0)
        ts_free(p->lv[--p->n]);
      return -1;
    }
    p->lv[p->n++] = d;
  }
  return 0;
}

// OK: frees each level once
static void of_pyramid_free(of_pyramid *p) {
  while (p->n > 0)
    ts_free(p->lv[--p->n]);
}

// OK: level 0 borrows the caller's image; only the halvings are made here
static int of_pyramid_view(const ts_tensor *img, int levels, of_pyramid *p) {
  p->lv[0] = (ts_tensor *)img;
  p->n = 1;
  while (p->n < levels) {
    ts_tensor *d = of_down(p->lv[p->n - 1]);
    if (!d) {
      while (p->n > 1)
        ts_free(p->lv[--p->n]);
      return -1;
    }
    p->lv[p->n++] = d;
  }
  return 0;
}

// BUG: double-free: level 0 of a view is the caller's image, freed here and by the caller
static void of_pyramid_view_free(of_pyramid *p) {
  for (int i = 0; i < p->n; i++)
    ts_free(p->lv[i]); // <- BUG
  p->n = 0;
}

// OK: frees only the levels the view made
static void of_pyramid_view_release(of_pyramid *p) {
  for (int i = 1; i < p->n; i++)
    ts_free(p->lv[i]);
  p->n = 0;
}

// OK: least squares for one window, in the caller's scope
TS_CALLER_SCOPE static ts_tensor *of_lk_solve(const ts_tensor *gx, const ts_tensor *gy, const ts_tensor *it) {
  double a = ts_item(ts_sum(ts_mul(gx, gx))), b = ts_item(ts_sum(ts_mul(gx, gy)));
  double c = ts_item(ts_sum(ts_mul(gy, gy)));
  double p = -ts_item(ts_sum(ts_mul(gx, it))), q = -ts_item(ts_sum(ts_mul(gy, it)));
  double det = a * c - b * b;
  float uv[2] = {0.0f, 0.0f};
  if (fabs(det) > 1e-9) {
    uv[0] = (float)((c * p - b * q) / det);
    uv[1] = (float)((a * q - b * p) / det);
  }
  return ts_from_buffer(uv, TS_SHAPE(2), TS_FLOAT32);
}

// OK: one level's refinement in the function's scope; the flow escaped
TS_SCOPED static ts_tensor *of_lk_level(const ts_tensor *prev, const ts_tensor *next, const ts_tensor *flow) {
  ts_tensor *gx, *gy;
  if (of_gradients(prev, &gx, &gy) != 0)
    return NULL;
  ts_tensor *it = ts_sub(next, prev);
  ts_tensor *d = of_lk_solve(gx, gy, it);
  ts_free(gy);
  ts_free(gx);
  return ts_escape(flow ? ts_add(ts_mul_scalar(flow, 2.0), d) : d);
}

// OK: coarse to fine; the running flow is kept across the per-level scopes
static ts_tensor *of_track(const of_pyramid *a, const of_pyramid *b) {
  ts_tensor *flow = NULL;
  TS_SCOPE for (int l = a->n - 1; l >= 0; l--) {
    ts_tensor *f = of_lk_level(a->lv[l], b->lv[l], flow);
    if (flow)
      ts_free(flow);
    flow = ts_keep(f);
  }
  return flow;
}

// BUG: use-after-scope: the flow from one level's scope is read by the next level after that scope ended
static ts_tensor *of_track_fast(const of_pyramid *a, const of_pyramid *b) {
  ts_tensor *flow = NULL;
  TS_SCOPE for (int l = a->n - 1; l >= 0; l--) {
    flow = of_lk_level(a->lv[l], b->lv[l], flow); // <- BUG
  }
  return flow;
}

// BUG: leak: with exactly two levels the pyramid is built but only freed for more
static double of_flow_norm(const ts_tensor *f0, const ts_tensor *f1, int levels) {
  of_pyramid a, b;
  double n = 0.0;
  if (of_pyramid_build(f0, levels, &a) != 0)
    return -1.0;
  if (of_pyramid_build(f1, levels, &b) != 0) {
    of_pyramid_free(&a);
    return -1.0;
  }
  ts_tensor *flow = of_track(&a, &b);
  if (flow) {
    ts_tensor *nn = ts_linalg_vector_norm(flow, 2.0, NULL, -1, false, TS_NO_DTYPE);
    n = ts_item(nn);
    ts_free(nn);
    ts_free(flow);
  }
  of_pyramid_free(&b);
  if (levels > 2) // <- BUG
    of_pyramid_free(&a);
  return n;
}

// OK: the tracker starts with a copy of the first frame and zero flow
static int of_tracker_init(of_tracker *t, const ts_tensor *first) {
  t->prev = ts_clone(first);
  if (!t->prev)
    return -1;
  t->flow = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  if (!t->flow) {
    ts_free(t->prev);
    return -1;
  }
  t->frames = 1;
  return 0;
}

// OK: estimates flow to the new frame, then replaces the stored frame and flow
static int of_tracker_push(of_tracker *t, const ts_tensor *frame) {
  of_pyramid a, b;
  if (of_pyramid_build(t->prev, 2, &a) != 0)
    return -1;
  if (of_pyramid_build(frame, 2, &b) != 0) {
    of_pyramid_free(&a);
    return -1;
  }
  ts_tensor *f = of_track(&a, &b);
  of_pyramid_free(&b);
  of_pyramid_free(&a);
  if (!f)
    return -1;
  ts_tensor *copy = ts_clone(frame);
  if (!copy) {
    ts_free(f);
    return -1;
  }
  ts_free(t->flow);
  ts_free(t->prev);
  t->flow = f;
  t->prev = copy;
  t->frames++;
  return 0;
}

// OK: frees the stored frame and flow
static void of_tracker_free(of_tracker *t) {
  ts_free(t->flow);
  ts_free(t->prev);
}

// BUG: use-after-free: the brightness change is taken against the frame the push just replaced
static double of_tracker_push_delta(of_tracker *t, const ts_tensor *frame) {
  const ts_tensor *before = t->prev;
  if (of_tracker_push(t, frame) != 0)
    return 0.0;
  ts_tensor *d = ts_sub(t->prev, before); // <- BUG
  ts_tensor *m = ts_mean(ts_abs_(d));
  double v = ts_item(m);
  ts_free(m);
  ts_free(d);
  return v;
}

// BUG: use-after-free: the per-frame flows are freed as they are stacked, then one is read for a shape check
static ts_tensor *of_mean_flow(ts_tensor **flows, int n) {
  ts_tensor *all = ts_stack((const ts_tensor *const *)flows, n, 0);
  for (int i = 0; i < n; i++)
    ts_free(flows[i]);
  if (!all)
    return NULL;
  ts_tensor *m = ts_mean_dim(all, TS_SHAPE(0), false, TS_NO_DTYPE);
  ts_free(all);
  if (m && ts_numel(m) != ts_numel(flows[0])) { // <- BUG
    ts_free(m);
    return NULL;
  }
  return m;
}

// OK: the shape is checked before the flows are freed
static ts_tensor *of_mean_flow_ok(ts_tensor **flows, int n) {
  int64_t want = ts_numel(flows[0]);
  ts_tensor *all = ts_stack((const ts_tensor *const *)flows, n, 0);
  for (int i = 0; i < n; i++)
    ts_free(flows[i]);
  if (!all)
    return NULL;
  ts_tensor *m = ts_mean_dim(all, TS_SHAPE(0), false, TS_NO_DTYPE);
  ts_free(all);
  if (m && ts_numel(m) != want) {
    ts_free(m);
    return NULL;
  }
  return m;
}

// OK: scratch buffer from the pool, or a new one
static ts_tensor *of_scratch(ts_pool *pool) {
  ts_tensor *t = ts_pool_acquire(pool, TS_SHAPE(OF_S, OF_S), TS_FLOAT32);
  return t ? t : ts_empty(TS_SHAPE(OF_S, OF_S), TS_FLOAT32);
}

// OK: per-frame residual energy in pooled scratch, each buffer released once
static double of_residuals(ts_pool *pool, ts_tensor *const *frames, int n) {
  double e = 0.0;
  for (int i = 1; i < n; i++) {
    ts_tensor *buf = of_scratch(pool);
    ts_sub_Tensor_out(frames[i], frames[i - 1], 1.0, buf);
    TS_SCOPE {
      e += ts_item(ts_sum(ts_square(buf)));
    }
    ts_pool_release(pool, buf);
  }
  return e;
}

// BUG: double-free: the last scratch buffer is released in the loop and again after it
static double of_residuals_tail(ts_pool *pool, ts_tensor *const *frames, int n) {
  double e = 0.0;
  ts_tensor *buf = NULL;
  for (int i = 1; i < n; i++) {
    buf = of_scratch(pool);
    ts_sub_Tensor_out(frames[i], frames[i - 1], 1.0, buf);
    TS_SCOPE {
      e += ts_item(ts_sum(ts_square(buf)));
    }
    ts_pool_release(pool, buf);
  }
  if (buf)
    ts_pool_release(pool, buf); // <- BUG
  return e;
}

// OK: tracks a blob moving right over four frames, then averages the flows
void of_run_track(void) {
  of_tracker t;
  ts_tensor *flows[3];
  ts_tensor *f0 = of_frame(6.0, 7.0);
  if (of_tracker_init(&t, f0) != 0) {
    ts_free(f0);
    return;
  }
  for (int i = 1; i <= 3; i++) {
    ts_tensor *f = of_frame(6.0 + 0.5 * i, 7.0);
    of_tracker_push(&t, f);
    flows[i - 1] = ts_clone(t.flow);
    ts_free(f);
  }
  ts_tensor *m = of_mean_flow_ok(flows, 3);
  if (m) {
    float uv[2];
    ts_copy_to_buffer(m, uv, sizeof uv);
    printf("optflow: mean flow %.2f %.2f over %d frames\n", uv[0], uv[1], t.frames);
    ts_free(m);
  }
  of_tracker_free(&t);
  ts_free(f0);
}

// OK: gradients both ways and a fast halving
void of_run_gradients(void) {
  ts_tensor *img = of_frame(8.0, 8.0);
  ts_tensor *gx, *gy;
  if (of_gradients(img, &gx, &gy) == 0) {
    ts_free(gy);
    ts_free(gx);
  }
  ts_tensor *g = of_gradient_x(img);
  ts_free(g);
  ts_free(img);
}

// OK: the fast halving
void of_run_down_fast(void) {
  ts_tensor *img = of_frame(8.0, 8.0);
  ts_tensor *d = of_down_fast(img);
  ts_free(d);
  ts_free(img);
}

// OK: a borrowed pyramid released correctly
void of_run_view(void) {
  of_pyramid p;
  ts_tensor *img = of_frame(8.0, 8.0);
  if (of_pyramid_view(img, 3, &p) == 0)
    of_pyramid_view_release(&p);
  ts_free(img);
}

// OK: a borrowed pyramid through the freeing teardown
void of_run_view_free(void) {
  of_pyramid p;
  ts_tensor *img = of_frame(8.0, 8.0);
  if (of_pyramid_view(img, 2, &p) == 0)
    of_pyramid_view_free(&p);
  ts_free(img);
}

// OK: fast tracking over a two-level pyramid
void of_run_track_fast(void) {
  of_pyramid a, b;
  ts_tensor *f0 = of_frame(6.0, 6.0), *f1 = of_frame(7.0, 6.0);
  if (of_pyramid_build(f0, 2, &a) == 0) {
    if (of_pyramid_build(f1, 2, &b) == 0) {
      ts_tensor *f = of_track_fast(&a, &b);
      if (f)
        ts_free(f);
      of_pyramid_free(&b);
    }
    of_pyramid_free(&a);
  }
  ts_free(f1);
  ts_free(f0);
}

// OK: flow norm with two levels
void of_run_flow_norm(void) {
  ts_tensor *f0 = of_frame(6.0, 6.0), *f1 = of_frame(6.5, 6.5);
  printf("optflow: |flow| %.3f\n", of_flow_norm(f0, f1, 2));
  ts_free(f1);
  ts_free(f0);
}

// OK: a push with the brightness change
void of_run_delta(void) {
  of_tracker t;
  ts_tensor *f0 = of_frame(6.0, 6.0), *f1 = of_frame(6.5, 6.0);
  if (of_tracker_init(&t, f0) == 0) {
    printf("optflow: delta %.4f\n", of_tracker_push_delta(&t, f1));
    of_tracker_free(&t);
  }
  ts_free(f1);
  ts_free(f0);
}

// OK: the mean of two flows with the late shape check
void of_run_mean_flow(void) {
  ts_tensor *flows[2] = {ts_ones(TS_SHAPE(2), TS_FLOAT32), ts_zeros(TS_SHAPE(2), TS_FLOAT32)};
  ts_tensor *m = of_mean_flow(flows, 2);
  if (m)
    ts_free(m);
}

// OK: residual energies through the pool, then the tail variant
void of_run_residuals(void) {
  ts_pool *pool = ts_pool_new(2);
  ts_tensor *fr[3] = {of_frame(5, 5), of_frame(6, 5), of_frame(7, 5)};
  printf("optflow: residual %.3f\n", of_residuals(pool, fr, 3));
  for (int i = 0; i < 3; i++)
    ts_free(fr[i]);
  ts_pool_destroy(pool);
}

// OK: the tail variant
void of_run_residuals_tail(void) {
  ts_pool *pool = ts_pool_new(2);
  ts_tensor *fr[2] = {of_frame(5, 5), of_frame(6, 5)};
  printf("optflow: residual %.3f\n", of_residuals_tail(pool, fr, 2));
  ts_free(fr[1]);
  ts_free(fr[0]);
  ts_pool_destroy(pool);
}

// BUG: leak: only one of the two gradient images is freed
void of_run_gradient_energy(void) {
  ts_tensor *img = of_frame(5.0, 9.0);
  ts_tensor *gx, *gy;
  if (of_gradients(img, &gx, &gy) == 0) { // <- BUG
    ts_tensor *sq = ts_square(gx);
    ts_tensor *e = ts_sum(sq);
    ts_free(sq);
    printf("optflow: x energy %.3f\n", ts_item(e));
    ts_free(e);
    ts_free(gx);
  }
  ts_free(img);
}

// BUG: use-after-free: the previous flow estimate is read after the push replaced it
void of_run_flow_change(void) {
  of_tracker t;
  float before[2];
  ts_tensor *f0 = of_frame(6.0, 6.0), *f1 = of_frame(6.5, 6.0);
  if (of_tracker_init(&t, f0) == 0) {
    const ts_tensor *prev_flow = t.flow;
    of_tracker_push(&t, f1);
    ts_copy_to_buffer(prev_flow, before, sizeof before); // <- BUG
    of_tracker_free(&t);
  }
  ts_free(f1);
  ts_free(f0);
}
