/* test_pool.c - the tensor pool: LIFO, cap, stats, keys, clear, prune. */
#include "check.h"

#include <stdlib.h>

static size_t live(void) { return ts_memory().live_tensors; }

TEST(miss_then_hit_lifo) {
  ts_pool *p = ts_pool_new(0);
  CHECK(p != NULL);
  CHECK(ts_pool_acquire(p, TS_SHAPE(10, 10), TS_FLOAT32) == NULL);
  CHECK_EQ(ts_last_status(), TS_OK); /* a miss is not an error */
  ts_tensor *a = ts_full(TS_SHAPE(10, 10), TS_FLOAT32, 1.0);
  ts_tensor *b = ts_full(TS_SHAPE(10, 10), TS_FLOAT32, 2.0);
  CHECK_EQ(ts_pool_release(p, a), TS_OK);
  CHECK_EQ(ts_pool_release(p, b), TS_OK);
  ts_pool_stats st = ts_pool_get_stats(p);
  CHECK_EQ(st.size, 2);
  ts_tensor *x = ts_pool_acquire(p, TS_SHAPE(10, 10), TS_FLOAT32);
  CHECK(x != NULL);
  ts_tensor *sx = ts_sum(x), *sy;
  CHECK(ts_item(sx) == 200.0); /* b came back first */
  ts_tensor *y = ts_pool_acquire(p, TS_SHAPE(10, 10), TS_FLOAT32);
  sy = ts_sum(y);
  CHECK(ts_item(sy) == 100.0);
  st = ts_pool_get_stats(p);
  CHECK_EQ(st.size, 0);
  CHECK_EQ(st.hit_count, 2);
  CHECK_EQ(st.miss_count, 1);
  CHECK(st.hit_rate > 0.66 && st.hit_rate < 0.67);
  ts_pool_destroy(p);
  ts_free(x); /* manual: made outside any scope */
  ts_free(y);
  ts_free(sx);
  ts_free(sy);
}

TEST(keyed_by_dtype_and_shape) {
  TS_SCOPE_GUARD();
  ts_pool *p = ts_pool_new(0);
  ts_pool_release(p, ts_zeros(TS_SHAPE(2, 3), TS_FLOAT32));
  CHECK(ts_pool_acquire(p, TS_SHAPE(3, 2), TS_FLOAT32) == NULL);
  CHECK(ts_pool_acquire(p, TS_SHAPE(2, 3), TS_FLOAT64) == NULL);
  CHECK(ts_pool_acquire(p, TS_SHAPE(2, 3, 1), TS_FLOAT32) == NULL);
  ts_tensor *t = ts_pool_acquire(p, TS_SHAPE(2, 3), TS_FLOAT32);
  CHECK(t != NULL);
  CHECK_EQ(ts_ndim(t), 2);
  CHECK_EQ(ts_tensor_dtype(t), TS_FLOAT32);
  CHECK_EQ(ts_scope_tensor_count(), 1 + 0); /* acquired into this scope */
  ts_pool_destroy(p);
}

TEST(released_handle_is_dead) {
  ts_pool *p = ts_pool_new(0);
  ts_tensor *t = ts_zeros(TS_SHAPE(3), TS_FLOAT32);
  CHECK_EQ(ts_pool_release(p, t), TS_OK);
  CHECK_EQ(ts_nbytes(t), 0);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_nbytes");
  CHECK(strstr(ts_last_error(), "released to a pool") != NULL);
  CHECK_EQ(ts_free(t), TS_ERR_STALE_HANDLE); /* pooled: not freeable */
  CHECK_EQ(ts_pool_release(p, t), TS_ERR_STALE_HANDLE);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_pool_release");
  CHECK_EQ(ts_pool_get_stats(p).size, 1);
  ts_pool_destroy(p);
}

TEST(cap_per_key) {
  ts_pool *p = ts_pool_new(2);
  size_t before = live();
  for (int i = 0; i < 5; i++)
    CHECK_EQ(ts_pool_release(p, ts_zeros(TS_SHAPE(4), TS_INT64)), TS_OK);
  CHECK_EQ(ts_pool_get_stats(p).size, 2);
  CHECK_EQ(live(), before);
  CHECK_EQ(ts_memory().pooled_tensors, 2);
  CHECK_EQ(ts_memory().pooled_bytes, 64);
  ts_pool_destroy(p);
  CHECK_EQ(ts_memory().pooled_tensors, 0);
  CHECK_EQ(ts_memory().pooled_bytes, 0);

  p = ts_pool_new(0); /* default: 16 */
  for (int i = 0; i < 20; i++)
    ts_pool_release(p, ts_zeros(TS_SHAPE(1), TS_INT8));
  CHECK_EQ(ts_pool_get_stats(p).size, 16);
  ts_pool_destroy(p);
}

typedef struct {
  char keys[8][64];
  size_t counts[8];
  int n;
} key_list;

static void collect(const char *key, size_t count, void *ctx) {
  key_list *k = ctx;
  if (k->n < 8) {
    snprintf(k->keys[k->n], sizeof k->keys[0], "%s", key);
    k->counts[k->n++] = count;
  }
}

static size_t count_of(const key_list *k, const char *key) {
  for (int i = 0; i < k->n; i++)
    if (!strcmp(k->keys[i], key))
      return k->counts[i];
  return 0;
}

TEST(foreach_key_names) {
  ts_pool *p = ts_pool_new(0);
  ts_pool_release(p, ts_zeros(TS_SHAPE(10, 10), TS_FLOAT32));
  ts_pool_release(p, ts_zeros(TS_SHAPE(10, 10), TS_FLOAT32));
  ts_pool_release(p, ts_zeros(NULL, 0, TS_FLOAT32));
  ts_pool_release(p, ts_zeros(TS_SHAPE(3), TS_BFLOAT16));
  ts_pool_release(p, ts_zeros(TS_SHAPE(1, 2, 3), TS_BOOL));
  ts_pool_release(p, ts_zeros(TS_SHAPE(2), TS_UINT8));
  key_list k = {0};
  ts_pool_foreach_key(p, collect, &k);
  CHECK_EQ(k.n, 5);
  CHECK_EQ(count_of(&k, "float32:[10,10]"), 2);
  CHECK_EQ(count_of(&k, "float32:[]"), 1);
  CHECK_EQ(count_of(&k, "bfloat16:[3]"), 1);
  CHECK_EQ(count_of(&k, "bool:[1,2,3]"), 1);
  CHECK_EQ(count_of(&k, "uint8:[2]"), 1);
  /* Emptied keys are not listed. */
  ts_free(ts_pool_acquire(p, TS_SHAPE(2), TS_UINT8));
  k = (key_list){0};
  ts_pool_foreach_key(p, collect, &k);
  CHECK_EQ(k.n, 4);
  ts_pool_foreach_key(p, NULL, NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_pool_foreach_key");
  ts_pool_destroy(p);
}

TEST(clear_and_clear_key) {
  ts_pool *p = ts_pool_new(0);
  ts_pool_release(p, ts_zeros(TS_SHAPE(2), TS_FLOAT32));
  ts_pool_release(p, ts_zeros(TS_SHAPE(2), TS_FLOAT32));
  ts_pool_release(p, ts_zeros(TS_SHAPE(3), TS_FLOAT32));
  ts_free(ts_pool_acquire(p, TS_SHAPE(3), TS_FLOAT32)); /* hit */
  ts_pool_acquire(p, TS_SHAPE(9), TS_FLOAT32);          /* miss */
  ts_pool_release(p, ts_zeros(TS_SHAPE(3), TS_FLOAT32));
  ts_pool_clear_key(p, TS_SHAPE(2), TS_FLOAT32);
  ts_pool_stats st = ts_pool_get_stats(p);
  CHECK_EQ(st.size, 1);
  CHECK_EQ(st.hit_count, 1); /* clear_key keeps the statistics */
  CHECK(ts_pool_acquire(p, TS_SHAPE(2), TS_FLOAT32) == NULL);
  ts_pool_clear_key(p, TS_SHAPE(7), TS_FLOAT32); /* absent: fine */
  CHECK_EQ(ts_last_status(), TS_OK);
  ts_pool_clear(p);
  st = ts_pool_get_stats(p);
  CHECK_EQ(st.size, 0);
  CHECK_EQ(st.hit_count, 0);
  CHECK_EQ(st.miss_count, 0);
  CHECK(st.hit_rate == 0.0);
  CHECK_EQ(ts_memory().pooled_tensors, 0);
  ts_pool_destroy(p);
}

TEST(prune_lru_first) {
  ts_pool *p = ts_pool_new(0);
  for (int i = 0; i < 4; i++)
    ts_pool_release(p, ts_zeros(TS_SHAPE(1), TS_FLOAT32)); /* oldest key */
  for (int i = 0; i < 3; i++)
    ts_pool_release(p, ts_zeros(TS_SHAPE(2), TS_FLOAT32));
  for (int i = 0; i < 2; i++)
    ts_pool_release(p, ts_zeros(TS_SHAPE(3), TS_FLOAT32)); /* newest */
  CHECK_EQ(ts_pool_get_stats(p).size, 9);
  ts_pool_prune(p, TS_POOL_HALF); /* 9 / 2 = 4 */
  CHECK_EQ(ts_pool_get_stats(p).size, 4);
  key_list k = {0};
  ts_pool_foreach_key(p, collect, &k);
  CHECK_EQ(count_of(&k, "float32:[1]"), 0);
  CHECK_EQ(count_of(&k, "float32:[2]"), 2);
  CHECK_EQ(count_of(&k, "float32:[3]"), 2);
  ts_pool_prune(p, 10); /* above size: nothing */
  CHECK_EQ(ts_pool_get_stats(p).size, 4);
  ts_pool_prune(p, 0);
  CHECK_EQ(ts_pool_get_stats(p).size, 0);
  CHECK_EQ(ts_memory().pooled_tensors, 0);
  ts_pool_destroy(p);
}

TEST(pooling_in_a_scope_loop) {
  ts_pool *p = ts_pool_new(0);
  size_t before = live();
  ts_memory_stats m0 = ts_memory();
  for (int i = 0; i < 50; i++) {
    TS_SCOPE_GUARD();
    ts_tensor *buf = ts_pool_acquire(p, TS_SHAPE(8, 8), TS_FLOAT32);
    if (!buf)
      buf = ts_empty(TS_SHAPE(8, 8), TS_FLOAT32);
    CHECK(buf != NULL);
    CHECK_EQ(ts_scope_tensor_count(), 1);
    ts_tensor *y = ts_add_scalar(buf, 1.0);
    (void)y;
    CHECK_EQ(ts_pool_release(p, buf), TS_OK); /* out of the scope */
    CHECK_EQ(ts_scope_tensor_count(), 1);
  }
  ts_pool_stats st = ts_pool_get_stats(p);
  CHECK_EQ(st.size, 1);
  CHECK_EQ(st.hit_count, 49);
  CHECK_EQ(st.miss_count, 1);
  CHECK_EQ(live(), before);
  CHECK_EQ(ts_memory().pooled_tensors, m0.pooled_tensors + 1);
  ts_pool_destroy(p);
}

TEST(acquire_outside_scope_is_manual) {
  ts_pool *p = ts_pool_new(0);
  ts_pool_release(p, ts_zeros(TS_SHAPE(5), TS_FLOAT32));
  ts_tensor *t;
  {
    TS_SCOPE_GUARD();
    t = ts_keep(ts_pool_acquire(p, TS_SHAPE(5), TS_FLOAT32));
  }
  CHECK_EQ(ts_nbytes(t), 20);
  CHECK_EQ(ts_pool_release(p, t), TS_OK);
  t = ts_pool_acquire(p, TS_SHAPE(5), TS_FLOAT32);
  ts_scope_id id = ts_scope_begin();
  ts_scope_end(id);
  CHECK_EQ(ts_nbytes(t), 20);
  ts_free(t);
  ts_pool_destroy(p);
}

TEST(global_pool) {
  ts_pool *g = ts_global_pool();
  CHECK(g != NULL);
  CHECK(ts_global_pool() == g);
  ts_pool_release(g, ts_zeros(TS_SHAPE(6), TS_FLOAT32));
  CHECK_EQ(ts_pool_get_stats(g).size, 1);
  ts_pool_destroy(g);
  CHECK_ERROR(TS_ERR_POOL, "ts_pool_destroy");
  CHECK_EQ(ts_pool_get_stats(g).size, 1);
  ts_pool_clear(g);
  CHECK_EQ(ts_pool_get_stats(g).size, 0);
}

TEST(bad_pool_handles) {
  ts_pool *p = ts_pool_new(0);
  ts_tensor *t = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  ts_pool_destroy(p);
  CHECK_EQ(ts_pool_release(p, t), TS_ERR_POOL);
  CHECK_ERROR(TS_ERR_POOL, "ts_pool_release");
  CHECK_EQ(ts_nbytes(t), 8); /* not lost */
  CHECK(ts_pool_acquire(p, TS_SHAPE(2), TS_FLOAT32) == NULL);
  CHECK_ERROR(TS_ERR_POOL, "ts_pool_acquire");
  ts_pool_destroy(p);
  CHECK_ERROR(TS_ERR_POOL, "ts_pool_destroy");
  CHECK_EQ(ts_pool_release(NULL, t), TS_ERR_NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_pool_release");
  ts_pool_stats st = ts_pool_get_stats((ts_pool *)0x1234);
  CHECK_ERROR(TS_ERR_POOL, "ts_pool_get_stats");
  CHECK_EQ(st.size, 0);
  void *heap = malloc(64);
  ts_pool_clear((ts_pool *)heap);
  CHECK_ERROR(TS_ERR_POOL, "ts_pool_clear");
  ts_pool_prune((ts_pool *)heap, 0);
  CHECK_ERROR(TS_ERR_POOL, "ts_pool_prune");
  free(heap);
  ts_pool *q = ts_pool_new(0);
  CHECK(ts_pool_acquire(q, TS_SHAPE(2), (ts_dtype)99) == NULL);
  CHECK_ERROR(TS_ERR_DTYPE, "ts_pool_acquire");
  CHECK(ts_pool_acquire(q, NULL, 2, TS_FLOAT32) == NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_pool_acquire");
  CHECK(ts_pool_acquire(q, NULL, -1, TS_FLOAT32) == NULL);
  CHECK_ERROR(TS_ERR_ARG, "ts_pool_acquire");
  ts_pool_clear_key(q, NULL, 1, TS_FLOAT32);
  CHECK_ERROR(TS_ERR_NULL, "ts_pool_clear_key");
  CHECK_EQ(ts_pool_release(q, NULL), TS_ERR_NULL);
  CHECK_EQ(ts_pool_release(q, (ts_tensor *)0x1234), TS_ERR_STALE_HANDLE);
  ts_pool_destroy(q);
  ts_free(t);
}

/* A bad shape is reported as ts_zeros reports it (issue 20 item 8): a
 * negative size is TS_ERR_SHAPE naming the size and dim, not a silent miss;
 * and it counts as neither a hit nor a miss. */
TEST(bad_shape_like_ts_zeros) {
  ts_pool *q = ts_pool_new(0);
  static const int64_t neg[] = {2, -3};
  struct {
    const int64_t *shape;
    int ndim;
    ts_status st;
  } cases[] = {{neg, 2, TS_ERR_SHAPE},
               {neg, -1, TS_ERR_ARG},
               {NULL, 2, TS_ERR_NULL},
               {(const int64_t[]){INT64_MAX, 2}, 2, TS_ERR_ARG}};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    CHECK(ts_zeros(cases[i].shape, cases[i].ndim, TS_FLOAT32) == NULL);
    CHECK_EQ(ts_last_status(), cases[i].st);
    CHECK(ts_pool_acquire(q, cases[i].shape, cases[i].ndim, TS_FLOAT32) ==
          NULL);
    CHECK_ERROR(cases[i].st, "ts_pool_acquire");
    ts_pool_clear_key(q, cases[i].shape, cases[i].ndim, TS_FLOAT32);
    CHECK_ERROR(cases[i].st, "ts_pool_clear_key");
  }
  CHECK(ts_pool_acquire(q, neg, 2, TS_FLOAT32) == NULL);
  CHECK(strstr(ts_last_error(), "size -3 at dim 1") != NULL);
  CHECK(strstr(ts_last_error(), "sizes must be >= 0") != NULL);
  ts_pool_stats st = ts_pool_get_stats(q);
  CHECK_EQ(st.hit_count + st.miss_count, 0);
  /* A 0 size is a shape like any other: a miss, then a hit. */
  CHECK(ts_pool_acquire(q, TS_SHAPE(0, 3), TS_FLOAT32) == NULL);
  CHECK_EQ(ts_last_status(), TS_OK);
  ts_tensor *z = ts_zeros(TS_SHAPE(0, 3), TS_FLOAT32);
  CHECK_EQ(ts_pool_release(q, z), TS_OK);
  z = ts_pool_acquire(q, TS_SHAPE(0, 3), TS_FLOAT32);
  CHECK(z != NULL);
  ts_free(z);
  ts_pool_destroy(q);
}

static void count_keys(const char *key, size_t count, void *ctx) {
  (void)key;
  *(size_t *)ctx += count;
}

/* Thousands of keys (the hash index): every key stays reachable while
 * others are cleared (backward-shift deletion, the last key moved into the
 * hole), pruned and added again. */
TEST(many_keys) {
  enum { K = 3000 };
  ts_pool *q = ts_pool_new(2);
  for (int64_t i = 0; i < K; i++) {
    ts_tensor *t = ts_empty(TS_SHAPE(i % 50, i / 50), TS_FLOAT32);
    CHECK_EQ(ts_pool_release(q, t), TS_OK);
  }
  CHECK_EQ(ts_pool_get_stats(q).size, K);
  for (int64_t i = 0; i < K; i += 3)
    ts_pool_clear_key(q, TS_SHAPE(i % 50, i / 50), TS_FLOAT32);
  size_t left = 0;
  ts_pool_foreach_key(q, count_keys, &left);
  CHECK_EQ(left, K - (K + 2) / 3);
  int bad = 0;
  for (int64_t i = 0; i < K; i++) {
    ts_tensor *t = ts_pool_acquire(q, TS_SHAPE(i % 50, i / 50), TS_FLOAT32);
    bad += (t != NULL) != (i % 3 != 0);
    if (t) {
      bad += ts_size(t, 0) != i % 50 || ts_size(t, 1) != i / 50;
      CHECK_EQ(ts_pool_release(q, t), TS_OK); /* back for the next pass */
    }
  }
  CHECK_EQ(bad, 0);
  /* Down to a tenth, then every key again: the pruned ones miss. */
  ts_pool_prune(q, K / 10);
  CHECK_EQ(ts_pool_get_stats(q).size, K / 10);
  size_t hits = 0;
  for (int64_t i = 0; i < K; i++) {
    ts_tensor *t = ts_pool_acquire(q, TS_SHAPE(i % 50, i / 50), TS_FLOAT32);
    if (t) {
      hits++;
      bad += ts_size(t, 0) != i % 50 || ts_size(t, 1) != i / 50;
      ts_free(t);
    }
  }
  CHECK_EQ(hits, K / 10);
  CHECK_EQ(bad, 0);
  ts_pool_destroy(q);
}

RUN_TESTS(T(miss_then_hit_lifo), T(keyed_by_dtype_and_shape),
          T(released_handle_is_dead), T(cap_per_key), T(foreach_key_names),
          T(clear_and_clear_key), T(prune_lru_first),
          T(pooling_in_a_scope_loop), T(acquire_outside_scope_is_manual),
          T(global_pool), T(bad_pool_handles), T(bad_shape_like_ts_zeros),
          T(many_keys))
