/* heldout7_quantmm.c - a small int8 quantised matmul library: per-tensor
 * affine parameters, packed weights (int8 values plus scale and zero
 * point), a calibrator over activation batches, kernels chosen through a
 * table of function pointers, and a model as a heap array of packed
 * layers. Status codes with out-parameters, goto error chains. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define QM_IN 8
#define QM_OUT 6

typedef struct {
  ts_tensor *q; /* int8 values */
  double scale;
  int64_t zp;
} qm_packed;

typedef struct {
  const char *name;
  ts_tensor *(*matmul)(const ts_tensor *x, const qm_packed *w);
} qm_kernel;

typedef struct {
  qm_packed *layers;
  int n;
} qm_model;

typedef struct {
  ts_tensor *maxabs; /* running per-feature max |x| */
  int batches;
} qm_calib;

// OK: range to scale and zero point, computed in a block scope
static void qm_affine(const ts_tensor *t, double *scale, int64_t *zp) {
  double lo = 0.0, hi = 0.0;
  TS_SCOPE {
    lo = fmin(0.0, ts_item(ts_min(t)));
    hi = fmax(0.0, ts_item(ts_max(t)));
  }
  *scale = (hi - lo) / 255.0;
  *zp = *scale > 0 ? (int64_t)llround(-128 - lo / *scale) : 0;
}

// OK: divide, shift, round, clamp, cast; each step's input freed
TS_OWNED static ts_tensor *qm_quantise(const ts_tensor *t, double scale, int64_t zp) {
  ts_tensor *d = ts_div_Scalar(t, scale);
  if (!d)
    return NULL;
  ts_tensor *s = ts_add_scalar(d, (double)zp);
  ts_free(d);
  if (!s)
    return NULL;
  ts_tensor *r = ts_round(s);
  ts_free(s);
  if (!r)
    return NULL;
  ts_clamp_(r, -128.0, 127.0);
  ts_tensor *q = ts_to_dtype(r, TS_INT8, false, false);
  ts_free(r);
  return q;
}

// OK: back to float
TS_OWNED static ts_tensor *qm_dequantise(const qm_packed *p) {
  ts_tensor *f = ts_to_dtype(p->q, TS_FLOAT32, false, false);
  if (!f)
    return NULL;
  ts_tensor *c = ts_add_scalar(f, -(double)p->zp);
  ts_free(f);
  if (!c)
    return NULL;
  ts_tensor *out = ts_mul_scalar(c, p->scale);
  ts_free(c);
  return out;
}

// OK: packs a float weight; nothing is left behind on failure
static ts_status qm_pack(const ts_tensor *w, qm_packed *out) {
  qm_affine(w, &out->scale, &out->zp);
  if (out->scale <= 0.0)
    return TS_ERR_ARG;
  out->q = qm_quantise(w, out->scale, out->zp);
  return out->q ? TS_OK : ts_last_status();
}

// BUG: leak: an all-zero weight is reported as an error after its values were packed
static ts_status qm_pack_eager(const ts_tensor *w, qm_packed *out) {
  qm_affine(w, &out->scale, &out->zp);
  out->q = qm_quantise(w, out->scale > 0 ? out->scale : 1.0, out->zp); // <- BUG
  if (!out->q)
    return ts_last_status();
  if (out->scale <= 0.0)
    return TS_ERR_ARG;
  return TS_OK;
}

// OK: reference kernel: dequantise then a float matmul
static ts_tensor *qm_kernel_ref(const ts_tensor *x, const qm_packed *w) {
  ts_tensor *f = qm_dequantise(w);
  if (!f)
    return NULL;
  ts_tensor *y = ts_matmul(x, f);
  ts_free(f);
  return y;
}

// BUG: leak: the float copy of the activations is never freed
static ts_tensor *qm_kernel_int(const ts_tensor *x, const qm_packed *w) {
  double xs;
  int64_t xz;
  qm_affine(x, &xs, &xz);
  ts_tensor *xq = qm_quantise(x, xs, xz);
  ts_tensor *xf = ts_to_dtype(xq, TS_FLOAT32, false, false); // <- BUG
  ts_free(xq);
  ts_tensor *wf = ts_to_dtype(w->q, TS_FLOAT32, false, false);
  ts_tensor *acc = ts_matmul(ts_add_Scalar_(xf, -(double)xz, 1.0), ts_add_Scalar_(wf, -(double)w->zp, 1.0));
  ts_free(wf);
  ts_tensor *y = ts_mul_scalar(acc, xs * w->scale);
  ts_free(acc);
  return y;
}

// OK: the integer kernel with every conversion freed
static ts_tensor *qm_kernel_int_ok(const ts_tensor *x, const qm_packed *w) {
  double xs;
  int64_t xz;
  qm_affine(x, &xs, &xz);
  ts_tensor *xq = qm_quantise(x, xs, xz);
  if (!xq)
    return NULL;
  ts_tensor *xf = ts_to_dtype(xq, TS_FLOAT32, false, false);
  ts_free(xq);
  ts_tensor *wf = ts_to_dtype(w->q, TS_FLOAT32, false, false);
  ts_tensor *acc = ts_matmul(ts_add_Scalar_(xf, -(double)xz, 1.0), ts_add_Scalar_(wf, -(double)w->zp, 1.0));
  ts_free(wf);
  ts_free(xf);
  ts_tensor *y = ts_mul_scalar(acc, xs * w->scale);
  ts_free(acc);
  return y;
}

static const qm_kernel qm_kernels[] = {{"ref", NULL}, {"int", NULL}};

// OK: picks a kernel by name; the table gives the names, the functions are bound here
static qm_kernel qm_pick(const char *name) {
  qm_kernel k = qm_kernels[0];
  k.matmul = qm_kernel_ref;
  if (strcmp(name, "int") == 0) {
    k = qm_kernels[1];
    k.matmul = qm_kernel_int_ok;
  }
  return k;
}

// OK: a heap array of packed layers; on failure the packed ones are freed
static ts_status qm_model_init(qm_model *m, int n) {
  m->layers = calloc((size_t)n, sizeof *m->layers);
  m->n = 0;
  if (!m->layers)
    return TS_ERR_OOM;
  ts_manual_seed(11);
  for (int i = 0; i < n; i++) {
    ts_tensor *w = ts_randn(TS_SHAPE(QM_IN, QM_IN), TS_FLOAT32);
    if (!w)
      goto fail;
    ts_status st = qm_pack(w, &m->layers[i]);
    ts_free(w);
    if (st != TS_OK)
      goto fail;
    m->n++;
  }
  return TS_OK;
fail:
  for (int i = 0; i < m->n; i++)
    ts_free(m->layers[i].q);
  free(m->layers);
  m->layers = NULL;
  m->n = 0;
  return TS_ERR_TORCH;
}

// OK: frees each layer's values once
static void qm_model_free(qm_model *m) {
  for (int i = 0; i < m->n; i++)
    ts_free(m->layers[i].q);
  free(m->layers);
  m->layers = NULL;
  m->n = 0;
}

// BUG: double-free: the dropped layer's slot is shifted over but the count is not lowered, so the last layer is freed twice
static void qm_model_drop(qm_model *m, int i) {
  ts_free(m->layers[i].q);
  memmove(&m->layers[i], &m->layers[i + 1], sizeof *m->layers * (size_t)(m->n - i - 1)); // <- BUG
}

// OK: the same removal with the count lowered
static void qm_model_remove(qm_model *m, int i) {
  ts_free(m->layers[i].q);
  memmove(&m->layers[i], &m->layers[i + 1], sizeof *m->layers * (size_t)(m->n - i - 1));
  m->n--;
}

// OK: runs the layers with a kernel; each activation replaced and freed
static ts_tensor *qm_forward(const qm_model *m, qm_kernel k, const ts_tensor *x) {
  ts_tensor *h = ts_clone(x);
  for (int i = 0; i < m->n && h; i++) {
    ts_tensor *y = k.matmul(h, &m->layers[i]);
    ts_free(h);
    h = y ? ts_relu_(y) : NULL;
  }
  return h;
}

// BUG: use-after-free: the layer's values are freed before the helper dequantises them
static ts_status qm_requantise(qm_packed *p, double new_scale) {
  ts_free(p->q);
  ts_tensor *f = qm_dequantise(p); // <- BUG
  if (!f)
    return ts_last_status();
  p->q = qm_quantise(f, new_scale, p->zp);
  p->scale = new_scale;
  ts_free(f);
  return p->q ? TS_OK : ts_last_status();
}

// OK: dequantise first, then replace the values
static ts_status qm_requantise_ok(qm_packed *p, double new_scale) {
  ts_tensor *f = qm_dequantise(p);
  if (!f)
    return ts_last_status();
  ts_tensor *q = qm_quantise(f, new_scale, p->zp);
  ts_free(f);
  if (!q)
    return ts_last_status();
  ts_free(p->q);
  p->q = q;
  p->scale = new_scale;
  return TS_OK;
}

// BUG: double-free: the shape check fails after the quantised input is freed, and the fail path frees it again
static ts_status qm_matmul_checked(const ts_tensor *x, const qm_packed *w, ts_tensor **out) {
  double xs;
  int64_t xz;
  qm_affine(x, &xs, &xz);
  ts_tensor *xq = qm_quantise(x, xs, xz);
  if (!xq)
    return ts_last_status();
  ts_tensor *xf = ts_to_dtype(xq, TS_FLOAT32, false, false);
  ts_free(xq);
  if (!xf || ts_size(xf, 1) != ts_size(w->q, 0))
    goto fail;
  *out = ts_mul_scalar(ts_add_Scalar_(xf, -(double)xz, 1.0), xs);
  ts_free(xf);
  return TS_OK;
fail:
  if (xf)
    ts_free(xf);
  ts_free(xq); // <- BUG
  return TS_ERR_SHAPE;
}

// OK: the calibrator starts empty
static void qm_calib_init(qm_calib *c) {
  c->maxabs = NULL;
  c->batches = 0;
}

// OK: the running max is replaced inside the scope and kept out of it
static void qm_calib_run(qm_calib *c, int batches) {
  TS_SCOPE for (int b = 0; b < batches; b++) {
    ts_tensor *x = ts_mul_scalar(ts_randn(TS_SHAPE(4, QM_IN), TS_FLOAT32), 1.0 + b);
    ts_tensor *m = ts_amax(ts_abs(x), TS_SHAPE(0), false);
    ts_tensor *next = c->maxabs ? ts_maximum(c->maxabs, m) : m;
    if (c->maxabs)
      ts_free(c->maxabs);
    c->maxabs = ts_keep(next);
    c->batches++;
  }
}

// BUG: use-after-scope: the running max stored in one iteration's scope is read by the next
static void qm_calib_run_fast(qm_calib *c, int batches) {
  TS_SCOPE for (int b = 0; b < batches; b++) {
    ts_tensor *x = ts_randn(TS_SHAPE(4, QM_IN), TS_FLOAT32);
    ts_tensor *m = ts_amax(ts_abs(x), TS_SHAPE(0), false);
    c->maxabs = c->maxabs ? ts_maximum(c->maxabs, m) : m; // <- BUG
    c->batches++;
  }
}

// OK: frees the running max if there is one
static void qm_calib_free(qm_calib *c) {
  if (c->maxabs)
    ts_free(c->maxabs);
  c->maxabs = NULL;
}

// BUG: leak: a batch over the clip limit breaks out of the loop before its tensor is freed
static int qm_calib_count_clipped(int batches, double limit) {
  int clean = 0;
  for (int b = 0; b < batches; b++) {
    ts_tensor *x = ts_mul_scalar(ts_ones(TS_SHAPE(4, QM_IN), TS_FLOAT32), (double)b); // <- BUG
    ts_tensor *mx = ts_max(x);
    double v = ts_item(mx);
    ts_free(mx);
    if (v > limit)
      break;
    clean++;
    ts_free(x);
  }
  return clean;
}

// BUG: unescaped-return: the first layer whose error is small enough is returned out of its iteration's scope
static ts_tensor *qm_first_good_layer(const qm_model *m, double tol) {
  TS_SCOPE for (int i = 0; i < m->n; i++) {
    ts_tensor *f = qm_dequantise(&m->layers[i]);
    ts_tensor *back = qm_quantise(f, m->layers[i].scale, m->layers[i].zp);
    ts_tensor *err = ts_sub(ts_to_dtype(back, TS_FLOAT32, false, false),
                            ts_to_dtype(m->layers[i].q, TS_FLOAT32, false, false));
    if (ts_item(ts_max(ts_abs(err))) <= tol)
      return f; // <- BUG
  }
  return NULL;
}

// OK: the same search, the float layer escaped out of the iteration's scope
static ts_tensor *qm_first_good_layer_ok(const qm_model *m, double tol) {
  TS_SCOPE for (int i = 0; i < m->n; i++) {
    ts_tensor *f = qm_dequantise(&m->layers[i]);
    ts_tensor *back = qm_quantise(f, m->layers[i].scale, m->layers[i].zp);
    ts_tensor *err = ts_sub(ts_to_dtype(back, TS_FLOAT32, false, false),
                            ts_to_dtype(m->layers[i].q, TS_FLOAT32, false, false));
    if (ts_item(ts_max(ts_abs(err))) <= tol)
      return ts_escape(f);
  }
  return NULL;
}

// OK: mean absolute error of a kernel against the reference
static double qm_kernel_error(const qm_model *m, const char *name) {
  double e = 0.0;
  ts_tensor *x = ts_randn(TS_SHAPE(3, QM_IN), TS_FLOAT32);
  ts_tensor *a = qm_forward(m, qm_pick("ref"), x);
  ts_tensor *b = qm_forward(m, qm_pick(name), x);
  if (a && b) {
    TS_SCOPE {
      e = ts_item(ts_mean(ts_abs(ts_sub(a, b))));
    }
  }
  if (b)
    ts_free(b);
  if (a)
    ts_free(a);
  ts_free(x);
  return e;
}

// OK: model built, both kernels compared, a layer removed, freed
void qm_run_model(void) {
  qm_model m;
  if (qm_model_init(&m, 3) != TS_OK)
    return;
  printf("quantmm: int kernel error %.3f\n", qm_kernel_error(&m, "int"));
  qm_model_remove(&m, 0);
  qm_requantise_ok(&m.layers[0], m.layers[0].scale * 2);
  ts_tensor *g = qm_first_good_layer_ok(&m, 1.0);
  if (g)
    ts_free(g);
  qm_model_free(&m);
}

// OK: packs an all-zero weight both ways
void qm_run_pack_zero(void) {
  qm_packed p;
  ts_tensor *w = ts_zeros(TS_SHAPE(QM_IN, QM_OUT), TS_FLOAT32);
  if (qm_pack(w, &p) == TS_OK)
    ts_free(p.q);
  if (qm_pack_eager(w, &p) == TS_OK)
    ts_free(p.q);
  ts_free(w);
}

// OK: one matmul through the leaky integer kernel
void qm_run_kernel_int(void) {
  qm_packed p;
  ts_tensor *w = ts_randn(TS_SHAPE(QM_IN, QM_OUT), TS_FLOAT32);
  ts_tensor *x = ts_randn(TS_SHAPE(2, QM_IN), TS_FLOAT32);
  if (qm_pack(w, &p) == TS_OK) {
    ts_tensor *y = qm_kernel_int(x, &p);
    ts_free(y);
    ts_free(p.q);
  }
  ts_free(x);
  ts_free(w);
}

// OK: drops a layer and tears the model down
void qm_run_drop(void) {
  qm_model m;
  if (qm_model_init(&m, 3) != TS_OK)
    return;
  qm_model_drop(&m, 1);
  qm_model_free(&m);
}

// OK: requantises in the wrong order
void qm_run_requant(void) {
  qm_model m;
  if (qm_model_init(&m, 1) != TS_OK)
    return;
  qm_requantise(&m.layers[0], 0.05);
  qm_model_free(&m);
}

// OK: a checked matmul with a mismatched weight
void qm_run_checked(void) {
  qm_packed p;
  ts_tensor *w = ts_randn(TS_SHAPE(QM_OUT, QM_OUT), TS_FLOAT32);
  ts_tensor *x = ts_randn(TS_SHAPE(2, QM_IN), TS_FLOAT32);
  ts_tensor *y = NULL;
  if (qm_pack(w, &p) == TS_OK) {
    if (qm_matmul_checked(x, &p, &y) == TS_OK)
      ts_free(y);
    ts_free(p.q);
  }
  ts_free(x);
  ts_free(w);
}

// OK: a calibration, then the reference kernel on the calibrated range
void qm_run_calib(void) {
  qm_packed p;
  qm_calib c;
  ts_tensor *w = ts_randn(TS_SHAPE(QM_IN, QM_OUT), TS_FLOAT32);
  ts_tensor *x = ts_randn(TS_SHAPE(2, QM_IN), TS_FLOAT32);
  if (qm_pack(w, &p) == TS_OK) {
    ts_tensor *y = qm_kernel_ref(x, &p);
    if (y)
      ts_free(y);
    ts_free(p.q);
  }
  qm_calib_init(&c);
  qm_calib_run(&c, 4);
  qm_calib_free(&c);
  ts_free(x);
  ts_free(w);
}

// OK: the fast calibration over several batches
void qm_run_calib_fast(void) {
  qm_calib c;
  qm_calib_init(&c);
  qm_calib_run_fast(&c, 3);
  qm_calib_free(&c);
}

// OK: counts batches until one clips
void qm_run_clipped(void) {
  printf("quantmm: %d clean batches\n", qm_calib_count_clipped(6, 2.5));
}

// OK: the first good layer, used and freed
void qm_run_first_good(void) {
  qm_model m;
  if (qm_model_init(&m, 2) != TS_OK)
    return;
  ts_tensor *f = qm_first_good_layer(&m, 1.0);
  if (f) {
    printf("quantmm: good layer %lld\n", (long long)ts_numel(f));
    ts_free(f);
  }
  qm_model_free(&m);
}

// BUG: leak: escaping at the outermost scope makes the output manual, and it is never freed
void qm_run_escaped_output(void) {
  qm_model m;
  ts_tensor *y = NULL;
  if (qm_model_init(&m, 2) != TS_OK)
    return;
  TS_SCOPE {
    ts_tensor *x = ts_randn(TS_SHAPE(2, QM_IN), TS_FLOAT32);
    y = ts_escape(qm_forward(&m, qm_pick("ref"), x)); // <- BUG
  }
  printf("quantmm: output %lld values\n", (long long)ts_numel(y));
  qm_model_free(&m);
}

// BUG: unescaped-return: the widest layer's float copy is returned out of the loop iteration's scope
static ts_tensor *qm_widest_layer(const qm_model *m) {
  int i = 0;
  double widest = -1.0;
  TS_SCOPE while (i < m->n) {
    ts_tensor *f = qm_dequantise(&m->layers[i]);
    double span = ts_item(ts_max(f)) - ts_item(ts_min(f));
    if (span > widest && i == m->n - 1)
      return f; // <- BUG
    if (span > widest)
      widest = span;
    i++;
  }
  return NULL;
}

// OK: reads the widest layer it is handed and frees it
void qm_run_widest(void) {
  qm_model m;
  if (qm_model_init(&m, 1) != TS_OK)
    return;
  ts_tensor *f = qm_widest_layer(&m);
  if (f) {
    printf("quantmm: widest %lld\n", (long long)ts_numel(f));
    ts_free(f);
  }
  qm_model_free(&m);
}

// BUG: leak: the packed weight's values are never freed
void qm_run_pack_once(void) {
  qm_packed p;
  ts_tensor *w = ts_randn(TS_SHAPE(QM_IN, QM_OUT), TS_FLOAT32);
  if (qm_pack(w, &p) == TS_OK) // <- BUG
    printf("quantmm: scale %.4f zero point %lld\n", p.scale, (long long)p.zp);
  ts_free(w);
}

// BUG: double-free: the layer's values are freed before qm_model_remove frees them again
void qm_run_remove_first(void) {
  qm_model m;
  if (qm_model_init(&m, 2) != TS_OK)
    return;
  ts_free(m.layers[0].q);
  qm_model_remove(&m, 0); // <- BUG
  qm_model_free(&m);
}
