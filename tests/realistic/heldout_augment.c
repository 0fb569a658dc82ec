/*
 * heldout_augment.c - an image-augmentation pipeline over [N, C, H, W]
 * batches: flips, brightness jitter, crops, normalisation, mixup, random
 * erasing, a table of transforms. Held-out corpus (README.md).
 *
 * Labels: `// OK: why` or `// BUG: check: why` before each function; the
 * line of the bug ends in `// <- BUG`.
 */
#include <stdio.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define NB 4
#define CH 3
#define HW 8

typedef ts_tensor *(*transform_fn)(const ts_tensor *img);

// OK: a new flipped image for the caller
static ts_tensor *aug_hflip(const ts_tensor *img) {
  return ts_flip(img, TS_SHAPE(3));
}

// OK: brightness jitter that consumes its input: the caller's image is
// replaced by the result
static ts_tensor *aug_jitter(ts_tensor *img, double factor) {
  ts_tensor *out = ts_mul_scalar(img, factor);
  ts_free(img);
  return out;
}

// OK: normalises in place and returns the handle it was given
static ts_tensor *aug_normalize_(ts_tensor *img) {
  ts_add_Scalar_(img, -0.5, 1.0);
  ts_div_Scalar_(img, 0.25);
  return img;
}

// OK: a centre crop through two narrowed views; the first view is freed,
// the second (which keeps the storage alive) goes to the caller
static ts_tensor *aug_center_crop(const ts_tensor *img, int border) {
  ts_tensor *rows = ts_narrow(img, 2, border, HW - 2 * border);
  if (!rows)
    return NULL;
  ts_tensor *crop = ts_narrow(rows, 3, border, HW - 2 * border);
  ts_free(rows);
  return crop;
}

// OK: jitter replaces x, normalisation keeps it, flip and crop make new
// images, each freed once
void aug_pipeline(void) {
  ts_manual_seed(7);
  ts_tensor *x = ts_rand(TS_SHAPE(NB, CH, HW, HW), TS_FLOAT32);
  x = aug_jitter(x, 1.1);
  x = aug_normalize_(x);
  ts_tensor *flipped = aug_hflip(x);
  ts_free(x);
  ts_tensor *crop = aug_center_crop(flipped, 2);
  ts_free(flipped);
  printf("crop %lld values\n", (long long)ts_numel(crop));
  ts_free(crop);
}

// BUG: use-after-free: the jitter helper consumed img, which is read
// afterwards
void aug_brightness_report(void) {
  ts_tensor *img = ts_rand(TS_SHAPE(1, CH, HW, HW), TS_FLOAT32);
  ts_tensor *bright = aug_jitter(img, 1.5);
  ts_tensor *before = ts_mean(img); // <- BUG
  ts_tensor *after = ts_mean(bright);
  printf("%f -> %f\n", ts_item(before), ts_item(after));
  ts_free(before);
  ts_free(after);
  ts_free(bright);
}

// BUG: double-free: img was consumed by the jitter helper and is freed
// again
void aug_darken(void) {
  ts_tensor *img = ts_rand(TS_SHAPE(1, CH, HW, HW), TS_FLOAT32);
  ts_tensor *dark = aug_jitter(img, 0.5);
  printf("dark %lld\n", (long long)ts_numel(dark));
  ts_free(dark);
  ts_free(img); // <- BUG
}

// BUG: leak: the flipped image made inside the call is never freed
void aug_flip_and_crop(void) {
  ts_tensor *x = ts_rand(TS_SHAPE(NB, CH, HW, HW), TS_FLOAT32);
  ts_tensor *out = aug_center_crop(aug_hflip(x), 1); // <- BUG
  printf("%lld\n", (long long)ts_size(out, 3));
  ts_free(out);
  ts_free(x);
}

// OK: a table of transforms, each result replaces the current image; the
// caller's input is never freed here (cur == in only before the first
// step)
static ts_tensor *aug_apply_all(const ts_tensor *in, const transform_fn *fns,
                                int n) {
  const ts_tensor *cur = in;
  ts_tensor *owned = NULL;
  for (int i = 0; i < n; i++) {
    ts_tensor *next = fns[i](cur);
    if (!next)
      break;
    if (owned)
      ts_free(owned);
    owned = next;
    cur = next;
  }
  return owned ? owned : ts_clone(in);
}

// OK: a new tensor for the table
static ts_tensor *aug_gray(const ts_tensor *img) {
  return ts_mean_dim(img, TS_SHAPE(1), true, TS_NO_DTYPE);
}

// OK: runs the table; the result and the input are freed
void aug_table(void) {
  const transform_fn fns[] = {aug_hflip, aug_gray, aug_hflip};
  ts_tensor *x = ts_rand(TS_SHAPE(NB, CH, HW, HW), TS_FLOAT32);
  ts_tensor *y = aug_apply_all(x, fns, 3);
  printf("channels %lld\n", (long long)ts_size(y, 1));
  ts_free(y);
  ts_free(x);
}

// BUG: leak: a lambda out of range returns without freeing the permutation
static ts_tensor *aug_mixup(const ts_tensor *x, double lam) {
  ts_tensor *perm = ts_randperm(NB, TS_INT64, NULL);
  if (lam < 0.0 || lam > 1.0)
    return NULL; // <- BUG
  ts_tensor *shuffled = ts_index_select(x, 0, perm);
  ts_free(perm);
  ts_tensor *mixed = ts_lerp_Scalar(shuffled, x, lam);
  ts_free(shuffled);
  return mixed;
}

// OK: drives mixup with a good and a bad lambda (the helper leaks on the
// bad one)
void aug_mixup_driver(void) {
  ts_tensor *x = ts_rand(TS_SHAPE(NB, CH, HW, HW), TS_FLOAT32);
  for (int i = 0; i < 2; i++) {
    ts_tensor *m = aug_mixup(x, i == 0 ? 0.3 : 1.7);
    if (!m) {
      printf("bad lambda\n");
      continue;
    }
    ts_free(m);
  }
  ts_free(x);
}

// OK: goto cleanup with a status: every tensor is NULL until made and freed
// once on the way out
static int aug_cutout(const ts_tensor *img, int size, double *mean_out) {
  int rc = -1;
  ts_tensor *mask = NULL, *patch = NULL, *out = NULL;
  mask = ts_ones_like(img, TS_NO_DTYPE, NULL);
  if (!mask)
    goto done;
  if (size <= 0 || size > HW)
    goto done;
  patch = ts_narrow(mask, 3, 0, size);
  if (!patch)
    goto done;
  ts_zero_(patch);
  out = ts_mul(img, mask);
  if (!out)
    goto done;
  *mean_out = (double)ts_numel(out);
  rc = 0;
done:
  if (out)
    ts_free(out);
  if (patch)
    ts_free(patch);
  if (mask)
    ts_free(mask);
  return rc;
}

// OK: the cutout helper is called with a good and a bad size
void aug_cutout_driver(void) {
  ts_tensor *img = ts_rand(TS_SHAPE(1, 1, 1, 1), TS_FLOAT32);
  double m = 0;
  int a = aug_cutout(img, 1, &m);
  int b = aug_cutout(img, 99, &m);
  printf("%d %d %f\n", a, b, m);
  ts_free(img);
}

// BUG: use-after-scope: the last augmented batch belongs to the iteration
// scope and is read after the loop
void aug_epoch_scoped(void) {
  ts_tensor *last = NULL;
  TS_SCOPE for (int step = 0; step < 3; step++) {
    ts_tensor *x = ts_rand(TS_SHAPE(NB, CH, HW, HW), TS_FLOAT32);
    ts_tensor *f = aug_hflip(x);
    last = ts_relu(f);
  }
  printf("last batch %lld\n", (long long)ts_numel(last)); // <- BUG
}

// OK: a scoped helper that escapes its result; the caller frees it
TS_SCOPED static ts_tensor *aug_noise(const ts_tensor *img, double std) {
  ts_tensor *n = ts_randn_like(img, TS_NO_DTYPE, NULL);
  ts_tensor *scaled = ts_mul_scalar(n, std);
  return ts_escape(ts_add(img, scaled));
}

// BUG: unescaped-return: the erased image belongs to the function's scope
// and is returned without ts_escape
TS_SCOPED static ts_tensor *aug_random_erase(const ts_tensor *img) {
  ts_tensor *keep = ts_bernoulli_p(img, 0.8);
  return ts_mul(img, keep); // <- BUG
}

// OK: uses both scoped helpers (one of which returns a dead tensor)
void aug_noise_and_erase(void) {
  ts_tensor *img = ts_rand(TS_SHAPE(1, CH, HW, HW), TS_FLOAT32);
  ts_tensor *noisy = aug_noise(img, 0.1);
  ts_tensor *erased = aug_random_erase(noisy);
  printf("%lld\n", (long long)ts_numel(erased));
  ts_free(erased);
  ts_free(noisy);
  ts_free(img);
}
