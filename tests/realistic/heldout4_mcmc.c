/* heldout4_mcmc.c - Markov chain Monte Carlo on a correlated Gaussian:
 * random-walk Metropolis and Hamiltonian Monte Carlo with leapfrog steps
 * (gradients through autograd), chains in a malloc'd array, a growable
 * array of recorded draws, thinning, R-hat and lag-1 autocorrelation,
 * pooled momentum buffers and replica exchange across temperatures.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { D = 3, CHAINS = 4 };

struct chain {
  ts_tensor *x; /* [D], owned */
  double logp;
  int accepted, steps;
};

struct sampler {
  struct chain *chains;
  int n;
  ts_tensor **draws; /* clones, owned */
  int ndraws, cap;
  ts_tensor *P; /* target precision [D, D], owned */
};

// OK: a uniform draw in [0, 1) as a double
static double unif(void) {
  ts_tensor *u = ts_rand(TS_SHAPE(1), TS_FLOAT32);
  double v = ts_item(u);
  ts_free(u);
  return v;
}

// OK: -x^T P x / 2, temporaries in the function's scope
TS_SCOPED static double logp(const ts_tensor *P, const ts_tensor *x) {
  return -0.5 * ts_item(ts_dot(x, ts_mv(P, x)));
}

// OK: the gradient of logp by autograd: the graph in a scope, the gradient
// copied out for the caller
static ts_tensor *grad_logp(const ts_tensor *P, const ts_tensor *x) {
  ts_tensor *g = NULL;
  TS_SCOPE {
    ts_tensor *xc = ts_clone(x);
    ts_requires_grad(xc, true);
    ts_backward(ts_mul_scalar(ts_dot(xc, ts_mv(P, xc)), -0.5));
    g = ts_keep(ts_clone(ts_grad(xc)));
  }
  return g;
}

// OK: L leapfrog steps; the new position and momentum go to out-parameters,
// every intermediate is freed
static void leapfrog(const ts_tensor *P, const ts_tensor *x0,
                     const ts_tensor *p0, double eps, int L, ts_tensor **x_out,
                     ts_tensor **p_out) {
  ts_tensor *x = ts_clone(x0), *p = ts_clone(p0);
  ts_tensor *g = grad_logp(P, x);
  ts_add_Tensor_(p, g, eps / 2);
  ts_free(g);
  for (int l = 0; l < L; l++) {
    ts_add_Tensor_(x, p, eps);
    g = grad_logp(P, x);
    ts_add_Tensor_(p, g, l == L - 1 ? eps / 2 : eps);
    ts_free(g);
  }
  *x_out = x;
  *p_out = p;
}

// OK: the kinetic energy p.p / 2 as a double
static double kinetic(const ts_tensor *p) {
  ts_tensor *d = ts_dot(p, p);
  double v = 0.5 * ts_item(d);
  ts_free(d);
  return v;
}

// OK: one HMC transition: the proposal replaces the state when accepted
// and is freed when not; the momenta are freed either way
static void hmc_step(struct chain *c, const ts_tensor *P, double eps, int L) {
  ts_tensor *p0 = ts_randn(TS_SHAPE(D), TS_FLOAT32);
  ts_tensor *x1, *p1;
  leapfrog(P, c->x, p0, eps, L, &x1, &p1);
  double lp1 = logp(P, x1);
  double h0 = -c->logp + kinetic(p0), h1 = -lp1 + kinetic(p1);
  ts_free(p1);
  ts_free(p0);
  c->steps++;
  if (log(unif()) < h0 - h1) {
    ts_free(c->x);
    c->x = x1;
    c->logp = lp1;
    c->accepted++;
  } else {
    ts_free(x1);
  }
}

// OK: one random-walk Metropolis transition with the same ownership rules
static void rw_step(struct chain *c, const ts_tensor *P, double scale) {
  ts_tensor *noise = ts_randn(TS_SHAPE(D), TS_FLOAT32);
  ts_tensor *prop = ts_add(c->x, ts_mul_Scalar_(noise, scale));
  ts_free(noise);
  double lp = logp(P, prop);
  c->steps++;
  if (log(unif()) < lp - c->logp) {
    ts_free(c->x);
    c->x = prop;
    c->logp = lp;
    c->accepted++;
    return;
  }
  ts_free(prop);
}

// OK: a correlated target and CHAINS chains started apart; a failure frees
// everything made before it
static int sampler_init(struct sampler *s) {
  const float p[D * D] = {2.f, 0.8f, 0.f, 0.8f, 1.f, 0.3f, 0.f, 0.3f, 1.5f};
  s->P = ts_from_buffer(p, TS_SHAPE(D, D), TS_FLOAT32);
  if (!s->P)
    return -1;
  s->chains = calloc(CHAINS, sizeof *s->chains);
  if (!s->chains) {
    ts_free(s->P);
    return -1;
  }
  for (s->n = 0; s->n < CHAINS; s->n++) {
    struct chain *c = &s->chains[s->n];
    c->x = ts_full(TS_SHAPE(D), TS_FLOAT32, 2.0 * s->n - 3.0);
    c->logp = logp(s->P, c->x);
  }
  s->draws = NULL;
  s->ndraws = s->cap = 0;
  return 0;
}

// OK: keeps a copy of x, growing the array; on failure the copy is freed
static void record_draw(struct sampler *s, const ts_tensor *x) {
  if (s->ndraws == s->cap) {
    int cap = s->cap ? 2 * s->cap : 16;
    ts_tensor **d = realloc(s->draws, sizeof *d * (size_t)cap);
    if (!d)
      return;
    s->draws = d;
    s->cap = cap;
  }
  s->draws[s->ndraws++] = ts_clone(x);
}

// OK: frees the draws, the chains' states, the arrays and the target
static void sampler_free(struct sampler *s) {
  for (int i = 0; i < s->ndraws; i++)
    ts_free(s->draws[i]);
  free(s->draws);
  for (int c = 0; c < s->n; c++)
    ts_free(s->chains[c].x);
  free(s->chains);
  ts_free(s->P);
  s->draws = NULL;
  s->chains = NULL;
  s->P = NULL;
  s->ndraws = s->n = 0;
}

// OK: the mean of the recorded draws, stacked in the function's scope
TS_SCOPED static double draw_mean0(const struct sampler *s) {
  if (s->ndraws == 0)
    return NAN;
  ts_tensor *st = ts_stack((const ts_tensor *const *)s->draws, s->ndraws, 0);
  ts_tensor *m = ts_mean_dim(st, TS_SHAPE(0), false, TS_NO_DTYPE);
  return ts_item(ts_select_int(m, 0, 0));
}

// OK: HMC on every chain, draws recorded after a burn-in
void mc_hmc(void) {
  struct sampler s;
  ts_manual_seed(43);
  if (sampler_init(&s) != 0)
    return;
  for (int it = 0; it < 30; it++) {
    for (int c = 0; c < s.n; c++) {
      hmc_step(&s.chains[c], s.P, 0.2, 5);
      if (it >= 10)
        record_draw(&s, s.chains[c].x);
    }
  }
  printf("%d draws, mean x0 %.3f, accepted %d/%d\n", s.ndraws, draw_mean0(&s),
         s.chains[0].accepted, s.chains[0].steps);
  sampler_free(&s);
}

// OK: random-walk Metropolis on every chain
void mc_random_walk(void) {
  struct sampler s;
  if (sampler_init(&s) != 0)
    return;
  for (int it = 0; it < 40; it++)
    for (int c = 0; c < s.n; c++)
      rw_step(&s.chains[c], s.P, 0.5);
  printf("chain 0 accepted %d of %d\n", s.chains[0].accepted,
         s.chains[0].steps);
  sampler_free(&s);
}

// BUG: leak: a rejected proposal is dropped without a free
void mc_rw_leak(void) {
  struct sampler s;
  ts_manual_seed(44);
  if (sampler_init(&s) != 0)
    return;
  struct chain *c = &s.chains[0];
  for (int it = 0; it < 20; it++) {
    ts_tensor *noise = ts_randn(TS_SHAPE(D), TS_FLOAT32);
    ts_tensor *prop = ts_add(c->x, ts_mul_Scalar_(noise, 2.0)); // <- BUG
    ts_free(noise);
    double lp = logp(s.P, prop);
    if (log(unif()) < lp - c->logp) {
      ts_free(c->x);
      c->x = prop;
      c->logp = lp;
    }
  }
  sampler_free(&s);
}

// BUG: double-free: an accepted proposal becomes the chain's state, and
// the proposal is freed again after the test
void mc_accept_free(void) {
  struct sampler s;
  if (sampler_init(&s) != 0)
    return;
  struct chain *c = &s.chains[1];
  ts_tensor *prop = ts_mul_scalar(c->x, 0.5);
  double lp = logp(s.P, prop);
  if (lp >= c->logp) {
    ts_free(c->x);
    c->x = prop;
    c->logp = lp;
  }
  ts_free(prop); // <- BUG
  sampler_free(&s);
}

// BUG: use-after-free: the rejected proposal is freed and then read for
// the rejection log
void mc_reject_log(void) {
  struct sampler s;
  if (sampler_init(&s) != 0)
    return;
  struct chain *c = &s.chains[1];
  ts_tensor *prop = ts_mul_scalar(c->x, 3.0);
  double lp = logp(s.P, prop);
  if (lp < c->logp) {
    ts_free(prop);
    printf("rejected, logp there %.3f\n", logp(s.P, prop)); // <- BUG
  } else {
    ts_free(c->x);
    c->x = prop;
  }
  sampler_free(&s);
}

// BUG: unescaped-return: the momentum is drawn in the function's scope and
// returned as it is
TS_SCOPED static ts_tensor *momentum(double mass) {
  ts_tensor *p = ts_randn(TS_SHAPE(D), TS_FLOAT32);
  return ts_mul_scalar(p, sqrt(mass)); // <- BUG
}

// OK: uses and frees the momentum it gets
void mc_momentum(void) {
  ts_tensor *p = momentum(2.0);
  printf("kinetic %.3f\n", kinetic(p));
  ts_free(p);
}

// BUG: use-after-scope: the stacked draws are made in a scope and their
// mean is read after it
void mc_draws_scope(void) {
  struct sampler s;
  if (sampler_init(&s) != 0)
    return;
  for (int c = 0; c < s.n; c++)
    record_draw(&s, s.chains[c].x);
  ts_tensor *mean = NULL;
  TS_SCOPE {
    ts_tensor *st = ts_stack((const ts_tensor *const *)s.draws, s.ndraws, 0);
    mean = ts_mean_dim(st, TS_SHAPE(0), false, TS_NO_DTYPE);
  }
  ts_tensor *n = ts_norm_Scalar(mean, 2.0); // <- BUG
  printf("|mean| %.3f\n", ts_item(n));
  ts_free(n);
  sampler_free(&s);
}

// OK: R-hat of the first coordinate from per-chain means and variances,
// all in one scope
static double rhat0(struct sampler *s, int per_chain) {
  double r = NAN;
  TS_SCOPE {
    ts_tensor *st = ts_stack((const ts_tensor *const *)s->draws, s->ndraws, 0);
    ts_tensor *x0 =
        ts_reshape(ts_select_int(st, 1, 0), TS_SHAPE(per_chain, s->n));
    ts_tensor *vm[2];
    ts_var_mean_dim(vm, x0, TS_SHAPE(0), true, false);
    double W = ts_item(ts_mean(vm[0]));
    double B = per_chain * ts_item(ts_var(vm[1], true));
    double var = (per_chain - 1.0) / per_chain * W + B / per_chain;
    r = sqrt(var / W);
  }
  return r;
}

// OK: R-hat after a run of HMC
void mc_rhat(void) {
  struct sampler s;
  if (sampler_init(&s) != 0)
    return;
  for (int it = 0; it < 20; it++)
    for (int c = 0; c < s.n; c++) {
      hmc_step(&s.chains[c], s.P, 0.25, 4);
      record_draw(&s, s.chains[c].x);
    }
  printf("R-hat %.3f\n", rhat0(&s, 20));
  sampler_free(&s);
}

// OK: thinning: every fourth state kept, the others freed at once
void mc_thinning(void) {
  ts_tensor *kept[8];
  int nk = 0;
  const float p[D * D] = {1.f, 0.f, 0.f, 0.f, 1.f, 0.f, 0.f, 0.f, 1.f};
  ts_tensor *P = ts_from_buffer(p, TS_SHAPE(D, D), TS_FLOAT32);
  struct chain c = {ts_zeros(TS_SHAPE(D), TS_FLOAT32), 0.0, 0, 0};
  for (int it = 0; it < 32; it++) {
    rw_step(&c, P, 0.7);
    ts_tensor *snap = ts_clone(c.x);
    if (it % 4 == 3 && nk < 8)
      kept[nk++] = snap;
    else
      ts_free(snap);
  }
  for (int i = 0; i < nk; i++)
    ts_free(kept[i]);
  printf("kept %d\n", nk);
  ts_free(c.x);
  ts_free(P);
}

// BUG: leak: the states between kept ones are never freed
void mc_thinning_leak(void) {
  ts_tensor *kept[8];
  int nk = 0;
  const float p[D * D] = {1.f, 0.f, 0.f, 0.f, 1.f, 0.f, 0.f, 0.f, 1.f};
  ts_tensor *P = ts_from_buffer(p, TS_SHAPE(D, D), TS_FLOAT32);
  struct chain c = {ts_zeros(TS_SHAPE(D), TS_FLOAT32), 0.0, 0, 0};
  for (int it = 0; it < 16; it++) {
    rw_step(&c, P, 0.7);
    ts_tensor *snap = ts_clone(c.x); // <- BUG
    if (it % 4 == 3 && nk < 8)
      kept[nk++] = snap;
  }
  for (int i = 0; i < nk; i++)
    ts_free(kept[i]);
  ts_free(c.x);
  ts_free(P);
}

// OK: frees a chain's state and clears it
static void chain_reset(struct chain *c) {
  ts_free(c->x);
  c->accepted = c->steps = 0;
}

// BUG: double-free: chain 0 is reset (its state freed) before
// sampler_free frees every chain's state
void mc_reset_then_free(void) {
  struct sampler s;
  if (sampler_init(&s) != 0)
    return;
  rw_step(&s.chains[0], s.P, 0.5);
  chain_reset(&s.chains[0]);
  sampler_free(&s); // <- BUG
}

// OK: a reset chain gets a fresh state before anything else frees it
void mc_restart_chain(void) {
  struct sampler s;
  if (sampler_init(&s) != 0)
    return;
  chain_reset(&s.chains[0]);
  s.chains[0].x = ts_zeros(TS_SHAPE(D), TS_FLOAT32);
  s.chains[0].logp = logp(s.P, s.chains[0].x);
  for (int it = 0; it < 5; it++)
    rw_step(&s.chains[0], s.P, 0.5);
  sampler_free(&s);
}

// OK: momentum buffers from a pool: acquire or make, fill, release after
// the step
void mc_pooled_momentum(void) {
  struct sampler s;
  ts_pool *pool = ts_pool_new(4);
  if (sampler_init(&s) != 0) {
    ts_pool_destroy(pool);
    return;
  }
  double ke = 0.0;
  for (int it = 0; it < 10; it++) {
    ts_tensor *p = ts_pool_acquire(pool, TS_SHAPE(D), TS_FLOAT32);
    if (!p)
      p = ts_empty(TS_SHAPE(D), TS_FLOAT32);
    ts_normal_(p, 0.0, 1.0);
    ke += kinetic(p);
    ts_pool_release(pool, p);
  }
  printf("mean kinetic %.3f\n", ke / 10);
  sampler_free(&s);
  ts_pool_destroy(pool);
}

// BUG: use-after-free: the momentum is released to the pool before the
// leapfrog step reads it
void mc_released_momentum(void) {
  struct sampler s;
  ts_pool *pool = ts_pool_new(4);
  if (sampler_init(&s) != 0) {
    ts_pool_destroy(pool);
    return;
  }
  ts_tensor *p = ts_randn(TS_SHAPE(D), TS_FLOAT32);
  ts_pool_release(pool, p);
  ts_tensor *x1, *p1;
  leapfrog(s.P, s.chains[0].x, p, 0.1, 3, &x1, &p1); // <- BUG
  ts_free(p1);
  ts_free(x1);
  sampler_free(&s);
  ts_pool_destroy(pool);
}

// OK: lag-1 autocorrelation of the first coordinate, in the function's
// scope
TS_SCOPED static double lag1(const struct sampler *s) {
  if (s->ndraws < 3)
    return NAN;
  ts_tensor *st = ts_stack((const ts_tensor *const *)s->draws, s->ndraws, 0);
  ts_tensor *x = ts_select_int(st, 1, 0);
  ts_tensor *xc = ts_sub(x, ts_mean(x));
  int64_t n = ts_numel(xc);
  ts_tensor *a = ts_narrow(xc, 0, 0, n - 1), *b = ts_narrow(xc, 0, 1, n - 1);
  return ts_item(ts_dot(a, b)) / ts_item(ts_dot(xc, xc));
}

// OK: autocorrelation of one chain's random walk
void mc_autocorr(void) {
  struct sampler s;
  if (sampler_init(&s) != 0)
    return;
  for (int it = 0; it < 30; it++) {
    rw_step(&s.chains[2], s.P, 0.3);
    record_draw(&s, s.chains[2].x);
  }
  printf("lag-1 autocorrelation %.3f\n", lag1(&s));
  sampler_free(&s);
}

// OK: replica exchange: chains at temperatures 1, 2, 4, 8 swap states by
// exchanging pointers
void mc_tempering(void) {
  struct sampler s;
  double temp[CHAINS] = {1.0, 2.0, 4.0, 8.0};
  if (sampler_init(&s) != 0)
    return;
  int swaps = 0;
  for (int it = 0; it < 20; it++) {
    for (int c = 0; c < s.n; c++)
      rw_step(&s.chains[c], s.P, 0.5 * sqrt(temp[c]));
    int k = it % (s.n - 1);
    struct chain *a = &s.chains[k], *b = &s.chains[k + 1];
    double acc = (a->logp - b->logp) * (1.0 / temp[k + 1] - 1.0 / temp[k]);
    if (log(unif()) < acc) {
      ts_tensor *t = a->x;
      a->x = b->x;
      b->x = t;
      double lp = a->logp;
      a->logp = b->logp;
      b->logp = lp;
      swaps++;
    }
  }
  printf("%d swaps\n", swaps);
  sampler_free(&s);
}

// BUG: leak: the swap copies one state instead of exchanging the
// pointers, and the state it overwrites is lost
void mc_swap_copy(void) {
  struct sampler s;
  if (sampler_init(&s) != 0)
    return;
  struct chain *a = &s.chains[0], *b = &s.chains[1];
  ts_tensor *t = ts_clone(a->x);
  ts_free(a->x);
  a->x = b->x;
  b->x = ts_clone(t); // <- BUG
  sampler_free(&s);
}
