/*
 * inference.c - batched inference with a TS_SCOPED predict function.
 *
 * The model is a linear classifier loaded from a table of weights (as if read
 * from a file) and kept for the whole run. predict() makes logits and
 * probabilities in its own scope and hands back only the predicted classes,
 * escaped into the caller's scope; everything else dies with the call.
 *
 *   clang-19 -fplugin=<prefix>/lib/tsmem/tsmem.so inference.c -ltsmem
 */
#include <stdio.h>
#include <tsmem.h>

enum { FEATURES = 2, CLASSES = 3, BATCH = 100, BATCHES = 5 };

/* Three class centres; the classifier scores x by x.c - |c|^2 / 2, which
 * picks the nearest centre. */
static const float centres[CLASSES][FEATURES] = {
    {2, 0}, {-1, 1.7f}, {-1, -1.7f}};

typedef struct {
  ts_tensor *w; /* [FEATURES, CLASSES] */
  ts_tensor *b; /* [CLASSES] */
} model;

/* Made outside any scope, the weights are manual: model_free frees them. */
static model model_load(void) {
  float w[FEATURES][CLASSES], b[CLASSES];
  for (int c = 0; c < CLASSES; c++) {
    b[c] = 0;
    for (int f = 0; f < FEATURES; f++) {
      w[f][c] = centres[c][f];
      b[c] -= centres[c][f] * centres[c][f] / 2;
    }
  }
  return (model){ts_from_buffer(w, TS_SHAPE(FEATURES, CLASSES), TS_FLOAT32),
                 ts_from_buffer(b, TS_SHAPE(CLASSES), TS_FLOAT32)};
}

static void model_free(model *m) {
  ts_free(m->w);
  ts_free(m->b);
}

/* The whole body is one scope: logits and probabilities are freed on return.
 * The result is escaped, so it survives into the caller's scope. */
TS_SCOPED static ts_tensor *predict(const model *m, const ts_tensor *x) {
  ts_tensor *logits = ts_add(ts_matmul(x, m->w), m->b);
  ts_tensor *probs = ts_softmax(logits, 1);
  return ts_escape(ts_argmax_dim(probs, 1));
}

/* Points scattered around the centres; labels[i] is the centre used. Runs
 * in the caller's scope, which owns the noise and the batch. */
TS_CALLER_SCOPE static ts_tensor *make_batch(int64_t labels[BATCH]) {
  float pts[BATCH][FEATURES];
  ts_tensor *noise = ts_randn(TS_SHAPE(BATCH, FEATURES), TS_FLOAT32);
  ts_copy_to_buffer(noise, pts, sizeof pts);
  for (int i = 0; i < BATCH; i++) {
    labels[i] = i % CLASSES;
    for (int f = 0; f < FEATURES; f++)
      pts[i][f] = centres[labels[i]][f] + 0.8f * pts[i][f];
  }
  return ts_from_buffer(pts, TS_SHAPE(BATCH, FEATURES), TS_FLOAT32);
}

int main(void) {
  ts_manual_seed(7);
  ts_set_num_threads(1);
  model m = model_load();

  int right = 0;
  /* One scope per batch: the batch, its noise and the escaped predictions
   * are all freed when the iteration ends. */
  TS_SCOPE for (int b = 0; b < BATCHES; b++) {
    int64_t labels[BATCH], pred[BATCH];
    ts_tensor *x = make_batch(labels);
    ts_copy_to_buffer(predict(&m, x), pred, sizeof pred);
    int r = 0;
    for (int i = 0; i < BATCH; i++)
      r += pred[i] == labels[i];
    right += r;
    /* noise, batch, predictions: what predict left behind is its result. */
    printf("batch %d: %3d/%d right, this scope owns %zu tensors\n", b, r, BATCH,
           ts_scope_tensor_count());
  }
  printf("accuracy %.3f\n", (double)right / (BATCH * BATCHES));

  model_free(&m);
  printf("live tensors at exit: %zu\n", ts_memory().live_tensors);
  return 0;
}
