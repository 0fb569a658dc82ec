/* heldout9_ctr.c - serving click-through-rate predictions: user embeddings
 * in an LRU cache (hash chains plus a doubly linked recency list), an ad
 * table, request handlers run through ts_run, and a feature-cross scorer.
 * Entries with a TTL expire on lookup. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define CTR_D 8
#define CTR_CAP 4
#define CTR_HASH 5
#define CTR_ADS 6

typedef struct ctr_ent {
  int user;
  int expires;
  ts_tensor *emb; /* [1, CTR_D] the cache's */
  struct ctr_ent *hnext;
  struct ctr_ent *prev, *next; /* recency list, head = newest */
} ctr_ent;

typedef struct {
  ctr_ent *hash[CTR_HASH];
  ctr_ent *head, *tail;
  int size, now;
  long hits, misses;
} ctr_cache;

typedef struct {
  ctr_cache cache;
  ts_tensor *ads; /* [CTR_ADS, CTR_D] */
  ts_tensor *bias; /* [1, CTR_ADS] */
} ctr_server;

typedef struct {
  ctr_server *srv;
  int user;
  ts_tensor *scores; /* result, [1, CTR_ADS], the request's */
  int best;
} ctr_request;

// OK: a deterministic user embedding, caller owns it
static ts_tensor *ctr_fetch_user(int user) {
  float e[CTR_D];
  for (int i = 0; i < CTR_D; i++)
    e[i] = (float)((user * 13 + i * 5) % 9) / 9.0f - 0.4f;
  return ts_from_buffer(e, TS_SHAPE(1, CTR_D), TS_FLOAT32);
}

// OK: unlinks an entry from the recency list
static void ctr_lru_unlink(ctr_cache *c, ctr_ent *e) {
  if (e->prev)
    e->prev->next = e->next;
  else
    c->head = e->next;
  if (e->next)
    e->next->prev = e->prev;
  else
    c->tail = e->prev;
  e->prev = e->next = NULL;
}

// OK: puts an entry at the head of the recency list
static void ctr_lru_front(ctr_cache *c, ctr_ent *e) {
  e->next = c->head;
  e->prev = NULL;
  if (c->head)
    c->head->prev = e;
  c->head = e;
  if (!c->tail)
    c->tail = e;
}

// OK: removes an entry from its hash chain
static void ctr_hash_unlink(ctr_cache *c, ctr_ent *e) {
  ctr_ent **pp = &c->hash[e->user % CTR_HASH];
  while (*pp && *pp != e)
    pp = &(*pp)->hnext;
  if (*pp)
    *pp = e->hnext;
}

// OK: drops an entry entirely, its embedding freed
static void ctr_drop(ctr_cache *c, ctr_ent *e) {
  ctr_lru_unlink(c, e);
  ctr_hash_unlink(c, e);
  ts_free(e->emb);
  free(e);
  c->size--;
}

// OK: evicts the least recently used entry
static void ctr_evict(ctr_cache *c) {
  if (c->tail)
    ctr_drop(c, c->tail);
}

// OK: the cached embedding (borrowed), fetched and inserted on a miss
static ts_tensor *ctr_get(ctr_cache *c, int user, int ttl) {
  c->now++;
  for (ctr_ent *e = c->hash[user % CTR_HASH]; e; e = e->hnext)
    if (e->user == user) {
      if (e->expires < c->now) {
        ctr_drop(c, e);
        break;
      }
      ctr_lru_unlink(c, e);
      ctr_lru_front(c, e);
      c->hits++;
      return e->emb;
    }
  c->misses++;
  if (c->size == CTR_CAP)
    ctr_evict(c);
  ctr_ent *e = calloc(1, sizeof *e);
  if (!e)
    return NULL;
  /* the cache outlives any request scope the lookup runs in */
  e->emb = ts_keep(ctr_fetch_user(user));
  e->user = user;
  e->expires = c->now + ttl;
  e->hnext = c->hash[user % CTR_HASH];
  c->hash[user % CTR_HASH] = e;
  ctr_lru_front(c, e);
  c->size++;
  return e->emb;
}

// OK: frees every entry
static void ctr_cache_free(ctr_cache *c) {
  while (c->head)
    ctr_drop(c, c->head);
  memset(c->hash, 0, sizeof c->hash);
}

// OK: a server with its ad table
static int ctr_server_init(ctr_server *s) {
  memset(s, 0, sizeof *s);
  ts_manual_seed(5);
  s->ads = ts_randn(TS_SHAPE(CTR_ADS, CTR_D), TS_FLOAT32);
  s->bias = ts_zeros(TS_SHAPE(1, CTR_ADS), TS_FLOAT32);
  return s->ads && s->bias ? 0 : -1;
}

// OK: frees the server
static void ctr_server_free(ctr_server *s) {
  ctr_cache_free(&s->cache);
  if (s->ads)
    ts_free(s->ads);
  if (s->bias)
    ts_free(s->bias);
  s->ads = s->bias = NULL;
}

// OK: scores of one user against every ad, in the caller's scope
TS_CALLER_SCOPE static ts_tensor *ctr_score(const ctr_server *s, const ts_tensor *u) {
  ts_tensor *logits = ts_add(ts_matmul(u, ts_transpose(s->ads, 0, 1)), s->bias);
  return ts_sigmoid(logits);
}

// OK: request body for ts_run: scores escaped into the request
static void *ctr_handle(void *arg) {
  ctr_request *r = arg;
  ts_tensor *u = ctr_get(&r->srv->cache, r->user, 10);
  if (!u)
    return NULL;
  ts_tensor *p = ctr_score(r->srv, u);
  r->best = (int)ts_item(ts_argmax(p));
  r->scores = ts_escape(p);
  return r;
}

// OK: entry: requests from a few users, results freed
void ctr_entry_serve(void) {
  ctr_server s;
  if (ctr_server_init(&s) == 0) {
    int users[] = {1, 2, 3, 1, 4, 5, 2, 6, 1};
    for (int i = 0; i < 9; i++) {
      ctr_request r = {.srv = &s, .user = users[i]};
      if (ts_run(ctr_handle, &r) && r.scores) {
        printf("user %d -> ad %d\n", r.user, r.best);
        ts_free(r.scores);
      }
    }
    printf("hits %ld misses %ld\n", s.cache.hits, s.cache.misses);
  }
  ctr_server_free(&s);
}

// OK: a peek handler: the scores stay in ts_run's scope, valid during the request only
static void *ctr_handle_peek(void *arg) {
  ctr_request *r = arg;
  ts_tensor *u = ctr_get(&r->srv->cache, r->user, 10);
  if (!u)
    return NULL;
  ts_tensor *p = ctr_score(r->srv, u);
  r->scores = p;
  r->best = (int)ts_item(ts_argmax(p));
  return r;
}

// BUG: use-after-scope: the peek handler's scores are read after ts_run ended the request's scope
void ctr_entry_serve_peek(void) {
  ctr_server s;
  if (ctr_server_init(&s) == 0) {
    ctr_request r = {.srv = &s, .user = 3};
    if (ts_run(ctr_handle_peek, &r) && r.scores) {
      ts_tensor *mx = ts_sum(r.scores); // <- BUG
      printf("%.3f\n", ts_item(mx));
      ts_free(mx);
    }
  }
  ctr_server_free(&s);
}

// BUG: use-after-free: the user's borrowed embedding is used after the neighbours' gets evicted it
static double ctr_neighbour_affinity(ctr_cache *c, int user, const int *nb, int n) {
  ts_tensor *eu = ctr_get(c, user, 10);
  double tot = 0;
  for (int i = 0; i < n; i++) {
    ts_tensor *en = ctr_get(c, nb[i], 10);
    ts_tensor *prod = ts_mul(eu, en); // <- BUG
    ts_tensor *s = ts_sum(prod);
    tot += ts_item(s);
    ts_free(s);
    ts_free(prod);
  }
  return tot;
}

// OK: entry: more neighbours than the cache holds
void ctr_entry_affinity(void) {
  ctr_server s;
  if (ctr_server_init(&s) == 0) {
    int nb[5] = {31, 32, 33, 34, 35};
    printf("%.3f\n", ctr_neighbour_affinity(&s.cache, 30, nb, 5));
  }
  ctr_server_free(&s);
}

// OK: neighbour affinity with an owned copy of the user, safe against eviction
static double ctr_neighbour_affinity_ok(ctr_cache *c, int user, const int *nb, int n) {
  ts_tensor *eu = ts_clone(ctr_get(c, user, 10));
  double tot = 0;
  TS_SCOPE for (int i = 0; i < n; i++) {
    ts_tensor *en = ctr_get(c, nb[i], 10);
    tot += ts_item(ts_sum(ts_mul(eu, en)));
  }
  ts_free(eu);
  return tot;
}

// OK: entry: the same neighbours through the safe affinity
void ctr_entry_affinity_ok(void) {
  ctr_server s;
  if (ctr_server_init(&s) == 0) {
    int nb[5] = {31, 32, 33, 34, 35};
    printf("%.3f\n", ctr_neighbour_affinity_ok(&s.cache, 30, nb, 5));
  }
  ctr_server_free(&s);
}

// BUG: double-free: ctr_drop already frees the embedding, and the invalidation frees its saved pointer again
static void ctr_invalidate(ctr_cache *c, int user) {
  for (ctr_ent *e = c->hash[user % CTR_HASH]; e; e = e->hnext)
    if (e->user == user) {
      ts_tensor *emb = e->emb;
      ctr_drop(c, e);
      ts_free(emb); // <- BUG
      return;
    }
}

// OK: entry: invalidates a cached user
void ctr_entry_invalidate(void) {
  ctr_server s;
  if (ctr_server_init(&s) == 0) {
    ctr_get(&s.cache, 7, 10);
    ctr_invalidate(&s.cache, 7);
  }
  ctr_server_free(&s);
}

// BUG: leak: a refreshed embedding replaces the cached one without freeing it
static void ctr_refresh(ctr_cache *c, int user) {
  for (ctr_ent *e = c->hash[user % CTR_HASH]; e; e = e->hnext)
    if (e->user == user) {
      e->emb = ctr_fetch_user(user + 1000); // <- BUG
      e->expires = c->now + 10;
      return;
    }
}

// OK: entry: refresh a cached user
void ctr_entry_refresh(void) {
  ctr_server s;
  if (ctr_server_init(&s) == 0) {
    ctr_get(&s.cache, 8, 10);
    ctr_refresh(&s.cache, 8);
  }
  ctr_server_free(&s);
}

// OK: refresh that frees the replaced embedding
static void ctr_refresh_ok(ctr_cache *c, int user) {
  for (ctr_ent *e = c->hash[user % CTR_HASH]; e; e = e->hnext)
    if (e->user == user) {
      ts_tensor *fresh = ctr_fetch_user(user + 1000);
      if (!fresh)
        return;
      ts_free(e->emb);
      e->emb = fresh;
      e->expires = c->now + 10;
      return;
    }
}

// OK: entry: refresh, expiry and eviction
void ctr_entry_refresh_ok(void) {
  ctr_server s;
  if (ctr_server_init(&s) == 0) {
    ctr_get(&s.cache, 8, 1);
    ctr_refresh_ok(&s.cache, 8);
    for (int i = 0; i < 6; i++)
      ctr_get(&s.cache, 20 + i, 1);
    ctr_get(&s.cache, 8, 1);
  }
  ctr_server_free(&s);
}

// BUG: unescaped-return: the batch score matrix is returned from the TS_SCOPED helper unescaped
TS_SCOPED static ts_tensor *ctr_score_batch(ctr_server *s, const int *users, int n) {
  ts_tensor *rows[CTR_CAP * 2];
  for (int i = 0; i < n; i++)
    rows[i] = ts_clone(ctr_get(&s->cache, users[i], 10));
  ts_tensor *u = ts_cat((const ts_tensor *const *)rows, n, 0);
  return ctr_score(s, u); // <- BUG
}

// OK: entry: batch scores read after ctr_score_batch
void ctr_entry_batch(void) {
  ctr_server s;
  if (ctr_server_init(&s) == 0) {
    int users[3] = {1, 2, 3};
    ts_tensor *sc = ctr_score_batch(&s, users, 3);
    float buf[3 * CTR_ADS];
    ts_copy_to_buffer(sc, buf, sizeof buf);
    ts_free(sc);
  }
  ctr_server_free(&s);
}

// OK: the feature cross of a user and an ad, new tensor the caller owns
static ts_tensor *ctr_cross(const ts_tensor *u, const ts_tensor *ads, int ad) {
  ts_tensor *row = ts_select_int(ads, 0, ad);
  ts_tensor *x = ts_mul(u, row);
  ts_free(row);
  return x;
}

// BUG: leak: crosses for ads below the bid floor are skipped with continue and never freed
static int ctr_eligible(ctr_server *s, int user, const double *bid, double floor) {
  ts_tensor *u = ctr_get(&s->cache, user, 10);
  int n = 0;
  for (int a = 0; a < CTR_ADS; a++) {
    ts_tensor *x = ctr_cross(u, s->ads, a); // <- BUG
    if (bid[a] < floor)
      continue;
    ts_tensor *t = ts_sum(x);
    n += ts_item(t) > -1.0;
    ts_free(t);
    ts_free(x);
  }
  return n;
}

// OK: entry: bids with some under the floor
void ctr_entry_eligible(void) {
  ctr_server s;
  if (ctr_server_init(&s) == 0) {
    double bid[CTR_ADS] = {0.1, 0.9, 0.5, 0.05, 0.7, 0.3};
    printf("%d eligible\n", ctr_eligible(&s, 4, bid, 0.2));
  }
  ctr_server_free(&s);
}

// OK: eligibility with the cross freed on every path
static int ctr_eligible_ok(ctr_server *s, int user, const double *bid, double floor) {
  ts_tensor *u = ctr_get(&s->cache, user, 10);
  int n = 0;
  for (int a = 0; a < CTR_ADS; a++) {
    if (bid[a] < floor)
      continue;
    ts_tensor *x = ctr_cross(u, s->ads, a);
    ts_tensor *t = ts_sum(x);
    n += ts_item(t) > -1.0;
    ts_free(t);
    ts_free(x);
  }
  return n;
}

// OK: entry: correct eligibility
void ctr_entry_eligible_ok(void) {
  ctr_server s;
  if (ctr_server_init(&s) == 0) {
    double bid[CTR_ADS] = {0.1, 0.9, 0.5, 0.05, 0.7, 0.3};
    printf("%d eligible\n", ctr_eligible_ok(&s, 4, bid, 0.2));
  }
  ctr_server_free(&s);
}

// BUG: use-after-free: the bias is replaced (old one freed) while a request's logits still use the saved old pointer
static double ctr_rebias(ctr_server *s, const ts_tensor *u) {
  ts_tensor *old = s->bias;
  ts_tensor *nb = ts_full(TS_SHAPE(1, CTR_ADS), TS_FLOAT32, -0.1);
  ts_free(s->bias);
  s->bias = nb;
  double v;
  TS_SCOPE {
    ts_tensor *l = ts_add(ts_matmul(u, ts_transpose(s->ads, 0, 1)), old); // <- BUG
    v = ts_item(ts_mean(l));
  }
  return v;
}

// OK: entry: drives ctr_rebias
void ctr_entry_rebias(void) {
  ctr_server s;
  if (ctr_server_init(&s) == 0) {
    ts_tensor *u = ctr_fetch_user(3);
    printf("%.3f\n", ctr_rebias(&s, u));
    ts_free(u);
  }
  ctr_server_free(&s);
}

// BUG: double-free: the server teardown on init failure frees the ads, then ctr_server_free frees them again
static int ctr_server_init_sized(ctr_server *s, int nads) {
  memset(s, 0, sizeof *s);
  s->ads = ts_randn(TS_SHAPE(CTR_ADS, CTR_D), TS_FLOAT32);
  if (nads != CTR_ADS) {
    ts_free(s->ads); // <- BUG
    return -1;
  }
  s->bias = ts_zeros(TS_SHAPE(1, CTR_ADS), TS_FLOAT32);
  return 0;
}

// OK: entry: a wrongly sized server init, then the standard teardown
void ctr_entry_init_sized(void) {
  ctr_server s;
  if (ctr_server_init_sized(&s, 3) != 0)
    fprintf(stderr, "bad ad count\n");
  ctr_server_free(&s);
}

// BUG: use-after-scope: a prediction made inside the block is kept in the request and read after the block
static void ctr_predict_into(ctr_server *s, ctr_request *r) {
  TS_SCOPE {
    ts_tensor *u = ctr_get(&s->cache, r->user, 10);
    r->scores = ctr_score(s, u);
  }
  float buf[CTR_ADS];
  ts_copy_to_buffer(r->scores, buf, sizeof buf); // <- BUG
  r->best = 0;
  for (int i = 1; i < CTR_ADS; i++)
    if (buf[i] > buf[r->best])
      r->best = i;
}

// OK: entry: drives ctr_predict_into
void ctr_entry_predict_into(void) {
  ctr_server s;
  if (ctr_server_init(&s) == 0) {
    ctr_request r = {.srv = &s, .user = 2};
    ctr_predict_into(&s, &r);
  }
  ctr_server_free(&s);
}

// OK: prediction kept for the request (ts_keep), the caller frees it
static void ctr_predict_keep(ctr_server *s, ctr_request *r) {
  TS_SCOPE {
    ts_tensor *u = ctr_get(&s->cache, r->user, 10);
    r->scores = ts_keep(ctr_score(s, u));
  }
  float buf[CTR_ADS];
  ts_copy_to_buffer(r->scores, buf, sizeof buf);
  r->best = 0;
  for (int i = 1; i < CTR_ADS; i++)
    if (buf[i] > buf[r->best])
      r->best = i;
}

// OK: entry: kept predictions for several users
void ctr_entry_predict_keep(void) {
  ctr_server s;
  if (ctr_server_init(&s) == 0)
    for (int u = 0; u < 6; u++) {
      ctr_request r = {.srv = &s, .user = u};
      ctr_predict_keep(&s, &r);
      ts_free(r.scores);
    }
  ctr_server_free(&s);
}
