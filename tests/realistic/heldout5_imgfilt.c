/* heldout5_imgfilt.c - an image filtering pipeline on small grey images:
 * Sobel gradients and edge magnitude with conv2d, a Gaussian pyramid of
 * blurred and decimated levels kept in a malloc'd array, histogram
 * equalisation through a host-side CDF, and a stage table of filters.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { H = 16, W = 16, BINS = 16, LEVELS = 3 };

struct image {
  ts_tensor *px; /* [1, 1, h, w], owned */
  int h, w;
};

struct pyramid {
  ts_tensor **levels; /* owned */
  int n;
};

typedef ts_tensor *(*filter_fn)(const ts_tensor *img);

// OK: a 3x3 kernel as a [1, 1, 3, 3] weight, manual
static ts_tensor *kernel3(const float k[9]) {
  return ts_from_buffer(k, TS_SHAPE(1, 1, 3, 3), TS_FLOAT32);
}

// OK: a same-size 3x3 convolution, no bias
static ts_tensor *conv3(const ts_tensor *img, const ts_tensor *k) {
  return ts_conv2d(img, k, NULL, TS_SHAPE(1, 1), TS_SHAPE(1, 1), TS_SHAPE(1, 1),
                   1);
}

// OK: a random test image; the struct owns the pixels
static struct image image_random(int h, int w) {
  struct image im = {ts_rand(TS_SHAPE(1, 1, h, w), TS_FLOAT32), h, w};
  return im;
}

// OK: frees the pixels and clears the handle
static void image_free(struct image *im) {
  if (im->px)
    ts_free(im->px);
  im->px = NULL;
}

// OK: Sobel x and y responses made in the caller's scope, the magnitude too
TS_CALLER_SCOPE static ts_tensor *sobel_magnitude(const ts_tensor *img) {
  static const float kx[9] = {-1, 0, 1, -2, 0, 2, -1, 0, 1};
  static const float ky[9] = {-1, -2, -1, 0, 0, 0, 1, 2, 1};
  ts_tensor *gx =
      conv3(img, ts_from_buffer(kx, TS_SHAPE(1, 1, 3, 3), TS_FLOAT32));
  ts_tensor *gy =
      conv3(img, ts_from_buffer(ky, TS_SHAPE(1, 1, 3, 3), TS_FLOAT32));
  return ts_sqrt(ts_add(ts_mul(gx, gx), ts_mul(gy, gy)));
}

// OK: manual Sobel: kernels and partial results freed; the magnitude returned
static ts_tensor *sobel_manual(const ts_tensor *img) {
  static const float kx[9] = {-1, 0, 1, -2, 0, 2, -1, 0, 1};
  ts_tensor *k = kernel3(kx);
  ts_tensor *kt = ts_transpose(k, 2, 3);
  ts_tensor *gx = conv3(img, k);
  ts_tensor *gy = conv3(img, kt);
  ts_free(k);
  ts_free(kt);
  ts_tensor *gx2 = ts_mul(gx, gx);
  ts_tensor *gy2 = ts_mul(gy, gy);
  ts_free(gx);
  ts_free(gy);
  ts_tensor *s = ts_add(gx2, gy2);
  ts_free(gx2);
  ts_free(gy2);
  ts_tensor *mag = ts_sqrt(s);
  ts_free(s);
  return mag;
}

// BUG: leak: the transposed kernel for the y direction is never freed
static ts_tensor *sobel_y(const ts_tensor *img) {
  static const float kx[9] = {-1, 0, 1, -2, 0, 2, -1, 0, 1};
  ts_tensor *k = kernel3(kx);
  ts_tensor *kt = ts_transpose(k, 2, 3); // <- BUG
  ts_free(k);
  ts_tensor *gy = conv3(img, kt);
  return gy;
}

// OK: the normalised 3x3 binomial blur kernel, manual
static ts_tensor *gauss_kernel(void) {
  static const float g[9] = {1, 2, 1, 2, 4, 2, 1, 2, 1};
  ts_tensor *k = kernel3(g);
  ts_tensor *n = ts_mul_scalar(k, 1.0 / 16);
  ts_free(k);
  return n;
}

// OK: blur then decimate by two with a stride-2 convolution
static ts_tensor *pyr_down(const ts_tensor *img) {
  ts_tensor *k = gauss_kernel();
  ts_tensor *d = ts_conv2d(img, k, NULL, TS_SHAPE(2, 2), TS_SHAPE(1, 1),
                           TS_SHAPE(1, 1), 1);
  ts_free(k);
  return d;
}

// OK: level 0 is a clone; each next level is made from the last; all owned by
// the array
static int pyramid_build(struct pyramid *p, const ts_tensor *img, int n) {
  p->levels = calloc((size_t)n, sizeof *p->levels);
  if (!p->levels)
    return -1;
  p->n = n;
  p->levels[0] = ts_clone(img);
  for (int i = 1; i < n; i++)
    p->levels[i] = pyr_down(p->levels[i - 1]);
  return 0;
}

// OK: frees each level once and the array
static void pyramid_free(struct pyramid *p) {
  for (int i = 0; i < p->n; i++)
    if (p->levels[i])
      ts_free(p->levels[i]);
  free(p->levels);
  p->levels = NULL;
  p->n = 0;
}

// BUG: double-free: level 0 is freed by hand and again by the loop
static void pyramid_free_twice(struct pyramid *p) {
  ts_free(p->levels[0]);
  for (int i = 0; i < p->n; i++)
    ts_free(p->levels[i]); // <- BUG
  free(p->levels);
  p->levels = NULL;
}

// OK: the coarsest level is handed to the caller and its slot cleared
static ts_tensor *pyramid_take_top(struct pyramid *p) {
  ts_tensor *top = p->levels[p->n - 1];
  p->levels[p->n - 1] = NULL;
  return top;
}

// BUG: use-after-free: the pyramid is freed while the caller still holds its
// top level
static double pyramid_top_mean(const ts_tensor *img) {
  struct pyramid p;
  if (pyramid_build(&p, img, LEVELS) != 0)
    return 0;
  ts_tensor *top = p.levels[LEVELS - 1];
  pyramid_free(&p);
  ts_tensor *m = ts_mean(top); // <- BUG
  double v = ts_item(m);
  ts_free(m);
  return v;
}

// OK: the host-side histogram and CDF; the equalised pixels come back as a new
// tensor
static ts_tensor *equalize(const ts_tensor *img, int h, int w) {
  float *buf = malloc(sizeof(float) * (size_t)(h * w));
  int hist[BINS] = {0};
  float cdf[BINS];
  if (!buf)
    return NULL;
  ts_copy_to_buffer(img, buf, sizeof(float) * (size_t)(h * w));
  for (int i = 0; i < h * w; i++) {
    int b = (int)(buf[i] * BINS);
    hist[b < 0 ? 0 : b >= BINS ? BINS - 1 : b]++;
  }
  float acc = 0;
  for (int b = 0; b < BINS; b++) {
    acc += (float)hist[b] / (float)(h * w);
    cdf[b] = acc;
  }
  for (int i = 0; i < h * w; i++) {
    int b = (int)(buf[i] * BINS);
    buf[i] = cdf[b < 0 ? 0 : b >= BINS ? BINS - 1 : b];
  }
  ts_tensor *out = ts_from_buffer(buf, TS_SHAPE(1, 1, h, w), TS_FLOAT32);
  free(buf);
  return out;
}

// BUG: leak: the early return for a full-range image loses the working copy
static ts_tensor *equalize_checked(const ts_tensor *img, int h, int w) {
  ts_tensor *lo = ts_min(img);
  ts_tensor *hi = ts_max(img);
  double span = ts_item(hi) - ts_item(lo);
  ts_free(lo);
  ts_free(hi);
  ts_tensor *c = ts_mul_scalar(img, 1.0); // <- BUG
  if (span > 0.9)
    return NULL; /* already spans the range: nothing to equalise */
  ts_tensor *out = equalize(c, h, w);
  ts_free(c);
  return out;
}

// OK: the blur stage returns its result; the kernel is freed
static ts_tensor *stage_blur(const ts_tensor *img) {
  ts_tensor *k = gauss_kernel();
  ts_tensor *out = conv3(img, k);
  ts_free(k);
  return out;
}

// OK: the edge stage returns the manual Sobel magnitude
static ts_tensor *stage_edges(const ts_tensor *img) {
  return sobel_manual(img);
}

// OK: a ReLU-thresholded copy: the in-place op returns the handle it was given
static ts_tensor *stage_threshold(const ts_tensor *img) {
  ts_tensor *t = ts_add_scalar(img, -0.5);
  ts_relu_(t);
  return t;
}

// OK: each stage's input is freed once the next one exists; the original is the
// caller's
static ts_tensor *run_stages(const ts_tensor *img, filter_fn *stages, int n) {
  ts_tensor *cur = ts_clone(img);
  for (int i = 0; i < n; i++) {
    ts_tensor *next = stages[i](cur);
    ts_free(cur);
    cur = next;
  }
  return cur;
}

// BUG: double-free: the last stage's input is freed in the loop and again after
// it
static ts_tensor *run_stages_bad(const ts_tensor *img, filter_fn *stages,
                                 int n) {
  ts_tensor *cur = ts_clone(img);
  ts_tensor *prev = NULL;
  for (int i = 0; i < n; i++) {
    prev = cur;
    cur = stages[i](prev);
    ts_free(prev);
  }
  if (prev)
    ts_free(prev); // <- BUG
  return cur;
}

// OK: edge energy in the function's scope; only the double leaves
TS_SCOPED static double edge_energy(const ts_tensor *img) {
  ts_tensor *mag = sobel_magnitude(img);
  return ts_item(ts_sum(mag));
}

// BUG: unescaped-return: the blurred level is owned by the function's scope
TS_SCOPED static ts_tensor *blur_twice(const ts_tensor *img) {
  ts_tensor *k = gauss_kernel();
  ts_tensor *once = conv3(img, k);
  ts_free(k);
  ts_tensor *k2 = ts_keep(gauss_kernel());
  ts_tensor *twice = ts_conv2d(once, k2, NULL, TS_SHAPE(1, 1), TS_SHAPE(1, 1),
                               TS_SHAPE(1, 1), 1);
  ts_free(k2);
  return twice; // <- BUG
}

// OK: the escaped blur survives the function's scope
TS_SCOPED static ts_tensor *blur_once(const ts_tensor *img) {
  ts_tensor *k = gauss_kernel();
  return ts_escape(conv3(img, k));
}

// OK: pipeline of stages; the final image is freed by the caller
void img5_pipeline(void) {
  filter_fn stages[3] = {stage_blur, stage_edges, stage_threshold};
  struct image im = image_random(H, W);
  ts_tensor *out = run_stages(im.px, stages, 3);
  printf("pipeline out %lld\n", (long long)ts_numel(out));
  ts_free(out);
  image_free(&im);
  image_free(&im);
}

// OK: drives the stage runner that frees the last input twice
void img5_pipeline_bad(void) {
  filter_fn stages[2] = {stage_blur, stage_threshold};
  struct image im = image_random(H, W);
  ts_tensor *out = run_stages_bad(im.px, stages, 2);
  ts_free(out);
  image_free(&im);
}

// OK: builds a pyramid, takes its top level out, frees the rest, then the top
void img5_pyramid(void) {
  struct image im = image_random(H, W);
  struct pyramid p;
  if (pyramid_build(&p, im.px, LEVELS) != 0) {
    image_free(&im);
    return;
  }
  ts_tensor *top = pyramid_take_top(&p);
  pyramid_free(&p);
  printf("top %lld x %lld\n", (long long)ts_size(top, 2),
         (long long)ts_size(top, 3));
  ts_free(top);
  image_free(&im);
}

// OK: drives pyramid_free_twice
void img5_pyramid_twice(void) {
  struct image im = image_random(H, W);
  struct pyramid p;
  pyramid_build(&p, im.px, 2);
  pyramid_free_twice(&p);
  image_free(&im);
}

// OK: drives pyramid_top_mean
void img5_top_mean(void) {
  struct image im = image_random(H, W);
  printf("top mean %.3f\n", pyramid_top_mean(im.px));
  image_free(&im);
}

// OK: Sobel through the caller-scope helper and the manual one, both cleaned up
void img5_sobel(void) {
  struct image im = image_random(H, W);
  TS_SCOPE {
    ts_tensor *a = sobel_magnitude(im.px);
    printf("sobel scoped %lld\n", (long long)ts_numel(a));
  }
  ts_tensor *b = sobel_manual(im.px);
  printf("edge energy %.3f\n", edge_energy(im.px));
  ts_free(b);
  image_free(&im);
}

// OK: drives sobel_y
void img5_sobel_y(void) {
  struct image im = image_random(H, W);
  ts_tensor *gy = sobel_y(im.px);
  ts_free(gy);
  image_free(&im);
}

// OK: equalisation of a random image; status of each step checked
void img5_equalize(void) {
  struct image im = image_random(H, W);
  ts_tensor *eq = equalize(im.px, H, W);
  if (!eq) {
    image_free(&im);
    return;
  }
  ts_tensor *m = ts_mean(eq);
  printf("equalised mean %.3f\n", ts_item(m));
  ts_free(m);
  ts_free(eq);
  image_free(&im);
}

// OK: a random image spans the range, so equalize_checked returns early
void img5_equalize_flat(void) {
  struct image im = image_random(H, W);
  ts_tensor *eq = equalize_checked(im.px, H, W);
  if (eq)
    ts_free(eq);
  image_free(&im);
}

// OK: uses and frees blur_twice's result
void img5_blur_twice(void) {
  struct image im = image_random(H, W);
  ts_tensor *b = blur_twice(im.px);
  printf("blur %lld\n", (long long)ts_numel(b));
  ts_free(b);
  image_free(&im);
}

// BUG: use-after-scope: a level made in a loop scope is read after the loop
void img5_levels_scoped(void) {
  struct image im = image_random(H, W);
  ts_tensor *last = NULL;
  for (int i = 0; i < 2; i++)
    TS_SCOPE {
      ts_tensor *b = blur_once(im.px);
      last = pyr_down(b);
    }
  printf("last level %lld\n", (long long)ts_numel(last)); // <- BUG
  image_free(&im);
}

// OK: per-level energies in loop scopes; the level kept past the loop is
// ts_keep'd
void img5_levels_kept(void) {
  struct image im = image_random(H, W);
  ts_tensor *last = NULL;
  for (int i = 0; i < 2; i++)
    TS_SCOPE {
      ts_tensor *b = blur_once(im.px);
      if (last)
        ts_free(last);
      last = ts_keep(pyr_down(b));
    }
  printf("last level %lld\n", (long long)ts_numel(last));
  ts_free(last);
  image_free(&im);
}

// BUG: leak: the blurred image of every iteration but the last is overwritten
void img5_blur_loop(void) {
  struct image im = image_random(H, W);
  ts_tensor *cur = NULL;
  for (int i = 0; i < 3; i++)
    cur = stage_blur(im.px); // <- BUG
  printf("blurred %lld\n", (long long)ts_numel(cur));
  ts_free(cur);
  image_free(&im);
}

// BUG: use-after-free: the thresholded image is freed, then its alias is
// measured
void img5_threshold_alias(void) {
  struct image im = image_random(H, W);
  ts_tensor *t = stage_threshold(im.px);
  ts_tensor *view = t;
  ts_free(t);
  ts_tensor *m = ts_mean(view); // <- BUG
  ts_free(m);
  image_free(&im);
}
