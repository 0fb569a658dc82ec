/*
 * pool.c - the tensor pool: tensors kept for reuse, keyed by dtype and shape.
 *
 * A pool is a mutex and an array of keys, each a LIFO stack of tensor
 * references (the warmest tensor comes back first) with a use tick for
 * pruning the least recently used keys first. A pooled tensor has no handle:
 * release ends the handle (handle.c) and keeps only the libtorch reference;
 * acquire issues a fresh handle owned like any new tensor.
 *
 * Keys are found through an open-addressing hash table (linear probing,
 * backward-shift deletion) of indices into the key array, so a lookup costs
 * the same with one key or ten thousand; the array itself is what clearing
 * and pruning walk.
 *
 * Lock order: a pool's mutex, then handle.c's table mutex (accounting).
 */
#include "internal.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

enum { DEFAULT_PER_KEY = 16 };

typedef struct pool_key {
  ts_dtype dtype;
  int ndim;
  int64_t *shape;
  uint64_t hash;
  uint64_t last_use; /* pool tick of the last release or acquire */
  tsc_tensor **items;
  size_t n, cap;
} pool_key;

/* A pool's lock: a test-and-set lock, one atomic exchange to take and a
 * store to drop, where a mutex pair costs two atomic operations and two
 * calls (issue 18: the pool's round trip against ts_empty + ts_free).
 * Held only for a pool's bookkeeping; a waiter spins briefly, then yields
 * (two cores are often shared by more threads). */
typedef struct pool_lock_t {
  _Atomic int held;
} pool_lock_t;

static __attribute__((noinline)) void pool_lock_wait(pool_lock_t *l) {
  for (unsigned i = 0;; i++) {
    if (!atomic_load_explicit(&l->held, memory_order_relaxed) &&
        !atomic_exchange_explicit(&l->held, 1, memory_order_acquire))
      return;
    if (i < 64) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    } else {
      sched_yield();
    }
  }
}

static inline void pool_lock(pool_lock_t *l) {
  if (__builtin_expect(
          atomic_exchange_explicit(&l->held, 1, memory_order_acquire), 0))
    pool_lock_wait(l);
}

static inline void pool_unlock(pool_lock_t *l) {
  atomic_store_explicit(&l->held, 0, memory_order_release);
}

typedef struct pool {
  pool_lock_t mu;
  const ts_pool *self; /* its live handle; NULL once destroyed */
  struct pool *next_spare;
  size_t max_per_key;
  pool_key *keys;
  size_t nkeys, keys_cap;
  uint32_t *index; /* key index + 1, 0 = empty; index_cap a power of 2 */
  size_t index_cap;
  size_t size; /* tensors held */
  uint64_t hits, misses, tick;
} pool;

static ts_pool *global_handle;
static pthread_once_t global_once = PTHREAD_ONCE_INIT;

/* ---------------------------------------------------------------- keys */

static uint64_t key_hash(ts_dtype dtype, const int64_t *shape, int ndim) {
  uint64_t h = 1469598103934665603ull ^ (uint64_t)dtype; /* FNV-1a style */
  for (int i = 0; i < ndim; i++)
    h = (h ^ (uint64_t)shape[i]) * 1099511628211ull;
  h = (h ^ (uint64_t)ndim) * 1099511628211ull;
  /* The index uses the low bits, which the multiplications above take from
   * the low bits of the sizes only (shapes differing in high bits would
   * share a home): fold the high bits in (splitmix64's finaliser). */
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}

static bool key_equal(const pool_key *k, ts_dtype dtype, const int64_t *shape,
                      int ndim, uint64_t hash) {
  return k->hash == hash && k->dtype == dtype && k->ndim == ndim &&
         (ndim == 0 || !memcmp(k->shape, shape, (size_t)ndim * sizeof *shape));
}

/* The index position holding key i (which is in the table). */
static size_t index_pos(const pool *p, size_t i) {
  size_t mask = p->index_cap - 1, pos = (size_t)p->keys[i].hash & mask;
  while (p->index[pos] != i + 1)
    pos = (pos + 1) & mask;
  return pos;
}

static void index_put(pool *p, size_t i) {
  size_t mask = p->index_cap - 1, pos = (size_t)p->keys[i].hash & mask;
  while (p->index[pos])
    pos = (pos + 1) & mask;
  p->index[pos] = (uint32_t)(i + 1);
}

/* Empties a position, moving later entries of its probe run back so that
 * every key stays reachable from its home position without tombstones. */
static void index_del(pool *p, size_t pos) {
  size_t mask = p->index_cap - 1, next = pos;
  for (;;) {
    p->index[pos] = 0;
    for (;;) {
      next = (next + 1) & mask;
      if (!p->index[next])
        return;
      size_t home = (size_t)p->keys[p->index[next] - 1].hash & mask;
      /* The entry at next may fill the hole at pos unless its home lies
       * cyclically in (pos, next]. */
      if (pos <= next ? (home <= pos || home > next)
                      : (home <= pos && home > next))
        break;
    }
    p->index[pos] = p->index[next];
    pos = next;
  }
}

/* Room for one more key in the index (load at most 1/2). */
static bool index_reserve(pool *p) {
  if ((p->nkeys + 1) * 2 <= p->index_cap)
    return true;
  size_t cap = p->index_cap ? p->index_cap * 2 : 16;
  if (cap > UINT32_MAX)
    return false;
  uint32_t *v = calloc(cap, sizeof *v);
  if (!v)
    return false;
  free(p->index);
  p->index = v;
  p->index_cap = cap;
  for (size_t i = 0; i < p->nkeys; i++)
    index_put(p, i);
  return true;
}

static pool_key *key_find(pool *p, ts_dtype dtype, const int64_t *shape,
                          int ndim, uint64_t hash) {
  if (!p->nkeys)
    return NULL;
  size_t mask = p->index_cap - 1;
  for (size_t pos = (size_t)hash & mask; p->index[pos];
       pos = (pos + 1) & mask) {
    pool_key *k = &p->keys[p->index[pos] - 1];
    if (key_equal(k, dtype, shape, ndim, hash))
      return k;
  }
  return NULL;
}

static pool_key *key_add(pool *p, ts_dtype dtype, const int64_t *shape,
                         int ndim, uint64_t hash) {
  if (!index_reserve(p))
    return NULL;
  if (p->nkeys == p->keys_cap) {
    size_t cap = p->keys_cap ? p->keys_cap * 2 : 8;
    pool_key *v = realloc(p->keys, cap * sizeof *v);
    if (!v)
      return NULL;
    p->keys = v;
    p->keys_cap = cap;
  }
  int64_t *copy = malloc((size_t)(ndim ? ndim : 1) * sizeof *copy);
  if (!copy)
    return NULL;
  if (ndim)
    memcpy(copy, shape, (size_t)ndim * sizeof *copy);
  size_t i = p->nkeys++;
  pool_key *k = &p->keys[i];
  *k = (pool_key){dtype, ndim, copy, hash, 0, NULL, 0, 0};
  index_put(p, i);
  return k;
}

/* Frees the newest `count` tensors of a key. */
static void key_drop(pool *p, pool_key *k, size_t count) {
  while (count-- && k->n) {
    tsc_tensor *t = k->items[--k->n];
    ts__account_pooled(-1, tsc_nbytes(t));
    tsc_release(t);
    p->size--;
  }
}

/* Frees the oldest `count` tensors of a key (pruning keeps the warm ones). */
static void key_drop_oldest(pool *p, pool_key *k, size_t count) {
  if (count > k->n)
    count = k->n;
  for (size_t i = 0; i < count; i++) {
    ts__account_pooled(-1, tsc_nbytes(k->items[i]));
    tsc_release(k->items[i]);
  }
  memmove(k->items, k->items + count, (k->n - count) * sizeof *k->items);
  k->n -= count;
  p->size -= count;
}

static void key_remove(pool *p, size_t i) {
  pool_key *k = &p->keys[i];
  key_drop(p, k, k->n);
  free(k->shape);
  free(k->items);
  index_del(p, index_pos(p, i));
  size_t last = --p->nkeys;
  if (i != last) { /* the last key moves into the hole */
    size_t pos = index_pos(p, last);
    p->keys[i] = p->keys[last];
    p->index[pos] = (uint32_t)(i + 1);
  }
}

static void clear_locked(pool *p) {
  while (p->nkeys)
    key_remove(p, p->nkeys - 1);
}

/* ----------------------------------------------------------- validation */

/* The pool of a live handle, locked; else NULL with the error set. Pool
 * memory is never returned to malloc (destroyed pools are kept as spares),
 * so a pool destroyed by another thread between the lookup and the lock is
 * still a pool: its handle no longer matches and the call is refused. */
static pool *lock_pool(const ts_pool *h, const char *call) {
  if (!h) {
    ts__fail(TS_ERR_NULL, call,
             "p is NULL; pass a pool from ts_pool_new or ts_global_pool()");
    return NULL;
  }
  /* The last pool this thread looked up, reused without the handle
   * table's lock: the check of p->self under the pool's lock below refuses
   * it if it was destroyed since (pools are kept as spares, never freed). */
  static TS_TLS const ts_pool *last_h;
  static TS_TLS pool *last_p;
  pool *p = h == last_h ? last_p : ts__obj_lookup(TS__TAG_POOL, h);
  if (p) {
    last_h = h;
    last_p = p;
    pool_lock(&p->mu);
    if (p->self != h) {
      pool_unlock(&p->mu);
      p = NULL;
    }
  }
  if (!p)
    ts__fail(TS_ERR_POOL, call,
             "p (%p) is not a live pool (destroyed, or not made by "
             "ts_pool_new); use ts_pool_new or ts_global_pool()",
             (const void *)h);
  return p;
}

/* A key is checked as ts_zeros checks its shape: a negative size is
 * TS_ERR_SHAPE, not a silent miss (no tensor could have that key). */
static bool check_key(const char *call, const int64_t *shape, int ndim,
                      ts_dtype dtype) {
  return ts__check_dtype(call, dtype) &&
         ts__check_shape(call, shape, ndim, dtype);
}

/* ------------------------------------------------------- create, destroy */

static pthread_mutex_t spares_mu = PTHREAD_MUTEX_INITIALIZER;
static pool *spares;

/* A pool with its handle, from the spares or new; NULL when out of memory. */
static pool *pool_make(size_t max_per_key) {
  pthread_mutex_lock(&spares_mu);
  pool *p = spares;
  if (p)
    spares = p->next_spare;
  pthread_mutex_unlock(&spares_mu);
  if (!p) {
    if (!(p = calloc(1, sizeof *p)))
      return NULL;
  }
  const ts_pool *h = ts__obj_register(TS__TAG_POOL, p);
  pool_lock(&p->mu);
  p->max_per_key = max_per_key ? max_per_key : DEFAULT_PER_KEY;
  p->size = p->hits = p->misses = p->tick = 0;
  p->self = h;
  pool_unlock(&p->mu);
  if (!h) {
    pthread_mutex_lock(&spares_mu);
    p->next_spare = spares;
    spares = p;
    pthread_mutex_unlock(&spares_mu);
    return NULL;
  }
  return p;
}

ts_pool *ts_pool_new(size_t max_per_key) {
  pool *p = pool_make(max_per_key);
  if (!p) {
    ts__fail(TS_ERR_OOM, "ts_pool_new", "out of memory for a new pool");
    return NULL;
  }
  ts__ok_fast();
  return (ts_pool *)p->self;
}

void ts_pool_destroy(ts_pool *h) {
  static const char call[] = "ts_pool_destroy";
  pool *p = lock_pool(h, call);
  if (!p)
    return;
  if (h == global_handle) {
    pool_unlock(&p->mu);
    ts__fail(TS_ERR_POOL, call,
             "the global pool cannot be destroyed (tsmem empties it at "
             "exit); use ts_pool_clear to free what it holds");
    return;
  }
  ts__obj_unregister(TS__TAG_POOL, h);
  p->self = NULL;
  clear_locked(p);
  free(p->keys);
  p->keys = NULL;
  p->keys_cap = 0;
  free(p->index);
  p->index = NULL;
  p->index_cap = 0;
  pool_unlock(&p->mu);
  pthread_mutex_lock(&spares_mu);
  p->next_spare = spares;
  spares = p;
  pthread_mutex_unlock(&spares_mu);
  ts__ok_fast();
}

/* Emptied (not freed) at exit: a thread still running may hold the handle.
 * Registered when the pool is made, after libtorch loaded, so it runs before
 * libtorch's static destructors. */
static void global_at_exit(void) {
  pool *p = ts__obj_lookup(TS__TAG_POOL, global_handle);
  if (!p)
    return;
  pool_lock(&p->mu);
  clear_locked(p);
  pool_unlock(&p->mu);
}

static void global_make(void) {
  pool *p = pool_make(0);
  global_handle = p ? (ts_pool *)p->self : NULL;
  if (global_handle)
    atexit(global_at_exit);
}

ts_pool *ts_global_pool(void) {
  pthread_once(&global_once, global_make);
  if (!global_handle) {
    ts__fail(TS_ERR_OOM, "ts_global_pool", "out of memory for the pool");
    return NULL;
  }
  ts__ok_fast();
  return global_handle;
}

/* ------------------------------------------------------ acquire, release */

ts_tensor *ts_pool_acquire(ts_pool *h, const int64_t *shape, int ndim,
                           ts_dtype dtype) {
  static const char call[] = "ts_pool_acquire";
  if (!check_key(call, shape, ndim, dtype))
    return NULL;
  pool *p = lock_pool(h, call);
  if (!p)
    return NULL;
  uint64_t hash = key_hash(dtype, shape, ndim);
  tsc_tensor *t = NULL;
  pool_key *k = key_find(p, dtype, shape, ndim, hash);
  if (k && k->n) {
    t = k->items[--k->n];
    p->size--;
    p->hits++;
    k->last_use = ++p->tick;
  } else {
    p->misses++;
    if (k)
      k->last_use = ++p->tick;
  }
  pool_unlock(&p->mu);
  if (!t) {
    ts__ok_fast(); /* a miss is not an error */
    return NULL;
  }
  ts__account_pooled(-1, tsc_nbytes(t));
  return ts__wrap(t, call); /* owned by the current scope, or manual */
}

ts_status ts_pool_release(ts_pool *h, ts_tensor *t) {
  static const char call[] = "ts_pool_release";
  pool *p = lock_pool(h, call);
  if (!p)
    return ts_last_status();
  size_t nbytes;
  tsc_tensor *impl;
  if (ts__detach(t, call, "t", __builtin_return_address(0), &nbytes, &impl) !=
      TS_OK) { /* pool, then the handle */
    pool_unlock(&p->mu);
    return ts_last_status();
  }
  if (!impl) { /* in use by another thread's call: released by its end */
    pool_unlock(&p->mu);
    ts__ok_fast();
    return TS_OK;
  }
  int ndim = tsc_ndim(impl);
  const int64_t *shape = tsc_sizes(impl);
  ts_dtype dtype = tsc_dtype(impl);
  uint64_t hash = key_hash(dtype, shape, ndim);
  pool_key *k = key_find(p, dtype, shape, ndim, hash);
  if (!k)
    k = key_add(p, dtype, shape, ndim, hash);
  bool kept = false;
  if (k) {
    k->last_use = ++p->tick;
    if (k->n < p->max_per_key) {
      if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 4;
        if (cap > p->max_per_key)
          cap = p->max_per_key;
        tsc_tensor **v = realloc(k->items, cap * sizeof *v);
        if (v) {
          k->items = v;
          k->cap = cap;
        }
      }
      if (k->n < k->cap) {
        k->items[k->n++] = impl;
        p->size++;
        ts__account_pooled(+1, nbytes);
        kept = true;
      }
    }
  }
  pool_unlock(&p->mu);
  if (!kept)
    tsc_release(impl); /* key full (or no memory to hold it): freed */
  ts__ok_fast();
  return TS_OK;
}

/* ---------------------------------------------------------- statistics */

ts_pool_stats ts_pool_get_stats(const ts_pool *h) {
  ts_pool_stats st = {0, 0, 0, 0.0};
  pool *p = lock_pool(h, "ts_pool_get_stats");
  if (!p)
    return st;
  st.size = p->size;
  st.hit_count = p->hits;
  st.miss_count = p->misses;
  pool_unlock(&p->mu);
  uint64_t all = st.hit_count + st.miss_count;
  st.hit_rate = all ? (double)st.hit_count / (double)all : 0.0;
  ts__ok_fast();
  return st;
}

/* "float32:[10,10]" into a malloc'd string. */
static char *key_string(const pool_key *k) {
  size_t cap = 32 + (size_t)k->ndim * 21;
  char *s = malloc(cap);
  if (!s)
    return NULL;
  size_t n = (size_t)snprintf(s, cap, "%s:[", tsc_dtype_name(k->dtype));
  for (int i = 0; i < k->ndim; i++)
    n += (size_t)snprintf(s + n, cap - n, "%s%lld", i ? "," : "",
                          (long long)k->shape[i]);
  snprintf(s + n, cap - n, "]");
  return s;
}

void ts_pool_foreach_key(const ts_pool *h,
                         void (*cb)(const char *key, size_t count, void *ctx),
                         void *ctx) {
  static const char call[] = "ts_pool_foreach_key";
  if (!cb) {
    ts__fail(TS_ERR_NULL, call,
             "cb is NULL; pass a function to call for each key");
    return;
  }
  pool *p = lock_pool(h, call);
  if (!p)
    return;
  /* Copy out, then call back without the lock: cb may use the pool. */
  size_t n = 0;
  char **names = malloc((p->nkeys ? p->nkeys : 1) * sizeof *names);
  size_t *counts = malloc((p->nkeys ? p->nkeys : 1) * sizeof *counts);
  bool oom = !names || !counts;
  for (size_t i = 0; !oom && i < p->nkeys; i++) {
    if (!p->keys[i].n)
      continue; /* keys that hold nothing are not reported */
    names[n] = key_string(&p->keys[i]);
    counts[n] = p->keys[i].n;
    oom = !names[n];
    n += !oom;
  }
  pool_unlock(&p->mu);
  if (oom)
    ts__fail(TS_ERR_OOM, call, "out of memory listing the pool's keys");
  for (size_t i = 0; i < n; i++) {
    if (!oom)
      cb(names[i], counts[i], ctx);
    free(names[i]);
  }
  free(names);
  free(counts);
  if (!oom)
    ts__ok_fast();
}

/* ------------------------------------------------------------- freeing */

void ts_pool_clear(ts_pool *h) {
  pool *p = lock_pool(h, "ts_pool_clear");
  if (!p)
    return;
  clear_locked(p);
  p->hits = p->misses = 0;
  pool_unlock(&p->mu);
  ts__ok_fast();
}

void ts_pool_clear_key(ts_pool *h, const int64_t *shape, int ndim,
                       ts_dtype dtype) {
  static const char call[] = "ts_pool_clear_key";
  if (!check_key(call, shape, ndim, dtype))
    return;
  pool *p = lock_pool(h, call);
  if (!p)
    return;
  pool_key *k = key_find(p, dtype, shape, ndim, key_hash(dtype, shape, ndim));
  if (k)
    key_remove(p, (size_t)(k - p->keys));
  pool_unlock(&p->mu);
  ts__ok_fast();
}

void ts_pool_prune(ts_pool *h, size_t target) {
  pool *p = lock_pool(h, "ts_pool_prune");
  if (!p)
    return;
  if (target == TS_POOL_HALF)
    target = p->size / 2;
  while (p->size > target) {
    pool_key *lru = NULL;
    for (size_t i = 0; i < p->nkeys; i++)
      if (p->keys[i].n && (!lru || p->keys[i].last_use < lru->last_use))
        lru = &p->keys[i];
    key_drop_oldest(p, lru, p->size - target);
  }
  pool_unlock(&p->mu);
  ts__ok_fast();
}
