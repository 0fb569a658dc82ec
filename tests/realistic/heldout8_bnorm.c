/* heldout8_bnorm.c - batch normalisation layers with running statistics:
 * a layer object behind a small vtable (forward, update, reset, destroy),
 * momentum updates of running mean and variance, snapshots of the stats
 * for rollback after a bad batch, and a chain of layers in a heap array. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>

#define FEAT 3

struct layer;
typedef struct {
  ts_tensor *(*forward)(struct layer *l, const ts_tensor *x, int train);
  int (*reset)(struct layer *l);
  void (*destroy)(struct layer *l);
} layer_ops;

typedef struct layer {
  const layer_ops *ops;
  ts_tensor *mean, *var;   /* [FEAT] running statistics */
  ts_tensor *gamma, *beta; /* [FEAT] affine */
  double momentum, eps;
  long seen;
} layer;

typedef struct {
  ts_tensor *mean, *var;
  long seen;
} bn_snap;

// OK: replaces *slot with v, freeing the old value
static void swap_in(ts_tensor **slot, ts_tensor *v) {
  if (*slot)
    ts_free(*slot);
  *slot = v;
}

// OK: batch mean over rows in the caller's scope: ones^T x / n
TS_CALLER_SCOPE static ts_tensor *col_mean(const ts_tensor *x) {
  int64_t n = ts_size(x, 0);
  ts_tensor *ones = ts_full(TS_SHAPE(1, n), TS_FLOAT32, 1.0 / (double)n);
  ts_tensor *m = ts_matmul(ones, x);
  return ts_reshape(m, TS_SHAPE(FEAT));
}

// OK: training forward updates the running stats; output kept for the caller
static ts_tensor *bn_forward(layer *l, const ts_tensor *x, int train) {
  ts_tensor *y;
  TS_SCOPE {
    ts_tensor *mu, *var;
    if (train) {
      mu = col_mean(x);
      ts_tensor *c = ts_sub(x, mu);
      var = col_mean(ts_mul(c, c));
      swap_in(&l->mean, ts_keep(ts_add(ts_mul_scalar(l->mean, 1 - l->momentum),
                                        ts_mul_scalar(mu, l->momentum))));
      swap_in(&l->var, ts_keep(ts_add(ts_mul_scalar(l->var, 1 - l->momentum),
                                       ts_mul_scalar(var, l->momentum))));
      l->seen += ts_size(x, 0);
    } else {
      mu = l->mean;
      var = l->var;
    }
    ts_tensor *inv = ts_exp(ts_mul_scalar(ts_log(ts_add_scalar(var, l->eps)), -0.5));
    ts_tensor *xn = ts_mul(ts_sub(x, mu), inv);
    y = ts_escape(ts_add(ts_mul(xn, l->gamma), l->beta));
  }
  return y;
}

// OK: stats back to zero mean, unit variance
static int bn_reset(layer *l) {
  ts_tensor *m = ts_zeros(TS_SHAPE(FEAT), TS_FLOAT32);
  ts_tensor *v = ts_ones(TS_SHAPE(FEAT), TS_FLOAT32);
  if (!m || !v) {
    if (m)
      ts_free(m);
    if (v)
      ts_free(v);
    return -1;
  }
  swap_in(&l->mean, m);
  swap_in(&l->var, v);
  l->seen = 0;
  return 0;
}

// BUG: leak: the new variance is made before the count check and lost when it fails
static int bn_reset_early(layer *l) {
  ts_tensor *v = ts_ones(TS_SHAPE(FEAT), TS_FLOAT32); // <- BUG
  if (!v || l->seen < 0)
    return -1;
  ts_tensor *m = ts_zeros(TS_SHAPE(FEAT), TS_FLOAT32);
  if (!m) {
    ts_free(v);
    return -1;
  }
  swap_in(&l->mean, m);
  swap_in(&l->var, v);
  l->seen = 0;
  return 0;
}

// OK: frees all four tensors and the layer
static void bn_destroy(layer *l) {
  ts_free(l->mean);
  ts_free(l->var);
  ts_free(l->gamma);
  ts_free(l->beta);
  free(l);
}

// OK: the batch-norm vtable
static const layer_ops *bn_ops(void) {
  static const layer_ops ops = {bn_forward, bn_reset, bn_destroy};
  return &ops;
}

// OK: goto-cleanup constructor
static layer *bn_new(double momentum) {
  layer *l = calloc(1, sizeof *l);
  if (!l)
    return NULL;
  l->ops = bn_ops();
  l->momentum = momentum;
  l->eps = 1e-5;
  l->gamma = ts_ones(TS_SHAPE(FEAT), TS_FLOAT32);
  if (!l->gamma)
    goto fail;
  l->beta = ts_zeros(TS_SHAPE(FEAT), TS_FLOAT32);
  if (!l->beta)
    goto fail_gamma;
  if (bn_reset(l) != 0)
    goto fail_beta;
  return l;
fail_beta:
  ts_free(l->beta);
fail_gamma:
  ts_free(l->gamma);
fail:
  free(l);
  return NULL;
}

// BUG: double-free: the constructor's error path frees gamma twice through fall-through labels
static layer *bn_new_strict(double momentum) {
  layer *l = calloc(1, sizeof *l);
  if (!l)
    return NULL;
  l->ops = bn_ops();
  l->momentum = momentum;
  l->eps = 1e-5;
  l->gamma = ts_ones(TS_SHAPE(FEAT), TS_FLOAT32);
  l->beta = ts_zeros(TS_SHAPE(FEAT), TS_FLOAT32);
  if (momentum <= 0.0 || momentum >= 1.0)
    goto fail_beta;
  if (bn_reset(l) != 0)
    goto fail_beta;
  return l;
fail_beta:
  ts_free(l->beta);
  ts_free(l->gamma);
  ts_free(l->gamma); // <- BUG
  free(l);
  return NULL;
}

// OK: snapshot copies the stats
static int bn_snapshot(const layer *l, bn_snap *s) {
  s->mean = ts_clone(l->mean);
  if (!s->mean)
    return -1;
  s->var = ts_clone(l->var);
  if (!s->var) {
    ts_free(s->mean);
    return -1;
  }
  s->seen = l->seen;
  return 0;
}

// OK: rollback moves the snapshot's tensors into the layer
static void bn_rollback(layer *l, bn_snap *s) {
  swap_in(&l->mean, s->mean);
  swap_in(&l->var, s->var);
  l->seen = s->seen;
  s->mean = s->var = NULL;
}

// BUG: use-after-free: rollback frees the snapshot's tensors after moving them into the layer
static void bn_rollback_free(layer *l, bn_snap *s) {
  swap_in(&l->mean, s->mean);
  swap_in(&l->var, s->var);
  l->seen = s->seen;
  ts_free(s->mean);
  ts_free(s->var);
  ts_tensor *chk = ts_sum(l->var); // <- BUG
  printf("var sum %g\n", ts_item(chk));
  ts_free(chk);
}

// OK: drops a snapshot that was not used
static void bn_snapshot_drop(bn_snap *s) {
  if (s->mean)
    ts_free(s->mean);
  if (s->var)
    ts_free(s->var);
  s->mean = s->var = NULL;
}

// OK: a batch is bad when its output has a non-finite or huge mean
static int batch_bad(const ts_tensor *y) {
  TS_SCOPE_GUARD();
  double m = ts_item(ts_mean(ts_mul(y, y)));
  return !isfinite(m) || m > 1e6;
}

// OK: one guarded training step: snapshot, forward, rollback when bad
static int train_step(layer *l, const ts_tensor *x) {
  bn_snap s;
  if (bn_snapshot(l, &s) != 0)
    return -1;
  ts_tensor *y = l->ops->forward(l, x, 1);
  if (!y) {
    bn_rollback(l, &s);
    return -1;
  }
  int bad = batch_bad(y);
  ts_free(y);
  if (bad)
    bn_rollback(l, &s);
  else
    bn_snapshot_drop(&s);
  return bad;
}

// BUG: leak: a good batch never drops its snapshot
static int train_step_nodrop(layer *l, const ts_tensor *x) {
  bn_snap s;
  if (bn_snapshot(l, &s) != 0) // <- BUG
    return -1;
  ts_tensor *y = l->ops->forward(l, x, 1);
  int bad = y ? batch_bad(y) : 1;
  if (y)
    ts_free(y);
  if (bad)
    bn_rollback(l, &s);
  return bad;
}

typedef struct {
  layer **v;
  int n;
} chain;

// OK: chain forward: each intermediate freed once the next exists
static ts_tensor *chain_forward(chain *c, const ts_tensor *x, int train) {
  ts_tensor *cur = ts_clone(x);
  for (int i = 0; i < c->n && cur; i++) {
    ts_tensor *next = c->v[i]->ops->forward(c->v[i], cur, train);
    ts_free(cur);
    cur = next;
  }
  return cur;
}

// BUG: use-after-free: the intermediate is freed before the next layer reads it
static ts_tensor *chain_forward_eager(chain *c, const ts_tensor *x) {
  ts_tensor *cur = ts_clone(x);
  for (int i = 0; i < c->n && cur; i++) {
    ts_tensor *prev = cur;
    ts_free(prev);
    cur = c->v[i]->ops->forward(c->v[i], prev, 0); // <- BUG
  }
  return cur;
}

// OK: chain built with layers in a heap array
static int chain_build(chain *c, int n) {
  c->v = calloc((size_t)n, sizeof *c->v);
  c->n = 0;
  if (!c->v)
    return -1;
  for (int i = 0; i < n; i++) {
    layer *l = bn_new(0.1 * (i + 1));
    if (!l)
      return -1;
    c->v[c->n++] = l;
  }
  return 0;
}

// OK: every layer through its vtable
static void chain_free(chain *c) {
  for (int i = 0; i < c->n; i++)
    c->v[i]->ops->destroy(c->v[i]);
  free(c->v);
  c->v = NULL;
  c->n = 0;
}

// BUG: unescaped-return: the eval output is made in a scope block and returned from inside it
static ts_tensor *eval_scaled(layer *l, const ts_tensor *x, double s) {
  TS_SCOPE {
    ts_tensor *xs = ts_mul_scalar(x, s);
    ts_tensor *y = l->ops->forward(l, xs, 0);
    ts_tensor *r = ts_relu(y);
    ts_free(y);
    return r; // <- BUG
  }
}

// BUG: use-after-scope: the running mean is replaced by a scoped tensor that the block frees
static void bn_recenter(layer *l, double shift) {
  TS_SCOPE {
    ts_tensor *m = ts_add_scalar(l->mean, shift);
    ts_free(l->mean);
    l->mean = m;
  }
  ts_tensor *chk = ts_sum(l->mean); // <- BUG
  printf("%g\n", ts_item(chk));
  ts_free(chk);
}

// OK: recentering keeps the new mean
static void bn_recenter_ok(layer *l, double shift) {
  TS_SCOPE {
    ts_tensor *m = ts_add_scalar(l->mean, shift);
    swap_in(&l->mean, ts_keep(m));
  }
}

// OK: a batch of random rows
static ts_tensor *batch(int n, double scale) {
  ts_tensor *r = ts_randn(TS_SHAPE(n, FEAT), TS_FLOAT32);
  ts_tensor *x = r ? ts_mul_scalar(r, scale) : NULL;
  if (r)
    ts_free(r);
  return x;
}

// OK: training of a chain, an evaluation pass and recentering
void bn_entry_train(void) {
  chain c;
  ts_manual_seed(5);
  if (chain_build(&c, 2) != 0) {
    chain_free(&c);
    return;
  }
  for (int i = 0; i < 3; i++) {
    ts_tensor *x = batch(8, 1.0 + i);
    if (!x)
      break;
    train_step(c.v[0], x);
    ts_tensor *y = chain_forward(&c, x, 1);
    if (y)
      ts_free(y);
    ts_free(x);
  }
  bn_recenter_ok(c.v[1], 0.5);
  ts_tensor *x = batch(4, 1.0);
  ts_tensor *y = chain_forward(&c, x, 0);
  printf("%lld %ld\n", (long long)ts_numel(y), c.v[0]->seen);
  ts_free(y);
  ts_free(x);
  chain_free(&c);
}

// OK: a huge batch is rolled back
void bn_entry_rollback(void) {
  layer *l = bn_new(0.5);
  if (!l)
    return;
  ts_tensor *x = batch(4, 1e6);
  printf("%d\n", train_step(l, x));
  bn_snap s;
  if (bn_snapshot(l, &s) == 0)
    bn_rollback(l, &s);
  l->ops->reset(l);
  ts_free(x);
  l->ops->destroy(l);
}

// OK: drives the early reset with a negative count
void bn_entry_reset_early(void) {
  layer *l = bn_new(0.1);
  if (!l)
    return;
  l->seen = -1;
  bn_reset_early(l);
  bn_destroy(l);
}

// OK: drives the strict constructor with a bad momentum
void bn_entry_strict(void) {
  layer *l = bn_new_strict(1.5);
  if (l)
    bn_destroy(l);
}

// OK: drives the freeing rollback
void bn_entry_rollback_free(void) {
  layer *l = bn_new(0.1);
  bn_snap s;
  if (!l)
    return;
  if (bn_snapshot(l, &s) == 0)
    bn_rollback_free(l, &s);
  bn_destroy(l);
}

// OK: drives the step that keeps its snapshot
void bn_entry_nodrop(void) {
  layer *l = bn_new(0.1);
  if (!l)
    return;
  ts_tensor *x = batch(4, 1.0);
  train_step_nodrop(l, x);
  ts_free(x);
  bn_destroy(l);
}

// OK: drives the eager chain
void bn_entry_eager(void) {
  chain c;
  if (chain_build(&c, 2) == 0) {
    ts_tensor *x = batch(2, 1.0);
    ts_tensor *y = chain_forward_eager(&c, x);
    if (y)
      ts_free(y);
    ts_free(x);
  }
  chain_free(&c);
}

// OK: uses the evaluation returned out of its block scope
void bn_entry_eval(void) {
  layer *l = bn_new(0.1);
  if (!l)
    return;
  ts_tensor *x = batch(2, 1.0);
  ts_tensor *y = eval_scaled(l, x, 2.0);
  printf("%d\n", batch_bad(y));
  ts_free(y);
  ts_free(x);
  bn_destroy(l);
}

// OK: drives the recentering that loses its mean
void bn_entry_recenter(void) {
  layer *l = bn_new(0.1);
  if (!l)
    return;
  bn_recenter(l, 1.0);
  bn_destroy(l);
}

// BUG: leak: the second batch overwrites the first before it is freed
void bn_entry_two_batches(void) {
  layer *l = bn_new(0.2);
  if (!l)
    return;
  ts_tensor *x = batch(4, 1.0); // <- BUG
  train_step(l, x);
  x = batch(4, 2.0);
  train_step(l, x);
  ts_free(x);
  bn_destroy(l);
}

// BUG: leak: the evaluation output is not freed on the bad-batch early return
void bn_entry_eval_bad(void) {
  layer *l = bn_new(0.1);
  if (!l)
    return;
  ts_tensor *x = batch(4, 1e4);
  ts_tensor *y = l->ops->forward(l, x, 0); // <- BUG
  if (!y || batch_bad(y)) {
    ts_free(x);
    bn_destroy(l);
    return;
  }
  ts_free(y);
  ts_free(x);
  bn_destroy(l);
}
