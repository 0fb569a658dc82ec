/* heldout7_dctcodec.c - a toy JPEG-like image codec: an 8x8 DCT basis,
 * quantisation tables scaled by quality, an image split into heap arrays of
 * block tensors, encode/decode per block (scoped and manual), reassembly,
 * rate and PSNR estimates, and re-compression at a new quality. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define DC_B 8
#define DC_H 16
#define DC_W 16

typedef struct {
  ts_tensor *basis;  /* [8,8] orthonormal DCT-II */
  ts_tensor *basisT; /* its transpose */
  ts_tensor *qtable; /* [8,8] step sizes */
  int quality;
} dc_codec;

typedef struct {
  ts_tensor **blocks;
  int n, rows, cols;
} dc_blocks;

// OK: the basis is computed on the stack and copied into one tensor
static ts_tensor *dc_dct_matrix(void) {
  float m[DC_B * DC_B];
  for (int k = 0; k < DC_B; k++)
    for (int i = 0; i < DC_B; i++) {
      double a = k == 0 ? sqrt(1.0 / DC_B) : sqrt(2.0 / DC_B);
      m[k * DC_B + i] = (float)(a * cos(M_PI * (2 * i + 1) * k / (2.0 * DC_B)));
    }
  return ts_from_buffer(m, TS_SHAPE(DC_B, DC_B), TS_FLOAT32);
}

// OK: a step table that grows with frequency and shrinks with quality
static ts_tensor *dc_make_qtable(int quality) {
  float q[DC_B * DC_B];
  double s = quality < 50 ? 50.0 / quality : 2.0 - quality / 50.0;
  for (int i = 0; i < DC_B; i++)
    for (int j = 0; j < DC_B; j++)
      q[i * DC_B + j] = (float)fmax(1.0, s * (4 + 2 * (i + j)));
  return ts_from_buffer(q, TS_SHAPE(DC_B, DC_B), TS_FLOAT32);
}

// BUG: double-free: a bad quality frees the basis, and the fail label frees it again
static int dc_codec_init(dc_codec *c, int quality) {
  c->basisT = c->qtable = NULL;
  c->basis = dc_dct_matrix();
  if (!c->basis)
    return -1;
  if (quality <= 0 || quality > 100) {
    ts_free(c->basis);
    goto fail;
  }
  c->basisT = ts_t(c->basis);
  if (!c->basisT)
    goto fail;
  c->qtable = dc_make_qtable(quality);
  if (!c->qtable)
    goto fail;
  c->quality = quality;
  return 0;
fail:
  if (c->basisT)
    ts_free(c->basisT);
  ts_free(c->basis); // <- BUG
  c->basis = NULL;
  return -1;
}

// OK: early returns, each one freeing what was made before it
static int dc_codec_open(dc_codec *c, int quality) {
  if (quality <= 0 || quality > 100)
    return -1;
  c->basis = dc_dct_matrix();
  if (!c->basis)
    return -1;
  c->basisT = ts_t(c->basis);
  if (!c->basisT) {
    ts_free(c->basis);
    return -1;
  }
  c->qtable = dc_make_qtable(quality);
  if (!c->qtable) {
    ts_free(c->basisT);
    ts_free(c->basis);
    return -1;
  }
  c->quality = quality;
  return 0;
}

// OK: frees the three tensors once
static void dc_codec_close(dc_codec *c) {
  ts_free(c->qtable);
  ts_free(c->basisT);
  ts_free(c->basis);
  memset(c, 0, sizeof *c);
}

// OK: swaps in a new table, the old one freed after the new exists
static int dc_codec_set_quality(dc_codec *c, int quality) {
  ts_tensor *q = dc_make_qtable(quality);
  if (!q)
    return -1;
  ts_free(c->qtable);
  c->qtable = q;
  c->quality = quality;
  return 0;
}

// OK: the 2-D transform in the caller's scope
TS_CALLER_SCOPE static ts_tensor *dc_forward(const dc_codec *c, const ts_tensor *block) {
  return ts_matmul(ts_matmul(c->basis, ts_add_scalar(block, -128.0)), c->basisT);
}

// OK: the inverse transform in the caller's scope
TS_CALLER_SCOPE static ts_tensor *dc_inverse(const dc_codec *c, const ts_tensor *coef) {
  return ts_add_scalar(ts_matmul(ts_matmul(c->basisT, coef), c->basis), 128.0);
}

// OK: divide and round, the quotient freed
static ts_tensor *dc_quantise(const dc_codec *c, const ts_tensor *coef) {
  ts_tensor *d = ts_div(coef, c->qtable);
  if (!d)
    return NULL;
  ts_tensor *q = ts_round(d);
  ts_free(d);
  return q;
}

// BUG: leak: the rounded coefficients are lost once clamped
static ts_tensor *dc_quantise_clamped(const dc_codec *c, const ts_tensor *coef, double lim) {
  ts_tensor *d = ts_div(coef, c->qtable);
  ts_tensor *r = ts_round(d); // <- BUG
  ts_free(d);
  return ts_clamp(r, -lim, lim);
}

// OK: multiply back by the table
static ts_tensor *dc_dequantise(const dc_codec *c, const ts_tensor *q) {
  return ts_mul(q, c->qtable);
}

// OK: a ramp image with a bright square
static ts_tensor *dc_test_image(void) {
  float px[DC_H * DC_W];
  for (int y = 0; y < DC_H; y++)
    for (int x = 0; x < DC_W; x++)
      px[y * DC_W + x] = (float)(8 * x + 4 * y + ((x > 4 && x < 11 && y > 4 && y < 11) ? 60 : 0));
  return ts_from_buffer(px, TS_SHAPE(DC_H, DC_W), TS_FLOAT32);
}

// OK: cuts the image into contiguous blocks; on failure every block made is freed
static int dc_split(const ts_tensor *img, dc_blocks *out) {
  int rows = (int)ts_size(img, 0) / DC_B, cols = (int)ts_size(img, 1) / DC_B;
  out->blocks = malloc(sizeof(ts_tensor *) * (size_t)(rows * cols));
  if (!out->blocks)
    return -1;
  out->n = 0;
  out->rows = rows;
  out->cols = cols;
  for (int r = 0; r < rows; r++) {
    ts_tensor *strip = ts_narrow(img, 0, r * DC_B, DC_B);
    for (int c = 0; c < cols && strip; c++) {
      ts_tensor *v = ts_narrow(strip, 1, c * DC_B, DC_B);
      ts_tensor *b = v ? ts_contiguous(v) : NULL;
      if (v)
        ts_free(v);
      if (!b) {
        ts_free(strip);
        goto fail;
      }
      out->blocks[out->n++] = b;
    }
    if (!strip)
      goto fail;
    ts_free(strip);
  }
  return 0;
fail:
  while (out->n > 0)
    ts_free(out->blocks[--out->n]);
  free(out->blocks);
  out->blocks = NULL;
  return -1;
}

// OK: frees each block once, then the array
static void dc_blocks_free(dc_blocks *b) {
  for (int i = 0; i < b->n; i++)
    ts_free(b->blocks[i]);
  free(b->blocks);
  b->blocks = NULL;
  b->n = 0;
}

// BUG: leak: hitting the block limit frees the array but not the blocks already cut
static int dc_split_limited(const ts_tensor *img, dc_blocks *out, int max_blocks) {
  int rows = (int)ts_size(img, 0) / DC_B, cols = (int)ts_size(img, 1) / DC_B;
  out->blocks = calloc((size_t)max_blocks, sizeof(ts_tensor *));
  out->n = 0;
  for (int r = 0; r < rows; r++) {
    for (int c = 0; c < cols; c++) {
      if (out->n == max_blocks) {
        free(out->blocks); // <- BUG
        out->blocks = NULL;
        return -1;
      }
      ts_tensor *v = ts_slice_Tensor(img, 0, r * DC_B, (r + 1) * DC_B, 1);
      out->blocks[out->n++] = ts_slice_Tensor(v, 1, c * DC_B, (c + 1) * DC_B, 1);
      ts_free(v);
    }
  }
  out->rows = rows;
  out->cols = cols;
  return 0;
}

// OK: each block transformed in its own scope, the quantised result kept
static int dc_encode(const dc_codec *c, const dc_blocks *in, ts_tensor **coefs) {
  int nz = 0;
  for (int i = 0; i < in->n; i++) {
    TS_SCOPE {
      ts_tensor *q = dc_quantise(c, dc_forward(c, in->blocks[i]));
      ts_tensor *mask = ts_ne_Scalar(q, 0.0);
      nz += (int)ts_item(ts_sum(mask));
      coefs[i] = ts_keep(q);
    }
  }
  return nz;
}

// BUG: use-after-scope: the coefficients are stored without ts_keep and read after the loop
static int dc_encode_fast(const dc_codec *c, const dc_blocks *in, ts_tensor **coefs) {
  TS_SCOPE for (int i = 0; i < in->n; i++) {
    coefs[i] = dc_quantise(c, dc_forward(c, in->blocks[i]));
  }
  double dc0 = 0.0;
  ts_tensor *first = ts_select_int(coefs[0], 0, 0); // <- BUG
  if (first) {
    ts_tensor *v = ts_select_int(first, 0, 0);
    dc0 = ts_item(v);
    ts_free(v);
    ts_free(first);
  }
  return (int)dc0;
}

// OK: decodes every block in a scope of its own, results kept
static void dc_decode(const dc_codec *c, ts_tensor *const *coefs, int n, ts_tensor **out) {
  TS_SCOPE for (int i = 0; i < n; i++) {
    out[i] = ts_keep(ts_clamp(dc_inverse(c, dc_dequantise(c, coefs[i])), 0.0, 255.0));
  }
}

// OK: concatenates rows of blocks, then the strips; strips freed once
static ts_tensor *dc_reassemble(ts_tensor *const *blocks, int rows, int cols) {
  ts_tensor *strips[16];
  for (int r = 0; r < rows; r++) {
    strips[r] = ts_cat((const ts_tensor *const *)blocks + r * cols, cols, 1);
    if (!strips[r]) {
      while (r-- > 0)
        ts_free(strips[r]);
      return NULL;
    }
  }
  ts_tensor *img = ts_cat((const ts_tensor *const *)strips, rows, 0);
  for (int r = 0; r < rows; r++)
    ts_free(strips[r]);
  return img;
}

// BUG: double-free: the strips are freed in the loop and again by dc_blocks_free
static ts_tensor *dc_reassemble_owned(ts_tensor *const *blocks, int rows, int cols) {
  dc_blocks strips = {.blocks = malloc(sizeof(ts_tensor *) * (size_t)rows), .n = rows};
  for (int r = 0; r < rows; r++)
    strips.blocks[r] = ts_cat((const ts_tensor *const *)blocks + r * cols, cols, 1);
  ts_tensor *img = ts_cat((const ts_tensor *const *)strips.blocks, rows, 0);
  for (int r = 0; r < rows; r++)
    ts_free(strips.blocks[r]);
  dc_blocks_free(&strips); // <- BUG
  return img;
}

// OK: peak signal-to-noise ratio, every temporary in the function's scope
TS_SCOPED static double dc_psnr(const ts_tensor *a, const ts_tensor *b) {
  double mse = ts_item(ts_mse_loss(a, b));
  return mse > 0 ? 10.0 * log10(255.0 * 255.0 / mse) : 99.0;
}

// BUG: unescaped-return: the residual image belongs to the function's scope
TS_SCOPED static ts_tensor *dc_residual(const ts_tensor *orig, const ts_tensor *recon) {
  ts_tensor *d = ts_sub(orig, recon);
  return ts_abs(d); // <- BUG
}

// OK: the error map, escaped to the caller
TS_SCOPED static ts_tensor *dc_error_map(const ts_tensor *orig, const ts_tensor *recon) {
  ts_tensor *d = ts_sub(orig, recon);
  return ts_escape(ts_gt_Scalar(ts_abs(d), 8.0));
}

// BUG: leak: the nested sum and absolute value are never freed
static double dc_rate(ts_tensor *const *coefs, int n) {
  double bits = 0.0;
  for (int i = 0; i < n; i++)
    bits += ts_item(ts_sum(ts_abs(coefs[i]))); // <- BUG
  return bits;
}

// OK: the same estimate inside a scope
static double dc_rate_scoped(ts_tensor *const *coefs, int n) {
  double bits = 0.0;
  TS_SCOPE {
    for (int i = 0; i < n; i++)
      bits += ts_item(ts_sum(ts_abs(coefs[i])));
  }
  return bits;
}

// BUG: use-after-free: the old table's alias is used after set_quality replaced it
static double dc_requant_ratio(dc_codec *c, int quality) {
  const ts_tensor *old = c->qtable;
  if (dc_codec_set_quality(c, quality) != 0)
    return 0.0;
  ts_tensor *r = ts_div(c->qtable, old); // <- BUG
  ts_tensor *m = ts_mean(r);
  double v = ts_item(m);
  ts_free(m);
  ts_free(r);
  return v;
}

// OK: the ratio is taken against a copy of the old table
static double dc_requant_ratio_ok(dc_codec *c, int quality) {
  ts_tensor *old = ts_clone(c->qtable);
  if (!old)
    return 0.0;
  double v = 0.0;
  if (dc_codec_set_quality(c, quality) == 0) {
    ts_tensor *r = ts_div(c->qtable, old);
    ts_tensor *m = ts_mean(r);
    v = ts_item(m);
    ts_free(m);
    ts_free(r);
  }
  ts_free(old);
  return v;
}

// BUG: use-after-free: the coefficient array is freed before its DC terms are written out
static int dc_write_dc_terms(ts_tensor **coefs, int n, float *dst) {
  ts_tensor *first = coefs[0];
  for (int i = 0; i < n; i++)
    ts_free(coefs[i]);
  float blk[DC_B * DC_B];
  if (ts_copy_to_buffer(first, blk, sizeof blk) != TS_OK) // <- BUG
    return -1;
  dst[0] = blk[0];
  return 0;
}

// OK: whole round trip; every array freed once
void dc_run_roundtrip(void) {
  dc_codec c;
  dc_blocks b;
  ts_tensor *coefs[4], *recon[4];
  if (dc_codec_open(&c, 75) != 0)
    return;
  ts_tensor *img = dc_test_image();
  if (dc_split(img, &b) == 0) {
    printf("dctcodec: %d nonzero\n", dc_encode(&c, &b, coefs));
    printf("dctcodec: rate %.1f\n", dc_rate_scoped(coefs, b.n));
    dc_decode(&c, coefs, b.n, recon);
    ts_tensor *out = dc_reassemble(recon, b.rows, b.cols);
    printf("dctcodec: psnr %.1f\n", dc_psnr(img, out));
    ts_tensor *err = dc_error_map(img, out);
    ts_free(err);
    ts_free(out);
    for (int i = 0; i < b.n; i++) {
      ts_free(recon[i]);
      ts_free(coefs[i]);
    }
    dc_blocks_free(&b);
  }
  ts_free(img);
  dc_codec_close(&c);
}

// OK: an out-of-range quality through the goto init
void dc_run_bad_quality(void) {
  dc_codec c;
  if (dc_codec_init(&c, 0) != 0)
    printf("dctcodec: bad quality\n");
}

// OK: clamped quantisation of one block
void dc_run_clamped(void) {
  dc_codec c;
  if (dc_codec_open(&c, 90) != 0)
    return;
  ts_tensor *blk = ts_full(TS_SHAPE(DC_B, DC_B), TS_FLOAT32, 200.0);
  ts_tensor *q = dc_quantise_clamped(&c, blk, 64.0);
  ts_free(q);
  ts_free(blk);
  dc_codec_close(&c);
}

// OK: the limited split with too small a limit
void dc_run_split_limited(void) {
  dc_blocks b;
  ts_tensor *img = dc_test_image();
  if (dc_split_limited(img, &b, 3) == 0)
    dc_blocks_free(&b);
  ts_free(img);
}

// OK: fast encode, coefficients never freed by the caller since they are scoped
void dc_run_encode_fast(void) {
  dc_codec c;
  dc_blocks b;
  ts_tensor *coefs[4];
  if (dc_codec_open(&c, 75) != 0)
    return;
  ts_tensor *img = dc_test_image();
  if (dc_split(img, &b) == 0) {
    printf("dctcodec: dc %d\n", dc_encode_fast(&c, &b, coefs));
    dc_blocks_free(&b);
  }
  ts_free(img);
  dc_codec_close(&c);
}

// OK: reassembly through the owned-strips helper
void dc_run_reassemble_owned(void) {
  dc_blocks b;
  ts_tensor *img = dc_test_image();
  if (dc_split(img, &b) == 0) {
    ts_tensor *out = dc_reassemble_owned(b.blocks, b.rows, b.cols);
    ts_free(out);
    dc_blocks_free(&b);
  }
  ts_free(img);
}

// OK: uses and frees the residual it is handed
void dc_run_residual(void) {
  ts_tensor *a = dc_test_image();
  ts_tensor *b = ts_add_scalar(a, 3.0);
  ts_tensor *r = dc_residual(a, b);
  printf("dctcodec: residual %lld\n", (long long)ts_numel(r));
  ts_free(r);
  ts_free(b);
  ts_free(a);
}

// OK: rate of the manual estimate
void dc_run_rate(void) {
  ts_tensor *c[2] = {ts_ones(TS_SHAPE(DC_B, DC_B), TS_FLOAT32),
                     ts_zeros(TS_SHAPE(DC_B, DC_B), TS_FLOAT32)};
  printf("dctcodec: rate %.1f\n", dc_rate(c, 2));
  ts_free(c[1]);
  ts_free(c[0]);
}

// OK: re-quantisation measured against a copy
void dc_run_requant(void) {
  dc_codec c;
  if (dc_codec_open(&c, 50) != 0)
    return;
  printf("dctcodec: ratio %.2f\n", dc_requant_ratio_ok(&c, 80));
  dc_codec_close(&c);
}

// OK: re-quantisation measured against the stale alias
void dc_run_requant_alias(void) {
  dc_codec c;
  if (dc_codec_open(&c, 50) != 0)
    return;
  printf("dctcodec: ratio %.2f\n", dc_requant_ratio(&c, 80));
  dc_codec_close(&c);
}

// OK: writes the DC terms after freeing
void dc_run_write_dc(void) {
  ts_tensor *coefs[2] = {ts_ones(TS_SHAPE(DC_B, DC_B), TS_FLOAT32),
                         ts_ones(TS_SHAPE(DC_B, DC_B), TS_FLOAT32)};
  float dst[2];
  dc_write_dc_terms(coefs, 2, dst);
}

// BUG: leak: each brightened copy made in the sweep is never freed
void dc_run_brightness_sweep(void) {
  ts_tensor *img = dc_test_image();
  for (int k = 1; k <= 3; k++) {
    ts_tensor *bright = ts_add_scalar(img, 10.0 * k); // <- BUG
    printf("dctcodec: +%d psnr %.1f\n", 10 * k, dc_psnr(img, bright));
  }
  ts_free(img);
}

// BUG: leak: bailing out on a sparse encoding leaves the blocks and coefficients alive
void dc_run_sparse_check(void) {
  dc_codec c;
  dc_blocks b;
  ts_tensor *coefs[4];
  if (dc_codec_open(&c, 75) != 0)
    return;
  ts_tensor *img = dc_test_image();
  if (dc_split(img, &b) == 0) {
    int nz = dc_encode(&c, &b, coefs); // <- BUG
    if (nz < 1000) {
      printf("dctcodec: only %d nonzero, skipping\n", nz);
      ts_free(img);
      dc_codec_close(&c);
      return;
    }
    for (int i = 0; i < b.n; i++)
      ts_free(coefs[i]);
    dc_blocks_free(&b);
  }
  ts_free(img);
  dc_codec_close(&c);
}
