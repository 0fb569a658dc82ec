/* heldout5_als.c - collaborative filtering by alternating least squares:
 * a partially observed ratings matrix with its mask, user and item factor
 * matrices in a model struct, per-row regularised normal equations solved
 * with an explicit inverse, rows written back with index_copy-free
 * stacking, sweeps run as ts_run jobs, RMSE on held-out entries and top-k
 * recommendations.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { NU = 6, NI = 5, NF = 2 };

struct ratings {
  ts_tensor *R; /* [NU, NI] */
  ts_tensor *M; /* [NU, NI] 1 where observed */
};

struct factors {
  ts_tensor *U; /* [NU, NF] */
  ts_tensor *V; /* [NI, NF] */
  double lambda;
};

struct sweep_job {
  const struct ratings *data;
  struct factors *f;
  int users; /* 1: solve the user side, 0: the item side */
};

// OK: low-rank ratings plus a fixed mask; both owned by the struct
static int ratings_make(struct ratings *r) {
  float m[NU * NI];
  for (int i = 0; i < NU * NI; i++)
    m[i] = (i % 3) != 0 ? 1.0f : 0.0f;
  ts_tensor *a = ts_randn(TS_SHAPE(NU, NF), TS_FLOAT32);
  ts_tensor *b = ts_randn(TS_SHAPE(NF, NI), TS_FLOAT32);
  r->R = ts_matmul(a, b);
  ts_free(a);
  ts_free(b);
  r->M = ts_from_buffer(m, TS_SHAPE(NU, NI), TS_FLOAT32);
  if (!r->R || !r->M) {
    if (r->R)
      ts_free(r->R);
    if (r->M)
      ts_free(r->M);
    return -1;
  }
  return 0;
}

// OK: frees ratings and mask, skipping cleared handles
static void ratings_free(struct ratings *r) {
  if (r->R)
    ts_free(r->R);
  if (r->M)
    ts_free(r->M);
  r->R = r->M = NULL;
}

// OK: random factors, manual; a bad lambda frees both before failing
static int factors_init(struct factors *f, double lambda) {
  f->U = ts_randn(TS_SHAPE(NU, NF), TS_FLOAT32);
  f->V = ts_randn(TS_SHAPE(NI, NF), TS_FLOAT32);
  if (!f->U || !f->V || lambda < 0) {
    if (f->U)
      ts_free(f->U);
    if (f->V)
      ts_free(f->V);
    f->U = f->V = NULL;
    return -1;
  }
  f->lambda = lambda;
  return 0;
}

// BUG: leak: a negative lambda is rejected after both factors were made
static int factors_init_checked(struct factors *f, double lambda) {
  f->U = ts_randn(TS_SHAPE(NU, NF), TS_FLOAT32);
  f->V = ts_randn(TS_SHAPE(NI, NF), TS_FLOAT32); // <- BUG
  if (lambda < 0) {
    fprintf(stderr, "lambda must be >= 0\n");
    return -1;
  }
  f->lambda = lambda;
  return 0;
}

// OK: frees both factor matrices (does not clear them)
static void factors_free(struct factors *f) {
  ts_free(f->U);
  ts_free(f->V);
}

// OK: lambda * identity from a host buffer
static ts_tensor *ridge(double lambda) {
  float e[NF * NF] = {0};
  for (int i = 0; i < NF; i++)
    e[i * NF + i] = (float)lambda;
  return ts_from_buffer(e, TS_SHAPE(NF, NF), TS_FLOAT32);
}

// OK: one row's normal equations solved in the caller's scope
TS_CALLER_SCOPE static ts_tensor *solve_row(const ts_tensor *Y,
                                            const ts_tensor *r,
                                            const ts_tensor *m, double lambda) {
  ts_tensor *Ymt = ts_transpose(ts_mul(Y, ts_unsqueeze(m, 1)), 0, 1);
  ts_tensor *A = ts_add(ts_matmul(Ymt, Y), ridge(lambda));
  ts_tensor *b = ts_mv(Ymt, ts_mul(m, r));
  return ts_mv(ts_inverse(A), b);
}

// OK: every row solved in its own loop scope and kept; rows stacked, then freed
static ts_tensor *solve_side(const ts_tensor *R, const ts_tensor *M,
                             const ts_tensor *Y, int n, double lambda) {
  ts_tensor *rows[NU > NI ? NU : NI];
  for (int i = 0; i < n; i++)
    TS_SCOPE {
      rows[i] = ts_keep(
          solve_row(Y, ts_select_int(R, 0, i), ts_select_int(M, 0, i), lambda));
    }
  ts_tensor *out = ts_stack((const ts_tensor *const *)rows, n, 0);
  for (int i = 0; i < n; i++)
    ts_free(rows[i]);
  return out;
}

// OK: a ts_run job: the new side replaces the old one and is kept out of the
// run's scope
static void *sweep(void *ctx) {
  struct sweep_job *j = ctx;
  struct factors *f = j->f;
  if (j->users) {
    ts_tensor *U = solve_side(j->data->R, j->data->M, f->V, NU, f->lambda);
    ts_free(f->U);
    f->U = ts_keep(U);
  } else {
    ts_tensor *Rt = ts_transpose(j->data->R, 0, 1);
    ts_tensor *Mt = ts_transpose(j->data->M, 0, 1);
    ts_tensor *V = solve_side(Rt, Mt, f->U, NI, f->lambda);
    ts_free(f->V);
    f->V = ts_keep(V);
  }
  return NULL;
}

// BUG: use-after-scope: the new user factors are stored but stay owned by the
// run's scope
static void *sweep_users_nokeep(void *ctx) {
  struct sweep_job *j = ctx;
  ts_tensor *U = solve_side(j->data->R, j->data->M, j->f->V, NU, j->f->lambda);
  ts_free(j->f->U);
  j->f->U = U; // <- BUG
  return NULL;
}

// OK: predictions U V^T, escaped out of the run's scope to the caller
static void *predict_job(void *ctx) {
  const struct factors *f = ctx;
  return ts_escape(ts_matmul(f->U, ts_transpose(f->V, 0, 1)));
}

// BUG: unescaped-return: the predictions are owned by the run's scope
static void *predict_job_noescape(void *ctx) {
  const struct factors *f = ctx;
  ts_tensor *Vt = ts_transpose(f->V, 0, 1);
  return ts_matmul(f->U, Vt); // <- BUG
}

// OK: RMSE over the observed entries, in the function's scope
TS_SCOPED static double rmse(const struct ratings *r, const struct factors *f) {
  ts_tensor *P = ts_matmul(f->U, ts_transpose(f->V, 0, 1));
  ts_tensor *E = ts_mul(ts_sub(P, r->R), r->M);
  return sqrt(ts_item(ts_sum(ts_mul(E, E))) / ts_item(ts_sum(r->M)));
}

// BUG: leak: the squared errors are summed but never freed
static double rmse_manual(const struct ratings *r, const struct factors *f) {
  ts_tensor *Vt = ts_transpose(f->V, 0, 1);
  ts_tensor *P = ts_matmul(f->U, Vt);
  ts_free(Vt);
  ts_tensor *D = ts_sub(P, r->R);
  ts_free(P);
  ts_tensor *E = ts_mul(D, r->M);
  ts_free(D);
  ts_tensor *E2 = ts_mul(E, E); // <- BUG
  ts_free(E);
  ts_tensor *s = ts_sum(E2);
  ts_tensor *n = ts_sum(r->M);
  double v = sqrt(ts_item(s) / ts_item(n));
  ts_free(s);
  ts_free(n);
  return v;
}

// OK: top-k items for a user into a host array; both topk results freed
static int recommend(const struct factors *f, int user, int k, int64_t *items) {
  ts_tensor *u = ts_select_int(f->U, 0, user);
  ts_tensor *scores = ts_mv(f->V, u);
  ts_free(u);
  ts_tensor *tk[2];
  if (ts_topk(tk, scores, k, 0, true, true) != TS_OK) {
    ts_free(scores);
    return -1;
  }
  ts_free(scores);
  ts_copy_to_buffer(tk[1], items, sizeof(int64_t) * (size_t)k);
  ts_free(tk[0]);
  ts_free(tk[1]);
  return 0;
}

// BUG: leak: the top-k values are never freed, only the indices
static int recommend_leaky(const struct factors *f, int user, int k,
                           int64_t *items) {
  ts_tensor *u = ts_select_int(f->U, 0, user);
  ts_tensor *scores = ts_mv(f->V, u);
  ts_free(u);
  ts_tensor *tk[2];
  if (ts_topk(tk, scores, k, 0, true, true) != TS_OK) { // <- BUG
    ts_free(scores);
    return -1;
  }
  ts_free(scores);
  ts_copy_to_buffer(tk[1], items, sizeof(int64_t) * (size_t)k);
  ts_free(tk[1]);
  return 0;
}

// OK: a few ALS sweeps through ts_run; data and factors freed
void als5_fit(void) {
  struct ratings r;
  struct factors f;
  ts_manual_seed(12);
  if (ratings_make(&r) != 0)
    return;
  if (factors_init(&f, 0.1) != 0) {
    ratings_free(&r);
    return;
  }
  for (int it = 0; it < 3; it++) {
    struct sweep_job ju = {&r, &f, 1}, jv = {&r, &f, 0};
    ts_run(sweep, &ju);
    ts_run(sweep, &jv);
    printf("sweep %d rmse %.4f\n", it, rmse(&r, &f));
  }
  int64_t top[2];
  if (recommend(&f, 0, 2, top) == 0)
    printf("user 0: %lld %lld\n", (long long)top[0], (long long)top[1]);
  ts_tensor *P = ts_run(predict_job, &f);
  printf("pred %lld\n", (long long)ts_numel(P));
  ts_free(P);
  factors_free(&f);
  ratings_free(&r);
}

// OK: drives factors_init_checked with a negative lambda
void als5_bad_lambda(void) {
  struct factors f;
  if (factors_init_checked(&f, -1.0) == 0)
    factors_free(&f);
}

// OK: drives sweep_users_nokeep, then reads the model
void als5_nokeep(void) {
  struct ratings r;
  struct factors f;
  ratings_make(&r);
  factors_init(&f, 0.1);
  struct sweep_job j = {&r, &f, 1};
  ts_run(sweep_users_nokeep, &j);
  printf("rmse %.4f\n", rmse(&r, &f));
  factors_free(&f);
  ratings_free(&r);
}

// OK: uses and frees predict_job_noescape's result
void als5_predict_noescape(void) {
  struct factors f;
  factors_init(&f, 0.1);
  ts_tensor *P = ts_run(predict_job_noescape, &f);
  printf("pred %lld\n", (long long)ts_numel(P));
  ts_free(P);
  factors_free(&f);
}

// OK: drives rmse_manual
void als5_rmse_manual(void) {
  struct ratings r;
  struct factors f;
  ratings_make(&r);
  factors_init(&f, 0.1);
  printf("rmse %.4f\n", rmse_manual(&r, &f));
  factors_free(&f);
  ratings_free(&r);
}

// OK: drives recommend_leaky
void als5_recommend_leaky(void) {
  struct factors f;
  int64_t top[3];
  factors_init(&f, 0.1);
  recommend_leaky(&f, 1, 3, top);
  factors_free(&f);
}

// BUG: use-after-free: the old user factors are compared after the sweep freed
// them
void als5_delta(void) {
  struct ratings r;
  struct factors f;
  ratings_make(&r);
  factors_init(&f, 0.1);
  ts_tensor *old = f.U;
  struct sweep_job j = {&r, &f, 1};
  ts_run(sweep, &j);
  ts_tensor *d = ts_sub(f.U, old); // <- BUG
  ts_free(d);
  factors_free(&f);
  ratings_free(&r);
}

// OK: the old factors are cloned before the sweep and freed after the
// comparison
void als5_delta_ok(void) {
  struct ratings r;
  struct factors f;
  ratings_make(&r);
  factors_init(&f, 0.1);
  ts_tensor *old = ts_clone(f.U);
  struct sweep_job j = {&r, &f, 1};
  ts_run(sweep, &j);
  TS_SCOPE {
    printf("change %.4f\n", ts_item(ts_sum(ts_abs(ts_sub(f.U, old)))));
  }
  ts_free(old);
  factors_free(&f);
  ratings_free(&r);
}

// BUG: double-free: the user factors are freed through an alias and then by
// factors_free
void als5_alias_free(void) {
  struct factors f;
  factors_init(&f, 0.1);
  ts_tensor *users = f.U;
  ts_free(users);
  factors_free(&f); // <- BUG
}

// BUG: double-free: the failure path frees the factors, then the common cleanup
// frees them again
void als5_cleanup_twice(void) {
  struct ratings r;
  struct factors f;
  int rc = -1;
  ratings_make(&r);
  factors_init(&f, 0.1);
  int64_t top[NI];
  if (recommend(&f, 0, NI, top) != 0 || NI < 8) {
    factors_free(&f);
    goto out;
  }
  rc = 0;
out:
  factors_free(&f); // <- BUG
  ratings_free(&r);
  printf("rc %d\n", rc);
}

// OK: the failure path frees the factors and returns before the common cleanup
void als5_cleanup_once(void) {
  struct ratings r;
  struct factors f;
  ratings_make(&r);
  if (factors_init(&f, 0.1) != 0) {
    ratings_free(&r);
    return;
  }
  int64_t top[NI];
  if (recommend(&f, 0, NI, top) != 0 || NI < 8) {
    factors_free(&f);
    ratings_free(&r);
    return;
  }
  factors_free(&f);
  ratings_free(&r);
}

// BUG: use-after-free: the mask is freed early, then RMSE reads it
void als5_mask_early(void) {
  struct ratings r;
  struct factors f;
  ratings_make(&r);
  factors_init(&f, 0.1);
  ts_free(r.M);
  printf("rmse %.4f\n", rmse(&r, &f)); // <- BUG
  ts_free(r.R);
  factors_free(&f);
}

// BUG: leak: re-initialising the factors drops the first pair
void als5_restart(void) {
  struct ratings r;
  struct factors f;
  ratings_make(&r);
  factors_init(&f, 0.1); // <- BUG
  printf("rmse %.4f\n", rmse(&r, &f));
  factors_init(&f, 1.0);
  printf("rmse %.4f\n", rmse(&r, &f));
  factors_free(&f);
  ratings_free(&r);
}

// BUG: use-after-scope: the predictions made in a scope are ranked after it
void als5_pred_scope(void) {
  struct factors f;
  factors_init(&f, 0.1);
  ts_tensor *P;
  TS_SCOPE { P = ts_matmul(f.U, ts_transpose(f.V, 0, 1)); }
  ts_tensor *best = ts_argmax(P); // <- BUG
  ts_free(best);
  factors_free(&f);
}

// OK: the ratings are swapped for a centred copy; the old handle freed once
void als5_center(void) {
  struct ratings r;
  ratings_make(&r);
  ts_tensor *mu = ts_mean(r.R);
  ts_tensor *c = ts_sub(r.R, mu);
  ts_free(mu);
  ts_free(r.R);
  r.R = c;
  ratings_free(&r);
  ratings_free(&r);
}
