/* heldout6_recsys.c - a matrix-factorisation recommender trained with
 * negative sampling (BPR): user and item factors in a model struct,
 * sampled negatives, per-user top-k retrieval, and a score cache kept
 * in a struct of arrays. */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { RS_USERS = 5, RS_ITEMS = 8, RS_F = 3, RS_NEG = 2 };

typedef struct {
  ts_tensor *U; /* [USERS, F] */
  ts_tensor *V; /* [ITEMS, F] */
  double lr;
} rs_model;

typedef struct {
  ts_tensor *scores[RS_USERS]; /* [1, ITEMS] per user, owned */
  int valid[RS_USERS];
} rs_score_cache;

// OK: both factor matrices or neither
static int rs_init(rs_model *m, double lr) {
  ts_manual_seed(21);
  ts_tensor *u = ts_randn(TS_SHAPE(RS_USERS, RS_F), TS_FLOAT32);
  ts_tensor *v = ts_randn(TS_SHAPE(RS_ITEMS, RS_F), TS_FLOAT32);
  if (!u || !v) {
    if (u)
      ts_free(u);
    if (v)
      ts_free(v);
    return -1;
  }
  m->U = ts_mul_scalar(u, 0.1);
  m->V = ts_mul_scalar(v, 0.1);
  ts_free(u);
  ts_free(v);
  ts_requires_grad(m->U, true);
  ts_requires_grad(m->V, true);
  m->lr = lr;
  return 0;
}

// OK: frees the factors
static void rs_free(rs_model *m) {
  ts_free(m->U);
  ts_free(m->V);
  m->U = m->V = NULL;
}

// OK: the row of one index as [1, F], in the caller's scope
TS_CALLER_SCOPE static ts_tensor *rs_row(const ts_tensor *M, int64_t i) {
  return ts_narrow(M, 0, i, 1);
}

// OK: negatives sampled uniformly, never equal to the positive; a new tensor
static ts_tensor *rs_sample_negatives(int64_t pos) {
  int64_t ids[RS_NEG];
  for (int k = 0; k < RS_NEG; k++)
    ids[k] = (pos + 1 + k * 3) % RS_ITEMS;
  return ts_from_buffer(ids, TS_SHAPE(RS_NEG), TS_INT64);
}

// OK: one BPR step for (user, positive) with sampled negatives, in a scope
static double rs_bpr_step(rs_model *m, int64_t u, int64_t pos) {
  double l = 0;
  ts_tensor *neg = rs_sample_negatives(pos);
  TS_SCOPE {
    ts_tensor *eu = rs_row(m->U, u);
    ts_tensor *ep = rs_row(m->V, pos);
    ts_tensor *en = ts_index_select(m->V, 0, neg);
    ts_tensor *sp = ts_sum(ts_mul(eu, ep));
    ts_tensor *sn = ts_matmul(en, ts_transpose(eu, 0, 1));
    ts_tensor *diff = ts_neg(ts_sub(sn, sp));
    ts_tensor *loss = ts_neg(ts_mean(ts_log(ts_sigmoid(diff))));
    ts_backward(loss);
    ts_sgd_step(m->U, m->lr);
    ts_sgd_step(m->V, m->lr);
    ts_zero_grad(m->U);
    ts_zero_grad(m->V);
    l = ts_item(loss);
  }
  ts_free(neg);
  return l;
}

// OK: an epoch over the interactions
void rs_train_epoch(void) {
  rs_model m;
  if (rs_init(&m, 0.1) != 0)
    return;
  const int64_t inter[6][2] = {{0, 1}, {1, 2}, {2, 3}, {3, 5}, {4, 7}, {0, 6}};
  double tot = 0;
  for (int i = 0; i < 6; i++)
    tot += rs_bpr_step(&m, inter[i][0], inter[i][1]);
  printf("recsys: epoch loss %.3f\n", tot / 6);
  rs_free(&m);
}

// BUG: leak: the negatives are not freed when the step bails out on a cold user
static double rs_bpr_step_cold(rs_model *m, int64_t u, int64_t pos, const int *seen) {
  ts_tensor *neg = rs_sample_negatives(pos); // <- BUG
  if (!seen[u])
    return 0.0;
  double l = 0;
  TS_SCOPE {
    ts_tensor *en = ts_index_select(m->V, 0, neg);
    l = ts_item(ts_sum(en));
  }
  ts_free(neg);
  return l;
}

// OK: drives the cold-user path
void rs_cold_users(void) {
  rs_model m;
  if (rs_init(&m, 0.1) != 0)
    return;
  int seen[RS_USERS] = {1, 0, 1, 1, 1};
  double s = rs_bpr_step_cold(&m, 0, 2, seen) + rs_bpr_step_cold(&m, 1, 3, seen);
  printf("recsys: %.3f\n", s);
  rs_free(&m);
}

// OK: scores of one user over every item, a new [1, ITEMS] tensor
static ts_tensor *rs_user_scores(const rs_model *m, int64_t u) {
  ts_tensor *out = NULL;
  TS_SCOPE {
    ts_tensor *eu = rs_row(m->U, u);
    out = ts_escape(ts_matmul(eu, ts_transpose(m->V, 0, 1)));
  }
  return out;
}

// OK: the top-k items of a user; both outputs of ts_topk freed
static void rs_topk(const rs_model *m, int64_t u, int64_t *items, int k) {
  ts_tensor *sc = rs_user_scores(m, u);
  ts_tensor *out[2] = {NULL, NULL};
  if (ts_topk(out, sc, k, 1, true, true) == TS_OK) {
    ts_copy_to_buffer(out[1], items, (size_t)k * sizeof *items);
    ts_free(out[0]);
    ts_free(out[1]);
  }
  ts_free(sc);
}

// OK: recommendations for every user
void rs_recommend_all(void) {
  rs_model m;
  if (rs_init(&m, 0.1) != 0)
    return;
  for (int64_t u = 0; u < RS_USERS; u++) {
    int64_t items[2];
    rs_topk(&m, u, items, 2);
    printf("recsys: user %lld -> %lld %lld\n", (long long)u, (long long)items[0],
           (long long)items[1]);
  }
  rs_free(&m);
}

// BUG: leak: ts_topk's values output is dropped; only the indices are freed
static void rs_topk_leaky(const rs_model *m, int64_t u, int64_t *items, int k) {
  ts_tensor *sc = rs_user_scores(m, u);
  ts_tensor *out[2] = {NULL, NULL};
  if (ts_topk(out, sc, k, 1, true, true) == TS_OK) { // <- BUG
    ts_copy_to_buffer(out[1], items, (size_t)k * sizeof *items);
    ts_free(out[1]);
  }
  ts_free(sc);
}

// OK: recommendations through the leaky top-k
void rs_recommend_leaky(void) {
  rs_model m;
  if (rs_init(&m, 0.1) != 0)
    return;
  int64_t items[3];
  rs_topk_leaky(&m, 2, items, 3);
  rs_free(&m);
}

// OK: the cache owns each user's scores; invalidation frees
static void rs_cache_put(rs_score_cache *c, int u, ts_tensor *s) {
  if (c->valid[u])
    ts_free(c->scores[u]);
  c->scores[u] = s;
  c->valid[u] = 1;
}

// OK: frees every valid entry
static void rs_cache_clear(rs_score_cache *c) {
  for (int u = 0; u < RS_USERS; u++) {
    if (c->valid[u])
      ts_free(c->scores[u]);
    c->valid[u] = 0;
    c->scores[u] = NULL;
  }
}

// OK: the cache filled, refreshed after an update, and cleared
void rs_cache_refresh(void) {
  rs_model m;
  rs_score_cache c = {{0}, {0}};
  if (rs_init(&m, 0.1) != 0)
    return;
  for (int u = 0; u < RS_USERS; u++)
    rs_cache_put(&c, u, rs_user_scores(&m, u));
  rs_bpr_step(&m, 1, 4);
  rs_cache_put(&c, 1, rs_user_scores(&m, 1));
  rs_cache_clear(&c);
  rs_free(&m);
}

// BUG: double-free: an entry is invalidated by hand without clearing its flag
void rs_cache_manual_invalidate(void) {
  rs_model m;
  rs_score_cache c = {{0}, {0}};
  if (rs_init(&m, 0.1) != 0)
    return;
  for (int u = 0; u < 2; u++)
    rs_cache_put(&c, u, rs_user_scores(&m, u));
  ts_free(c.scores[0]); // <- BUG
  rs_bpr_step(&m, 0, 3);
  rs_cache_clear(&c);
  rs_free(&m);
}

// BUG: use-after-free: the refresh frees the cached scores a caller still holds
void rs_cache_stale_holder(void) {
  rs_model m;
  rs_score_cache c = {{0}, {0}};
  if (rs_init(&m, 0.1) != 0)
    return;
  rs_cache_put(&c, 3, rs_user_scores(&m, 3));
  const ts_tensor *held = c.scores[3];
  rs_cache_put(&c, 3, rs_user_scores(&m, 3));
  TS_SCOPE { printf("recsys: %.3f\n", ts_item(ts_argmax(held))); } // <- BUG
  rs_cache_clear(&c);
  rs_free(&m);
}

// OK: the holder takes its own clone before the refresh
void rs_cache_clone_holder(void) {
  rs_model m;
  rs_score_cache c = {{0}, {0}};
  if (rs_init(&m, 0.1) != 0)
    return;
  rs_cache_put(&c, 3, rs_user_scores(&m, 3));
  ts_tensor *held = ts_clone(c.scores[3]);
  rs_cache_put(&c, 3, rs_user_scores(&m, 3));
  TS_SCOPE { printf("recsys: %.3f\n", ts_item(ts_argmax(held))); }
  ts_free(held);
  rs_cache_clear(&c);
  rs_free(&m);
}

// BUG: unescaped-return: the item-item similarity leaves TS_SCOPED unescaped
TS_SCOPED static ts_tensor *rs_item_sim(const rs_model *m) {
  ts_tensor *vt = ts_transpose(m->V, 0, 1);
  ts_tensor *sim = ts_matmul(m->V, vt);
  return sim; // <- BUG
}

// OK: reads the similarity (the helper's bug)
void rs_similar_items(void) {
  rs_model m;
  if (rs_init(&m, 0.1) != 0)
    return;
  ts_tensor *sim = rs_item_sim(&m);
  printf("recsys: sim dims %d\n", ts_ndim(sim));
  ts_free(sim);
  rs_free(&m);
}

// OK: the similarity escaped out of TS_SCOPED
TS_SCOPED static ts_tensor *rs_item_sim_ok(const rs_model *m) {
  ts_tensor *sim = ts_matmul(m->V, ts_transpose(m->V, 0, 1));
  return ts_escape(ts_softmax(sim, 1));
}

// OK: caller of the escaping similarity
void rs_similar_items_ok(void) {
  rs_model m;
  if (rs_init(&m, 0.1) != 0)
    return;
  ts_tensor *sim = rs_item_sim_ok(&m);
  TS_SCOPE { printf("recsys: row sum %.3f\n", ts_item(ts_sum(ts_narrow(sim, 0, 0, 1)))); }
  ts_free(sim);
  rs_free(&m);
}

// BUG: use-after-scope: the per-user best score tensor outlives its loop scope
void rs_best_user(void) {
  rs_model m;
  if (rs_init(&m, 0.1) != 0)
    return;
  ts_tensor *best = NULL;
  double bv = -1e30;
  for (int64_t u = 0; u < RS_USERS; u++) {
    ts_tensor *sc = rs_user_scores(&m, u);
    TS_SCOPE {
      ts_tensor *mx = ts_sum(ts_relu(sc));
      if (ts_item(mx) > bv) {
        bv = ts_item(mx);
        best = mx;
      }
    }
    ts_free(sc);
  }
  printf("recsys: best %.3f\n", ts_item(best)); // <- BUG
  rs_free(&m);
}

// BUG: leak: the user-factor snapshot is replaced each epoch without freeing the old one
void rs_snapshot_epochs(void) {
  rs_model m;
  if (rs_init(&m, 0.1) != 0)
    return;
  ts_tensor *snap = NULL;
  for (int ep = 0; ep < 3; ep++) {
    rs_bpr_step(&m, ep, (ep + 2) % RS_ITEMS);
    snap = ts_clone(m.U); // <- BUG
  }
  TS_SCOPE { printf("recsys: drift %.3f\n", ts_item(ts_sum(ts_abs(ts_sub(m.U, snap))))); }
  ts_free(snap);
  rs_free(&m);
}

// OK: the snapshot freed before it is replaced
void rs_snapshot_epochs_ok(void) {
  rs_model m;
  if (rs_init(&m, 0.1) != 0)
    return;
  ts_tensor *snap = NULL;
  for (int ep = 0; ep < 3; ep++) {
    rs_bpr_step(&m, ep, (ep + 2) % RS_ITEMS);
    if (snap)
      ts_free(snap);
    snap = ts_clone(m.U);
  }
  TS_SCOPE { printf("recsys: drift %.3f\n", ts_item(ts_sum(ts_abs(ts_sub(m.U, snap))))); }
  ts_free(snap);
  rs_free(&m);
}

// BUG: leak: negatives are gathered into a malloc'd array that is freed without its tensors
void rs_negative_bank(void) {
  ts_tensor **bank = malloc(4 * sizeof *bank);
  if (!bank)
    return;
  for (int i = 0; i < 4; i++)
    bank[i] = rs_sample_negatives(i); // <- BUG
  TS_SCOPE {
    ts_tensor *all = ts_cat((const ts_tensor *const *)bank, 4, 0);
    printf("recsys: %lld negatives\n", (long long)ts_numel(all));
  }
  free(bank);
}

// OK: the negative bank frees its tensors before the array
void rs_negative_bank_ok(void) {
  ts_tensor **bank = malloc(4 * sizeof *bank);
  if (!bank)
    return;
  for (int i = 0; i < 4; i++)
    bank[i] = rs_sample_negatives(i);
  TS_SCOPE {
    ts_tensor *all = ts_cat((const ts_tensor *const *)bank, 4, 0);
    printf("recsys: %lld negatives\n", (long long)ts_numel(all));
  }
  for (int i = 0; i < 4; i++)
    ts_free(bank[i]);
  free(bank);
}

// BUG: double-free: the model is freed on the evaluation error path and again at the end
void rs_eval_error(void) {
  rs_model m;
  if (rs_init(&m, 0.1) != 0)
    return;
  ts_tensor *sc = rs_user_scores(&m, 0);
  if (ts_size(sc, 1) != RS_ITEMS + 1) {
    printf("recsys: bad score width\n");
    ts_free(m.V);
    ts_free(m.U);
  }
  ts_free(sc);
  ts_free(m.U); // <- BUG
  ts_free(m.V);
}
