/* heldout2_quant.c - post-training quantisation: a min/max calibrator whose
 * range tensors are replaced as batches arrive, quantisation parameters
 * returned by value, fake quantisation in place, per-channel weights,
 * round-trip errors. Labels: tests/realistic/README.md. */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define CH 3
#define F 6

struct calib {
  ts_tensor *mn, *mx; /* 0-d, owned; NULL before the first batch */
};

struct qparams {
  ts_tensor *scale, *zp; /* 0-d, owned */
};

// OK: widens the range with a batch; the old bounds are freed when replaced
static void calib_update(struct calib *c, const ts_tensor *x) {
  ts_tensor *lo = ts_min(x);
  ts_tensor *hi = ts_max(x);
  if (!c->mn) {
    c->mn = lo;
    c->mx = hi;
    return;
  }
  ts_tensor *nmn = ts_minimum(c->mn, lo);
  ts_tensor *nmx = ts_maximum(c->mx, hi);
  ts_free(c->mn);
  ts_free(c->mx);
  ts_free(lo);
  ts_free(hi);
  c->mn = nmn;
  c->mx = nmx;
}

// BUG: leak: the upper bound is replaced without freeing the old one
static void calib_update_fast(struct calib *c, const ts_tensor *x) {
  ts_tensor *lo = ts_min(x);
  ts_tensor *hi = ts_max(x);
  if (!c->mn) {
    c->mn = lo;
    c->mx = hi;
    return;
  }
  ts_tensor *nmn = ts_minimum(c->mn, lo);
  ts_free(c->mn);
  c->mn = nmn;
  c->mx = ts_maximum(c->mx, hi); // <- BUG
  ts_free(lo);
  ts_free(hi);
}

// OK: frees the bounds that are set (the fields are not cleared)
static void calib_free(struct calib *c) {
  if (c->mn)
    ts_free(c->mn);
  if (c->mx)
    ts_free(c->mx);
}

// OK: scale and zero point for 8 bits from the calibrated range, by value
static struct qparams qparams_from(const struct calib *c) {
  struct qparams qp;
  ts_tensor *range = ts_sub(c->mx, c->mn);
  qp.scale = ts_div_Scalar(range, 255.0);
  ts_free(range);
  ts_tensor *r = ts_div(c->mn, qp.scale);
  ts_neg_(r);
  qp.zp = ts_round(r);
  ts_free(r);
  return qp;
}

// OK: frees both parameters
static void qp_free(struct qparams *qp) {
  ts_free(qp->scale);
  ts_free(qp->zp);
}

// OK: fake quantisation of x in place (x is returned)
static ts_tensor *fake_quant_(ts_tensor *x, const struct qparams *qp) {
  ts_div_Tensor_(x, qp->scale);
  ts_add_Tensor_(x, qp->zp, 1.0);
  ts_round_(x);
  ts_clamp_(x, 0, 255);
  ts_sub_Tensor_(x, qp->zp, 1.0);
  return ts_mul_Tensor_(x, qp->scale);
}

// OK: calibrates on three batches, fake-quantises a copy, measures the error
void quant_roundtrip(void) {
  struct calib c = {NULL, NULL};
  for (int b = 0; b < 3; b++) {
    ts_tensor *x = ts_randn(TS_SHAPE(4, F), TS_FLOAT32);
    calib_update(&c, x);
    ts_free(x);
  }
  struct qparams qp = qparams_from(&c);
  ts_tensor *x = ts_randn(TS_SHAPE(4, F), TS_FLOAT32);
  ts_tensor *q = fake_quant_(ts_clone(x), &qp);
  ts_tensor *err = ts_mse_loss(q, x);
  printf("quant error %.4f\n", ts_item(err));
  ts_free(err);
  ts_free(q);
  ts_free(x);
  qp_free(&qp);
  calib_free(&c);
}

// OK: calibrates with the fast update (calib_update_fast leaks by itself)
void quant_calib_fast(void) {
  struct calib c = {NULL, NULL};
  for (int b = 0; b < 3; b++) {
    ts_tensor *x = ts_randn(TS_SHAPE(4, F), TS_FLOAT32);
    calib_update_fast(&c, x);
    ts_free(x);
  }
  calib_free(&c);
}

// BUG: double-free: the fake-quantised tensor is the input itself, and both
// are freed
void quant_inplace_twice(void) {
  struct calib c = {NULL, NULL};
  ts_tensor *x = ts_randn(TS_SHAPE(4, F), TS_FLOAT32);
  calib_update(&c, x);
  struct qparams qp = qparams_from(&c);
  ts_tensor *q = fake_quant_(x, &qp);
  printf("quantised %lld\n", (long long)ts_numel(q));
  ts_free(q);
  ts_free(x); // <- BUG
  qp_free(&qp);
  calib_free(&c);
}

// BUG: leak: a degenerate range returns before the scaled input is freed
static ts_tensor *quantize_checked(const ts_tensor *x,
                                   const struct qparams *qp) {
  ts_tensor *xs = ts_div(x, qp->scale); // <- BUG
  if (ts_item(qp->scale) == 0) {
    fprintf(stderr, "quantize: zero scale\n");
    return NULL;
  }
  ts_tensor *q = ts_round(xs);
  ts_free(xs);
  return q;
}

// OK: a constant batch gives a zero scale (quantize_checked leaks by itself)
void quant_constant(void) {
  struct calib c = {NULL, NULL};
  ts_tensor *x = ts_full(TS_SHAPE(4, F), TS_FLOAT32, 2.0);
  calib_update(&c, x);
  struct qparams qp = qparams_from(&c);
  ts_tensor *q = quantize_checked(x, &qp);
  if (q)
    ts_free(q);
  ts_free(x);
  qp_free(&qp);
  calib_free(&c);
}

// BUG: use-after-free: the parameters are freed before the dequantisation
// that needs the scale
void quant_dequant_late(void) {
  struct calib c = {NULL, NULL};
  ts_tensor *x = ts_randn(TS_SHAPE(4, F), TS_FLOAT32);
  calib_update(&c, x);
  struct qparams qp = qparams_from(&c);
  ts_tensor *q = ts_div(x, qp.scale);
  ts_round_(q);
  qp_free(&qp);
  calib_free(&c);
  ts_tensor *dq = ts_mul(q, qp.scale); // <- BUG
  ts_free(dq);
  ts_free(q);
  ts_free(x);
}

// BUG: leak: each channel's row is selected for its range and never freed
void quant_per_channel(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(CH, F), TS_FLOAT32);
  double scale[CH];
  for (int c = 0; c < CH; c++) {
    ts_tensor *row = ts_select_int(w, 0, c); // <- BUG
    ts_tensor *a = ts_abs(row);
    ts_tensor *m = ts_max(a);
    scale[c] = ts_item(m) / 127.0;
    ts_free(m);
    ts_free(a);
  }
  printf("scales %.3f %.3f %.3f\n", scale[0], scale[1], scale[2]);
  ts_free(w);
}

// OK: the same with every temporary freed
void quant_per_channel_ok(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(CH, F), TS_FLOAT32);
  double scale[CH];
  for (int c = 0; c < CH; c++) {
    ts_tensor *row = ts_select_int(w, 0, c);
    ts_tensor *a = ts_abs(row);
    ts_tensor *m = ts_max(a);
    scale[c] = ts_item(m) / 127.0;
    ts_free(m);
    ts_free(a);
    ts_free(row);
  }
  printf("scales %.3f %.3f %.3f\n", scale[0], scale[1], scale[2]);
  ts_free(w);
}

// BUG: double-free: the calibrator's bounds are freed by hand to reset it,
// and calib_free frees them again (the fields still point at them)
void quant_recalibrate(void) {
  struct calib c = {NULL, NULL};
  ts_tensor *x = ts_randn(TS_SHAPE(4, F), TS_FLOAT32);
  calib_update(&c, x);
  ts_free(c.mn);
  ts_free(c.mx);
  ts_free(x);
  calib_free(&c); // <- BUG
}

// BUG: use-after-scope: the worst round-trip error is remembered from inside
// a guarded loop body and printed after the loop
void quant_worst_error(void) {
  struct calib c = {NULL, NULL};
  ts_tensor *probe = ts_randn(TS_SHAPE(4, F), TS_FLOAT32);
  calib_update(&c, probe);
  struct qparams qp = qparams_from(&c);
  ts_tensor *worst = NULL;
  double w = -1;
  for (int b = 0; b < 3; b++) {
    TS_SCOPE_GUARD();
    ts_tensor *x = ts_randn(TS_SHAPE(4, F), TS_FLOAT32);
    ts_tensor *q = fake_quant_(ts_clone(x), &qp);
    ts_tensor *e = ts_mse_loss(q, x);
    if (ts_item(e) > w) {
      w = ts_item(e);
      worst = e;
    }
  }
  printf("worst error %.4f\n", ts_item(worst)); // <- BUG
  qp_free(&qp);
  calib_free(&c);
  ts_free(probe);
}

// BUG: double-free: a copy of the parameters shares their tensors, and both
// copies are freed
void quant_qp_copy(void) {
  struct calib c = {NULL, NULL};
  ts_tensor *x = ts_randn(TS_SHAPE(4, F), TS_FLOAT32);
  calib_update(&c, x);
  struct qparams qp = qparams_from(&c);
  struct qparams saved = qp;
  printf("scale %.4f\n", ts_item(saved.scale));
  qp_free(&qp);
  qp_free(&saved); // <- BUG
  calib_free(&c);
  ts_free(x);
}
