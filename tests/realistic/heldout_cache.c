/*
 * heldout_cache.c - a feature store: lazily made constant tensors kept in
 * statics, borrowed getters, an LRU list of cached embeddings in malloc'd
 * nodes, optional caller-provided buffers, destructors through function
 * pointers, ts_run jobs called from inside a scope. Held-out corpus
 * (README.md).
 *
 * Labels: `// OK: why` or `// BUG: check: why` before each function; the
 * line of the bug ends in `// <- BUG`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define E 4
#define LRU_CAP 2

struct node {
  int key;
  ts_tensor *value; /* owned by the node */
  struct node *next;
};

struct store {
  struct node *head;
  int count;
  ts_tensor *table; /* [16, E], owned by the store */
};

struct owned_ref {
  ts_tensor *t;
  void (*release)(ts_tensor *t); /* how t goes away, or NULL: borrowed */
};

static ts_tensor *g_identity; /* made once, freed by cache_shutdown */

// OK: returns the shared identity matrix, made on first use; callers
// borrow it and must not free it
static const ts_tensor *cache_identity(void) {
  if (!g_identity)
    g_identity = ts_eye(E, TS_FLOAT32, NULL);
  return g_identity;
}

// OK: frees the shared matrix once
static void cache_shutdown(void) {
  if (g_identity) {
    ts_free(g_identity);
    g_identity = NULL;
  }
}

// OK: a borrowed view of the store's table (the pointer itself, no new
// tensor)
static ts_tensor *store_table(const struct store *s) { return s->table; }

// OK: uses the borrowed identity and the borrowed table; frees only what it
// made
void cache_borrowed(void) {
  struct store s = {NULL, 0, ts_randn(TS_SHAPE(16, E), TS_FLOAT32)};
  const ts_tensor *id = cache_identity();
  ts_tensor *proj = ts_mm(store_table(&s), id);
  printf("proj %lld\n", (long long)ts_numel(proj));
  ts_free(proj);
  ts_free(s.table);
  cache_shutdown();
}

// BUG: double-free: the borrowed identity is freed by the caller, and then
// again by the shutdown
void cache_borrowed_freed(void) {
  ts_tensor *x = ts_ones(TS_SHAPE(2, E), TS_FLOAT32);
  ts_tensor *id = (ts_tensor *)cache_identity();
  ts_tensor *y = ts_mm(x, id);
  ts_free(y);
  ts_free(x);
  ts_free(id);
  cache_shutdown(); // <- BUG
}

// OK: the value moves into a new node at the head; when the list is full
// the tail node and its value are freed
static void lru_put(struct store *s, int key, ts_tensor *value) {
  struct node *n = malloc(sizeof *n);
  n->key = key;
  n->value = value;
  n->next = s->head;
  s->head = n;
  if (++s->count > LRU_CAP) {
    struct node *p = s->head;
    while (p->next->next)
      p = p->next;
    ts_free(p->next->value);
    free(p->next);
    p->next = NULL;
    s->count--;
  }
}

// OK: a borrowed pointer to a cached value, or NULL
static ts_tensor *lru_get(const struct store *s, int key) {
  for (struct node *n = s->head; n; n = n->next)
    if (n->key == key)
      return n->value;
  return NULL;
}

// OK: frees every node and its value
static void lru_clear(struct store *s) {
  while (s->head) {
    struct node *n = s->head;
    s->head = n->next;
    ts_free(n->value);
    free(n);
  }
  s->count = 0;
}

// OK: embeddings cached on a miss and borrowed on a hit; the list frees
// them all
void cache_lru(void) {
  struct store s = {NULL, 0, ts_randn(TS_SHAPE(16, E), TS_FLOAT32)};
  int keys[] = {3, 5, 3, 7, 5};
  for (int i = 0; i < 5; i++) {
    ts_tensor *v = lru_get(&s, keys[i]);
    if (!v) {
      v = ts_select_int(s.table, 0, keys[i]);
      lru_put(&s, keys[i], v);
    }
    printf("key %d -> %lld\n", keys[i], (long long)ts_numel(v));
  }
  lru_clear(&s);
  ts_free(s.table);
}

// BUG: use-after-free: a value borrowed before two more insertions is
// evicted (and freed) by them, then read
void cache_lru_stale(void) {
  struct store s = {NULL, 0, ts_randn(TS_SHAPE(16, E), TS_FLOAT32)};
  lru_put(&s, 1, ts_select_int(s.table, 0, 1));
  ts_tensor *first = lru_get(&s, 1);
  lru_put(&s, 2, ts_select_int(s.table, 0, 2));
  lru_put(&s, 3, ts_select_int(s.table, 0, 3));
  printf("first %lld\n", (long long)ts_numel(first)); // <- BUG
  lru_clear(&s);
  ts_free(s.table);
}

// BUG: leak: the looked-up row is freshly made on every call but only
// cached on a miss; on a hit it is dropped
static const ts_tensor *lru_lookup_or_add(struct store *s, int key) {
  ts_tensor *row = ts_select_int(s->table, 0, key); // <- BUG
  ts_tensor *hit = lru_get(s, key);
  if (hit)
    return hit;
  lru_put(s, key, row);
  return row;
}

// OK: looks the same key up twice (the helper leaks on the hit)
void cache_lookup_twice(void) {
  struct store s = {NULL, 0, ts_randn(TS_SHAPE(16, E), TS_FLOAT32)};
  const ts_tensor *a = lru_lookup_or_add(&s, 4);
  const ts_tensor *b = lru_lookup_or_add(&s, 4);
  printf("%d\n", a == b);
  lru_clear(&s);
  ts_free(s.table);
}

// OK: writes into the caller's buffer when one is given, else makes one;
// only a tensor made here is returned as new (the caller compares)
static ts_tensor *scale_into(const ts_tensor *x, ts_tensor *dst) {
  ts_tensor *out = dst ? dst : ts_empty_like(x, TS_NO_DTYPE, NULL);
  ts_copy_(out, x, false);
  ts_mul_Scalar_(out, 2.0);
  return out;
}

// OK: frees the result only when it is not the caller's own buffer
void cache_scale(void) {
  ts_tensor *x = ts_ones(TS_SHAPE(E), TS_FLOAT32);
  ts_tensor *buf = ts_empty(TS_SHAPE(E), TS_FLOAT32);
  for (int i = 0; i < 2; i++) {
    ts_tensor *dst = i == 0 ? buf : NULL;
    ts_tensor *r = scale_into(x, dst);
    printf("%lld\n", (long long)ts_numel(r));
    if (r != buf)
      ts_free(r);
  }
  ts_free(buf);
  ts_free(x);
}

// BUG: leak: the freshly made result is only freed when the caller gave a
// buffer (the test is the wrong way round)
void cache_scale_inverted(void) {
  ts_tensor *x = ts_ones(TS_SHAPE(E), TS_FLOAT32);
  ts_tensor *r = scale_into(x, NULL); // <- BUG
  printf("%lld\n", (long long)ts_numel(r));
  if (r == x)
    ts_free(r);
  ts_free(x);
}

// OK: a destructor for owned references
static void ref_free(ts_tensor *t) { ts_free(t); }

// OK: releases a reference through its destructor, if it has one
static void ref_drop(struct owned_ref *r) {
  if (r->release)
    r->release(r->t);
  r->t = NULL;
}

// OK: one owned and one borrowed reference; only the owned one is freed,
// through its function pointer
void cache_refs(void) {
  ts_tensor *shared = ts_zeros(TS_SHAPE(E), TS_FLOAT32);
  struct owned_ref refs[2] = {
      {ts_ones(TS_SHAPE(E), TS_FLOAT32), ref_free},
      {shared, NULL},
  };
  for (int i = 0; i < 2; i++)
    ref_drop(&refs[i]);
  ts_free(shared);
}

// OK: a job for ts_run that escapes its result to the caller's scope
static void *job_row_norms(void *ctx) {
  const ts_tensor *table = ctx;
  ts_tensor *sq = ts_square(table);
  ts_tensor *s = ts_sum_dim_IntList(sq, TS_SHAPE(1), false, TS_NO_DTYPE);
  return ts_escape(ts_sqrt(s));
}

// OK: the job runs inside a scope block: its escaped result lands in that
// block's scope, which frees it; the caller must not free it
void cache_norms_in_scope(void) {
  ts_tensor *table = ts_randn(TS_SHAPE(16, E), TS_FLOAT32);
  TS_SCOPE {
    ts_tensor *norms = ts_run(job_row_norms, table);
    ts_tensor *mx = ts_max(norms);
    printf("max norm %f\n", ts_item(mx));
  }
  ts_free(table);
}

// BUG: use-after-scope: the job's escaped result belongs to the block's
// scope and is read after the block
void cache_norms_after_scope(void) {
  ts_tensor *table = ts_randn(TS_SHAPE(16, E), TS_FLOAT32);
  ts_tensor *norms = NULL;
  TS_SCOPE { norms = ts_run(job_row_norms, table); }
  printf("%lld norms\n", (long long)ts_numel(norms)); // <- BUG
  ts_free(table);
}

// OK: outside any scope the job's escaped result is manual: freed here
void cache_norms_manual(void) {
  ts_tensor *table = ts_randn(TS_SHAPE(16, E), TS_FLOAT32);
  ts_tensor *norms = ts_run(job_row_norms, table);
  printf("%lld norms\n", (long long)ts_numel(norms));
  ts_free(norms);
  ts_free(table);
}

// OK: the previous iteration's tensor is freed at the top of the next one,
// the last after the loop
void cache_rolling(void) {
  ts_tensor *prev = NULL;
  for (int i = 0; i < 4; i++) {
    ts_tensor *cur = ts_full(TS_SHAPE(E), TS_FLOAT32, (double)i);
    if (prev) {
      ts_tensor *d = ts_sub(cur, prev);
      ts_free(d);
      ts_free(prev);
    }
    prev = cur;
  }
  if (prev)
    ts_free(prev);
}

// BUG: use-after-free: the difference is taken after the previous tensor
// was already freed
void cache_rolling_late(void) {
  ts_tensor *prev = NULL;
  for (int i = 0; i < 3; i++) {
    ts_tensor *cur = ts_full(TS_SHAPE(E), TS_FLOAT32, (double)i);
    if (prev) {
      ts_free(prev);
      ts_tensor *d = ts_sub(cur, prev); // <- BUG
      ts_free(d);
    }
    prev = cur;
  }
  ts_free(prev);
}
