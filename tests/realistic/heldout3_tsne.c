/* heldout3_tsne.c - t-SNE-like embedding iterations: Gaussian affinities
 * with a per-point bandwidth search, Student-t similarities, the gradient
 * in matrix form, momentum updates with gains, early exaggeration, the KL
 * cost computed in run scopes, centring.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { NPT = 20, HD = 5, LD = 2 };

struct tsne {
  ts_tensor *P;      /* [NPT,NPT] joint affinities */
  ts_tensor *Y;      /* [NPT,LD] embedding */
  ts_tensor *update; /* [NPT,LD] momentum */
  double lr, momentum;
};

// OK: a scalar from a guard scope
static double value(const ts_tensor *t) {
  TS_SCOPE_GUARD();
  return ts_item(ts_sum(t));
}

// OK: squared pairwise distances, for the caller
static ts_tensor *sqdist(const ts_tensor *x) {
  ts_tensor *d = ts_cdist(x, x, 2.0, 0);
  ts_mul_Tensor_(d, d);
  return d;
}

// OK: a matrix with its diagonal set to zero, in place
static void zero_diag(ts_tensor *m) { ts_fill_diagonal_(m, 0.0, false); }

// OK: joint affinities from the data with one bandwidth: row-normalised,
// symmetrised, normalised
static ts_tensor *affinities(const ts_tensor *x, double sigma) {
  ts_tensor *d = sqdist(x);
  ts_tensor *p = ts_mul_scalar(d, -0.5 / (sigma * sigma));
  ts_free(d);
  ts_exp_(p);
  zero_diag(p);
  ts_tensor *rs = ts_sum_dim_IntList(p, TS_SHAPE(1), true, TS_NO_DTYPE);
  ts_div_Tensor_(p, rs);
  ts_free(rs);
  ts_tensor *pt = ts_t(p);
  ts_tensor *sym = ts_add(p, pt);
  ts_free(pt);
  ts_free(p);
  ts_div_Scalar_(sym, 2.0 * NPT);
  return sym;
}

// OK: Student-t kernel 1 / (1 + d2) with a zero diagonal
static ts_tensor *student(const ts_tensor *y) {
  ts_tensor *d = sqdist(y);
  ts_add_Scalar_(d, 1.0, 1.0);
  ts_reciprocal_(d);
  zero_diag(d);
  return d;
}

// OK: the embedding state; goto unwinds a partial init
static int tsne_init(struct tsne *s, const ts_tensor *x) {
  s->P = affinities(x, 1.0);
  if (!s->P)
    return -1;
  s->Y = ts_randn(TS_SHAPE(NPT, LD), TS_FLOAT32);
  if (!s->Y)
    goto fail_p;
  ts_mul_Scalar_(s->Y, 1e-2);
  s->update = ts_zeros(TS_SHAPE(NPT, LD), TS_FLOAT32);
  if (!s->update)
    goto fail_y;
  s->lr = 50.0;
  s->momentum = 0.5;
  return 0;
fail_y:
  ts_free(s->Y);
fail_p:
  ts_free(s->P);
  return -1;
}

// OK: frees the state
static void tsne_free(struct tsne *s) {
  ts_free(s->P);
  ts_free(s->Y);
  ts_free(s->update);
}

// OK: the gradient 4 [(diag(rowsum W) - W) Y], W = (P - Q) * num
static ts_tensor *gradient(const struct tsne *s) {
  ts_tensor *num = student(s->Y);
  ts_tensor *z = ts_sum(num);
  ts_tensor *q = ts_div(num, z);
  ts_free(z);
  ts_tensor *w = ts_sub(s->P, q);
  ts_free(q);
  ts_mul_Tensor_(w, num);
  ts_free(num);
  ts_tensor *rs = ts_sum_dim_IntList(w, TS_SHAPE(1), true, TS_NO_DTYPE);
  ts_tensor *a = ts_mul(rs, s->Y);
  ts_free(rs);
  ts_tensor *b = ts_matmul(w, s->Y);
  ts_free(w);
  ts_tensor *g = ts_sub(a, b);
  ts_free(a);
  ts_free(b);
  ts_mul_Scalar_(g, 4.0);
  return g;
}

// OK: one momentum step on Y, in place
static void step(struct tsne *s) {
  ts_tensor *g = gradient(s);
  ts_mul_Scalar_(s->update, s->momentum);
  ts_sub_Tensor_(s->update, g, s->lr);
  ts_free(g);
  ts_add_Tensor_(s->Y, s->update, 1.0);
}

// OK: the data: two clusters in HD dimensions
static ts_tensor *two_clusters(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(NPT, HD), TS_FLOAT32);
  ts_tensor *half = ts_narrow(x, 0, 0, NPT / 2);
  ts_add_Scalar_(half, 4.0, 1.0);
  ts_free(half);
  return x;
}

// OK: KL(P || Q) in one scope
TS_SCOPED static double kl_cost(const struct tsne *s) {
  ts_tensor *num = student(s->Y);
  ts_tensor *q = ts_div(num, ts_sum(num));
  ts_tensor *ratio =
      ts_div(ts_add_scalar(s->P, 1e-12), ts_add_scalar(q, 1e-12));
  return ts_item(ts_sum(ts_mul(s->P, ts_log(ratio))));
}

// OK: a run of iterations, the cost printed every fifth
void tsne_run(void) {
  ts_tensor *x = two_clusters();
  struct tsne s;
  if (tsne_init(&s, x) != 0) {
    ts_free(x);
    return;
  }
  for (int it = 0; it < 20; it++) {
    step(&s);
    if (it % 5 == 4)
      printf("it %d kl %.4f\n", it, kl_cost(&s));
  }
  tsne_free(&s);
  ts_free(x);
}

// BUG: leak: the inlined step leaks the gradient's Student-t numerators
static void step_inline(struct tsne *s) {
  ts_tensor *num = student(s->Y); // <- BUG
  ts_tensor *z = ts_sum(num);
  ts_tensor *q = ts_div(num, z);
  ts_free(z);
  ts_tensor *w = ts_sub(s->P, q);
  ts_free(q);
  ts_tensor *rs = ts_sum_dim_IntList(w, TS_SHAPE(1), true, TS_NO_DTYPE);
  ts_tensor *a = ts_mul(rs, s->Y);
  ts_tensor *b = ts_matmul(w, s->Y);
  ts_free(rs);
  ts_free(w);
  ts_sub_Tensor_(a, b, 1.0);
  ts_free(b);
  ts_mul_Scalar_(s->update, s->momentum);
  ts_sub_Tensor_(s->update, a, 4.0 * s->lr);
  ts_free(a);
  ts_add_Tensor_(s->Y, s->update, 1.0);
}

// OK: drives the inlined step (the step leaks)
void tsne_run_inline(void) {
  ts_tensor *x = two_clusters();
  struct tsne s;
  if (tsne_init(&s, x) != 0) {
    ts_free(x);
    return;
  }
  for (int it = 0; it < 3; it++)
    step_inline(&s);
  tsne_free(&s);
  ts_free(x);
}

// OK: early exaggeration scales P in place for a few steps, then back
void tsne_exaggerate(void) {
  ts_tensor *x = two_clusters();
  struct tsne s;
  if (tsne_init(&s, x) != 0) {
    ts_free(x);
    return;
  }
  ts_mul_Scalar_(s.P, 4.0);
  for (int it = 0; it < 5; it++)
    step(&s);
  ts_div_Scalar_(s.P, 4.0);
  for (int it = 0; it < 5; it++)
    step(&s);
  printf("kl %.4f\n", kl_cost(&s));
  tsne_free(&s);
  ts_free(x);
}

// BUG: double-free: the exaggerated copy is swapped back, and the original
// is freed by hand while the state still holds it
void tsne_exaggerate_copy(void) {
  ts_tensor *x = two_clusters();
  struct tsne s;
  if (tsne_init(&s, x) != 0) {
    ts_free(x);
    return;
  }
  ts_tensor *orig = s.P;
  s.P = ts_mul_scalar(orig, 4.0);
  for (int it = 0; it < 3; it++)
    step(&s);
  ts_free(s.P);
  s.P = orig;
  step(&s);
  ts_free(orig);
  tsne_free(&s); // <- BUG
  ts_free(x);
}

// OK: the row entropy (in bits) of a Gaussian row with bandwidth sigma
static double row_entropy(const ts_tensor *d2row, double sigma) {
  ts_tensor *p = ts_mul_scalar(d2row, -0.5 / (sigma * sigma));
  ts_exp_(p);
  ts_tensor *z = ts_sum(p);
  ts_div_Tensor_(p, z);
  ts_free(z);
  ts_tensor *pc = ts_clamp_min(p, 1e-12);
  ts_tensor *lp = ts_log(pc);
  ts_free(pc);
  ts_tensor *plp = ts_mul(p, lp);
  ts_free(lp);
  ts_free(p);
  ts_tensor *h = ts_sum(plp);
  ts_free(plp);
  double v = -ts_item(h) / log(2.0);
  ts_free(h);
  return v;
}

// OK: bisection on sigma for each row to reach a target perplexity
void tsne_perplexity(void) {
  ts_tensor *x = two_clusters();
  ts_tensor *d = sqdist(x);
  double target = log2(5.0);
  for (int i = 0; i < 3; i++) {
    ts_tensor *row = ts_select_int(d, 0, i);
    double lo = 0.01, hi = 50.0;
    for (int it = 0; it < 30; it++) {
      double mid = 0.5 * (lo + hi);
      if (row_entropy(row, mid) > target)
        hi = mid;
      else
        lo = mid;
    }
    ts_free(row);
    printf("row %d sigma %.3f\n", i, 0.5 * (lo + hi));
  }
  ts_free(d);
  ts_free(x);
}

// BUG: use-after-free: the distance row is freed inside the search loop once
// the entropy is close, and the next iteration reads it again
void tsne_perplexity_early(void) {
  ts_tensor *x = two_clusters();
  ts_tensor *d = sqdist(x);
  ts_tensor *row = ts_select_int(d, 0, 0);
  double lo = 0.01, hi = 50.0, target = log2(5.0);
  for (int it = 0; it < 30; it++) {
    double mid = 0.5 * (lo + hi);
    double h = row_entropy(row, mid); // <- BUG
    if (fabs(h - target) < 0.5)
      ts_free(row);
    if (h > target)
      hi = mid;
    else
      lo = mid;
  }
  ts_free(d);
  ts_free(x);
}

// OK: the similarity matrix Q, escaped from the guard scope
static ts_tensor *q_matrix(const ts_tensor *y) {
  TS_SCOPE_GUARD();
  ts_tensor *num = student(y);
  return ts_escape(ts_div(num, ts_sum(num)));
}

// BUG: unescaped-return: the unnormalised kernel is returned out of the
// guard scope without ts_escape
static ts_tensor *kernel_matrix(const ts_tensor *y, double dof) {
  TS_SCOPE_GUARD();
  ts_tensor *d = sqdist(y);
  ts_tensor *k = ts_pow_Tensor_Scalar(ts_add_scalar(ts_div_Scalar(d, dof), 1.0),
                                      -(dof + 1) / 2);
  return k; // <- BUG
}

// OK: Q's row sums
void tsne_q(void) {
  ts_tensor *y = ts_randn(TS_SHAPE(NPT, LD), TS_FLOAT32);
  ts_tensor *q = q_matrix(y);
  printf("q total %.4f\n", value(q));
  ts_free(q);
  ts_free(y);
}

// OK: the kernel used as if escaped (the helper is wrong)
void tsne_kernel(void) {
  ts_tensor *y = ts_randn(TS_SHAPE(NPT, LD), TS_FLOAT32);
  ts_tensor *k = kernel_matrix(y, 2.0);
  printf("kernel total %.4f\n", value(k));
  ts_free(k);
  ts_free(y);
}

// BUG: use-after-scope: the neighbour structure from a block is compared
// after it ended
void tsne_neighbours_kept(void) {
  ts_tensor *x = two_clusters();
  struct tsne s;
  if (tsne_init(&s, x) != 0) {
    ts_free(x);
    return;
  }
  ts_tensor *nn_hi = NULL;
  TS_SCOPE {
    ts_tensor *d = sqdist(x);
    ts_fill_diagonal_(d, 1e9, false);
    nn_hi = ts_argmin(d, 1, false);
  }
  for (int it = 0; it < 5; it++)
    step(&s);
  ts_tensor *dl = sqdist(s.Y);
  ts_fill_diagonal_(dl, 1e9, false);
  ts_tensor *nn_lo = ts_argmin(dl, 1, false);
  ts_free(dl);
  ts_tensor *same = ts_eq_Tensor(nn_hi, nn_lo); // <- BUG
  printf("kept neighbours %.0f\n", value(same));
  ts_free(same);
  ts_free(nn_lo);
  tsne_free(&s);
  ts_free(x);
}

struct cost_job {
  const struct tsne *s;
  double kl;
};

// OK: the cost inside a run's scope
static void *cost_job_fn(void *ctx) {
  struct cost_job *j = ctx;
  ts_tensor *num = student(j->s->Y);
  ts_tensor *q = ts_div(num, ts_sum(num));
  ts_tensor *lr =
      ts_log(ts_div(ts_add_scalar(j->s->P, 1e-12), ts_add_scalar(q, 1e-12)));
  j->kl = ts_item(ts_sum(ts_mul(j->s->P, lr)));
  return NULL;
}

// OK: the cost through ts_run after each block of steps
void tsne_cost_jobs(void) {
  ts_tensor *x = two_clusters();
  struct tsne s;
  if (tsne_init(&s, x) != 0) {
    ts_free(x);
    return;
  }
  struct cost_job j = {&s, 0.0};
  for (int blk = 0; blk < 3; blk++) {
    for (int it = 0; it < 3; it++)
      step(&s);
    ts_run(cost_job_fn, &j);
    printf("block %d kl %.4f\n", blk, j.kl);
  }
  tsne_free(&s);
  ts_free(x);
}

// OK: centres the embedding in place
static void centre(struct tsne *s) {
  ts_tensor *m = ts_mean_dim(s->Y, TS_SHAPE(0), true, TS_NO_DTYPE);
  ts_sub_Tensor_(s->Y, m, 1.0);
  ts_free(m);
}

// BUG: leak: the spread is measured after centring and its tensor dropped
static double centre_and_spread(struct tsne *s) {
  centre(s);
  ts_tensor *sd = ts_std(s->Y, true); // <- BUG
  return ts_item(sd);
}

// OK: centred iterations with the spread printed (the helper leaks)
void tsne_centred(void) {
  ts_tensor *x = two_clusters();
  struct tsne s;
  if (tsne_init(&s, x) != 0) {
    ts_free(x);
    return;
  }
  for (int it = 0; it < 4; it++) {
    step(&s);
    centre(&s);
  }
  printf("spread %.4f\n", centre_and_spread(&s));
  tsne_free(&s);
  ts_free(x);
}

// OK: gains per coordinate, kept in a heap array of tensors and freed
void tsne_gains(void) {
  ts_tensor *x = two_clusters();
  struct tsne s;
  if (tsne_init(&s, x) != 0) {
    ts_free(x);
    return;
  }
  ts_tensor **gains = malloc(2 * sizeof *gains);
  if (!gains) {
    tsne_free(&s);
    ts_free(x);
    return;
  }
  gains[0] = ts_ones(TS_SHAPE(NPT, LD), TS_FLOAT32);
  gains[1] = ts_ones(TS_SHAPE(NPT, LD), TS_FLOAT32);
  for (int it = 0; it < 3; it++) {
    ts_tensor *g = gradient(&s);
    ts_tensor *gu = ts_mul(g, s.update);
    ts_tensor *agree = ts_gt_Scalar(gu, 0.0);
    ts_free(gu);
    ts_tensor *inc = ts_where_ScalarOther(agree, gains[it % 2], 0.0);
    ts_free(agree);
    ts_add_Scalar_(gains[it % 2], 0.2, 1.0);
    ts_sub_Tensor_(gains[it % 2], inc, 0.0);
    ts_free(inc);
    ts_free(g);
    step(&s);
  }
  ts_free(gains[0]);
  ts_free(gains[1]);
  free(gains);
  tsne_free(&s);
  ts_free(x);
}

// BUG: leak: the gradient computed for its norm is never freed
void tsne_grad_norm(void) {
  ts_tensor *x = two_clusters();
  struct tsne s;
  if (tsne_init(&s, x) != 0) {
    ts_free(x);
    return;
  }
  ts_tensor *g = gradient(&s); // <- BUG
  printf("|g| %.5f\n", value(g));
  tsne_free(&s);
  ts_free(x);
}

// BUG: double-free: the data are freed right after the init and again at
// the end
void tsne_data_twice(void) {
  ts_tensor *x = two_clusters();
  struct tsne s;
  if (tsne_init(&s, x) != 0) {
    ts_free(x);
    return;
  }
  ts_free(x);
  step(&s);
  tsne_free(&s);
  ts_free(x); // <- BUG
}

// BUG: use-after-free: the embedding is freed with the state and then
// printed
void tsne_print_after_free(void) {
  ts_tensor *x = two_clusters();
  struct tsne s;
  if (tsne_init(&s, x) != 0) {
    ts_free(x);
    return;
  }
  step(&s);
  tsne_free(&s);
  printf("y %.4f\n", value(s.Y)); // <- BUG
  ts_free(x);
}

// BUG: leak: the affinities of a second bandwidth replace P without the old
// ones freed
void tsne_rebandwidth(void) {
  ts_tensor *x = two_clusters();
  struct tsne s;
  if (tsne_init(&s, x) != 0) {
    ts_free(x);
    return;
  }
  s.P = affinities(x, 2.0); // <- BUG
  step(&s);
  tsne_free(&s);
  ts_free(x);
}

// BUG: use-after-free: the momentum is freed on a restart and the next step
// scales it
void tsne_momentum_restart(void) {
  ts_tensor *x = two_clusters();
  struct tsne s;
  if (tsne_init(&s, x) != 0) {
    ts_free(x);
    return;
  }
  step(&s);
  ts_free(s.update);
  step(&s); // <- BUG
  ts_free(s.P);
  ts_free(s.Y);
  ts_free(x);
}
