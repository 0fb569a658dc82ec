/*
 * tensor_api.c - the public tensor calls of tsmem.h (SPEC section 3) that are
 * not ATen operators, and the checks behind every section 3 status.
 *
 * The operators (ts_zeros, ts_add, ts_matmul, ts_reshape, ...) are generated
 * (tools/gen-ops/hooks.txt, into ops_section3.cpp): each runs the checks of
 * tensor_checks.h that hooks.txt names, either before libtorch (rules
 * libtorch does not check) or only after libtorch threw, to report the cause
 * in SPEC's words. Here: ts_from_buffer, metadata, buffers, settings and
 * autograd. Each call unwraps its handles (ts__unwrap reports NULL and stale
 * ones and pins the live ones), checks, calls the libtorch core
 * (torch/tensor_core.h), unpins what it unwrapped (on every path) and wraps
 * the result. Only the error paths format text.
 */
#include "tensor_checks.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* More dimensions than any real tensor has; libtorch's own limit is higher
 * but a count past this is a bug in the caller (uninitialised ndim). */

/* ---------------------------------------------------------------- helpers */

/* "[2,3]" into buf, shortened with "..." when it does not fit. */
static const char *shape_str(char *buf, size_t size, const int64_t *shape,
                             int ndim) {
  size_t n = (size_t)snprintf(buf, size, "[");
  for (int i = 0; i < ndim && n < size; i++)
    n += (size_t)snprintf(buf + n, size - n, "%s%lld", i ? "," : "",
                          (long long)shape[i]);
  if (n < size)
    snprintf(buf + n, size - n, "]");
  else if (size > 4)
    memcpy(buf + size - 4, "...", 4);
  return buf;
}

#define SHAPE_STR(buf, t) shape_str(buf, sizeof buf, tsc_sizes(t), tsc_ndim(t))

static bool is_floating(ts_dtype d) {
  return d == TS_FLOAT32 || d == TS_FLOAT64 || d == TS_FLOAT16 ||
         d == TS_BFLOAT16;
}

/* A status call's result: on success the last error is cleared, on failure
 * the callee has already set it. */
static ts_status status_done(ts_status st) {
  if (st == TS_OK)
    ts__ok_fast();
  return st;
}

bool ts__check_dtype(const char *call, ts_dtype dtype) {
  if ((unsigned)dtype <= (unsigned)TS_BFLOAT16)
    return true;
  ts__fail(TS_ERR_DTYPE, call,
           "dtype %d is not a ts_dtype; pass one of TS_FLOAT32 ... "
           "TS_BFLOAT16",
           (int)dtype);
  return false;
}

bool ts__check_float_dtype(const char *call, ts_dtype dtype) {
  if (is_floating(dtype))
    return true;
  ts__fail(TS_ERR_DTYPE, call,
           "dtype %s has no random floating values; pass TS_FLOAT32 or "
           "TS_FLOAT64",
           tsc_dtype_name(dtype));
  return false;
}

bool ts__check_float(const char *call, const char *arg, const tsc_tensor *t) {
  if (is_floating(tsc_dtype(t)))
    return true;
  ts__fail(TS_ERR_DTYPE, call,
           "%s has dtype %s but the operation needs a floating-point tensor; "
           "make it with TS_FLOAT32 or TS_FLOAT64",
           arg, tsc_dtype_name(tsc_dtype(t)));
  return false;
}

bool ts__check_shape_arg(const char *call, const int64_t *shape, int ndim) {
  if (ndim < 0 || ndim > TS_MAX_NDIM) {
    ts__fail(TS_ERR_ARG, call,
             "ndim is %d, outside 0..%d; pass the number of sizes in shape "
             "(TS_SHAPE(...) does it for you)",
             ndim, TS_MAX_NDIM);
    return false;
  }
  if (ndim > 0 && !shape) {
    ts__fail(TS_ERR_NULL, call,
             "shape is NULL with ndim %d; pass an array of ndim sizes, e.g. "
             "TS_SHAPE(2, 3)",
             ndim);
    return false;
  }
  return true;
}

/* A shape argument: ndim in range, shape non-NULL when needed, sizes >= 0
 * (-1 too when allow_infer, for reshape), and a byte count that fits. */
static bool check_shape(const char *call, const int64_t *shape, int ndim,
                        ts_dtype dtype, bool allow_infer) {
  if (!ts__check_shape_arg(call, shape, ndim))
    return false;
  uint64_t bytes = tsc_dtype_size(dtype);
  bool inferred = false;
  for (int i = 0; i < ndim; i++) {
    if (shape[i] == -1 && allow_infer && !inferred) {
      inferred = true;
      continue;
    }
    if (shape[i] < 0) {
      char buf[96];
      ts__fail(TS_ERR_SHAPE, call,
               "shape %s has size %lld at dim %d; sizes must be >= 0%s",
               shape_str(buf, sizeof buf, shape, ndim), (long long)shape[i], i,
               allow_infer ? " (or one -1 to infer it)" : "");
      return false;
    }
    if (shape[i] && bytes > (uint64_t)INT64_MAX / (uint64_t)shape[i]) {
      char buf[96];
      ts__fail(TS_ERR_ARG, call,
               "shape %s holds more bytes than a tensor can address; check "
               "the sizes for an uninitialised or corrupted value",
               shape_str(buf, sizeof buf, shape, ndim));
      return false;
    }
    bytes *= (uint64_t)shape[i];
  }
  return true;
}

bool ts__check_shape(const char *call, const int64_t *shape, int ndim,
                     ts_dtype dtype) {
  return check_shape(call, shape, ndim, dtype, false);
}

bool ts__check_dim(const char *call, const tsc_tensor *t, int dim) {
  int nd = tsc_ndim(t);
  int n = nd ? nd : 1;
  if (dim >= -n && dim < n)
    return true;
  char buf[96];
  ts__fail(TS_ERR_SHAPE, call,
           "dim %d is out of range for a tensor of shape %s; pass a dim in "
           "%d..%d",
           dim, SHAPE_STR(buf, t), -n, n - 1);
  return false;
}

/* Broadcasting as libtorch does it: aligned from the last dim, sizes equal
 * or one of them 1. */
bool ts__check_broadcast(const char *call, const tsc_tensor *a,
                         const tsc_tensor *b) {
  int na = tsc_ndim(a), nb = tsc_ndim(b);
  const int64_t *sa = tsc_sizes(a), *sb = tsc_sizes(b);
  for (int i = 1; i <= na && i <= nb; i++) {
    int64_t x = sa[na - i], y = sb[nb - i];
    if (x != y && x != 1 && y != 1) {
      char ba[96], bb[96];
      ts__fail(TS_ERR_SHAPE, call,
               "shapes %s and %s cannot broadcast (%lld vs %lld at dim %d "
               "from the end); make the sizes equal or 1",
               SHAPE_STR(ba, a), SHAPE_STR(bb, b), (long long)x, (long long)y,
               i);
      return false;
    }
  }
  return true;
}

bool ts__check_matmul(const char *call, const tsc_tensor *a,
                      const tsc_tensor *b) {
  int na = tsc_ndim(a), nb = tsc_ndim(b);
  char ba[96], bb[96];
  if (na == 0 || nb == 0) {
    ts__fail(TS_ERR_SHAPE, call,
             "a is %s and b is %s but both need at least one dim; use "
             "ts_mul to scale by a 0-d tensor",
             SHAPE_STR(ba, a), SHAPE_STR(bb, b));
    return false;
  }
  int64_t ka = tsc_sizes(a)[na - 1];
  int64_t kb = tsc_sizes(b)[nb == 1 ? 0 : nb - 2];
  if (ka != kb) {
    ts__fail(TS_ERR_SHAPE, call,
             "inner dims differ: a is %s and b is %s (%lld != %lld); b needs "
             "as many rows as a has columns",
             SHAPE_STR(ba, a), SHAPE_STR(bb, b), (long long)ka, (long long)kb);
    return false;
  }
  ts_dtype da = tsc_dtype(a), db = tsc_dtype(b);
  if (da == db)
    return true;
  ts__fail(TS_ERR_DTYPE, call,
           "a is %s and b is %s but matmul takes one dtype; convert one of "
           "them (ts_to_dtype) to the other's",
           tsc_dtype_name(da), tsc_dtype_name(db));
  return false;
}

bool ts__check_targets(const char *call, const tsc_tensor *targets) {
  if (tsc_dtype(targets) == TS_INT64)
    return true;
  ts__fail(TS_ERR_DTYPE, call,
           "targets have dtype %s but must be int64 class indices; make "
           "them with TS_INT64",
           tsc_dtype_name(tsc_dtype(targets)));
  return false;
}

/* logits [N,C,...] with int64 targets [N,...], or [C] with a 0-d target. */
bool ts__check_cross_entropy(const char *call, const tsc_tensor *logits,
                             const tsc_tensor *targets) {
  if (!ts__check_float(call, "logits", logits) ||
      !ts__check_targets(call, targets))
    return false;
  int nl = tsc_ndim(logits), nt = tsc_ndim(targets);
  const int64_t *sl = tsc_sizes(logits), *st = tsc_sizes(targets);
  bool ok = nl >= 1 && nt == nl - 1;
  for (int i = 0; ok && i < nt; i++)
    ok = st[i] == sl[i == 0 ? 0 : i + 1];
  if (ok)
    return true;
  char bl[96], bt[96];
  ts__fail(TS_ERR_SHAPE, call,
           "logits %s do not fit targets %s; logits [N,C] need targets [N] "
           "(one class index per row)",
           SHAPE_STR(bl, logits), SHAPE_STR(bt, targets));
  return false;
}

bool ts__check_same_shape(const char *call, const tsc_tensor *a,
                          const tsc_tensor *b) {
  int n = tsc_ndim(a);
  if (n == tsc_ndim(b) &&
      (n == 0 || !memcmp(tsc_sizes(a), tsc_sizes(b), n * sizeof(int64_t))))
    return true;
  char ba[96], bb[96];
  ts__fail(TS_ERR_SHAPE, call,
           "a is %s and b is %s but the shapes must be equal; reshape one of "
           "them",
           SHAPE_STR(ba, a), SHAPE_STR(bb, b));
  return false;
}

bool ts__check_finite_step(const char *call, double start, double end,
                           double step) {
  if (isfinite(step))
    return true;
  ts__fail(TS_ERR_ARG, call,
           "start %g, end %g, step %g: all must be finite and step nonzero",
           start, end, step);
  return false;
}

bool ts__check_arange(const char *call, double start, double end, double step) {
  if (!isfinite(start) || !isfinite(end) || !isfinite(step) || step == 0) {
    ts__fail(TS_ERR_ARG, call,
             "start %g, end %g, step %g: all must be finite and step nonzero",
             start, end, step);
    return false;
  }
  if ((end - start) / step < 0) {
    ts__fail(TS_ERR_ARG, call,
             "step %g goes away from end %g (start %g); flip the step's sign",
             step, end, start);
    return false;
  }
  return true;
}

bool ts__check_reshape(const char *call, const tsc_tensor *t,
                       const int64_t *shape, int ndim) {
  if (!check_shape(call, shape, ndim, tsc_dtype(t), true))
    return false;
  int64_t known = 1;
  bool infer = false;
  for (int i = 0; i < ndim; i++) {
    if (shape[i] == -1)
      infer = true;
    else
      known *= shape[i];
  }
  int64_t numel = tsc_numel(t);
  bool fits = infer ? (known != 0 && numel % known == 0) : known == numel;
  if (fits)
    return true;
  char ba[96], bb[96];
  ts__fail(TS_ERR_SHAPE, call,
           "cannot reshape %s (%lld elements) to %s; the new shape must hold "
           "the same number of elements",
           SHAPE_STR(ba, t), (long long)numel,
           shape_str(bb, sizeof bb, shape, ndim));
  return false;
}

/* -------------------------------------------------------------- factories */

/* ts_from_buffer, not an ATen operator: ts__wrap in the public call itself
 * records the user's call site. */
ts_tensor *ts_from_buffer(const void *data, const int64_t *shape, int ndim,
                          ts_dtype dtype) {
  static const char call[] = "ts_from_buffer";
  if (!ts__check_dtype(call, dtype) ||
      !check_shape(call, shape, ndim, dtype, 0))
    return NULL;
  if (!data) {
    int64_t numel = 1;
    for (int i = 0; i < ndim; i++)
      numel *= shape[i];
    if (numel) {
      ts__fail(TS_ERR_NULL, call,
               "data is NULL; pass a buffer of numel * element size bytes");
      return NULL;
    }
  }
  return ts__wrap(tsc_from_buffer(call, data, shape, ndim, dtype), call);
}

/* --------------------------------------------------------------- metadata */

double ts_item(const ts_tensor *t) {
  static const char call[] = "ts_item";
  tsc_tensor *x = ts__unwrap(t, call, "t");
  if (!x)
    return NAN;
  double v = NAN;
  if (tsc_numel(x) != 1) {
    char buf[96];
    ts__fail(TS_ERR_SHAPE, call,
             "t has shape %s (%lld elements) but ts_item reads exactly one; "
             "reduce it first (ts_sum, ts_mean) or use ts_copy_to_buffer",
             SHAPE_STR(buf, x), (long long)tsc_numel(x));
  } else {
    ts__ok_fast();
    v = tsc_item(x);
  }
  ts__unpin(t);
  return v;
}

int ts_ndim(const ts_tensor *t) {
  tsc_tensor *x = ts__unwrap(t, "ts_ndim", "t");
  if (!x)
    return -1;
  int v = tsc_ndim(x);
  ts__unpin(t);
  ts__ok_fast();
  return v;
}

int64_t ts_size(const ts_tensor *t, int dim) {
  tsc_tensor *x = ts__unwrap(t, "ts_size", "t");
  if (!x)
    return -1;
  int64_t v = -1;
  if (tsc_ndim(x) == 0 || dim < -tsc_ndim(x) || dim >= tsc_ndim(x)) {
    char buf[96];
    ts__fail(TS_ERR_SHAPE, "ts_size",
             "dim %d is out of range for a tensor of shape %s; pass a dim in "
             "-ndim..ndim-1",
             dim, SHAPE_STR(buf, x));
  } else {
    ts__ok_fast();
    v = tsc_sizes(x)[dim < 0 ? dim + tsc_ndim(x) : dim];
  }
  ts__unpin(t);
  return v;
}

int64_t ts_numel(const ts_tensor *t) {
  tsc_tensor *x = ts__unwrap(t, "ts_numel", "t");
  if (!x)
    return -1;
  int64_t v = tsc_numel(x);
  ts__unpin(t);
  ts__ok_fast();
  return v;
}

size_t ts_nbytes(const ts_tensor *t) {
  tsc_tensor *x = ts__unwrap(t, "ts_nbytes", "t");
  if (!x)
    return 0;
  size_t v = tsc_nbytes(x);
  ts__unpin(t);
  ts__ok_fast();
  return v;
}

ts_dtype ts_tensor_dtype(const ts_tensor *t) {
  tsc_tensor *x = ts__unwrap(t, "ts_tensor_dtype", "t");
  if (!x)
    return (ts_dtype)-1;
  ts_dtype v = tsc_dtype(x);
  ts__unpin(t);
  ts__ok_fast();
  return v;
}

/* ts_copy_to_buffer's checks and copy, on the pinned x. */
static ts_status copy_to_buffer(const char *call, const tsc_tensor *x,
                                void *dst, size_t nbytes) {
  size_t need = tsc_nbytes(x);
  if (nbytes < need)
    return ts__fail(TS_ERR_ARG, call,
                    "dst holds %zu bytes but t needs %zu; pass a buffer of at "
                    "least ts_nbytes(t) bytes",
                    nbytes, need);
  if (!dst && need)
    return ts__fail(TS_ERR_NULL, call,
                    "dst is NULL; pass a buffer of ts_nbytes(t) bytes");
  return status_done(tsc_copy_to_buffer(call, x, dst));
}

ts_status ts_copy_to_buffer(const ts_tensor *t, void *dst, size_t nbytes) {
  static const char call[] = "ts_copy_to_buffer";
  tsc_tensor *x = ts__unwrap(t, call, "t");
  if (!x)
    return ts_last_status();
  ts_status st = copy_to_buffer(call, x, dst, nbytes);
  ts__unpin(t);
  return st;
}

/* --------------------------------------------------------------- settings */

void ts_manual_seed(uint64_t seed) {
  ts__ok_fast();
  tsc_manual_seed(seed);
}

void ts_set_num_threads(int n) {
  if (n < 1) {
    ts__fail(TS_ERR_ARG, "ts_set_num_threads",
             "n is %d; pass a thread count of at least 1", n);
    return;
  }
  ts__ok_fast();
  tsc_set_num_threads(n);
}

/* --------------------------------------------------------------- autograd */

/* The autograd calls' checks and work on the pinned x; the public calls
 * below pin and unpin around them. */
static ts_status requires_grad(const char *call, tsc_tensor *x, bool on) {
  if (on && !ts__check_float(call, "t", x))
    return TS_ERR_DTYPE;
  return status_done(tsc_set_requires_grad(call, x, on));
}

/* ts_backward's checks of the loss. */
static ts_status check_loss(const char *call, tsc_tensor *x) {
  if (tsc_numel(x) != 1) {
    char buf[96];
    return ts__fail(TS_ERR_SHAPE, call,
                    "loss has shape %s but must be a single value; reduce it "
                    "with ts_sum or ts_mean first",
                    SHAPE_STR(buf, x));
  }
  if (!tsc_requires_grad(x))
    return ts__fail(TS_ERR_ARG, call,
                    "loss does not depend on any tensor that requires grad; "
                    "call ts_requires_grad(param, true) before computing it");
  return TS_OK;
}

static ts_status backward(const char *call, tsc_tensor *x) {
  ts_status st = check_loss(call, x);
  return st != TS_OK ? st : status_done(tsc_backward(call, x));
}

/* Every SGD call's check of its learning rate. */
static ts_status check_lr(const char *call, double lr) {
  if (!isfinite(lr))
    return ts__fail(TS_ERR_ARG, call, "lr is %g; pass a finite learning rate",
                    lr);
  return TS_OK;
}

static ts_status sgd_step(const char *call, tsc_tensor *x, double lr) {
  ts_status st = check_lr(call, lr);
  if (st != TS_OK)
    return st;
  if (!tsc_requires_grad(x))
    return ts__fail(TS_ERR_ARG, call,
                    "param does not require grad; call ts_requires_grad(param, "
                    "true) before the forward pass");
  return status_done(tsc_sgd_step(call, x, lr));
}

/* Unwraps t, runs body(call, x, args...) and unpins: a status call. */
#define PINNED_STATUS(t, arg, body, ...)                                       \
  do {                                                                         \
    tsc_tensor *x_ = ts__unwrap(t, call, arg);                                 \
    if (!x_)                                                                   \
      return ts_last_status();                                                 \
    ts_status st_ = body(call, x_, ##__VA_ARGS__);                             \
    ts__unpin(t);                                                              \
    return st_;                                                                \
  } while (0)

ts_status ts_requires_grad(ts_tensor *t, bool on) {
  static const char call[] = "ts_requires_grad";
  PINNED_STATUS(t, "t", requires_grad, on);
}

ts_status ts_backward(ts_tensor *loss) {
  static const char call[] = "ts_backward";
  PINNED_STATUS(loss, "loss", backward);
}

ts_tensor *ts_grad(const ts_tensor *t) {
  static const char call[] = "ts_grad";
  tsc_tensor *x = ts__unwrap(t, call, "t");
  if (!x)
    return NULL;
  ts_status st;
  tsc_tensor *g = tsc_grad(call, x, &st);
  ts__unpin(t);
  if (g)
    return ts__wrap(g, call);
  if (st == TS_OK)
    ts__ok_fast(); /* no gradient yet: NULL without an error */
  return NULL;
}

ts_status ts_zero_grad(ts_tensor *t) {
  static const char call[] = "ts_zero_grad";
  PINNED_STATUS(t, "t", tsc_zero_grad);
}

ts_status ts_sgd_step(ts_tensor *param, double lr) {
  static const char call[] = "ts_sgd_step";
  PINNED_STATUS(param, "param", sgd_step, lr);
}

ts_status ts_clear_grad(ts_tensor *t) {
  static const char call[] = "ts_clear_grad";
  PINNED_STATUS(t, "t", tsc_clear_grad);
}

/* Pins params[0..n) into x (all, or none on failure: the error set) and
 * checks that each requires grad. */
static ts_status pin_params(const char *call, ts_tensor *const *params,
                            size_t n, tsc_tensor **x) {
  size_t k = 0;
  ts_status st = TS_OK;
  /* The argument's name in ts__unwrap's errors (formatting one per call
   * would cost more than the rest of the check). */
  static const char *const names[] = {
      "params[0]",  "params[1]",  "params[2]",  "params[3]",
      "params[4]",  "params[5]",  "params[6]",  "params[7]",
      "params[8]",  "params[9]",  "params[10]", "params[11]",
      "params[12]", "params[13]", "params[14]", "params[15]"};
  enum { NAMED = sizeof names / sizeof *names };
  for (; k < n; k++) {
    x[k] = ts__unwrap(params[k], call,
                      k < NAMED ? names[k] : "params[16 or later]");
    if (!x[k]) {
      st = ts_last_status();
      break;
    }
    if (!tsc_requires_grad(x[k])) {
      ts__unpin(params[k]);
      st = ts__fail(TS_ERR_ARG, call,
                    "params[%zu] does not require grad; call "
                    "ts_requires_grad(param, true) before the forward pass",
                    k);
      break;
    }
  }
  if (st != TS_OK)
    while (k-- > 0)
      ts__unpin(params[k]);
  return st;
}

/* The checks ts_sgd_step_all and ts_backward_sgd share. */
static ts_status check_params_lr(const char *call, ts_tensor *const *params,
                                 size_t n, double lr) {
  if (n > 0 && !params)
    return ts__fail(TS_ERR_NULL, call,
                    "params is NULL but n is %zu; pass an array of n "
                    "parameters",
                    n);
  return check_lr(call, lr);
}

/* The parameters of one call, unwrapped and pinned: on the stack up to 16,
   on the heap beyond. */
typedef struct {
  tsc_tensor *small[16];
  tsc_tensor **x;
} pinned_params;

static ts_status pin_all(const char *call, ts_tensor *const *params, size_t n,
                         pinned_params *p) {
  p->x = p->small;
  if (n > 16 && !(p->x = malloc(n * sizeof *p->x))) {
    p->x = p->small;
    return ts__fail(TS_ERR_OOM, call, "no memory for %zu parameters", n);
  }
  ts_status st = pin_params(call, params, n, p->x);
  if (st != TS_OK && p->x != p->small)
    free(p->x);
  return st;
}

static void unpin_all(ts_tensor *const *params, size_t n, pinned_params *p) {
  for (size_t k = n; k-- > 0;)
    ts__unpin(params[k]);
  if (p->x != p->small)
    free(p->x);
}

ts_status ts_sgd_step_all(ts_tensor *const *params, size_t n, double lr,
                          ts_grad_after after) {
  static const char call[] = "ts_sgd_step_all";
  ts_status st = check_params_lr(call, params, n, lr);
  if (st != TS_OK)
    return st;
  if ((unsigned)after > TS_GRAD_CLEAR)
    return ts__fail(TS_ERR_ARG, call,
                    "after is %d; pass TS_GRAD_KEEP, TS_GRAD_ZERO or "
                    "TS_GRAD_CLEAR",
                    (int)after);
  if (n == 0) {
    ts__ok_fast();
    return TS_OK;
  }
  pinned_params p;
  if ((st = pin_all(call, params, n, &p)) != TS_OK)
    return st;
  st = status_done(tsc_sgd_step_all(call, p.x, n, lr, after));
  unpin_all(params, n, &p);
  return st;
}

ts_status ts_backward_sgd(ts_tensor *loss, ts_tensor *const *params, size_t n,
                          double lr) {
  static const char call[] = "ts_backward_sgd";
  ts_status st = check_params_lr(call, params, n, lr);
  if (st != TS_OK)
    return st;
  tsc_tensor *l = ts__unwrap(loss, call, "loss");
  if (!l)
    return ts_last_status();
  st = check_loss(call, l);
  pinned_params p;
  if (st == TS_OK && n == 0) {
    ts__ok_fast(); /* nothing to update: libtorch would refuse no inputs */
  } else if (st == TS_OK && (st = pin_all(call, params, n, &p)) == TS_OK) {
    st = status_done(tsc_backward_sgd(call, l, p.x, n, lr));
    unpin_all(params, n, &p);
  }
  ts__unpin(loss);
  return st;
}
