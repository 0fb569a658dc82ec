/* heldout2_mf.c - matrix factorisation of a ratings matrix with early
 * stopping: factors in a struct, masked losses, gradient steps through
 * ts_grad, best factors kept aside, recommendations through ts_topk.
 * Labels: tests/realistic/README.md. */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define NU 6
#define NI 5
#define RANK 2

struct mf {
  ts_tensor *U, *V; /* [NU, RANK], [NI, RANK], both require grad */
};

// OK: random factors that require grad
static void mf_init(struct mf *m) {
  m->U = ts_randn(TS_SHAPE(NU, RANK), TS_FLOAT32);
  m->V = ts_randn(TS_SHAPE(NI, RANK), TS_FLOAT32);
  ts_requires_grad(m->U, true);
  ts_requires_grad(m->V, true);
}

// OK: frees both factors
static void mf_free(struct mf *m) {
  ts_free(m->U);
  ts_free(m->V);
}

// OK: ratings with about half the entries observed (0 = missing)
static ts_tensor *ratings(void) {
  ts_tensor *r = ts_randint_low(1, 6, TS_SHAPE(NU, NI), TS_FLOAT32, NULL);
  ts_tensor *keep = ts_bernoulli_p(r, 0.5);
  ts_tensor *out = ts_mul(r, keep);
  ts_free(keep);
  ts_free(r);
  return out;
}

// OK: the masked squared error of U V^T against R, as a 0-d tensor
static ts_tensor *mf_loss(const struct mf *m, const ts_tensor *R) {
  ts_tensor *Vt = ts_transpose(m->V, 0, 1);
  ts_tensor *P = ts_matmul(m->U, Vt);
  ts_tensor *mask = ts_gt_Scalar(R, 0);
  ts_tensor *d = ts_sub(P, R);
  ts_tensor *dm = ts_mul(d, mask);
  ts_tensor *sq = ts_mul(dm, dm);
  ts_tensor *l = ts_sum(sq);
  ts_free(sq);
  ts_free(dm);
  ts_free(d);
  ts_free(mask);
  ts_free(P);
  ts_free(Vt);
  return l;
}

// OK: one gradient step on both factors; the gradient handles are freed
static double mf_step(struct mf *m, const ts_tensor *R, double lr) {
  ts_tensor *l = mf_loss(m, R);
  ts_backward(l);
  double v = ts_item(l);
  ts_free(l);
  ts_tensor *gu = ts_grad(m->U);
  ts_tensor *gv = ts_grad(m->V);
  if (gu && gv) {
    ts_sgd_step(m->U, lr);
    ts_sgd_step(m->V, lr);
  }
  if (gu)
    ts_free(gu);
  if (gv)
    ts_free(gv);
  ts_zero_grad(m->U);
  ts_zero_grad(m->V);
  return v;
}

// BUG: leak: the gradient norms are logged through ts_grad handles that are
// never freed
static double mf_step_logged(struct mf *m, const ts_tensor *R, double lr) {
  ts_tensor *l = mf_loss(m, R);
  ts_backward(l);
  double v = ts_item(l);
  ts_free(l);
  ts_tensor *gu = ts_grad(m->U); // <- BUG
  ts_tensor *nu = ts_norm_Scalar(gu, 2.0);
  printf("|grad U| = %.3f\n", ts_item(nu));
  ts_free(nu);
  ts_sgd_step(m->U, lr);
  ts_sgd_step(m->V, lr);
  ts_zero_grad(m->U);
  ts_zero_grad(m->V);
  return v;
}

// OK: trains with early stopping; the best factors are clones, replaced when
// beaten, and freed at the end
void mf_early_stop(void) {
  ts_manual_seed(5);
  ts_tensor *R = ratings();
  struct mf m;
  mf_init(&m);
  ts_tensor *bestU = NULL, *bestV = NULL;
  double best = 1e30;
  int bad = 0;
  for (int ep = 0; ep < 30 && bad < 3; ep++) {
    double l = mf_step(&m, R, 0.01);
    if (l < best) {
      best = l;
      bad = 0;
      if (bestU)
        ts_free(bestU);
      if (bestV)
        ts_free(bestV);
      bestU = ts_clone(m.U);
      bestV = ts_clone(m.V);
    } else {
      bad++;
    }
  }
  printf("best loss %.3f\n", best);
  ts_free(bestU);
  ts_free(bestV);
  mf_free(&m);
  ts_free(R);
}

// OK: two logged steps (mf_step_logged leaks by itself)
void mf_train_logged(void) {
  ts_tensor *R = ratings();
  struct mf m;
  mf_init(&m);
  for (int ep = 0; ep < 2; ep++)
    mf_step_logged(&m, R, 0.01);
  mf_free(&m);
  ts_free(R);
}

// BUG: double-free: the best factors are moved into the model at the end,
// and then freed both as "best" and with the model
void mf_restore_best(void) {
  ts_tensor *R = ratings();
  struct mf m;
  mf_init(&m);
  ts_tensor *bestU = ts_clone(m.U);
  for (int ep = 0; ep < 3; ep++)
    mf_step(&m, R, 0.01);
  ts_free(m.U);
  m.U = bestU;
  ts_free(bestU);
  mf_free(&m); // <- BUG
  ts_free(R);
}

// BUG: use-after-free: a model rebuilt from scratch frees the factors that
// "best" still points at, then best is read
void mf_best_alias(void) {
  ts_tensor *R = ratings();
  struct mf m;
  mf_init(&m);
  mf_step(&m, R, 0.01);
  ts_tensor *best = m.U;
  mf_free(&m);
  mf_init(&m);
  ts_tensor *d = ts_sub(m.U, best); // <- BUG
  printf("restart moved %lld\n", (long long)ts_numel(d));
  ts_free(d);
  mf_free(&m);
  ts_free(R);
}

// BUG: leak: the user's factor row is selected and never freed
static ts_tensor *predict_user(const struct mf *m, int u) {
  ts_tensor *row = ts_select_int(m->U, 0, u); // <- BUG
  return ts_mv(m->V, row);
}

// BUG: leak: only the indices of ts_topk are freed, the scores are not
static int recommend(const struct mf *m, int u) {
  ts_tensor *scores = predict_user(m, u);
  ts_tensor *top[2];
  int best = -1;
  if (ts_topk(top, scores, 2, 0, true, true) == TS_OK) { // <- BUG
    ts_tensor *first = ts_select_int(top[1], 0, 0);
    best = (int)ts_item(first);
    ts_free(first);
    ts_free(top[1]);
  }
  ts_free(scores);
  return best;
}

// OK: recommends for user 0 (both helpers leak by themselves)
void mf_recommend(void) {
  struct mf m;
  mf_init(&m);
  printf("recommend item %d\n", recommend(&m, 0));
  mf_free(&m);
}

// BUG: use-after-scope: the evaluation's RMSE tensor is made inside the
// TS_SCOPE block and printed after it
void mf_eval_scoped(void) {
  ts_tensor *R = ratings();
  struct mf m;
  mf_init(&m);
  ts_tensor *rmse = NULL;
  TS_SCOPE {
    ts_tensor *l = mf_loss(&m, R);
    ts_tensor *n = ts_sum(ts_gt_Scalar(R, 0));
    rmse = ts_sqrt(ts_div(l, n));
  }
  printf("rmse %.3f\n", ts_item(rmse)); // <- BUG
  mf_free(&m);
  ts_free(R);
}

// BUG: unescaped-return: the reconstruction is returned from under the guard
// without ts_escape
static ts_tensor *mf_reconstruct(const struct mf *m) {
  TS_SCOPE_GUARD();
  ts_tensor *Vt = ts_transpose(m->V, 0, 1);
  ts_tensor *P = ts_matmul(m->U, Vt);
  return ts_clamp(P, 1, 5); // <- BUG
}

// OK: uses and frees the reconstruction (mf_reconstruct is wrong)
void mf_full_matrix(void) {
  struct mf m;
  mf_init(&m);
  ts_tensor *P = mf_reconstruct(&m);
  printf("reconstruction %lld\n", (long long)ts_numel(P));
  ts_free(P);
  mf_free(&m);
}

// BUG: double-free: the mask is applied to the ratings in place, so the
// masked matrix is the ratings matrix, and both are freed
void mf_mask_inplace(void) {
  ts_tensor *R = ratings();
  ts_tensor *mask = ts_lt_Scalar(R, 4.5);
  ts_tensor *low = ts_mul_Tensor_(R, mask);
  printf("low ratings %lld\n", (long long)ts_numel(low));
  ts_free(mask);
  ts_free(low);
  ts_free(R); // <- BUG
}
