/*
 * train_mlp.c - a training loop: one scope per batch.
 *
 * A two-layer perceptron learns whether a point lies inside a circle. The
 * parameters are made once and kept: they are the program's to free. All
 * that a training step makes (the batch, activations, the loss) belongs to
 * the step's scope and is freed when the step ends, however it ends.
 *
 *   clang-19 -fplugin=<prefix>/lib/tsmem/tsmem.so train_mlp.c -ltsmem
 */
#include <stdio.h>
#include <tsmem.h>

enum { N = 512, BATCH = 64, IN = 2, HIDDEN = 32, CLASSES = 2, EPOCHS = 10 };
static const double LR = 0.5;

/* The data set lives in plain C arrays; each step copies one batch in. */
static float xs[N][IN];
static int64_t ys[N];

typedef struct {
  ts_tensor *w1, *b1, *w2, *b2;
} mlp;

/* Points uniform in [-1, 1]^2; class 1 inside the circle of radius 0.75. */
static void make_data(void) {
  TS_SCOPE { /* the random tensors below are freed at the closing brace */
    ts_tensor *u = ts_rand(TS_SHAPE(N, IN), TS_FLOAT32);
    ts_tensor *pts = ts_add_scalar(ts_mul_scalar(u, 2.0), -1.0);
    ts_copy_to_buffer(pts, xs, sizeof xs);
  }
  for (int i = 0; i < N; i++)
    ys[i] = xs[i][0] * xs[i][0] + xs[i][1] * xs[i][1] < 0.75 * 0.75;
}

/* A weight matrix: Gaussian noise scaled by `scale`. The scope frees the
 * unscaled noise; ts_keep takes the result out of it, so it outlives the
 * call and the caller frees it. */
TS_SCOPED static ts_tensor *weight(int64_t rows, int64_t cols, double scale) {
  ts_tensor *w =
      ts_mul_scalar(ts_randn(TS_SHAPE(rows, cols), TS_FLOAT32), scale);
  ts_requires_grad(w, true);
  return ts_keep(w);
}

/* A bias made outside any scope is manual already. */
static ts_tensor *bias(int64_t n) {
  ts_tensor *b = ts_zeros(TS_SHAPE(n), TS_FLOAT32);
  ts_requires_grad(b, true);
  return b;
}

/* TS_CALLER_SCOPE: runs inside the caller's scope, so the activations it
 * makes belong to the training step that called it. */
TS_CALLER_SCOPE static ts_tensor *forward(const mlp *m, const ts_tensor *x) {
  ts_tensor *h = ts_relu(ts_add(ts_matmul(x, m->w1), m->b1));
  return ts_add(ts_matmul(h, m->w2), m->b2);
}

static void sgd(mlp *m) {
  ts_tensor *params[] = {m->w1, m->b1, m->w2, m->b2};
  for (int i = 0; i < 4; i++) {
    ts_sgd_step(params[i], LR);
    ts_zero_grad(params[i]);
  }
}

/* Share of the data set classified right, in a scope of its own. */
static double accuracy(const mlp *m) {
  int64_t pred[N];
  TS_SCOPE {
    ts_tensor *x = ts_from_buffer(xs, TS_SHAPE(N, IN), TS_FLOAT32);
    ts_copy_to_buffer(ts_argmax_dim(forward(m, x), 1), pred, sizeof pred);
  }
  int right = 0;
  for (int i = 0; i < N; i++)
    right += pred[i] == ys[i];
  return (double)right / N;
}

int main(void) {
  ts_manual_seed(42);
  ts_set_num_threads(1); /* same numbers on every run */
  make_data();

  /* One call per statement: C leaves the order of initialisers unspecified,
   * and the random draws must come in this order to repeat a run. */
  mlp m;
  m.w1 = weight(IN, HIDDEN, 0.7);
  m.b1 = bias(HIDDEN);
  m.w2 = weight(HIDDEN, CLASSES, 0.2);
  m.b2 = bias(CLASSES);

  for (int epoch = 1; epoch <= EPOCHS; epoch++) {
    double total = 0;
    /* A fresh scope around each step: its tensors die at the end of the
     * body, so memory stays flat however many steps run. */
    TS_SCOPE for (int b = 0; b < N / BATCH; b++) {
      ts_tensor *x =
          ts_from_buffer(xs[b * BATCH], TS_SHAPE(BATCH, IN), TS_FLOAT32);
      ts_tensor *y = ts_from_buffer(&ys[b * BATCH], TS_SHAPE(BATCH), TS_INT64);
      ts_tensor *loss = ts_cross_entropy(forward(&m, x), y);
      ts_backward(loss);
      sgd(&m);
      total += ts_item(loss);
    }
    /* Between steps only the 4 parameters are alive. */
    printf("epoch %2d  loss %.4f  live tensors %zu\n", epoch,
           total / (N / BATCH), ts_memory().live_tensors);
  }
  printf("accuracy %.3f\n", accuracy(&m));

  ts_free(m.w1);
  ts_free(m.b1);
  ts_free(m.w2);
  ts_free(m.b2);
  printf("live tensors at exit: %zu\n", ts_memory().live_tensors);
  return 0;
}
