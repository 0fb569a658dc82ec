/* heldout3_options.c - Monte-Carlo option pricing: geometric Brownian
 * paths, European, Asian and barrier payoffs, antithetic and control
 * variates, bump-and-revalue Greeks with common random numbers, batched
 * simulation, confidence intervals, a table of pricers and a pool of path
 * buffers.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

struct market {
  double s0, r, sigma, T;
  int steps;
};

static const struct market MKT = {100.0, 0.02, 0.2, 1.0, 16};

/* Consumes its normals: the declaration carries the annotation. */
static double price_from_normals(const struct market *m, ts_tensor *z, double K)
    TS_CONSUMES(2);

// OK: price paths [n, steps] from standard normals z [n, steps]
static ts_tensor *paths_from(const struct market *m, const ts_tensor *z) {
  double dt = m->T / m->steps;
  double drift = (m->r - 0.5 * m->sigma * m->sigma) * dt;
  ts_tensor *inc = ts_mul_scalar(z, m->sigma * sqrt(dt));
  ts_add_Scalar_(inc, drift, 1.0);
  ts_tensor *logp = ts_cumsum(inc, 1, TS_NO_DTYPE);
  ts_free(inc);
  ts_exp_(logp);
  ts_mul_Scalar_(logp, m->s0);
  return logp;
}

// OK: simulated paths for n draws
static ts_tensor *simulate(const struct market *m, int n) {
  ts_tensor *z = ts_randn(TS_SHAPE(n, m->steps), TS_FLOAT64);
  ts_tensor *p = paths_from(m, z);
  ts_free(z);
  return p;
}

// OK: call payoff on the terminal price, a new [n] tensor
static ts_tensor *call_payoff(const ts_tensor *paths, double K) {
  int64_t last = ts_size(paths, 1) - 1;
  ts_tensor *st = ts_select_int(paths, 1, last);
  ts_tensor *pay = ts_sub_Scalar(st, K, 1.0);
  ts_free(st);
  ts_clamp_min_(pay, 0.0);
  return pay;
}

// OK: discounted mean of a payoff, in one scope
TS_SCOPED static double discounted_mean(const struct market *m,
                                        const ts_tensor *pay) {
  return exp(-m->r * m->T) * ts_item(ts_mean(pay));
}

// OK: plain Monte-Carlo European call
void opt_european(void) {
  ts_tensor *paths = simulate(&MKT, 2000);
  ts_tensor *pay = call_payoff(paths, 100.0);
  printf("european %.3f\n", discounted_mean(&MKT, pay));
  ts_free(pay);
  ts_free(paths);
}

// OK: prices from given normals and frees them (annotated TS_CONSUMES)
static double price_from_normals(const struct market *m, ts_tensor *z,
                                 double K) {
  ts_tensor *paths = paths_from(m, z);
  ts_free(z);
  ts_tensor *pay = call_payoff(paths, K);
  double v = discounted_mean(m, pay);
  ts_free(pay);
  ts_free(paths);
  return v;
}

// OK: antithetic variates: z and -z priced separately, averaged
void opt_antithetic(void) {
  ts_tensor *z = ts_randn(TS_SHAPE(1000, MKT.steps), TS_FLOAT64);
  ts_tensor *nz = ts_neg(z);
  double a = price_from_normals(&MKT, z, 100.0);
  double b = price_from_normals(&MKT, nz, 100.0);
  printf("antithetic %.3f\n", 0.5 * (a + b));
}

// BUG: leak: the antithetic half is priced from a copy and never freed
void opt_antithetic_pooled(void) {
  ts_tensor *z = ts_randn(TS_SHAPE(1000, MKT.steps), TS_FLOAT64);
  ts_tensor *nz = ts_neg(z); // <- BUG
  ts_tensor *both = ts_cat((const ts_tensor *[]){z, nz}, 2, 0);
  ts_free(z);
  double v = price_from_normals(&MKT, both, 100.0);
  printf("antithetic pooled %.3f\n", v);
}

// BUG: double-free: the normals are consumed by the pricer and freed again
void opt_crn_delta(void) {
  double h = 1.0;
  struct market up = MKT, down = MKT;
  up.s0 += h;
  down.s0 -= h;
  ts_tensor *z = ts_randn(TS_SHAPE(1000, MKT.steps), TS_FLOAT64);
  ts_tensor *z2 = ts_clone(z);
  double pu = price_from_normals(&up, z, 100.0);
  double pd = price_from_normals(&down, z2, 100.0);
  printf("delta %.4f\n", (pu - pd) / (2 * h));
  ts_free(z); // <- BUG
}

// OK: delta by bump-and-revalue with common random numbers, one draw reused
void opt_delta_shared(void) {
  double h = 0.5;
  struct market up = MKT, down = MKT;
  up.s0 += h;
  down.s0 -= h;
  ts_tensor *z = ts_randn(TS_SHAPE(1000, MKT.steps), TS_FLOAT64);
  ts_tensor *pu = paths_from(&up, z);
  ts_tensor *pd = paths_from(&down, z);
  ts_free(z);
  ts_tensor *cu = call_payoff(pu, 100.0);
  ts_tensor *cd = call_payoff(pd, 100.0);
  ts_free(pu);
  ts_free(pd);
  double d = (discounted_mean(&MKT, cu) - discounted_mean(&MKT, cd)) / (2 * h);
  ts_free(cu);
  ts_free(cd);
  printf("delta %.4f\n", d);
}

// OK: arithmetic Asian call on the path mean
static double asian_call(const struct market *m, int n, double K) {
  TS_SCOPE_GUARD();
  ts_tensor *paths = simulate(m, n);
  ts_tensor *avg = ts_mean_dim(paths, TS_SHAPE(1), false, TS_NO_DTYPE);
  ts_tensor *pay = ts_clamp_min(ts_sub_Scalar(avg, K, 1.0), 0.0);
  return discounted_mean(m, pay);
}

// OK: control variate: the Asian payoff corrected by the European one,
// whose expectation is known; goto cleanup frees what was made
void opt_control_variate(void) {
  ts_tensor *paths = NULL, *asian = NULL, *euro = NULL, *avg = NULL;
  paths = simulate(&MKT, 2000);
  if (!paths)
    goto out;
  avg = ts_mean_dim(paths, TS_SHAPE(1), false, TS_NO_DTYPE);
  if (!avg)
    goto out;
  asian = ts_sub_Scalar(avg, 100.0, 1.0);
  if (!asian)
    goto out;
  ts_clamp_min_(asian, 0.0);
  euro = call_payoff(paths, 100.0);
  if (!euro)
    goto out;
  double cv = discounted_mean(&MKT, asian) - discounted_mean(&MKT, euro) + 8.9;
  printf("control variate %.3f (plain %.3f)\n", cv,
         asian_call(&MKT, 500, 100.0));
out:
  if (euro)
    ts_free(euro);
  if (asian)
    ts_free(asian);
  if (avg)
    ts_free(avg);
  if (paths)
    ts_free(paths);
}

// BUG: use-after-free: the knock-out mask is freed before the payoff uses it
static double barrier_call(const struct market *m, int n, double K,
                           double barrier) {
  ts_tensor *paths = simulate(m, n);
  ts_tensor *peak = ts_amax(paths, TS_SHAPE(1), false);
  ts_tensor *alive = ts_lt_Scalar(peak, barrier);
  ts_free(peak);
  ts_tensor *pay = call_payoff(paths, K);
  ts_free(paths);
  ts_free(alive);
  ts_tensor *kept = ts_where_ScalarOther(alive, pay, 0.0); // <- BUG
  double v = discounted_mean(m, kept);
  ts_free(kept);
  ts_free(pay);
  return v;
}

// OK: the barrier price (the helper is wrong)
void opt_barrier(void) {
  printf("barrier %.3f\n", barrier_call(&MKT, 1000, 100.0, 130.0));
}

// OK: the barrier done right: mask freed after its last use
static double barrier_call_ok(const struct market *m, int n, double K,
                              double barrier) {
  ts_tensor *paths = simulate(m, n);
  ts_tensor *peak = ts_amax(paths, TS_SHAPE(1), false);
  ts_tensor *alive = ts_lt_Scalar(peak, barrier);
  ts_free(peak);
  ts_tensor *pay = call_payoff(paths, K);
  ts_free(paths);
  ts_tensor *kept = ts_where_ScalarOther(alive, pay, 0.0);
  ts_free(alive);
  ts_free(pay);
  double v = discounted_mean(m, kept);
  ts_free(kept);
  return v;
}

typedef double (*pricer_fn)(const struct market *, int, double);

// OK: the European price with the pricer signature
static double euro_call(const struct market *m, int n, double K) {
  ts_tensor *paths = simulate(m, n);
  ts_tensor *pay = call_payoff(paths, K);
  double v = discounted_mean(m, pay);
  ts_free(pay);
  ts_free(paths);
  return v;
}

// OK: up-and-out at 140 with the pricer signature
static double uo_call(const struct market *m, int n, double K) {
  return barrier_call_ok(m, n, K, 140.0);
}

static const struct {
  const char *name;
  pricer_fn fn;
} PRICERS[] = {
    {"european", euro_call}, {"asian", asian_call}, {"up-out", uo_call}};

// OK: every pricer of the table, by strike
void opt_table(void) {
  const double strikes[] = {90.0, 100.0, 110.0};
  for (size_t i = 0; i < sizeof PRICERS / sizeof PRICERS[0]; i++)
    for (int k = 0; k < 3; k++)
      printf("%s K=%.0f %.3f\n", PRICERS[i].name, strikes[k],
             PRICERS[i].fn(&MKT, 400, strikes[k]));
}

// OK: the European and up-and-out prices called directly
void opt_direct(void) {
  printf("euro %.3f uo %.3f\n", euro_call(&MKT, 300, 100.0),
         uo_call(&MKT, 300, 100.0));
}

// OK: batched simulation: each batch's tensors die with its iteration,
// the running sums are doubles
void opt_batched(void) {
  double sum = 0.0, sum2 = 0.0;
  int n = 0;
  TS_SCOPE for (int b = 0; b < 5; b++) {
    ts_tensor *paths = simulate(&MKT, 500);
    ts_tensor *pay = call_payoff(paths, 100.0);
    sum += ts_item(ts_sum(pay));
    sum2 += ts_item(ts_sum(ts_mul(pay, pay)));
    n += 500;
  }
  double mean = sum / n;
  printf("batched %.3f +- %.3f\n", exp(-MKT.r * MKT.T) * mean,
         sqrt((sum2 / n - mean * mean) / n));
}

// BUG: use-after-scope: the accumulator is made in the first iteration's
// scope and added to in the next ones
void opt_batched_tensor_acc(void) {
  ts_tensor *acc = NULL;
  TS_SCOPE for (int b = 0; b < 3; b++) {
    ts_tensor *paths = simulate(&MKT, 200);
    ts_tensor *pay = call_payoff(paths, 100.0);
    ts_tensor *s = ts_sum(pay);
    if (!acc)
      acc = s;
    else
      ts_add_Tensor_(acc, s, 1.0); // <- BUG
  }
  printf("batches done\n");
}

// OK: the accumulator made before the scoped loop and updated in place
void opt_batched_tensor_acc_ok(void) {
  ts_tensor *acc = ts_zeros(TS_SHAPE(1), TS_FLOAT64);
  TS_SCOPE for (int b = 0; b < 3; b++) {
    ts_tensor *paths = simulate(&MKT, 200);
    ts_tensor *pay = call_payoff(paths, 100.0);
    ts_add_Tensor_(acc, ts_sum(pay), 1.0);
  }
  printf("mean payoff %.3f\n", ts_item(acc) / 600.0);
  ts_free(acc);
}

// OK: a 95% interval from ts_std_mean; both results freed
void opt_interval(void) {
  ts_tensor *paths = simulate(&MKT, 1000);
  ts_tensor *pay = call_payoff(paths, 100.0);
  ts_free(paths);
  ts_tensor *sm[2];
  if (ts_std_mean(sm, pay, true) != TS_OK) {
    ts_free(pay);
    return;
  }
  double half = 1.96 * ts_item(sm[0]) / sqrt(1000.0);
  printf("interval %.3f +- %.3f\n", ts_item(sm[1]), half);
  ts_free(sm[0]);
  ts_free(sm[1]);
  ts_free(pay);
}

// BUG: leak: only the mean of the two results is freed
static double standard_error(const ts_tensor *pay) {
  ts_tensor *sm[2];
  if (ts_std_mean(sm, pay, true) != TS_OK) // <- BUG
    return NAN;
  double se = ts_item(sm[0]) / sqrt((double)ts_numel(pay));
  ts_free(sm[1]);
  return se;
}

// OK: prints the standard error (the helper leaks)
void opt_stderr(void) {
  ts_tensor *paths = simulate(&MKT, 500);
  ts_tensor *pay = call_payoff(paths, 105.0);
  printf("se %.4f\n", standard_error(pay));
  ts_free(pay);
  ts_free(paths);
}

// BUG: unescaped-return: the discount curve is returned from the scoped
// function without ts_escape
TS_SCOPED static ts_tensor *discount_curve(const struct market *m) {
  ts_tensor *t = ts_arange(1.0, m->steps + 1.0, 1.0, TS_FLOAT64);
  ts_tensor *rt = ts_mul_scalar(t, -m->r * m->T / m->steps);
  return ts_exp(rt); // <- BUG
}

// OK: the curve's sum (the helper is wrong)
void opt_discount_curve(void) {
  ts_tensor *c = discount_curve(&MKT);
  TS_SCOPE { printf("annuity %.4f\n", ts_item(ts_sum(c))); }
  ts_free(c);
}

// OK: implied volatility by bisection on the European price, one draw
// reused (the pricer borrows it)
static double price_with(const ts_tensor *z, double sigma, double K) {
  struct market m = MKT;
  m.sigma = sigma;
  ts_tensor *paths = paths_from(&m, z);
  ts_tensor *pay = call_payoff(paths, K);
  double v = discounted_mean(&m, pay);
  ts_free(pay);
  ts_free(paths);
  return v;
}

// OK: bisection; the normals are freed after the loop, including on break
void opt_implied_vol(void) {
  ts_tensor *z = ts_randn(TS_SHAPE(800, MKT.steps), TS_FLOAT64);
  double lo = 0.01, hi = 1.0, target = 9.0;
  for (int it = 0; it < 30; it++) {
    double mid = 0.5 * (lo + hi);
    double p = price_with(z, mid, 100.0);
    if (fabs(p - target) < 1e-3)
      break;
    if (p < target)
      lo = mid;
    else
      hi = mid;
  }
  printf("implied vol %.4f\n", 0.5 * (lo + hi));
  ts_free(z);
}

// OK: path buffers from a pool: acquired or made, released after use
static ts_tensor *path_buffer(ts_pool *pool, int n) {
  ts_tensor *b = ts_pool_acquire(pool, TS_SHAPE(n, MKT.steps), TS_FLOAT64);
  if (!b)
    b = ts_empty(TS_SHAPE(n, MKT.steps), TS_FLOAT64);
  return b;
}

// OK: normals drawn into pooled buffers in place, buffers released
void opt_pooled(void) {
  ts_pool *pool = ts_pool_new(4);
  double total = 0.0;
  for (int r = 0; r < 4; r++) {
    ts_tensor *z = path_buffer(pool, 256);
    ts_normal_(z, 0.0, 1.0);
    ts_tensor *paths = paths_from(&MKT, z);
    ts_pool_release(pool, z);
    ts_tensor *pay = call_payoff(paths, 100.0);
    total += discounted_mean(&MKT, pay);
    ts_free(pay);
    ts_free(paths);
  }
  printf("pooled %.3f\n", total / 4);
  ts_pool_destroy(pool);
}

// BUG: use-after-free: the buffer goes back to the pool before the paths
// are computed from it
void opt_pooled_early(void) {
  ts_pool *pool = ts_pool_new(4);
  ts_tensor *z = path_buffer(pool, 128);
  ts_normal_(z, 0.0, 1.0);
  ts_pool_release(pool, z);
  ts_tensor *paths = paths_from(&MKT, z); // <- BUG
  ts_free(paths);
  ts_pool_destroy(pool);
}

// BUG: leak: the simulated paths are not freed after pricing
void opt_paths_leak(void) {
  ts_tensor *paths = simulate(&MKT, 500); // <- BUG
  ts_tensor *pay = call_payoff(paths, 95.0);
  printf("K=95 %.3f\n", discounted_mean(&MKT, pay));
  ts_free(pay);
}

// BUG: leak: the put payoff's intermediate difference is never freed
void opt_put(void) {
  ts_tensor *paths = simulate(&MKT, 500);
  ts_tensor *st = ts_select_int(paths, 1, MKT.steps - 1);
  ts_tensor *diff = ts_neg(st); // <- BUG
  ts_tensor *pay = ts_add_scalar(diff, 100.0);
  ts_clamp_min_(pay, 0.0);
  printf("put %.3f\n", discounted_mean(&MKT, pay));
  ts_free(pay);
  ts_free(st);
  ts_free(paths);
}

// BUG: double-free: the payoff is freed in the zero-price branch and again
// at the end
void opt_deep_otm(void) {
  ts_tensor *paths = simulate(&MKT, 300);
  ts_tensor *pay = call_payoff(paths, 1000.0);
  double v = discounted_mean(&MKT, pay);
  if (v == 0.0) {
    printf("worthless\n");
    ts_free(pay);
  }
  ts_free(pay); // <- BUG
  ts_free(paths);
}

// BUG: use-after-free: the normals are consumed by the pricer, then reused
// for the second price
void opt_reuse_consumed(void) {
  ts_tensor *z = ts_randn(TS_SHAPE(500, MKT.steps), TS_FLOAT64);
  double a = price_from_normals(&MKT, z, 100.0);
  ts_tensor *p = paths_from(&MKT, z); // <- BUG
  ts_free(p);
  printf("a %.3f\n", a);
}

// BUG: double-free: the pooled buffer is released and then freed
void opt_release_then_free(void) {
  ts_pool *pool = ts_pool_new(2);
  ts_tensor *z = path_buffer(pool, 64);
  ts_normal_(z, 0.0, 1.0);
  ts_tensor *paths = paths_from(&MKT, z);
  ts_pool_release(pool, z);
  ts_free(paths);
  ts_free(z); // <- BUG
  ts_pool_destroy(pool);
}

// BUG: use-after-free: the paths are freed inside the strike loop on its
// last strike and read by the summary after it
void opt_strike_ladder(void) {
  ts_tensor *paths = simulate(&MKT, 400);
  const double ks[] = {90, 100, 110};
  for (int i = 0; i < 3; i++) {
    ts_tensor *pay = call_payoff(paths, ks[i]);
    printf("K=%.0f %.3f\n", ks[i], discounted_mean(&MKT, pay));
    ts_free(pay);
    if (i == 2)
      ts_free(paths);
  }
  ts_tensor *last = ts_select_int(paths, 1, 0); // <- BUG
  ts_free(last);
}
