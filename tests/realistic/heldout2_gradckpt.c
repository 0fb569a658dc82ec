/* heldout2_gradckpt.c - gradient checkpointing by hand: the forward pass
 * keeps only each segment's input, the backward pass recomputes a segment
 * from its checkpoint and chains the gradients through ts_grad.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define L 4 /* layers */
#define K 2 /* layers per segment */
#define NSEG (L / K)
#define B 3
#define D 5

// OK: the layer weights, each requiring grad
static void weights_new(ts_tensor **w) {
  for (int i = 0; i < L; i++) {
    w[i] = ts_randn(TS_SHAPE(D, D), TS_FLOAT32);
    ts_mul_Scalar_(w[i], 0.3);
    ts_requires_grad(w[i], true);
  }
}

// OK: frees n tensors of an array
static void free_all(ts_tensor **t, int n) {
  for (int i = 0; i < n; i++)
    ts_free(t[i]);
}

// OK: one layer, a new tensor
static ts_tensor *layer(const ts_tensor *h, const ts_tensor *w) {
  ts_tensor *z = ts_matmul(h, w);
  ts_tensor *a = ts_tanh(z);
  ts_free(z);
  return a;
}

// OK: segment s applied to its input; intermediates freed
static ts_tensor *segment(ts_tensor **w, int s, const ts_tensor *in) {
  ts_tensor *h = ts_clone(in);
  for (int i = s * K; i < (s + 1) * K; i++) {
    ts_tensor *nh = layer(h, w[i]);
    ts_free(h);
    h = nh;
  }
  return h;
}

// OK: the forward pass: segment inputs kept (detached) in ck, output returned
static ts_tensor *forward_ckpt(ts_tensor **w, const ts_tensor *x,
                               ts_tensor **ck) {
  ts_tensor *h = ts_detach(x);
  for (int s = 0; s < NSEG; s++) {
    ck[s] = ts_detach(h);
    ts_tensor *nh = segment(w, s, h);
    ts_free(h);
    h = ts_detach(nh);
    ts_free(nh);
  }
  return h;
}

// OK: the backward pass, segment by segment from the last; the gradient
// reaching each segment's output is chained through gout
static void backward_ckpt(ts_tensor **w, ts_tensor **ck,
                          const ts_tensor *target) {
  ts_tensor *gout = NULL;
  for (int s = NSEG - 1; s >= 0; s--) {
    ts_tensor *in = ts_clone(ck[s]);
    ts_requires_grad(in, true);
    ts_tensor *out = segment(w, s, in);
    ts_tensor *obj;
    if (gout) {
      ts_tensor *p = ts_mul(out, gout);
      obj = ts_sum(p);
      ts_free(p);
    } else {
      obj = ts_mse_loss(out, target);
    }
    ts_backward(obj);
    ts_free(obj);
    ts_tensor *g = ts_grad(in);
    if (gout)
      ts_free(gout);
    gout = g;
    ts_free(out);
    ts_free(in);
  }
  if (gout)
    ts_free(gout);
}

// OK: a full checkpointed step; checkpoints and weights freed once
void ckpt_step(void) {
  ts_manual_seed(11);
  ts_tensor *w[L], *ck[NSEG];
  weights_new(w);
  ts_tensor *x = ts_randn(TS_SHAPE(B, D), TS_FLOAT32);
  ts_tensor *t = ts_zeros(TS_SHAPE(B, D), TS_FLOAT32);
  ts_tensor *y = forward_ckpt(w, x, ck);
  ts_free(y);
  backward_ckpt(w, ck, t);
  for (int i = 0; i < L; i++)
    ts_sgd_step(w[i], 0.1);
  free_all(ck, NSEG);
  free_all(w, L);
  ts_free(t);
  ts_free(x);
}

// BUG: leak: the gradient handle made inline for the norm is never freed
static double grad_norm(const ts_tensor *w) {
  ts_tensor *n = ts_norm_Scalar(ts_grad(w), 2.0); // <- BUG
  double v = ts_item(n);
  ts_free(n);
  return v;
}

// OK: gradient norms after a step (grad_norm leaks by itself)
void ckpt_grad_norms(void) {
  ts_tensor *w[L], *ck[NSEG];
  weights_new(w);
  ts_tensor *x = ts_randn(TS_SHAPE(B, D), TS_FLOAT32);
  ts_tensor *t = ts_zeros(TS_SHAPE(B, D), TS_FLOAT32);
  ts_free(forward_ckpt(w, x, ck));
  backward_ckpt(w, ck, t);
  printf("grad norm of layer 0: %.4f\n", grad_norm(w[0]));
  free_all(ck, NSEG);
  free_all(w, L);
  ts_free(t);
  ts_free(x);
}

// OK: a backward pass that frees each checkpoint once it has used it: the
// checkpoints are gone when it returns
static void backward_release(ts_tensor **w, ts_tensor **ck,
                             const ts_tensor *target) {
  ts_tensor *gout = NULL;
  for (int s = NSEG - 1; s >= 0; s--) {
    ts_tensor *in = ts_clone(ck[s]);
    ts_free(ck[s]);
    ts_requires_grad(in, true);
    ts_tensor *out = segment(w, s, in);
    ts_tensor *obj;
    if (gout) {
      ts_tensor *p = ts_mul(out, gout);
      obj = ts_sum(p);
      ts_free(p);
    } else {
      obj = ts_mse_loss(out, target);
    }
    ts_backward(obj);
    ts_free(obj);
    if (gout)
      ts_free(gout);
    gout = ts_grad(in);
    ts_free(out);
    ts_free(in);
  }
  ts_free(gout);
}

// BUG: double-free: backward_release already freed the checkpoints, and they
// are freed again as after the ordinary backward pass
void ckpt_release(void) {
  ts_tensor *w[L], *ck[NSEG];
  weights_new(w);
  ts_tensor *x = ts_randn(TS_SHAPE(B, D), TS_FLOAT32);
  ts_tensor *t = ts_zeros(TS_SHAPE(B, D), TS_FLOAT32);
  ts_free(forward_ckpt(w, x, ck));
  backward_release(w, ck, t);
  free_all(ck, NSEG); // <- BUG
  free_all(w, L);
  ts_free(t);
  ts_free(x);
}

// BUG: use-after-free: the chained gradient is freed as soon as the new one is
// taken, but the objective for the earlier segment is built from it after
static void backward_early_free(ts_tensor **w, ts_tensor **ck,
                                const ts_tensor *target) {
  ts_tensor *gout = NULL;
  for (int s = NSEG - 1; s >= 0; s--) {
    ts_tensor *in = ts_clone(ck[s]);
    ts_requires_grad(in, true);
    ts_tensor *out = segment(w, s, in);
    if (gout)
      ts_free(gout);
    ts_tensor *obj;
    if (gout) {
      ts_tensor *p = ts_mul(out, gout); // <- BUG
      obj = ts_sum(p);
      ts_free(p);
    } else {
      obj = ts_mse_loss(out, target);
    }
    ts_backward(obj);
    ts_free(obj);
    gout = ts_grad(in);
    ts_free(out);
    ts_free(in);
  }
  ts_free(gout);
}

// OK: drives backward_early_free
void ckpt_early_free(void) {
  ts_tensor *w[L], *ck[NSEG];
  weights_new(w);
  ts_tensor *x = ts_randn(TS_SHAPE(B, D), TS_FLOAT32);
  ts_tensor *t = ts_zeros(TS_SHAPE(B, D), TS_FLOAT32);
  ts_free(forward_ckpt(w, x, ck));
  backward_early_free(w, ck, t);
  free_all(ck, NSEG);
  free_all(w, L);
  ts_free(t);
  ts_free(x);
}

// BUG: leak: a non-finite loss returns before the recomputed segment output
// and its input are freed
static int last_segment_loss(ts_tensor **w, ts_tensor **ck,
                             const ts_tensor *target, double *loss) {
  ts_tensor *in = ts_clone(ck[NSEG - 1]);
  ts_tensor *out = segment(w, NSEG - 1, in); // <- BUG
  ts_tensor *l = ts_mse_loss(out, target);
  *loss = ts_item(l);
  ts_free(l);
  if (!isfinite(*loss) || *loss > 1e6)
    return -1;
  ts_free(out);
  ts_free(in);
  return 0;
}

// OK: a target far away makes the loss too large (the helper's leak)
void ckpt_bad_loss(void) {
  ts_tensor *w[L], *ck[NSEG];
  weights_new(w);
  ts_tensor *x = ts_randn(TS_SHAPE(B, D), TS_FLOAT32);
  ts_tensor *t = ts_full(TS_SHAPE(B, D), TS_FLOAT32, 1e6);
  ts_free(forward_ckpt(w, x, ck));
  double l = 0;
  if (last_segment_loss(w, ck, t, &l) != 0)
    printf("loss %.3g rejected\n", l);
  free_all(ck, NSEG);
  free_all(w, L);
  ts_free(t);
  ts_free(x);
}

// BUG: unescaped-return: the recomputed output is returned from the TS_SCOPED
// body without ts_escape
TS_SCOPED static ts_tensor *recompute(ts_tensor **w, int s,
                                      const ts_tensor *ck) {
  ts_tensor *in = ts_detach(ck);
  return segment(w, s, in); // <- BUG
}

// OK: uses and frees what recompute returned (recompute is wrong)
void ckpt_recompute(void) {
  ts_tensor *w[L], *ck[NSEG];
  weights_new(w);
  ts_tensor *x = ts_randn(TS_SHAPE(B, D), TS_FLOAT32);
  ts_free(forward_ckpt(w, x, ck));
  ts_tensor *o = recompute(w, 0, ck[0]);
  printf("recomputed %lld\n", (long long)ts_numel(o));
  ts_free(o);
  free_all(ck, NSEG);
  free_all(w, L);
  ts_free(x);
}

// BUG: use-after-scope: the input gradients are taken inside a TS_SCOPE block
// and compared after it
void ckpt_grad_scoped(void) {
  ts_tensor *w[L], *ck[NSEG];
  weights_new(w);
  ts_tensor *x = ts_randn(TS_SHAPE(B, D), TS_FLOAT32);
  ts_tensor *t = ts_zeros(TS_SHAPE(B, D), TS_FLOAT32);
  ts_free(forward_ckpt(w, x, ck));
  ts_tensor *gin = NULL;
  TS_SCOPE {
    ts_tensor *in = ts_clone(ck[0]);
    ts_requires_grad(in, true);
    ts_tensor *out = segment(w, 0, in);
    ts_backward(ts_sum(out));
    gin = ts_grad(in);
  }
  printf("input grad %lld\n", (long long)ts_numel(gin)); // <- BUG
  free_all(ck, NSEG);
  free_all(w, L);
  ts_free(t);
  ts_free(x);
}

// OK: a detached copy and its source are two handles: both are freed
void ckpt_detach_pair(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(B, D), TS_FLOAT32);
  ts_tensor *d = ts_detach(x);
  ts_mul_Scalar_(d, 2.0);
  printf("x and its detached view: %lld %lld\n", (long long)ts_numel(x),
         (long long)ts_numel(d));
  ts_free(d);
  ts_free(x);
}
