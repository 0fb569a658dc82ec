/* test_threads.c - per-thread scope stacks, a shared pool, thread exit. */
#include "check.h"

#include <pthread.h>
#include <sched.h>

enum { THREADS = 4, ROUNDS = 200 };

static ts_pool *shared;

typedef struct {
  int failures;
  ts_scope_id first_id, last_id;
  ts_tensor *result;
} worker;

static void *work(void *arg) {
  worker *w = arg;
  if (ts_in_scope() || ts_scope_depth() != 0)
    w->failures++; /* a new thread starts with an empty stack */
  for (int i = 0; i < ROUNDS; i++) {
    ts_scope_id id = ts_scope_begin();
    if (!w->first_id)
      w->first_id = id;
    w->last_id = id;
    ts_tensor *buf = ts_pool_acquire(shared, TS_SHAPE(16), TS_FLOAT32);
    if (!buf)
      buf = ts_zeros(TS_SHAPE(16), TS_FLOAT32);
    ts_tensor *y = ts_add_scalar(buf, (double)i);
    if (!y || ts_scope_depth() != 1 || ts_scope_tensor_count() != 2)
      w->failures++;
    if (ts_pool_release(shared, buf) != TS_OK)
      w->failures++;
    if (i == ROUNDS - 1)
      w->result = ts_escape(y);
    if (ts_scope_end(id) != TS_OK)
      w->failures++;
  }
  return NULL;
}

TEST(threads_with_a_shared_pool) {
  shared = ts_pool_new(0);
  size_t before = ts_memory().live_tensors;
  ts_scope_id mine = ts_scope_begin(); /* not visible to the workers */
  pthread_t th[THREADS];
  worker w[THREADS] = {{0}};
  for (int i = 0; i < THREADS; i++)
    pthread_create(&th[i], NULL, work, &w[i]);
  for (int i = 0; i < THREADS; i++)
    pthread_join(th[i], NULL);
  CHECK_EQ(ts_scope_depth(), 1);
  CHECK_EQ(ts_scope_tensor_count(), 0);
  CHECK_EQ(ts_scope_end(mine), TS_OK);
  for (int i = 0; i < THREADS; i++) {
    CHECK_EQ(w[i].failures, 0);
    CHECK_EQ(ts_numel(w[i].result), 16); /* escaped to manual */
    ts_free(w[i].result);
    /* Ids of different threads never collide. */
    for (int j = 0; j < i; j++)
      CHECK(w[i].last_id < w[j].first_id || w[j].last_id < w[i].first_id);
  }
  CHECK_EQ(ts_memory().live_tensors, before);
  ts_pool_stats st = ts_pool_get_stats(shared);
  CHECK(st.size >= 1 && st.size <= THREADS);
  CHECK_EQ(st.hit_count + st.miss_count, THREADS * ROUNDS);
  ts_pool_destroy(shared);
}

static void *leave_scopes_open(void *arg) {
  ts_tensor **out = arg;
  ts_scope_begin();
  ts_zeros(TS_SHAPE(3), TS_FLOAT32);
  ts_scope_begin();
  *out = ts_zeros(TS_SHAPE(3), TS_FLOAT32);
  return NULL; /* exits with two scopes open */
}

TEST(thread_exit_ends_open_scopes) {
  size_t before = ts_memory().live_tensors;
  ts_tensor *t = NULL;
  pthread_t th;
  pthread_create(&th, NULL, leave_scopes_open, &t);
  pthread_join(th, NULL);
  CHECK_EQ(ts_memory().live_tensors, before);
  CHECK_EQ(ts_numel(t), -1);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_numel");
  CHECK(strstr(ts_last_error(), "thread exited") != NULL);
}

static void *end_foreign(void *arg) {
  ts_scope_id *id = arg;
  ts_status st = ts_scope_end(*id);
  *id = st == TS_ERR_BAD_SCOPE && strstr(ts_last_error(), "ts_scope_end");
  return NULL;
}

TEST(scope_of_another_thread_is_bad) {
  ts_scope_id id = ts_scope_begin();
  ts_scope_id arg = id;
  pthread_t th;
  pthread_create(&th, NULL, end_foreign, &arg);
  pthread_join(th, NULL);
  CHECK_EQ(arg, 1);
  CHECK_EQ(ts_scope_depth(), 1);
  CHECK_EQ(ts_scope_end(id), TS_OK);
}

static void *churn(void *arg) {
  (void)arg;
  for (int i = 0; i < 500; i++) {
    TS_SCOPE_GUARD();
    ts_tensor *a = ts_empty(TS_SHAPE(2), TS_FLOAT32);
    if (i % 3 == 0)
      ts_free(a);
    else if (i % 3 == 1)
      ts_free(ts_keep(a));
  }
  return NULL;
}

TEST(concurrent_handle_churn) {
  size_t before = ts_memory().live_tensors;
  pthread_t th[THREADS];
  for (int i = 0; i < THREADS; i++)
    pthread_create(&th[i], NULL, churn, NULL);
  for (int i = 0; i < THREADS; i++)
    pthread_join(th[i], NULL);
  CHECK_EQ(ts_memory().live_tensors, before);
}

/* Pools and async scopes destroyed while other threads still call with
 * their handles: refused with an error, never a use after free. */
static _Atomic(ts_pool *) racy_pool;
static _Atomic(ts_async_scope *) racy_job;
static _Atomic int racing;

static void *use_racy(void *arg) {
  (void)arg;
  while (racing) {
    ts_pool_get_stats(racy_pool);
    ts_pool_prune(racy_pool, 0);
    ts_async_scope *job =
        racy_job; /* one job per round: leave what we entered */
    if (ts_async_scope_enter(job) == TS_OK)
      ts_async_scope_leave(job);
    sched_yield();
  }
  return NULL;
}

TEST(destroy_while_others_use) {
  racy_pool = ts_pool_new(0);
  racy_job = ts_async_scope_begin();
  racing = 1;
  pthread_t th[2];
  for (int i = 0; i < 2; i++)
    pthread_create(&th[i], NULL, use_racy, NULL);
  for (int i = 0; i < 500; i++) {
    ts_pool *old = racy_pool;
    racy_pool = ts_pool_new(0);
    ts_pool_destroy(old);
    ts_async_scope *job = racy_job;
    racy_job = ts_async_scope_begin();
    while (ts_async_scope_end(job) == TS_ERR_BUSY)
      sched_yield(); /* entered by a user thread for a moment */
  }
  racing = 0;
  for (int i = 0; i < 2; i++)
    pthread_join(th[i], NULL);
  ts_pool_destroy(racy_pool);
  CHECK_EQ(ts_async_scope_end(racy_job), TS_OK);
  ts_clear_error();
}

RUN_TESTS(T(threads_with_a_shared_pool), T(thread_exit_ends_open_scopes),
          T(scope_of_another_thread_is_bad), T(concurrent_handle_churn),
          T(destroy_while_others_use))
