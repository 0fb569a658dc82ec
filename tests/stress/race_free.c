/*
 * race_free.c - threads free tensors that other threads are using (issue 20
 * item 7).
 *
 * A program with this race is wrong, but SPEC section 2 says a freed handle
 * is never dereferenced: every call on a handle freed by another thread
 * must either work on the tensor as it was (the free came after the call
 * pinned it) or fail with TS_ERR_STALE_HANDLE, and nothing may crash, read
 * freed memory or leak.
 *
 * Shared: NBOARD cells, each holding a tensor handle (or 0) and the value
 * all the tensor's elements hold, a value no other tensor ever had: a call
 * that read another tensor's memory, or freed memory reused, gives a wrong
 * value.
 *   users (4 threads): load a cell's handle and call ts_add(h, h),
 *     ts_sum, ts_reshape, ts_item, ts_numel, ts_copy_to_buffer,
 *     ts_transpose on it; check the value or the stale error.
 *   freers (4 threads): swap a new tensor into a cell and end the old one by
 *     ts_free, ts_pool_release, or the end of the scope it was made in, at
 *     once (while users may be inside a call on it).
 * At the end: no live tensor, the pooled ones accounted, no failures. Run on
 * the ASan+UBSan runtime (use after free, leaks) and the TSan one (races
 * inside the runtime).
 *
 * Usage: race_free [iterations per thread]   (exit status 0 when all held)
 */
#include <tsmem.h>

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

enum { NUSERS = 4, NFREERS = 4, NBOARD = 8, N = 64 }; /* tensors: 8x8 */

static _Atomic uintptr_t board[NBOARD];
static ts_pool *pool;
static int iters = 20000;
static atomic_ulong used_ok, used_stale;
static atomic_int failures;
static atomic_int freers_left = NFREERS;

#define FAIL(...)                                                              \
  do {                                                                         \
    fprintf(stderr, "race_free: " __VA_ARGS__);                                \
    fprintf(stderr, " (last error: %s)\n", ts_last_error());                   \
    atomic_fetch_add(&failures, 1);                                            \
  } while (0)

static atomic_ulong next_value = 1;

/* A new tensor whose elements all hold a value no other tensor had (*v);
 * manual unless a scope is open. Made by ts_full, or from a tensor the pool
 * gives back (contents unspecified but finite: all were made here). */
static ts_tensor *make(double *v) {
  *v = (double)atomic_fetch_add(&next_value, 1);
  ts_tensor *p = ts_pool_acquire(pool, TS_SHAPE(8, 8), TS_FLOAT64), *t;
  if (p) {
    ts_tensor *z = ts_mul_scalar(p, 0.0);
    t = ts_add_scalar(z, *v);
    ts_free(z);
    if (ts_pool_release(pool, p) != TS_OK)
      FAIL("ts_pool_release of an acquired tensor");
  } else {
    t = ts_full(TS_SHAPE(8, 8), TS_FLOAT64, *v);
  }
  if (!t)
    FAIL("make");
  return t;
}

static void check_values(const double *got, int n, double want,
                         const char *what) {
  for (int i = 0; i < n; i++)
    if (got[i] != want) {
      FAIL("%s: element %d is %g, want %g (freed memory read?)", what, i,
           got[i], want);
      return;
    }
}

static void expect_stale(const char *what) {
  if (ts_last_status() != TS_ERR_STALE_HANDLE)
    FAIL("%s: a call on a freed handle gave status %d, want "
         "TS_ERR_STALE_HANDLE",
         what, (int)ts_last_status());
  else
    atomic_fetch_add(&used_stale, 1);
}

/* The board holds a handle and, in a side table indexed by cell, the value
 * its elements hold; a user reads both under the cell's sequence count. */
static _Atomic double cell_value[NBOARD];
static _Atomic unsigned cell_seq[NBOARD];

/* Checks and frees a view r of a tensor whose elements are all v.
 *
 * Not under ThreadSanitizer (RACE_FREE_NO_VIEWS): a view shares its
 * tensor's storage, whose last reference (the view's or the tensor's, in
 * either thread) is dropped by libtorch's own reference count, which TSan
 * cannot see (libtorch is not instrumented): a read of the storage in one
 * thread and its free in another, ordered by that count, is reported as a
 * race. ASan checks the views. */
#ifndef RACE_FREE_NO_VIEWS
static void check_view(ts_tensor *r, double v, const char *what) {
  ts_tensor *s = ts_sum(r);
  double got = ts_item(s);
  check_values(&got, 1, N * v, what);
  ts_free(s);
  ts_free(r);
}
#endif

/* One use of the tensor of handle h, whose elements should all be v. */
static void use(uintptr_t h, double v, unsigned op) {
  const ts_tensor *t = (const ts_tensor *)h;
  double buf[N];
  switch (op % 7) {
  case 0: {
    ts_tensor *r = ts_add(t, t);
    if (!r)
      return expect_stale("ts_add");
    if (ts_copy_to_buffer(r, buf, sizeof buf) != TS_OK)
      FAIL("copy of a result");
    check_values(buf, N, 2 * v, "ts_add");
    ts_free(r);
    break;
  }
  case 1: {
    ts_tensor *r = ts_sum(t);
    if (!r)
      return expect_stale("ts_sum");
    double s = ts_item(r);
    check_values(&s, 1, N * v, "ts_sum");
    ts_free(r);
    break;
  }
#ifndef RACE_FREE_NO_VIEWS
  case 2: {
    ts_tensor *r = ts_reshape(t, TS_SHAPE(N)); /* a view: its own ref */
    if (!r)
      return expect_stale("ts_reshape");
    check_view(r, v, "ts_reshape");
    break;
  }
#endif
  case 3: {
    double x = ts_item(t); /* N elements: a shape error or stale */
    if (!isnan(x) || (ts_last_status() != TS_ERR_SHAPE &&
                      ts_last_status() != TS_ERR_STALE_HANDLE))
      FAIL("ts_item on %d elements gave %g", N, x);
    if (ts_last_status() == TS_ERR_STALE_HANDLE)
      atomic_fetch_add(&used_stale, 1);
    return;
  }
  case 4: {
    int64_t n = ts_numel(t);
    if (n < 0)
      return expect_stale("ts_numel");
    if (n != N)
      FAIL("ts_numel gave %lld", (long long)n);
    break;
  }
  case 5:
    if (ts_copy_to_buffer(t, buf, sizeof buf) != TS_OK)
      return expect_stale("ts_copy_to_buffer");
    check_values(buf, N, v, "ts_copy_to_buffer");
    break;
#ifndef RACE_FREE_NO_VIEWS
  default: {
    ts_tensor *r = ts_transpose(t, 0, 1);
    if (!r)
      return expect_stale("ts_transpose");
    check_view(r, v, "ts_transpose");
    break;
  }
#else
  default:
    break;
#endif
  }
  atomic_fetch_add(&used_ok, 1);
}

/* Publishes t (with value v) in cell c; returns the handle it replaced. */
static uintptr_t publish(unsigned c, ts_tensor *t, double v) {
  atomic_fetch_add(&cell_seq[c], 1);
  uintptr_t old = atomic_exchange(&board[c], (uintptr_t)t);
  atomic_store(&cell_value[c], v);
  atomic_fetch_add(&cell_seq[c], 1);
  return old;
}

static void *user(void *arg) {
  unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u + 1;
  ts_set_num_threads(1);
  while (atomic_load(&freers_left) > 0) {
    seed = seed * 1103515245u + 12345u;
    unsigned c = (seed >> 8) % NBOARD;
    unsigned q0 = atomic_load(&cell_seq[c]);
    if (q0 & 1)
      continue;
    uintptr_t h = atomic_load(&board[c]);
    double v = atomic_load(&cell_value[c]);
    if (atomic_load(&cell_seq[c]) != q0 || !h)
      continue; /* a pair being swapped */
    use(h, v, seed >> 16);
  }
  return NULL;
}

/* Each freer owns the cells c with c % NFREERS == its id, so that a handle
 * on the board is freed only by the thread that swapped it out. */
static void *freer(void *arg) {
  unsigned id = (unsigned)(uintptr_t)arg;
  unsigned seed = id * 7919u + 3;
  ts_set_num_threads(1);
  for (int i = 0; i < iters; i++) {
    seed = seed * 1103515245u + 12345u;
    unsigned c = id + NFREERS * ((seed >> 8) % (NBOARD / NFREERS));
    unsigned how = (seed >> 16) % 3;
    double v;
    if (how == 2) {
      /* Made in a scope that ends while it is on the board: the scope's end
       * frees it while users may be using it. */
      ts_scope_id sc = ts_scope_begin();
      ts_tensor *t = make(&v);
      uintptr_t old = publish(c, t, v);
      if (old && ts_free((ts_tensor *)old) != TS_OK) /* a manual one */
        FAIL("ts_free of a published handle");
      sched_yield();
      if (ts_scope_end(sc) != TS_OK)
        FAIL("scope end");
      publish(c, NULL, 0); /* t, stale now */
      continue;
    }
    ts_tensor *t = ts_keep(make(&v));
    uintptr_t old = publish(c, t, v);
    if (!old)
      continue;
    if (how == 0) {
      if (ts_free((ts_tensor *)old) != TS_OK)
        FAIL("ts_free of a published handle");
    } else if (ts_pool_release(pool, (ts_tensor *)old) != TS_OK) {
      FAIL("ts_pool_release of a published handle");
    }
  }
  atomic_fetch_sub(&freers_left, 1);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc > 1)
    iters = atoi(argv[1]);
  ts_set_num_threads(1);
  pool = ts_pool_new(4);
  pthread_t th[NUSERS + NFREERS];
  for (int i = 0; i < NUSERS; i++)
    pthread_create(&th[i], NULL, user, (void *)(uintptr_t)i);
  for (int i = 0; i < NFREERS; i++)
    pthread_create(&th[NUSERS + i], NULL, freer, (void *)(uintptr_t)i);
  for (int i = 0; i < NUSERS + NFREERS; i++)
    pthread_join(th[i], NULL);
  for (unsigned c = 0; c < NBOARD; c++) {
    uintptr_t h = atomic_exchange(&board[c], 0);
    if (h && ts_free((ts_tensor *)h) != TS_OK)
      FAIL("final free");
  }
  ts_pool_destroy(pool);
  ts_memory_stats m = ts_memory();
  if (m.live_tensors || m.pooled_tensors || m.live_bytes || m.pooled_bytes)
    FAIL("left behind: %zu live (%zu bytes), %zu pooled (%zu bytes)",
         m.live_tensors, m.live_bytes, m.pooled_tensors, m.pooled_bytes);
  printf("race_free: %lu calls worked, %lu saw a stale handle, %d failures\n",
         atomic_load(&used_ok), atomic_load(&used_stale),
         atomic_load(&failures));
  return atomic_load(&failures) ? 1 : 0;
}
