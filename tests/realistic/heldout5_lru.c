/* heldout5_lru.c - a small tensor cache with least-recently-used
 * eviction: entries in a malloc'd doubly linked list, lookups that borrow
 * the cached tensor, inserts that take ownership, eviction that frees or
 * hands the tensor to a pool, compute-on-miss memoisation of an expensive
 * feature transform, and statistics.
 * Labels: tests/realistic/README.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { DIMF = 16 };

struct entry {
  int key;
  ts_tensor *val; /* owned by the cache */
  struct entry *prev, *next;
};

struct lru {
  struct entry *head, *tail; /* head: most recent */
  int size, cap;
  ts_pool *pool; /* evicted tensors go here when set */
  int hits, misses;
};

// OK: an empty cache
static void lru_init(struct lru *c, int cap, ts_pool *pool) {
  memset(c, 0, sizeof *c);
  c->cap = cap;
  c->pool = pool;
}

// OK: unlinks e from the list
static void lru_unlink(struct lru *c, struct entry *e) {
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

// OK: links e at the front
static void lru_front(struct lru *c, struct entry *e) {
  e->next = c->head;
  e->prev = NULL;
  if (c->head)
    c->head->prev = e;
  c->head = e;
  if (!c->tail)
    c->tail = e;
}

// OK: drops a tensor the cache owns: into the pool if there is one, else freed
static void lru_drop(struct lru *c, ts_tensor *t) {
  if (c->pool)
    ts_pool_release(c->pool, t);
  else
    ts_free(t);
}

// OK: evicts the least recently used entry
static void lru_evict(struct lru *c) {
  struct entry *e = c->tail;
  if (!e)
    return;
  lru_unlink(c, e);
  lru_drop(c, e->val);
  free(e);
  c->size--;
}

// BUG: leak: eviction frees the entry but not the tensor it held
static void lru_evict_leaky(struct lru *c) {
  struct entry *e = c->tail;
  if (!e)
    return;
  lru_unlink(c, e);
  free(e); // <- BUG
  c->size--;
}

// OK: borrows the cached tensor and moves the entry to the front; NULL on a
// miss
static const ts_tensor *lru_get(struct lru *c, int key) {
  for (struct entry *e = c->head; e; e = e->next)
    if (e->key == key) {
      lru_unlink(c, e);
      lru_front(c, e);
      c->hits++;
      return e->val;
    }
  c->misses++;
  return NULL;
}

// OK: takes ownership of val; an existing key's old tensor is dropped; a failed
// insert frees val
static int lru_put(struct lru *c, int key, ts_tensor *val) {
  for (struct entry *e = c->head; e; e = e->next)
    if (e->key == key) {
      lru_drop(c, e->val);
      e->val = val;
      lru_unlink(c, e);
      lru_front(c, e);
      return 0;
    }
  if (c->size == c->cap)
    lru_evict(c);
  struct entry *e = calloc(1, sizeof *e);
  if (!e) {
    lru_drop(c, val);
    return -1;
  }
  e->key = key;
  e->val = val;
  lru_front(c, e);
  c->size++;
  return 0;
}

// BUG: leak: replacing an existing key forgets the old tensor
static int lru_put_replace_leaky(struct lru *c, int key, ts_tensor *val) {
  for (struct entry *e = c->head; e; e = e->next)
    if (e->key == key) {
      e->val = val; // <- BUG
      lru_unlink(c, e);
      lru_front(c, e);
      return 0;
    }
  if (c->size == c->cap)
    lru_evict(c);
  struct entry *e = calloc(1, sizeof *e);
  if (!e)
    return -1;
  e->key = key;
  e->val = val;
  lru_front(c, e);
  c->size++;
  return 0;
}

// OK: takes ownership of val on every path: freed when the insert is refused
static int lru_put_or_free(struct lru *c, int key, ts_tensor *val, int fail) {
  if (fail) {
    ts_free(val);
    return -1;
  }
  return lru_put(c, key, val);
}

// OK: frees all entries and their tensors
static void lru_clear(struct lru *c) {
  while (c->tail)
    lru_evict(c);
}

// OK: removes one key and hands its tensor to the caller (the caller now owns
// it)
static ts_tensor *lru_take(struct lru *c, int key) {
  for (struct entry *e = c->head; e; e = e->next)
    if (e->key == key) {
      ts_tensor *v = e->val;
      lru_unlink(c, e);
      free(e);
      c->size--;
      return v;
    }
  return NULL;
}

// OK: the expensive transform: a fixed random projection of a key-seeded vector
static ts_tensor *transform(int key) {
  ts_tensor *v = ts_full(TS_SHAPE(DIMF), TS_FLOAT32, (double)key);
  ts_tensor *s = ts_sin(v);
  ts_free(v);
  ts_tensor *t = ts_tanh(s);
  ts_free(s);
  return t;
}

// OK: compute on a miss; the cache owns the kept value, the caller borrows it
static const ts_tensor *memo(struct lru *c, int key) {
  const ts_tensor *v = lru_get(c, key);
  if (v)
    return v;
  /* kept: the cache outlives any scope the caller may be in */
  ts_tensor *t = ts_keep(transform(key));
  if (!t || lru_put(c, key, t) != 0)
    return NULL;
  return t;
}

// BUG: use-after-free: the borrowed value is used after a later insert evicted
// it
static double memo_pair_sum(struct lru *c, int a, int b) {
  const ts_tensor *va = memo(c, a);
  const ts_tensor *vb = memo(c, b);
  ts_tensor *s = ts_add(va, vb); // <- BUG
  ts_tensor *t = ts_sum(s);
  double r = ts_item(t);
  ts_free(s);
  ts_free(t);
  return r;
}

// OK: the first value is cloned before the second lookup may evict it
static double memo_pair_sum_ok(struct lru *c, int a, int b) {
  ts_tensor *va = ts_clone(memo(c, a));
  const ts_tensor *vb = memo(c, b);
  double r;
  TS_SCOPE { r = ts_item(ts_sum(ts_add(va, vb))); }
  ts_free(va);
  return r;
}

// OK: a scoped score of a cached value; the borrowed tensor is never freed here
TS_SCOPED static double score(struct lru *c, int key) {
  const ts_tensor *v = memo(c, key);
  if (!v)
    return 0;
  return ts_item(ts_mean(ts_mul(v, v)));
}

// BUG: unescaped-return: the normalised copy of a cached value is owned by the
// function's scope
TS_SCOPED static ts_tensor *normalised(struct lru *c, int key) {
  const ts_tensor *v = memo(c, key);
  ts_tensor *n = ts_sqrt(ts_sum(ts_mul(v, v)));
  return ts_div(v, n); // <- BUG
}

// OK: the normalised copy escaped
TS_SCOPED static ts_tensor *normalised_ok(struct lru *c, int key) {
  const ts_tensor *v = memo(c, key);
  ts_tensor *n = ts_sqrt(ts_sum(ts_mul(v, v)));
  return ts_escape(ts_div(v, n));
}

// OK: pool-backed cache: acquire from the pool on a miss, fill in place, put
static const ts_tensor *memo_pooled(struct lru *c, int key) {
  const ts_tensor *v = lru_get(c, key);
  if (v)
    return v;
  ts_tensor *t = ts_pool_acquire(c->pool, TS_SHAPE(DIMF), TS_FLOAT32);
  if (!t)
    t = ts_zeros(TS_SHAPE(DIMF), TS_FLOAT32);
  ts_fill_Scalar_(t, (double)key);
  ts_tanh_(t);
  if (lru_put(c, key, t) != 0)
    return NULL;
  return t;
}

// OK: a cache with capacity 2 over four keys, cleared at the end
void lru5_basic(void) {
  struct lru c;
  lru_init(&c, 2, NULL);
  for (int k = 0; k < 4; k++)
    printf("score %d %.3f\n", k, score(&c, k % 3));
  printf("pair %.3f\n", memo_pair_sum_ok(&c, 1, 5));
  ts_tensor *mine = lru_take(&c, 5);
  if (mine)
    ts_free(mine);
  printf("hits %d misses %d\n", c.hits, c.misses);
  lru_clear(&c);
}

// OK: the pool-backed cache recycles evicted tensors; the pool is destroyed
// last
void lru5_pooled(void) {
  struct lru c;
  ts_pool *pool = ts_pool_new(4);
  lru_init(&c, 2, pool);
  for (int k = 0; k < 6; k++) {
    const ts_tensor *v = memo_pooled(&c, k);
    printf("key %d numel %lld\n", k, (long long)ts_numel(v));
  }
  lru_clear(&c);
  ts_pool_stats st = ts_pool_get_stats(pool);
  printf("pool hits %llu\n", (unsigned long long)st.hit_count);
  ts_pool_destroy(pool);
}

// OK: drives lru_evict_leaky through a full cache
void lru5_evict_leaky(void) {
  struct lru c;
  lru_init(&c, 2, NULL);
  lru_put(&c, 1, transform(1));
  lru_put(&c, 2, transform(2));
  lru_evict_leaky(&c);
  lru_clear(&c);
}

// OK: drives lru_put_replace_leaky with the same key twice
void lru5_replace_leaky(void) {
  struct lru c;
  lru_init(&c, 2, NULL);
  lru_put_replace_leaky(&c, 7, transform(7));
  lru_put_replace_leaky(&c, 7, transform(8));
  lru_clear(&c);
}

// BUG: double-free: lru_put_or_free already freed the refused value
void lru5_put_fail(void) {
  struct lru c;
  lru_init(&c, 2, NULL);
  ts_tensor *v = transform(3);
  if (lru_put_or_free(&c, 3, v, 1) != 0)
    ts_free(v); // <- BUG
  lru_clear(&c);
}

// OK: drives memo_pair_sum with a capacity-1 cache, so the second lookup evicts
// the first
void lru5_pair(void) {
  struct lru c;
  lru_init(&c, 1, NULL);
  printf("pair %.3f\n", memo_pair_sum(&c, 1, 2));
  lru_clear(&c);
}

// OK: uses and frees normalised's result
void lru5_normalised(void) {
  struct lru c;
  lru_init(&c, 2, NULL);
  ts_tensor *n = normalised(&c, 4);
  printf("norm %lld\n", (long long)ts_numel(n));
  ts_free(n);
  lru_clear(&c);
}

// OK: the escaped normalised copy is freed; the cached value stays with the
// cache
void lru5_normalised_ok(void) {
  struct lru c;
  lru_init(&c, 2, NULL);
  ts_tensor *n = normalised_ok(&c, 4);
  printf("norm %lld\n", (long long)ts_numel(n));
  ts_free(n);
  lru_clear(&c);
}

// BUG: double-free: a borrowed cache value is freed by the user, then by the
// cache
void lru5_free_borrowed(void) {
  struct lru c;
  lru_init(&c, 2, NULL);
  const ts_tensor *v = memo(&c, 9);
  printf("v %lld\n", (long long)ts_numel(v));
  ts_free((ts_tensor *)v); // <- BUG
  lru_clear(&c);
}

// BUG: use-after-free: a taken value is freed, then put back into the cache and
// scored
void lru5_take_put_back(void) {
  struct lru c;
  lru_init(&c, 2, NULL);
  memo(&c, 2);
  ts_tensor *t = lru_take(&c, 2);
  ts_free(t);
  lru_put(&c, 2, t);
  printf("score %.3f\n", score(&c, 2)); // <- BUG
  lru_clear(&c);
}

// BUG: leak: the taken value is neither freed nor put back
void lru5_take_leak(void) {
  struct lru c;
  lru_init(&c, 2, NULL);
  memo(&c, 2);
  memo(&c, 3);
  ts_tensor *t = lru_take(&c, 2); // <- BUG
  printf("taken %lld size %d\n", (long long)ts_numel(t), c.size);
  lru_clear(&c);
}

// BUG: double-free: an evicted pooled tensor is released to the pool a second
// time
void lru5_release_twice(void) {
  struct lru c;
  ts_pool *pool = ts_pool_new(4);
  lru_init(&c, 1, pool);
  memo_pooled(&c, 1);
  ts_tensor *first = (ts_tensor *)lru_get(&c, 1);
  memo_pooled(&c, 2);
  ts_pool_release(pool, first); // <- BUG
  lru_clear(&c);
  ts_pool_destroy(pool);
}

// BUG: use-after-scope: a value computed in a scope is cached and scored after
// the scope
void lru5_cache_scoped(void) {
  struct lru c;
  lru_init(&c, 2, NULL);
  TS_SCOPE {
    ts_tensor *t = ts_mul_scalar(ts_ones(TS_SHAPE(DIMF), TS_FLOAT32), 2.0);
    lru_put(&c, 1, t);
  }
  const ts_tensor *v = lru_get(&c, 1);
  printf("cached %lld\n", (long long)ts_numel(v)); // <- BUG
  lru_clear(&c);
}

// OK: a value computed in a scope is kept before the cache takes it
void lru5_cache_kept(void) {
  struct lru c;
  lru_init(&c, 2, NULL);
  TS_SCOPE {
    ts_tensor *t = ts_mul_scalar(ts_ones(TS_SHAPE(DIMF), TS_FLOAT32), 2.0);
    lru_put(&c, 1, ts_keep(t));
  }
  const ts_tensor *v = lru_get(&c, 1);
  printf("cached %lld\n", (long long)ts_numel(v));
  lru_clear(&c);
}
