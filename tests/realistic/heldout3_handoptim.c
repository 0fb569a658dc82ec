/* heldout3_handoptim.c - optimisers written by hand on a least-squares
 * problem: Adam (and AMSGrad) state in arrays, momentum buffers, gradient
 * clipping, and L-BFGS with a ring of curvature pairs and the two-loop
 * recursion.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { MAXP = 4, HIST = 3, DIMX = 5 };

struct lsq {
  ts_tensor *A, *b; /* [8,DIMX], [8,1] */
};

struct adam {
  ts_tensor *m[MAXP], *v[MAXP], *vmax[MAXP];
  int n, t;
  double lr, b1, b2, eps;
  int amsgrad;
};

// OK: the problem's tensors belong to the struct
static void lsq_make(struct lsq *q) {
  q->A = ts_randn(TS_SHAPE(8, DIMX), TS_FLOAT64);
  q->b = ts_randn(TS_SHAPE(8, 1), TS_FLOAT64);
}

// OK: frees the problem
static void lsq_free(struct lsq *q) {
  ts_free(q->A);
  ts_free(q->b);
}

// OK: f(x) = |Ax - b|^2 / 2 in a guard scope
static double lsq_value(const struct lsq *q, const ts_tensor *x) {
  TS_SCOPE_GUARD();
  ts_tensor *r = ts_sub(ts_matmul(q->A, x), q->b);
  return 0.5 * ts_item(ts_sum(ts_mul(r, r)));
}

// OK: gradient A^T (Ax - b), a new tensor
static ts_tensor *lsq_grad(const struct lsq *q, const ts_tensor *x) {
  ts_tensor *ax = ts_matmul(q->A, x);
  ts_sub_Tensor_(ax, q->b, 1.0);
  ts_tensor *at = ts_t(q->A);
  ts_tensor *g = ts_matmul(at, ax);
  ts_free(at);
  ts_free(ax);
  return g;
}

// OK: zero state for each parameter; a failure frees what was made
static int adam_init(struct adam *a, ts_tensor *const *params, int n,
                     double lr) {
  a->n = 0;
  a->t = 0;
  a->lr = lr;
  a->b1 = 0.9;
  a->b2 = 0.999;
  a->eps = 1e-8;
  a->amsgrad = 0;
  for (int i = 0; i < n; i++) {
    a->m[i] = ts_zeros_like(params[i], TS_NO_DTYPE, NULL);
    a->v[i] = ts_zeros_like(params[i], TS_NO_DTYPE, NULL);
    a->vmax[i] = NULL;
    if (!a->m[i] || !a->v[i]) {
      if (a->m[i])
        ts_free(a->m[i]);
      if (a->v[i])
        ts_free(a->v[i]);
      for (int j = 0; j < i; j++) {
        ts_free(a->m[j]);
        ts_free(a->v[j]);
      }
      return -1;
    }
    a->n++;
  }
  return 0;
}

// OK: frees the state, the AMSGrad maxima where there are any
static void adam_free(struct adam *a) {
  for (int i = 0; i < a->n; i++) {
    ts_free(a->m[i]);
    ts_free(a->v[i]);
    if (a->vmax[i])
      ts_free(a->vmax[i]);
  }
  a->n = 0;
}

// OK: one Adam step: moments in place, the update from temporaries
static void adam_step(struct adam *a, ts_tensor *const *params,
                      ts_tensor *const *grads) {
  a->t++;
  double c1 = 1.0 - pow(a->b1, a->t), c2 = 1.0 - pow(a->b2, a->t);
  for (int i = 0; i < a->n; i++) {
    ts_mul_Scalar_(a->m[i], a->b1);
    ts_add_Tensor_(a->m[i], grads[i], 1.0 - a->b1);
    ts_mul_Scalar_(a->v[i], a->b2);
    ts_addcmul_(a->v[i], grads[i], grads[i], 1.0 - a->b2);
    const ts_tensor *v = a->v[i];
    if (a->amsgrad) {
      if (!a->vmax[i]) {
        a->vmax[i] = ts_clone(a->v[i]);
      } else {
        ts_tensor *mx = ts_maximum(a->vmax[i], a->v[i]);
        ts_free(a->vmax[i]);
        a->vmax[i] = mx;
      }
      v = a->vmax[i];
    }
    ts_tensor *den = ts_sqrt(v);
    ts_div_Scalar_(den, sqrt(c2));
    ts_add_Scalar_(den, a->eps, 1.0);
    ts_tensor *upd = ts_div(a->m[i], den);
    ts_free(den);
    ts_sub_Tensor_(params[i], upd, a->lr / c1);
    ts_free(upd);
  }
}

// OK: Adam on the least-squares problem
void hopt_adam(void) {
  struct lsq q;
  lsq_make(&q);
  ts_tensor *x = ts_zeros(TS_SHAPE(DIMX, 1), TS_FLOAT64);
  struct adam a;
  if (adam_init(&a, &x, 1, 0.1) != 0) {
    ts_free(x);
    lsq_free(&q);
    return;
  }
  for (int it = 0; it < 50; it++) {
    ts_tensor *g = lsq_grad(&q, x);
    adam_step(&a, &x, &g);
    ts_free(g);
  }
  printf("adam f %.4f\n", lsq_value(&q, x));
  adam_free(&a);
  ts_free(x);
  lsq_free(&q);
}

// OK: AMSGrad variant, the maxima kept in the state
void hopt_amsgrad(void) {
  struct lsq q;
  lsq_make(&q);
  ts_tensor *x = ts_zeros(TS_SHAPE(DIMX, 1), TS_FLOAT64);
  struct adam a;
  if (adam_init(&a, &x, 1, 0.1) != 0) {
    ts_free(x);
    lsq_free(&q);
    return;
  }
  a.amsgrad = 1;
  for (int it = 0; it < 20; it++) {
    ts_tensor *g = lsq_grad(&q, x);
    adam_step(&a, &x, &g);
    ts_free(g);
  }
  printf("amsgrad f %.4f\n", lsq_value(&q, x));
  adam_free(&a);
  ts_free(x);
  lsq_free(&q);
}

// BUG: leak: the bias-corrected first moment is made and never freed
static void adam_step_corrected(struct adam *a, ts_tensor *const *params,
                                ts_tensor *const *grads) {
  a->t++;
  double c1 = 1.0 - pow(a->b1, a->t), c2 = 1.0 - pow(a->b2, a->t);
  for (int i = 0; i < a->n; i++) {
    ts_mul_Scalar_(a->m[i], a->b1);
    ts_add_Tensor_(a->m[i], grads[i], 1.0 - a->b1);
    ts_mul_Scalar_(a->v[i], a->b2);
    ts_addcmul_(a->v[i], grads[i], grads[i], 1.0 - a->b2);
    ts_tensor *m_hat = ts_div_Scalar(a->m[i], c1); // <- BUG
    ts_tensor *den = ts_sqrt(a->v[i]);
    ts_div_Scalar_(den, sqrt(c2));
    ts_add_Scalar_(den, a->eps, 1.0);
    ts_tensor *upd = ts_div(m_hat, den);
    ts_free(den);
    ts_sub_Tensor_(params[i], upd, a->lr);
    ts_free(upd);
  }
}

// OK: drives the corrected step (the leak is the step's)
void hopt_adam_corrected(void) {
  struct lsq q;
  lsq_make(&q);
  ts_tensor *x = ts_zeros(TS_SHAPE(DIMX, 1), TS_FLOAT64);
  struct adam a;
  if (adam_init(&a, &x, 1, 0.1) == 0) {
    for (int it = 0; it < 3; it++) {
      ts_tensor *g = lsq_grad(&q, x);
      adam_step_corrected(&a, &x, &g);
      ts_free(g);
    }
    adam_free(&a);
  }
  ts_free(x);
  lsq_free(&q);
}

// OK: restarts the optimiser: the moments are zeroed in place
static void adam_restart(struct adam *a) {
  for (int i = 0; i < a->n; i++) {
    ts_zero_(a->m[i]);
    ts_zero_(a->v[i]);
  }
  a->t = 0;
}

// BUG: double-free: the restart written with frees leaves the freed moments
// in the state, and the teardown frees them again
void hopt_adam_restart_free(void) {
  struct lsq q;
  lsq_make(&q);
  ts_tensor *x = ts_zeros(TS_SHAPE(DIMX, 1), TS_FLOAT64);
  struct adam a;
  if (adam_init(&a, &x, 1, 0.05) != 0) {
    ts_free(x);
    lsq_free(&q);
    return;
  }
  for (int it = 0; it < 5; it++) {
    ts_tensor *g = lsq_grad(&q, x);
    adam_step(&a, &x, &g);
    ts_free(g);
  }
  ts_free(a.m[0]);
  ts_free(a.v[0]);
  a.t = 0;
  adam_free(&a); // <- BUG
  ts_free(x);
  lsq_free(&q);
}

// OK: restart in place between two phases
void hopt_adam_restart(void) {
  struct lsq q;
  lsq_make(&q);
  ts_tensor *x = ts_zeros(TS_SHAPE(DIMX, 1), TS_FLOAT64);
  struct adam a;
  if (adam_init(&a, &x, 1, 0.05) != 0) {
    ts_free(x);
    lsq_free(&q);
    return;
  }
  for (int phase = 0; phase < 2; phase++) {
    for (int it = 0; it < 5; it++) {
      ts_tensor *g = lsq_grad(&q, x);
      adam_step(&a, &x, &g);
      ts_free(g);
    }
    adam_restart(&a);
  }
  adam_free(&a);
  ts_free(x);
  lsq_free(&q);
}

// OK: the inner product of two tensors, temporaries in a guard scope
static double inner(const ts_tensor *a, const ts_tensor *b) {
  TS_SCOPE_GUARD();
  return ts_item(ts_sum(ts_mul(a, b)));
}

struct lbfgs {
  ts_tensor *s[HIST], *y[HIST];
  double rho[HIST];
  int head, count;
};

// OK: pushes a curvature pair, freeing the one it evicts
static void lbfgs_push(struct lbfgs *h, ts_tensor *s, ts_tensor *y) {
  int slot = (h->head + h->count) % HIST;
  if (h->count == HIST) {
    ts_free(h->s[h->head]);
    ts_free(h->y[h->head]);
    slot = h->head;
    h->head = (h->head + 1) % HIST;
  } else {
    h->count++;
  }
  h->rho[slot] = 1.0 / inner(s, y);
  h->s[slot] = s;
  h->y[slot] = y;
}

// OK: frees every stored pair
static void lbfgs_free(struct lbfgs *h) {
  for (int k = 0; k < h->count; k++) {
    int i = (h->head + k) % HIST;
    ts_free(h->s[i]);
    ts_free(h->y[i]);
  }
  h->count = 0;
}

// OK: the two-loop recursion: the direction H g, a new tensor; q replaced
// through the loops
static ts_tensor *lbfgs_direction(const struct lbfgs *h, const ts_tensor *g) {
  double alpha[HIST];
  ts_tensor *q = ts_clone(g);
  for (int k = h->count - 1; k >= 0; k--) {
    int i = (h->head + k) % HIST;
    alpha[k] = h->rho[i] * inner(h->s[i], q);
    ts_sub_Tensor_(q, h->y[i], alpha[k]);
  }
  if (h->count > 0) {
    int last = (h->head + h->count - 1) % HIST;
    double gamma =
        inner(h->s[last], h->y[last]) / inner(h->y[last], h->y[last]);
    ts_mul_Scalar_(q, gamma);
  }
  for (int k = 0; k < h->count; k++) {
    int i = (h->head + k) % HIST;
    double beta = h->rho[i] * inner(h->y[i], q);
    ts_add_Tensor_(q, h->s[i], alpha[k] - beta);
  }
  return q;
}

// OK: L-BFGS with a fixed step; the pairs are handed to the history
void hopt_lbfgs(void) {
  struct lsq q;
  lsq_make(&q);
  struct lbfgs h = {{0}, {0}, {0}, 0, 0};
  ts_tensor *x = ts_zeros(TS_SHAPE(DIMX, 1), TS_FLOAT64);
  ts_tensor *g = lsq_grad(&q, x);
  for (int it = 0; it < 10; it++) {
    ts_tensor *d = lbfgs_direction(&h, g);
    ts_tensor *xn = ts_sub_Tensor(x, d, it == 0 ? 0.01 : 1.0);
    ts_free(d);
    ts_tensor *gn = lsq_grad(&q, xn);
    ts_tensor *s = ts_sub(xn, x);
    ts_tensor *y = ts_sub(gn, g);
    ts_free(x);
    ts_free(g);
    x = xn;
    g = gn;
    if (inner(s, y) <= 1e-12) {
      ts_free(s);
      ts_free(y);
      continue;
    }
    lbfgs_push(&h, s, y);
  }
  printf("lbfgs f %.6f\n", lsq_value(&q, x));
  ts_free(g);
  ts_free(x);
  lbfgs_free(&h);
  lsq_free(&q);
}

// BUG: leak: the warm-up iteration skips the pair with `continue` and
// leaves both differences unfreed
void hopt_lbfgs_warmup(void) {
  struct lsq q;
  lsq_make(&q);
  struct lbfgs h = {{0}, {0}, {0}, 0, 0};
  ts_tensor *x = ts_zeros(TS_SHAPE(DIMX, 1), TS_FLOAT64);
  ts_tensor *g = lsq_grad(&q, x);
  for (int it = 0; it < 6; it++) {
    ts_tensor *d = lbfgs_direction(&h, g);
    ts_tensor *xn = ts_sub_Tensor(x, d, it == 0 ? 0.01 : 1.0);
    ts_free(d);
    ts_tensor *gn = lsq_grad(&q, xn);
    ts_tensor *s = ts_sub(xn, x); // <- BUG
    ts_tensor *y = ts_sub(gn, g);
    ts_free(x);
    ts_free(g);
    x = xn;
    g = gn;
    if (it == 0)
      continue;
    lbfgs_push(&h, s, y);
  }
  ts_free(g);
  ts_free(x);
  lbfgs_free(&h);
  lsq_free(&q);
}

// BUG: use-after-free: the evicted pair's step is freed, then read for the
// log line
static void lbfgs_push_logged(struct lbfgs *h, ts_tensor *s, ts_tensor *y) {
  if (h->count == HIST) {
    ts_tensor *old_s = h->s[h->head];
    ts_free(h->s[h->head]);
    ts_free(h->y[h->head]);
    printf("evicting |s| %.4f\n", inner(old_s, old_s)); // <- BUG
    h->s[h->head] = s;
    h->y[h->head] = y;
    h->rho[h->head] = 1.0 / inner(s, y);
    h->head = (h->head + 1) % HIST;
    return;
  }
  int slot = (h->head + h->count) % HIST;
  h->s[slot] = s;
  h->y[slot] = y;
  h->rho[slot] = 1.0 / inner(s, y);
  h->count++;
}

// OK: fills the history past its size (the logging push is wrong)
void hopt_lbfgs_logged(void) {
  struct lbfgs h = {{0}, {0}, {0}, 0, 0};
  for (int k = 0; k < HIST + 1; k++) {
    ts_tensor *s = ts_randn(TS_SHAPE(DIMX, 1), TS_FLOAT64);
    ts_tensor *y = ts_mul_scalar(s, 2.0);
    lbfgs_push_logged(&h, s, y);
  }
  lbfgs_free(&h);
}

struct momentum {
  ts_tensor *buf[MAXP];
  int n;
  double mu;
};

// OK: heavy-ball SGD; the buffers are made outside any scope
void hopt_momentum(void) {
  struct lsq q;
  lsq_make(&q);
  ts_tensor *x = ts_zeros(TS_SHAPE(DIMX, 1), TS_FLOAT64);
  struct momentum m = {{NULL}, 1, 0.9};
  m.buf[0] = ts_zeros_like(x, TS_NO_DTYPE, NULL);
  for (int it = 0; it < 30; it++) {
    TS_SCOPE {
      ts_tensor *g = lsq_grad(&q, x);
      ts_mul_Scalar_(m.buf[0], m.mu);
      ts_add_Tensor_(m.buf[0], g, 1.0);
      ts_sub_Tensor_(x, m.buf[0], 0.01);
    }
  }
  printf("momentum f %.4f\n", lsq_value(&q, x));
  ts_free(m.buf[0]);
  ts_free(x);
  lsq_free(&q);
}

// BUG: use-after-scope: the buffers are made inside the first step's scope
// and used by the later steps
void hopt_momentum_lazy(void) {
  struct lsq q;
  lsq_make(&q);
  ts_tensor *x = ts_zeros(TS_SHAPE(DIMX, 1), TS_FLOAT64);
  struct momentum m = {{NULL}, 1, 0.9};
  for (int it = 0; it < 3; it++) {
    TS_SCOPE {
      ts_tensor *g = lsq_grad(&q, x);
      if (!m.buf[0])
        m.buf[0] = ts_zeros_like(x, TS_NO_DTYPE, NULL);
      ts_mul_Scalar_(m.buf[0], m.mu); // <- BUG
      ts_add_Tensor_(m.buf[0], g, 1.0);
      ts_sub_Tensor_(x, m.buf[0], 0.01);
    }
  }
  ts_free(x);
  lsq_free(&q);
}

// OK: gradient clipped to a norm, escaped out of the scoped helper
TS_SCOPED static ts_tensor *clip_norm(const ts_tensor *g, double max_norm) {
  double n = sqrt(inner(g, g));
  if (n <= max_norm)
    return ts_escape(ts_clone(g));
  return ts_escape(ts_mul_scalar(g, max_norm / n));
}

// BUG: unescaped-return: the clipped gradient is returned from the scoped
// helper without ts_escape on the clipping path
TS_SCOPED static ts_tensor *clip_value(const ts_tensor *g, double c) {
  ts_tensor *big = ts_gt_Scalar(ts_abs(g), c);
  if (ts_item(ts_any(big)) == 0.0)
    return ts_escape(ts_clone(g));
  return ts_clamp(g, -c, c); // <- BUG
}

// OK: a clipped gradient descent (norm clipping)
void hopt_clipped(void) {
  struct lsq q;
  lsq_make(&q);
  ts_tensor *x = ts_zeros(TS_SHAPE(DIMX, 1), TS_FLOAT64);
  for (int it = 0; it < 20; it++) {
    ts_tensor *g = lsq_grad(&q, x);
    ts_tensor *c = clip_norm(g, 1.0);
    ts_free(g);
    ts_sub_Tensor_(x, c, 0.1);
    ts_free(c);
  }
  printf("clipped f %.4f\n", lsq_value(&q, x));
  ts_free(x);
  lsq_free(&q);
}

// OK: value clipping (the helper is wrong when it clips)
void hopt_clipped_value(void) {
  struct lsq q;
  lsq_make(&q);
  ts_tensor *x = ts_full(TS_SHAPE(DIMX, 1), TS_FLOAT64, 50.0);
  ts_tensor *g = lsq_grad(&q, x);
  ts_tensor *c = clip_value(g, 0.01);
  ts_free(g);
  ts_sub_Tensor_(x, c, 0.1);
  ts_free(c);
  ts_free(x);
  lsq_free(&q);
}

struct grad_job {
  const struct lsq *q;
  const ts_tensor *x;
  double norm;
};

// OK: the gradient norm in a run's scope
static void *grad_norm_job(void *ctx) {
  struct grad_job *j = ctx;
  ts_tensor *g = lsq_grad(j->q, j->x);
  j->norm = sqrt(inner(g, g));
  return NULL;
}

// OK: stops when the gradient norm from the job is small
void hopt_gd_stop(void) {
  struct lsq q;
  lsq_make(&q);
  ts_tensor *x = ts_zeros(TS_SHAPE(DIMX, 1), TS_FLOAT64);
  struct grad_job j = {&q, x, 0.0};
  for (int it = 0; it < 200; it++) {
    ts_run(grad_norm_job, &j);
    if (j.norm < 1e-3)
      break;
    ts_tensor *g = lsq_grad(&q, x);
    ts_sub_Tensor_(x, g, 0.02);
    ts_free(g);
  }
  printf("gd stop norm %.5f\n", j.norm);
  ts_free(x);
  lsq_free(&q);
}

// BUG: leak: the gradient is not freed on the iteration that stops on a
// non-finite value
void hopt_gd_nan(void) {
  struct lsq q;
  lsq_make(&q);
  ts_tensor *x = ts_zeros(TS_SHAPE(DIMX, 1), TS_FLOAT64);
  for (int it = 0; it < 50; it++) {
    ts_tensor *g = lsq_grad(&q, x); // <- BUG
    if (!isfinite(inner(g, g)))
      break;
    ts_sub_Tensor_(x, g, 1e6);
    ts_free(g);
  }
  ts_free(x);
  lsq_free(&q);
}

// BUG: leak: the gradient of the last iteration is not freed after the loop
// that stops on a small step
void hopt_gd_small_step(void) {
  struct lsq q;
  lsq_make(&q);
  ts_tensor *x = ts_zeros(TS_SHAPE(DIMX, 1), TS_FLOAT64);
  ts_tensor *g = NULL;
  for (int it = 0; it < 100; it++) {
    g = lsq_grad(&q, x); // <- BUG
    if (sqrt(inner(g, g)) * 1e-3 < 1e-1)
      break;
    ts_sub_Tensor_(x, g, 1e-3);
    ts_free(g);
  }
  ts_free(x);
  lsq_free(&q);
}

// BUG: double-free: the Adam state is torn down on the divergence branch
// and again at the end
void hopt_adam_diverge(void) {
  struct lsq q;
  lsq_make(&q);
  ts_tensor *x = ts_zeros(TS_SHAPE(DIMX, 1), TS_FLOAT64);
  struct adam a;
  if (adam_init(&a, &x, 1, 100.0) != 0) {
    ts_free(x);
    lsq_free(&q);
    return;
  }
  ts_tensor *g = lsq_grad(&q, x);
  adam_step(&a, &x, &g);
  ts_free(g);
  if (lsq_value(&q, x) > 1.0) {
    fprintf(stderr, "diverged\n");
    for (int i = 0; i < a.n; i++) {
      ts_free(a.m[i]);
      ts_free(a.v[i]);
    }
  }
  adam_free(&a); // <- BUG
  ts_free(x);
  lsq_free(&q);
}

// BUG: use-after-free: the direction is freed before the step reads it
void hopt_direction_freed(void) {
  struct lsq q;
  lsq_make(&q);
  struct lbfgs h = {{0}, {0}, {0}, 0, 0};
  ts_tensor *x = ts_zeros(TS_SHAPE(DIMX, 1), TS_FLOAT64);
  ts_tensor *g = lsq_grad(&q, x);
  ts_tensor *d = lbfgs_direction(&h, g);
  ts_free(d);
  ts_sub_Tensor_(x, d, 0.01); // <- BUG
  ts_free(g);
  ts_free(x);
  lsq_free(&q);
}

// BUG: leak: the pair pushed into a full history evicts nothing because the
// count check is skipped, so the overwritten slot's tensors are lost
static void lbfgs_push_overwrite(struct lbfgs *h, ts_tensor *s, ts_tensor *y) {
  int slot = (h->head + h->count) % HIST;
  if (h->count < HIST)
    h->count++;
  else
    h->head = (h->head + 1) % HIST;
  h->s[slot] = s; // <- BUG
  h->y[slot] = y;
  h->rho[slot] = 1.0 / inner(s, y);
}

// OK: overfills the history through the overwriting push (the push leaks)
void hopt_lbfgs_overwrite(void) {
  struct lbfgs h = {{0}, {0}, {0}, 0, 0};
  for (int k = 0; k < HIST + 2; k++) {
    ts_tensor *s = ts_randn(TS_SHAPE(DIMX, 1), TS_FLOAT64);
    ts_tensor *y = ts_mul_scalar(s, 3.0);
    lbfgs_push_overwrite(&h, s, y);
  }
  lbfgs_free(&h);
}

// BUG: use-after-free: the momentum buffer is freed on the restart and the
// next step still adds into it
void hopt_momentum_restart(void) {
  struct lsq q;
  lsq_make(&q);
  ts_tensor *x = ts_zeros(TS_SHAPE(DIMX, 1), TS_FLOAT64);
  ts_tensor *buf = ts_zeros_like(x, TS_NO_DTYPE, NULL);
  for (int it = 0; it < 4; it++) {
    ts_tensor *g = lsq_grad(&q, x);
    if (it == 2)
      ts_free(buf);
    ts_mul_Scalar_(buf, 0.9); // <- BUG
    ts_add_Tensor_(buf, g, 1.0);
    ts_sub_Tensor_(x, buf, 0.01);
    ts_free(g);
  }
  ts_free(buf);
  ts_free(x);
  lsq_free(&q);
}

// BUG: double-free: the clipped copy may be the same handle as the gradient
// when no clipping was needed, and both are freed
void hopt_clip_alias(void) {
  struct lsq q;
  lsq_make(&q);
  ts_tensor *x = ts_zeros(TS_SHAPE(DIMX, 1), TS_FLOAT64);
  ts_tensor *g = lsq_grad(&q, x);
  ts_tensor *c = inner(g, g) > 1e6 ? ts_mul_scalar(g, 1e-3) : g;
  ts_sub_Tensor_(x, c, 0.1);
  ts_free(c);
  ts_free(g); // <- BUG
  ts_free(x);
  lsq_free(&q);
}
