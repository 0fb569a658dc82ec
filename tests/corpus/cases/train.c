/* A small training program written the way users write it: mostly right,
 * with the bugs the checks are for. */
#include <tsmem.h>

struct mlp {
  ts_tensor *w1, *w2;
};

TS_CALLER_SCOPE static ts_tensor *mlp_forward(const struct mlp *m, const ts_tensor *x) {
  ts_tensor *h = ts_relu(ts_matmul(x, m->w1));
  return ts_matmul(h, m->w2);
}

double train_epoch_ok(struct mlp *m, const ts_tensor *x, const ts_tensor *y, int steps) {
  double last = 0;
  for (int i = 0; i < steps; i++) {
    TS_SCOPE_GUARD();
    ts_tensor *logits = mlp_forward(m, x);
    ts_tensor *loss = ts_cross_entropy(logits, y);
    ts_backward(loss);
    ts_sgd_step(m->w1, 0.1);
    ts_sgd_step(m->w2, 0.1);
    ts_zero_grad(m->w1);
    ts_zero_grad(m->w2);
    last = ts_item(loss);
  }
  return last;
}

double train_epoch_leaky(struct mlp *m, const ts_tensor *x, const ts_tensor *y, int steps) {
  double last = 0;
  for (int i = 0; i < steps; i++) {
    ts_tensor *logits = ts_matmul(x, m->w1);
    ts_tensor *loss = ts_cross_entropy(logits, y); // EXPECT: tsmem-leak
    ts_backward(loss);
    last = ts_item(loss);
    ts_free(logits);
  }
  return last;
}

ts_tensor *predict_wrong(struct mlp *m, const ts_tensor *x) {
  TS_SCOPE_GUARD();
  ts_tensor *logits = mlp_forward(m, x);
  return ts_argmax_dim(logits, 1); // EXPECT: tsmem-unescaped-return
}

ts_tensor *predict_ok(struct mlp *m, const ts_tensor *x) {
  TS_SCOPE_GUARD();
  ts_tensor *logits = mlp_forward(m, x);
  return ts_escape(ts_argmax_dim(logits, 1));
}

double eval_ok(struct mlp *m, const ts_tensor *x, const ts_tensor *y) {
  TS_SCOPE_GUARD();
  ts_tensor *loss = ts_cross_entropy(mlp_forward(m, x), y);
  return ts_item(loss);
}

double eval_after_scope(struct mlp *m, const ts_tensor *x, const ts_tensor *y) {
  ts_tensor *loss;
  {
    TS_SCOPE_GUARD();
    loss = ts_cross_entropy(mlp_forward(m, x), y);
  }
  return ts_item(loss); // EXPECT: tsmem-use-after-scope
}

void mlp_free_twice(struct mlp *m) {
  ts_tensor *w1 = m->w1;
  ts_free(w1);
  ts_free(m->w2);
  ts_free(w1); // EXPECT: tsmem-double-free
}

int mlp_init(struct mlp *m, int in, int hidden, int out) {
  m->w1 = ts_randn(TS_SHAPE(in, hidden), TS_FLOAT32);
  m->w2 = ts_randn(TS_SHAPE(hidden, out), TS_FLOAT32);
  if (!m->w1 || !m->w2) {
    ts_free(m->w1);
    ts_free(m->w2);
    return -1;
  }
  return 0;
}

double batch_stats(const ts_tensor *x) {
  ts_tensor *mean = ts_mean(x);
  ts_tensor *centered = ts_sub(x, mean);
  ts_free(mean);
  double v = ts_item(ts_mean(ts_mul(centered, centered))); // EXPECT: tsmem-leak
  ts_free(centered);
  return v;
}

double batch_stats_uaf(const ts_tensor *x) {
  ts_tensor *mean = ts_mean(x);
  ts_free(mean);
  ts_tensor *centered = ts_sub(x, mean); // EXPECT: tsmem-use-after-free
  double v = ts_item(centered);
  ts_free(centered);
  return v;
}
