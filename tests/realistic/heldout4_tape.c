/* heldout4_tape.c - a small reverse-mode autodiff tape built on tensors:
 * nodes in a growable malloc'd array own their values and gradients,
 * operations push nodes, a backward sweep accumulates gradients through a
 * helper that takes ownership of each contribution, a check against
 * libtorch's autograd, gradient descent with a fresh tape per step, and a
 * tape run inside ts_run.
 * Labels: tests/realistic/README.md. */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum op { OP_LEAF, OP_ADD, OP_MUL, OP_MATMUL, OP_TANH, OP_SUM };

struct node {
  enum op op;
  int a, b;
  ts_tensor *value; /* owned by the tape */
  ts_tensor *grad;  /* owned by the tape, NULL until backward reaches it */
};

struct tape {
  struct node *nodes;
  int n, cap, max; /* max 0: unbounded */
};

/* Helpers that take ownership of a tensor argument. */
static int tape_push(struct tape *t, enum op op, int a, int b, ts_tensor *value)
    TS_CONSUMES(5);
static int tape_push_bounded(struct tape *t, enum op op, int a, int b,
                             ts_tensor *value) TS_CONSUMES(5);
static void accum(struct node *nd, ts_tensor *contrib) TS_CONSUMES(2);

// OK: an empty tape
static void tape_init(struct tape *t, int max) {
  t->nodes = NULL;
  t->n = t->cap = 0;
  t->max = max;
}

// OK: appends a node that owns value; when the array cannot grow the value
// is freed, so ownership passes on every path
static int tape_push(struct tape *t, enum op op, int a, int b,
                     ts_tensor *value) {
  if (!value)
    return -1;
  if (t->n == t->cap) {
    int cap = t->cap ? 2 * t->cap : 8;
    struct node *grown = realloc(t->nodes, sizeof *grown * (size_t)cap);
    if (!grown) {
      ts_free(value);
      return -1;
    }
    t->nodes = grown;
    t->cap = cap;
  }
  t->nodes[t->n] = (struct node){op, a, b, value, NULL};
  return t->n++;
}

// BUG: leak: a full bounded tape refuses the node without freeing the
// value its callers handed over
static int tape_push_bounded(struct tape *t, enum op op, int a, int b,
                             ts_tensor *value) {
  if (t->max && t->n >= t->max)
    return -1; // <- BUG
  return tape_push(t, op, a, b, value);
}

// OK: a leaf holds its own copy of the caller's tensor
static int tape_leaf(struct tape *t, const ts_tensor *x) {
  return tape_push(t, OP_LEAF, -1, -1, ts_clone(x));
}

// OK: the operations, each pushing a new value the tape owns
static int tape_add(struct tape *t, int a, int b) {
  return tape_push(t, OP_ADD, a, b,
                   ts_add(t->nodes[a].value, t->nodes[b].value));
}

// OK: as tape_add
static int tape_mul(struct tape *t, int a, int b) {
  return tape_push(t, OP_MUL, a, b,
                   ts_mul(t->nodes[a].value, t->nodes[b].value));
}

// OK: as tape_add
static int tape_matmul(struct tape *t, int a, int b) {
  return tape_push(t, OP_MATMUL, a, b,
                   ts_mm(t->nodes[a].value, t->nodes[b].value));
}

// OK: as tape_add
static int tape_tanh(struct tape *t, int a) {
  return tape_push(t, OP_TANH, a, -1, ts_tanh(t->nodes[a].value));
}

// OK: as tape_add
static int tape_sum(struct tape *t, int a) {
  return tape_push(t, OP_SUM, a, -1, ts_sum(t->nodes[a].value));
}

// OK: the value of node i, borrowed: the tape keeps owning it
static const ts_tensor *tape_value(const struct tape *t, int i) {
  return t->nodes[i].value;
}

// OK: frees every value and gradient and the array
static void tape_free(struct tape *t) {
  for (int i = 0; i < t->n; i++) {
    ts_free(t->nodes[i].value);
    if (t->nodes[i].grad)
      ts_free(t->nodes[i].grad);
  }
  free(t->nodes);
  t->nodes = NULL;
  t->n = t->cap = 0;
}

// OK: adds a contribution to a node's gradient, taking ownership of it:
// kept as the gradient, or added in place and freed
static void accum(struct node *nd, ts_tensor *contrib) {
  if (!nd->grad) {
    nd->grad = contrib;
    return;
  }
  ts_add_Tensor_(nd->grad, contrib, 1.0);
  ts_free(contrib);
}

// OK: the backward sweep from node out; each temporary is freed where it
// is made, each contribution handed to accum
static void tape_backward(struct tape *t, int out) {
  accum(&t->nodes[out], ts_ones_like(t->nodes[out].value, TS_NO_DTYPE, NULL));
  for (int i = out; i >= 0; i--) {
    struct node *nd = &t->nodes[i];
    if (!nd->grad || nd->op == OP_LEAF)
      continue;
    const ts_tensor *g = nd->grad;
    const ts_tensor *av = t->nodes[nd->a].value;
    switch (nd->op) {
    case OP_ADD:
      accum(&t->nodes[nd->a], ts_clone(g));
      accum(&t->nodes[nd->b], ts_clone(g));
      break;
    case OP_MUL:
      accum(&t->nodes[nd->a], ts_mul(g, t->nodes[nd->b].value));
      accum(&t->nodes[nd->b], ts_mul(g, av));
      break;
    case OP_MATMUL: {
      ts_tensor *bt = ts_t(t->nodes[nd->b].value);
      ts_tensor *at = ts_t(av);
      accum(&t->nodes[nd->a], ts_mm(g, bt));
      accum(&t->nodes[nd->b], ts_mm(at, g));
      ts_free(at);
      ts_free(bt);
      break;
    }
    case OP_TANH: {
      ts_tensor *y2 = ts_mul(nd->value, nd->value);
      ts_tensor *d = ts_neg(y2);
      ts_add_Scalar_(d, 1.0, 1.0);
      accum(&t->nodes[nd->a], ts_mul(g, d));
      ts_free(d);
      ts_free(y2);
      break;
    }
    case OP_SUM: {
      ts_tensor *ones = ts_ones_like(av, TS_NO_DTYPE, NULL);
      accum(&t->nodes[nd->a], ts_mul(ones, g));
      ts_free(ones);
      break;
    }
    default:
      break;
    }
  }
}

// OK: builds sum(tanh(W x)^2) on the tape, returns the output node
static int build_quadratic(struct tape *t, const ts_tensor *W,
                           const ts_tensor *x, int *xi) {
  int w = tape_leaf(t, W);
  *xi = tape_leaf(t, x);
  int h = tape_tanh(t, tape_matmul(t, w, *xi));
  return tape_sum(t, tape_mul(t, h, h));
}

// OK: the tape's gradient of x against autograd's; autograd's graph and
// gradient live in a scope
void tape_quadratic(void) {
  struct tape t;
  int xi;
  ts_manual_seed(2);
  tape_init(&t, 0);
  ts_tensor *W = ts_randn(TS_SHAPE(3, 3), TS_FLOAT32);
  ts_tensor *x = ts_randn(TS_SHAPE(3, 1), TS_FLOAT32);
  int out = build_quadratic(&t, W, x, &xi);
  tape_backward(&t, out);
  double err = 0.0;
  TS_SCOPE {
    ts_tensor *xa = ts_clone(x);
    ts_requires_grad(xa, true);
    ts_tensor *h = ts_tanh(ts_mm(W, xa));
    ts_backward(ts_sum(ts_mul(h, h)));
    err = ts_item(ts_mse_loss(ts_grad(xa), t.nodes[xi].grad));
  }
  printf("tape vs autograd: %.2e over %d nodes\n", err, t.n);
  ts_free(x);
  ts_free(W);
  tape_free(&t);
}

// OK: a long chain that makes the array grow several times
void tape_long_chain(void) {
  struct tape t;
  tape_init(&t, 0);
  ts_tensor *x = ts_full(TS_SHAPE(2, 2), TS_FLOAT32, 0.1);
  int cur = tape_leaf(&t, x);
  int bias = tape_leaf(&t, x);
  for (int k = 0; k < 20; k++)
    cur = tape_tanh(&t, tape_add(&t, cur, bias));
  int out = tape_sum(&t, cur);
  tape_backward(&t, out);
  ts_tensor *g = ts_sum(t.nodes[bias].grad);
  printf("%d nodes, d/dbias %.4f\n", t.n, ts_item(g));
  ts_free(g);
  ts_free(x);
  tape_free(&t);
}

// OK: resets a tape for reuse, freeing what it held
static void tape_clear(struct tape *t) {
  for (int i = 0; i < t->n; i++) {
    ts_free(t->nodes[i].value);
    if (t->nodes[i].grad)
      ts_free(t->nodes[i].grad);
  }
  t->n = 0;
}

// BUG: leak: the reset drops the node count, leaving every value and
// gradient allocated
static void tape_rewind(struct tape *t) {
  t->n = 0; // <- BUG
}

// OK: one tape reused across steps, cleared in between
void tape_reuse(void) {
  struct tape t;
  int xi;
  tape_init(&t, 0);
  ts_tensor *W = ts_eye(3, TS_FLOAT32, NULL);
  ts_tensor *x = ts_ones(TS_SHAPE(3, 1), TS_FLOAT32);
  for (int s = 0; s < 3; s++) {
    int out = build_quadratic(&t, W, x, &xi);
    tape_backward(&t, out);
    tape_clear(&t);
  }
  ts_free(x);
  ts_free(W);
  tape_free(&t);
}

// OK: drives tape_rewind between two builds
void tape_rewind_reuse(void) {
  struct tape t;
  int xi;
  tape_init(&t, 0);
  ts_tensor *W = ts_eye(3, TS_FLOAT32, NULL);
  ts_tensor *x = ts_ones(TS_SHAPE(3, 1), TS_FLOAT32);
  build_quadratic(&t, W, x, &xi);
  tape_rewind(&t);
  build_quadratic(&t, W, x, &xi);
  ts_free(x);
  ts_free(W);
  tape_free(&t);
}

// BUG: double-free: x is handed to the tape as a leaf without a copy, so
// the tape owns it, and the caller frees it as well
void tape_shared_leaf(void) {
  struct tape t;
  tape_init(&t, 0);
  ts_tensor *x = ts_randn(TS_SHAPE(3, 1), TS_FLOAT32);
  int xi = tape_push(&t, OP_LEAF, -1, -1, x);
  int out = tape_sum(&t, tape_mul(&t, xi, xi));
  tape_backward(&t, out);
  ts_free(x);
  tape_free(&t); // <- BUG
}

// BUG: use-after-free: the output value is remembered and read after the
// tape that owned it was freed
void tape_value_after_free(void) {
  struct tape t;
  int xi;
  tape_init(&t, 0);
  ts_tensor *W = ts_randn(TS_SHAPE(3, 3), TS_FLOAT32);
  ts_tensor *x = ts_randn(TS_SHAPE(3, 1), TS_FLOAT32);
  int out = build_quadratic(&t, W, x, &xi);
  ts_tensor *y = t.nodes[out].value;
  tape_free(&t);
  printf("f = %.4f\n", ts_item(y)); // <- BUG
  ts_free(x);
  ts_free(W);
}

// BUG: unescaped-return: the finite-difference gradient is made in the
// function's scope and returned without ts_escape
TS_SCOPED static ts_tensor *numeric_grad(const ts_tensor *W, const ts_tensor *x,
                                         double eps) {
  ts_tensor *g = ts_zeros_like(x, TS_NO_DTYPE, NULL);
  for (int i = 0; i < 3; i++) {
    ts_tensor *dx = ts_zeros_like(x, TS_NO_DTYPE, NULL);
    ts_tensor *e = ts_select_int(ts_select_int(dx, 0, i), 0, 0);
    ts_fill_Scalar_(e, eps);
    ts_tensor *hp = ts_tanh(ts_mm(W, ts_add(x, dx)));
    ts_tensor *hm = ts_tanh(ts_mm(W, ts_sub(x, dx)));
    double d =
        (ts_item(ts_sum(ts_mul(hp, hp))) - ts_item(ts_sum(ts_mul(hm, hm)))) /
        (2 * eps);
    ts_fill_Scalar_(e, d);
    ts_add_Tensor_(g, dx, 1.0);
  }
  return g; // <- BUG
}

// OK: compares numeric_grad with the tape and frees both sides
void tape_numeric_check(void) {
  struct tape t;
  int xi;
  tape_init(&t, 0);
  ts_tensor *W = ts_randn(TS_SHAPE(3, 3), TS_FLOAT32);
  ts_tensor *x = ts_randn(TS_SHAPE(3, 1), TS_FLOAT32);
  tape_backward(&t, build_quadratic(&t, W, x, &xi));
  ts_tensor *ng = numeric_grad(W, x, 1e-3);
  ts_tensor *err = ts_mse_loss(ng, t.nodes[xi].grad);
  printf("numeric vs tape %.2e\n", ts_item(err));
  ts_free(err);
  ts_free(ng);
  ts_free(x);
  ts_free(W);
  tape_free(&t);
}

// BUG: use-after-scope: the input is prepared in a scope and pushed and
// read after the scope freed it
void tape_scoped_input(void) {
  struct tape t;
  tape_init(&t, 0);
  ts_tensor *x = NULL;
  TS_SCOPE {
    ts_tensor *raw = ts_randn(TS_SHAPE(3, 1), TS_FLOAT32);
    x = ts_tanh(raw);
  }
  int xi = tape_leaf(&t, x); // <- BUG
  tape_backward(&t, tape_sum(&t, xi));
  tape_free(&t);
}

// OK: gradient descent with a fresh tape each step; the update reads the
// tape's gradient before the tape is freed
void tape_descent(void) {
  ts_tensor *W = ts_randn(TS_SHAPE(3, 3), TS_FLOAT32);
  ts_tensor *x = ts_randn(TS_SHAPE(3, 1), TS_FLOAT32);
  for (int s = 0; s < 5; s++) {
    struct tape t;
    int xi;
    tape_init(&t, 0);
    int out = build_quadratic(&t, W, x, &xi);
    tape_backward(&t, out);
    ts_sub_Tensor_(x, t.nodes[xi].grad, 0.1);
    if (s == 4)
      printf("f = %.4f\n", ts_item(tape_value(&t, out)));
    tape_free(&t);
  }
  ts_free(x);
  ts_free(W);
}

// BUG: use-after-free: the gradient is taken from the tape, the tape is
// freed, and then the update reads the gradient
void tape_late_update(void) {
  ts_tensor *W = ts_randn(TS_SHAPE(3, 3), TS_FLOAT32);
  ts_tensor *x = ts_randn(TS_SHAPE(3, 1), TS_FLOAT32);
  struct tape t;
  int xi;
  tape_init(&t, 0);
  tape_backward(&t, build_quadratic(&t, W, x, &xi));
  ts_tensor *g = t.nodes[xi].grad;
  tape_free(&t);
  ts_sub_Tensor_(x, g, 0.1); // <- BUG
  ts_free(x);
  ts_free(W);
}

// BUG: double-free: the caller frees the borrowed value tape_value gives,
// and tape_free frees it again
void tape_borrowed_free(void) {
  struct tape t;
  int xi;
  tape_init(&t, 0);
  ts_tensor *W = ts_eye(3, TS_FLOAT32, NULL);
  ts_tensor *x = ts_ones(TS_SHAPE(3, 1), TS_FLOAT32);
  int out = build_quadratic(&t, W, x, &xi);
  ts_tensor *y = (ts_tensor *)tape_value(&t, out);
  printf("f = %.4f\n", ts_item(y));
  ts_free(y);
  ts_free(x);
  ts_free(W);
  tape_free(&t); // <- BUG
}

// OK: pushes past the bound through tape_push_bounded, trusting it with
// the value as its contract says
void tape_bounded_full(void) {
  struct tape t;
  tape_init(&t, 2);
  ts_tensor *x = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  for (int k = 0; k < 3; k++)
    tape_push_bounded(&t, OP_LEAF, -1, -1, ts_clone(x));
  printf("tape holds %d of 3\n", t.n);
  ts_free(x);
  tape_free(&t);
}

struct tape_job {
  const ts_tensor *W, *x;
  double f, gnorm;
};

// OK: a ts_run job that builds, differentiates and frees a tape; the
// tape's values are made in the job's scope and freed before it ends
static void *tape_job_fn(void *ctx) {
  struct tape_job *j = ctx;
  struct tape t;
  int xi;
  tape_init(&t, 0);
  int out = build_quadratic(&t, j->W, j->x, &xi);
  tape_backward(&t, out);
  j->f = ts_item(tape_value(&t, out));
  j->gnorm = ts_item(ts_norm_Scalar(t.nodes[xi].grad, 2.0));
  tape_free(&t);
  return NULL;
}

// OK: runs the job and reads its doubles
void tape_in_run(void) {
  ts_tensor *W = ts_randn(TS_SHAPE(3, 3), TS_FLOAT32);
  ts_tensor *x = ts_randn(TS_SHAPE(3, 1), TS_FLOAT32);
  struct tape_job j = {W, x, 0.0, 0.0};
  ts_run(tape_job_fn, &j);
  printf("f %.4f |g| %.4f\n", j.f, j.gnorm);
  ts_free(x);
  ts_free(W);
}

// OK: seeds the backward sweep with a caller's tensor, copied
static void tape_backward_seeded(struct tape *t, int out,
                                 const ts_tensor *seed) {
  accum(&t->nodes[out], ts_clone(seed));
  tape_backward(t, out);
}

// BUG: leak: the seed made for the call is never freed (the helper copies
// it)
void tape_weighted(void) {
  struct tape t;
  tape_init(&t, 0);
  ts_tensor *x = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  int xi = tape_leaf(&t, x);
  int out = tape_sum(&t, tape_mul(&t, xi, xi));
  tape_backward_seeded(&t, out,
                       ts_full(TS_SHAPE(1), TS_FLOAT32, 0.5)); // <- BUG
  ts_free(x);
  tape_free(&t);
}

// OK: the seeded backward with the seed freed after the call
void tape_weighted_ok(void) {
  struct tape t;
  tape_init(&t, 0);
  ts_tensor *x = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  int xi = tape_leaf(&t, x);
  int out = tape_sum(&t, tape_mul(&t, xi, xi));
  ts_tensor *seed = ts_full(TS_SHAPE(1), TS_FLOAT32, 0.5);
  tape_backward_seeded(&t, out, seed);
  ts_free(seed);
  ts_tensor *g = ts_sum(t.nodes[xi].grad);
  printf("weighted grad sum %.2f\n", ts_item(g));
  ts_free(g);
  ts_free(x);
  tape_free(&t);
}
