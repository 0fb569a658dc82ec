/* heldout9_negsamp.c - a sparse implicit-feedback recommender trained with
 * negative sampling: interactions in CSR arrays, user and item factor
 * tables as arrays of row tensors, a sampler that draws unseen items, and a
 * BPR-style pairwise update applied row by row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>

#define NS_USERS 5
#define NS_ITEMS 8
#define NS_K 4

typedef struct {
  int rowptr[NS_USERS + 1];
  int col[32];
} ns_csr;

typedef struct {
  ts_tensor *user[NS_USERS]; /* [1, NS_K] each */
  ts_tensor *item[NS_ITEMS]; /* [1, NS_K] each */
  unsigned rng;
} ns_model;

// OK: a fixed interaction matrix
static void ns_csr_build(ns_csr *m) {
  int k = 0;
  for (int u = 0; u < NS_USERS; u++) {
    m->rowptr[u] = k;
    for (int i = 0; i < NS_ITEMS; i++)
      if ((u * 3 + i) % 4 == 0)
        m->col[k++] = i;
  }
  m->rowptr[NS_USERS] = k;
}

// OK: whether user u has seen item i
static int ns_seen(const ns_csr *m, int u, int i) {
  for (int k = m->rowptr[u]; k < m->rowptr[u + 1]; k++)
    if (m->col[k] == i)
      return 1;
  return 0;
}

// OK: random factor rows; on failure everything made so far is freed
static int ns_model_init(ns_model *md) {
  memset(md, 0, sizeof *md);
  md->rng = 12345u;
  for (int u = 0; u < NS_USERS; u++)
    if (!(md->user[u] = ts_rand(TS_SHAPE(1, NS_K), TS_FLOAT32)))
      goto fail;
  for (int i = 0; i < NS_ITEMS; i++)
    if (!(md->item[i] = ts_rand(TS_SHAPE(1, NS_K), TS_FLOAT32)))
      goto fail;
  return 0;
fail:
  for (int u = 0; u < NS_USERS; u++)
    if (md->user[u])
      ts_free(md->user[u]);
  for (int i = 0; i < NS_ITEMS; i++)
    if (md->item[i])
      ts_free(md->item[i]);
  memset(md, 0, sizeof *md);
  return -1;
}

// OK: frees the factor rows
static void ns_model_free(ns_model *md) {
  for (int u = 0; u < NS_USERS; u++)
    if (md->user[u])
      ts_free(md->user[u]);
  for (int i = 0; i < NS_ITEMS; i++)
    if (md->item[i])
      ts_free(md->item[i]);
  memset(md, 0, sizeof *md);
}

// OK: an unseen item for u, or -1 after a few tries
static int ns_sample_negative(ns_model *md, const ns_csr *m, int u) {
  for (int tries = 0; tries < 16; tries++) {
    md->rng = md->rng * 1103515245u + 12345u;
    int i = (int)((md->rng >> 8) % NS_ITEMS);
    if (!ns_seen(m, u, i))
      return i;
  }
  return -1;
}

// OK: the score of (u, i), in the caller's scope
TS_CALLER_SCOPE static ts_tensor *ns_score(const ns_model *md, int u, int i) {
  return ts_sum(ts_mul(md->user[u], md->item[i]));
}

// OK: replaces a factor row with row + step * dir (old row freed)
static void ns_row_step(ts_tensor **row, const ts_tensor *dir, double step) {
  ts_tensor *nr = NULL;
  TS_SCOPE { nr = ts_keep(ts_add(*row, ts_mul_scalar(dir, step))); }
  if (!nr)
    return;
  ts_free(*row);
  *row = nr;
}

// OK: one BPR update for (u, pos, neg)
static double ns_bpr_step(ns_model *md, int u, int pos, int neg, double lr) {
  double g, x;
  TS_SCOPE {
    ts_tensor *margin = ts_sub(ns_score(md, u, pos), ns_score(md, u, neg));
    x = ts_item(margin);
    g = ts_item(ts_sigmoid(ts_neg(margin)));
  }
  ts_tensor *diff = ts_sub(md->item[pos], md->item[neg]);
  ts_tensor *ucopy = ts_clone(md->user[u]);
  ns_row_step(&md->user[u], diff, lr * g);
  ns_row_step(&md->item[pos], ucopy, lr * g);
  ns_row_step(&md->item[neg], ucopy, -lr * g);
  ts_free(ucopy);
  ts_free(diff);
  return x;
}

// OK: entry: two epochs over every interaction
void ns_entry_train(void) {
  ns_csr m;
  ns_model md;
  ns_csr_build(&m);
  if (ns_model_init(&md) != 0)
    return;
  for (int ep = 0; ep < 2; ep++)
    for (int u = 0; u < NS_USERS; u++)
      for (int k = m.rowptr[u]; k < m.rowptr[u + 1]; k++) {
        int neg = ns_sample_negative(&md, &m, u);
        if (neg < 0)
          continue;
        ns_bpr_step(&md, u, m.col[k], neg, 0.1);
      }
  ns_model_free(&md);
}

// BUG: leak: when no negative can be drawn the positive item's copy is abandoned by the continue
static int ns_epoch_cached(ns_model *md, const ns_csr *m, double lr) {
  int steps = 0;
  for (int u = 0; u < NS_USERS; u++)
    for (int k = m->rowptr[u]; k < m->rowptr[u + 1]; k++) {
      ts_tensor *pos = ts_clone(md->item[m->col[k]]); // <- BUG
      int neg = ns_sample_negative(md, m, u);
      if (neg < 0)
        continue;
      ts_tensor *diff = ts_sub(pos, md->item[neg]);
      ns_row_step(&md->user[u], diff, lr);
      ts_free(diff);
      ts_free(pos);
      steps++;
    }
  return steps;
}

// OK: entry: a user who has seen every item has no negatives
void ns_entry_epoch_cached(void) {
  ns_csr m;
  ns_model md;
  memset(&m, 0, sizeof m);
  for (int i = 0; i < NS_ITEMS; i++)
    m.col[i] = i;
  m.rowptr[1] = NS_ITEMS;
  for (int u = 2; u <= NS_USERS; u++)
    m.rowptr[u] = NS_ITEMS;
  if (ns_model_init(&md) != 0)
    return;
  printf("%d steps\n", ns_epoch_cached(&md, &m, 0.1));
  ns_model_free(&md);
}

// BUG: use-after-free: the user row is read after ns_row_step replaced (freed) it
static double ns_user_drift(ns_model *md, int u, const ts_tensor *dir) {
  ts_tensor *before = md->user[u];
  ns_row_step(&md->user[u], dir, 0.5);
  double d = 0;
  TS_SCOPE { d = ts_item(ts_mse_loss(md->user[u], before)); } // <- BUG
  return d;
}

// OK: entry: drives ns_user_drift
void ns_entry_drift(void) {
  ns_model md;
  if (ns_model_init(&md) != 0)
    return;
  ts_tensor *dir = ts_ones(TS_SHAPE(1, NS_K), TS_FLOAT32);
  printf("%.3f\n", ns_user_drift(&md, 1, dir));
  ts_free(dir);
  ns_model_free(&md);
}

// BUG: leak: the top-k scan keeps the best score tensor but forgets the previous best when a better one comes
static int ns_top_item(const ns_model *md, const ns_csr *m, int u) {
  ts_tensor *best = NULL;
  int arg = -1;
  for (int i = 0; i < NS_ITEMS; i++) {
    if (ns_seen(m, u, i))
      continue;
    ts_tensor *p = ts_mul(md->user[u], md->item[i]);
    ts_tensor *s = ts_sum(p);
    ts_free(p);
    if (!best || ts_item(s) > ts_item(best)) {
      best = s; // <- BUG
      arg = i;
    } else {
      ts_free(s);
    }
  }
  if (best)
    ts_free(best);
  return arg;
}

// OK: entry: top item for every user
void ns_entry_top(void) {
  ns_csr m;
  ns_model md;
  ns_csr_build(&m);
  if (ns_model_init(&md) != 0)
    return;
  for (int u = 0; u < NS_USERS; u++)
    printf("user %d -> %d\n", u, ns_top_item(&md, &m, u));
  ns_model_free(&md);
}

// OK: the top unseen item with only doubles kept across the loop
static int ns_top_item_ok(const ns_model *md, const ns_csr *m, int u) {
  double best = -1e30;
  int arg = -1;
  TS_SCOPE for (int i = 0; i < NS_ITEMS; i++) {
    if (ns_seen(m, u, i))
      continue;
    double v = ts_item(ns_score(md, u, i));
    if (v > best) {
      best = v;
      arg = i;
    }
  }
  return arg;
}

// OK: entry: correct top items
void ns_entry_top_ok(void) {
  ns_csr m;
  ns_model md;
  ns_csr_build(&m);
  if (ns_model_init(&md) != 0)
    return;
  for (int u = 0; u < NS_USERS; u++)
    printf("user %d -> %d\n", u, ns_top_item_ok(&md, &m, u));
  ns_model_free(&md);
}

// BUG: double-free: tying two items shares one tensor in both slots, and ns_model_free frees it twice
static void ns_tie_items(ns_model *md, int a, int b) {
  ts_free(md->item[b]);
  md->item[b] = md->item[a]; // <- BUG
}

// OK: entry: drives ns_tie_items
void ns_entry_tie(void) {
  ns_model md;
  if (ns_model_init(&md) != 0)
    return;
  ns_tie_items(&md, 0, 1);
  ns_model_free(&md);
}

// BUG: use-after-free: an item row is dropped for cold-start, then scored by the same function
static double ns_cold_start(ns_model *md, int i, int u) {
  ts_tensor *row = md->item[i];
  ts_free(row);
  md->item[i] = ts_zeros(TS_SHAPE(1, NS_K), TS_FLOAT32);
  ts_tensor *p = ts_mul(md->user[u], row); // <- BUG
  ts_tensor *s = ts_sum(p);
  double v = ts_item(s);
  ts_free(s);
  ts_free(p);
  return v;
}

// OK: entry: drives ns_cold_start
void ns_entry_cold(void) {
  ns_model md;
  if (ns_model_init(&md) != 0)
    return;
  printf("%.3f\n", ns_cold_start(&md, 2, 0));
  ns_model_free(&md);
}

// BUG: leak: the regulariser's squared norm of each row is made outside any scope and only the total is freed
static double ns_l2(const ns_model *md) {
  double tot = 0;
  for (int u = 0; u < NS_USERS; u++) {
    ts_tensor *sq = ts_mul(md->user[u], md->user[u]); // <- BUG
    ts_tensor *s = ts_sum(sq);
    tot += ts_item(s);
    ts_free(s);
  }
  return tot;
}

// OK: entry: drives ns_l2
void ns_entry_l2(void) {
  ns_model md;
  if (ns_model_init(&md) != 0)
    return;
  printf("%.3f\n", ns_l2(&md));
  ns_model_free(&md);
}
