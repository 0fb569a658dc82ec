/* heldout4_krylov.c - matrix-free Krylov solvers: linear operators given as
 * callbacks (a dense matrix, a periodic 1-d Laplacian, a Jacobi-scaled
 * operator), restarted GMRES with the Arnoldi basis in a malloc'd array and
 * the small least-squares problem in doubles, conjugate gradients with
 * in-place updates, Lanczos for extreme eigenvalues, power iteration and
 * several right-hand sides solved column by column.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { N = 16, KMAX = 8 };

/* y = A x as a new tensor the caller owns. */
typedef ts_tensor *(*matvec_fn)(void *ctx, const ts_tensor *x);

struct linop {
  matvec_fn apply;
  void *ctx;
  int64_t n;
};

struct dense_ctx {
  ts_tensor *A; /* owned when own is set */
  bool own;
};

struct krylov {
  ts_tensor **V; /* up to m + 1 basis vectors, owned */
  double *H;     /* (m + 1) x m, row-major */
  int m, k;      /* k vectors made */
};

// OK: the dense matrix-vector product, for the caller
static ts_tensor *dense_apply(void *ctx, const ts_tensor *x) {
  const struct dense_ctx *d = ctx;
  return ts_mv(d->A, x);
}

// OK: (2 + shift) x - x[i-1] - x[i+1] with periodic ends; the rolls live in
// a guard scope and the result is kept
static ts_tensor *laplace_apply(void *ctx, const ts_tensor *x) {
  double shift = *(const double *)ctx;
  TS_SCOPE_GUARD();
  ts_tensor *l = ts_roll(x, TS_SHAPE(1), TS_SHAPE(0));
  ts_tensor *r = ts_roll(x, TS_SHAPE(-1), TS_SHAPE(0));
  ts_tensor *y = ts_sub(ts_sub(ts_mul_scalar(x, 2.0 + shift), l), r);
  return ts_keep(y);
}

// OK: a diagonally dominant random matrix
static ts_tensor *make_matrix(int64_t n) {
  ts_tensor *A = ts_randn(TS_SHAPE(n, n), TS_FLOAT32);
  ts_tensor *I = ts_eye(n, TS_FLOAT32, NULL);
  ts_mul_Scalar_(A, 0.1);
  ts_add_Tensor_(A, I, 2.0);
  ts_free(I);
  return A;
}

// OK: an empty basis of m + 1 slots and a zeroed H
static int krylov_init(struct krylov *kr, int m) {
  kr->V = calloc((size_t)m + 1, sizeof *kr->V);
  kr->H = calloc((size_t)(m + 1) * m, sizeof *kr->H);
  kr->m = m;
  kr->k = 0;
  if (!kr->V || !kr->H) {
    free(kr->V);
    free(kr->H);
    return -1;
  }
  return 0;
}

// OK: frees the k basis vectors and both arrays
static void krylov_free(struct krylov *kr) {
  for (int i = 0; i < kr->k; i++)
    ts_free(kr->V[i]);
  free(kr->V);
  free(kr->H);
  kr->V = NULL;
  kr->H = NULL;
  kr->k = 0;
}

// OK: a dot product as a double, the 0-d result freed
static double dotd(const ts_tensor *a, const ts_tensor *b) {
  ts_tensor *d = ts_dot(a, b);
  double v = ts_item(d);
  ts_free(d);
  return v;
}

// OK: the 2-norm as a double
static double norm2(const ts_tensor *a) { return sqrt(dotd(a, a)); }

// OK: Arnoldi with modified Gram-Schmidt: each new vector is the operator's
// result orthogonalised in place and then owned by the basis
static int arnoldi(const struct linop *op, struct krylov *kr,
                   const ts_tensor *r0, double beta) {
  kr->V[0] = ts_mul_scalar(r0, 1.0 / beta);
  kr->k = 1;
  for (int j = 0; j < kr->m; j++) {
    ts_tensor *w = op->apply(op->ctx, kr->V[j]);
    for (int i = 0; i <= j; i++) {
      double h = dotd(w, kr->V[i]);
      kr->H[i * kr->m + j] = h;
      ts_sub_Tensor_(w, kr->V[i], h);
    }
    double hn = norm2(w);
    kr->H[(j + 1) * kr->m + j] = hn;
    if (hn < 1e-10) {
      ts_free(w);
      return j + 1;
    }
    ts_mul_Scalar_(w, 1.0 / hn);
    kr->V[kr->k++] = w;
  }
  return kr->m;
}

// OK: min |beta e1 - H y| by Givens rotations, in doubles
static void solve_ls(const double *H0, int m, int k, double beta, double *y) {
  double H[(KMAX + 1) * KMAX], g[KMAX + 1] = {0};
  memcpy(H, H0, sizeof(double) * (size_t)(m + 1) * m);
  g[0] = beta;
  for (int j = 0; j < k; j++) {
    double a = H[j * m + j], b = H[(j + 1) * m + j];
    double r = hypot(a, b), c = a / r, s = b / r;
    for (int c2 = j; c2 < k; c2++) {
      double t1 = H[j * m + c2], t2 = H[(j + 1) * m + c2];
      H[j * m + c2] = c * t1 + s * t2;
      H[(j + 1) * m + c2] = -s * t1 + c * t2;
    }
    double g1 = g[j], g2 = g[j + 1];
    g[j] = c * g1 + s * g2;
    g[j + 1] = -s * g1 + c * g2;
  }
  for (int i = k - 1; i >= 0; i--) {
    double acc = g[i];
    for (int j = i + 1; j < k; j++)
      acc -= H[i * m + j] * y[j];
    y[i] = acc / H[i * m + i];
  }
}

// OK: restarted GMRES: the residual and the basis of each cycle are freed
// before the next; x is the caller's
static ts_tensor *gmres(const struct linop *op, const ts_tensor *b,
                        const ts_tensor *x0, int m, double tol, int cycles) {
  ts_tensor *x = ts_clone(x0);
  for (int c = 0; c < cycles; c++) {
    ts_tensor *Ax = op->apply(op->ctx, x);
    ts_tensor *r = ts_sub(b, Ax);
    ts_free(Ax);
    double beta = norm2(r);
    if (beta < tol) {
      ts_free(r);
      break;
    }
    struct krylov kr;
    if (krylov_init(&kr, m) != 0) {
      ts_free(r);
      break;
    }
    int k = arnoldi(op, &kr, r, beta);
    ts_free(r);
    double y[KMAX];
    solve_ls(kr.H, m, k, beta, y);
    for (int i = 0; i < k && i < kr.k; i++)
      ts_add_Tensor_(x, kr.V[i], y[i]);
    krylov_free(&kr);
  }
  return x;
}

// OK: the residual norm, temporaries in the function's scope
TS_SCOPED static double residual_norm(const struct linop *op,
                                      const ts_tensor *b, const ts_tensor *x) {
  ts_tensor *Ax = op->apply(op->ctx, x);
  ts_scope_register_tensor(Ax);
  return norm2(ts_sub(b, Ax));
}

// OK: GMRES on a dense system
void kry_dense_solve(void) {
  ts_manual_seed(31);
  struct dense_ctx d = {make_matrix(N), true};
  struct linop op = {dense_apply, &d, N};
  ts_tensor *b = ts_randn(TS_SHAPE(N), TS_FLOAT32);
  ts_tensor *x0 = ts_zeros(TS_SHAPE(N), TS_FLOAT32);
  ts_tensor *x = gmres(&op, b, x0, KMAX, 1e-6, 4);
  printf("dense residual %.2e\n", residual_norm(&op, b, x));
  ts_free(x);
  ts_free(x0);
  ts_free(b);
  ts_free(d.A);
}

// OK: GMRES on the matrix-free Laplacian
void kry_laplace_solve(void) {
  double shift = 0.5;
  struct linop op = {laplace_apply, &shift, N};
  ts_tensor *b = ts_ones(TS_SHAPE(N), TS_FLOAT32);
  ts_tensor *x0 = ts_zeros(TS_SHAPE(N), TS_FLOAT32);
  ts_tensor *x = gmres(&op, b, x0, KMAX, 1e-6, 6);
  printf("laplace residual %.2e\n", residual_norm(&op, b, x));
  ts_free(x);
  ts_free(x0);
  ts_free(b);
}

// BUG: leak: the second cycle reuses the krylov struct without freeing the
// first cycle's basis
void kry_restart_leak(void) {
  double shift = 0.5;
  struct linop op = {laplace_apply, &shift, N};
  ts_tensor *r = ts_ones(TS_SHAPE(N), TS_FLOAT32);
  struct krylov kr;
  for (int c = 0; c < 2; c++) {
    if (krylov_init(&kr, 4) != 0) // <- BUG
      break;
    arnoldi(&op, &kr, r, norm2(r));
  }
  krylov_free(&kr);
  ts_free(r);
}

// BUG: double-free: the last product of power iteration is freed in the
// loop, and again after it
void kry_power_iteration(void) {
  double shift = 0.0;
  struct linop op = {laplace_apply, &shift, N};
  ts_tensor *v = ts_rand(TS_SHAPE(N), TS_FLOAT32);
  ts_tensor *w = NULL;
  double lambda = 0.0;
  for (int it = 0; it < 20; it++) {
    w = op.apply(op.ctx, v);
    lambda = dotd(w, v) / dotd(v, v);
    ts_free(v);
    v = ts_mul_scalar(w, 1.0 / norm2(w));
    ts_free(w);
  }
  printf("largest eigenvalue about %.3f\n", lambda);
  ts_free(w); // <- BUG
  ts_free(v);
}

// BUG: use-after-free: the first basis vector is read after krylov_free
void kry_basis_after_free(void) {
  double shift = 0.5;
  struct linop op = {laplace_apply, &shift, N};
  ts_tensor *r = ts_ones(TS_SHAPE(N), TS_FLOAT32);
  struct krylov kr;
  if (krylov_init(&kr, 4) == 0) {
    arnoldi(&op, &kr, r, norm2(r));
    ts_tensor *v0 = kr.V[0];
    krylov_free(&kr);
    printf("|v0| = %.3f\n", norm2(v0)); // <- BUG
  }
  ts_free(r);
}

// BUG: unescaped-return: the residual vector is made in the function's
// scope and returned without ts_escape
TS_SCOPED static ts_tensor *
residual_vec(const struct linop *op, const ts_tensor *b, const ts_tensor *x) {
  ts_tensor *Ax = op->apply(op->ctx, x);
  ts_scope_register_tensor(Ax);
  return ts_sub(b, Ax); // <- BUG
}

// OK: uses and frees the vector residual returns
void kry_residual_vector(void) {
  double shift = 0.5;
  struct linop op = {laplace_apply, &shift, N};
  ts_tensor *b = ts_ones(TS_SHAPE(N), TS_FLOAT32);
  ts_tensor *x = ts_zeros(TS_SHAPE(N), TS_FLOAT32);
  ts_tensor *r = residual_vec(&op, b, x);
  printf("initial residual %.3f\n", norm2(r));
  ts_free(r);
  ts_free(x);
  ts_free(b);
}

// BUG: use-after-scope: the operator's product is registered in the
// block's scope and read after it
void kry_product_scope(void) {
  double shift = 0.5;
  struct linop op = {laplace_apply, &shift, N};
  ts_tensor *x = ts_ones(TS_SHAPE(N), TS_FLOAT32);
  ts_tensor *Ax = NULL;
  TS_SCOPE {
    Ax = op.apply(op.ctx, x);
    ts_scope_register_tensor(Ax);
    printf("|Ax| = %.3f\n", norm2(Ax));
  }
  printf("x.Ax = %.3f\n", dotd(x, Ax)); // <- BUG
  ts_free(x);
}

// OK: conjugate gradients, x, r and p updated in place, A p freed each
// iteration on both ways out
static ts_tensor *cg(const struct linop *op, const ts_tensor *b, int iters,
                     double tol) {
  ts_tensor *x = ts_zeros_like(b, TS_NO_DTYPE, NULL);
  ts_tensor *r = ts_clone(b);
  ts_tensor *p = ts_clone(b);
  double rr = dotd(r, r);
  for (int k = 0; k < iters; k++) {
    ts_tensor *Ap = op->apply(op->ctx, p);
    double alpha = rr / dotd(p, Ap);
    ts_add_Tensor_(x, p, alpha);
    ts_sub_Tensor_(r, Ap, alpha);
    ts_free(Ap);
    double rr_new = dotd(r, r);
    if (sqrt(rr_new) < tol)
      break;
    ts_mul_Scalar_(p, rr_new / rr);
    ts_add_Tensor_(p, r, 1.0);
    rr = rr_new;
  }
  ts_free(p);
  ts_free(r);
  return x;
}

// OK: CG on the shifted Laplacian
void kry_cg(void) {
  double shift = 0.1;
  struct linop op = {laplace_apply, &shift, N};
  ts_tensor *b = ts_randn(TS_SHAPE(N), TS_FLOAT32);
  ts_tensor *x = cg(&op, b, 50, 1e-6);
  printf("cg residual %.2e\n", residual_norm(&op, b, x));
  ts_free(x);
  ts_free(b);
}

// BUG: leak: on convergence the loop breaks before A p is freed
void kry_cg_early(void) {
  double shift = 1.0;
  struct linop op = {laplace_apply, &shift, N};
  ts_tensor *b = ts_ones(TS_SHAPE(N), TS_FLOAT32);
  ts_tensor *x = ts_zeros_like(b, TS_NO_DTYPE, NULL);
  ts_tensor *r = ts_clone(b);
  ts_tensor *p = ts_clone(b);
  double rr = dotd(r, r);
  for (int k = 0; k < 50; k++) {
    ts_tensor *Ap = op.apply(op.ctx, p); // <- BUG
    double alpha = rr / dotd(p, Ap);
    ts_add_Tensor_(x, p, alpha);
    ts_sub_Tensor_(r, Ap, alpha);
    double rr_new = dotd(r, r);
    if (sqrt(rr_new) < 1e-3)
      break;
    ts_free(Ap);
    ts_mul_Scalar_(p, rr_new / rr);
    ts_add_Tensor_(p, r, 1.0);
    rr = rr_new;
  }
  ts_free(p);
  ts_free(r);
  ts_free(x);
  ts_free(b);
}

struct jacobi_ctx {
  const struct linop *inner;
  ts_tensor *dinv; /* 1 / diag(A), owned */
};

// OK: the Jacobi-scaled operator D^-1 A, for the caller
static ts_tensor *jacobi_apply(void *ctx, const ts_tensor *x) {
  const struct jacobi_ctx *j = ctx;
  ts_tensor *y = j->inner->apply(j->inner->ctx, x);
  ts_mul_Tensor_(y, j->dinv);
  return y;
}

// OK: GMRES on the scaled system D^-1 A x = D^-1 b
void kry_jacobi(void) {
  struct dense_ctx d = {make_matrix(N), true};
  struct linop A = {dense_apply, &d, N};
  ts_tensor *diag = ts_diagonal(d.A, 0, 0, 1);
  struct jacobi_ctx j = {&A, ts_reciprocal(diag)};
  ts_free(diag);
  struct linop M = {jacobi_apply, &j, N};
  ts_tensor *b = ts_randn(TS_SHAPE(N), TS_FLOAT32);
  ts_tensor *mb = ts_mul(b, j.dinv);
  ts_tensor *x0 = ts_zeros(TS_SHAPE(N), TS_FLOAT32);
  ts_tensor *x = gmres(&M, mb, x0, KMAX, 1e-6, 3);
  printf("jacobi residual %.2e\n", residual_norm(&A, b, x));
  ts_free(x);
  ts_free(x0);
  ts_free(mb);
  ts_free(b);
  ts_free(j.dinv);
  ts_free(d.A);
}

// OK: a heap operator that owns its matrix
static struct linop *linop_dense_new(ts_tensor *A) {
  struct linop *op = malloc(sizeof *op);
  struct dense_ctx *d = malloc(sizeof *d);
  if (!op || !d) {
    free(op);
    free(d);
    return NULL;
  }
  d->A = A;
  d->own = true;
  op->apply = dense_apply;
  op->ctx = d;
  op->n = ts_size(A, 0);
  return op;
}

// OK: frees the matrix when the operator owns it, then the structs
static void linop_free(struct linop *op) {
  struct dense_ctx *d = op->ctx;
  if (d->own)
    ts_free(d->A);
  free(d);
  free(op);
}

// OK: a heap operator solved with and freed once
void kry_heap_operator(void) {
  ts_tensor *A = make_matrix(N);
  struct linop *op = linop_dense_new(A);
  if (!op) {
    ts_free(A);
    return;
  }
  ts_tensor *b = ts_ones(TS_SHAPE(N), TS_FLOAT32);
  ts_tensor *x = cg(op, b, 30, 1e-6);
  printf("heap op residual %.2e\n", residual_norm(op, b, x));
  ts_free(x);
  ts_free(b);
  linop_free(op);
}

// BUG: use-after-free: a second operator borrows the matrix of the first,
// which is freed before the borrower is applied
void kry_borrowed_matrix(void) {
  ts_tensor *A = make_matrix(N);
  struct linop *owner = linop_dense_new(A);
  if (!owner) {
    ts_free(A);
    return;
  }
  struct dense_ctx view = {A, false};
  struct linop borrower = {dense_apply, &view, N};
  linop_free(owner);
  ts_tensor *b = ts_ones(TS_SHAPE(N), TS_FLOAT32);
  ts_tensor *y = borrower.apply(borrower.ctx, b); // <- BUG
  ts_free(y);
  ts_free(b);
}

// OK: Lanczos: the three-term recurrence hands vectors on, freeing the
// oldest each step
void kry_lanczos(void) {
  double shift = 0.0;
  struct linop op = {laplace_apply, &shift, N};
  ts_tensor *v_prev = ts_zeros(TS_SHAPE(N), TS_FLOAT32);
  ts_tensor *v = ts_rand(TS_SHAPE(N), TS_FLOAT32);
  ts_mul_Scalar_(v, 1.0 / norm2(v));
  double alpha[KMAX], beta_prev = 0.0;
  for (int k = 0; k < KMAX; k++) {
    ts_tensor *w = op.apply(op.ctx, v);
    alpha[k] = dotd(w, v);
    ts_sub_Tensor_(w, v, alpha[k]);
    ts_sub_Tensor_(w, v_prev, beta_prev);
    beta_prev = norm2(w);
    ts_mul_Scalar_(w, 1.0 / beta_prev);
    ts_free(v_prev);
    v_prev = v;
    v = w;
  }
  printf("alpha[0] %.3f alpha[last] %.3f\n", alpha[0], alpha[KMAX - 1]);
  ts_free(v);
  ts_free(v_prev);
}

// BUG: leak: the rotation overwrites v_prev without freeing the vector it
// held
void kry_lanczos_leak(void) {
  double shift = 0.0;
  struct linop op = {laplace_apply, &shift, N};
  ts_tensor *v_prev = ts_zeros(TS_SHAPE(N), TS_FLOAT32);
  ts_tensor *v = ts_rand(TS_SHAPE(N), TS_FLOAT32);
  double beta_prev = 0.0;
  for (int k = 0; k < 4; k++) {
    ts_tensor *w = op.apply(op.ctx, v);
    ts_sub_Tensor_(w, v, dotd(w, v));
    ts_sub_Tensor_(w, v_prev, beta_prev);
    beta_prev = norm2(w);
    ts_mul_Scalar_(w, 1.0 / beta_prev);
    v_prev = v; // <- BUG
    v = w;
  }
  ts_free(v);
  ts_free(v_prev);
}

// OK: three right-hand sides solved column by column through views, the
// solutions stacked and freed
void kry_multi_rhs(void) {
  double shift = 0.5;
  struct linop op = {laplace_apply, &shift, N};
  ts_tensor *B = ts_randn(TS_SHAPE(N, 3), TS_FLOAT32);
  ts_tensor *sols[3];
  for (int c = 0; c < 3; c++) {
    ts_tensor *bc = ts_select_int(B, 1, c);
    sols[c] = cg(&op, bc, 40, 1e-6);
    ts_free(bc);
  }
  ts_tensor *X = ts_stack((const ts_tensor *const *)sols, 3, 1);
  for (int c = 0; c < 3; c++)
    ts_free(sols[c]);
  printf("X is %lld x %lld\n", (long long)ts_size(X, 0),
         (long long)ts_size(X, 1));
  ts_free(X);
  ts_free(B);
}

// BUG: double-free: the initial guess is the right-hand side itself, and
// both names are freed
void kry_guess_alias(void) {
  double shift = 0.5;
  struct linop op = {laplace_apply, &shift, N};
  ts_tensor *b = ts_ones(TS_SHAPE(N), TS_FLOAT32);
  ts_tensor *x0 = b;
  ts_tensor *x = gmres(&op, b, x0, 4, 1e-6, 2);
  ts_free(x);
  ts_free(x0);
  ts_free(b); // <- BUG
}

struct check_job {
  const struct linop *op;
  const ts_tensor *b, *x;
  double rel;
};

// OK: the relative residual inside a ts_run job
static void *check_job(void *ctx) {
  struct check_job *j = ctx;
  ts_tensor *Ax = j->op->apply(j->op->ctx, j->x);
  ts_scope_register_tensor(Ax);
  j->rel = norm2(ts_sub(j->b, Ax)) / norm2(j->b);
  return NULL;
}

// OK: checks a CG solution through ts_run
void kry_checked(void) {
  double shift = 0.5;
  struct linop op = {laplace_apply, &shift, N};
  ts_tensor *b = ts_randn(TS_SHAPE(N), TS_FLOAT32);
  ts_tensor *x = cg(&op, b, 40, 1e-6);
  struct check_job j = {&op, b, x, 0.0};
  ts_run(check_job, &j);
  printf("relative residual %.2e\n", j.rel);
  ts_free(x);
  ts_free(b);
}
