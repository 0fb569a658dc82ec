/*
 * heldout10_fraud.c - streaming fraud scoring: a linear model struct, batch
 * scoring of stacked transactions, account profiles in an open-addressing
 * map with least-recently-used eviction, a sliding window of recent
 * transactions, refunds and flagged payments on their own paths, the worst
 * payment of a scored loop, a review session in an async scope.
 *
 * Labels (see README.md): `// OK: why` or `// BUG: check: why` on the line
 * before each function; the line of the bug itself ends in `// <- BUG`.
 */
#include <stdio.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { FEAT = 5, MAPCAP = 3, WINDOW = 4 };

typedef struct {
  ts_tensor *w; /* [FEAT] */
  ts_tensor *b; /* 0-d */
  double threshold;
} model;

typedef struct {
  int id;
  int used;
  long last_seen;
  ts_tensor *profile; /* [FEAT] */
} slot;

typedef struct {
  slot s[MAPCAP];
  long clock;
} profile_map;

typedef struct {
  ts_tensor *txn[WINDOW];
  int n;
} window;

// OK: weights and bias, the weights freed if the bias fails
static int model_load(model *m) {
  m->threshold = 0.5;
  m->w = ts_randn(TS_SHAPE(FEAT), TS_FLOAT32);
  if (!m->w)
    return -1;
  m->b = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  if (!m->b) {
    ts_free(m->w);
    return -1;
  }
  return 0;
}

// OK: frees both
static void model_free(model *m) {
  ts_free(m->w);
  ts_free(m->b);
}

// OK: the probability of fraud for one transaction
static double score(const model *m, const ts_tensor *txn) {
  ts_tensor *wx = ts_mul(m->w, txn);
  ts_tensor *z = ts_sum(wx);
  ts_tensor *zb = ts_add(z, m->b);
  ts_tensor *p = ts_sigmoid(zb);
  ts_tensor *s = ts_sum(p);
  double v = ts_item(s);
  ts_free(s);
  ts_free(p);
  ts_free(zb);
  ts_free(z);
  ts_free(wx);
  return v;
}

// OK: scores of n transactions stacked into [n, FEAT]; the caller owns them
static ts_tensor *score_batch(const model *m, const ts_tensor *const *txns,
                              int n) {
  ts_tensor *x = ts_stack(txns, n, 0);
  ts_tensor *w = ts_reshape(m->w, TS_SHAPE(FEAT, 1));
  ts_tensor *z = ts_matmul(x, w);
  ts_tensor *p = ts_sigmoid(z);
  ts_free(z);
  ts_free(w);
  ts_free(x);
  return p;
}

// BUG: leak: the stacked batch is never freed
static ts_tensor *score_batch_fast(const model *m, const ts_tensor *const *txns,
                                   int n) {
  ts_tensor *x = ts_stack(txns, n, 0); // <- BUG
  ts_tensor *w = ts_reshape(m->w, TS_SHAPE(FEAT, 1));
  ts_tensor *p = ts_sigmoid(ts_matmul(x, w));
  ts_free(w);
  return p;
}

// OK: a batch scored and freed with its transactions
void frd_batch(void) {
  model m;
  if (model_load(&m) != 0)
    return;
  ts_tensor *txns[3];
  for (int k = 0; k < 3; k++)
    txns[k] = ts_randn(TS_SHAPE(FEAT), TS_FLOAT32);
  ts_tensor *p = score_batch(&m, (const ts_tensor *const *)txns, 3);
  ts_tensor *mx = ts_max(p);
  printf("riskiest %.3f\n", ts_item(mx));
  ts_free(mx);
  ts_free(p);
  for (int k = 0; k < 3; k++)
    ts_free(txns[k]);
  model_free(&m);
}

// OK: the fast batch scorer
void frd_batch_fast(void) {
  model m;
  if (model_load(&m) != 0)
    return;
  ts_tensor *txns[2];
  for (int k = 0; k < 2; k++)
    txns[k] = ts_randn(TS_SHAPE(FEAT), TS_FLOAT32);
  ts_tensor *p = score_batch_fast(&m, (const ts_tensor *const *)txns, 2);
  ts_free(p);
  for (int k = 0; k < 2; k++)
    ts_free(txns[k]);
  model_free(&m);
}

// OK: the slot of id, or -1
static int map_find(const profile_map *pm, int id) {
  for (int k = 0; k < MAPCAP; k++)
    if (pm->s[k].used && pm->s[k].id == id)
      return k;
  return -1;
}

// OK: blends the transaction into the account's profile (the old profile is
// freed); a new account takes a free slot or evicts the least recently used
static void map_update(profile_map *pm, int id, const ts_tensor *txn) {
  int k = map_find(pm, id);
  pm->clock++;
  if (k >= 0) {
    ts_tensor *a = ts_mul_scalar(pm->s[k].profile, 0.9);
    ts_tensor *b = ts_mul_scalar(txn, 0.1);
    ts_tensor *next = ts_add(a, b);
    ts_free(b);
    ts_free(a);
    ts_free(pm->s[k].profile);
    pm->s[k].profile = next;
    pm->s[k].last_seen = pm->clock;
    return;
  }
  int victim = 0;
  for (int j = 0; j < MAPCAP; j++) {
    if (!pm->s[j].used) {
      victim = j;
      break;
    }
    if (pm->s[j].last_seen < pm->s[victim].last_seen)
      victim = j;
  }
  if (pm->s[victim].used)
    ts_free(pm->s[victim].profile);
  pm->s[victim] = (slot){id, 1, pm->clock, ts_clone(txn)};
}

// OK: borrowed profile of an account, or NULL
static const ts_tensor *map_get(const profile_map *pm, int id) {
  int k = map_find(pm, id);
  return k >= 0 ? pm->s[k].profile : NULL;
}

// OK: removes an account: its profile freed and the slot cleared
static void map_remove(profile_map *pm, int id) {
  int k = map_find(pm, id);
  if (k < 0)
    return;
  ts_free(pm->s[k].profile);
  pm->s[k].profile = NULL;
  pm->s[k].used = 0;
}

// BUG: double-free: the slot is marked unused but keeps the freed profile,
// which map_clear frees again
static void map_remove_lazy(profile_map *pm, int id) {
  int k = map_find(pm, id);
  if (k < 0)
    return;
  ts_free(pm->s[k].profile);
  pm->s[k].used = 0; // <- BUG
}

// OK: frees every profile still held
static void map_clear(profile_map *pm) {
  for (int k = 0; k < MAPCAP; k++) {
    if (pm->s[k].profile)
      ts_free(pm->s[k].profile);
    pm->s[k].profile = NULL;
    pm->s[k].used = 0;
  }
}

// OK: five accounts through three slots, one removed, cleared
void frd_profiles(void) {
  profile_map pm = {{{0, 0, 0, NULL}}, 0};
  for (int k = 0; k < 5; k++) {
    ts_tensor *txn = ts_randn(TS_SHAPE(FEAT), TS_FLOAT32);
    map_update(&pm, k % 4, txn);
    ts_free(txn);
  }
  map_remove(&pm, 3);
  map_clear(&pm);
}

// OK: the lazy removal, then the clear
void frd_profiles_lazy(void) {
  profile_map pm = {{{0, 0, 0, NULL}}, 0};
  for (int k = 0; k < 2; k++) {
    ts_tensor *txn = ts_randn(TS_SHAPE(FEAT), TS_FLOAT32);
    map_update(&pm, k, txn);
    ts_free(txn);
  }
  map_remove_lazy(&pm, 0);
  map_clear(&pm);
}

// BUG: use-after-free: account 0's profile is borrowed, then new accounts
// evict it before the comparison
void frd_profile_compare(void) {
  profile_map pm = {{{0, 0, 0, NULL}}, 0};
  ts_tensor *txn = ts_randn(TS_SHAPE(FEAT), TS_FLOAT32);
  for (int id = 0; id < MAPCAP; id++)
    map_update(&pm, id, txn);
  const ts_tensor *p0 = map_get(&pm, 0);
  map_update(&pm, 7, txn);
  ts_tensor *d = ts_sub(txn, p0); // <- BUG
  ts_free(d);
  ts_free(txn);
  map_clear(&pm);
}

// OK: the profile is cloned before new accounts can evict it
void frd_profile_compare_ok(void) {
  profile_map pm = {{{0, 0, 0, NULL}}, 0};
  ts_tensor *txn = ts_randn(TS_SHAPE(FEAT), TS_FLOAT32);
  for (int id = 0; id < MAPCAP; id++)
    map_update(&pm, id, txn);
  ts_tensor *p0 = ts_clone(map_get(&pm, 0));
  map_update(&pm, 7, txn);
  ts_tensor *d = ts_sub(txn, p0);
  ts_tensor *s = ts_sum(d);
  printf("drift %.3f\n", ts_item(s));
  ts_free(s);
  ts_free(d);
  ts_free(p0);
  ts_free(txn);
  map_clear(&pm);
}

// OK: the window takes the transaction; the oldest is freed when full
static void window_push(window *w, ts_tensor *txn) {
  if (w->n == WINDOW) {
    ts_free(w->txn[0]);
    for (int k = 1; k < WINDOW; k++)
      w->txn[k - 1] = w->txn[k];
    w->n--;
  }
  w->txn[w->n++] = txn;
}

// OK: frees the window
static void window_free(window *w) {
  for (int k = 0; k < w->n; k++)
    ts_free(w->txn[k]);
  w->n = 0;
}

// OK: a velocity feature: the window's mean transaction
void frd_window(void) {
  model m;
  window w = {{NULL}, 0};
  if (model_load(&m) != 0)
    return;
  for (int k = 0; k < 6; k++)
    window_push(&w, ts_randn(TS_SHAPE(FEAT), TS_FLOAT32));
  ts_tensor *p = score_batch(&m, (const ts_tensor *const *)w.txn, w.n);
  ts_tensor *mean = ts_mean(p);
  printf("window risk %.3f\n", ts_item(mean));
  ts_free(mean);
  ts_free(p);
  window_free(&w);
  model_free(&m);
}

// OK: a refund is never fraud: the features are freed on that path too
static int flag_payment(const model *m, const ts_tensor *txn) {
  ts_tensor *amount = ts_select_int(txn, 0, 0);
  ts_tensor *feats = ts_tanh(txn);
  int refund = ts_item(amount) <= 0;
  ts_free(amount);
  if (refund) {
    ts_free(feats);
    return 0;
  }
  int flagged = score(m, feats) > m->threshold;
  ts_free(feats);
  return flagged;
}

// BUG: leak: the refund path returns before the features are freed
static int flag_payment_fast(const model *m, const ts_tensor *txn) {
  ts_tensor *feats = ts_tanh(txn); // <- BUG
  ts_tensor *amount = ts_select_int(txn, 0, 0);
  int refund = ts_item(amount) <= 0;
  ts_free(amount);
  if (refund)
    return 0;
  int flagged = score(m, feats) > m->threshold;
  ts_free(feats);
  return flagged;
}

// OK: a payment and a refund
void frd_flag(void) {
  model m;
  if (model_load(&m) != 0)
    return;
  ts_tensor *pay =
      ts_from_buffer((float[]){50, 1, 0, 1, 0}, TS_SHAPE(FEAT), TS_FLOAT32);
  ts_tensor *refund =
      ts_from_buffer((float[]){-20, 0, 1, 0, 0}, TS_SHAPE(FEAT), TS_FLOAT32);
  printf("flags %d %d\n", flag_payment(&m, pay), flag_payment(&m, refund));
  ts_free(refund);
  ts_free(pay);
  model_free(&m);
}

// OK: the same payment and refund through the fast flagger
void frd_flag_fast(void) {
  model m;
  if (model_load(&m) != 0)
    return;
  ts_tensor *pay =
      ts_from_buffer((float[]){50, 1, 0, 1, 0}, TS_SHAPE(FEAT), TS_FLOAT32);
  ts_tensor *refund =
      ts_from_buffer((float[]){-20, 0, 1, 0, 0}, TS_SHAPE(FEAT), TS_FLOAT32);
  printf("fast %d %d\n", flag_payment_fast(&m, pay),
         flag_payment_fast(&m, refund));
  ts_free(refund);
  ts_free(pay);
  model_free(&m);
}

// OK: a flagged payment is reported, logged, and then freed on both paths
void frd_review(void) {
  model m;
  if (model_load(&m) != 0)
    return;
  m.threshold = -1.0;
  for (int k = 0; k < 2; k++) {
    ts_tensor *txn = ts_randn(TS_SHAPE(FEAT), TS_FLOAT32);
    double p = score(&m, txn);
    if (p > m.threshold)
      printf("flagged %d: %.3f\n", k, p);
    ts_tensor *s = ts_sum(txn);
    printf("logged %.3f\n", ts_item(s));
    ts_free(s);
    ts_free(txn);
  }
  model_free(&m);
}

// BUG: use-after-free: a flagged payment is freed after its report, then
// logged like any other
void frd_review_flagged(void) {
  model m;
  if (model_load(&m) != 0)
    return;
  m.threshold = -1.0;
  for (int k = 0; k < 2; k++) {
    ts_tensor *txn = ts_randn(TS_SHAPE(FEAT), TS_FLOAT32);
    double p = score(&m, txn);
    if (p > m.threshold) {
      printf("flagged %d: %.3f\n", k, p);
      ts_free(txn);
    }
    ts_tensor *s = ts_sum(txn); // <- BUG
    printf("logged %.3f\n", ts_item(s));
    ts_free(s);
    if (p <= m.threshold)
      ts_free(txn);
  }
  model_free(&m);
}

// BUG: use-after-scope: the worst payment is kept from the scoped loop's
// iterations and rescored after the loop
void frd_worst(void) {
  model m;
  if (model_load(&m) != 0)
    return;
  ts_tensor *worst = NULL;
  double worst_p = -1;
  int k = 0;
  TS_SCOPE while (k < 3) {
    ts_tensor *txn = ts_mul_scalar(ts_randn(TS_SHAPE(FEAT), TS_FLOAT32), 2.0);
    double p = score(&m, txn);
    if (p > worst_p) {
      worst_p = p;
      worst = txn;
    }
    k++;
  }
  printf("worst %.3f\n", score(&m, worst)); // <- BUG
  model_free(&m);
}

// OK: the worst payment escapes; the one it replaces is freed
void frd_worst_ok(void) {
  model m;
  if (model_load(&m) != 0)
    return;
  ts_tensor *worst = NULL;
  double worst_p = -1;
  int k = 0;
  TS_SCOPE while (k < 3) {
    ts_tensor *txn = ts_mul_scalar(ts_randn(TS_SHAPE(FEAT), TS_FLOAT32), 2.0);
    double p = score(&m, txn);
    if (p > worst_p) {
      worst_p = p;
      if (worst)
        ts_free(worst);
      worst = ts_escape(txn);
    }
    k++;
  }
  printf("worst %.3f\n", score(&m, worst));
  ts_free(worst);
  model_free(&m);
}

// OK: a review session's evidence lives in an async scope until it ends
void frd_session(void) {
  model m;
  if (model_load(&m) != 0)
    return;
  ts_async_scope *sess = ts_async_scope_begin();
  ts_tensor *evidence[2];
  for (int k = 0; k < 2; k++) {
    ts_async_scope_enter(sess);
    evidence[k] = ts_randn(TS_SHAPE(FEAT), TS_FLOAT32);
    ts_async_scope_leave(sess);
  }
  ts_async_scope_enter(sess);
  printf("evidence %.3f %.3f\n", score(&m, evidence[0]),
         score(&m, evidence[1]));
  ts_async_scope_leave(sess);
  ts_async_scope_end(sess);
  model_free(&m);
}
