/* heldout5_multigrid.c - the 1-D Poisson problem -u'' = f by finite
 * differences: Laplacian, restriction and prolongation matrices per level
 * in a malloc'd hierarchy, weighted Jacobi smoothing, a recursive V-cycle,
 * residual norms, and explicit heat-equation time steps.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { N0 = 31, NLEV = 3, NU = 2 };

struct level {
  int n;
  double h;
  ts_tensor *A; /* [n, n] Laplacian */
  ts_tensor
      *R; /* [n/2, n] restriction to the next level, NULL at the coarsest */
  ts_tensor *P; /* [n, n/2] prolongation, NULL at the coarsest */
};

struct hierarchy {
  struct level *lv;
  int nlev;
};

// OK: the tridiagonal Laplacian (2, -1) / h^2 from a host buffer
static ts_tensor *laplacian(int n, double h) {
  float *a = calloc((size_t)(n * n), sizeof *a);
  if (!a)
    return NULL;
  for (int i = 0; i < n; i++) {
    a[i * n + i] = (float)(2.0 / (h * h));
    if (i > 0)
      a[i * n + i - 1] = (float)(-1.0 / (h * h));
    if (i + 1 < n)
      a[i * n + i + 1] = (float)(-1.0 / (h * h));
  }
  ts_tensor *t = ts_from_buffer(a, TS_SHAPE(n, n), TS_FLOAT32);
  free(a);
  return t;
}

// OK: full-weighting restriction (1/4, 1/2, 1/4)
static ts_tensor *restriction(int n) {
  int m = n / 2;
  float *r = calloc((size_t)(m * n), sizeof *r);
  if (!r)
    return NULL;
  for (int i = 0; i < m; i++) {
    r[i * n + 2 * i] = 0.25f;
    r[i * n + 2 * i + 1] = 0.5f;
    r[i * n + 2 * i + 2] = 0.25f;
  }
  ts_tensor *t = ts_from_buffer(r, TS_SHAPE(m, n), TS_FLOAT32);
  free(r);
  return t;
}

// OK: the hierarchy owns every matrix; a failure frees the levels built so far
static int hierarchy_build(struct hierarchy *hy, int n0, int nlev) {
  hy->lv = calloc((size_t)nlev, sizeof *hy->lv);
  if (!hy->lv)
    return -1;
  hy->nlev = nlev;
  int n = n0;
  for (int l = 0; l < nlev; l++, n /= 2) {
    struct level *L = &hy->lv[l];
    L->n = n;
    L->h = 1.0 / (n + 1);
    L->A = laplacian(n, L->h);
    if (l + 1 < nlev) {
      L->R = restriction(n);
      ts_tensor *rt = ts_transpose(L->R, 0, 1);
      L->P = ts_mul_scalar(rt, 2.0);
      ts_free(rt);
    }
  }
  return 0;
}

// OK: frees every non-null matrix and the level array
static void hierarchy_free(struct hierarchy *hy) {
  for (int l = 0; l < hy->nlev; l++) {
    struct level *L = &hy->lv[l];
    if (L->A)
      ts_free(L->A);
    if (L->R)
      ts_free(L->R);
    if (L->P)
      ts_free(L->P);
  }
  free(hy->lv);
  hy->lv = NULL;
  hy->nlev = 0;
}

// BUG: leak: the level matrices are dropped with the array, only the Laplacians
// freed
static void hierarchy_free_shallow(struct hierarchy *hy) {
  for (int l = 0; l < hy->nlev; l++)
    ts_free(hy->lv[l].A);
  free(hy->lv); // <- BUG
  hy->lv = NULL;
}

// OK: r = f - A u in the caller's scope
TS_CALLER_SCOPE static ts_tensor *
residual(const struct level *L, const ts_tensor *u, const ts_tensor *f) {
  return ts_sub(f, ts_mv(L->A, u));
}

// OK: weighted Jacobi steps; each old iterate is freed, the input is the
// caller's
static ts_tensor *smooth(const struct level *L, const ts_tensor *u0,
                         const ts_tensor *f, int steps) {
  double w = (2.0 / 3.0) * L->h * L->h / 2.0;
  ts_tensor *u = ts_clone(u0);
  for (int s = 0; s < steps; s++) {
    ts_tensor *next;
    TS_SCOPE { next = ts_keep(ts_add(u, ts_mul_scalar(residual(L, u, f), w))); }
    ts_free(u);
    u = next;
  }
  return u;
}

// BUG: use-after-free: the loop frees the iterate and then smooths from it
static ts_tensor *smooth_bad(const struct level *L, const ts_tensor *u0,
                             const ts_tensor *f, int steps) {
  double w = (2.0 / 3.0) * L->h * L->h / 2.0;
  ts_tensor *u = ts_clone(u0);
  for (int s = 0; s < steps; s++) {
    ts_tensor *Au = ts_mv(L->A, u);
    ts_tensor *r = ts_sub(f, Au);
    ts_free(Au);
    ts_free(u);
    ts_tensor *step = ts_mul_scalar(r, w);
    ts_tensor *next = ts_add(u, step); // <- BUG
    ts_free(step);
    ts_free(r);
    u = next;
  }
  return u;
}

// OK: one V-cycle: smooth, restrict the residual, recurse, correct, smooth; a
// new iterate
static ts_tensor *vcycle(const struct hierarchy *hy, int l, const ts_tensor *u0,
                         const ts_tensor *f) {
  const struct level *L = &hy->lv[l];
  if (l == hy->nlev - 1)
    return smooth(L, u0, f, 20);
  ts_tensor *u = smooth(L, u0, f, NU);
  ts_tensor *rc;
  TS_SCOPE { rc = ts_keep(ts_mv(L->R, residual(L, u, f))); }
  ts_tensor *z = ts_zeros(TS_SHAPE(hy->lv[l + 1].n), TS_FLOAT32);
  ts_tensor *ec = vcycle(hy, l + 1, z, rc);
  ts_free(z);
  ts_free(rc);
  ts_tensor *e = ts_mv(L->P, ec);
  ts_free(ec);
  ts_tensor *uc = ts_add(u, e);
  ts_free(u);
  ts_free(e);
  ts_tensor *out = smooth(L, uc, f, NU);
  ts_free(uc);
  return out;
}

// BUG: leak: the restricted residual handed to the coarse level is never freed
static ts_tensor *vcycle_leaky(const struct hierarchy *hy, int l,
                               const ts_tensor *u0, const ts_tensor *f) {
  const struct level *L = &hy->lv[l];
  if (l == hy->nlev - 1)
    return smooth(L, u0, f, 20);
  ts_tensor *u = smooth(L, u0, f, NU);
  ts_tensor *Au = ts_mv(L->A, u);
  ts_tensor *r = ts_sub(f, Au);
  ts_free(Au);
  ts_tensor *rc = ts_mv(L->R, r); // <- BUG
  ts_free(r);
  ts_tensor *z = ts_zeros(TS_SHAPE(hy->lv[l + 1].n), TS_FLOAT32);
  ts_tensor *ec = vcycle(hy, l + 1, z, rc);
  ts_free(z);
  ts_tensor *e = ts_mv(L->P, ec);
  ts_free(ec);
  ts_tensor *uc = ts_add(u, e);
  ts_free(e);
  ts_free(u);
  return uc;
}

// BUG: double-free: the pre-smoothed iterate is freed after the correction and
// again at the end
static ts_tensor *two_grid(const struct hierarchy *hy, const ts_tensor *u0,
                           const ts_tensor *f) {
  const struct level *L = &hy->lv[0];
  ts_tensor *u = smooth(L, u0, f, NU);
  ts_tensor *rc;
  TS_SCOPE { rc = ts_keep(ts_mv(L->R, residual(L, u, f))); }
  ts_tensor *z = ts_zeros(TS_SHAPE(hy->lv[1].n), TS_FLOAT32);
  ts_tensor *ec = smooth(&hy->lv[1], z, rc, 30);
  ts_free(z);
  ts_free(rc);
  ts_tensor *e = ts_mv(L->P, ec);
  ts_free(ec);
  ts_tensor *uc = ts_add(u, e);
  ts_free(u);
  ts_free(e);
  ts_tensor *out = smooth(L, uc, f, NU);
  ts_free(uc);
  ts_free(u); // <- BUG
  return out;
}

// OK: the residual 2-norm as a double, temporaries in the function's scope
TS_SCOPED static double residual_norm(const struct level *L, const ts_tensor *u,
                                      const ts_tensor *f) {
  ts_tensor *r = residual(L, u, f);
  return sqrt(ts_item(ts_sum(ts_mul(r, r))));
}

// BUG: unescaped-return: the residual vector is owned by the function's scope
TS_SCOPED static ts_tensor *
residual_vec(const struct level *L, const ts_tensor *u, const ts_tensor *f) {
  ts_tensor *r = residual(L, u, f);
  return ts_mul_scalar(r, L->h); // <- BUG
}

// OK: the right-hand side f = pi^2 sin(pi x) on the fine grid
static ts_tensor *rhs(int n) {
  float *v = malloc(sizeof *v * (size_t)n);
  if (!v)
    return NULL;
  for (int i = 0; i < n; i++) {
    double x = (double)(i + 1) / (n + 1);
    v[i] = (float)(M_PI * M_PI * sin(M_PI * x));
  }
  ts_tensor *f = ts_from_buffer(v, TS_SHAPE(n), TS_FLOAT32);
  free(v);
  return f;
}

// OK: V-cycles until the residual drops; each old iterate freed
static ts_tensor *solve(const struct hierarchy *hy, const ts_tensor *f,
                        int maxit) {
  ts_tensor *u = ts_zeros(TS_SHAPE(hy->lv[0].n), TS_FLOAT32);
  for (int it = 0; it < maxit; it++) {
    ts_tensor *next = vcycle(hy, 0, u, f);
    ts_free(u);
    u = next;
    if (residual_norm(&hy->lv[0], u, f) < 1e-3)
      break;
  }
  return u;
}

// OK: explicit heat steps u += k * (-A u); each step's old state freed
static ts_tensor *heat_run(const struct level *L, const ts_tensor *u0,
                           int steps) {
  double k = 0.4 * L->h * L->h;
  ts_tensor *u = ts_clone(u0);
  for (int s = 0; s < steps; s++)
    TS_SCOPE {
      ts_tensor *next = ts_keep(ts_sub(u, ts_mul_scalar(ts_mv(L->A, u), k)));
      ts_free(u);
      u = next;
    }
  return u;
}

// BUG: leak: every heat step overwrites the previous state without freeing it
static ts_tensor *heat_run_leaky(const struct level *L, const ts_tensor *u0,
                                 int steps) {
  double k = 0.4 * L->h * L->h;
  ts_tensor *u = ts_clone(u0);
  for (int s = 0; s < steps; s++) {
    ts_tensor *Au = ts_mv(L->A, u);
    ts_tensor *d = ts_mul_scalar(Au, k);
    ts_free(Au);
    u = ts_sub(u, d); // <- BUG
    ts_free(d);
  }
  return u;
}

// OK: the in-place heat update through the generated sub_ keeps one handle
static void heat_inplace(const struct level *L, ts_tensor *u, int steps) {
  double k = 0.4 * L->h * L->h;
  for (int s = 0; s < steps; s++)
    TS_SCOPE { ts_sub_Tensor_(u, ts_mul_scalar(ts_mv(L->A, u), k), 1.0); }
}

// OK: full solve with the hierarchy freed at the end
void mg5_solve(void) {
  struct hierarchy hy;
  if (hierarchy_build(&hy, N0, NLEV) != 0)
    return;
  ts_tensor *f = rhs(N0);
  ts_tensor *u = solve(&hy, f, 5);
  printf("final residual %.4g\n", residual_norm(&hy.lv[0], u, f));
  ts_free(u);
  ts_free(f);
  hierarchy_free(&hy);
  hierarchy_free(&hy);
}

// OK: drives hierarchy_free_shallow
void mg5_shallow(void) {
  struct hierarchy hy;
  hierarchy_build(&hy, N0, 2);
  hierarchy_free_shallow(&hy);
}

// OK: drives smooth_bad
void mg5_smooth_bad(void) {
  struct hierarchy hy;
  hierarchy_build(&hy, N0, 1);
  ts_tensor *f = rhs(N0);
  ts_tensor *z = ts_zeros(TS_SHAPE(N0), TS_FLOAT32);
  ts_tensor *u = smooth_bad(&hy.lv[0], z, f, 2);
  ts_free(u);
  ts_free(z);
  ts_free(f);
  hierarchy_free(&hy);
}

// OK: drives vcycle_leaky once
void mg5_vcycle_leaky(void) {
  struct hierarchy hy;
  hierarchy_build(&hy, N0, NLEV);
  ts_tensor *f = rhs(N0);
  ts_tensor *z = ts_zeros(TS_SHAPE(N0), TS_FLOAT32);
  ts_tensor *u = vcycle_leaky(&hy, 0, z, f);
  ts_free(u);
  ts_free(z);
  ts_free(f);
  hierarchy_free(&hy);
}

// OK: drives two_grid
void mg5_two_grid(void) {
  struct hierarchy hy;
  hierarchy_build(&hy, N0, 2);
  ts_tensor *f = rhs(N0);
  ts_tensor *z = ts_zeros(TS_SHAPE(N0), TS_FLOAT32);
  ts_tensor *u = two_grid(&hy, z, f);
  ts_free(u);
  ts_free(z);
  ts_free(f);
  hierarchy_free(&hy);
}

// OK: uses and frees residual_vec's result
void mg5_residual_vec(void) {
  struct hierarchy hy;
  hierarchy_build(&hy, N0, 1);
  ts_tensor *f = rhs(N0);
  ts_tensor *z = ts_zeros(TS_SHAPE(N0), TS_FLOAT32);
  ts_tensor *r = residual_vec(&hy.lv[0], z, f);
  printf("r %lld\n", (long long)ts_numel(r));
  ts_free(r);
  ts_free(z);
  ts_free(f);
  hierarchy_free(&hy);
}

// OK: heat equation two ways: scoped steps into a new state, and in place
void mg5_heat(void) {
  struct hierarchy hy;
  hierarchy_build(&hy, N0, 1);
  ts_tensor *u0 = rhs(N0);
  ts_tensor *u = heat_run(&hy.lv[0], u0, 5);
  heat_inplace(&hy.lv[0], u0, 5);
  TS_SCOPE {
    printf("heat diff %.4g\n", ts_item(ts_sum(ts_abs(ts_sub(u, u0)))));
  }
  ts_free(u);
  ts_free(u0);
  hierarchy_free(&hy);
}

// OK: drives heat_run_leaky
void mg5_heat_leaky(void) {
  struct hierarchy hy;
  hierarchy_build(&hy, N0, 1);
  ts_tensor *u0 = rhs(N0);
  ts_tensor *u = heat_run_leaky(&hy.lv[0], u0, 3);
  ts_free(u);
  ts_free(u0);
  hierarchy_free(&hy);
}

// BUG: use-after-scope: the coarse correction is made in a scope and prolonged
// after it
void mg5_coarse_scope(void) {
  struct hierarchy hy;
  hierarchy_build(&hy, N0, 2);
  ts_tensor *f = rhs(N0);
  ts_tensor *z = ts_zeros(TS_SHAPE(N0), TS_FLOAT32);
  ts_tensor *rc;
  TS_SCOPE { rc = ts_mv(hy.lv[0].R, residual(&hy.lv[0], z, f)); }
  ts_tensor *e = ts_mv(hy.lv[0].P, rc); // <- BUG
  ts_free(e);
  ts_free(z);
  ts_free(f);
  hierarchy_free(&hy);
}

// BUG: use-after-free: the fine Laplacian is applied after the hierarchy was
// freed
void mg5_after_free(void) {
  struct hierarchy hy;
  hierarchy_build(&hy, N0, 2);
  const ts_tensor *A = hy.lv[0].A;
  ts_tensor *f = rhs(N0);
  hierarchy_free(&hy);
  ts_tensor *Af = ts_mv(A, f); // <- BUG
  ts_free(Af);
  ts_free(f);
}

// BUG: double-free: the solution aliases the iterate, and both names are freed
void mg5_alias_free(void) {
  struct hierarchy hy;
  hierarchy_build(&hy, N0, NLEV);
  ts_tensor *f = rhs(N0);
  ts_tensor *u = solve(&hy, f, 2);
  ts_tensor *solution = u;
  printf("res %.4g\n", residual_norm(&hy.lv[0], solution, f));
  ts_free(u);
  ts_free(solution); // <- BUG
  ts_free(f);
  hierarchy_free(&hy);
}

// BUG: leak: the right-hand side is rebuilt for a second solve without freeing
// the first
void mg5_two_solves(void) {
  struct hierarchy hy;
  hierarchy_build(&hy, N0, NLEV);
  ts_tensor *f = rhs(N0); // <- BUG
  ts_tensor *u1 = solve(&hy, f, 1);
  f = rhs(N0);
  ts_tensor *u2 = solve(&hy, f, 2);
  printf("two solves %lld %lld\n", (long long)ts_numel(u1),
         (long long)ts_numel(u2));
  ts_free(u1);
  ts_free(u2);
  ts_free(f);
  hierarchy_free(&hy);
}
