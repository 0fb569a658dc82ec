/*
 * pool.c - an image pipeline that recycles its buffers through tensor
 * pools: acquire-or-make helpers, release on every path, pools owned by a
 * worker struct, scoped use of pooled buffers.
 *
 * Labels (see README.md): `// OK: why` or `// BUG: check: why` on the line
 * before each function; the line of the bug itself ends in `// <- BUG`.
 */
#include <stdio.h>
#include <tsmem.h>

enum { H = 4, W = 4 };

typedef struct {
  ts_pool *pool;
  int frames;
} worker;

// OK: a buffer from the pool, or a new one on a miss; the caller owns it
static ts_tensor *get_buffer(ts_pool *p) {
  ts_tensor *t = ts_pool_acquire(p, TS_SHAPE(H, W), TS_FLOAT32);
  if (!t)
    t = ts_zeros(TS_SHAPE(H, W), TS_FLOAT32);
  return t;
}

// OK: processes a frame into a pooled buffer and releases both buffers
static double process_frame(worker *wk) {
  ts_tensor *in = get_buffer(wk->pool);
  ts_tensor *out = ts_relu(in);
  ts_tensor *m = ts_mean(out);
  double v = ts_item(m);
  ts_free(m);
  ts_pool_release(wk->pool, out);
  ts_pool_release(wk->pool, in);
  wk->frames++;
  return v;
}

// OK: a worker with its own pool processes frames in a scope and destroys the
// pool
void pool_worker(void) {
  worker wk = {ts_pool_new(4), 0};
  TS_SCOPE {
    for (int i = 0; i < 3; i++)
      process_frame(&wk);
  }
  printf("frames %d\n", wk.frames);
  ts_pool_destroy(wk.pool);
}

// OK: acquire or make, release, in a manual loop
void pool_manual_loop(void) {
  ts_pool *p = ts_pool_new(0);
  for (int i = 0; i < 4; i++) {
    ts_tensor *buf = get_buffer(p);
    ts_tensor *r = ts_add_scalar(buf, i);
    printf("frame %d: %lld\n", i, (long long)ts_numel(r));
    ts_free(r);
    ts_pool_release(p, buf);
  }
  ts_pool_destroy(p);
}

// BUG: leak: the scratch buffer of each frame is neither released nor freed
void pool_manual_loop_leak(void) {
  ts_pool *p = ts_pool_new(0);
  for (int i = 0; i < 2; i++) {
    ts_tensor *buf = get_buffer(p);
    ts_tensor *scratch = ts_mul_scalar(buf, 2.0); // <- BUG
    printf("frame %d: %lld\n", i, (long long)ts_numel(scratch));
    ts_pool_release(p, buf);
  }
  ts_pool_destroy(p);
}

// BUG: use-after-free: the buffer is read after it went back to the pool
void pool_use_after_release(void) {
  ts_pool *p = ts_pool_new(0);
  ts_tensor *buf = get_buffer(p);
  ts_pool_release(p, buf);
  ts_tensor *r = ts_relu(buf); // <- BUG
  ts_free(r);
  ts_pool_destroy(p);
}

// BUG: double-free: the buffer is released twice
void pool_double_release(void) {
  ts_pool *p = ts_pool_new(0);
  ts_tensor *buf = get_buffer(p);
  printf("buf %lld\n", (long long)ts_numel(buf));
  ts_pool_release(p, buf);
  ts_pool_release(p, buf); // <- BUG
  ts_pool_destroy(p);
}

// BUG: double-free: the buffer is released to the pool and then freed
void pool_release_then_free(void) {
  ts_pool *p = ts_pool_new(0);
  ts_tensor *buf = ts_zeros(TS_SHAPE(H, W), TS_FLOAT32);
  ts_pool_release(p, buf);
  ts_free(buf); // <- BUG
  ts_pool_destroy(p);
}

// OK: on the error path the buffer goes back to the pool, on the normal path
// too
static int fill_frame(ts_pool *p, int fail, double *out) {
  ts_tensor *buf = get_buffer(p);
  if (fail) {
    ts_pool_release(p, buf);
    return -1;
  }
  ts_tensor *s = ts_sum(buf);
  *out = ts_item(s);
  ts_free(s);
  ts_pool_release(p, buf);
  return 0;
}

// OK: fills frames on both the good and the failing path
void pool_fill(void) {
  ts_pool *p = ts_pool_new(0);
  double v = 0;
  fill_frame(p, 0, &v);
  fill_frame(p, 1, &v);
  ts_pool_destroy(p);
}

// BUG: leak: the error path forgets to give the buffer back
static int fill_frame_leaky(ts_pool *p, int fail) {
  ts_tensor *buf = get_buffer(p);
  if (fail)
    return -1; // <- BUG
  printf("buf %lld\n", (long long)ts_numel(buf));
  ts_pool_release(p, buf);
  return 0;
}

// OK: drives the leaky filler into its error path (the bug is the filler's)
void pool_fill_leaky(void) {
  ts_pool *p = ts_pool_new(0);
  fill_frame_leaky(p, 1);
  ts_pool_destroy(p);
}

// OK: buffers acquired in a scope belong to it; those not released die with it
void pool_scoped_acquire(void) {
  ts_pool *p = ts_pool_new(0);
  ts_pool_release(p, ts_zeros(TS_SHAPE(H, W), TS_FLOAT32));
  TS_SCOPE {
    ts_tensor *a = ts_pool_acquire(p, TS_SHAPE(H, W), TS_FLOAT32);
    ts_tensor *b = a ? ts_add_scalar(a, 1.0) : NULL;
    if (b)
      printf("b %lld\n", (long long)ts_numel(b));
  }
  ts_pool_destroy(p);
}

// BUG: use-after-scope: a buffer acquired inside the scope is released after
// the scope freed it
void pool_release_after_scope(void) {
  ts_pool *p = ts_pool_new(0);
  ts_pool_release(p, ts_zeros(TS_SHAPE(H, W), TS_FLOAT32));
  ts_tensor *a = NULL;
  TS_SCOPE { a = ts_pool_acquire(p, TS_SHAPE(H, W), TS_FLOAT32); }
  if (a)
    ts_pool_release(p, a); // <- BUG
  ts_pool_destroy(p);
}

// OK: the global pool recycles a buffer between two frames
void pool_global(void) {
  ts_pool *g = ts_global_pool();
  for (int i = 0; i < 2; i++) {
    ts_tensor *buf = get_buffer(g);
    printf("frame %d %lld\n", i, (long long)ts_numel(buf));
    ts_pool_release(g, buf);
  }
  ts_pool_clear(g);
}

// BUG: use-after-free: a frame view kept in an array is read after its buffer
// was released
void pool_frame_ring(void) {
  ts_pool *p = ts_pool_new(0);
  ts_tensor *ring[2];
  ring[0] = get_buffer(p);
  ring[1] = get_buffer(p);
  ts_pool_release(p, ring[0]);
  printf("oldest %lld\n", (long long)ts_numel(ring[0])); // <- BUG
  ts_pool_release(p, ring[1]);
  ts_pool_destroy(p);
}

// OK: a ring of buffers in an array, all released in a loop
void pool_frame_ring_ok(void) {
  ts_pool *p = ts_pool_new(0);
  ts_tensor *ring[2];
  for (int i = 0; i < 2; i++)
    ring[i] = get_buffer(p);
  printf("oldest %lld\n", (long long)ts_numel(ring[0]));
  for (int i = 0; i < 2; i++)
    ts_pool_release(p, ring[i]);
  ts_pool_destroy(p);
}

// BUG: leak: a buffer acquired from the pool outside any scope is neither
// released nor freed
void pool_acquire_leak(void) {
  ts_pool *p = ts_pool_new(0);
  ts_pool_release(p, ts_zeros(TS_SHAPE(H, W), TS_FLOAT32));
  ts_tensor *a = ts_pool_acquire(p, TS_SHAPE(H, W), TS_FLOAT32); // <- BUG
  if (a)
    printf("a %lld\n", (long long)ts_numel(a));
  ts_pool_destroy(p);
}
