/* heldout3_filters.c - image filters by hand on [1,1,H,W] images: Gaussian
 * and box blurs through conv2d and avg_pool2d, Sobel edges, unsharp
 * masking, a median filter from unfolded patches, histogram equalisation,
 * Otsu thresholds, a filter bank in a struct and a pipeline of filters
 * through function pointers.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { H = 16, W = 16, NBANK = 3, BINS = 16 };

struct bank {
  ts_tensor *k[NBANK];
};

typedef ts_tensor *(*filter_fn)(ts_tensor *img);

// OK: prints an image statistic from a guard scope
static void stat(const char *what, const ts_tensor *img) {
  TS_SCOPE_GUARD();
  printf("%s mean %.4f max %.4f\n", what, ts_item(ts_mean(img)),
         ts_item(ts_max(img)));
}

// OK: a random image in [0,1)
static ts_tensor *make_image(void) {
  return ts_rand(TS_SHAPE(1, 1, H, W), TS_FLOAT32);
}

// OK: a normalised Gaussian kernel [1,1,k,k] from an outer product
static ts_tensor *gaussian_kernel(double sigma, int k) {
  ts_tensor *x = ts_arange(-(k / 2), k / 2 + 1, 1.0, TS_FLOAT32);
  ts_tensor *x2 = ts_mul(x, x);
  ts_free(x);
  ts_tensor *g = ts_mul_scalar(x2, -0.5 / (sigma * sigma));
  ts_free(x2);
  ts_exp_(g);
  ts_tensor *g2 = ts_outer(g, g);
  ts_free(g);
  ts_tensor *s = ts_sum(g2);
  ts_div_Tensor_(g2, s);
  ts_free(s);
  ts_tensor *out = ts_reshape(g2, TS_SHAPE(1, 1, k, k));
  ts_free(g2);
  return out;
}

// OK: same-size convolution with a square kernel
static ts_tensor *conv_same(const ts_tensor *img, const ts_tensor *k) {
  int64_t pad = ts_size(k, 2) / 2;
  return ts_conv2d(img, k, NULL, TS_SHAPE(1, 1), TS_SHAPE(pad, pad),
                   TS_SHAPE(1, 1), 1);
}

// OK: Gaussian blur, the kernel freed here
static ts_tensor *blur(const ts_tensor *img, double sigma) {
  ts_tensor *k = gaussian_kernel(sigma, 5);
  ts_tensor *out = conv_same(img, k);
  ts_free(k);
  return out;
}

// OK: blur and print
void flt_blur(void) {
  ts_tensor *img = make_image();
  ts_tensor *b = blur(img, 1.0);
  stat("blur", b);
  ts_free(b);
  ts_free(img);
}

static const float SOBEL_X[9] = {-1, 0, 1, -2, 0, 2, -1, 0, 1};
static const float SOBEL_Y[9] = {-1, -2, -1, 0, 0, 0, 1, 2, 1};

// OK: the Sobel gradient magnitude; kernels and partials freed
static ts_tensor *sobel(const ts_tensor *img) {
  ts_tensor *kx = ts_from_buffer(SOBEL_X, TS_SHAPE(1, 1, 3, 3), TS_FLOAT32);
  ts_tensor *ky = ts_from_buffer(SOBEL_Y, TS_SHAPE(1, 1, 3, 3), TS_FLOAT32);
  ts_tensor *gx = conv_same(img, kx);
  ts_tensor *gy = conv_same(img, ky);
  ts_free(kx);
  ts_free(ky);
  ts_mul_Tensor_(gx, gx);
  ts_addcmul_(gx, gy, gy, 1.0);
  ts_free(gy);
  ts_sqrt_(gx);
  return gx;
}

// BUG: leak: the vertical kernel is never freed in this variant
static ts_tensor *sobel_l1(const ts_tensor *img) {
  ts_tensor *kx = ts_from_buffer(SOBEL_X, TS_SHAPE(1, 1, 3, 3), TS_FLOAT32);
  ts_tensor *ky =
      ts_from_buffer(SOBEL_Y, TS_SHAPE(1, 1, 3, 3), TS_FLOAT32); // <- BUG
  ts_tensor *gx = conv_same(img, kx);
  ts_free(kx);
  ts_tensor *gy = conv_same(img, ky);
  ts_abs_(gx);
  ts_abs_(gy);
  ts_add_Tensor_(gx, gy, 1.0);
  ts_free(gy);
  return gx;
}

// OK: both edge maps (the L1 one leaks a kernel)
void flt_edges(void) {
  ts_tensor *img = make_image();
  ts_tensor *e2 = sobel(img);
  ts_tensor *e1 = sobel_l1(img);
  stat("sobel l2", e2);
  stat("sobel l1", e1);
  ts_free(e1);
  ts_free(e2);
  ts_free(img);
}

// OK: unsharp mask img + amount (img - blur)
static ts_tensor *unsharp(const ts_tensor *img, double amount) {
  ts_tensor *b = blur(img, 1.5);
  ts_tensor *detail = ts_sub(img, b);
  ts_free(b);
  ts_tensor *out = ts_add_Tensor(img, detail, amount);
  ts_free(detail);
  ts_clamp_(out, 0.0, 1.0);
  return out;
}

// OK: a 3x3 median from unfolded patches and a sort
static ts_tensor *median3(const ts_tensor *img) {
  ts_tensor *pad = ts_constant_pad_nd(img, TS_SHAPE(1, 1, 1, 1), 0.0);
  ts_tensor *rows = ts_unfold(pad, 2, 3, 1);
  ts_free(pad);
  ts_tensor *patches = ts_unfold(rows, 3, 3, 1); /* [1,1,H,W,3,3] */
  ts_free(rows);
  ts_tensor *flat = ts_flatten_using_ints(patches, 4, 5);
  ts_free(patches);
  ts_tensor *srt[2];
  if (ts_sort(srt, flat, 4, false) != TS_OK) {
    ts_free(flat);
    return NULL;
  }
  ts_free(flat);
  ts_free(srt[1]);
  ts_tensor *med = ts_select_int(srt[0], 4, 4);
  ts_free(srt[0]);
  return med;
}

// OK: unsharp and median, each freed
void flt_sharpen_denoise(void) {
  ts_tensor *img = make_image();
  ts_tensor *s = unsharp(img, 0.7);
  ts_tensor *m = median3(s);
  if (m) {
    stat("median", m);
    ts_free(m);
  }
  ts_free(s);
  ts_free(img);
}

// OK: histogram equalisation: pixel bins looked up in the normalised
// cumulative histogram
static ts_tensor *equalise(const ts_tensor *img) {
  ts_tensor *hist = ts_histc(img, BINS, 0.0, 1.0);
  ts_tensor *cdf = ts_cumsum(hist, 0, TS_NO_DTYPE);
  ts_free(hist);
  ts_div_Scalar_(cdf, (double)ts_numel(img));
  ts_tensor *scaled = ts_mul_scalar(img, BINS - 1);
  ts_tensor *bins = ts_to_dtype(scaled, TS_INT64, false, false);
  ts_free(scaled);
  ts_tensor *flat = ts_reshape(bins, TS_SHAPE(-1));
  ts_free(bins);
  ts_tensor *vals = ts_index_select(cdf, 0, flat);
  ts_free(flat);
  ts_free(cdf);
  ts_tensor *out = ts_reshape(vals, TS_SHAPE(1, 1, H, W));
  ts_free(vals);
  return out;
}

// OK: equalises a dark image
void flt_equalise(void) {
  ts_tensor *img = make_image();
  ts_mul_Scalar_(img, 0.3);
  ts_tensor *eq = equalise(img);
  stat("equalised", eq);
  ts_free(eq);
  ts_free(img);
}

// BUG: use-after-free: the cumulative histogram is freed with the other
// temporaries before the lookup
static ts_tensor *equalise_lowmem(const ts_tensor *img) {
  ts_tensor *hist = ts_histc(img, BINS, 0.0, 1.0);
  ts_tensor *cdf = ts_cumsum(hist, 0, TS_NO_DTYPE);
  ts_free(hist);
  ts_div_Scalar_(cdf, (double)ts_numel(img));
  ts_tensor *scaled = ts_mul_scalar(img, BINS - 1);
  ts_tensor *bins = ts_to_dtype(scaled, TS_INT64, false, false);
  ts_free(scaled);
  ts_tensor *flat = ts_reshape(bins, TS_SHAPE(-1));
  ts_free(bins);
  ts_free(cdf);
  ts_tensor *vals = ts_index_select(cdf, 0, flat); // <- BUG
  ts_free(flat);
  ts_tensor *out = ts_reshape(vals, TS_SHAPE(1, 1, H, W));
  ts_free(vals);
  return out;
}

// OK: drives the low-memory equalisation (the helper is wrong)
void flt_equalise_lowmem(void) {
  ts_tensor *img = make_image();
  ts_tensor *eq = equalise_lowmem(img);
  ts_free(eq);
  ts_free(img);
}

// OK: Otsu's threshold over BINS candidates; each candidate's masks freed,
// empty classes skipped after freeing
static double otsu(const ts_tensor *img) {
  double best_t = 0.5, best_var = -1.0;
  ts_tensor *flat = ts_reshape(img, TS_SHAPE(-1));
  for (int b = 1; b < BINS; b++) {
    double t = (double)b / BINS;
    ts_tensor *lo = ts_lt_Scalar(flat, t);
    ts_tensor *cnt = ts_sum(lo);
    double n0 = ts_item(cnt);
    ts_free(cnt);
    double n1 = (double)ts_numel(flat) - n0;
    if (n0 == 0 || n1 == 0) {
      ts_free(lo);
      continue;
    }
    ts_tensor *masked = ts_mul(flat, lo);
    ts_tensor *s0 = ts_sum(masked);
    ts_free(masked);
    ts_tensor *all = ts_sum(flat);
    double m0 = ts_item(s0) / n0, m1 = (ts_item(all) - ts_item(s0)) / n1;
    ts_free(all);
    ts_free(s0);
    ts_free(lo);
    double v = n0 * n1 * (m0 - m1) * (m0 - m1);
    if (v > best_var) {
      best_var = v;
      best_t = t;
    }
  }
  ts_free(flat);
  return best_t;
}

// OK: binarises at Otsu's threshold
void flt_otsu(void) {
  ts_tensor *img = make_image();
  double t = otsu(img);
  ts_tensor *bin = ts_gt_Scalar(img, t);
  ts_tensor *f = ts_to_dtype(bin, TS_FLOAT32, false, false);
  ts_free(bin);
  stat("binary", f);
  ts_free(f);
  ts_free(img);
}

// BUG: leak: a threshold with an empty class is skipped and its mask is lost
static double otsu_coarse(const ts_tensor *img, int bins) {
  double best_t = 0.5, best_var = -1.0;
  for (int b = 0; b <= bins; b++) {
    double t = (double)b / bins;
    ts_tensor *lo = ts_lt_Scalar(img, t); // <- BUG
    ts_tensor *cnt = ts_sum(lo);
    double n0 = ts_item(cnt);
    ts_free(cnt);
    double n1 = (double)ts_numel(img) - n0;
    if (n0 == 0 || n1 == 0)
      continue;
    double v = n0 * n1;
    ts_free(lo);
    if (v > best_var) {
      best_var = v;
      best_t = t;
    }
  }
  return best_t;
}

// OK: the coarse threshold (the helper leaks at t = 0 and t = 1)
void flt_otsu_coarse(void) {
  ts_tensor *img = make_image();
  printf("coarse t %.3f\n", otsu_coarse(img, 4));
  ts_free(img);
}

// OK: takes a kernel into slot i, freeing the one it replaces
static void bank_set(struct bank *b, int i, ts_tensor *k) {
  if (b->k[i])
    ts_free(b->k[i]);
  b->k[i] = k;
}

// OK: frees every kernel of the bank
static void bank_free(struct bank *b) {
  for (int i = 0; i < NBANK; i++)
    if (b->k[i])
      ts_free(b->k[i]);
}

// OK: responses of a bank of three blurs, stacked
void flt_bank(void) {
  struct bank b = {{NULL}};
  for (int i = 0; i < NBANK; i++)
    bank_set(&b, i, gaussian_kernel(0.5 + i, 5));
  bank_set(&b, 0, gaussian_kernel(0.8, 5));
  ts_tensor *img = make_image();
  ts_tensor *resp[NBANK];
  for (int i = 0; i < NBANK; i++)
    resp[i] = conv_same(img, b.k[i]);
  ts_tensor *all = ts_cat((const ts_tensor *const *)resp, NBANK, 1);
  for (int i = 0; i < NBANK; i++)
    ts_free(resp[i]);
  stat("bank", all);
  ts_free(all);
  ts_free(img);
  bank_free(&b);
}

// BUG: double-free: one kernel is put into two slots, and the teardown frees
// each slot
void flt_bank_shared(void) {
  struct bank b = {{NULL}};
  ts_tensor *g = gaussian_kernel(1.0, 5);
  bank_set(&b, 0, g);
  bank_set(&b, 1, g);
  bank_set(&b, 2, gaussian_kernel(2.0, 5));
  ts_tensor *img = make_image();
  ts_tensor *r = conv_same(img, b.k[2]);
  stat("shared bank", r);
  ts_free(r);
  ts_free(img);
  bank_free(&b); // <- BUG
}

// BUG: use-after-scope: edge maps at several scales are stored from the
// scoped loop and combined after it
void flt_multiscale_edges(void) {
  ts_tensor *img = make_image();
  ts_tensor *edges[3];
  TS_SCOPE for (int s = 0; s < 3; s++) {
    ts_tensor *b = blur(img, 0.5 * (s + 1));
    edges[s] = sobel(b);
  }
  ts_tensor *sum = ts_add(edges[0], edges[1]); // <- BUG
  ts_free(sum);
  ts_free(img);
}

// OK: the same with the maps escaped and freed by hand
void flt_multiscale_edges_ok(void) {
  ts_tensor *img = make_image();
  ts_tensor *edges[3];
  TS_SCOPE for (int s = 0; s < 3; s++) {
    ts_tensor *b = blur(img, 0.5 * (s + 1));
    edges[s] = ts_escape(sobel(b));
  }
  ts_tensor *sum = ts_add(edges[0], edges[1]);
  ts_add_Tensor_(sum, edges[2], 1.0);
  stat("multiscale", sum);
  ts_free(sum);
  for (int s = 0; s < 3; s++)
    ts_free(edges[s]);
  ts_free(img);
}

// OK: min-max normalisation escaped from the guard scope
static ts_tensor *normalise(const ts_tensor *img) {
  TS_SCOPE_GUARD();
  ts_tensor *lo = ts_min(img);
  ts_tensor *span = ts_sub(ts_max(img), lo);
  ts_tensor *out = ts_div(ts_sub(img, lo), ts_add_scalar(span, 1e-8));
  return ts_escape(out);
}

// BUG: unescaped-return: the standardised image is returned out of the
// guard scope without ts_escape
static ts_tensor *standardise(const ts_tensor *img) {
  TS_SCOPE_GUARD();
  ts_tensor *sm[2];
  ts_std_mean(sm, img, true);
  ts_tensor *c = ts_sub(img, sm[1]);
  return ts_div(c, sm[0]); // <- BUG
}

// OK: normalised image (the standardised one is the helper's bug)
void flt_normalise(void) {
  ts_tensor *img = make_image();
  ts_tensor *n = normalise(img);
  stat("normalised", n);
  ts_free(n);
  ts_free(img);
}

// OK: uses the standardised image as if escaped (the helper is wrong)
void flt_standardise(void) {
  ts_tensor *img = make_image();
  ts_tensor *z = standardise(img);
  stat("standardised", z);
  ts_free(z);
  ts_free(img);
}

// OK: filters for the pipeline: each returns a new image
static ts_tensor *f_blur(ts_tensor *img) { return blur(img, 1.0); }
// OK: an unsharp stage
static ts_tensor *f_sharpen(ts_tensor *img) { return unsharp(img, 0.5); }
// OK: gamma correction in place: returns the image it was given
static ts_tensor *f_gamma(ts_tensor *img) {
  ts_clamp_min_(img, 0.0);
  ts_sqrt_(img);
  return img;
}

// OK: runs stages; a stage returning its input (in place) is not freed
static ts_tensor *run_pipeline(ts_tensor *img, const filter_fn *stages, int n) {
  ts_tensor *cur = img;
  for (int i = 0; i < n; i++) {
    ts_tensor *next = stages[i](cur);
    if (next != cur && cur != img)
      ts_free(cur);
    cur = next;
  }
  return cur;
}

// OK: blur, gamma, sharpen
void flt_pipeline(void) {
  const filter_fn stages[] = {f_blur, f_gamma, f_sharpen};
  ts_tensor *img = make_image();
  ts_tensor *out = run_pipeline(img, stages, 3);
  stat("pipeline", out);
  if (out != img)
    ts_free(out);
  ts_free(img);
}

// BUG: use-after-free: the loop frees the previous image even when the
// stage worked in place and returned it, and the next stage reads it
static ts_tensor *run_pipeline_naive(ts_tensor *img, const filter_fn *stages,
                                     int n) {
  ts_tensor *cur = ts_clone(img);
  for (int i = 0; i < n; i++) {
    ts_tensor *next = stages[i](cur);
    ts_free(cur); // <- BUG
    cur = next;
  }
  return cur;
}

// OK: a pipeline with an in-place stage first (the runner is wrong)
void flt_pipeline_naive(void) {
  const filter_fn stages[] = {f_gamma, f_blur};
  ts_tensor *img = make_image();
  ts_tensor *out = run_pipeline_naive(img, stages, 2);
  ts_free(out);
  ts_free(img);
}

// OK: a box blur through avg_pool2d with stride 1
void flt_box(void) {
  ts_tensor *img = make_image();
  ts_tensor *box = ts_avg_pool2d(img, TS_SHAPE(3, 3), TS_SHAPE(1, 1),
                                 TS_SHAPE(1, 1), false, true, TS_NO_INT);
  stat("box", box);
  ts_free(box);
  ts_free(img);
}

// BUG: leak: the blurred image used for the difference is never freed
void flt_dog(void) {
  ts_tensor *img = make_image();
  ts_tensor *b1 = blur(img, 1.0);
  ts_tensor *b2 = blur(img, 2.0); // <- BUG
  ts_sub_Tensor_(b1, b2, 1.0);
  stat("difference of gaussians", b1);
  ts_free(b1);
  ts_free(img);
}

// BUG: double-free: the kernel is freed after the first convolution and
// again at the end
void flt_kernel_twice(void) {
  ts_tensor *img = make_image();
  ts_tensor *k = gaussian_kernel(1.0, 3);
  ts_tensor *a = conv_same(img, k);
  ts_free(k);
  stat("once", a);
  ts_free(a);
  ts_free(k); // <- BUG
  ts_free(img);
}

// BUG: use-after-free: the image is freed before the second filter reads it
void flt_image_freed(void) {
  ts_tensor *img = make_image();
  ts_tensor *e = sobel(img);
  ts_free(img);
  ts_tensor *m = median3(img); // <- BUG
  if (m)
    ts_free(m);
  ts_free(e);
}

// BUG: leak: the equalised image replaces the input variable, and the
// input is lost
void flt_equalise_replace(void) {
  ts_tensor *img = make_image();
  img = equalise(img); // <- BUG
  stat("equalised", img);
  ts_free(img);
}

// BUG: use-after-free: an in-place stage returns its input, which the loop
// already freed as the previous image
void flt_gamma_chain(void) {
  ts_tensor *cur = make_image();
  for (int i = 0; i < 2; i++) {
    ts_tensor *next = f_gamma(cur);
    ts_free(cur);
    cur = next;
  }
  stat("gamma", cur); // <- BUG
}
