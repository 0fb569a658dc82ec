/* heldout9_lbfgs.c - limited-memory BFGS on small least-squares problems:
 * a ring of (s, y) correction pairs, the two-loop recursion, a backtracking
 * line search, and a driver that restarts on bad curvature. Errors are int
 * codes; cleanup goes through labels at the end of each function. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>

#define LB_N 6
#define LB_M 3

enum { LB_OK = 0, LB_ENOMEM = -1, LB_ECURV = -2, LB_ESEARCH = -3 };

typedef struct {
  ts_tensor *s[LB_M]; /* x_{k+1} - x_k, [LB_N, 1] */
  ts_tensor *y[LB_M]; /* g_{k+1} - g_k */
  double rho[LB_M];
  int head, count;
} lb_ring;

typedef struct {
  ts_tensor *A; /* [LB_N, LB_N] */
  ts_tensor *b; /* [LB_N, 1] */
} lb_problem;

// OK: empty ring
static void lb_ring_init(lb_ring *r) { memset(r, 0, sizeof *r); }

// OK: frees every pair in the ring
static void lb_ring_clear(lb_ring *r) {
  for (int i = 0; i < LB_M; i++) {
    if (r->s[i])
      ts_free(r->s[i]);
    if (r->y[i])
      ts_free(r->y[i]);
    r->s[i] = r->y[i] = NULL;
  }
  r->head = r->count = 0;
}

// OK: pushes a pair, the ring takes both; the oldest pair is freed when full
static void lb_ring_push(lb_ring *r, ts_tensor *s, ts_tensor *y, double rho) {
  if (r->s[r->head]) {
    ts_free(r->s[r->head]);
    ts_free(r->y[r->head]);
  }
  r->s[r->head] = s;
  r->y[r->head] = y;
  r->rho[r->head] = rho;
  r->head = (r->head + 1) % LB_M;
  if (r->count < LB_M)
    r->count++;
}

// OK: a well-conditioned SPD problem
static int lb_problem_init(lb_problem *p) {
  p->A = NULL;
  p->b = NULL;
  ts_tensor *m = ts_randn(TS_SHAPE(LB_N, LB_N), TS_FLOAT64);
  if (!m)
    return LB_ENOMEM;
  ts_tensor *mt = ts_transpose(m, 0, 1);
  ts_tensor *mm = ts_matmul(mt, m);
  p->A = ts_add_scalar(mm, 1.0);
  p->b = ts_ones(TS_SHAPE(LB_N, 1), TS_FLOAT64);
  ts_free(mm);
  ts_free(mt);
  ts_free(m);
  return (p->A && p->b) ? LB_OK : LB_ENOMEM;
}

// OK: frees the problem's tensors
static void lb_problem_free(lb_problem *p) {
  if (p->A)
    ts_free(p->A);
  if (p->b)
    ts_free(p->b);
  p->A = p->b = NULL;
}

// OK: f(x) = 0.5 x'Ax - b'x, temporaries in the caller's scope
TS_CALLER_SCOPE static double lb_value(const lb_problem *p, const ts_tensor *x) {
  ts_tensor *ax = ts_matmul(p->A, x);
  ts_tensor *xt = ts_transpose(x, 0, 1);
  ts_tensor *quad = ts_matmul(xt, ax);
  ts_tensor *lin = ts_matmul(xt, p->b);
  return 0.5 * ts_item(quad) - ts_item(lin);
}

// OK: gradient Ax - b, new tensor the caller owns
static ts_tensor *lb_grad(const lb_problem *p, const ts_tensor *x) {
  ts_tensor *ax = ts_matmul(p->A, x);
  ts_tensor *g = ts_sub(ax, p->b);
  ts_free(ax);
  return g;
}

// OK: dot product of two column vectors as a double
static double lb_dot(const ts_tensor *a, const ts_tensor *b) {
  ts_tensor *ab = ts_mul(a, b);
  ts_tensor *s = ts_sum(ab);
  double d = ts_item(s);
  ts_free(s);
  ts_free(ab);
  return d;
}

// OK: two-loop recursion; the direction escapes the function's scope
TS_SCOPED static ts_tensor *lb_direction(const lb_ring *r, const ts_tensor *g) {
  double alpha[LB_M];
  ts_tensor *q = ts_clone(g);
  for (int k = 0; k < r->count; k++) {
    int i = (r->head - 1 - k + 2 * LB_M) % LB_M;
    alpha[i] = r->rho[i] * lb_dot(r->s[i], q);
    q = ts_sub(q, ts_mul_scalar(r->y[i], alpha[i]));
  }
  for (int k = r->count - 1; k >= 0; k--) {
    int i = (r->head - 1 - k + 2 * LB_M) % LB_M;
    double beta = r->rho[i] * lb_dot(r->y[i], q);
    q = ts_add(q, ts_mul_scalar(r->s[i], alpha[i] - beta));
  }
  return ts_escape(ts_neg(q));
}

// OK: backtracking line search, the accepted point returned, caller owns it
static ts_tensor *lb_search(const lb_problem *p, const ts_tensor *x,
                            const ts_tensor *d, double f0, int *rc) {
  double step = 1.0;
  for (int it = 0; it < 20; it++) {
    ts_tensor *xn = NULL;
    double fn;
    TS_SCOPE {
      xn = ts_keep(ts_add(x, ts_mul_scalar(d, step)));
      fn = lb_value(p, xn);
    }
    if (fn < f0) {
      *rc = LB_OK;
      return xn;
    }
    ts_free(xn);
    step *= 0.5;
  }
  *rc = LB_ESEARCH;
  return NULL;
}

// OK: one iteration: direction, search, pair pushed into the ring
static int lb_step(const lb_problem *p, lb_ring *r, ts_tensor **x) {
  int rc = LB_OK;
  ts_tensor *g = lb_grad(p, *x);
  ts_tensor *d = NULL, *xn = NULL, *gn = NULL;
  double f0;
  TS_SCOPE { f0 = lb_value(p, *x); }
  d = lb_direction(r, g);
  if (!d) {
    rc = LB_ENOMEM;
    goto out;
  }
  xn = lb_search(p, *x, d, f0, &rc);
  if (rc != LB_OK)
    goto out;
  gn = lb_grad(p, xn);
  ts_tensor *s = ts_sub(xn, *x);
  ts_tensor *y = ts_sub(gn, g);
  double sy = lb_dot(s, y);
  if (sy <= 1e-12) {
    ts_free(s);
    ts_free(y);
    rc = LB_ECURV;
  } else {
    lb_ring_push(r, s, y, 1.0 / sy);
  }
  ts_free(*x);
  *x = xn;
  xn = NULL;
out:
  if (gn)
    ts_free(gn);
  if (xn)
    ts_free(xn);
  if (d)
    ts_free(d);
  ts_free(g);
  return rc;
}

// OK: entry: ten iterations, restart on bad curvature
void lb_entry_solve(void) {
  lb_problem p;
  lb_ring r;
  lb_ring_init(&r);
  if (lb_problem_init(&p) != LB_OK) {
    lb_problem_free(&p);
    return;
  }
  ts_tensor *x = ts_zeros(TS_SHAPE(LB_N, 1), TS_FLOAT64);
  for (int k = 0; k < 10; k++) {
    int rc = lb_step(&p, &r, &x);
    if (rc == LB_ECURV)
      lb_ring_clear(&r);
    else if (rc != LB_OK)
      break;
  }
  TS_SCOPE { printf("f = %.4f\n", lb_value(&p, x)); }
  ts_free(x);
  lb_ring_clear(&r);
  lb_problem_free(&p);
}

// BUG: leak: on the search failure path the direction is not freed (the goto skips its cleanup)
static int lb_step_leaky(const lb_problem *p, lb_ring *r, ts_tensor **x) {
  int rc = LB_OK;
  ts_tensor *g = lb_grad(p, *x);
  double f0;
  TS_SCOPE { f0 = lb_value(p, *x); }
  ts_tensor *d = lb_direction(r, g); // <- BUG
  ts_tensor *xn = lb_search(p, *x, d, f0 - 1e9, &rc);
  if (rc != LB_OK)
    goto fail;
  ts_free(d);
  ts_free(*x);
  *x = xn;
fail:
  ts_free(g);
  return rc;
}

// OK: entry: lb_step_leaky with an impossible target, so the search fails
void lb_entry_step_fail(void) {
  lb_problem p;
  lb_ring r;
  lb_ring_init(&r);
  if (lb_problem_init(&p) != LB_OK) {
    lb_problem_free(&p);
    return;
  }
  ts_tensor *x = ts_zeros(TS_SHAPE(LB_N, 1), TS_FLOAT64);
  if (lb_step_leaky(&p, &r, &x) != LB_OK)
    fprintf(stderr, "search failed\n");
  ts_free(x);
  lb_problem_free(&p);
}

// BUG: double-free: the rejected pair is freed here and was already handed to the ring
static int lb_push_checked(lb_ring *r, ts_tensor *s, ts_tensor *y) {
  double sy = lb_dot(s, y);
  lb_ring_push(r, s, y, sy != 0.0 ? 1.0 / sy : 0.0);
  if (sy <= 0.0) {
    ts_free(s); // <- BUG
    ts_free(y);
    return LB_ECURV;
  }
  return LB_OK;
}

// OK: entry: pushes a pair with negative curvature
void lb_entry_push_bad(void) {
  lb_ring r;
  lb_ring_init(&r);
  ts_tensor *s = ts_ones(TS_SHAPE(LB_N, 1), TS_FLOAT64);
  ts_tensor *y = ts_full(TS_SHAPE(LB_N, 1), TS_FLOAT64, -1.0);
  lb_push_checked(&r, s, y);
  lb_ring_clear(&r);
}

// OK: checks curvature before handing the pair to the ring
static int lb_push_checked_ok(lb_ring *r, ts_tensor *s, ts_tensor *y) {
  double sy = lb_dot(s, y);
  if (sy <= 0.0) {
    ts_free(s);
    ts_free(y);
    return LB_ECURV;
  }
  lb_ring_push(r, s, y, 1.0 / sy);
  return LB_OK;
}

// OK: entry: good and bad pairs through the checked push, ring overflows
void lb_entry_push_many(void) {
  lb_ring r;
  lb_ring_init(&r);
  for (int i = 0; i < 5; i++) {
    ts_tensor *s = ts_ones(TS_SHAPE(LB_N, 1), TS_FLOAT64);
    ts_tensor *y = ts_full(TS_SHAPE(LB_N, 1), TS_FLOAT64, i == 2 ? -1.0 : 0.5);
    lb_push_checked_ok(&r, s, y);
  }
  printf("pairs %d\n", r.count);
  lb_ring_clear(&r);
}

// BUG: use-after-free: the newest s is read after the push that overwrote its slot freed it
static double lb_newest_norm(lb_ring *r) {
  ts_tensor *oldest = r->s[r->head];
  ts_tensor *s = ts_ones(TS_SHAPE(LB_N, 1), TS_FLOAT64);
  ts_tensor *y = ts_ones(TS_SHAPE(LB_N, 1), TS_FLOAT64);
  lb_ring_push(r, s, y, 1.0 / LB_N);
  return lb_dot(oldest, oldest); // <- BUG
}

// OK: entry: a full ring, then lb_newest_norm
void lb_entry_newest(void) {
  lb_ring r;
  lb_ring_init(&r);
  for (int i = 0; i < LB_M; i++)
    lb_ring_push(&r, ts_ones(TS_SHAPE(LB_N, 1), TS_FLOAT64),
                 ts_ones(TS_SHAPE(LB_N, 1), TS_FLOAT64), 0.1);
  printf("%.2f\n", lb_newest_norm(&r));
  lb_ring_clear(&r);
}

// BUG: unescaped-return: the steepest-descent fallback is returned from the scope without ts_escape
TS_SCOPED static ts_tensor *lb_direction_fallback(const lb_ring *r,
                                                  const ts_tensor *g) {
  if (r->count == 0)
    return ts_neg(g); // <- BUG
  return ts_escape(lb_direction(r, g));
}

// OK: entry: the fallback with an empty ring, result read and freed
void lb_entry_fallback(void) {
  lb_ring r;
  lb_ring_init(&r);
  ts_tensor *g = ts_ones(TS_SHAPE(LB_N, 1), TS_FLOAT64);
  ts_tensor *d = lb_direction_fallback(&r, g);
  printf("%.2f\n", lb_dot(d, g));
  ts_free(d);
  ts_free(g);
}

// OK: entry: the two-loop direction with a filled ring, freed
void lb_entry_direction(void) {
  lb_ring r;
  lb_ring_init(&r);
  for (int i = 0; i < LB_M + 1; i++)
    lb_ring_push(&r, ts_rand(TS_SHAPE(LB_N, 1), TS_FLOAT64),
                 ts_rand(TS_SHAPE(LB_N, 1), TS_FLOAT64), 0.5);
  ts_tensor *g = ts_ones(TS_SHAPE(LB_N, 1), TS_FLOAT64);
  ts_tensor *d = lb_direction(&r, g);
  printf("%.3f\n", lb_dot(d, g));
  ts_free(d);
  ts_free(g);
  lb_ring_clear(&r);
}

// BUG: use-after-scope: the gradient norm tensor made in the block is read after it
static double lb_grad_norm(const lb_problem *p, const ts_tensor *x) {
  ts_tensor *n2;
  TS_SCOPE {
    ts_tensor *g = lb_grad(p, x);
    n2 = ts_sum(ts_mul(g, g));
    ts_free(g);
  }
  return ts_item(n2); // <- BUG
}

// OK: the gradient norm with the value read inside the scope
static double lb_grad_norm_ok(const lb_problem *p, const ts_tensor *x) {
  double v;
  TS_SCOPE {
    ts_tensor *g = lb_grad(p, x);
    v = ts_item(ts_sum(ts_mul(g, g)));
  }
  return v;
}

// OK: entry: correct gradient norm
void lb_entry_gnorm(void) {
  lb_problem p;
  if (lb_problem_init(&p) == LB_OK) {
    ts_tensor *x = ts_zeros(TS_SHAPE(LB_N, 1), TS_FLOAT64);
    printf("%.3f\n", lb_grad_norm_ok(&p, x));
    ts_free(x);
  }
  lb_problem_free(&p);
}

// OK: entry: drives lb_grad_norm
void lb_entry_gnorm_bad(void) {
  lb_problem p;
  if (lb_problem_init(&p) == LB_OK) {
    ts_tensor *x = ts_zeros(TS_SHAPE(LB_N, 1), TS_FLOAT64);
    printf("%.3f\n", lb_grad_norm(&p, x));
    ts_free(x);
  }
  lb_problem_free(&p);
}

// BUG: leak: a restart replaces x with a fresh start and drops the old iterate
static void lb_restart(ts_tensor **x, int keep_scale) {
  if (keep_scale) {
    ts_tensor *nx = ts_mul_scalar(*x, 0.5);
    ts_free(*x);
    *x = nx;
    return;
  }
  *x = ts_zeros(TS_SHAPE(LB_N, 1), TS_FLOAT64); // <- BUG
}

// OK: entry: restart without scale (the leaking branch)
void lb_entry_restart(void) {
  ts_tensor *x = ts_ones(TS_SHAPE(LB_N, 1), TS_FLOAT64);
  lb_restart(&x, 1);
  lb_restart(&x, 0);
  ts_free(x);
}

// BUG: double-free: the problem init failure path frees A, then the caller's lb_problem_free frees it again
static int lb_problem_init_scaled(lb_problem *p, double scale) {
  p->A = ts_randn(TS_SHAPE(LB_N, LB_N), TS_FLOAT64);
  p->b = NULL;
  if (scale <= 0.0) {
    ts_free(p->A); // <- BUG
    return LB_ENOMEM;
  }
  ts_tensor *a2 = ts_mul_scalar(p->A, scale);
  ts_free(p->A);
  p->A = a2;
  p->b = ts_ones(TS_SHAPE(LB_N, 1), TS_FLOAT64);
  return LB_OK;
}

// OK: entry: a bad scale through lb_problem_init_scaled, then the usual cleanup
void lb_entry_scaled_bad(void) {
  lb_problem p;
  if (lb_problem_init_scaled(&p, -1.0) != LB_OK)
    fprintf(stderr, "bad scale\n");
  lb_problem_free(&p);
}

// BUG: leak: the history is copied for a warm start, but the copies of a full ring overwrite earlier slots unfreed
static void lb_ring_copy(lb_ring *dst, const lb_ring *src) {
  for (int i = 0; i < LB_M; i++) {
    if (!src->s[i])
      continue;
    dst->s[i] = ts_clone(src->s[i]); // <- BUG
    dst->y[i] = ts_clone(src->y[i]);
    dst->rho[i] = src->rho[i];
  }
  dst->head = src->head;
  dst->count = src->count;
}

// OK: entry: copies a full ring into a non-empty one
void lb_entry_warm(void) {
  lb_ring a, b;
  lb_ring_init(&a);
  lb_ring_init(&b);
  for (int i = 0; i < LB_M; i++) {
    lb_ring_push(&a, ts_ones(TS_SHAPE(LB_N, 1), TS_FLOAT64),
                 ts_ones(TS_SHAPE(LB_N, 1), TS_FLOAT64), 1.0);
    lb_ring_push(&b, ts_ones(TS_SHAPE(LB_N, 1), TS_FLOAT64),
                 ts_ones(TS_SHAPE(LB_N, 1), TS_FLOAT64), 1.0);
  }
  lb_ring_copy(&b, &a);
  lb_ring_clear(&a);
  lb_ring_clear(&b);
}

// OK: a warm start that clears the destination first
static void lb_ring_copy_ok(lb_ring *dst, const lb_ring *src) {
  lb_ring_clear(dst);
  for (int i = 0; i < LB_M; i++) {
    if (!src->s[i])
      continue;
    dst->s[i] = ts_clone(src->s[i]);
    dst->y[i] = ts_clone(src->y[i]);
    dst->rho[i] = src->rho[i];
  }
  dst->head = src->head;
  dst->count = src->count;
}

// OK: entry: the correct warm start
void lb_entry_warm_ok(void) {
  lb_ring a, b;
  lb_ring_init(&a);
  lb_ring_init(&b);
  for (int i = 0; i < LB_M; i++)
    lb_ring_push(&a, ts_ones(TS_SHAPE(LB_N, 1), TS_FLOAT64),
                 ts_ones(TS_SHAPE(LB_N, 1), TS_FLOAT64), 1.0);
  lb_ring_push(&b, ts_ones(TS_SHAPE(LB_N, 1), TS_FLOAT64),
               ts_ones(TS_SHAPE(LB_N, 1), TS_FLOAT64), 1.0);
  lb_ring_copy_ok(&b, &a);
  lb_ring_clear(&a);
  lb_ring_clear(&b);
}
