/*
 * stress.c - eight threads on one runtime: scopes, one shared pool, async
 * scopes handed from thread to thread.
 *
 * Each thread, per iteration: makes tensors in nested scopes, escapes one,
 * frees one (and checks the second free is stale), keeps one and frees it,
 * cycles a tensor through the shared pool, and tries to enter one of a few
 * shared async scopes (TS_OK or TS_ERR_BUSY, nothing else). Every few
 * iterations the threads of a pair hand an async scope over in lock step:
 * A enters it, B must get TS_ERR_BUSY for enter, leave and end; A leaves; B
 * enters and sees the tensors A made. At the end: no live tensor, pool
 * statistics consistent with the acquires made and with ts_memory().
 *
 * Usage: stress [iterations per thread]   (exit status 0 when all held)
 */
#include <tsmem.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { NTHREADS = 8, NJOBS = 3, HANDOFF_EVERY = 16 };

/* A shared async scope. `made` is only touched by the thread that has the
 * scope entered: the runtime's enter/leave is what orders those accesses
 * (under TSan this checks that it really does). */
typedef struct job {
  ts_async_scope *s;
  size_t made;
} job;

static ts_pool *pool;
static job jobs[NJOBS];
static job pair_jobs[NTHREADS / 2];
static pthread_barrier_t pair_bar[NTHREADS / 2];
static int iters = 1500;

static atomic_ulong acquires, enters, busy, handoffs, steps;
static atomic_int failures;

#define FAIL(...)                                                              \
  do {                                                                         \
    fprintf(stderr, "stress: " __VA_ARGS__);                                   \
    fprintf(stderr, " (last error: %s)\n", ts_last_error());                   \
    atomic_fetch_add(&failures, 1);                                            \
  } while (0)

#define EXPECT(cond)                                                           \
  do {                                                                         \
    if (!(cond))                                                               \
      FAIL("%s:%d: %s", __FILE__, __LINE__, #cond);                            \
  } while (0)

static const int64_t SHAPES[3][2] = {{4, 0}, {2, 2}, {1, 0}};
static const int NDIMS[3] = {1, 2, 1};

/* Enters j, checks it owns what its earlier holders made, adds one. */
static void job_work(job *j) {
  EXPECT(ts_scope_tensor_count() == j->made);
  ts_tensor *t = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  EXPECT(t != NULL);
  j->made++;
  EXPECT(ts_scope_tensor_count() == j->made);
}

/* The two threads of a pair hand pair_jobs[pair] over in lock step. */
static void handoff(int self) {
  int pair = self / 2;
  bool first = self % 2 == 0;
  job *j = &pair_jobs[pair];
  pthread_barrier_t *bar = &pair_bar[pair];
  if (first) {
    EXPECT(ts_async_scope_enter(j->s) == TS_OK);
    job_work(j);
  }
  pthread_barrier_wait(bar); /* A has it entered */
  if (!first) {
    EXPECT(ts_async_scope_enter(j->s) == TS_ERR_BUSY);
    EXPECT(ts_async_scope_leave(j->s) == TS_ERR_BUSY);
    EXPECT(ts_async_scope_end(j->s) == TS_ERR_BUSY);
    EXPECT(ts_scope_depth() == 1); /* nothing pushed by the failed enter */
  }
  pthread_barrier_wait(bar);
  if (first)
    EXPECT(ts_async_scope_leave(j->s) == TS_OK);
  pthread_barrier_wait(bar); /* A has left */
  if (!first) {
    EXPECT(ts_async_scope_enter(j->s) == TS_OK);
    job_work(j);
    EXPECT(ts_async_scope_leave(j->s) == TS_OK);
    atomic_fetch_add(&handoffs, 1);
  }
  pthread_barrier_wait(bar);
}

static void iteration(int self, int it) {
  ts_scope_id outer = ts_scope_begin();
  EXPECT(outer != 0);
  ts_tensor *kept;
  {
    ts_scope_id inner = ts_scope_begin();
    ts_tensor *a = ts_zeros(TS_SHAPE(4), TS_FLOAT32);
    ts_tensor *b = ts_ones(TS_SHAPE(4), TS_FLOAT32);
    ts_tensor *c = ts_add(a, b);
    EXPECT(a && b && c);
    EXPECT(ts_escape(c) == c);
    EXPECT(ts_free(a) == TS_OK);
    EXPECT(ts_free(a) == TS_ERR_STALE_HANDLE);

    int k = (self + it) % 3;
    ts_tensor *p = ts_pool_acquire(pool, SHAPES[k], NDIMS[k], TS_FLOAT32);
    atomic_fetch_add(&acquires, 1);
    if (!p)
      p = ts_empty(SHAPES[k], NDIMS[k], TS_FLOAT32);
    EXPECT(p != NULL);
    EXPECT(ts_pool_release(pool, p) == TS_OK);
    EXPECT(ts_pool_release(pool, p) == TS_ERR_STALE_HANDLE);

    kept = ts_keep(ts_full(TS_SHAPE(1), TS_FLOAT32, (double)self));
    EXPECT(kept != NULL);
    EXPECT(ts_scope_tensor_count() == 1); /* b; the rest moved or died */
    EXPECT(ts_scope_end(inner) == TS_OK);
  }
  EXPECT(ts_scope_tensor_count() == 1); /* c */
  EXPECT(ts_item(kept) == (double)self);
  EXPECT(ts_free(kept) == TS_OK);

  job *j = &jobs[(self + it) % NJOBS];
  ts_status st = ts_async_scope_enter(j->s);
  if (st == TS_OK) {
    atomic_fetch_add(&enters, 1);
    job_work(j);
    EXPECT(ts_async_scope_leave(j->s) == TS_OK);
  } else if (st == TS_ERR_BUSY) {
    atomic_fetch_add(&busy, 1);
  } else {
    FAIL("ts_async_scope_enter gave %d", st);
  }

  if (it % HANDOFF_EVERY == 0)
    handoff(self);
  EXPECT(ts_scope_end(outer) == TS_OK);
  EXPECT(ts_scope_depth() == 0);
  atomic_fetch_add(&steps, 1);
}

static void *worker(void *arg) {
  int self = (int)(intptr_t)arg;
  for (int it = 0; it < iters; it++)
    iteration(self, it);
  return NULL;
}

/* A thread that exits with a scope open and an async scope entered: the
 * runtime ends the scope and leaves the async scope for it. */
static void *exit_inside(void *arg) {
  job *j = arg;
  ts_scope_begin();
  EXPECT(ts_zeros(TS_SHAPE(3), TS_FLOAT32) != NULL);
  while (ts_async_scope_enter(j->s) == TS_ERR_BUSY)
    ; /* another exiting thread has it; it leaves when that thread exits */
  job_work(j);
  return NULL; /* no leave, no end */
}

static void run_threads(void *(*fn)(void *), void *(*arg)(int)) {
  pthread_t th[NTHREADS];
  for (int i = 0; i < NTHREADS; i++)
    if (pthread_create(&th[i], NULL, fn, arg(i))) {
      perror("pthread_create");
      exit(2);
    }
  for (int i = 0; i < NTHREADS; i++)
    pthread_join(th[i], NULL);
}

static void *self_arg(int i) { return (void *)(intptr_t)i; }
static void *job_arg(int i) { return &jobs[i % NJOBS]; }

static void end_jobs(job *js, int n) {
  for (int i = 0; i < n; i++)
    EXPECT(ts_async_scope_end(js[i].s) == TS_OK);
}

static void new_jobs(job *js, int n) {
  for (int i = 0; i < n; i++) {
    js[i] = (job){ts_async_scope_begin(), 0};
    EXPECT(js[i].s != NULL);
  }
}

int main(int argc, char **argv) {
  if (argc > 1)
    iters = atoi(argv[1]);
  ts_set_num_threads(1); /* libtorch's own threads are not under test */
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);

  pool = ts_pool_new(4);
  new_jobs(jobs, NJOBS);
  new_jobs(pair_jobs, NTHREADS / 2);
  for (int i = 0; i < NTHREADS / 2; i++)
    pthread_barrier_init(&pair_bar[i], NULL, 2);

  run_threads(worker, self_arg);

  /* Only the jobs' tensors are alive: one per successful enter. */
  size_t in_jobs = 0;
  for (int i = 0; i < NJOBS; i++)
    in_jobs += jobs[i].made;
  for (int i = 0; i < NTHREADS / 2; i++)
    in_jobs += pair_jobs[i].made;
  EXPECT(in_jobs == enters + 2 * handoffs);
  EXPECT(ts_memory().live_tensors == in_jobs);
  end_jobs(jobs, NJOBS);
  end_jobs(pair_jobs, NTHREADS / 2);
  EXPECT(ts_memory().live_tensors == 0);

  /* Threads exiting inside scopes. */
  new_jobs(jobs, NJOBS);
  run_threads(exit_inside, job_arg);
  EXPECT(ts_memory().live_tensors == NTHREADS); /* one per job_work */
  end_jobs(jobs, NJOBS);
  EXPECT(ts_memory().live_tensors == 0);

  ts_pool_stats st = ts_pool_get_stats(pool);
  ts_memory_stats m = ts_memory();
  EXPECT(st.hit_count + st.miss_count == acquires);
  EXPECT(st.size == m.pooled_tensors);
  EXPECT(st.size <= 3 * 4); /* three keys, four per key */
  ts_pool_destroy(pool);
  EXPECT(ts_memory().pooled_tensors == 0);
  EXPECT(ts_memory().created == ts_memory().freed);

  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs =
      (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("stress: %d threads x %d iterations = %lu steps in %.1f s; "
         "%lu pool acquires (%llu hits), %lu async enters, %lu busy, "
         "%lu hand-offs, %llu tensors made; %d failures\n",
         NTHREADS, iters, (unsigned long)steps, secs, (unsigned long)acquires,
         (unsigned long long)st.hit_count, (unsigned long)enters,
         (unsigned long)busy, (unsigned long)handoffs,
         (unsigned long long)m.created, failures);
  return failures != 0;
}
