/*
 * soak.c - a long training run: does anything grow?
 *
 * 100,000 SGD steps of a small MLP (64x32 inputs, 64 hidden, 10 classes),
 * each step inside its own scope, its input batch cycled through a pool.
 * After every step, outside the scope, the live tensor count must be the
 * same (the parameters and the targets); after a warm-up the resident set
 * (/proc/self/statm) must not grow by 1 MiB or more. Prints the figures.
 *
 * Usage: soak [steps] [warm-up steps]      exit status 0 when both held
 */
#include <tsmem.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

enum { BATCH = 64, IN = 32, HIDDEN = 64, CLASSES = 10 };
#define LR 0.05

static size_t rss_bytes(void) {
  long pages = 0, resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (f) {
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
      resident = 0;
    fclose(f);
  }
  return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static ts_tensor *param(const int64_t *shape, int ndim, double scale) {
  ts_tensor *r = ts_randn(shape, ndim, TS_FLOAT32);
  ts_tensor *p = ts_mul_scalar(r, scale);
  ts_free(r);
  ts_requires_grad(p, true);
  return p;
}

#define FAIL_IF(cond)                                                          \
  do {                                                                         \
    if (cond) {                                                                \
      fprintf(stderr, "soak: step %ld: %s (%s)\n", step, #cond,                \
              ts_last_error());                                                \
      return 1;                                                                \
    }                                                                          \
  } while (0)

int main(int argc, char **argv) {
  long steps = argc > 1 ? atol(argv[1]) : 100000;
  long warmup = argc > 2 ? atol(argv[2]) : steps / 10;
  long step = 0;
  ts_set_num_threads(1);
  ts_manual_seed(7);

  ts_tensor *w1 = param(TS_SHAPE(IN, HIDDEN), 0.2);
  ts_tensor *b1 = param(TS_SHAPE(HIDDEN), 0.0);
  ts_tensor *w2 = param(TS_SHAPE(HIDDEN, CLASSES), 0.2);
  ts_tensor *b2 = param(TS_SHAPE(CLASSES), 0.0);
  int64_t labels[BATCH];
  for (int i = 0; i < BATCH; i++)
    labels[i] = i % CLASSES;
  ts_tensor *y = ts_from_buffer(labels, TS_SHAPE(BATCH), TS_INT64);
  ts_tensor *params[] = {w1, b1, w2, b2};
  FAIL_IF(!w1 || !b1 || !w2 || !b2 || !y);

  ts_pool *pool = ts_pool_new(2);
  size_t live0 = ts_memory().live_tensors;
  size_t rss_warm = 0, rss_max = 0;
  double first_loss = 0, loss = 0, t0 = now(), t_warm = t0;

  for (step = 0; step < steps; step++) {
    ts_scope_id s = ts_scope_begin();
    /* The batch comes from the pool (contents unspecified, so refilled on
     * a miss only: the soak is about memory, not accuracy). */
    ts_tensor *x = ts_pool_acquire(pool, TS_SHAPE(BATCH, IN), TS_FLOAT32);
    if (!x)
      x = ts_randn(TS_SHAPE(BATCH, IN), TS_FLOAT32);
    ts_tensor *h = ts_relu(ts_add(ts_matmul(x, w1), b1));
    ts_tensor *logits = ts_add(ts_matmul(h, w2), b2);
    ts_tensor *l = ts_cross_entropy(logits, y);
    FAIL_IF(!l);
    FAIL_IF(ts_backward(l) != TS_OK);
    for (int i = 0; i < 4; i++) {
      FAIL_IF(ts_sgd_step(params[i], LR) != TS_OK);
      FAIL_IF(ts_zero_grad(params[i]) != TS_OK);
    }
    loss = ts_item(l);
    if (step == 0)
      first_loss = loss;
    FAIL_IF(ts_pool_release(pool, x) != TS_OK);
    FAIL_IF(ts_scope_end(s) != TS_OK);

    FAIL_IF(ts_memory().live_tensors != live0);
    if (step + 1 == warmup) {
      rss_warm = rss_bytes();
      t_warm = now();
    }
    if (step + 1 >= warmup) {
      size_t r = rss_bytes();
      if (r > rss_max)
        rss_max = r;
    }
  }
  double secs = now() - t0;
  size_t rss_end = rss_bytes();
  long long growth = (long long)rss_max - (long long)rss_warm;
  ts_pool_stats ps = ts_pool_get_stats(pool);
  ts_memory_stats m = ts_memory();

  printf("soak: %ld steps in %.1f s (%.0f steps/s after warm-up), loss %.4f "
         "-> %.4f\n",
         steps, secs, (double)(steps - warmup) / (now() - t_warm), first_loss,
         loss);
  printf("soak: live tensors after every step: %zu (constant); %llu tensors "
         "made in all; pool hit rate %.4f\n",
         live0, (unsigned long long)m.created, ps.hit_rate);
  printf("soak: RSS after %ld warm-up steps %.2f MiB, at the end %.2f MiB, "
         "highest %.2f MiB: growth %lld bytes (limit 1 MiB)\n",
         warmup, rss_warm / 1048576.0, rss_end / 1048576.0, rss_max / 1048576.0,
         growth);

  ts_pool_destroy(pool);
  ts_free(y);
  for (int i = 0; i < 4; i++)
    ts_free(params[i]);
  step = steps;
  FAIL_IF(ts_memory().live_tensors != 0 || ts_memory().pooled_tensors != 0);
  FAIL_IF(growth >= 1 << 20);
  return 0;
}
