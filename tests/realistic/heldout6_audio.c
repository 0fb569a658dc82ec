/* heldout6_audio.c - an audio resampler: frames of samples, a windowed
 * low-pass kernel, linear-interpolation resampling, overlap-add of
 * processed frames, a ring buffer of recent frames, and frame buffers
 * recycled through a pool. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { AU_FRAME = 8, AU_RING = 3, AU_TAPS = 3 };

typedef struct {
  ts_tensor *frames[AU_RING]; /* [1, FRAME], owned */
  int head, count;
} au_ring;

typedef struct {
  ts_tensor *kernel; /* [TAPS] */
  ts_pool *pool;
  double ratio;
} au_resampler;

// OK: a sine frame the caller owns
static ts_tensor *au_sine(double freq, int offset) {
  float buf[AU_FRAME];
  for (int i = 0; i < AU_FRAME; i++)
    buf[i] = (float)sin(freq * (offset + i));
  return ts_from_buffer(buf, TS_SHAPE(1, AU_FRAME), TS_FLOAT32);
}

// OK: a kernel and a private pool, or nothing
static int au_init(au_resampler *r, double ratio) {
  const float k[AU_TAPS] = {0.25f, 0.5f, 0.25f};
  r->kernel = ts_from_buffer(k, TS_SHAPE(AU_TAPS), TS_FLOAT32);
  if (!r->kernel)
    return -1;
  r->pool = ts_pool_new(4);
  if (!r->pool) {
    ts_free(r->kernel);
    return -1;
  }
  r->ratio = ratio;
  return 0;
}

// OK: frees the kernel and destroys the pool
static void au_destroy(au_resampler *r) {
  ts_free(r->kernel);
  ts_pool_destroy(r->pool);
  r->kernel = NULL;
  r->pool = NULL;
}

// OK: 3-tap smoothing of a frame (edges clamped), in the caller's scope
TS_CALLER_SCOPE static ts_tensor *au_lowpass(const au_resampler *r, const ts_tensor *x) {
  float k[AU_TAPS], in[AU_FRAME], out[AU_FRAME];
  ts_copy_to_buffer(r->kernel, k, sizeof k);
  ts_copy_to_buffer(x, in, sizeof in);
  for (int i = 0; i < AU_FRAME; i++) {
    int l = i > 0 ? i - 1 : 0, h = i < AU_FRAME - 1 ? i + 1 : AU_FRAME - 1;
    out[i] = k[0] * in[l] + k[1] * in[i] + k[2] * in[h];
  }
  return ts_from_buffer(out, TS_SHAPE(1, AU_FRAME), TS_FLOAT32);
}

// OK: linear-interpolation resampling of one frame, a new tensor the caller owns
static ts_tensor *au_resample(const au_resampler *r, const ts_tensor *x, int64_t n_out) {
  float in[AU_FRAME], out[32];
  if (n_out > 32)
    return NULL;
  ts_copy_to_buffer(x, in, sizeof in);
  for (int64_t j = 0; j < n_out; j++) {
    double pos = j / r->ratio;
    int i = (int)pos;
    double f = pos - i;
    float a = in[i < AU_FRAME ? i : AU_FRAME - 1];
    float b = in[i + 1 < AU_FRAME ? i + 1 : AU_FRAME - 1];
    out[j] = (float)(a * (1 - f) + b * f);
  }
  return ts_from_buffer(out, TS_SHAPE(1, n_out), TS_FLOAT32);
}

// OK: the ring owns its frames; a full ring frees the oldest before overwriting
static void au_ring_push(au_ring *rg, ts_tensor *f) {
  int slot = (rg->head + rg->count) % AU_RING;
  if (rg->count == AU_RING) {
    ts_free(rg->frames[rg->head]);
    slot = rg->head;
    rg->head = (rg->head + 1) % AU_RING;
  } else {
    rg->count++;
  }
  rg->frames[slot] = f;
}

// OK: frees every frame in the ring
static void au_ring_clear(au_ring *rg) {
  for (int i = 0; i < rg->count; i++)
    ts_free(rg->frames[(rg->head + i) % AU_RING]);
  rg->count = rg->head = 0;
}

// BUG: leak: the push overwrites the oldest frame without freeing it
static void au_ring_push_overwrite(au_ring *rg, ts_tensor *f) {
  int slot = (rg->head + rg->count) % AU_RING;
  if (rg->count == AU_RING) {
    slot = rg->head;
    rg->head = (rg->head + 1) % AU_RING;
  } else {
    rg->count++;
  }
  rg->frames[slot] = f; // <- BUG
}

// OK: a stream of frames low-passed in a scope and pushed (kept) into the ring
void au_stream(void) {
  au_resampler r;
  au_ring rg = {{0}, 0, 0};
  if (au_init(&r, 1.5) != 0)
    return;
  for (int f = 0; f < 5; f++) {
    ts_tensor *x = au_sine(0.3, f * AU_FRAME);
    TS_SCOPE { au_ring_push(&rg, ts_keep(au_lowpass(&r, x))); }
    ts_free(x);
  }
  printf("audio: ring %d\n", rg.count);
  au_ring_clear(&rg);
  au_destroy(&r);
}

// OK: the same stream through the overwriting push (its bug)
void au_stream_overwrite(void) {
  au_resampler r;
  au_ring rg = {{0}, 0, 0};
  if (au_init(&r, 1.5) != 0)
    return;
  for (int f = 0; f < 4; f++)
    au_ring_push_overwrite(&rg, au_sine(0.3, f * AU_FRAME));
  au_ring_clear(&rg);
  au_destroy(&r);
}

// BUG: use-after-scope: the low-passed frame is pushed into the ring without being kept
void au_stream_nokeep(void) {
  au_resampler r;
  au_ring rg = {{0}, 0, 0};
  if (au_init(&r, 1.5) != 0)
    return;
  ts_tensor *x = au_sine(0.2, 0);
  TS_SCOPE { au_ring_push(&rg, au_lowpass(&r, x)); }
  TS_SCOPE { printf("audio: %.3f\n", ts_item(ts_sum(rg.frames[0]))); } // <- BUG
  ts_free(x);
  au_ring_clear(&rg);
  au_destroy(&r);
}

// BUG: use-after-free: a frame pointer taken from the ring is read after the ring evicted it
void au_ring_evicted_peek(void) {
  au_ring rg = {{0}, 0, 0};
  au_ring_push(&rg, au_sine(0.1, 0));
  ts_tensor *oldest = rg.frames[rg.head];
  for (int f = 1; f <= AU_RING; f++)
    au_ring_push(&rg, au_sine(0.1, f * AU_FRAME));
  TS_SCOPE { printf("audio: %.3f\n", ts_item(ts_mean(oldest))); } // <- BUG
  au_ring_clear(&rg);
}

// OK: resample every frame, concatenate, free the pieces
void au_resample_stream(void) {
  au_resampler r;
  if (au_init(&r, 1.5) != 0)
    return;
  ts_tensor *pieces[3] = {NULL, NULL, NULL};
  int n = 0;
  for (; n < 3; n++) {
    ts_tensor *x = au_sine(0.4, n * AU_FRAME);
    pieces[n] = au_resample(&r, x, 12);
    ts_free(x);
    if (!pieces[n])
      break;
  }
  ts_tensor *all = ts_cat((const ts_tensor *const *)pieces, n, 1);
  printf("audio: %lld samples\n", (long long)ts_numel(all));
  ts_free(all);
  for (int i = 0; i < n; i++)
    ts_free(pieces[i]);
  au_destroy(&r);
}

// BUG: leak: the concatenated output is rebuilt per frame and the previous one dropped
void au_resample_append(void) {
  au_resampler r;
  if (au_init(&r, 2.0) != 0)
    return;
  ts_tensor *acc = ts_zeros(TS_SHAPE(1, 0), TS_FLOAT32);
  for (int f = 0; f < 3; f++) {
    ts_tensor *x = au_sine(0.4, f * AU_FRAME);
    ts_tensor *y = au_resample(&r, x, 16);
    const ts_tensor *parts[2] = {acc, y};
    acc = ts_cat(parts, 2, 1); // <- BUG
    ts_free(y);
    ts_free(x);
  }
  ts_free(acc);
  au_destroy(&r);
}

// OK: the appending loop that frees the previous accumulator
void au_resample_append_ok(void) {
  au_resampler r;
  if (au_init(&r, 2.0) != 0)
    return;
  ts_tensor *acc = ts_zeros(TS_SHAPE(1, 0), TS_FLOAT32);
  for (int f = 0; f < 3; f++) {
    ts_tensor *x = au_sine(0.4, f * AU_FRAME);
    ts_tensor *y = au_resample(&r, x, 16);
    const ts_tensor *parts[2] = {acc, y};
    ts_tensor *next = ts_cat(parts, 2, 1);
    ts_free(acc);
    acc = next;
    ts_free(y);
    ts_free(x);
  }
  printf("audio: %lld\n", (long long)ts_numel(acc));
  ts_free(acc);
  au_destroy(&r);
}

// OK: frame buffers from the resampler's pool, always released
static double au_frame_energy(au_resampler *r, const ts_tensor *x) {
  ts_tensor *buf = ts_pool_acquire(r->pool, TS_SHAPE(1, AU_FRAME), TS_FLOAT32);
  if (!buf)
    buf = ts_empty(TS_SHAPE(1, AU_FRAME), TS_FLOAT32);
  ts_copy_(buf, x, false);
  double e = 0;
  TS_SCOPE { e = ts_item(ts_sum(ts_mul(buf, buf))); }
  ts_pool_release(r->pool, buf);
  return e;
}

// OK: energy of several frames through the pool
void au_energy(void) {
  au_resampler r;
  if (au_init(&r, 1.0) != 0)
    return;
  double tot = 0;
  for (int f = 0; f < 4; f++) {
    ts_tensor *x = au_sine(0.5, f);
    tot += au_frame_energy(&r, x);
    ts_free(x);
  }
  printf("audio: energy %.3f hits %llu\n", tot,
         (unsigned long long)ts_pool_get_stats(r.pool).hit_count);
  au_destroy(&r);
}

// BUG: leak: a silent frame returns early without giving its buffer back or freeing it
static double au_frame_energy_gated(au_resampler *r, const ts_tensor *x, double gate) {
  ts_tensor *buf = ts_pool_acquire(r->pool, TS_SHAPE(1, AU_FRAME), TS_FLOAT32);
  if (!buf)
    buf = ts_empty(TS_SHAPE(1, AU_FRAME), TS_FLOAT32); // <- BUG
  ts_copy_(buf, x, false);
  double peak = 0;
  TS_SCOPE { peak = ts_item(ts_sum(ts_abs(buf))); }
  if (peak < gate)
    return 0.0;
  double e = 0;
  TS_SCOPE { e = ts_item(ts_sum(ts_mul(buf, buf))); }
  ts_pool_release(r->pool, buf);
  return e;
}

// OK: drives the gated energy with a silent frame
void au_energy_gated(void) {
  au_resampler r;
  if (au_init(&r, 1.0) != 0)
    return;
  ts_tensor *x = ts_zeros(TS_SHAPE(1, AU_FRAME), TS_FLOAT32);
  printf("audio: %.3f\n", au_frame_energy_gated(&r, x, 0.01));
  ts_free(x);
  au_destroy(&r);
}

// BUG: use-after-free: the pooled buffer is released and then used for the normalisation
static ts_tensor *au_normalise_pooled(au_resampler *r, const ts_tensor *x) {
  ts_tensor *buf = ts_pool_acquire(r->pool, TS_SHAPE(1, AU_FRAME), TS_FLOAT32);
  if (!buf)
    buf = ts_empty(TS_SHAPE(1, AU_FRAME), TS_FLOAT32);
  ts_copy_(buf, x, false);
  ts_tensor *absb = ts_abs(buf);
  ts_pool_release(r->pool, buf);
  ts_tensor *mx = ts_add_scalar(ts_sum(absb), 1e-6);
  ts_tensor *y = ts_div(buf, mx); // <- BUG
  ts_free(mx);
  ts_free(absb);
  return y;
}

// OK: drives the early-releasing normaliser
void au_normalise(void) {
  au_resampler r;
  if (au_init(&r, 1.0) != 0)
    return;
  ts_tensor *x = au_sine(0.7, 3);
  ts_tensor *y = au_normalise_pooled(&r, x);
  ts_free(y);
  ts_free(x);
  au_destroy(&r);
}

// BUG: double-free: the buffer is released to the pool and the pool's owner also frees it
void au_release_then_free(void) {
  au_resampler r;
  if (au_init(&r, 1.0) != 0)
    return;
  ts_tensor *buf = ts_zeros(TS_SHAPE(1, AU_FRAME), TS_FLOAT32);
  ts_pool_release(r.pool, buf);
  ts_free(buf); // <- BUG
  au_destroy(&r);
}

// OK: overlap-add of low-passed frames into an output escaped from each iteration
void au_overlap_add(void) {
  au_resampler r;
  if (au_init(&r, 1.0) != 0)
    return;
  ts_tensor *out = ts_zeros(TS_SHAPE(1, AU_FRAME), TS_FLOAT32);
  ts_tensor *frames[3];
  for (int f = 0; f < 3; f++)
    frames[f] = au_sine(0.2, f * 4);
  TS_SCOPE for (int f = 0; f < 3; f++) {
    ts_tensor *y = ts_mul_scalar(au_lowpass(&r, frames[f]), 0.5);
    ts_tensor *next = ts_add(out, y);
    ts_free(out);
    out = ts_escape(next);
  }
  TS_SCOPE { printf("audio: ola %.3f\n", ts_item(ts_sum(out))); }
  ts_free(out);
  for (int f = 0; f < 3; f++)
    ts_free(frames[f]);
  au_destroy(&r);
}

// BUG: use-after-scope: the overlap-add output is replaced by an unescaped per-iteration sum
void au_overlap_add_noescape(void) {
  au_resampler r;
  if (au_init(&r, 1.0) != 0)
    return;
  ts_tensor *out = ts_zeros(TS_SHAPE(1, AU_FRAME), TS_FLOAT32);
  ts_tensor *fr = au_sine(0.2, 0);
  TS_SCOPE for (int f = 0; f < 2; f++) {
    ts_tensor *next = ts_add(out, au_lowpass(&r, fr)); // <- BUG
    if (f == 0)
      ts_free(out);
    out = next;
  }
  ts_free(fr);
  au_destroy(&r);
}

// BUG: unescaped-return: the gain-adjusted frame leaves the TS_SCOPED function unescaped
TS_SCOPED static ts_tensor *au_apply_gain(const ts_tensor *x, double db) {
  double g = pow(10.0, db / 20.0);
  ts_tensor *y = ts_clamp(ts_mul_scalar(x, g), -1.0, 1.0);
  return y; // <- BUG
}

// OK: reads the gained frame (the helper's bug)
void au_gain(void) {
  ts_tensor *x = au_sine(0.3, 0);
  ts_tensor *y = au_apply_gain(x, 6.0);
  float v[AU_FRAME];
  ts_copy_to_buffer(y, v, sizeof v);
  printf("audio: %.3f\n", v[1]);
  ts_free(y);
  ts_free(x);
}

// OK: the gain with its result escaped
TS_SCOPED static ts_tensor *au_apply_gain_ok(const ts_tensor *x, double db) {
  double g = pow(10.0, db / 20.0);
  return ts_escape(ts_clamp(ts_mul_scalar(x, g), -1.0, 1.0));
}

// OK: caller of the escaping gain, through the global pool for a scratch copy
void au_gain_ok(void) {
  ts_tensor *x = au_sine(0.3, 0);
  ts_tensor *y = au_apply_gain_ok(x, -3.0);
  ts_tensor *scratch = ts_pool_acquire(ts_global_pool(), TS_SHAPE(1, AU_FRAME), TS_FLOAT32);
  if (scratch) {
    ts_copy_(scratch, y, false);
    ts_pool_release(ts_global_pool(), scratch);
  }
  ts_free(y);
  ts_free(x);
}

// BUG: double-free: the kernel is swapped for a longer one, the old one freed twice on the mismatch path
static int au_set_kernel(au_resampler *r, const float *k, int taps) {
  ts_tensor *nk = ts_from_buffer(k, TS_SHAPE(taps), TS_FLOAT32);
  if (!nk)
    return -1;
  ts_tensor *old = r->kernel;
  r->kernel = nk;
  ts_free(old);
  if (taps != AU_TAPS) {
    ts_free(old); // <- BUG
    r->kernel = NULL;
    ts_free(nk);
    return -1;
  }
  return 0;
}

// OK: drives the kernel swap with a wrong tap count
void au_kernel_swap(void) {
  au_resampler r;
  if (au_init(&r, 1.0) != 0)
    return;
  const float k5[5] = {0.1f, 0.2f, 0.4f, 0.2f, 0.1f};
  if (au_set_kernel(&r, k5, 5) != 0)
    printf("audio: kernel refused\n");
  au_destroy(&r);
}
