/* heldout2_pyramid.c - Gaussian and Laplacian image pyramids: levels in
 * arrays, downsampling by average pooling, bilinear upsampling,
 * reconstruction, blending of two images, per-level normalisation.
 * Labels: tests/realistic/README.md. */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define LEVELS 3
#define SIDE 16

// OK: half the resolution, a new tensor
static ts_tensor *down(const ts_tensor *x) {
  return ts_avg_pool2d(x, TS_SHAPE(2, 2), TS_SHAPE(2, 2), TS_SHAPE(0, 0), false,
                       true, TS_NO_INT);
}

// OK: up to h x w, a new tensor
static ts_tensor *up(const ts_tensor *x, int64_t h, int64_t w) {
  return ts_upsample_bilinear2d(x, TS_SHAPE(h, w), false, TS_NO_FLOAT,
                                TS_NO_FLOAT);
}

// OK: the Gaussian pyramid of x: level 0 is a copy, each next level is made
// from the one before; all levels are the caller's
static int gauss_pyramid(const ts_tensor *x, ts_tensor **lv, int n) {
  lv[0] = ts_clone(x);
  for (int i = 1; i < n; i++)
    lv[i] = down(lv[i - 1]);
  return n;
}

// OK: frees n levels
static void pyr_free(ts_tensor **lv, int n) {
  for (int i = 0; i < n; i++)
    ts_free(lv[i]);
}

// BUG: leak: each band is the level minus the upsampled next level, and the
// upsampled tensor is made inline and never freed
static void laplacian(const ts_tensor *x, ts_tensor **lap, int n) {
  ts_tensor *g[LEVELS];
  gauss_pyramid(x, g, n);
  for (int i = 0; i + 1 < n; i++)
    lap[i] = ts_sub(g[i],
                    up(g[i + 1], ts_size(g[i], 2), ts_size(g[i], 3))); // <- BUG
  lap[n - 1] = ts_clone(g[n - 1]);
  pyr_free(g, n);
}

// OK: the same bands with the upsampled level freed
static void laplacian_ok(const ts_tensor *x, ts_tensor **lap, int n) {
  ts_tensor *g[LEVELS];
  gauss_pyramid(x, g, n);
  for (int i = 0; i + 1 < n; i++) {
    ts_tensor *u = up(g[i + 1], ts_size(g[i], 2), ts_size(g[i], 3));
    lap[i] = ts_sub(g[i], u);
    ts_free(u);
  }
  lap[n - 1] = ts_clone(g[n - 1]);
  pyr_free(g, n);
}

// OK: rebuilds the image from its bands; every intermediate freed
static ts_tensor *reconstruct(ts_tensor **lap, int n) {
  ts_tensor *cur = ts_clone(lap[n - 1]);
  for (int i = n - 2; i >= 0; i--) {
    ts_tensor *u = up(cur, ts_size(lap[i], 2), ts_size(lap[i], 3));
    ts_free(cur);
    cur = ts_add(u, lap[i]);
    ts_free(u);
  }
  return cur;
}

// BUG: use-after-free: the upsampled image is freed before it is added to the
// band
static ts_tensor *reconstruct_fast(ts_tensor **lap, int n) {
  ts_tensor *cur = ts_clone(lap[n - 1]);
  for (int i = n - 2; i >= 0; i--) {
    ts_tensor *u = up(cur, ts_size(lap[i], 2), ts_size(lap[i], 3));
    ts_free(cur);
    ts_free(u);
    cur = ts_add(u, lap[i]); // <- BUG
  }
  return cur;
}

// OK: bands and reconstruction, both ways (laplacian leaks by itself)
void pyr_roundtrip(void) {
  ts_tensor *img = ts_rand(TS_SHAPE(1, 1, SIDE, SIDE), TS_FLOAT32);
  ts_tensor *lap[LEVELS], *lap2[LEVELS];
  laplacian(img, lap, LEVELS);
  laplacian_ok(img, lap2, LEVELS);
  ts_tensor *r = reconstruct(lap2, LEVELS);
  ts_tensor *err = ts_mse_loss(r, img);
  printf("roundtrip error %.2e\n", ts_item(err));
  ts_free(err);
  ts_free(r);
  pyr_free(lap2, LEVELS);
  pyr_free(lap, LEVELS);
  ts_free(img);
}

// OK: drives reconstruct_fast (its bug is its own)
void pyr_roundtrip_fast(void) {
  ts_tensor *img = ts_rand(TS_SHAPE(1, 1, SIDE, SIDE), TS_FLOAT32);
  ts_tensor *lap[LEVELS];
  laplacian_ok(img, lap, LEVELS);
  ts_tensor *r = reconstruct_fast(lap, LEVELS);
  ts_free(r);
  pyr_free(lap, LEVELS);
  ts_free(img);
}

// BUG: double-free: level 0 is the input itself (no copy), so pyr_free frees
// the caller's image, which the caller frees again
void pyr_no_copy(void) {
  ts_tensor *img = ts_rand(TS_SHAPE(1, 1, SIDE, SIDE), TS_FLOAT32);
  ts_tensor *lv[LEVELS];
  lv[0] = img;
  for (int i = 1; i < LEVELS; i++)
    lv[i] = down(lv[i - 1]);
  printf("coarsest %lld\n", (long long)ts_size(lv[LEVELS - 1], 2));
  pyr_free(lv, LEVELS);
  ts_free(img); // <- BUG
}

// BUG: leak: blending frees the first image's pyramid and the result's
// bands, but not the second image's pyramid
void pyr_blend(void) {
  ts_tensor *a = ts_rand(TS_SHAPE(1, 1, SIDE, SIDE), TS_FLOAT32);
  ts_tensor *b = ts_rand(TS_SHAPE(1, 1, SIDE, SIDE), TS_FLOAT32);
  ts_tensor *la[LEVELS], *lb[LEVELS], *mix[LEVELS];
  laplacian_ok(a, la, LEVELS);
  laplacian_ok(b, lb, LEVELS); // <- BUG
  for (int i = 0; i < LEVELS; i++)
    mix[i] = ts_lerp_Scalar(la[i], lb[i], 0.5);
  ts_tensor *out = reconstruct(mix, LEVELS);
  printf("blend %lld\n", (long long)ts_numel(out));
  ts_free(out);
  pyr_free(mix, LEVELS);
  pyr_free(la, LEVELS);
  ts_free(b);
  ts_free(a);
}

// BUG: use-after-free: the coarsest level is kept by pointer and read after
// the pyramid is freed
void pyr_coarse_size(void) {
  ts_tensor *img = ts_rand(TS_SHAPE(1, 1, SIDE, SIDE), TS_FLOAT32);
  ts_tensor *lv[LEVELS];
  gauss_pyramid(img, lv, LEVELS);
  ts_tensor *coarse = lv[LEVELS - 1];
  pyr_free(lv, LEVELS);
  printf("coarse side %lld\n", (long long)ts_size(coarse, 2)); // <- BUG
  ts_free(img);
}

// BUG: double-free: the level normalised in place is the level itself; it is
// freed through its in-place result and again with the pyramid
void pyr_normalize(void) {
  ts_tensor *img = ts_full(TS_SHAPE(1, 1, SIDE, SIDE), TS_FLOAT32, 128.0);
  ts_tensor *lv[LEVELS];
  gauss_pyramid(img, lv, LEVELS);
  ts_tensor *n0 = ts_div_Scalar_(lv[0], 255.0);
  printf("normalised %lld\n", (long long)ts_numel(n0));
  ts_free(n0);
  pyr_free(lv, LEVELS); // <- BUG
  ts_free(img);
}

// OK: energy of each level in a scope of its own; only doubles leave
TS_SCOPED static double pyr_energy(ts_tensor **lv, int n) {
  double e = 0;
  for (int i = 0; i < n; i++)
    e += ts_item(ts_sum(ts_mul(lv[i], lv[i])));
  return e;
}

// BUG: use-after-scope: the pyramid is built inside a TS_SCOPE block and its
// levels are measured after the block
void pyr_scoped_build(void) {
  ts_tensor *img = ts_rand(TS_SHAPE(1, 1, SIDE, SIDE), TS_FLOAT32);
  ts_tensor *lv[LEVELS];
  TS_SCOPE { gauss_pyramid(img, lv, LEVELS); }
  printf("energy %.2f\n", pyr_energy(lv, LEVELS)); // <- BUG
  ts_free(img);
}

// OK: the same, measured inside the block
void pyr_scoped_build_ok(void) {
  ts_tensor *img = ts_rand(TS_SHAPE(1, 1, SIDE, SIDE), TS_FLOAT32);
  ts_tensor *lv[LEVELS];
  TS_SCOPE {
    gauss_pyramid(img, lv, LEVELS);
    printf("energy %.2f\n", pyr_energy(lv, LEVELS));
  }
  ts_free(img);
}
