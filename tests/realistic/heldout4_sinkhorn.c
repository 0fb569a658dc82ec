/* heldout4_sinkhorn.c - entropic optimal transport: squared-distance cost
 * matrices, Sinkhorn scaling with the plan returned in a struct, the
 * log-domain variant with potentials carried across scoped iterations,
 * marginal errors, an epsilon sweep, barycentric transport maps and a
 * Wasserstein barycentre of histograms on a grid.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { NA = 10, NBB = 12, GRID = 16 };

struct ot_plan {
  ts_tensor *P; /* [n, m], owned */
  double cost;
  int iters;
};

// OK: |x_i - y_j|^2, for the caller
static ts_tensor *cost_matrix(const ts_tensor *x, const ts_tensor *y) {
  ts_tensor *d = ts_cdist(x, y, 2.0, 0);
  ts_tensor *c = ts_mul(d, d);
  ts_free(d);
  return c;
}

// OK: uniform weights summing to one
static ts_tensor *uniform(int64_t n) {
  return ts_full(TS_SHAPE(n), TS_FLOAT32, 1.0 / n);
}

// OK: frees the plan (once: it does not clear it)
static void plan_free(struct ot_plan *pl) { ts_free(pl->P); }

// OK: the sum of P * C as a double
static double plan_cost(const ts_tensor *P, const ts_tensor *C) {
  ts_tensor *pc = ts_mul(P, C);
  ts_tensor *s = ts_sum(pc);
  double v = ts_item(s);
  ts_free(s);
  ts_free(pc);
  return v;
}

// OK: Sinkhorn scaling: u and v replaced each iteration with the old ones
// freed; the kernel and the scalings are freed once the plan is formed
static int sinkhorn(const ts_tensor *a, const ts_tensor *b, const ts_tensor *C,
                    double eps, int iters, struct ot_plan *out) {
  ts_tensor *scaled = ts_mul_scalar(C, -1.0 / eps);
  ts_tensor *K = ts_exp(scaled);
  ts_free(scaled);
  ts_tensor *Kt = ts_t(K);
  ts_tensor *u = ts_ones_like(a, TS_NO_DTYPE, NULL);
  ts_tensor *v = ts_ones_like(b, TS_NO_DTYPE, NULL);
  for (int k = 0; k < iters; k++) {
    ts_tensor *Kv = ts_mv(K, v);
    ts_free(u);
    u = ts_div(a, Kv);
    ts_free(Kv);
    ts_tensor *Ktu = ts_mv(Kt, u);
    ts_free(v);
    v = ts_div(b, Ktu);
    ts_free(Ktu);
  }
  ts_tensor *uc = ts_unsqueeze(u, 1);
  ts_tensor *vr = ts_unsqueeze(v, 0);
  ts_tensor *uK = ts_mul(uc, K);
  out->P = ts_mul(uK, vr);
  out->cost = plan_cost(out->P, C);
  out->iters = iters;
  ts_free(uK);
  ts_free(vr);
  ts_free(uc);
  ts_free(v);
  ts_free(u);
  ts_free(Kt);
  ts_free(K);
  return out->P ? 0 : -1;
}

// OK: two point clouds, the second shifted
static void make_clouds(ts_tensor **x, ts_tensor **y) {
  *x = ts_randn(TS_SHAPE(NA, 2), TS_FLOAT32);
  *y = ts_randn(TS_SHAPE(NBB, 2), TS_FLOAT32);
  ts_add_Scalar_(*y, 1.5, 1.0);
}

// OK: transport between uniform clouds
void ot_uniform(void) {
  ts_tensor *x, *y;
  struct ot_plan pl;
  ts_manual_seed(41);
  make_clouds(&x, &y);
  ts_tensor *a = uniform(NA), *b = uniform(NBB);
  ts_tensor *C = cost_matrix(x, y);
  if (sinkhorn(a, b, C, 0.5, 50, &pl) == 0) {
    printf("transport cost %.3f after %d iterations\n", pl.cost, pl.iters);
    plan_free(&pl);
  }
  ts_free(C);
  ts_free(b);
  ts_free(a);
  ts_free(y);
  ts_free(x);
}

// BUG: leak: the transposed kernel is made anew each iteration and never
// freed
void ot_unbalanced(void) {
  ts_tensor *x, *y;
  make_clouds(&x, &y);
  ts_tensor *a = uniform(NA), *b = uniform(NBB);
  ts_tensor *C = cost_matrix(x, y);
  ts_tensor *K = ts_exp(ts_mul_scalar(C, -2.0));
  ts_tensor *u = ts_ones_like(a, TS_NO_DTYPE, NULL);
  ts_tensor *v = ts_ones_like(b, TS_NO_DTYPE, NULL);
  double rho = 0.8;
  for (int k = 0; k < 10; k++) {
    ts_tensor *Kv = ts_mv(K, v);
    ts_tensor *r = ts_pow_Tensor_Scalar(ts_div(a, Kv), rho);
    ts_free(Kv);
    ts_free(u);
    u = r;
    ts_tensor *Kt = ts_t(K); // <- BUG
    ts_tensor *Ktu = ts_mv(Kt, u);
    ts_free(v);
    v = ts_pow_Tensor_Scalar(ts_div(b, Ktu), rho);
    ts_free(Ktu);
  }
  ts_free(v);
  ts_free(u);
  ts_free(K);
  ts_free(C);
  ts_free(b);
  ts_free(a);
  ts_free(y);
  ts_free(x);
}

// BUG: use-after-free: the kernel is freed with the scalings before the
// plan is formed from it
void ot_plan_late(void) {
  ts_tensor *x, *y;
  make_clouds(&x, &y);
  ts_tensor *C = cost_matrix(x, y);
  ts_tensor *scaled = ts_mul_scalar(C, -2.0);
  ts_tensor *K = ts_exp(scaled);
  ts_free(scaled);
  ts_tensor *u = ts_full(TS_SHAPE(NA, 1), TS_FLOAT32, 0.1);
  ts_tensor *v = ts_full(TS_SHAPE(1, NBB), TS_FLOAT32, 0.1);
  ts_free(K);
  ts_tensor *uK = ts_mul(u, K); // <- BUG
  ts_tensor *P = ts_mul(uK, v);
  ts_free(P);
  ts_free(uK);
  ts_free(v);
  ts_free(u);
  ts_free(C);
  ts_free(y);
  ts_free(x);
}

// BUG: double-free: plan_free does not clear the plan, and it is called
// on the error check and again at the end
void ot_plan_twice(void) {
  ts_tensor *x, *y;
  struct ot_plan pl;
  make_clouds(&x, &y);
  ts_tensor *a = uniform(NA), *b = uniform(NBB);
  ts_tensor *C = cost_matrix(x, y);
  if (sinkhorn(a, b, C, 0.5, 20, &pl) == 0) {
    if (!isfinite(pl.cost) || pl.cost > 0.0)
      plan_free(&pl);
    plan_free(&pl); // <- BUG
  }
  ts_free(C);
  ts_free(b);
  ts_free(a);
  ts_free(y);
  ts_free(x);
}

// BUG: unescaped-return: the row-marginal error is made in the function's
// scope and returned without ts_escape
TS_SCOPED static ts_tensor *marginal_error(const ts_tensor *P,
                                           const ts_tensor *a) {
  ts_tensor *rows = ts_sum_dim_IntList(P, TS_SHAPE(1), false, TS_NO_DTYPE);
  return ts_abs(ts_sub(rows, a)); // <- BUG
}

// OK: uses and frees what marginal_error returns
void ot_marginals(void) {
  ts_tensor *x, *y;
  struct ot_plan pl;
  make_clouds(&x, &y);
  ts_tensor *a = uniform(NA), *b = uniform(NBB);
  ts_tensor *C = cost_matrix(x, y);
  if (sinkhorn(a, b, C, 0.5, 30, &pl) == 0) {
    ts_tensor *err = marginal_error(pl.P, a);
    ts_tensor *mx = ts_max(err);
    printf("max marginal error %.2e\n", ts_item(mx));
    ts_free(mx);
    ts_free(err);
    plan_free(&pl);
  }
  ts_free(C);
  ts_free(b);
  ts_free(a);
  ts_free(y);
  ts_free(x);
}

// OK: log-domain Sinkhorn: the potentials are carried across scoped
// iterations by escaping the new ones and freeing the old
static void log_sinkhorn(const ts_tensor *a, const ts_tensor *b,
                         const ts_tensor *C, double eps, int iters,
                         ts_tensor **f_out, ts_tensor **g_out) {
  ts_tensor *f = ts_zeros_like(a, TS_NO_DTYPE, NULL);
  ts_tensor *g = ts_zeros_like(b, TS_NO_DTYPE, NULL);
  TS_SCOPE for (int k = 0; k < iters; k++) {
    ts_tensor *la = ts_log(a), *lb = ts_log(b);
    ts_tensor *M = ts_div_Scalar(ts_sub(ts_unsqueeze(g, 0), C), eps);
    ts_tensor *nf =
        ts_mul_scalar(ts_sub(la, ts_logsumexp(M, TS_SHAPE(1), false)), eps);
    ts_tensor *M2 = ts_div_Scalar(ts_sub(ts_unsqueeze(nf, 1), C), eps);
    ts_tensor *ng =
        ts_mul_scalar(ts_sub(lb, ts_logsumexp(M2, TS_SHAPE(0), false)), eps);
    ts_free(f);
    ts_free(g);
    f = ts_escape(nf);
    g = ts_escape(ng);
  }
  *f_out = f;
  *g_out = g;
}

// OK: the dual objective from the log-domain potentials
void ot_log_domain(void) {
  ts_tensor *x, *y, *f, *g;
  make_clouds(&x, &y);
  ts_tensor *a = uniform(NA), *b = uniform(NBB);
  ts_tensor *C = cost_matrix(x, y);
  log_sinkhorn(a, b, C, 0.1, 40, &f, &g);
  ts_tensor *fa = ts_dot(f, a), *gb = ts_dot(g, b);
  printf("dual %.3f\n", ts_item(fa) + ts_item(gb));
  ts_free(gb);
  ts_free(fa);
  ts_free(g);
  ts_free(f);
  ts_free(C);
  ts_free(b);
  ts_free(a);
  ts_free(y);
  ts_free(x);
}

// BUG: use-after-scope: the potentials of a short run are made inside a
// scope and used for the dual after it
void ot_potentials_scope(void) {
  ts_tensor *x, *y;
  make_clouds(&x, &y);
  ts_tensor *a = uniform(NA), *b = uniform(NBB);
  ts_tensor *C = cost_matrix(x, y);
  ts_tensor *f = NULL;
  TS_SCOPE {
    ts_tensor *M = ts_div_Scalar(ts_neg(C), 0.1);
    f = ts_mul_scalar(ts_sub(ts_log(a), ts_logsumexp(M, TS_SHAPE(1), false)),
                      0.1);
  }
  ts_tensor *fa = ts_dot(f, a); // <- BUG
  printf("half dual %.3f\n", ts_item(fa));
  ts_free(fa);
  ts_free(C);
  ts_free(b);
  ts_free(a);
  ts_free(y);
  ts_free(x);
}

// OK: the entropic Wasserstein cost of two clouds, in the function's scope
TS_SCOPED static double w2(const ts_tensor *x, const ts_tensor *y, double eps) {
  struct ot_plan pl;
  ts_tensor *C = cost_matrix(x, y);
  ts_scope_register_tensor(C);
  ts_tensor *a = uniform(ts_size(x, 0)), *b = uniform(ts_size(y, 0));
  if (sinkhorn(a, b, C, eps, 40, &pl) != 0)
    return NAN;
  ts_scope_register_tensor(pl.P);
  return sqrt(pl.cost);
}

// OK: the cost over a sweep of epsilons, into doubles
void ot_eps_sweep(void) {
  ts_tensor *x, *y;
  double eps[3] = {1.0, 0.5, 0.25}, out[3];
  make_clouds(&x, &y);
  for (int i = 0; i < 3; i++)
    out[i] = w2(x, y, eps[i]);
  printf("W2: %.3f %.3f %.3f\n", out[0], out[1], out[2]);
  ts_free(y);
  ts_free(x);
}

// BUG: double-free: the plan is freed at the end of each pass, and again
// after the loop
void ot_sweep_plans(void) {
  ts_tensor *x, *y;
  struct ot_plan pl;
  make_clouds(&x, &y);
  ts_tensor *a = uniform(NA), *b = uniform(NBB);
  ts_tensor *C = cost_matrix(x, y);
  for (int i = 0; i < 2; i++) {
    if (sinkhorn(a, b, C, 1.0 / (i + 1), 20, &pl) != 0)
      break;
    printf("eps pass %d cost %.3f\n", i, pl.cost);
    plan_free(&pl);
  }
  plan_free(&pl); // <- BUG
  ts_free(C);
  ts_free(b);
  ts_free(a);
  ts_free(y);
  ts_free(x);
}

// OK: the barycentric map T(x_i) = sum_j P_ij y_j / a_i, for the caller
static ts_tensor *transport_map(const ts_tensor *P, const ts_tensor *y,
                                const ts_tensor *a) {
  TS_SCOPE_GUARD();
  ts_tensor *Py = ts_mm(P, y);
  ts_tensor *T = ts_div(Py, ts_unsqueeze(a, 1));
  return ts_keep(T);
}

// OK: the map of each source point, with a goto cleanup chain
void ot_transport_map(void) {
  ts_tensor *x, *y, *a = NULL, *b = NULL, *C = NULL, *T = NULL;
  struct ot_plan pl = {NULL, 0.0, 0};
  make_clouds(&x, &y);
  a = uniform(NA);
  b = uniform(NBB);
  C = cost_matrix(x, y);
  if (!a || !b || !C)
    goto out;
  if (sinkhorn(a, b, C, 0.3, 50, &pl) != 0)
    goto out;
  T = transport_map(pl.P, y, a);
  if (!T)
    goto out_plan;
  ts_tensor *dx = ts_sub(T, x);
  ts_tensor *shift = ts_mean(dx);
  printf("mean displacement %.3f\n", ts_item(shift));
  ts_free(shift);
  ts_free(dx);
  ts_free(T);
out_plan:
  plan_free(&pl);
out:
  if (C)
    ts_free(C);
  if (b)
    ts_free(b);
  if (a)
    ts_free(a);
  ts_free(y);
  ts_free(x);
}

// BUG: use-after-free: the plan is freed and then the transport map is
// computed from it
void ot_map_after_free(void) {
  ts_tensor *x, *y;
  struct ot_plan pl;
  make_clouds(&x, &y);
  ts_tensor *a = uniform(NA), *b = uniform(NBB);
  ts_tensor *C = cost_matrix(x, y);
  if (sinkhorn(a, b, C, 0.3, 30, &pl) == 0) {
    plan_free(&pl);
    ts_tensor *T = transport_map(pl.P, y, a); // <- BUG
    ts_free(T);
  }
  ts_free(C);
  ts_free(b);
  ts_free(a);
  ts_free(y);
  ts_free(x);
}

// OK: a histogram bump on the grid, normalised
static ts_tensor *bump(double centre, double width) {
  TS_SCOPE_GUARD();
  ts_tensor *g = ts_linspace(0.0, 1.0, GRID, TS_FLOAT32, NULL);
  ts_tensor *d = ts_mul_scalar(ts_add_scalar(g, -centre), 1.0 / width);
  ts_tensor *h = ts_add_scalar(ts_exp(ts_neg(ts_mul(d, d))), 1e-4);
  return ts_keep(ts_div(h, ts_sum(h)));
}

// OK: the barycentre by iterated Bregman projections; the previous
// estimate is freed when replaced, the kernels and scalings at the end
void ot_barycentre(void) {
  ts_tensor *h[2] = {bump(0.2, 0.1), bump(0.8, 0.1)};
  ts_tensor *grid = ts_linspace(0.0, 1.0, GRID, TS_FLOAT32, NULL);
  ts_tensor *g2 = ts_unsqueeze(grid, 1);
  ts_tensor *C = cost_matrix(g2, g2);
  ts_tensor *scaled = ts_mul_scalar(C, -1.0 / 0.05);
  ts_tensor *K = ts_exp(scaled);
  ts_free(scaled);
  ts_tensor *v[2] = {ts_ones(TS_SHAPE(GRID), TS_FLOAT32),
                     ts_ones(TS_SHAPE(GRID), TS_FLOAT32)};
  ts_tensor *bar = NULL;
  for (int it = 0; it < 20; it++) {
    ts_tensor *logsum = ts_zeros(TS_SHAPE(GRID), TS_FLOAT32);
    ts_tensor *u[2];
    for (int k = 0; k < 2; k++) {
      ts_tensor *Kv = ts_mv(K, v[k]);
      u[k] = ts_div(h[k], Kv);
      ts_free(Kv);
      ts_tensor *Ku = ts_mv(K, u[k]);
      ts_tensor *lg = ts_log(Ku);
      ts_add_Tensor_(logsum, lg, 0.5);
      ts_free(lg);
      ts_free(Ku);
    }
    ts_tensor *next = ts_exp(logsum);
    ts_free(logsum);
    for (int k = 0; k < 2; k++) {
      ts_tensor *Ku = ts_mv(K, u[k]);
      ts_free(v[k]);
      v[k] = ts_div(next, Ku);
      ts_free(Ku);
      ts_free(u[k]);
    }
    if (bar)
      ts_free(bar);
    bar = next;
  }
  ts_tensor *peak = ts_argmax(bar);
  printf("barycentre peak at bin %lld\n", (long long)ts_item(peak));
  ts_free(peak);
  ts_free(bar);
  for (int k = 0; k < 2; k++) {
    ts_free(v[k]);
    ts_free(h[k]);
  }
  ts_free(K);
  ts_free(C);
  ts_free(g2);
  ts_free(grid);
}

// BUG: leak: each new barycentre estimate replaces the previous one
// without freeing it
void ot_barycentre_leak(void) {
  ts_tensor *h[2] = {bump(0.3, 0.1), bump(0.7, 0.1)};
  ts_tensor *bar = NULL;
  for (int it = 0; it < 3; it++) {
    ts_tensor *lh0 = ts_log(h[0]), *lh1 = ts_log(h[1]);
    ts_tensor *mix = ts_lerp_Scalar(lh0, lh1, 0.5);
    ts_free(lh1);
    ts_free(lh0);
    bar = ts_exp(mix); // <- BUG
    ts_free(mix);
  }
  ts_tensor *s = ts_sum(bar);
  printf("mass %.3f\n", ts_item(s));
  ts_free(s);
  ts_free(bar);
  ts_free(h[1]);
  ts_free(h[0]);
}

// BUG: leak: the column marginals of the plan are made for the report and
// not freed
void ot_column_mass(void) {
  ts_tensor *x, *y;
  struct ot_plan pl;
  make_clouds(&x, &y);
  ts_tensor *a = uniform(NA), *b = uniform(NBB);
  ts_tensor *C = cost_matrix(x, y);
  if (sinkhorn(a, b, C, 0.5, 30, &pl) == 0) {
    ts_tensor *cols =
        ts_sum_dim_IntList(pl.P, TS_SHAPE(0), false, TS_NO_DTYPE); // <- BUG
    ts_tensor *err = ts_sub(cols, b);
    ts_tensor *n = ts_norm_Scalar(err, 1.0);
    printf("column error %.2e\n", ts_item(n));
    ts_free(n);
    ts_free(err);
    plan_free(&pl);
  }
  ts_free(C);
  ts_free(b);
  ts_free(a);
  ts_free(y);
  ts_free(x);
}

struct w2_job {
  const ts_tensor *x, *y;
  double d;
};

// OK: the distance computed inside a ts_run job
static void *w2_job(void *ctx) {
  struct w2_job *j = ctx;
  j->d = w2(j->x, j->y, 0.5);
  return NULL;
}

// OK: runs the job on a cloud and a shifted copy
void ot_job(void) {
  ts_tensor *x, *y;
  make_clouds(&x, &y);
  struct w2_job j = {x, y, 0.0};
  ts_run(w2_job, &j);
  printf("W2 in a job %.3f\n", j.d);
  ts_free(y);
  ts_free(x);
}
