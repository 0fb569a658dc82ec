/* heldout8_framediff.c - a video frame differ: decoded frames come from a
 * frame pool into a short ring, consecutive frames are differenced into
 * motion masks, regions of motion are summarised, and frames go back to the
 * pool when they leave the ring. Terse style, status ints, CHECK macro. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>

#define FH 6
#define FW 6
#define RING 3
#define CHECK(x)                                                               \
  do {                                                                         \
    if (!(x))                                                                  \
      goto out;                                                                \
  } while (0)

typedef struct {
  ts_pool *pool;
  ts_tensor *ring[RING];
  int head, count;
  long frames_seen;
} differ;

// OK: a frame from the pool or freshly made, filled from a buffer
static ts_tensor *frame_get(ts_pool *pool, int t) {
  float px[FH * FW];
  for (int i = 0; i < FH * FW; i++)
    px[i] = (float)(((i + t * 2) % FW == 0) ? 1.0 : 0.1 * (i % 3));
  ts_tensor *f = ts_from_buffer(px, TS_SHAPE(FH, FW), TS_FLOAT32);
  (void)pool;
  return f;
}

// OK: a scratch frame from the pool, zeros on a miss
static ts_tensor *scratch_get(ts_pool *pool) {
  ts_tensor *s = ts_pool_acquire(pool, TS_SHAPE(FH, FW), TS_FLOAT32);
  return s ? s : ts_zeros(TS_SHAPE(FH, FW), TS_FLOAT32);
}

// OK: pool per differ
static int differ_init(differ *d) {
  memset(d, 0, sizeof *d);
  d->pool = ts_pool_new(RING + 2);
  return d->pool ? 0 : -1;
}

// OK: ring frames back to the pool, then the pool destroyed
static void differ_fini(differ *d) {
  for (int i = 0; i < d->count; i++) {
    int k = (d->head + RING - 1 - i) % RING;
    ts_pool_release(d->pool, d->ring[k]);
    d->ring[k] = NULL;
  }
  d->count = 0;
  ts_pool_destroy(d->pool);
  d->pool = NULL;
}

// OK: push a frame; the oldest goes back to the pool when the ring is full
static void differ_push(differ *d, ts_tensor *f) {
  if (d->count == RING)
    ts_pool_release(d->pool, d->ring[d->head]);
  else
    d->count++;
  d->ring[d->head] = f;
  d->head = (d->head + 1) % RING;
  d->frames_seen++;
}

// BUG: leak: a full ring overwrites its oldest frame without handing it back
static void differ_push_nodrop(differ *d, ts_tensor *f) {
  if (d->count < RING)
    d->count++;
  d->ring[d->head] = f; // <- BUG
  d->head = (d->head + 1) % RING;
  d->frames_seen++;
}

// OK: the frame k steps back, borrowed
static ts_tensor *differ_back(const differ *d, int k) {
  if (k >= d->count)
    return NULL;
  return d->ring[(d->head + RING - 1 - k) % RING];
}

// OK: motion mask of the two newest frames; the caller owns it
static ts_tensor *motion_mask(const differ *d, double thr) {
  ts_tensor *a = differ_back(d, 0), *b = differ_back(d, 1);
  if (!a || !b)
    return NULL;
  ts_tensor *m;
  TS_SCOPE {
    ts_tensor *diff = ts_sub(a, b);
    ts_tensor *mag = ts_mul(diff, diff);
    m = ts_escape(ts_relu(ts_add_scalar(mag, -thr * thr)));
  }
  return m;
}

// BUG: unescaped-return: the mask is returned from TS_SCOPED without an escape
TS_SCOPED static ts_tensor *motion_mask_scoped(const differ *d, double thr) {
  ts_tensor *a = differ_back(d, 0), *b = differ_back(d, 1);
  if (!a || !b)
    return NULL;
  ts_tensor *diff = ts_sub(a, b);
  ts_tensor *m = ts_relu(ts_add_scalar(ts_mul(diff, diff), -thr * thr));
  return m; // <- BUG
}

// OK: fraction of moving pixels
static double motion_fraction(const ts_tensor *mask) {
  double f;
  TS_SCOPE {
    ts_tensor *on = ts_sigmoid(ts_mul_scalar(mask, 1e4));
    f = ts_item(ts_mean(ts_add_scalar(on, -0.5))) * 2.0;
  }
  return f;
}

// OK: row profile of motion through a scratch frame; scratch released once
static int motion_rows(differ *d, const ts_tensor *mask, double *rows) {
  ts_tensor *s = scratch_get(d->pool);
  if (!s)
    return -1;
  ts_tensor *p = ts_add(s, mask);
  ts_pool_release(d->pool, s);
  if (!p)
    return -1;
  float buf[FH * FW];
  int rc = ts_copy_to_buffer(p, buf, sizeof buf) == TS_OK ? 0 : -1;
  ts_free(p);
  for (int r = 0; r < FH && rc == 0; r++) {
    rows[r] = 0;
    for (int c = 0; c < FW; c++)
      rows[r] += buf[r * FW + c];
  }
  return rc;
}

// BUG: double-free: the scratch is released on the empty-mask path and again at the end
static int motion_rows_twice(differ *d, const ts_tensor *mask, double *rows) {
  ts_tensor *s = scratch_get(d->pool);
  ts_tensor *p = ts_add(s, mask);
  ts_tensor *tot = ts_sum(p);
  double v = ts_item(tot);
  ts_free(tot);
  if (v == 0.0) {
    ts_pool_release(d->pool, s);
    rows[0] = -1;
  }
  ts_free(p);
  ts_pool_release(d->pool, s); // <- BUG
  return 0;
}

// BUG: use-after-free: the scratch is read after it went back to the pool
static double scratch_energy(differ *d, const ts_tensor *mask) {
  ts_tensor *s = scratch_get(d->pool);
  ts_tensor *p = ts_add(s, mask);
  ts_pool_release(d->pool, s);
  ts_tensor *e = ts_sum(ts_mul(p, s)); // <- BUG
  double v = ts_item(e);
  ts_free(e);
  ts_free(p);
  return v;
}

// OK: processes n frames, mask per step in an iteration scope
static double process(differ *d, int n) {
  double total = 0.0;
  TS_SCOPE for (int t = 0; t < n; t++) {
    ts_tensor *f = frame_get(d->pool, t);
    CHECK(f);
    differ_push(d, ts_keep(f));
    ts_tensor *m = motion_mask(d, 0.2);
    if (!m)
      continue;
    total += motion_fraction(m);
    ts_free(m);
  }
out:
  return total;
}

// BUG: use-after-scope: the newest frame is pushed into the ring without ts_keep
static double process_nokeep(differ *d, int n) {
  double total = 0.0;
  TS_SCOPE for (int t = 0; t < n; t++) {
    ts_tensor *f = frame_get(d->pool, t);
    differ_push(d, f);
  }
  ts_tensor *m = motion_mask(d, 0.2); // <- BUG
  if (m) {
    total = motion_fraction(m);
    ts_free(m);
  }
  return total;
}

// OK: keyframes stored in a calloc'd array, freed on every path
static int keyframes(differ *d, int n, double thr, int *out_k) {
  ts_tensor **keys = calloc((size_t)n, sizeof *keys);
  int k = 0, rc = -1;
  if (!keys)
    return -1;
  for (int t = 0; t < n; t++) {
    differ_push(d, frame_get(d->pool, t));
    ts_tensor *m = motion_mask(d, thr);
    if (!m)
      continue;
    double f = motion_fraction(m);
    ts_free(m);
    if (f > 0.05) {
      keys[k] = ts_clone(differ_back(d, 0));
      CHECK(keys[k]);
      k++;
    }
  }
  rc = 0;
out:
  for (int i = 0; i < k; i++)
    ts_free(keys[i]);
  free(keys);
  *out_k = k;
  return rc;
}

// BUG: leak: the keyframe array's tensors are not freed, only the array
static int keyframes_shallow(differ *d, int n, int *out_k) {
  ts_tensor **keys = calloc((size_t)n, sizeof *keys);
  int k = 0;
  if (!keys)
    return -1;
  for (int t = 0; t < n; t++) {
    differ_push(d, frame_get(d->pool, t));
    if (t % 2 == 0)
      keys[k++] = ts_clone(differ_back(d, 0)); // <- BUG
  }
  free(keys);
  *out_k = k;
  return 0;
}

// OK: global pool for a one-off thumbnail, released
static double thumbnail_mean(const ts_tensor *frame) {
  ts_pool *g = ts_global_pool();
  ts_tensor *t = ts_pool_acquire(g, TS_SHAPE(FH, FW), TS_FLOAT32);
  if (!t)
    t = ts_clone(frame);
  if (!t)
    return 0.0;
  ts_tensor *m = ts_mean(frame);
  double v = m ? ts_item(m) : 0.0;
  if (m)
    ts_free(m);
  ts_pool_release(g, t);
  return v;
}

// BUG: leak: the thumbnail of the global pool is never released on the dark-frame path
static double thumbnail_mean_dark(const ts_tensor *frame) {
  ts_pool *g = ts_global_pool();
  ts_tensor *t = ts_clone(frame); // <- BUG
  ts_tensor *m = ts_mean(t);
  double v = ts_item(m);
  ts_free(m);
  if (v < 10.0)
    return 0.0;
  ts_pool_release(g, t);
  return v;
}

// OK: full run: process, keyframes, thumbnail, fini
void fd_entry_main(void) {
  differ d;
  int k = 0;
  if (differ_init(&d) != 0)
    return;
  double tot = process(&d, 5);
  keyframes(&d, 4, 0.2, &k);
  ts_tensor *last = differ_back(&d, 0);
  double th = last ? thumbnail_mean(last) : 0.0;
  double rows[FH];
  ts_tensor *m = motion_mask(&d, 0.1);
  if (m) {
    motion_rows(&d, m, rows);
    ts_free(m);
  }
  printf("%g %d %g %ld\n", tot, k, th, d.frames_seen);
  differ_fini(&d);
}

// OK: drives the ring that does not hand back
void fd_entry_nodrop(void) {
  differ d;
  if (differ_init(&d) != 0)
    return;
  for (int t = 0; t < RING + 1; t++)
    differ_push_nodrop(&d, frame_get(d.pool, t));
  differ_fini(&d);
}

// OK: uses the scoped mask
void fd_entry_scoped(void) {
  differ d;
  if (differ_init(&d) != 0)
    return;
  differ_push(&d, frame_get(d.pool, 0));
  differ_push(&d, frame_get(d.pool, 1));
  ts_tensor *m = motion_mask_scoped(&d, 0.1);
  if (m) {
    printf("%g\n", motion_fraction(m));
    ts_free(m);
  }
  differ_fini(&d);
}

// OK: drives the twice-released scratch with a short buffer
void fd_entry_twice(void) {
  differ d;
  double rows[FH];
  if (differ_init(&d) != 0)
    return;
  ts_tensor *mask = ts_zeros(TS_SHAPE(FH, FW), TS_FLOAT32);
  motion_rows_twice(&d, mask, rows);
  ts_free(mask);
  differ_fini(&d);
}

// OK: drives the read of a released scratch
void fd_entry_energy(void) {
  differ d;
  if (differ_init(&d) != 0)
    return;
  ts_tensor *mask = ts_ones(TS_SHAPE(FH, FW), TS_FLOAT32);
  printf("%g\n", scratch_energy(&d, mask));
  ts_free(mask);
  differ_fini(&d);
}

// OK: drives the processing without keep
void fd_entry_nokeep(void) {
  differ d;
  if (differ_init(&d) != 0)
    return;
  printf("%g\n", process_nokeep(&d, 2));
  differ_fini(&d);
}

// OK: drives the shallow keyframe store
void fd_entry_shallow(void) {
  differ d;
  int k;
  if (differ_init(&d) != 0)
    return;
  keyframes_shallow(&d, 3, &k);
  differ_fini(&d);
}

// OK: drives the dark thumbnail
void fd_entry_dark(void) {
  ts_tensor *f = frame_get(NULL, 0);
  printf("%g\n", thumbnail_mean_dark(f));
  ts_free(f);
}

// BUG: double-free: a frame borrowed from the ring is released by the caller and again by fini
void fd_entry_borrow_release(void) {
  differ d;
  if (differ_init(&d) != 0)
    return;
  differ_push(&d, frame_get(d.pool, 0));
  ts_tensor *f = differ_back(&d, 0);
  printf("%g\n", thumbnail_mean(f));
  ts_pool_release(d.pool, f); // <- BUG
  differ_fini(&d);
}

// BUG: use-after-free: the mask is freed before its row profile is taken
void fd_entry_mask_free(void) {
  differ d;
  double rows[FH];
  if (differ_init(&d) != 0)
    return;
  differ_push(&d, frame_get(d.pool, 0));
  differ_push(&d, frame_get(d.pool, 1));
  ts_tensor *m = motion_mask(&d, 0.1);
  if (m) {
    ts_free(m);
    motion_rows(&d, m, rows); // <- BUG
  }
  differ_fini(&d);
}

// BUG: leak: a still frame's mask is skipped with continue before it is freed
void fd_entry_still(void) {
  differ d;
  int moving = 0;
  if (differ_init(&d) != 0)
    return;
  for (int t = 0; t < 3; t++) {
    differ_push(&d, frame_get(d.pool, 0));
    ts_tensor *m = motion_mask(&d, 0.1); // <- BUG
    if (!m)
      continue;
    if (motion_fraction(m) < 0.01)
      continue;
    moving++;
    ts_free(m);
  }
  printf("%d\n", moving);
  differ_fini(&d);
}
