// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// Correct code in more styles (compile only): not one diagnostic.
// expected-no-diagnostics
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/nn.h>

static double sum_of(const ts_tensor *t) {
  ts_tensor *s = ts_sum(t);
  double v = ts_item(s);
  ts_free(s);
  return v;
}

/* caller-scope helper with an out-param */
TS_CALLER_SCOPE static void split2(const ts_tensor *x, ts_tensor **a,
                                   ts_tensor **b) {
  *a = ts_relu(x);
  *b = ts_neg(x);
}
double q1(const ts_tensor *x) {
  double r = 0;
  TS_SCOPE {
    ts_tensor *a, *b;
    split2(x, &a, &b);
    r = sum_of(a) + sum_of(b);
  }
  return r;
}
ts_tensor *q2(const ts_tensor *x) {
  ts_tensor *out = NULL;
  TS_SCOPE {
    ts_tensor *a, *b;
    split2(x, &a, &b);
    out = ts_escape(ts_add(a, b));
  }
  return out;
}
/* helper returning escaped from TS_SCOPED called in a loop, freed each time */
TS_SCOPED static ts_tensor *feature(int i) {
  ts_tensor *t = ts_full(TS_SHAPE(2), TS_FLOAT32, i);
  ts_tensor *u = ts_relu(t);
  return ts_escape(u);
}
double q3(int n) {
  double r = 0;
  for (int i = 0; i < n; i++) {
    ts_tensor *f = feature(i);
    r += sum_of(f);
    ts_free(f);
  }
  return r;
}
/* the same inside a TS_SCOPE loop: result scoped to iteration, not freed */
double q4(int n) {
  double r = 0;
  TS_SCOPE for (int i = 0; i < n; i++) {
    ts_tensor *f = feature(i);
    r += sum_of(f);
  }
  return r;
}
/* pool: acquire in a scope, release outside after keep */
double q5(ts_pool *p) {
  ts_tensor *t = NULL;
  TS_SCOPE {
    ts_tensor *a = ts_pool_acquire(p, TS_SHAPE(4), TS_FLOAT32);
    if (!a)
      a = ts_zeros(TS_SHAPE(4), TS_FLOAT32);
    t = ts_keep(a);
  }
  double r = sum_of(t);
  ts_pool_release(p, t);
  return r;
}
/* ts_run with a context struct holding a result array */
struct ctx {
  int n;
  ts_tensor *out[4];
};
static void *fill_job(void *arg) {
  struct ctx *c = arg;
  for (int i = 0; i < c->n; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    c->out[i] = ts_keep(ts_mul_scalar(t, 2));
  }
  return NULL;
}
double q6(void) {
  struct ctx c = {4, {0}};
  ts_run(fill_job, &c);
  double r = 0;
  for (int i = 0; i < 4; i++) {
    r += sum_of(c.out[i]);
    ts_free(c.out[i]);
  }
  return r;
}
/* model struct with layers and a teardown via store */
struct model {
  ts_store *s;
  ts_nn_linear l1;
  ts_nn_layer_norm ln;
  ts_nn_dropout d;
};
int q7_init(struct model *m) {
  m->s = ts_store_new();
  if (!m->s)
    return -1;
  if (ts_nn_linear_init(&m->l1, m->s, "l1", 4, 4, true) ||
      ts_nn_layer_norm_init(&m->ln, m->s, "ln", TS_SHAPE(4), true) ||
      ts_nn_dropout_init(&m->d, m->s, 0.1)) {
    ts_store_free(m->s);
    m->s = NULL;
    return -1;
  }
  return 0;
}
ts_tensor *q7_forward(const struct model *m, const ts_tensor *x) {
  ts_tensor *h = ts_nn_linear_forward(&m->l1, x);
  ts_tensor *n = ts_nn_layer_norm_forward(&m->ln, h);
  ts_free(h);
  ts_tensor *d = ts_nn_dropout_forward(&m->d, n);
  ts_free(n);
  return d;
}
double q7(void) {
  struct model m;
  if (q7_init(&m))
    return -1;
  ts_tensor *x = ts_ones(TS_SHAPE(2, 4), TS_FLOAT32);
  ts_tensor *y = q7_forward(&m, x);
  double r = y ? sum_of(y) : 0;
  if (y)
    ts_free(y);
  ts_free(x);
  ts_store_free(m.s);
  return r;
}
/* a grad tensor borrowed and freed */
double q8(void) {
  ts_tensor *w = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  ts_requires_grad(w, true);
  ts_tensor *sq = ts_mul(w, w);
  ts_tensor *l = ts_sum(sq);
  ts_backward(l);
  ts_tensor *g = ts_grad(w);
  double r = g ? sum_of(g) : 0;
  if (g)
    ts_free(g);
  ts_free(l);
  ts_free(sq);
  ts_free(w);
  return r;
}
/* errors with goto and multiple labels and a status variable */
int q9(const ts_tensor *x, double *out) {
  int rc = -1;
  ts_tensor *a = NULL, *b = NULL, *c = NULL;
  if (!(a = ts_relu(x)))
    goto done;
  if (!(b = ts_exp(a)))
    goto done;
  if (!(c = ts_log(b)))
    goto done;
  *out = sum_of(c);
  rc = 0;
done:
  if (c)
    ts_free(c);
  if (b)
    ts_free(b);
  if (a)
    ts_free(a);
  return rc;
}
/* tensors in a heap struct with flexible array member */
struct bag {
  int n;
  ts_tensor *t[];
};
struct bag *q10_new(int n) {
  struct bag *b = malloc(sizeof *b + n * sizeof b->t[0]);
  if (!b)
    return NULL;
  b->n = n;
  for (int i = 0; i < n; i++)
    b->t[i] = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  return b;
}
void q10_free(struct bag *b) {
  for (int i = 0; i < b->n; i++)
    ts_free(b->t[i]);
  free(b);
}
double q10(void) {
  struct bag *b = q10_new(3);
  if (!b)
    return 0;
  double r = sum_of(b->t[1]);
  q10_free(b);
  return r;
}
/* early continue in a plain loop with cleanup */
double q11(int n) {
  double r = 0;
  for (int i = 0; i < n; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    if (!t)
      continue;
    if (i % 2) {
      ts_free(t);
      continue;
    }
    r += sum_of(t);
    ts_free(t);
  }
  return r;
}
/* ternary choosing which to free */
void q12(bool c) {
  ts_tensor *a = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  ts_tensor *b = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  ts_tensor *keep = c ? a : b;
  ts_tensor *drop = c ? b : a;
  ts_free(drop);
  ts_free(keep);
}
/* pointer to pointer iteration over struct fields */
struct trio {
  ts_tensor *x, *y, *z;
};
void q13(void) {
  struct trio t = {ts_zeros(TS_SHAPE(1), TS_FLOAT32),
                   ts_zeros(TS_SHAPE(1), TS_FLOAT32),
                   ts_zeros(TS_SHAPE(1), TS_FLOAT32)};
  ts_tensor **all[] = {&t.x, &t.y, &t.z};
  for (int i = 0; i < 3; i++) {
    ts_free(*all[i]);
    *all[i] = NULL;
  }
}
/* returning a struct with a tensor from a plain helper, then a scoped caller
 * escapes */
struct res {
  ts_tensor *t;
  int ok;
};
static struct res make_res(int n) {
  struct res r = {ts_zeros(TS_SHAPE(n), TS_FLOAT32), 1};
  return r;
}
double q14(void) {
  struct res r = make_res(3);
  double v = r.ok ? sum_of(r.t) : 0;
  ts_free(r.t);
  return v;
}
/* async scope where tensor is kept out before end */
ts_tensor *q15(void) {
  ts_async_scope *s = ts_async_scope_begin();
  ts_async_scope_enter(s);
  ts_tensor *a = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *b = ts_add(a, a);
  ts_tensor *k = ts_keep(b);
  ts_async_scope_leave(s);
  ts_async_scope_end(s);
  return k;
}
/* a scoped helper used via function pointer in ts_run */
static void *job2(void *p) {
  (void)p;
  ts_tensor *t = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  return ts_keep(t);
}
void *(*const jobs[])(void *) = {job2};
double q16(void) {
  ts_tensor *t = ts_run(jobs[0], NULL);
  double r = sum_of(t);
  ts_free(t);
  return r;
}
