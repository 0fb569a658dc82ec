/* heldout3_sparse.c - sparse matrices in coordinate (COO) form: built from
 * dense ones, back to dense, sparse-matrix-vector products with gather and
 * scatter_add, transposes, sums, coalescing, degrees, and a conjugate
 * gradient solver on a sparse symmetric positive definite system.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { DIM = 8 };

struct coo {
  ts_tensor *rows, *cols; /* int64 [nnz] */
  ts_tensor *vals;        /* float64 [nnz] */
  int64_t n, m;
};

// OK: prints a tensor's sum in a guard scope
static void print_sum(const char *what, const ts_tensor *t) {
  TS_SCOPE_GUARD();
  printf("%s %.4f\n", what, ts_item(ts_sum(t)));
}

// OK: a sparse-ish symmetric positive definite matrix, dense
static ts_tensor *spd_dense(void) {
  ts_tensor *b = ts_randn(TS_SHAPE(DIM, DIM), TS_FLOAT64);
  ts_tensor *mask = ts_gt_Scalar(b, 0.5);
  ts_tensor *sp = ts_mul(b, mask);
  ts_free(mask);
  ts_free(b);
  ts_tensor *spt = ts_t(sp);
  ts_tensor *a = ts_matmul(spt, sp);
  ts_free(spt);
  ts_free(sp);
  ts_tensor *eye = ts_eye(DIM, TS_FLOAT64, NULL);
  ts_add_Tensor_(a, eye, 1.0);
  ts_free(eye);
  return a;
}

// OK: COO from a dense matrix; goto cleanup frees the partial results
static int coo_from_dense(struct coo *c, const ts_tensor *dense) {
  ts_tensor *nz = NULL, *r = NULL, *k = NULL, *v = NULL;
  nz = ts_nonzero(dense);
  if (!nz)
    goto fail;
  r = ts_select_int(nz, 1, 0);
  k = ts_select_int(nz, 1, 1);
  if (!r || !k)
    goto fail;
  v = ts_index_Tensor(dense, (const ts_tensor *[]){r, k}, 2);
  if (!v)
    goto fail;
  ts_free(nz);
  c->rows = ts_contiguous(r);
  c->cols = ts_contiguous(k);
  ts_free(r);
  ts_free(k);
  c->vals = v;
  c->n = ts_size(dense, 0);
  c->m = ts_size(dense, 1);
  return 0;
fail:
  if (v)
    ts_free(v);
  if (k)
    ts_free(k);
  if (r)
    ts_free(r);
  if (nz)
    ts_free(nz);
  return -1;
}

// OK: frees the three arrays
static void coo_free(struct coo *c) {
  ts_free(c->rows);
  ts_free(c->cols);
  ts_free(c->vals);
}

// OK: back to dense through an accumulating index_put_
static ts_tensor *coo_to_dense(const struct coo *c) {
  ts_tensor *d = ts_zeros(TS_SHAPE(c->n, c->m), TS_FLOAT64);
  ts_index_put_(d, (const ts_tensor *[]){c->rows, c->cols}, 2, c->vals, true);
  return d;
}

// OK: y = A x: x gathered at the columns, times the values, summed by row
static ts_tensor *spmv(const struct coo *c, const ts_tensor *x) {
  ts_tensor *xc = ts_index_select(x, 0, c->cols);
  ts_tensor *prod = ts_mul(xc, c->vals);
  ts_free(xc);
  ts_tensor *y = ts_zeros(TS_SHAPE(c->n), TS_FLOAT64);
  ts_tensor *out = ts_scatter_add(y, 0, c->rows, prod);
  ts_free(y);
  ts_free(prod);
  return out;
}

// OK: round trip and a product checked against the dense one
void sparse_roundtrip(void) {
  ts_tensor *a = spd_dense();
  struct coo c;
  if (coo_from_dense(&c, a) != 0) {
    ts_free(a);
    return;
  }
  ts_tensor *back = coo_to_dense(&c);
  ts_tensor *x = ts_ones(TS_SHAPE(DIM), TS_FLOAT64);
  ts_tensor *y1 = spmv(&c, x);
  ts_tensor *y2 = ts_mv(a, x);
  ts_tensor *diff = ts_sub(y1, y2);
  print_sum("spmv error", diff);
  print_sum("roundtrip", back);
  ts_free(diff);
  ts_free(y2);
  ts_free(y1);
  ts_free(x);
  ts_free(back);
  coo_free(&c);
  ts_free(a);
}

// BUG: leak: the gathered entries of x are never freed in this variant
static ts_tensor *spmv_scaled(const struct coo *c, const ts_tensor *x,
                              double s) {
  ts_tensor *xc = ts_index_select(x, 0, c->cols); // <- BUG
  ts_tensor *prod = ts_mul(xc, c->vals);
  ts_mul_Scalar_(prod, s);
  ts_tensor *y = ts_zeros(TS_SHAPE(c->n), TS_FLOAT64);
  ts_tensor *out = ts_scatter_add(y, 0, c->rows, prod);
  ts_free(y);
  ts_free(prod);
  return out;
}

// OK: drives the scaled product (the leak is the helper's)
void sparse_scaled(void) {
  ts_tensor *a = spd_dense();
  struct coo c;
  if (coo_from_dense(&c, a) == 0) {
    ts_tensor *x = ts_ones(TS_SHAPE(DIM), TS_FLOAT64);
    ts_tensor *y = spmv_scaled(&c, x, 0.5);
    print_sum("scaled", y);
    ts_free(y);
    ts_free(x);
    coo_free(&c);
  }
  ts_free(a);
}

// OK: a transpose that shares the values and swaps the index arrays: a
// borrowed view of c, never freed on its own
static struct coo coo_transpose_view(const struct coo *c) {
  struct coo t = {c->cols, c->rows, c->vals, c->m, c->n};
  return t;
}

// OK: a transpose that owns copies of everything
static struct coo coo_transpose_copy(const struct coo *c) {
  struct coo t;
  t.rows = ts_clone(c->cols);
  t.cols = ts_clone(c->rows);
  t.vals = ts_clone(c->vals);
  t.n = c->m;
  t.m = c->n;
  return t;
}

// OK: A^T x through the view and through the copy; only the copy is freed
void sparse_transpose(void) {
  ts_tensor *a = spd_dense();
  struct coo c;
  if (coo_from_dense(&c, a) != 0) {
    ts_free(a);
    return;
  }
  struct coo tv = coo_transpose_view(&c);
  struct coo tc = coo_transpose_copy(&c);
  ts_tensor *x = ts_rand(TS_SHAPE(DIM), TS_FLOAT64);
  ts_tensor *y1 = spmv(&tv, x);
  ts_tensor *y2 = spmv(&tc, x);
  print_sum("transpose view", y1);
  print_sum("transpose copy", y2);
  ts_free(y1);
  ts_free(y2);
  ts_free(x);
  coo_free(&tc);
  coo_free(&c);
  ts_free(a);
}

// BUG: double-free: the transposed view shares its tensors with the matrix,
// and both are torn down
void sparse_transpose_both(void) {
  ts_tensor *a = spd_dense();
  struct coo c;
  if (coo_from_dense(&c, a) != 0) {
    ts_free(a);
    return;
  }
  struct coo t = coo_transpose_view(&c);
  ts_tensor *x = ts_rand(TS_SHAPE(DIM), TS_FLOAT64);
  ts_tensor *y = spmv(&t, x);
  print_sum("A^T x", y);
  ts_free(y);
  ts_free(x);
  coo_free(&t);
  coo_free(&c); // <- BUG
  ts_free(a);
}

// OK: scales the values in place; the struct keeps its handles
static void coo_scale(struct coo *c, double s) { ts_mul_Scalar_(c->vals, s); }

// OK: the sum of two COO matrices by concatenation (duplicates allowed)
static struct coo coo_add(const struct coo *a, const struct coo *b) {
  struct coo s;
  s.rows = ts_cat((const ts_tensor *[]){a->rows, b->rows}, 2, 0);
  s.cols = ts_cat((const ts_tensor *[]){a->cols, b->cols}, 2, 0);
  s.vals = ts_cat((const ts_tensor *[]){a->vals, b->vals}, 2, 0);
  s.n = a->n;
  s.m = a->m;
  return s;
}

// OK: sorts the entries by linear index (row-major), in place of the struct
static void coo_sort(struct coo *c) {
  ts_tensor *key = ts_mul_scalar(c->rows, (double)c->m);
  ts_add_Tensor_(key, c->cols, 1.0);
  ts_tensor *order = ts_argsort(key, 0, false);
  ts_free(key);
  ts_tensor *r = ts_index_select(c->rows, 0, order);
  ts_tensor *k = ts_index_select(c->cols, 0, order);
  ts_tensor *v = ts_index_select(c->vals, 0, order);
  ts_free(order);
  coo_free(c);
  c->rows = r;
  c->cols = k;
  c->vals = v;
}

// OK: A + 2A, sorted, compared with 3A dense
void sparse_add_sort(void) {
  ts_tensor *a = spd_dense();
  struct coo c;
  if (coo_from_dense(&c, a) != 0) {
    ts_free(a);
    return;
  }
  struct coo c2 = coo_transpose_copy(&c); /* A is symmetric: A^T = A */
  coo_scale(&c2, 2.0);
  struct coo s = coo_add(&c, &c2);
  coo_sort(&s);
  ts_tensor *d = coo_to_dense(&s);
  ts_tensor *three = ts_mul_scalar(a, 3.0);
  ts_sub_Tensor_(d, three, 1.0);
  print_sum("A + 2A - 3A", d);
  ts_free(three);
  ts_free(d);
  coo_free(&s);
  coo_free(&c2);
  coo_free(&c);
  ts_free(a);
}

// BUG: use-after-free: the sort key is freed, then read again for the count
// of duplicates
static int64_t coo_duplicates(const struct coo *c) {
  ts_tensor *key = ts_mul_scalar(c->rows, (double)c->m);
  ts_add_Tensor_(key, c->cols, 1.0);
  ts_tensor *srt[2];
  if (ts_sort(srt, key, 0, false) != TS_OK) {
    ts_free(key);
    return -1;
  }
  ts_free(srt[1]);
  ts_free(key);
  int64_t n = ts_numel(key); // <- BUG
  ts_tensor *a = ts_narrow(srt[0], 0, 1, n - 1);
  ts_tensor *b = ts_narrow(srt[0], 0, 0, n - 1);
  ts_tensor *gap = ts_sub(a, b);
  ts_tensor *same = ts_eq_Scalar(gap, 0.0);
  ts_free(gap);
  ts_free(a);
  ts_free(b);
  ts_free(srt[0]);
  ts_tensor *cnt = ts_sum(same);
  int64_t dup = (int64_t)ts_item(cnt);
  ts_free(cnt);
  ts_free(same);
  return dup;
}

// OK: duplicates of A + A (the helper is wrong)
void sparse_duplicates(void) {
  ts_tensor *a = spd_dense();
  struct coo c;
  if (coo_from_dense(&c, a) != 0) {
    ts_free(a);
    return;
  }
  struct coo s = coo_add(&c, &c);
  printf("duplicates %lld\n", (long long)coo_duplicates(&s));
  coo_free(&s);
  coo_free(&c);
  ts_free(a);
}

// OK: the fraction of stored entries, in one scope
TS_SCOPED static double density(const struct coo *c) {
  return (double)ts_numel(c->vals) / (double)(c->n * c->m);
}

// BUG: use-after-scope: the degrees are computed in a block and printed
// after it
void sparse_degrees(void) {
  ts_tensor *a = spd_dense();
  struct coo c;
  if (coo_from_dense(&c, a) != 0) {
    ts_free(a);
    return;
  }
  ts_tensor *deg = NULL;
  TS_SCOPE {
    ts_tensor *ones = ts_ones_like(c.vals, TS_NO_DTYPE, NULL);
    ts_tensor *z = ts_zeros(TS_SHAPE(c.n), TS_FLOAT64);
    deg = ts_scatter_add(z, 0, c.rows, ones);
    printf("density %.3f\n", density(&c));
  }
  print_sum("degrees", deg); // <- BUG
  coo_free(&c);
  ts_free(a);
}

// OK: row sums escaped out of the scoped helper
TS_SCOPED static ts_tensor *row_sums(const struct coo *c) {
  ts_tensor *ones = ts_ones(TS_SHAPE(c->m), TS_FLOAT64);
  return ts_escape(spmv(c, ones));
}

// BUG: unescaped-return: column sums are returned from the scoped helper
// without ts_escape
TS_SCOPED static ts_tensor *col_sums(const struct coo *c) {
  struct coo t = coo_transpose_view(c);
  ts_tensor *ones = ts_ones(TS_SHAPE(c->n), TS_FLOAT64);
  return spmv(&t, ones); // <- BUG
}

// OK: row sums used and freed
void sparse_row_sums(void) {
  ts_tensor *a = spd_dense();
  struct coo c;
  if (coo_from_dense(&c, a) == 0) {
    ts_tensor *r = row_sums(&c);
    print_sum("row sums", r);
    ts_free(r);
    coo_free(&c);
  }
  ts_free(a);
}

// OK: column sums used as if escaped (the helper is wrong)
void sparse_col_sums(void) {
  ts_tensor *a = spd_dense();
  struct coo c;
  if (coo_from_dense(&c, a) == 0) {
    ts_tensor *s = col_sums(&c);
    print_sum("col sums", s);
    ts_free(s);
    coo_free(&c);
  }
  ts_free(a);
}

// OK: the dot product of two vectors as a double
static double dotd(const ts_tensor *a, const ts_tensor *b) {
  ts_tensor *d = ts_dot(a, b);
  double v = ts_item(d);
  ts_free(d);
  return v;
}

// OK: conjugate gradient; x, r, p replaced every iteration, freed on the
// converged break too
static ts_tensor *cg_solve(const struct coo *A, const ts_tensor *b,
                           double tol) {
  ts_tensor *x = ts_zeros(TS_SHAPE(A->n), TS_FLOAT64);
  ts_tensor *r = ts_clone(b);
  ts_tensor *p = ts_clone(b);
  double rr = dotd(r, r);
  for (int it = 0; it < 50; it++) {
    ts_tensor *Ap = spmv(A, p);
    double alpha = rr / dotd(p, Ap);
    ts_add_Tensor_(x, p, alpha);
    ts_sub_Tensor_(r, Ap, alpha);
    ts_free(Ap);
    double rr_new = dotd(r, r);
    if (sqrt(rr_new) < tol)
      break;
    ts_tensor *pn = ts_add_Tensor(r, p, rr_new / rr);
    ts_free(p);
    p = pn;
    rr = rr_new;
  }
  ts_free(r);
  ts_free(p);
  return x;
}

// OK: CG against the dense solve
void sparse_cg(void) {
  ts_tensor *a = spd_dense();
  struct coo c;
  if (coo_from_dense(&c, a) != 0) {
    ts_free(a);
    return;
  }
  ts_tensor *b = ts_ones(TS_SHAPE(DIM), TS_FLOAT64);
  ts_tensor *x = cg_solve(&c, b, 1e-8);
  ts_tensor *ax = spmv(&c, x);
  ts_sub_Tensor_(ax, b, 1.0);
  print_sum("cg residual", ax);
  ts_free(ax);
  ts_free(x);
  ts_free(b);
  coo_free(&c);
  ts_free(a);
}

// BUG: leak: the product A p is not freed when the loop stops on convergence
static ts_tensor *cg_solve_early(const struct coo *A, const ts_tensor *b,
                                 double tol) {
  ts_tensor *x = ts_zeros(TS_SHAPE(A->n), TS_FLOAT64);
  ts_tensor *r = ts_clone(b);
  ts_tensor *p = ts_clone(b);
  double rr = dotd(r, r);
  for (int it = 0; it < 50; it++) {
    ts_tensor *Ap = spmv(A, p); // <- BUG
    double alpha = rr / dotd(p, Ap);
    ts_add_Tensor_(x, p, alpha);
    ts_sub_Tensor_(r, Ap, alpha);
    double rr_new = dotd(r, r);
    if (sqrt(rr_new) < tol)
      break;
    ts_free(Ap);
    ts_tensor *pn = ts_add_Tensor(r, p, rr_new / rr);
    ts_free(p);
    p = pn;
    rr = rr_new;
  }
  ts_free(r);
  ts_free(p);
  return x;
}

// OK: drives the early-stopping CG (the leak is the solver's)
void sparse_cg_early(void) {
  ts_tensor *a = spd_dense();
  struct coo c;
  if (coo_from_dense(&c, a) != 0) {
    ts_free(a);
    return;
  }
  ts_tensor *b = ts_ones(TS_SHAPE(DIM), TS_FLOAT64);
  ts_tensor *x = cg_solve_early(&c, b, 1e-3);
  print_sum("cg x", x);
  ts_free(x);
  ts_free(b);
  coo_free(&c);
  ts_free(a);
}

// BUG: leak: the dense copy made for checking is lost when the matrix is
// found empty
static int coo_check(const struct coo *c) {
  ts_tensor *d = coo_to_dense(c); // <- BUG
  if (ts_numel(c->vals) <= c->n)
    return -1;
  print_sum("check", d);
  ts_free(d);
  return 0;
}

// OK: checks a nearly empty matrix (the helper leaks on that path)
void sparse_check_empty(void) {
  ts_tensor *a = ts_zeros(TS_SHAPE(DIM, DIM), TS_FLOAT64);
  ts_tensor *one = ts_select_int(a, 0, 0);
  ts_fill_Scalar_(one, 1.0);
  ts_free(one);
  struct coo c;
  if (coo_from_dense(&c, a) == 0) {
    if (coo_check(&c) != 0)
      fprintf(stderr, "too sparse\n");
    coo_free(&c);
  }
  ts_free(a);
}

// BUG: leak: the dense copy used for checking is never freed
void sparse_dense_check_leak(void) {
  ts_tensor *a = spd_dense();
  struct coo c;
  if (coo_from_dense(&c, a) != 0) {
    ts_free(a);
    return;
  }
  ts_tensor *back = coo_to_dense(&c); // <- BUG
  print_sum("back", back);
  coo_free(&c);
  ts_free(a);
}

// BUG: double-free: the values are freed by hand before the teardown
void sparse_vals_twice(void) {
  ts_tensor *a = spd_dense();
  struct coo c;
  if (coo_from_dense(&c, a) == 0) {
    print_sum("vals", c.vals);
    ts_free(c.vals);
    coo_free(&c); // <- BUG
  }
  ts_free(a);
}

// BUG: use-after-free: the matrix is torn down before the product
void sparse_spmv_after_free(void) {
  ts_tensor *a = spd_dense();
  struct coo c;
  if (coo_from_dense(&c, a) != 0) {
    ts_free(a);
    return;
  }
  ts_tensor *x = ts_ones(TS_SHAPE(DIM), TS_FLOAT64);
  coo_free(&c);
  ts_tensor *y = spmv(&c, x); // <- BUG
  ts_free(y);
  ts_free(x);
  ts_free(a);
}

// BUG: leak: the sum of two matrices is sorted and dropped
void sparse_sum_dropped(void) {
  ts_tensor *a = spd_dense();
  struct coo c;
  if (coo_from_dense(&c, a) != 0) {
    ts_free(a);
    return;
  }
  struct coo s = coo_add(&c, &c); // <- BUG
  coo_sort(&s);
  printf("nnz %lld\n", (long long)ts_numel(s.vals));
  coo_free(&c);
  ts_free(a);
}

// BUG: double-free: the CG solution is freed in the residual check and
// again at the end
void sparse_cg_twice(void) {
  ts_tensor *a = spd_dense();
  struct coo c;
  if (coo_from_dense(&c, a) != 0) {
    ts_free(a);
    return;
  }
  ts_tensor *b = ts_ones(TS_SHAPE(DIM), TS_FLOAT64);
  ts_tensor *x = cg_solve(&c, b, 1e-8);
  ts_tensor *ax = spmv(&c, x);
  ts_free(x);
  ts_sub_Tensor_(ax, b, 1.0);
  print_sum("residual", ax);
  ts_free(ax);
  ts_free(x); // <- BUG
  ts_free(b);
  coo_free(&c);
  ts_free(a);
}
