/* heldout2_conv.c - a small convolutional network: weights and batch-norm
 * running statistics in a struct, updated in place or replaced, pooling
 * with indices, per-channel feature maps through ts_unbind_int, pruning,
 * flipped-input test-time augmentation. Labels: tests/realistic/README.md. */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define C 4
#define S 8

struct cnn {
  ts_tensor *w, *b;   /* conv [C,1,3,3], [C] */
  ts_tensor *rm, *rv; /* running mean and variance [C] */
  ts_tensor *fc;      /* [2, C] */
};

// OK: makes every tensor of the network
static void cnn_init(struct cnn *c) {
  c->w = ts_randn(TS_SHAPE(C, 1, 3, 3), TS_FLOAT32);
  c->b = ts_zeros(TS_SHAPE(C), TS_FLOAT32);
  c->rm = ts_zeros(TS_SHAPE(C), TS_FLOAT32);
  c->rv = ts_ones(TS_SHAPE(C), TS_FLOAT32);
  c->fc = ts_randn(TS_SHAPE(2, C), TS_FLOAT32);
}

// OK: frees every tensor of the network
static void cnn_free(struct cnn *c) {
  ts_free(c->w);
  ts_free(c->b);
  ts_free(c->rm);
  ts_free(c->rv);
  ts_free(c->fc);
}

// OK: per-channel mean and variance of a conv output [N,C,H,W]
static void channel_stats(const ts_tensor *y, ts_tensor **mean,
                          ts_tensor **var) {
  *mean = ts_mean_dim(y, TS_SHAPE(0, 2, 3), false, TS_NO_DTYPE);
  *var = ts_var_dim(y, TS_SHAPE(0, 2, 3), true, false);
}

// OK: running statistics updated in place (the lerp returns the same handle)
static void bn_update(struct cnn *c, const ts_tensor *y) {
  ts_tensor *m, *v;
  channel_stats(y, &m, &v);
  ts_lerp_Scalar_(c->rm, m, 0.1);
  ts_lerp_Scalar_(c->rv, v, 0.1);
  ts_free(m);
  ts_free(v);
}

// BUG: leak: the new running mean replaces the old one without freeing it
static void bn_update_replace(struct cnn *c, const ts_tensor *y) {
  ts_tensor *m, *v;
  channel_stats(y, &m, &v);
  c->rm = ts_lerp_Scalar(c->rm, m, 0.1); // <- BUG
  ts_tensor *nv = ts_lerp_Scalar(c->rv, v, 0.1);
  ts_free(c->rv);
  c->rv = nv;
  ts_free(m);
  ts_free(v);
}

// BUG: double-free: the in-place lerp returns the running variance itself;
// freeing the "old" one frees the new one, which the network frees again
static void bn_update_mixed(struct cnn *c, const ts_tensor *y) {
  ts_tensor *m, *v;
  channel_stats(y, &m, &v);
  ts_lerp_Scalar_(c->rm, m, 0.1);
  ts_tensor *nv = ts_lerp_Scalar_(c->rv, v, 0.1);
  ts_free(c->rv); // <- BUG
  c->rv = nv;
  ts_free(m);
  ts_free(v);
}

// OK: the convolution of x, a new tensor
static ts_tensor *conv(const struct cnn *c, const ts_tensor *x) {
  return ts_conv2d(x, c->w, c->b, TS_SHAPE(1, 1), TS_SHAPE(1, 1),
                   TS_SHAPE(1, 1), 1);
}

// OK: class logits; temporaries under the guard, the logits escaped
static ts_tensor *cnn_forward(const struct cnn *c, const ts_tensor *x) {
  TS_SCOPE_GUARD();
  ts_tensor *y = ts_relu(conv(c, x));
  ts_tensor *p = ts_adaptive_avg_pool2d(y, TS_SHAPE(1, 1));
  ts_tensor *f = ts_flatten_using_ints(p, 1, -1);
  return ts_escape(ts_linear(f, c->fc, NULL));
}

// OK: a training-mode pass with the three statistic updates (two of them
// have bugs of their own)
static void bn_pass(void (*update)(struct cnn *, const ts_tensor *)) {
  struct cnn c;
  cnn_init(&c);
  ts_tensor *x = ts_randn(TS_SHAPE(2, 1, S, S), TS_FLOAT32);
  ts_tensor *y = conv(&c, x);
  update(&c, y);
  ts_free(y);
  ts_free(x);
  cnn_free(&c);
}

// OK: the in-place update
void cnn_bn(void) { bn_pass(bn_update); }

// OK: the replacing update (leaks by itself)
void cnn_bn_replace(void) { bn_pass(bn_update_replace); }

// OK: the mixed update (double-frees by itself)
void cnn_bn_mixed(void) { bn_pass(bn_update_mixed); }

// BUG: use-after-free: the per-channel maps are freed in the loop that prints
// them, then the first one is averaged
void cnn_feature_maps(void) {
  struct cnn c;
  cnn_init(&c);
  ts_tensor *x = ts_randn(TS_SHAPE(1, 1, S, S), TS_FLOAT32);
  ts_tensor *y = conv(&c, x);
  ts_tensor *y0 = ts_select_int(y, 0, 0);
  ts_tensor *maps[C];
  int n = 0;
  ts_unbind_int(maps, C, &n, y0, 0);
  ts_free(y0);
  ts_free(y);
  for (int i = 0; i < n; i++) {
    printf("map %d: %lld\n", i, (long long)ts_numel(maps[i]));
    ts_free(maps[i]);
  }
  ts_tensor *m0 = ts_mean(maps[0]); // <- BUG
  printf("map 0 mean %.3f\n", ts_item(m0));
  ts_free(m0);
  ts_free(x);
  cnn_free(&c);
}

// BUG: leak: pooling with indices keeps the values and frees them, but the
// indices are never freed
void cnn_pool_indices(void) {
  struct cnn c;
  cnn_init(&c);
  ts_tensor *x = ts_randn(TS_SHAPE(1, 1, S, S), TS_FLOAT32);
  ts_tensor *y = conv(&c, x);
  ts_tensor *pi[2];
  if (ts_max_pool2d_with_indices(
          pi, y, TS_SHAPE(2, 2), TS_SHAPE(2, 2), // <- BUG
          TS_SHAPE(0, 0), TS_SHAPE(1, 1), false) == TS_OK) {
    printf("pooled %lld\n", (long long)ts_numel(pi[0]));
    ts_free(pi[0]);
  }
  ts_free(y);
  ts_free(x);
  cnn_free(&c);
}

// OK: both results of the pooling are freed
void cnn_pool_indices_ok(void) {
  struct cnn c;
  cnn_init(&c);
  ts_tensor *x = ts_randn(TS_SHAPE(1, 1, S, S), TS_FLOAT32);
  ts_tensor *y = conv(&c, x);
  ts_tensor *pi[2];
  if (ts_max_pool2d_with_indices(pi, y, TS_SHAPE(2, 2), TS_SHAPE(2, 2),
                                 TS_SHAPE(0, 0), TS_SHAPE(1, 1),
                                 false) == TS_OK) {
    printf("pooled %lld, argmax %lld\n", (long long)ts_numel(pi[0]),
           (long long)ts_numel(pi[1]));
    ts_free(pi[0]);
    ts_free(pi[1]);
  }
  ts_free(y);
  ts_free(x);
  cnn_free(&c);
}

// BUG: double-free: the input is one of the two augmented copies, and it is
// freed in the loop over the copies and again on its own
void cnn_tta(void) {
  struct cnn c;
  cnn_init(&c);
  ts_tensor *x = ts_randn(TS_SHAPE(1, 1, S, S), TS_FLOAT32);
  ts_tensor *views[2] = {x, ts_flip(x, TS_SHAPE(3))};
  ts_tensor *avg = NULL;
  for (int i = 0; i < 2; i++) {
    ts_tensor *lg = cnn_forward(&c, views[i]);
    if (avg) {
      ts_add_Tensor_(avg, lg, 1.0);
      ts_free(lg);
    } else {
      avg = lg;
    }
  }
  printf("tta logits %lld\n", (long long)ts_numel(avg));
  ts_free(avg);
  for (int i = 0; i < 2; i++)
    ts_free(views[i]);
  ts_free(x); // <- BUG
  cnn_free(&c);
}

// BUG: use-after-free: the pruned weight replaces the old one, which the
// caller still holds and compares with
void cnn_prune(void) {
  struct cnn c;
  cnn_init(&c);
  const ts_tensor *before = c.w;
  ts_tensor *a = ts_abs(c.w);
  ts_tensor *mask = ts_gt_Scalar(a, 0.5);
  ts_tensor *pruned = ts_mul(c.w, mask);
  ts_free(mask);
  ts_free(a);
  ts_free(c.w);
  c.w = pruned;
  ts_tensor *d = ts_sub(before, c.w); // <- BUG
  printf("pruned away %lld\n", (long long)ts_numel(d));
  ts_free(d);
  cnn_free(&c);
}

// BUG: use-after-scope: the activations are saved for plotting from inside a
// scoped loop and plotted after it
void cnn_activations(void) {
  struct cnn c;
  cnn_init(&c);
  ts_tensor *acts[3];
  TS_SCOPE for (int i = 0; i < 3; i++) {
    ts_tensor *x = ts_randn(TS_SHAPE(1, 1, S, S), TS_FLOAT32);
    acts[i] = ts_relu(conv(&c, x));
  }
  for (int i = 0; i < 3; i++)
    printf("act %d: %lld\n", i, (long long)ts_numel(acts[i])); // <- BUG
  cnn_free(&c);
}

// BUG: leak: a confident prediction returns before the logits are freed
static int classify(const struct cnn *c, const ts_tensor *x) {
  ts_tensor *lg = cnn_forward(c, x); // <- BUG
  ts_tensor *p = ts_softmax(lg, 1);
  ts_tensor *mx = ts_max(p);
  double conf = ts_item(mx);
  ts_free(mx);
  ts_free(p);
  if (conf > 0.0)
    return 1;
  ts_free(lg);
  return 0;
}

// OK: drives classify (its leak is its own)
void cnn_classify(void) {
  struct cnn c;
  cnn_init(&c);
  ts_tensor *x = ts_randn(TS_SHAPE(1, 1, S, S), TS_FLOAT32);
  printf("confident: %d\n", classify(&c, x));
  ts_free(x);
  cnn_free(&c);
}
