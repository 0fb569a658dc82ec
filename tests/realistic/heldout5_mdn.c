/* heldout5_mdn.c - a mixture density network for a one-to-many toy
 * regression: a hidden layer, three heads (mixture logits, means, log
 * standard deviations) returned together in a struct by value, the
 * negative log-likelihood through logsumexp, training by SGD over a
 * parameter array, and sampling from the predicted mixture.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { NB = 16, HD = 12, K = 3, NPARAM = 8 };

struct mdn {
  ts_tensor *p[NPARAM]; /* w1 b1 wpi bpi wmu bmu wsig bsig, owned */
};

struct mixture {
  ts_tensor *logpi, *mu, *logsig; /* [NB, K] each */
};

// OK: parameter shapes by index; all made outside a scope, freed on failure
static int mdn_init(struct mdn *m) {
  static const int64_t rows[NPARAM] = {1, HD, HD, K, HD, K, HD, K};
  static const int64_t cols[NPARAM] = {HD, 0, K, 0, K, 0, K, 0};
  memset(m, 0, sizeof *m);
  for (int i = 0; i < NPARAM; i++) {
    m->p[i] = cols[i] ? ts_randn(TS_SHAPE(rows[i], cols[i]), TS_FLOAT32)
                      : ts_zeros(TS_SHAPE(rows[i]), TS_FLOAT32);
    if (!m->p[i]) {
      while (i-- > 0)
        ts_free(m->p[i]);
      return -1;
    }
  }
  return 0;
}

// OK: frees every parameter
static void mdn_free(struct mdn *m) {
  for (int i = 0; i < NPARAM; i++) {
    ts_free(m->p[i]);
    m->p[i] = NULL;
  }
}

// BUG: leak: the loop stops one short and the last bias is never freed
static void mdn_free_short(struct mdn *m) {
  for (int i = 0; i < NPARAM - 1; i++) // <- BUG
    ts_free(m->p[i]);
}

// OK: parameters require gradients
static void mdn_train_mode(struct mdn *m) {
  for (int i = 0; i < NPARAM; i++)
    ts_requires_grad(m->p[i], true);
}

// OK: the three heads in the caller's scope, returned together by value
TS_CALLER_SCOPE static struct mixture mdn_forward(const struct mdn *m,
                                                  const ts_tensor *x) {
  ts_tensor *h = ts_tanh(ts_add(ts_matmul(x, m->p[0]), m->p[1]));
  struct mixture mx;
  mx.logpi = ts_log_softmax(ts_add(ts_matmul(h, m->p[2]), m->p[3]), 1);
  mx.mu = ts_add(ts_matmul(h, m->p[4]), m->p[5]);
  mx.logsig = ts_add(ts_matmul(h, m->p[6]), m->p[7]);
  return mx;
}

// OK: the heads made manually; the caller frees them with mixture_free
static struct mixture mdn_forward_manual(const struct mdn *m,
                                         const ts_tensor *x) {
  struct mixture mx;
  ts_tensor *z = ts_matmul(x, m->p[0]);
  ts_tensor *zb = ts_add(z, m->p[1]);
  ts_free(z);
  ts_tensor *h = ts_tanh(zb);
  ts_free(zb);
  ts_tensor *a = ts_matmul(h, m->p[2]);
  ts_tensor *ab = ts_add(a, m->p[3]);
  ts_free(a);
  mx.logpi = ts_log_softmax(ab, 1);
  ts_free(ab);
  ts_tensor *b = ts_matmul(h, m->p[4]);
  mx.mu = ts_add(b, m->p[5]);
  ts_free(b);
  ts_tensor *c = ts_matmul(h, m->p[6]);
  mx.logsig = ts_add(c, m->p[7]);
  ts_free(c);
  ts_free(h);
  return mx;
}

// OK: frees the three heads
static void mixture_free(struct mixture *mx) {
  ts_free(mx->logpi);
  ts_free(mx->mu);
  ts_free(mx->logsig);
}

// BUG: leak: the hidden activations are kept out of the scope and never freed
static struct mixture mdn_forward_leaky(const struct mdn *m,
                                        const ts_tensor *x) {
  struct mixture mx;
  TS_SCOPE {
    ts_tensor *z = ts_add(ts_matmul(x, m->p[0]), m->p[1]);
    ts_tensor *h = ts_keep(ts_tanh(z)); // <- BUG
    mx.logpi =
        ts_keep(ts_log_softmax(ts_add(ts_matmul(h, m->p[2]), m->p[3]), 1));
    mx.mu = ts_keep(ts_add(ts_matmul(h, m->p[4]), m->p[5]));
    mx.logsig = ts_keep(ts_add(ts_matmul(h, m->p[6]), m->p[7]));
  }
  return mx;
}

// OK: NLL of y [NB, 1] under the mixture, in the caller's scope
TS_CALLER_SCOPE static ts_tensor *mdn_nll(const struct mixture *mx,
                                          const ts_tensor *y) {
  ts_tensor *z = ts_mul(ts_sub(y, mx->mu), ts_exp(ts_neg(mx->logsig)));
  ts_tensor *logn = ts_sub(
      ts_add_scalar(ts_mul_scalar(ts_mul(z, z), -0.5), -0.9189385), mx->logsig);
  ts_tensor *ll = ts_logsumexp(ts_add(mx->logpi, logn), TS_SHAPE(1), false);
  return ts_neg(ts_mean(ll));
}

// OK: toy data y = x + 0.3 sin(2 pi x) + noise, both manual, written to
// out-parameters
static void make_data(ts_tensor **x, ts_tensor **y) {
  ts_tensor *u = ts_rand(TS_SHAPE(NB, 1), TS_FLOAT32);
  TS_SCOPE {
    ts_tensor *s = ts_mul_scalar(ts_sin(ts_mul_scalar(u, 6.2831853)), 0.3);
    ts_tensor *n = ts_mul_scalar(ts_randn(TS_SHAPE(NB, 1), TS_FLOAT32), 0.05);
    *y = ts_keep(ts_add(ts_add(u, s), n));
  }
  *x = u;
}

// OK: one SGD step on all parameters, in the function's scope; returns the loss
// value
TS_SCOPED static double train_step(struct mdn *m, const ts_tensor *x,
                                   const ts_tensor *y, double lr) {
  struct mixture mx = mdn_forward(m, x);
  ts_tensor *loss = mdn_nll(&mx, y);
  double v = ts_item(loss);
  ts_backward(loss);
  ts_sgd_step_all(m->p, NPARAM, lr, TS_GRAD_ZERO);
  return v;
}

// BUG: unescaped-return: the mixture means are returned from the function's
// scope
TS_SCOPED static ts_tensor *predict_mean(const struct mdn *m,
                                         const ts_tensor *x) {
  struct mixture mx = mdn_forward(m, x);
  ts_tensor *w = ts_exp(mx.logpi);
  ts_tensor *wm = ts_mul(w, mx.mu);
  return ts_sum_dim_IntList(wm, TS_SHAPE(1), true, TS_FLOAT32); // <- BUG
}

// OK: the same prediction escaped
TS_SCOPED static ts_tensor *predict_mean_ok(const struct mdn *m,
                                            const ts_tensor *x) {
  struct mixture mx = mdn_forward(m, x);
  ts_tensor *w = ts_exp(mx.logpi);
  return ts_escape(
      ts_sum_dim_IntList(ts_mul(w, mx.mu), TS_SHAPE(1), true, TS_FLOAT32));
}

// OK: samples one y per row from the mixture on the host
static void sample(const struct mixture *mx, float *out) {
  float lp[NB * K], mu[NB * K], ls[NB * K];
  ts_copy_to_buffer(mx->logpi, lp, sizeof lp);
  ts_copy_to_buffer(mx->mu, mu, sizeof mu);
  ts_copy_to_buffer(mx->logsig, ls, sizeof ls);
  for (int i = 0; i < NB; i++) {
    double u = (double)rand() / RAND_MAX, c = 0;
    int k = 0;
    for (; k < K - 1; k++) {
      c += exp(lp[i * K + k]);
      if (u < c)
        break;
    }
    out[i] = mu[i * K + k] + expf(ls[i * K + k]) * 0.5f;
  }
}

// BUG: double-free: the mixture is freed after sampling and then again by the
// caller's path
static int sample_and_report(const struct mdn *m, const ts_tensor *x) {
  float ys[NB];
  struct mixture mx = mdn_forward_manual(m, x);
  sample(&mx, ys);
  mixture_free(&mx);
  printf("sample0 %.3f\n", ys[0]);
  ts_free(mx.mu); // <- BUG
  return 0;
}

// OK: training loop; data and model freed at the end
void mdn5_train(void) {
  struct mdn m;
  ts_tensor *x, *y;
  ts_manual_seed(4);
  if (mdn_init(&m) != 0)
    return;
  mdn_train_mode(&m);
  make_data(&x, &y);
  for (int it = 0; it < 4; it++)
    printf("it %d nll %.3f\n", it, train_step(&m, x, y, 0.01));
  ts_tensor *pm = predict_mean_ok(&m, x);
  printf("pred %lld\n", (long long)ts_numel(pm));
  ts_free(pm);
  ts_free(x);
  ts_free(y);
  mdn_free(&m);
}

// OK: manual forward, sampling, heads freed once
void mdn5_sample(void) {
  struct mdn m;
  ts_tensor *x, *y;
  float ys[NB];
  mdn_init(&m);
  make_data(&x, &y);
  struct mixture mx = mdn_forward_manual(&m, x);
  sample(&mx, ys);
  mixture_free(&mx);
  printf("sample %.3f\n", ys[1]);
  ts_free(x);
  ts_free(y);
  mdn_free(&m);
}

// OK: drives mdn_free_short
void mdn5_free_short(void) {
  struct mdn m;
  if (mdn_init(&m) == 0)
    mdn_free_short(&m);
}

// OK: drives mdn_forward_leaky, the heads freed
void mdn5_forward_leaky(void) {
  struct mdn m;
  ts_tensor *x, *y;
  mdn_init(&m);
  make_data(&x, &y);
  struct mixture mx = mdn_forward_leaky(&m, x);
  mixture_free(&mx);
  ts_free(x);
  ts_free(y);
  mdn_free(&m);
}

// OK: uses and frees predict_mean's result
void mdn5_predict(void) {
  struct mdn m;
  ts_tensor *x, *y;
  mdn_init(&m);
  make_data(&x, &y);
  ts_tensor *p = predict_mean(&m, x);
  printf("pred %lld\n", (long long)ts_numel(p));
  ts_free(p);
  ts_free(x);
  ts_free(y);
  mdn_free(&m);
}

// OK: drives sample_and_report
void mdn5_sample_report(void) {
  struct mdn m;
  ts_tensor *x, *y;
  mdn_init(&m);
  make_data(&x, &y);
  sample_and_report(&m, x);
  ts_free(x);
  ts_free(y);
  mdn_free(&m);
}

// BUG: use-after-scope: the mixture returned by value holds scope-owned heads
// used after the scope
void mdn5_mixture_scope(void) {
  struct mdn m;
  ts_tensor *x, *y;
  mdn_init(&m);
  make_data(&x, &y);
  struct mixture mx;
  TS_SCOPE { mx = mdn_forward(&m, x); }
  float ys[NB];
  sample(&mx, ys); // <- BUG
  ts_free(x);
  ts_free(y);
  mdn_free(&m);
}

// OK: the heads are kept out of the scope one by one and freed with
// mixture_free
void mdn5_mixture_kept(void) {
  struct mdn m;
  ts_tensor *x, *y;
  mdn_init(&m);
  make_data(&x, &y);
  struct mixture mx;
  TS_SCOPE {
    mx = mdn_forward(&m, x);
    ts_keep(mx.logpi);
    ts_keep(mx.mu);
    ts_keep(mx.logsig);
  }
  float ys[NB];
  sample(&mx, ys);
  mixture_free(&mx);
  ts_free(x);
  ts_free(y);
  mdn_free(&m);
}

// BUG: use-after-free: the training data is freed before the last evaluation
void mdn5_eval_after_free(void) {
  struct mdn m;
  ts_tensor *x, *y;
  mdn_init(&m);
  make_data(&x, &y);
  ts_free(y);
  double v;
  TS_SCOPE {
    struct mixture mx = mdn_forward(&m, x);
    v = ts_item(mdn_nll(&mx, y)); // <- BUG
  }
  printf("nll %.3f\n", v);
  ts_free(x);
  mdn_free(&m);
}

// BUG: leak: the data of the first draw is replaced by a second draw
void mdn5_redraw(void) {
  ts_tensor *x, *y;
  make_data(&x, &y);
  ts_free(y);
  make_data(&x, &y); // <- BUG
  printf("x %lld\n", (long long)ts_numel(x));
  ts_free(x);
  ts_free(y);
}

// BUG: double-free: the parameters are freed by mdn_free and then one by one by
// hand
void mdn5_free_twice(void) {
  struct mdn m;
  mdn_init(&m);
  ts_tensor *w1 = m.p[0];
  mdn_free(&m);
  ts_free(w1); // <- BUG
}
