/* Correct manual ownership: every tensor freed, returned or handed on. */
#include <tsmem.h>

double ok_free_after_use(const ts_tensor *x) {
  ts_tensor *h = ts_relu(x);
  double v = ts_item(h);
  ts_free(h);
  return v;
}

ts_tensor *ok_return_new(const ts_tensor *x, const ts_tensor *w) {
  ts_tensor *h = ts_matmul(x, w);
  ts_tensor *y = ts_relu(h);
  ts_free(h);
  return y;
}

ts_tensor *ok_chain(ts_tensor *x, int n) {
  ts_tensor *cur = ts_clone(x);
  for (int i = 0; i < n; i++) {
    ts_tensor *next = ts_tanh(cur);
    ts_free(cur);
    cur = next;
  }
  return cur;
}

void ok_out_param(const ts_tensor *x, ts_tensor **mean, ts_tensor **maxi) {
  *mean = ts_mean(x);
  *maxi = ts_argmax(x);
}

double ok_conditional_free(const ts_tensor *x, int c) {
  ts_tensor *t = ts_exp(x);
  double v = ts_item(t);
  if (c) {
    ts_free(t);
    t = NULL;
  }
  if (t)
    ts_free(t);
  return v;
}

void ok_replace_in_branch(ts_tensor *x, int c) {
  ts_tensor *t = ts_clone(x);
  if (c) {
    ts_free(t);
    t = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  }
  ts_requires_grad(t, true);
  ts_free(t);
}

ts_tensor *ok_null_checks(const ts_tensor *x) {
  ts_tensor *a = ts_relu(x);
  if (a == NULL)
    return NULL;
  ts_tensor *b = ts_add_scalar(a, 1.0);
  ts_free(a);
  if (!b)
    return NULL;
  return b;
}

double ok_ternary(const ts_tensor *x, int c) {
  ts_tensor *t = c ? ts_relu(x) : ts_neg(x);
  double v = ts_item(t);
  ts_free(t);
  return v;
}

void ok_keep_loop(ts_tensor **out, const ts_tensor *x, int n) {
  for (int i = 0; i < n; i++)
    out[i] = ts_mul_scalar(x, (double)i);
}

int ok_abort_path(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  if (!t)
    return -1;
  if (ts_numel(t) == 0)
    __builtin_trap();
  ts_free(t);
  return 0;
}

double ok_autograd(ts_tensor *w, const ts_tensor *x, const ts_tensor *y) {
  ts_requires_grad(w, true);
  ts_tensor *pred = ts_matmul(x, w);
  ts_tensor *loss = ts_mse_loss(pred, y);
  ts_backward(loss);
  ts_sgd_step(w, 0.01);
  ts_zero_grad(w);
  double l = ts_item(loss);
  ts_free(loss);
  ts_free(pred);
  return l;
}

ts_tensor *ok_from_buffer(const float *data, int n) {
  ts_tensor *t = ts_from_buffer(data, TS_SHAPE(n), TS_FLOAT32);
  if (!t)
    return NULL;
  ts_tensor *r = ts_reshape(t, TS_SHAPE(1, n));
  ts_free(t);
  return r;
}

int ok_copy_out(const ts_tensor *x, float *dst, size_t cap) {
  ts_tensor *y = ts_transpose(x, 0, 1);
  ts_status st = ts_copy_to_buffer(y, dst, cap);
  ts_free(y);
  return st == TS_OK ? 0 : -1;
}
