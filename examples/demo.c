/*
 * demo.c - `make demo`: train a small MLP and watch tsmem's memory.
 *
 * Three classes of noisy points on a ring; a perceptron with two hidden
 * layers learns them with plain SGD. Each training step runs in its own scope
 * (TS_SCOPE on the loop), so live memory rises during a step and falls back to
 * the parameters at its end: run with TSMEM_TRACE=trace.json and
 * tools/tsmem-plot.py draws that saw-tooth. A pool carries the running mean
 * of the inputs from step to step. Each epoch prints a progress line; the
 * run ends with a memory summary.
 *
 *   demo [--epochs N]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>

enum { N = 600, BATCH = 100, IN = 2, HIDDEN = 256, CLASSES = 3 };
static const double LR = 0.05;

static float xs[N][IN];
static int64_t ys[N];

typedef struct {
  ts_tensor *w1, *b1, *w2, *b2, *w3, *b3;
} mlp;

/* Class c: points around angle 2*pi*c/3 on the unit circle, with noise. */
static void make_data(void) {
  float noise[N][IN];
  TS_SCOPE {
    ts_copy_to_buffer(ts_randn(TS_SHAPE(N, IN), TS_FLOAT32), noise,
                      sizeof noise);
  }
  for (int i = 0; i < N; i++) {
    ys[i] = i % CLASSES;
    double a = 2 * M_PI * (double)ys[i] / CLASSES;
    xs[i][0] = (float)(cos(a) + 0.6 * noise[i][0]);
    xs[i][1] = (float)(sin(a) + 0.6 * noise[i][1]);
  }
}

TS_SCOPED static ts_tensor *param(int64_t rows, int64_t cols, double scale) {
  ts_tensor *p =
      ts_mul_scalar(ts_randn(TS_SHAPE(rows, cols), TS_FLOAT32), scale);
  ts_requires_grad(p, true);
  return ts_keep(p); /* outlives the scope: freed by mlp_free */
}

static void mlp_free(mlp *m) {
  ts_free(m->w1);
  ts_free(m->b1);
  ts_free(m->w2);
  ts_free(m->b2);
  ts_free(m->w3);
  ts_free(m->b3);
}

static void sgd(const mlp *m) {
  ts_tensor *params[] = {m->w1, m->b1, m->w2, m->b2, m->w3, m->b3};
  for (int i = 0; i < 6; i++) {
    ts_sgd_step(params[i], LR);
    ts_zero_grad(params[i]);
  }
}

/* Batch b's inputs minus the running mean of the inputs seen so far. The
 * running mean and the averaging row live in `pool` between steps. */
TS_CALLER_SCOPE static ts_tensor *centred_batch(ts_pool *pool, int b) {
  ts_tensor *x = ts_from_buffer(xs[b * BATCH], TS_SHAPE(BATCH, IN), TS_FLOAT32);
  ts_tensor *avg = ts_pool_acquire(pool, TS_SHAPE(1, BATCH), TS_FLOAT32);
  if (!avg)
    avg = ts_full(TS_SHAPE(1, BATCH), TS_FLOAT32, 1.0 / BATCH);
  ts_tensor *run = ts_pool_acquire(pool, TS_SHAPE(1, IN), TS_FLOAT32);
  if (!run)
    run = ts_zeros(TS_SHAPE(1, IN), TS_FLOAT32);
  ts_tensor *next =
      ts_add(ts_mul_scalar(run, 0.9), ts_mul_scalar(ts_matmul(avg, x), 0.1));
  ts_tensor *centred = ts_sub(x, next);
  ts_pool_release(pool, avg);
  ts_pool_release(pool, next);
  return centred;
}

static double kib(size_t bytes) { return (double)bytes / 1024.0; }

static void print_key(const char *key, size_t count, void *ctx) {
  (void)ctx;
  printf("    %-18s %zu\n", key, count);
}

static void summary(ts_pool *pool) {
  ts_memory_stats m = ts_memory();
  ts_pool_stats p = ts_pool_get_stats(pool);
  printf("\nmemory summary (ts_memory)\n");
  printf("  live tensors   %8zu    live bytes   %9.1f KiB\n", m.live_tensors,
         kib(m.live_bytes));
  printf("  pooled tensors %8zu    pooled bytes %9.1f KiB\n", m.pooled_tensors,
         kib(m.pooled_bytes));
  printf("  peak bytes     %8s    %21.1f KiB\n", "", kib(m.peak_bytes));
  printf("  tensors made   %8llu    freed      %11llu\n",
         (unsigned long long)m.created, (unsigned long long)m.freed);
  printf("pool: %zu held, %llu hits, %llu misses, hit rate %.1f%%\n", p.size,
         (unsigned long long)p.hit_count, (unsigned long long)p.miss_count,
         100 * p.hit_rate);
  ts_pool_foreach_key(pool, print_key, NULL);
}

int main(int argc, char **argv) {
  int epochs = 8;
  if (argc == 3 && !strcmp(argv[1], "--epochs"))
    epochs = atoi(argv[2]);
  ts_manual_seed(1);
  ts_set_num_threads(1);
  make_data();

  mlp m; /* in order: the random draws repeat from run to run */
  m.w1 = param(IN, HIDDEN, 1.0);
  m.b1 = param(1, HIDDEN, 0.0); /* biases start at zero: scale 0 */
  m.w2 = param(HIDDEN, HIDDEN, 0.06);
  m.b2 = param(1, HIDDEN, 0.0);
  m.w3 = param(HIDDEN, CLASSES, 0.06);
  m.b3 = param(1, CLASSES, 0.0);
  ts_pool *pool = ts_pool_new(0);
  printf("training a %d-%d-%d-%d MLP on %d points, %d steps per epoch\n", IN,
         HIDDEN, HIDDEN, CLASSES, N, N / BATCH);

  for (int epoch = 1; epoch <= epochs; epoch++) {
    double loss_sum = 0;
    int right = 0;
    /* One scope per step: everything below is freed at the end of the body. */
    TS_SCOPE for (int b = 0; b < N / BATCH; b++) {
      ts_tensor *x = centred_batch(pool, b);
      ts_tensor *y = ts_from_buffer(&ys[b * BATCH], TS_SHAPE(BATCH), TS_INT64);
      ts_tensor *h1 = ts_relu(ts_add(ts_matmul(x, m.w1), m.b1));
      ts_tensor *h2 = ts_relu(ts_add(ts_matmul(h1, m.w2), m.b2));
      ts_tensor *logits = ts_add(ts_matmul(h2, m.w3), m.b3);
      ts_tensor *loss = ts_cross_entropy(logits, y);
      ts_backward(loss);
      sgd(&m);
      loss_sum += ts_item(loss);
      int64_t pred[BATCH];
      ts_copy_to_buffer(ts_argmax_dim(logits, 1), pred, sizeof pred);
      for (int i = 0; i < BATCH; i++)
        right += pred[i] == ys[b * BATCH + i];
    }
    ts_memory_stats mem = ts_memory();
    printf("epoch %2d/%d  loss %.4f  accuracy %.3f | live %zu tensors, "
           "%.1f KiB | pool hit rate %.1f%%\n",
           epoch, epochs, loss_sum / (N / BATCH), (double)right / N,
           mem.live_tensors, kib(mem.live_bytes),
           100 * ts_pool_get_stats(pool).hit_rate);
  }

  summary(pool);
  ts_pool_destroy(pool);
  mlp_free(&m);
  printf("after ts_pool_destroy and freeing the parameters: %zu live "
         "tensors, %zu pooled\n",
         ts_memory().live_tensors, ts_memory().pooled_tensors);
  return 0;
}
