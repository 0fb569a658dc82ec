/* Leaks: tensors made outside any scope that nothing frees. */
#include <tsmem.h>

double leak_local(const ts_tensor *x) {
  ts_tensor *h = ts_relu(x); // EXPECT: tsmem-leak
  return ts_item(h);
}

void leak_overwrite(ts_tensor *x) {
  x = ts_relu(x); // EXPECT: tsmem-leak
  x = ts_sigmoid(x);
  ts_free(x);
}

double leak_discarded(const ts_tensor *x) {
  return ts_item(ts_sum(x)); // EXPECT: tsmem-leak
}

double leak_nested_temporaries(const ts_tensor *a, const ts_tensor *b) {
  ts_tensor *s = ts_add(ts_mul(a, b), b); // EXPECT: tsmem-leak
  double v = ts_item(s);
  ts_free(s);
  return v;
}

int leak_error_path(const ts_tensor *x, ts_tensor **out) {
  ts_tensor *a = ts_relu(x);
  ts_tensor *b = ts_tanh(x);
  if (!b)
    return -1; // EXPECT: tsmem-leak
  *out = ts_add(a, b);
  ts_free(a);
  ts_free(b);
  return 0;
}

void leak_in_loop(const ts_tensor *x, int steps) {
  ts_tensor *acc = ts_zeros(TS_SHAPE(4), TS_FLOAT32);
  for (int i = 0; i < steps; i++)
    acc = ts_add(acc, x); // EXPECT: tsmem-leak
  ts_free(acc);
}

double leak_one_branch(const ts_tensor *x, int train) {
  ts_tensor *y = ts_softmax(x, 1);
  double v = ts_item(ts_argmax(y)); // EXPECT: tsmem-leak
  if (train) {
    ts_free(y);
    return v;
  }
  return v;
}

void leak_param_clone(ts_tensor *x, int n) {
  ts_tensor *c = ts_clone(x); // EXPECT: tsmem-leak
  for (int i = 0; i < n; i++)
    ts_sgd_step(c, 0.1);
}

double leak_pool_acquire(ts_pool *p) {
  ts_tensor *t = ts_pool_acquire(p, TS_SHAPE(8, 8), TS_FLOAT32);
  if (!t)
    return 0;
  return (double)ts_nbytes(t); // EXPECT: tsmem-leak
}

int leak_grad(ts_tensor *w, ts_tensor *loss) {
  ts_backward(loss);
  ts_tensor *g = ts_grad(w); // EXPECT: tsmem-leak
  if (!g)
    return -1;
  return ts_item(ts_mean(g)) > 1.0;
}

double leak_reassigned_alias(const ts_tensor *x) {
  ts_tensor *a = ts_exp(x);
  ts_tensor *b = a;
  double v = ts_item(b);
  a = NULL; // EXPECT: tsmem-leak
  b = NULL;
  return v;
}

double leak_ternary(const ts_tensor *x, int c) {
  ts_tensor *t = c ? ts_relu(x) : ts_neg(x); // EXPECT: tsmem-leak
  return ts_item(t);
}

void leak_while(const ts_tensor *x) {
  while (ts_item(x) > 0) {
    ts_tensor *d = ts_mul_scalar(x, 0.5); // EXPECT: tsmem-leak
    if (ts_item(d) < 1)
      break;
  }
}

int leak_goto_missing(const ts_tensor *x) {
  ts_tensor *a = ts_relu(x);
  if (!a)
    goto fail;
  ts_tensor *b = ts_relu(a);
  if (!b)
    goto fail;
  ts_free(a);
  return 0; // EXPECT: tsmem-leak
fail:
  ts_free(a);
  return -1;
}
