// Precision corpus: same-file helpers without annotations (conditional
// frees reported through the return value, out-parameters set on some
// paths, two-phase init with rollback, loops that replace tensors), all
// correct.
// RUN: %clang %tsmem -Wall -Wextra -Werror -O0 %s -o %t0 %link_tsmem
// RUN: env TSMEM_STRICT=1 TSMEM_LEAK_REPORT=1 %t0 > %t0.out 2>&1
// RUN: %clang %tsmem -Wall -Wextra -Werror -O2 %s -o %t2 %link_tsmem
// RUN: env TSMEM_STRICT=1 TSMEM_LEAK_REPORT=1 %t2 > %t2.out 2>&1
// RUN: diff %t0.out %t2.out
// RUN: FileCheck %s < %t0.out
// CHECK-NOT: FAIL
// CHECK-NOT: tsmem:
// CHECK: clean_helpers: all checks passed
// CHECK-NOT: tsmem:
#include "common.h"
#include <stdbool.h>

static double sum_of(const ts_tensor *t) {
  ts_tensor *s = ts_sum(t);
  double v = ts_item(s);
  ts_free(s);
  return v;
}

/* Frees t when it is too small and says so: 1 freed, 0 kept. */
static int drop_if_small(ts_tensor *t, int64_t min) {
  if (ts_numel(t) < min) {
    ts_free(t);
    return 1;
  }
  return 0;
}

/* Same contract, as a bool and with the test inverted. */
static bool keep_if_positive(ts_tensor *t) {
  if (sum_of(t) > 0)
    return true;
  ts_free(t);
  return false;
}

/* Status-returning consumer: TS_OK means it took t, an error that it did
 * not. */
static ts_status store_or_refuse(ts_tensor **slot, ts_tensor *t) {
  if (*slot)
    return TS_ERR_BUSY;
  *slot = t;
  return TS_OK;
}

static double conditional_free_demo(void) {
  double acc = 0;
  for (int n = 1; n <= 4; n++) {
    ts_tensor *t = ts_ones(TS_SHAPE(n), TS_FLOAT32);
    if (drop_if_small(t, 3))
      continue;
    acc += sum_of(t);
    ts_free(t);
  }
  for (int i = -1; i <= 1; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(2), TS_FLOAT32, i);
    if (!keep_if_positive(t))
      continue;
    acc += 100 * sum_of(t);
    ts_free(t);
  }
  ts_tensor *slot = NULL;
  for (int i = 0; i < 3; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i + 1);
    if (store_or_refuse(&slot, t) != TS_OK)
      ts_free(t);
  }
  acc += 1000 * sum_of(slot);
  ts_free(slot);
  return acc;
}

/* Out-parameters: set on success, NULL on failure. */
static int split_even_odd(int n, ts_tensor **even, ts_tensor **odd) {
  *even = NULL;
  *odd = NULL;
  if (n <= 0)
    return -1;
  *even = ts_arange(0, n, 2, TS_FLOAT32);
  if (!*even)
    return -1;
  *odd = ts_arange(1, n, 2, TS_FLOAT32);
  if (!*odd) {
    ts_free(*even);
    *even = NULL;
    return -1;
  }
  return 0;
}

/* An optional out-parameter: the caller may pass NULL. */
static ts_tensor *normalise(const ts_tensor *x, ts_tensor **norm_out) {
  ts_tensor *sq = ts_mul(x, x);
  ts_tensor *n = ts_sum(sq);
  ts_free(sq);
  double v = ts_item(n);
  ts_tensor *r = ts_mul_scalar(x, v > 0 ? 1.0 / v : 1.0);
  if (norm_out)
    *norm_out = n;
  else
    ts_free(n);
  return r;
}

static double out_param_demo(void) {
  double acc = 0;
  ts_tensor *e, *o;
  if (split_even_odd(7, &e, &o) == 0) {
    acc += sum_of(e) + 10 * sum_of(o);
    ts_free(e);
    ts_free(o);
  }
  if (split_even_odd(0, &e, &o) != 0)
    acc += (e == NULL) + (o == NULL);
  ts_tensor *x = ts_full(TS_SHAPE(4), TS_FLOAT32, 2);
  ts_tensor *norm = NULL;
  ts_tensor *y = normalise(x, &norm);
  acc += sum_of(y) + ts_item(norm);
  ts_free(norm);
  ts_free(y);
  ts_tensor *z = normalise(x, NULL);
  acc += sum_of(z);
  ts_free(z);
  ts_free(x);
  return acc;
}

/* Two-phase init with rollback through goto. */
struct mlp {
  ts_tensor *w1, *b1, *w2, *b2;
};

static int mlp_init(struct mlp *m, int in, int hidden, int out, int fail) {
  m->w1 = m->b1 = m->w2 = m->b2 = NULL;
  m->w1 = ts_full(TS_SHAPE(in, hidden), TS_FLOAT32, 0.1);
  if (!m->w1)
    goto fail_w1;
  m->b1 = ts_zeros(TS_SHAPE(hidden), TS_FLOAT32);
  if (!m->b1)
    goto fail_b1;
  m->w2 = fail == 2 ? NULL : ts_full(TS_SHAPE(hidden, out), TS_FLOAT32, 0.2);
  if (!m->w2)
    goto fail_w2;
  m->b2 = ts_zeros(TS_SHAPE(out), TS_FLOAT32);
  if (!m->b2)
    goto fail_b2;
  return 0;
fail_b2:
  ts_free(m->w2);
fail_w2:
  ts_free(m->b1);
fail_b1:
  ts_free(m->w1);
fail_w1:
  m->w1 = m->b1 = m->w2 = m->b2 = NULL;
  return -1;
}

static void mlp_free(struct mlp *m) {
  ts_free(m->w1);
  ts_free(m->b1);
  ts_free(m->w2);
  ts_free(m->b2);
}

static ts_tensor *mlp_forward(const struct mlp *m, const ts_tensor *x) {
  ts_tensor *h = ts_matmul(x, m->w1);
  ts_tensor *hb = ts_add(h, m->b1);
  ts_free(h);
  ts_tensor *a = ts_relu(hb);
  ts_free(hb);
  ts_tensor *o = ts_matmul(a, m->w2);
  ts_free(a);
  ts_tensor *ob = ts_add(o, m->b2);
  ts_free(o);
  return ob;
}

static double mlp_demo(void) {
  struct mlp m;
  double acc = 0;
  if (mlp_init(&m, 3, 4, 2, 2) != 0)
    acc += 1;
  if (mlp_init(&m, 3, 4, 2, 0) != 0)
    return -1;
  ts_tensor *x = ts_ones(TS_SHAPE(5, 3), TS_FLOAT32);
  ts_tensor *y = mlp_forward(&m, x);
  acc += sum_of(y);
  ts_free(y);
  ts_free(x);
  mlp_free(&m);
  return acc;
}

/* Loops that free the previous iteration's tensor. */
static double iterate(int steps) {
  ts_tensor *x = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  ts_tensor *prev = NULL;
  for (int i = 0; i < steps; i++) {
    ts_tensor *next = ts_add_scalar(x, i);
    if (prev)
      ts_free(prev);
    prev = next;
  }
  double r = prev ? sum_of(prev) : 0;
  ts_free(prev);
  ts_free(x);
  return r;
}

/* Free then reassign then use. */
static double reassign(void) {
  ts_tensor *t = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  double r = sum_of(t);
  ts_free(t);
  t = ts_full(TS_SHAPE(2), TS_FLOAT32, 4);
  r += sum_of(t);
  ts_free(t);
  t = NULL;
  for (int i = 0; i < 3; i++) {
    if (t)
      ts_free(t);
    t = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
  }
  r += sum_of(t);
  ts_free(t);
  return r;
}

/* A helper that consumes on every path and returns a replacement. */
static ts_tensor *step(ts_tensor *x, double lr) {
  ts_tensor *g = ts_mul_scalar(x, lr);
  ts_tensor *n = ts_sub(x, g);
  ts_free(g);
  ts_free(x);
  return n;
}

/* A helper that consumes only on error; its caller checks the result. */
static ts_tensor *checked_scale(ts_tensor *x, double k) {
  if (k == 0) {
    ts_free(x);
    return NULL;
  }
  ts_tensor *r = ts_mul_scalar(x, k);
  ts_free(x);
  return r;
}

/* A helper that hands back its argument or a new tensor. */
static ts_tensor *maybe_cast(ts_tensor *x, bool change) {
  if (!change)
    return x;
  ts_tensor *y = ts_add_scalar(x, 0.5);
  ts_free(x);
  return y;
}

static double consume_demo(void) {
  ts_tensor *x = ts_full(TS_SHAPE(2), TS_FLOAT32, 10);
  for (int i = 0; i < 3; i++)
    x = step(x, 0.5);
  double r = sum_of(x);
  x = checked_scale(x, 2);
  if (x) {
    r += sum_of(x);
    ts_free(x);
  }
  ts_tensor *y = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  y = checked_scale(y, 0);
  r += y == NULL;
  if (y)
    ts_free(y);
  ts_tensor *z = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  z = maybe_cast(z, false);
  z = maybe_cast(z, true);
  r += sum_of(z);
  ts_free(z);
  return r;
}

/* A recursive maker: a tensor from a recursive sum. */
static ts_tensor *power_sum(const ts_tensor *x, int n) {
  if (n == 0)
    return ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *rest = power_sum(x, n - 1);
  ts_tensor *r = ts_mul(rest, x);
  ts_free(rest);
  ts_tensor *s = ts_add_scalar(r, 1);
  ts_free(r);
  return s;
}

/* Mutually recursive helpers, one of which frees. */
static double odd_sum(ts_tensor *t, int n);
static double even_sum(ts_tensor *t, int n) {
  if (n == 0) {
    double v = sum_of(t);
    ts_free(t);
    return v;
  }
  return odd_sum(t, n - 1);
}
static double odd_sum(ts_tensor *t, int n) {
  if (n == 0) {
    ts_free(t);
    return -1;
  }
  return even_sum(t, n - 1);
}

/* Early returns on error after partial work, each freeing what it made. */
static int pipeline(int fail_at, double *out) {
  ts_tensor *a = ts_full(TS_SHAPE(3), TS_FLOAT32, 1);
  if (!a)
    return -1;
  if (fail_at == 1) {
    ts_free(a);
    return -1;
  }
  ts_tensor *b = ts_mul_scalar(a, 2);
  if (!b || fail_at == 2) {
    ts_free(b);
    ts_free(a);
    return -2;
  }
  ts_tensor *c = ts_add(a, b);
  ts_free(a);
  ts_free(b);
  if (!c)
    return -3;
  *out = sum_of(c);
  ts_free(c);
  return 0;
}

int main(void) {
  size_t base = pc_live();
  V("conditional_free %.1f", conditional_free_demo());
  V("out_param %.3f", out_param_demo());
  V("mlp %.3f", mlp_demo());
  V("iterate %.1f", iterate(4));
  V("reassign %.1f", reassign());
  V("consume %.2f", consume_demo());
  ts_tensor *x = ts_full(TS_SHAPE(2), TS_FLOAT32, 2);
  ts_tensor *p = power_sum(x, 3);
  V("power_sum %.1f", sum_of(p));
  ts_free(p);
  ts_free(x);
  V("even_odd %.1f %.1f", even_sum(ts_ones(TS_SHAPE(3), TS_FLOAT32), 4),
    even_sum(ts_ones(TS_SHAPE(3), TS_FLOAT32), 3));
  double v = 0;
  int r1 = pipeline(1, &v), r2 = pipeline(2, &v), r0 = pipeline(0, &v);
  V("pipeline %d %d %d %.1f", r1, r2, r0, v);
  EXPECT(pc_live() == base);
  return pc_done("clean_helpers");
}
