/*
 * test_allocator.c - the caching CPU allocator (issue 18): freed blocks are
 * kept by size class and reused, within the bound, visible in
 * ts_allocator_stats, released by ts_allocator_release_cache, off with
 * TSMEM_CACHING_ALLOCATOR=0; thread-safe.
 */
#include "check.h"
#include "child.h"

#include <pthread.h>
#include <stdlib.h>

enum { MB = 1024 * 1024 };

/* A 1 MiB float32 tensor's storage: 262144 floats. */
static ts_tensor *one_mib(void) {
  return ts_zeros(TS_SHAPE(262144), TS_FLOAT32);
}

/* What a child run does, from the mode the parent asked for. */
static void child(const char *mode) {
  ts_allocator_cache_stats s = ts_allocator_stats();
  if (!strcmp(mode, "off")) {
    /* Off: nothing goes through it. */
    ts_free(one_mib());
    s = ts_allocator_stats();
    fprintf(stderr, "enabled %d hits %llu misses %llu cached %zu\n",
            (int)s.enabled, (unsigned long long)s.hits,
            (unsigned long long)s.misses, s.cached_bytes);
    exit(!s.enabled && s.hits == 0 && s.misses == 0 && s.cached_bytes == 0 ? 0
                                                                           : 1);
  }
  if (!strcmp(mode, "bound")) {
    /* TSMEM_ALLOC_CACHE_MB=2: two 1 MiB blocks fit, the third does not. */
    ts_tensor *t[3];
    for (int i = 0; i < 3; i++)
      t[i] = one_mib();
    size_t before = ts_allocator_stats().cached_bytes;
    for (int i = 0; i < 3; i++)
      ts_free(t[i]);
    s = ts_allocator_stats();
    fprintf(stderr, "limit %zu cached %zu -> %zu\n", s.limit_bytes, before,
            s.cached_bytes);
    exit(s.limit_bytes == 2 * MB && s.cached_bytes <= 2 * MB &&
                 s.cached_bytes - before >= 1 * MB
             ? 0
             : 1);
  }
  exit(2);
}

TEST(children) {
  const char *mode = child_mode();
  if (mode)
    child(mode);
}

TEST(reuses_freed_blocks) {
  ts_allocator_cache_stats s0 = ts_allocator_stats();
  CHECK(s0.enabled);
  CHECK_EQ(s0.limit_bytes, (size_t)256 * MB);
  ts_tensor *t = one_mib();
  CHECK(t != NULL);
  ts_free(t);
  ts_allocator_cache_stats s1 = ts_allocator_stats();
  CHECK(s1.cached_bytes >= s0.cached_bytes + MB);
  CHECK(s1.cached_blocks >= 1);
  /* The same size again: from the cache. */
  t = one_mib();
  ts_allocator_cache_stats s2 = ts_allocator_stats();
  CHECK_EQ(s2.hits, s1.hits + 1);
  CHECK_EQ(s2.misses, s1.misses);
  CHECK_EQ(s2.cached_bytes, s1.cached_bytes - MB);
  CHECK(s2.in_use_bytes >= MB);
  /* Reused memory is zeroed by ts_zeros like any other. */
  float buf[16];
  ts_tensor *head = ts_reshape(t, TS_SHAPE(-1));
  CHECK(head != NULL);
  ts_free(head);
  ts_tensor *s = ts_sum(t);
  CHECK(ts_item(s) == 0.0);
  ts_free(s);
  ts_tensor *f = ts_full(TS_SHAPE(16), TS_FLOAT32, 3.0);
  CHECK_EQ(ts_copy_to_buffer(f, buf, sizeof buf), TS_OK);
  CHECK(buf[0] == 3.0f && buf[15] == 3.0f);
  ts_free(f);
  ts_free(t);
}

TEST(size_classes_round_up_by_at_most_a_quarter) {
  /* 1000 floats (4000 bytes) and 1001 floats share a class; the next
   * tensor of either size reuses the other's block. */
  ts_free(ts_empty(TS_SHAPE(1000), TS_FLOAT32));
  ts_allocator_cache_stats a = ts_allocator_stats();
  ts_tensor *t = ts_empty(TS_SHAPE(1001), TS_FLOAT32);
  ts_allocator_cache_stats b = ts_allocator_stats();
  CHECK_EQ(b.hits, a.hits + 1);
  ts_free(t);
  /* 1 MiB and 1.3 MiB do not (classes are 1.25x apart past 512 bytes). */
  ts_free(one_mib());
  a = ts_allocator_stats();
  t = ts_empty(TS_SHAPE(262144 * 13 / 10), TS_FLOAT32);
  b = ts_allocator_stats();
  CHECK_EQ(b.misses, a.misses + 1);
  ts_free(t);
}

TEST(release_cache) {
  ts_free(one_mib());
  ts_allocator_cache_stats s = ts_allocator_stats();
  CHECK(s.cached_bytes >= MB);
  size_t released = ts_allocator_release_cache();
  CHECK_EQ(ts_last_status(), TS_OK);
  CHECK(released >= MB);
  CHECK_EQ(released, s.cached_bytes);
  s = ts_allocator_stats();
  CHECK_EQ(s.cached_bytes, 0);
  CHECK_EQ(s.cached_blocks, 0);
  CHECK_EQ(ts_allocator_release_cache(), 0);
}

/* Threads make and free tensors of sizes that share classes, checking
 * their contents: a block handed to two tensors at once would show. */
static void *churn(void *arg) {
  unsigned seed = (unsigned)(uintptr_t)arg;
  int bad = 0;
  ts_set_num_threads(1);
  for (int i = 0; i < 400; i++) {
    seed = seed * 1103515245u + 12345u;
    int64_t n = 100 + (seed >> 8) % 5000;
    double v = (double)((uintptr_t)arg * 1000 + (unsigned)i);
    ts_tensor *t = ts_full(&n, 1, TS_FLOAT64, v);
    ts_tensor *t2 = ts_full(&n, 1, TS_FLOAT64, -v);
    ts_tensor *s = ts_sum(t);
    bad += ts_item(s) != v * (double)n;
    ts_free(s);
    ts_free(t2);
    ts_free(t);
  }
  return (void *)(uintptr_t)bad;
}

TEST(threads) {
  enum { NT = 4 };
  pthread_t th[NT];
  for (int i = 0; i < NT; i++)
    pthread_create(&th[i], NULL, churn, (void *)(uintptr_t)(i + 1));
  for (int i = 0; i < NT; i++) {
    void *bad;
    pthread_join(th[i], &bad);
    CHECK_EQ((uintptr_t)bad, 0);
  }
  ts_allocator_cache_stats s = ts_allocator_stats();
  CHECK(s.cached_bytes <= s.limit_bytes);
}

TEST(env_off_and_bound) {
  const char *off[] = {"TSMEM_CACHING_ALLOCATOR=0", NULL};
  child_result r = child_run("off", off);
  CHECK_EQ(r.exit_code, 0);
  const char *bound[] = {"TSMEM_ALLOC_CACHE_MB=2", NULL};
  r = child_run("bound", bound);
  CHECK_EQ(r.exit_code, 0);
  if (r.exit_code)
    fprintf(stderr, "%s", r.err);
}

RUN_TESTS(T(children), T(reuses_freed_blocks),
          T(size_classes_round_up_by_at_most_a_quarter), T(release_cache),
          T(threads), T(env_off_and_bound))
