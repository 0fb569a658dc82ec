/*
 * heldout10_portfolio.c - mean-variance portfolios: a market of returns with
 * its covariance in a struct, weighting rules behind function pointers, a
 * small cache of weights keyed by rule and risk level, Monte Carlo paths on
 * pooled scratch buffers, tangency weights under a scope guard, a
 * rebalancing plan filled in a scoped loop.
 *
 * Labels (see README.md): `// OK: why` or `// BUG: check: why` on the line
 * before each function; the line of the bug itself ends in `// <- BUG`.
 */
#include <stdio.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { T = 12, A = 4, CAP = 4, PLAN = 3 };

typedef struct {
  ts_tensor *returns; /* [T, A] */
  ts_tensor *mu;      /* [A] */
  ts_tensor *cov;     /* [A, A] */
} market;

typedef ts_tensor *(*weight_rule)(const market *m);

typedef struct {
  int key;
  ts_tensor *w;
} cache_slot;

typedef struct {
  cache_slot slot[CAP];
} weight_cache;

typedef struct {
  ts_tensor *w[PLAN];
  double risk[PLAN];
} plan;

// OK: the centred returns' Gram matrix over T-1; the caller owns it
static ts_tensor *covariance(const ts_tensor *r) {
  ts_tensor *mean = ts_mean_dim(r, TS_SHAPE(0), true, TS_NO_DTYPE);
  ts_tensor *c = ts_sub(r, mean);
  ts_tensor *ct = ts_transpose(c, 0, 1);
  ts_tensor *g = ts_matmul(ct, c);
  ts_tensor *cov = ts_mul_scalar(g, 1.0 / (T - 1));
  ts_free(g);
  ts_free(ct);
  ts_free(c);
  ts_free(mean);
  return cov;
}

// BUG: leak: the transposed returns are never freed
static ts_tensor *covariance_shrunk(const ts_tensor *r, double lambda) {
  ts_tensor *mean = ts_mean_dim(r, TS_SHAPE(0), true, TS_NO_DTYPE);
  ts_tensor *c = ts_sub(r, mean);
  ts_tensor *g = ts_matmul(ts_transpose(c, 0, 1), c); // <- BUG
  ts_tensor *cov = ts_mul_scalar(g, (1.0 - lambda) / (T - 1));
  ts_free(g);
  ts_free(c);
  ts_free(mean);
  return cov;
}

// OK: goto cleanup on every step
static int market_load(market *m, int fail_at) {
  m->returns = m->mu = m->cov = NULL;
  ts_tensor *raw = ts_randn(TS_SHAPE(T, A), TS_FLOAT32);
  m->returns = ts_mul_scalar(raw, 0.01);
  ts_free(raw);
  if (!m->returns)
    goto fail;
  m->mu = ts_mean_dim(m->returns, TS_SHAPE(0), false, TS_NO_DTYPE);
  if (!m->mu || fail_at == 1)
    goto fail;
  m->cov = covariance(m->returns);
  if (!m->cov)
    goto fail;
  return 0;
fail:
  if (m->mu)
    ts_free(m->mu);
  if (m->returns)
    ts_free(m->returns);
  m->returns = m->mu = NULL;
  return -1;
}

// OK: frees the three fields
static void market_free(market *m) {
  ts_free(m->cov);
  ts_free(m->mu);
  ts_free(m->returns);
  m->returns = m->mu = m->cov = NULL;
}

// BUG: leak: when the covariance is not wanted yet the mean is made and
// dropped on the early return
static int market_load_lazy(market *m, int with_cov) {
  m->returns = ts_rand(TS_SHAPE(T, A), TS_FLOAT32);
  m->cov = NULL;
  ts_tensor *mu = ts_mean_dim(m->returns, TS_SHAPE(0), false, TS_NO_DTYPE);
  if (!with_cov) {
    m->mu = NULL;
    return 1; // <- BUG
  }
  m->mu = mu;
  m->cov = covariance(m->returns);
  return 0;
}

// OK: loads, prints the first asset's mean, frees; then a failing load
void port_load(void) {
  market m;
  if (market_load(&m, 0) == 0) {
    ts_tensor *s = ts_sum(m.mu);
    printf("mean return %.5f\n", ts_item(s));
    ts_free(s);
    market_free(&m);
  }
  if (market_load(&m, 1) != 0)
    printf("load failed\n");
}

// OK: a lazy load without covariance, the returns freed by hand
void port_load_lazy(void) {
  market m;
  if (market_load_lazy(&m, 0) == 1)
    ts_free(m.returns);
}

// OK: the shrunk covariance beside the plain one
void port_cov_shrunk(void) {
  market m;
  if (market_load(&m, 0) != 0)
    return;
  ts_tensor *sh = covariance_shrunk(m.returns, 0.2);
  ts_tensor *d = ts_sub(m.cov, sh);
  ts_tensor *s = ts_sum(d);
  printf("shrinkage %.6f\n", ts_item(s));
  ts_free(s);
  ts_free(d);
  ts_free(sh);
  market_free(&m);
}

// OK: 1/A each
static ts_tensor *equal_weight(const market *m) {
  (void)m;
  return ts_full(TS_SHAPE(A), TS_FLOAT32, 1.0 / A);
}

// OK: weights proportional to the inverse volatility, summing to one
static ts_tensor *inverse_vol(const market *m) {
  ts_tensor *sq = ts_mul(m->returns, m->returns);
  ts_tensor *var = ts_mean_dim(sq, TS_SHAPE(0), false, TS_NO_DTYPE);
  ts_tensor *vol = ts_sqrt(var);
  ts_tensor *one = ts_ones(TS_SHAPE(A), TS_FLOAT32);
  ts_tensor *inv = ts_div(one, vol);
  ts_tensor *tot = ts_sum(inv);
  ts_tensor *w = ts_div(inv, tot);
  ts_free(tot);
  ts_free(inv);
  ts_free(one);
  ts_free(vol);
  ts_free(var);
  ts_free(sq);
  return w;
}

// OK: expected return of the weights; borrows w
static double score_weights(const market *m, const ts_tensor *w) {
  ts_tensor *p = ts_mul(w, m->mu);
  ts_tensor *s = ts_sum(p);
  double v = ts_item(s);
  ts_free(s);
  ts_free(p);
  return v;
}

// OK: scores the weights and takes them: w is freed here
static double score_and_free(const market *m, ts_tensor *w) {
  double v = score_weights(m, w);
  ts_free(w);
  return v;
}

// OK: every rule's weights scored and handed to score_and_free
void port_rules(void) {
  market m;
  if (market_load(&m, 0) != 0)
    return;
  weight_rule rules[] = {equal_weight, inverse_vol};
  for (int k = 0; k < 2; k++) {
    ts_tensor *w = rules[k](&m);
    printf("rule %d: %.5f\n", k, score_and_free(&m, w));
  }
  market_free(&m);
}

// BUG: double-free: score_and_free already took the weights
void port_rules_twice(void) {
  market m;
  if (market_load(&m, 0) != 0)
    return;
  weight_rule rules[] = {equal_weight, inverse_vol};
  for (int k = 0; k < 2; k++) {
    ts_tensor *w = rules[k](&m);
    double v = score_and_free(&m, w);
    printf("rule %d: %.5f\n", k, v);
    ts_free(w); // <- BUG
  }
  market_free(&m);
}

// BUG: use-after-free: the best weights are printed after score_and_free
// took them
void port_rules_best(void) {
  market m;
  if (market_load(&m, 0) != 0)
    return;
  ts_tensor *w = inverse_vol(&m);
  double v = score_and_free(&m, w);
  ts_tensor *mx = ts_max(w); // <- BUG
  printf("score %.5f, largest weight %.3f\n", v, ts_item(mx));
  ts_free(mx);
  market_free(&m);
}

// OK: the slot's old weights are freed before the new ones go in
static void cache_put(weight_cache *c, int key, ts_tensor *w) {
  cache_slot *s = &c->slot[key % CAP];
  if (s->w)
    ts_free(s->w);
  s->key = key;
  s->w = w;
}

// BUG: leak: a colliding key overwrites the slot's weights without freeing
// them
static void cache_put_fast(weight_cache *c, int key, ts_tensor *w) {
  cache_slot *s = &c->slot[key % CAP];
  s->key = key;
  s->w = w; // <- BUG
}

// OK: borrowed, still owned by the cache
static const ts_tensor *cache_get(const weight_cache *c, int key) {
  const cache_slot *s = &c->slot[key % CAP];
  return s->w && s->key == key ? s->w : NULL;
}

// OK: frees every slot
static void cache_clear(weight_cache *c) {
  for (int k = 0; k < CAP; k++) {
    if (c->slot[k].w)
      ts_free(c->slot[k].w);
    c->slot[k].w = NULL;
  }
}

// OK: two keys that collide, the cache cleared at the end
void port_cache(void) {
  market m;
  weight_cache c = {{{0, NULL}}};
  if (market_load(&m, 0) != 0)
    return;
  cache_put(&c, 1, equal_weight(&m));
  cache_put(&c, 1 + CAP, inverse_vol(&m));
  const ts_tensor *w = cache_get(&c, 1 + CAP);
  if (w)
    printf("cached %.5f\n", score_weights(&m, w));
  cache_clear(&c);
  market_free(&m);
}

// OK: the same collision through the fast put
void port_cache_fast(void) {
  market m;
  weight_cache c = {{{0, NULL}}};
  if (market_load(&m, 0) != 0)
    return;
  cache_put_fast(&c, 2, equal_weight(&m));
  cache_put_fast(&c, 2 + CAP, inverse_vol(&m));
  cache_clear(&c);
  market_free(&m);
}

// BUG: use-after-free: the borrowed weights are scored after a put into the
// same slot freed them
void port_cache_stale(void) {
  market m;
  weight_cache c = {{{0, NULL}}};
  if (market_load(&m, 0) != 0)
    return;
  cache_put(&c, 3, equal_weight(&m));
  const ts_tensor *old = cache_get(&c, 3);
  cache_put(&c, 3, inverse_vol(&m));
  printf("old %.5f\n", score_weights(&m, old)); // <- BUG
  cache_clear(&c);
  market_free(&m);
}

// OK: the old weights are cloned before the slot is replaced
void port_cache_cloned(void) {
  market m;
  weight_cache c = {{{0, NULL}}};
  if (market_load(&m, 0) != 0)
    return;
  cache_put(&c, 3, equal_weight(&m));
  ts_tensor *old = ts_clone(cache_get(&c, 3));
  cache_put(&c, 3, inverse_vol(&m));
  printf("old %.5f new %.5f\n", score_weights(&m, old),
         score_weights(&m, cache_get(&c, 3)));
  ts_free(old);
  cache_clear(&c);
  market_free(&m);
}

// OK: a pooled scratch buffer or a new one
static ts_tensor *get_scratch(ts_pool *p) {
  ts_tensor *t = ts_pool_acquire(p, TS_SHAPE(T, A), TS_FLOAT32);
  return t ? t : ts_zeros(TS_SHAPE(T, A), TS_FLOAT32);
}

// OK: one Monte Carlo path's final value; the scratch buffer goes back
static double mc_path(ts_pool *p, const market *m) {
  ts_tensor *buf = get_scratch(p);
  ts_tensor *noise = ts_randn(TS_SHAPE(T, A), TS_FLOAT32);
  ts_tensor *path = ts_add(m->returns, noise);
  ts_tensor *s = ts_sum(path);
  double v = ts_item(s);
  ts_free(s);
  ts_free(path);
  ts_free(noise);
  ts_pool_release(p, buf);
  return v;
}

// OK: a few paths through one pool
void port_mc(void) {
  market m;
  if (market_load(&m, 0) != 0)
    return;
  ts_pool *p = ts_pool_new(2);
  double tot = 0;
  for (int k = 0; k < 4; k++)
    tot += mc_path(p, &m);
  printf("mc mean %.4f\n", tot / 4);
  ts_pool_destroy(p);
  market_free(&m);
}

// BUG: double-free: the scratch buffer is released to the pool, then freed
void port_mc_scratch_twice(void) {
  market m;
  if (market_load(&m, 0) != 0)
    return;
  ts_pool *p = ts_pool_new(2);
  ts_tensor *buf = get_scratch(p);
  ts_tensor *s = ts_sum(buf);
  printf("scratch %.1f\n", ts_item(s));
  ts_free(s);
  ts_pool_release(p, buf);
  ts_free(buf); // <- BUG
  ts_pool_destroy(p);
  market_free(&m);
}

// BUG: leak: a path that blows up returns before its scratch buffer goes back
// or the path is freed
static double mc_path_capped(ts_pool *p, const market *m, double cap) {
  ts_tensor *buf = get_scratch(p);
  ts_tensor *path = ts_add(m->returns, buf);
  ts_tensor *s = ts_sum(path);
  double v = ts_item(s);
  ts_free(s);
  if (v > cap)
    return cap; // <- BUG
  ts_free(path);
  ts_pool_release(p, buf);
  return v;
}

// OK: capped paths, one over the cap
void port_mc_capped(void) {
  market m;
  if (market_load(&m, 0) != 0)
    return;
  ts_pool *p = ts_pool_new(2);
  printf("capped %.3f\n", mc_path_capped(p, &m, -1e9));
  ts_pool_destroy(p);
  market_free(&m);
}

// OK: the variance w' C w inside the function's scope
TS_SCOPED static double portfolio_var(const market *m, const ts_tensor *w) {
  ts_tensor *col = ts_reshape(w, TS_SHAPE(A, 1));
  ts_tensor *row = ts_reshape(w, TS_SHAPE(1, A));
  return ts_item(ts_matmul(row, ts_matmul(m->cov, col)));
}

// OK: tangency-like weights under a guard, escaped to the caller
static ts_tensor *tangent_weights(const market *m) {
  TS_SCOPE_GUARD();
  ts_tensor *raw =
      ts_relu(ts_matmul(m->cov, ts_reshape(m->mu, TS_SHAPE(A, 1))));
  ts_tensor *w =
      ts_div(ts_add_scalar(raw, 1e-3), ts_sum(ts_add_scalar(raw, 1e-3)));
  return ts_escape(ts_reshape(w, TS_SHAPE(A)));
}

// BUG: unescaped-return: the guard's scope frees the weights as the function
// returns them
static ts_tensor *tangent_weights_quick(const market *m) {
  TS_SCOPE_GUARD();
  ts_tensor *raw = ts_relu(ts_reshape(m->mu, TS_SHAPE(A)));
  ts_tensor *shifted = ts_add_scalar(raw, 1e-3);
  return ts_div(shifted, ts_sum(shifted)); // <- BUG
}

// OK: escaped weights scored, their variance computed, freed
void port_tangent(void) {
  market m;
  if (market_load(&m, 0) != 0)
    return;
  ts_tensor *w = tangent_weights(&m);
  printf("tangent %.5f var %.6f\n", score_weights(&m, w), portfolio_var(&m, w));
  ts_free(w);
  market_free(&m);
}

// OK: uses the quick weights
void port_tangent_quick(void) {
  market m;
  if (market_load(&m, 0) != 0)
    return;
  ts_tensor *w = tangent_weights_quick(&m);
  printf("tangent %.5f\n", score_weights(&m, w));
  ts_free(w);
  market_free(&m);
}

// BUG: use-after-scope: the plan's weights are made in the loop's scopes and
// read after the loop
void port_rebalance(void) {
  market m;
  plan pl;
  if (market_load(&m, 0) != 0)
    return;
  TS_SCOPE for (int k = 0; k < PLAN; k++) {
    ts_tensor *tilt = ts_mul_scalar(m.mu, 50.0 * (k + 1));
    pl.w[k] = ts_softmax(tilt, 0);
    pl.risk[k] = portfolio_var(&m, pl.w[k]);
  }
  printf("first plan %.5f\n", score_weights(&m, pl.w[0])); // <- BUG
  market_free(&m);
}

// OK: each plan's weights escape their iteration and are freed at the end
void port_rebalance_ok(void) {
  market m;
  plan pl;
  if (market_load(&m, 0) != 0)
    return;
  TS_SCOPE for (int k = 0; k < PLAN; k++) {
    ts_tensor *tilt = ts_mul_scalar(m.mu, 50.0 * (k + 1));
    pl.w[k] = ts_escape(ts_softmax(tilt, 0));
    pl.risk[k] = portfolio_var(&m, pl.w[k]);
  }
  printf("first plan %.5f risk %.6f\n", score_weights(&m, pl.w[0]), pl.risk[0]);
  for (int k = 0; k < PLAN; k++)
    ts_free(pl.w[k]);
  market_free(&m);
}

// OK: ts_keep takes the weights out of the block's scope; freed by hand
void port_keep(void) {
  market m;
  if (market_load(&m, 0) != 0)
    return;
  ts_tensor *kept = NULL;
  TS_SCOPE {
    ts_tensor *w = inverse_vol(&m);
    kept = ts_keep(ts_mul_scalar(w, 2.0));
  }
  printf("levered %.5f\n", score_weights(&m, kept));
  ts_free(kept);
  market_free(&m);
}
