/*
 * heldout_recsys.c - a matrix-factorisation recommender: user and item
 * factors in a model struct, a masked squared-error loss, gradient steps,
 * per-user scoring, resizing the item table, goto-cleanup evaluation.
 * Held-out corpus (README.md).
 *
 * Labels: `// OK: why` or `// BUG: check: why` before each function; the
 * line of the bug ends in `// <- BUG`.
 */
#include <stdio.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define USERS 5
#define ITEMS 7
#define RANK 3

struct mf {
  ts_tensor *U; /* [USERS, RANK] */
  ts_tensor *V; /* [ITEMS, RANK] */
  int items;
};

// OK: both factor tables move into the model, or neither survives
static int mf_init(struct mf *m, int items) {
  m->U = ts_randn(TS_SHAPE(USERS, RANK), TS_FLOAT32);
  if (!m->U)
    return -1;
  m->V = ts_randn(TS_SHAPE(items, RANK), TS_FLOAT32);
  if (!m->V) {
    ts_free(m->U);
    m->U = NULL;
    return -1;
  }
  ts_requires_grad(m->U, true);
  ts_requires_grad(m->V, true);
  m->items = items;
  return 0;
}

// OK: frees both tables
static void mf_release(struct mf *m) {
  ts_free(m->U);
  ts_free(m->V);
  m->U = m->V = NULL;
}

// OK: predicted ratings for every user and item; the transposed view is
// freed
static ts_tensor *mf_predict(const struct mf *m) {
  ts_tensor *vt = ts_t(m->V);
  ts_tensor *pred = ts_matmul(m->U, vt);
  ts_free(vt);
  return pred;
}

// OK: masked squared error; every intermediate is freed, the loss goes to
// the caller
static ts_tensor *mf_loss(const struct mf *m, const ts_tensor *ratings,
                          const ts_tensor *mask) {
  ts_tensor *pred = mf_predict(m);
  ts_tensor *diff = ts_sub(pred, ratings);
  ts_free(pred);
  ts_tensor *masked = ts_mul(diff, mask);
  ts_free(diff);
  ts_tensor *sq = ts_square(masked);
  ts_free(masked);
  ts_tensor *loss = ts_mean(sq);
  ts_free(sq);
  return loss;
}

// OK: a few gradient steps, each loss freed after its backward pass
void mf_train(void) {
  struct mf m;
  ts_manual_seed(21);
  if (mf_init(&m, ITEMS) != 0)
    return;
  ts_tensor *ratings = ts_rand(TS_SHAPE(USERS, ITEMS), TS_FLOAT32);
  ts_tensor *r = ts_rand(TS_SHAPE(USERS, ITEMS), TS_FLOAT32);
  ts_tensor *mask = ts_round(r);
  ts_free(r);
  for (int epoch = 0; epoch < 3; epoch++) {
    ts_tensor *loss = mf_loss(&m, ratings, mask);
    ts_backward(loss);
    ts_sgd_step(m.U, 0.1);
    ts_sgd_step(m.V, 0.1);
    ts_zero_grad(m.U);
    ts_zero_grad(m.V);
    printf("epoch %d loss %f\n", epoch, ts_item(loss));
    ts_free(loss);
  }
  ts_free(mask);
  ts_free(ratings);
  mf_release(&m);
}

// BUG: leak: the old item table is overwritten without being freed
static void mf_reset_items(struct mf *m, int items) {
  m->V = ts_randn(TS_SHAPE(items, RANK), TS_FLOAT32); // <- BUG
  m->items = items;
}

// OK: grows the catalogue through the reset helper (which leaks the old
// table) and releases the model
void mf_grow_catalogue(void) {
  struct mf m;
  if (mf_init(&m, ITEMS) != 0)
    return;
  mf_reset_items(&m, ITEMS + 2);
  printf("items %d\n", m.items);
  mf_release(&m);
}

// OK: the new item table replaces the old one, which is freed first
static int mf_resize_items(struct mf *m, int items) {
  ts_tensor *nv = ts_randn(TS_SHAPE(items, RANK), TS_FLOAT32);
  if (!nv)
    return -1;
  ts_free(m->V);
  m->V = nv;
  m->items = items;
  return 0;
}

// BUG: use-after-free: the user's factor row is freed after the first
// scoring and used again for the second
void mf_score_user(void) {
  struct mf m;
  if (mf_init(&m, ITEMS) != 0)
    return;
  mf_resize_items(&m, ITEMS + 1);
  ts_tensor *u = ts_select_int(m.U, 0, 2);
  ts_tensor *scores = ts_mv(m.V, u);
  ts_free(u);
  ts_tensor *best = ts_argmax(scores);
  ts_tensor *norm = ts_norm_ScalarOpt_dim(u, 2.0, NULL, 0, false); // <- BUG
  printf("best %f norm %f\n", ts_item(best), ts_item(norm));
  ts_free(norm);
  ts_free(best);
  ts_free(scores);
  mf_release(&m);
}

// OK: each user's scores live in one iteration's scope
void mf_top_items_scoped(void) {
  struct mf m;
  if (mf_init(&m, ITEMS) != 0)
    return;
  TS_SCOPE for (int u = 0; u < USERS; u++) {
    ts_tensor *row = ts_select_int(m.U, 0, u);
    ts_tensor *scores = ts_mv(m.V, row);
    printf("user %d -> item %f\n", u, ts_item(ts_argmax(scores)));
  }
  mf_release(&m);
}

// BUG: double-free: the prediction is freed before the threshold check and
// again at the cleanup label that check jumps to
static int mf_eval(const struct mf *m, const ts_tensor *ratings, double *rmse) {
  int rc = -1;
  ts_tensor *pred = NULL, *err = NULL;
  pred = mf_predict(m);
  if (!pred)
    goto out;
  err = ts_mse_loss(pred, ratings);
  ts_free(pred);
  if (!err)
    goto out;
  *rmse = ts_item(err);
  if (*rmse > 0.0) /* always: the factors are random */
    goto out;
  rc = 0;
out:
  if (err)
    ts_free(err);
  if (pred)
    ts_free(pred); // <- BUG
  return rc;
}

// OK: calls the evaluation once (which frees twice)
void mf_eval_driver(void) {
  struct mf m;
  if (mf_init(&m, ITEMS) != 0)
    return;
  ts_tensor *ratings = ts_rand(TS_SHAPE(USERS, ITEMS), TS_FLOAT32);
  double rmse = 0;
  int rc = mf_eval(&m, ratings, &rmse);
  printf("rc %d rmse %f\n", rc, rmse);
  ts_free(ratings);
  mf_release(&m);
}

// OK: the same evaluation with pred cleared after its early free
static int mf_eval_safe(const struct mf *m, const ts_tensor *ratings,
                        double *rmse) {
  int rc = -1;
  ts_tensor *pred = NULL, *err = NULL;
  pred = mf_predict(m);
  if (!pred)
    goto out;
  err = ts_mse_loss(pred, ratings);
  ts_free(pred);
  pred = NULL;
  if (!err)
    goto out;
  *rmse = ts_item(err);
  if (*rmse > 1e6)
    goto out;
  rc = 0;
out:
  if (err)
    ts_free(err);
  if (pred)
    ts_free(pred);
  return rc;
}

// OK: evaluates with the safe version twice
void mf_eval_safe_driver(void) {
  struct mf m;
  if (mf_init(&m, ITEMS) != 0)
    return;
  ts_tensor *ratings = ts_rand(TS_SHAPE(USERS, ITEMS), TS_FLOAT32);
  double rmse = 0;
  int a = mf_eval_safe(&m, ratings, &rmse);
  int b = mf_eval_safe(&m, ratings, &rmse);
  printf("%d %d %f\n", a, b, rmse);
  ts_free(ratings);
  mf_release(&m);
}

// OK: no tensor: how many items are shown (none in this toy catalogue)
static int mf_active_items(const struct mf *m) {
  return m->items > 100 ? m->items : 0;
}

// BUG: leak: the per-item bias vector is made and never freed when the
// model has no items to score
void mf_item_bias(void) {
  struct mf m;
  if (mf_init(&m, ITEMS) != 0)
    return;
  ts_tensor *bias = ts_zeros(TS_SHAPE(ITEMS), TS_FLOAT32); // <- BUG
  if (mf_active_items(&m) == 0) {
    printf("no active items\n");
    mf_release(&m);
    return;
  }
  ts_tensor *pred = mf_predict(&m);
  ts_tensor *adj = ts_add(pred, bias);
  ts_free(pred);
  ts_free(adj);
  ts_free(bias);
  mf_release(&m);
}
