/*
 * pool_loop.c - a tensor pool inside a scope loop.
 *
 * A stream of batches comes in and we keep a running mean of its features,
 * the way batch normalisation keeps its running statistics. Two tensors
 * must live from one step to the next: the running mean and the averaging
 * row that turns a batch into its mean. A scope would free them at the end
 * of the step; releasing them to a pool takes them out of the scope and
 * acquiring them gives them to the next step's scope. Everything else a step
 * makes is freed with its scope.
 *
 *   clang-19 -fplugin=<prefix>/lib/tsmem/tsmem.so pool_loop.c -ltsmem
 */
#include <stdio.h>
#include <tsmem.h>

enum { BATCH = 32, FEATURES = 8, STEPS = 100 };
static const double MOMENTUM = 0.9;

/* The true mean of feature f is f / 2; the running mean should approach it. */
TS_CALLER_SCOPE static ts_tensor *next_batch(const ts_tensor *offsets) {
  return ts_add(ts_randn(TS_SHAPE(BATCH, FEATURES), TS_FLOAT32), offsets);
}

static void print_key(const char *key, size_t count, void *ctx) {
  (void)ctx;
  printf("  %s: %zu tensor(s)\n", key, count);
}

int main(void) {
  ts_manual_seed(3);
  ts_set_num_threads(1);
  /* A pool of our own (not ts_global_pool()): nobody else deposits here, and
   * a pool is LIFO per key, so each acquire hands back the tensor of that
   * shape the previous step released. */
  ts_pool *pool = ts_pool_new(4);
  ts_tensor *offsets = ts_arange(0, FEATURES * 0.5, 0.5, TS_FLOAT32);

  TS_SCOPE for (int step = 1; step <= STEPS; step++) {
    /* A miss (NULL) only on the first step: make the tensor then. */
    ts_tensor *avg = ts_pool_acquire(pool, TS_SHAPE(1, BATCH), TS_FLOAT32);
    if (!avg)
      avg = ts_full(TS_SHAPE(1, BATCH), TS_FLOAT32, 1.0 / BATCH);
    ts_tensor *run = ts_pool_acquire(pool, TS_SHAPE(1, FEATURES), TS_FLOAT32);
    if (!run)
      run = ts_zeros(TS_SHAPE(1, FEATURES), TS_FLOAT32);

    ts_tensor *mean = ts_matmul(avg, next_batch(offsets)); /* [1, FEATURES] */
    ts_tensor *next =
        ts_add(ts_mul_scalar(run, MOMENTUM), ts_mul_scalar(mean, 1 - MOMENTUM));

    /* Out of this scope, into the pool: the handles are dead from here on.
     * `run`, the old mean, stays in the scope and is freed with it. */
    ts_pool_release(pool, avg);
    ts_pool_release(pool, next);

    if (step % 25 == 0) {
      ts_memory_stats mem = ts_memory();
      printf("step %3d: %zu tensors in this step's scope, %zu pooled\n", step,
             ts_scope_tensor_count(), mem.pooled_tensors);
    }
  }

  ts_pool_stats st = ts_pool_get_stats(pool);
  printf("pool: %zu held, %llu hits, %llu misses, hit rate %.3f\n", st.size,
         (unsigned long long)st.hit_count, (unsigned long long)st.miss_count,
         st.hit_rate);
  ts_pool_foreach_key(pool, print_key, NULL);

  TS_SCOPE { /* a last look at the running mean, then it goes back */
    ts_tensor *run = ts_pool_acquire(pool, TS_SHAPE(1, FEATURES), TS_FLOAT32);
    float v[FEATURES];
    ts_copy_to_buffer(run, v, sizeof v);
    printf("running mean:");
    for (int f = 0; f < FEATURES; f++)
      printf(" %.2f", v[f]);
    printf("\n");
    ts_pool_release(pool, run);
  }

  ts_pool_destroy(pool); /* frees the pooled tensors */
  ts_free(offsets);
  printf("live tensors at exit: %zu\n", ts_memory().live_tensors);
  return 0;
}
