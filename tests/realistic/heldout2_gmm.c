/* heldout2_gmm.c - a diagonal Gaussian mixture fitted by EM: parameters in
 * a struct replaced by each M step, E-step results returned by value,
 * convergence tests, responsibilities compared across iterations, sampling.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define N 64
#define DIM 2

struct gmm {
  int k;
  ts_tensor *means;   /* [K, D] */
  ts_tensor *vars;    /* [K, D] */
  ts_tensor *weights; /* [K] */
};

struct estep {
  ts_tensor *resp; /* [N, K] */
  double loglik;
};

// OK: frees the parameters and clears the fields
static void gmm_free(struct gmm *g) {
  if (g->means)
    ts_free(g->means);
  if (g->vars)
    ts_free(g->vars);
  if (g->weights)
    ts_free(g->weights);
  g->means = g->vars = g->weights = NULL;
}

// OK: means from the first k points (a view, cloned then freed), unit
// variances, uniform weights
static int gmm_init(struct gmm *g, const ts_tensor *x, int k) {
  g->k = k;
  ts_tensor *first = ts_narrow(x, 0, 0, k);
  g->means = ts_clone(first);
  ts_free(first);
  g->vars = ts_ones(TS_SHAPE(k, DIM), TS_FLOAT32);
  g->weights = ts_full(TS_SHAPE(k), TS_FLOAT32, 1.0 / k);
  if (!g->means || !g->vars || !g->weights) {
    gmm_free(g);
    return -1;
  }
  return 0;
}

// OK: per-point, per-component log densities, all in the caller's scope
TS_CALLER_SCOPE static ts_tensor *log_gauss(const ts_tensor *x,
                                            const struct gmm *g) {
  ts_tensor *d = ts_sub(ts_unsqueeze(x, 1), ts_unsqueeze(g->means, 0));
  ts_tensor *q = ts_div(ts_mul(d, d), ts_unsqueeze(g->vars, 0));
  ts_tensor *qs = ts_sum_dim_IntList(q, TS_SHAPE(2), false, TS_NO_DTYPE);
  ts_tensor *ld =
      ts_sum_dim_IntList(ts_log(g->vars), TS_SHAPE(1), false, TS_NO_DTYPE);
  ts_tensor *tot = ts_add(qs, ld);
  return ts_add(ts_mul_scalar(tot, -0.5), ts_log(g->weights));
}

// OK: responsibilities escaped out of the guard's scope into the returned
// struct; everything else dies with the guard
static struct estep e_step(const struct gmm *g, const ts_tensor *x) {
  TS_SCOPE_GUARD();
  struct estep r = {NULL, 0};
  ts_tensor *lp = log_gauss(x, g);
  ts_tensor *lse = ts_logsumexp(lp, TS_SHAPE(1), true);
  ts_tensor *resp = ts_exp(ts_sub(lp, lse));
  r.loglik = ts_item(ts_sum(lse));
  r.resp = ts_escape(resp);
  return r;
}

// OK: the E step in the caller's scope, by value
TS_CALLER_SCOPE static struct estep e_step_here(const struct gmm *g,
                                                const ts_tensor *x) {
  struct estep r;
  ts_tensor *lp = log_gauss(x, g);
  ts_tensor *lse = ts_logsumexp(lp, TS_SHAPE(1), true);
  r.resp = ts_exp(ts_sub(lp, lse));
  r.loglik = ts_item(ts_sum(lse));
  return r;
}

// OK: new parameters replace the old ones, which are freed; the temporaries
// are freed one by one
static void m_step(struct gmm *g, const ts_tensor *x, const ts_tensor *resp) {
  ts_tensor *nk = ts_sum_dim_IntList(resp, TS_SHAPE(0), false, TS_NO_DTYPE);
  ts_add_Scalar_(nk, 1e-8, 1.0);
  ts_tensor *rt = ts_transpose(resp, 0, 1);
  ts_tensor *nkc = ts_unsqueeze(nk, 1);
  ts_tensor *sx = ts_matmul(rt, x);
  ts_tensor *means = ts_div(sx, nkc);
  ts_tensor *xx = ts_mul(x, x);
  ts_tensor *sxx = ts_matmul(rt, xx);
  ts_tensor *exx = ts_div(sxx, nkc);
  ts_tensor *m2 = ts_mul(means, means);
  ts_tensor *vars = ts_sub(exx, m2);
  ts_clamp_min_(vars, 1e-3);
  ts_tensor *w = ts_div_Scalar(nk, (double)ts_size(x, 0));
  ts_free(m2);
  ts_free(exx);
  ts_free(sxx);
  ts_free(xx);
  ts_free(sx);
  ts_free(nkc);
  ts_free(rt);
  ts_free(nk);
  ts_free(g->means);
  ts_free(g->vars);
  ts_free(g->weights);
  g->means = means;
  g->vars = vars;
  g->weights = w;
}

// BUG: leak: the new weights overwrite the old ones without freeing them
static void m_step_weights_only(struct gmm *g, const ts_tensor *resp) {
  ts_tensor *nk = ts_sum_dim_IntList(resp, TS_SHAPE(0), false, TS_NO_DTYPE);
  ts_tensor *total = ts_sum(nk);
  g->weights = ts_div(nk, total); // <- BUG
  ts_free(total);
  ts_free(nk);
}

// OK: fixed number of EM rounds; each round's responsibilities are freed
void gmm_fit(void) {
  ts_manual_seed(7);
  ts_tensor *x = ts_randn(TS_SHAPE(N, DIM), TS_FLOAT32);
  struct gmm g;
  if (gmm_init(&g, x, 3) != 0) {
    ts_free(x);
    return;
  }
  double prev = -INFINITY;
  for (int it = 0; it < 20; it++) {
    struct estep es = e_step(&g, x);
    if (fabs(es.loglik - prev) < 1e-3) {
      ts_free(es.resp);
      break;
    }
    prev = es.loglik;
    m_step(&g, x, es.resp);
    ts_free(es.resp);
  }
  printf("gmm loglik %.2f\n", prev);
  gmm_free(&g);
  ts_free(x);
}

// OK: drives the weights-only M step (its leak is its own)
void gmm_refit_weights(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(N, DIM), TS_FLOAT32);
  struct gmm g;
  if (gmm_init(&g, x, 2) != 0) {
    ts_free(x);
    return;
  }
  struct estep es = e_step(&g, x);
  m_step_weights_only(&g, es.resp);
  ts_free(es.resp);
  gmm_free(&g);
  ts_free(x);
}

// BUG: double-free: the last round frees its responsibilities in the
// "done" branch and again in the common tail
void gmm_fit_rounds(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(N, DIM), TS_FLOAT32);
  struct gmm g;
  if (gmm_init(&g, x, 3) != 0) {
    ts_free(x);
    return;
  }
  const int rounds = 4;
  for (int it = 0; it < rounds; it++) {
    struct estep es = e_step(&g, x);
    int done = it + 1 == rounds;
    if (done) {
      printf("final loglik %.2f\n", es.loglik);
      ts_free(es.resp);
    } else {
      m_step(&g, x, es.resp);
    }
    ts_free(es.resp); // <- BUG
  }
  gmm_free(&g);
  ts_free(x);
}

// BUG: use-after-free: the previous round's responsibilities are freed at the
// end of the round but compared with the next round's
void gmm_resp_change(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(N, DIM), TS_FLOAT32);
  struct gmm g;
  if (gmm_init(&g, x, 2) != 0) {
    ts_free(x);
    return;
  }
  ts_tensor *prev = NULL;
  for (int it = 0; it < 3; it++) {
    struct estep es = e_step(&g, x);
    if (prev) {
      ts_tensor *d = ts_sub(es.resp, prev); // <- BUG
      ts_tensor *a = ts_abs(d);
      ts_tensor *mx = ts_amax(a, TS_SHAPE(0, 1), false);
      printf("max change %.4f\n", ts_item(mx));
      ts_free(mx);
      ts_free(a);
      ts_free(d);
    }
    m_step(&g, x, es.resp);
    prev = es.resp;
    ts_free(es.resp);
  }
  gmm_free(&g);
  ts_free(x);
}

// OK: the previous round's responsibilities live until compared, then freed
void gmm_resp_change_ok(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(N, DIM), TS_FLOAT32);
  struct gmm g;
  if (gmm_init(&g, x, 2) != 0) {
    ts_free(x);
    return;
  }
  ts_tensor *prev = NULL;
  for (int it = 0; it < 3; it++) {
    struct estep es = e_step(&g, x);
    if (prev) {
      ts_tensor *d = ts_sub(es.resp, prev);
      ts_tensor *a = ts_abs(d);
      ts_tensor *mx = ts_amax(a, TS_SHAPE(0, 1), false);
      printf("max change %.4f\n", ts_item(mx));
      ts_free(mx);
      ts_free(a);
      ts_free(d);
      ts_free(prev);
    }
    m_step(&g, x, es.resp);
    prev = es.resp;
  }
  if (prev)
    ts_free(prev);
  gmm_free(&g);
  ts_free(x);
}

// BUG: use-after-scope: the E step's struct is filled inside a TS_SCOPE block;
// its responsibilities die with the block and are read after it
void gmm_labels(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(N, DIM), TS_FLOAT32);
  struct gmm g;
  if (gmm_init(&g, x, 3) != 0) {
    ts_free(x);
    return;
  }
  struct estep es;
  TS_SCOPE {
    es = e_step_here(&g, x);
    printf("loglik %.2f\n", es.loglik);
  }
  ts_tensor *lab = ts_argmax_dim(es.resp, 1); // <- BUG
  printf("labels %lld\n", (long long)ts_numel(lab));
  ts_free(lab);
  gmm_free(&g);
  ts_free(x);
}

// OK: the labels are computed inside the block and escaped out of it
void gmm_labels_ok(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(N, DIM), TS_FLOAT32);
  struct gmm g;
  if (gmm_init(&g, x, 3) != 0) {
    ts_free(x);
    return;
  }
  ts_tensor *lab = NULL;
  TS_SCOPE {
    struct estep es = e_step_here(&g, x);
    lab = ts_escape(ts_argmax_dim(es.resp, 1));
  }
  printf("labels %lld\n", (long long)ts_numel(lab));
  ts_free(lab);
  gmm_free(&g);
  ts_free(x);
}

// BUG: unescaped-return: the TS_SCOPED E step returns its struct with the
// responsibilities still owned by the function's scope
TS_SCOPED static struct estep e_step_scoped(const struct gmm *g,
                                            const ts_tensor *x) {
  struct estep r;
  ts_tensor *lp = log_gauss(x, g);
  ts_tensor *lse = ts_logsumexp(lp, TS_SHAPE(1), true);
  r.resp = ts_exp(ts_sub(lp, lse));
  r.loglik = ts_item(ts_sum(lse));
  return r; // <- BUG
}

// OK: frees the responsibilities e_step_scoped handed back (the helper is
// wrong)
void gmm_scoped_estep(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(N, DIM), TS_FLOAT32);
  struct gmm g;
  if (gmm_init(&g, x, 2) != 0) {
    ts_free(x);
    return;
  }
  struct estep es = e_step_scoped(&g, x);
  printf("resp %lld\n", (long long)ts_numel(es.resp));
  ts_free(es.resp);
  gmm_free(&g);
  ts_free(x);
}

// BUG: leak: the log-sum-exp and its sum are made inline and never freed
static double loglik_quick(const ts_tensor *lp) {
  return ts_item(ts_sum(ts_logsumexp(lp, TS_SHAPE(1), false))); // <- BUG
}

// OK: the same under a guard: every temporary belongs to the guard's scope
static double loglik(const struct gmm *g, const ts_tensor *x) {
  TS_SCOPE_GUARD();
  ts_tensor *lp = log_gauss(x, g);
  return ts_item(ts_sum(ts_logsumexp(lp, TS_SHAPE(1), false)));
}

// OK: compares the two log-likelihood helpers (one leaks by itself); the
// log densities are kept out of the block's scope and freed
void gmm_loglik(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(N, DIM), TS_FLOAT32);
  struct gmm g;
  if (gmm_init(&g, x, 2) != 0) {
    ts_free(x);
    return;
  }
  ts_tensor *lp = NULL;
  TS_SCOPE { lp = ts_keep(log_gauss(x, &g)); }
  printf("ll %.2f %.2f\n", loglik(&g, x), loglik_quick(lp));
  ts_free(lp);
  gmm_free(&g);
  ts_free(x);
}

// OK: draws samples: a component per sample, its mean plus scaled noise;
// the picks and the noise are freed, the samples returned
static ts_tensor *gmm_sample(const struct gmm *g, int n) {
  ts_tensor *comp = ts_multinomial(g->weights, n, true);
  ts_tensor *mu = ts_index_select(g->means, 0, comp);
  ts_tensor *var = ts_index_select(g->vars, 0, comp);
  ts_tensor *sd = ts_sqrt(var);
  ts_tensor *eps = ts_randn(TS_SHAPE(n, DIM), TS_FLOAT32);
  ts_mul_Tensor_(eps, sd);
  ts_tensor *out = ts_add(mu, eps);
  ts_free(eps);
  ts_free(sd);
  ts_free(var);
  ts_free(mu);
  ts_free(comp);
  return out;
}

// OK: samples from a fitted model are freed
void gmm_draw(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(N, DIM), TS_FLOAT32);
  struct gmm g;
  if (gmm_init(&g, x, 3) != 0) {
    ts_free(x);
    return;
  }
  ts_tensor *s = gmm_sample(&g, 10);
  printf("samples %lld\n", (long long)ts_numel(s));
  ts_free(s);
  gmm_free(&g);
  ts_free(x);
}
