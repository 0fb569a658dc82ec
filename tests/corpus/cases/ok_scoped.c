/* Correct scoped code: TS_SCOPE_GUARD, TS_SCOPED, manual begin/end, ts_run,
 * TS_CALLER_SCOPE, escapes through one and two scopes, ts_keep. */
#include <tsmem.h>

double ok_guard(const ts_tensor *x) {
  TS_SCOPE_GUARD();
  ts_tensor *h = ts_relu(x);
  h = ts_tanh(h);
  return ts_item(ts_sum(h));
}

ts_tensor *ok_escape(const ts_tensor *x, const ts_tensor *w) {
  TS_SCOPE_GUARD();
  ts_tensor *h = ts_matmul(x, w);
  return ts_escape(ts_relu(h));
}

ts_tensor *ok_escape_twice(const ts_tensor *x) {
  TS_SCOPE_GUARD();
  ts_tensor *r;
  {
    TS_SCOPE_GUARD();
    r = ts_escape(ts_sigmoid(x));
  }
  return ts_escape(r);
}

ts_tensor *ok_escape_to_manual(const ts_tensor *x) {
  ts_tensor *r;
  {
    TS_SCOPE_GUARD();
    ts_tensor *t = ts_exp(x);
    r = ts_scope_escape_tensor(ts_log(t));
  }
  return r;
}

ts_tensor *ok_keep(const ts_tensor *x) {
  TS_SCOPE_GUARD();
  ts_tensor *t = ts_relu(x);
  return ts_keep(t);
}

double ok_loop_guard(const ts_tensor *x, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) {
    TS_SCOPE_GUARD();
    ts_tensor *t = ts_mul_scalar(x, (double)i);
    if (ts_item(t) < 0)
      continue;
    if (ts_item(t) > 100)
      break;
    s += ts_item(ts_mean(t));
  }
  return s;
}

TS_SCOPED double ok_scoped_fn(const ts_tensor *x) {
  ts_tensor *p = ts_softmax(x, 1);
  return ts_item(ts_argmax(p));
}

TS_SCOPED ts_tensor *ok_scoped_escape(const ts_tensor *x) {
  ts_tensor *p = ts_log_softmax(x, 1);
  return ts_escape(ts_neg(p));
}

ts_tensor *ok_manual_scope(const ts_tensor *x) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *a = ts_relu(x);
  ts_tensor *b = ts_escape(ts_add(a, x));
  ts_scope_end(s);
  return b;
}

double ok_manual_scope_error_path(const ts_tensor *x) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *a = ts_relu(x);
  if (!a) {
    ts_scope_end(s);
    return -1;
  }
  double v = ts_item(ts_sum(a));
  ts_scope_end(s);
  return v;
}

static void *ok_step(void *ctx) {
  const ts_tensor *x = ctx;
  ts_tensor *h = ts_relu(x);
  (void)ts_item(ts_sum(h));
  return NULL;
}

void ok_run(ts_tensor *x) {
  (void)ts_run(ok_step, x);
}

TS_CALLER_SCOPE ts_tensor *ok_caller_layer(const ts_tensor *x, const ts_tensor *w) {
  ts_tensor *h = ts_matmul(x, w);
  return ts_relu(h);
}

double ok_uses_caller_layer(const ts_tensor *x, const ts_tensor *w) {
  TS_SCOPE_GUARD();
  ts_tensor *y = ok_caller_layer(x, w);
  return ts_item(y);
}

void ok_register(const ts_tensor *x) {
  TS_SCOPE_GUARD();
  ts_tensor *t = ts_relu(x);
  ts_scope_register_tensor(t);
}

double ok_free_inside_scope(const ts_tensor *x) {
  TS_SCOPE_GUARD();
  ts_tensor *big = ts_matmul(x, x);
  double v = ts_item(ts_sum(big));
  ts_free(big);
  return v;
}

double ok_use_inside(const ts_tensor *x) {
  ts_tensor *out;
  double v;
  {
    TS_SCOPE_GUARD();
    out = ts_relu(x);
    v = ts_item(out);
  }
  return v;
}
