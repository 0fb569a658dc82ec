/*
 * train.c - training loops for a small linear regressor and classifier,
 * written the way a user of tsmem writes them: manual parameters, one
 * scope per step, a best-loss tracker, early stopping, checkpoints.
 *
 * Labels (see README.md): `// OK: why` or `// BUG: check: why` on the line
 * before each function; the line of the bug itself ends in `// <- BUG`.
 */
#include <stdio.h>
#include <tsmem.h>

enum { IN = 4, OUT = 2, BATCH = 8, STEPS = 3, CLASSES = 3 };

// OK: parameters are manual and freed; each step's temporaries die with the
// step's scope
void train_sgd_scoped(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  ts_requires_grad(w, true);
  TS_SCOPE for (int step = 0; step < STEPS; step++) {
    ts_tensor *x = ts_randn(TS_SHAPE(BATCH, IN), TS_FLOAT32);
    ts_tensor *y = ts_randn(TS_SHAPE(BATCH, OUT), TS_FLOAT32);
    ts_tensor *loss = ts_mse_loss(ts_matmul(x, w), y);
    ts_backward(loss);
    ts_sgd_step(w, 0.01);
    ts_zero_grad(w);
  }
  ts_free(w);
}

// BUG: leak: the manual loop frees the batch and the prediction but not the
// loss
void train_sgd_manual_leaky(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  ts_requires_grad(w, true);
  for (int step = 0; step < STEPS; step++) {
    ts_tensor *x = ts_randn(TS_SHAPE(BATCH, IN), TS_FLOAT32);
    ts_tensor *y = ts_randn(TS_SHAPE(BATCH, OUT), TS_FLOAT32);
    ts_tensor *pred = ts_matmul(x, w);
    ts_tensor *loss = ts_mse_loss(pred, y); // <- BUG
    ts_backward(loss);
    ts_sgd_step(w, 0.01);
    ts_zero_grad(w);
    ts_free(x);
    ts_free(y);
    ts_free(pred);
  }
  ts_free(w);
}

// OK: the manual loop frees everything it makes in every iteration
void train_sgd_manual(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  ts_requires_grad(w, true);
  for (int step = 0; step < STEPS; step++) {
    ts_tensor *x = ts_randn(TS_SHAPE(BATCH, IN), TS_FLOAT32);
    ts_tensor *y = ts_randn(TS_SHAPE(BATCH, OUT), TS_FLOAT32);
    ts_tensor *pred = ts_matmul(x, w);
    ts_tensor *loss = ts_mse_loss(pred, y);
    ts_backward(loss);
    ts_sgd_step(w, 0.01);
    ts_free(loss);
    ts_free(pred);
    ts_free(y);
    ts_free(x);
  }
  ts_free(w);
}

// BUG: use-after-scope: the last loss is remembered past the iteration scope
// that owns it
void train_report_last_loss(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  ts_tensor *last = NULL;
  TS_SCOPE for (int step = 0; step < STEPS; step++) {
    ts_tensor *x = ts_randn(TS_SHAPE(BATCH, IN), TS_FLOAT32);
    ts_tensor *y = ts_randn(TS_SHAPE(BATCH, OUT), TS_FLOAT32);
    last = ts_mse_loss(ts_matmul(x, w), y);
  }
  printf("last loss %f\n", ts_item(last)); // <- BUG
  ts_free(w);
}

// OK: the best loss is cloned and kept out of the iteration's scope, the
// previous best freed
void train_track_best_loss(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  ts_tensor *best = NULL;
  TS_SCOPE for (int step = 0; step < STEPS; step++) {
    ts_tensor *x = ts_randn(TS_SHAPE(BATCH, IN), TS_FLOAT32);
    ts_tensor *y = ts_randn(TS_SHAPE(BATCH, OUT), TS_FLOAT32);
    ts_tensor *loss = ts_mse_loss(ts_matmul(x, w), y);
    if (best == NULL || ts_item(loss) < ts_item(best)) {
      if (best)
        ts_free(best);
      best = ts_keep(ts_clone(loss));
    }
  }
  printf("best loss %f\n", ts_item(best));
  ts_free(best);
  ts_free(w);
}

// BUG: double-free: the weights are freed on the last step and again after the
// loop
void train_free_on_last_step(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  for (int step = 0; step < STEPS; step++) {
    ts_tensor *x = ts_randn(TS_SHAPE(BATCH, IN), TS_FLOAT32);
    ts_tensor *pred = ts_matmul(x, w);
    printf("step %d: %lld elements\n", step, (long long)ts_numel(pred));
    ts_free(pred);
    ts_free(x);
    if (step == STEPS - 1)
      ts_free(w);
  }
  ts_free(w); // <- BUG
}

// BUG: leak: the sum made only to print it inside the manual loop is never
// freed
void train_print_sums(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  for (int step = 0; step < STEPS; step++) {
    ts_tensor *x = ts_randn(TS_SHAPE(BATCH, IN), TS_FLOAT32);
    ts_tensor *pred = ts_matmul(x, w);
    printf("step %d: %f\n", step, ts_item(ts_sum(pred)) * 0); // <- BUG
    ts_free(pred);
    ts_free(x);
  }
  ts_free(w);
}

// BUG: use-after-free: the early-stop test reads the loss freed just before it
void train_early_stop(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  for (int step = 0; step < STEPS; step++) {
    ts_tensor *x = ts_randn(TS_SHAPE(BATCH, IN), TS_FLOAT32);
    ts_tensor *y = ts_zeros(TS_SHAPE(BATCH, OUT), TS_FLOAT32);
    ts_tensor *pred = ts_matmul(x, w);
    ts_tensor *loss = ts_mse_loss(pred, y);
    ts_free(pred);
    ts_free(y);
    ts_free(x);
    ts_free(loss);
    if (ts_item(loss) < 1e-9) // <- BUG
      break;
  }
  ts_free(w);
}

// OK: early stopping reads the loss before freeing it, and the break leaves
// nothing behind
void train_early_stop_ok(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  for (int step = 0; step < STEPS; step++) {
    ts_tensor *x = ts_randn(TS_SHAPE(BATCH, IN), TS_FLOAT32);
    ts_tensor *y = ts_zeros(TS_SHAPE(BATCH, OUT), TS_FLOAT32);
    ts_tensor *pred = ts_matmul(x, w);
    ts_tensor *loss = ts_mse_loss(pred, y);
    double l = ts_item(loss);
    ts_free(loss);
    ts_free(pred);
    ts_free(y);
    ts_free(x);
    if (l < 1e-9)
      break;
  }
  ts_free(w);
}

// OK: a classifier step with cross entropy inside a TS_SCOPE block; the
// accuracy is a double
void train_classifier_epoch(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, CLASSES), TS_FLOAT32);
  ts_requires_grad(w, true);
  double acc = 0;
  for (int step = 0; step < STEPS; step++) {
    TS_SCOPE {
      ts_tensor *x = ts_randn(TS_SHAPE(BATCH, IN), TS_FLOAT32);
      ts_tensor *labels = ts_zeros(TS_SHAPE(BATCH), TS_INT64);
      ts_tensor *logits = ts_matmul(x, w);
      ts_tensor *loss = ts_cross_entropy(logits, labels);
      ts_backward(loss);
      ts_sgd_step(w, 0.1);
      ts_zero_grad(w);
      ts_tensor *pred = ts_argmax_dim(logits, 1);
      acc += ts_item(ts_sum(pred));
    }
  }
  printf("accuracy %f\n", acc);
  ts_free(w);
}

// BUG: unescaped-return: the scoped evaluation returns its mean without
// ts_escape
TS_SCOPED static ts_tensor *eval_mean_loss(const ts_tensor *w) {
  ts_tensor *x = ts_randn(TS_SHAPE(BATCH, IN), TS_FLOAT32);
  ts_tensor *y = ts_zeros(TS_SHAPE(BATCH, OUT), TS_FLOAT32);
  return ts_mse_loss(ts_matmul(x, w), y); // <- BUG
}

// OK: calls the evaluation (its bug is its own) and frees what it gets
void train_eval_caller(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  ts_tensor *l = eval_mean_loss(w);
  printf("eval %f\n", ts_item(l));
  ts_free(l);
  ts_free(w);
}

// OK: the scoped evaluation escapes its result, the caller frees it
TS_SCOPED static ts_tensor *eval_mean_loss_ok(const ts_tensor *w) {
  ts_tensor *x = ts_randn(TS_SHAPE(BATCH, IN), TS_FLOAT32);
  ts_tensor *y = ts_zeros(TS_SHAPE(BATCH, OUT), TS_FLOAT32);
  return ts_escape(ts_mse_loss(ts_matmul(x, w), y));
}

// OK: uses the escaped evaluation result and frees it
void train_eval_ok_caller(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  ts_tensor *l = eval_mean_loss_ok(w);
  printf("eval %f\n", ts_item(l));
  ts_free(l);
  ts_free(w);
}

// BUG: leak: the learning-rate schedule replaces the momentum buffer without
// freeing the old one
void train_momentum_leaky(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  ts_tensor *v = ts_zeros(TS_SHAPE(IN, OUT), TS_FLOAT32);
  for (int step = 0; step < STEPS; step++) {
    ts_tensor *g = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
    ts_tensor *scaled = ts_mul_scalar(v, 0.9);
    v = ts_add(scaled, g); // <- BUG
    ts_free(scaled);
    ts_free(g);
  }
  ts_free(v);
  ts_free(w);
}

// OK: the momentum buffer is replaced and the old one freed each step
void train_momentum(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  ts_tensor *v = ts_zeros(TS_SHAPE(IN, OUT), TS_FLOAT32);
  for (int step = 0; step < STEPS; step++) {
    ts_tensor *g = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
    ts_tensor *scaled = ts_mul_scalar(v, 0.9);
    ts_tensor *nv = ts_add(scaled, g);
    ts_free(v);
    v = nv;
    ts_free(scaled);
    ts_free(g);
  }
  ts_free(v);
  ts_free(w);
}

// BUG: use-after-free: the gradient handle is freed and then used for the
// update
void train_grad_after_free(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  ts_requires_grad(w, true);
  ts_tensor *x = ts_randn(TS_SHAPE(BATCH, IN), TS_FLOAT32);
  ts_tensor *pred = ts_matmul(x, w);
  ts_tensor *loss = ts_sum(pred);
  ts_backward(loss);
  ts_tensor *g = ts_grad(w);
  ts_free(g);
  ts_tensor *step = ts_mul_scalar(g, 0.01); // <- BUG
  ts_free(step);
  ts_free(loss);
  ts_free(pred);
  ts_free(x);
  ts_free(w);
}

// BUG: double-free: the logged loss is an alias of the loss, and both are freed
void train_log_alias(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(BATCH, IN), TS_FLOAT32);
  ts_tensor *loss = ts_mean(x);
  ts_tensor *logged = loss;
  printf("loss %f\n", ts_item(logged));
  ts_free(loss);
  ts_free(x);
  ts_free(logged); // <- BUG
}
