/* heldout3_gradcheck.c - numerical gradient checks against autograd, batch
 * normalisation written by hand (training and evaluation paths, running
 * statistics), and an Elman RNN unrolled by hand with the hidden state
 * handed from step to step, truncated backpropagation.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { RI = 3, RO = 2, NB = 8, NF = 4, HS = 5, STEPS = 6 };

struct bn {
  ts_tensor *gamma, *beta;       /* [NF] */
  ts_tensor *run_mean, *run_var; /* [NF] */
  double momentum, eps;
};

struct rnn {
  ts_tensor *Wx, *Wh, *b; /* [RI,HS], [HS,HS], [HS] */
};

// OK: f(W) = sum(tanh(x W)^2) as a double, temporaries in a guard scope
static double f_at(const ts_tensor *W, const ts_tensor *x) {
  TS_SCOPE_GUARD();
  ts_tensor *y = ts_tanh(ts_matmul(x, W));
  return ts_item(ts_sum(ts_mul(y, y)));
}

// OK: the gradient of f by autograd, a detached copy for the caller
static ts_tensor *grad_autograd(ts_tensor *W, const ts_tensor *x) {
  ts_requires_grad(W, true);
  TS_SCOPE {
    ts_tensor *y = ts_tanh(ts_matmul(x, W));
    ts_backward(ts_sum(ts_mul(y, y)));
  }
  ts_tensor *g = ts_grad(W);
  ts_tensor *copy = ts_clone(g);
  ts_free(g);
  ts_zero_grad(W);
  ts_requires_grad(W, false);
  return copy;
}

// OK: central differences element by element through views into W and the
// result
static ts_tensor *grad_numeric(ts_tensor *W, const ts_tensor *x, double h) {
  ts_tensor *g = ts_zeros_like(W, TS_NO_DTYPE, NULL);
  ts_tensor *wf = ts_view(W, TS_SHAPE(-1));
  ts_tensor *gf = ts_view(g, TS_SHAPE(-1));
  for (int64_t i = 0; i < ts_numel(W); i++) {
    ts_tensor *wi = ts_narrow(wf, 0, i, 1);
    ts_tensor *gi = ts_narrow(gf, 0, i, 1);
    ts_add_Scalar_(wi, h, 1.0);
    double fp = f_at(W, x);
    ts_add_Scalar_(wi, -2 * h, 1.0);
    double fm = f_at(W, x);
    ts_add_Scalar_(wi, h, 1.0);
    ts_fill_Scalar_(gi, (fp - fm) / (2 * h));
    ts_free(gi);
    ts_free(wi);
  }
  ts_free(gf);
  ts_free(wf);
  return g;
}

// OK: the relative error |a - b| / (|a| + |b|) in one scope
TS_SCOPED static double rel_error(const ts_tensor *a, const ts_tensor *b) {
  ts_tensor *num = ts_norm_Scalar(ts_sub(a, b), 2.0);
  ts_tensor *den = ts_add(ts_norm_Scalar(a, 2.0), ts_norm_Scalar(b, 2.0));
  return ts_item(num) / (ts_item(den) + 1e-12);
}

// OK: the check itself
void gc_check(void) {
  ts_tensor *W = ts_randn(TS_SHAPE(RI, RO), TS_FLOAT64);
  ts_tensor *x = ts_randn(TS_SHAPE(4, RI), TS_FLOAT64);
  ts_tensor *ga = grad_autograd(W, x);
  ts_tensor *gn = grad_numeric(W, x, 1e-5);
  printf("gradcheck rel error %.2e\n", rel_error(ga, gn));
  ts_free(gn);
  ts_free(ga);
  ts_free(x);
  ts_free(W);
}

// BUG: leak: entries of W that are exactly zero are skipped with `continue`
// and their views are not freed
static ts_tensor *grad_numeric_sparse(ts_tensor *W, const ts_tensor *x,
                                      double h) {
  ts_tensor *g = ts_zeros_like(W, TS_NO_DTYPE, NULL);
  ts_tensor *wf = ts_view(W, TS_SHAPE(-1));
  ts_tensor *gf = ts_view(g, TS_SHAPE(-1));
  for (int64_t i = 0; i < ts_numel(W); i++) {
    ts_tensor *wi = ts_narrow(wf, 0, i, 1); // <- BUG
    if (ts_item(wi) == 0.0)
      continue;
    ts_tensor *gi = ts_narrow(gf, 0, i, 1);
    ts_add_Scalar_(wi, h, 1.0);
    double fp = f_at(W, x);
    ts_add_Scalar_(wi, -2 * h, 1.0);
    double fm = f_at(W, x);
    ts_add_Scalar_(wi, h, 1.0);
    ts_fill_Scalar_(gi, (fp - fm) / (2 * h));
    ts_free(gi);
    ts_free(wi);
  }
  ts_free(gf);
  ts_free(wf);
  return g;
}

// OK: a W with a zero row (the sparse check leaks on those entries)
void gc_check_sparse(void) {
  ts_tensor *W = ts_randn(TS_SHAPE(RI, RO), TS_FLOAT64);
  ts_tensor *row = ts_select_int(W, 0, 1);
  ts_zero_(row);
  ts_free(row);
  ts_tensor *x = ts_randn(TS_SHAPE(4, RI), TS_FLOAT64);
  ts_tensor *gn = grad_numeric_sparse(W, x, 1e-5);
  ts_free(gn);
  ts_free(x);
  ts_free(W);
}

// BUG: use-after-free: the analytic gradient is freed before the comparison
void gc_check_reordered(void) {
  ts_tensor *W = ts_randn(TS_SHAPE(RI, RO), TS_FLOAT64);
  ts_tensor *x = ts_randn(TS_SHAPE(4, RI), TS_FLOAT64);
  ts_tensor *ga = grad_autograd(W, x);
  ts_tensor *gn = grad_numeric(W, x, 1e-5);
  ts_free(ga);
  double e = rel_error(ga, gn); // <- BUG
  ts_free(gn);
  printf("error %.2e\n", e);
  ts_free(x);
  ts_free(W);
}

// OK: the layer's parameters and running statistics
static int bn_init(struct bn *b) {
  b->gamma = ts_ones(TS_SHAPE(NF), TS_FLOAT32);
  b->beta = ts_zeros(TS_SHAPE(NF), TS_FLOAT32);
  b->run_mean = ts_zeros(TS_SHAPE(NF), TS_FLOAT32);
  b->run_var = ts_ones(TS_SHAPE(NF), TS_FLOAT32);
  b->momentum = 0.1;
  b->eps = 1e-5;
  if (b->gamma && b->beta && b->run_mean && b->run_var)
    return 0;
  ts_tensor *all[4] = {b->gamma, b->beta, b->run_mean, b->run_var};
  for (int i = 0; i < 4; i++)
    if (all[i])
      ts_free(all[i]);
  return -1;
}

// OK: frees the layer
static void bn_free(struct bn *b) {
  ts_free(b->gamma);
  ts_free(b->beta);
  ts_free(b->run_mean);
  ts_free(b->run_var);
}

// OK: training forward: batch statistics, running statistics updated in
// place, the normalised output for the caller
static ts_tensor *bn_train(struct bn *b, const ts_tensor *x) {
  ts_tensor *vm[2];
  if (ts_var_mean_dim(vm, x, TS_SHAPE(0), false, false) != TS_OK)
    return NULL;
  ts_tensor *xc = ts_sub(x, vm[1]);
  ts_tensor *sd = ts_add_scalar(vm[0], b->eps);
  ts_sqrt_(sd);
  ts_tensor *y = ts_div(xc, sd);
  ts_free(sd);
  ts_free(xc);
  ts_mul_Tensor_(y, b->gamma);
  ts_add_Tensor_(y, b->beta, 1.0);
  ts_lerp_Scalar_(b->run_mean, vm[1], b->momentum);
  ts_lerp_Scalar_(b->run_var, vm[0], b->momentum);
  ts_free(vm[0]);
  ts_free(vm[1]);
  return y;
}

// BUG: leak: the evaluation path never frees the standard deviation
static ts_tensor *bn_eval(const struct bn *b, const ts_tensor *x) {
  ts_tensor *xc = ts_sub(x, b->run_mean);
  ts_tensor *sd = ts_add_scalar(b->run_var, b->eps); // <- BUG
  ts_sqrt_(sd);
  ts_div_Tensor_(xc, sd);
  ts_mul_Tensor_(xc, b->gamma);
  ts_add_Tensor_(xc, b->beta, 1.0);
  return xc;
}

// OK: a few training batches, then statistics printed
void gc_batchnorm_train(void) {
  struct bn b;
  if (bn_init(&b) != 0)
    return;
  for (int i = 0; i < 4; i++) {
    ts_tensor *x = ts_randn(TS_SHAPE(NB, NF), TS_FLOAT32);
    ts_add_Scalar_(x, 3.0, 1.0);
    ts_tensor *y = bn_train(&b, x);
    if (y)
      ts_free(y);
    ts_free(x);
  }
  TS_SCOPE { printf("running mean %.3f\n", ts_item(ts_mean(b.run_mean))); }
  bn_free(&b);
}

// OK: evaluation after training (the evaluation path leaks)
void gc_batchnorm_eval(void) {
  struct bn b;
  if (bn_init(&b) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(NB, NF), TS_FLOAT32);
  ts_tensor *y = bn_train(&b, x);
  ts_tensor *z = bn_eval(&b, x);
  ts_free(z);
  ts_free(y);
  ts_free(x);
  bn_free(&b);
}

// OK: the running statistics replaced by fresh ones; the old ones freed
static void bn_reset(struct bn *b) {
  ts_tensor *m = ts_zeros(TS_SHAPE(NF), TS_FLOAT32);
  ts_tensor *v = ts_ones(TS_SHAPE(NF), TS_FLOAT32);
  ts_free(b->run_mean);
  ts_free(b->run_var);
  b->run_mean = m;
  b->run_var = v;
}

// BUG: use-after-free: a handle to the old running mean is kept across the
// reset and read to report the drift
void gc_batchnorm_reset(void) {
  struct bn b;
  if (bn_init(&b) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(NB, NF), TS_FLOAT32);
  ts_tensor *y = bn_train(&b, x);
  ts_free(y);
  ts_free(x);
  ts_tensor *old_mean = b.run_mean;
  bn_reset(&b);
  TS_SCOPE {
    ts_tensor *drift = ts_sub(old_mean, b.run_mean); // <- BUG
    printf("drift %.3f\n", ts_item(ts_sum(drift)));
  }
  bn_free(&b);
}

// OK: the RNN's weights
static int rnn_init(struct rnn *r) {
  r->Wx = ts_randn(TS_SHAPE(RI, HS), TS_FLOAT32);
  r->Wh = ts_eye(HS, TS_FLOAT32, NULL);
  r->b = ts_zeros(TS_SHAPE(HS), TS_FLOAT32);
  if (!r->Wx || !r->Wh || !r->b) {
    if (r->Wx)
      ts_free(r->Wx);
    if (r->Wh)
      ts_free(r->Wh);
    if (r->b)
      ts_free(r->b);
    return -1;
  }
  ts_mul_Scalar_(r->Wh, 0.5);
  return 0;
}

// OK: frees the weights
static void rnn_free(struct rnn *r) {
  ts_free(r->Wx);
  ts_free(r->Wh);
  ts_free(r->b);
}

// OK: one cell in the caller's scope: tanh(x Wx + h Wh + b)
TS_CALLER_SCOPE static ts_tensor *
rnn_cell(const struct rnn *r, const ts_tensor *x, const ts_tensor *h) {
  ts_tensor *a = ts_add(ts_matmul(x, r->Wx), ts_matmul(h, r->Wh));
  ts_add_Tensor_(a, r->b, 1.0);
  return ts_tanh(a);
}

// OK: a random input sequence [STEPS, 1, RI]
static ts_tensor *sequence(void) {
  return ts_randn(TS_SHAPE(STEPS, 1, RI), TS_FLOAT32);
}

// OK: unrolled: each step's scope hands the new hidden state out by an
// escape, the old one is freed by hand; the last state is returned
static ts_tensor *rnn_unroll(const struct rnn *r, const ts_tensor *xs) {
  ts_tensor *h = ts_zeros(TS_SHAPE(1, HS), TS_FLOAT32);
  TS_SCOPE for (int t = 0; t < STEPS; t++) {
    ts_tensor *x = ts_select_int(xs, 0, t);
    ts_tensor *next = rnn_cell(r, x, h);
    ts_free(h);
    h = ts_escape(next);
  }
  return h;
}

// OK: the final hidden state of a sequence
void gc_rnn(void) {
  struct rnn r;
  if (rnn_init(&r) != 0)
    return;
  ts_tensor *xs = sequence();
  ts_tensor *h = rnn_unroll(&r, xs);
  TS_SCOPE { printf("h norm %.4f\n", ts_item(ts_norm_Scalar(h, 2.0))); }
  ts_free(h);
  ts_free(xs);
  rnn_free(&r);
}

// BUG: use-after-scope: the hidden state is handed to the next step without
// an escape, so the next step reads a state its scope freed
static ts_tensor *rnn_unroll_noescape(const struct rnn *r,
                                      const ts_tensor *xs) {
  ts_tensor *h0 = ts_zeros(TS_SHAPE(1, HS), TS_FLOAT32);
  ts_tensor *h = h0;
  TS_SCOPE for (int t = 0; t < STEPS; t++) {
    ts_tensor *x = ts_select_int(xs, 0, t);
    h = rnn_cell(r, x, h); // <- BUG
  }
  ts_free(h0);
  return NULL;
}

// OK: drives the non-escaping unroll (the unroll is wrong)
void gc_rnn_noescape(void) {
  struct rnn r;
  if (rnn_init(&r) != 0)
    return;
  ts_tensor *xs = sequence();
  rnn_unroll_noescape(&r, xs);
  ts_free(xs);
  rnn_free(&r);
}

// OK: all hidden states collected, escaped out of the scoped loop, stacked
static ts_tensor *rnn_outputs(const struct rnn *r, const ts_tensor *xs) {
  ts_tensor *hs[STEPS];
  ts_tensor *h = ts_zeros(TS_SHAPE(1, HS), TS_FLOAT32);
  ts_tensor *h0 = h;
  TS_SCOPE for (int t = 0; t < STEPS; t++) {
    ts_tensor *x = ts_select_int(xs, 0, t);
    hs[t] = ts_escape(rnn_cell(r, x, h));
    h = hs[t];
  }
  ts_free(h0);
  ts_tensor *out = ts_stack((const ts_tensor *const *)hs, STEPS, 0);
  for (int t = 0; t < STEPS; t++)
    ts_free(hs[t]);
  return out;
}

// OK: the outputs' mean
void gc_rnn_outputs(void) {
  struct rnn r;
  if (rnn_init(&r) != 0)
    return;
  ts_tensor *xs = sequence();
  ts_tensor *out = rnn_outputs(&r, xs);
  TS_SCOPE { printf("outputs mean %.4f\n", ts_item(ts_mean(out))); }
  ts_free(out);
  ts_free(xs);
  rnn_free(&r);
}

// BUG: double-free: the last state is remembered for the caller's summary,
// and the loop's final free plus the summary's free release it twice
void gc_rnn_last(void) {
  struct rnn r;
  if (rnn_init(&r) != 0)
    return;
  ts_tensor *xs = sequence();
  ts_tensor *h = ts_zeros(TS_SHAPE(1, HS), TS_FLOAT32);
  ts_tensor *last = NULL;
  for (int t = 0; t < STEPS; t++) {
    ts_tensor *x = ts_select_int(xs, 0, t);
    ts_tensor *next;
    TS_SCOPE { next = ts_escape(rnn_cell(&r, x, h)); }
    ts_free(x);
    ts_free(h);
    h = next;
    last = h;
  }
  TS_SCOPE { printf("last %.4f\n", ts_item(ts_sum(last))); }
  ts_free(h);
  ts_free(last); // <- BUG
  ts_free(xs);
  rnn_free(&r);
}

// BUG: unescaped-return: the final state is returned out of the scoped
// function without ts_escape
TS_SCOPED static ts_tensor *rnn_encode(const struct rnn *r,
                                       const ts_tensor *xs) {
  ts_tensor *h = ts_zeros(TS_SHAPE(1, HS), TS_FLOAT32);
  for (int t = 0; t < STEPS; t++) {
    ts_tensor *x = ts_select_int(xs, 0, t);
    h = rnn_cell(r, x, h);
  }
  return h; // <- BUG
}

// OK: encodes a sequence as if the state escaped (the encoder is wrong)
void gc_rnn_encode(void) {
  struct rnn r;
  if (rnn_init(&r) != 0)
    return;
  ts_tensor *xs = sequence();
  ts_tensor *h = rnn_encode(&r, xs);
  TS_SCOPE { printf("encoded %.4f\n", ts_item(ts_sum(h))); }
  ts_free(h);
  ts_free(xs);
  rnn_free(&r);
}

// OK: truncated BPTT: every two steps the state is detached, the attached
// one freed; the loss graph lives in each chunk's scope
void gc_rnn_tbptt(void) {
  struct rnn r;
  if (rnn_init(&r) != 0)
    return;
  ts_requires_grad(r.Wx, true);
  ts_tensor *xs = sequence();
  ts_tensor *h = ts_zeros(TS_SHAPE(1, HS), TS_FLOAT32);
  for (int t0 = 0; t0 < STEPS; t0 += 2) {
    TS_SCOPE {
      ts_tensor *hc = h;
      for (int t = t0; t < t0 + 2; t++)
        hc = rnn_cell(&r, ts_select_int(xs, 0, t), hc);
      ts_backward(ts_sum(hc));
      ts_tensor *d = ts_detach(hc);
      ts_free(h);
      h = ts_escape(d);
    }
  }
  ts_tensor *g = ts_grad(r.Wx);
  if (g) {
    TS_SCOPE { printf("grad norm %.4f\n", ts_item(ts_norm_Scalar(g, 2.0))); }
    ts_free(g);
  }
  ts_free(h);
  ts_free(xs);
  rnn_free(&r);
}

// BUG: leak: the detached state replaces the attached one, which is never
// freed
void gc_rnn_detach_leak(void) {
  struct rnn r;
  if (rnn_init(&r) != 0)
    return;
  ts_tensor *xs = sequence();
  ts_tensor *h = ts_zeros(TS_SHAPE(1, HS), TS_FLOAT32);
  for (int t = 0; t < 3; t++) {
    ts_tensor *x = ts_select_int(xs, 0, t);
    ts_tensor *xw = ts_matmul(x, r.Wx);
    ts_tensor *hw = ts_matmul(h, r.Wh);
    ts_free(x);
    ts_tensor *a = ts_add(xw, hw); // <- BUG
    ts_free(xw);
    ts_free(hw);
    ts_tensor *d = ts_detach(a);
    ts_tanh_(d);
    ts_free(h);
    h = d;
  }
  ts_free(h);
  ts_free(xs);
  rnn_free(&r);
}

// BUG: leak: the numerical gradient is never freed
void gc_numeric_leak(void) {
  ts_tensor *W = ts_randn(TS_SHAPE(RI, RO), TS_FLOAT64);
  ts_tensor *x = ts_randn(TS_SHAPE(4, RI), TS_FLOAT64);
  ts_tensor *gn = grad_numeric(W, x, 1e-5); // <- BUG
  printf("f %.4f, %lld entries\n", f_at(W, x), (long long)ts_numel(gn));
  ts_free(x);
  ts_free(W);
}

// BUG: double-free: the batch-norm output is freed inside the loop and
// after it
void gc_bn_twice(void) {
  struct bn b;
  if (bn_init(&b) != 0)
    return;
  ts_tensor *y = NULL;
  ts_tensor *x = ts_randn(TS_SHAPE(NB, NF), TS_FLOAT32);
  for (int i = 0; i < 2; i++) {
    y = bn_train(&b, x);
    ts_free(y);
  }
  ts_free(y); // <- BUG
  ts_free(x);
  bn_free(&b);
}

// BUG: use-after-free: the RNN's weights are freed before the unroll
void gc_rnn_freed(void) {
  struct rnn r;
  if (rnn_init(&r) != 0)
    return;
  ts_tensor *xs = sequence();
  rnn_free(&r);
  ts_tensor *h = rnn_unroll(&r, xs); // <- BUG
  ts_free(h);
  ts_free(xs);
}

// BUG: leak: the sequence is not freed after the outputs
void gc_sequence_leak(void) {
  struct rnn r;
  if (rnn_init(&r) != 0)
    return;
  ts_tensor *xs = sequence(); // <- BUG
  ts_tensor *out = rnn_outputs(&r, xs);
  ts_free(out);
  rnn_free(&r);
}

// BUG: double-free: the running variance is freed and the teardown frees
// it again
void gc_bn_var_freed(void) {
  struct bn b;
  if (bn_init(&b) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(NB, NF), TS_FLOAT32);
  ts_tensor *y = bn_train(&b, x);
  ts_free(y);
  ts_free(x);
  ts_free(b.run_var);
  bn_free(&b); // <- BUG
}
