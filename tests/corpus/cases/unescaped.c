/* Unescaped returns: a tensor owned by a scope the return leaves. */
#include <tsmem.h>

ts_tensor *dense_forward(const ts_tensor *x, const ts_tensor *w) {
  TS_SCOPE_GUARD();
  ts_tensor *h = ts_matmul(x, w);
  return ts_relu(h); // EXPECT: tsmem-unescaped-return
}

ts_tensor *normalize(const ts_tensor *x) {
  TS_SCOPE_GUARD();
  ts_tensor *m = ts_mean(x);
  ts_tensor *y = ts_sub(x, m);
  return y; // EXPECT: tsmem-unescaped-return
}

ts_tensor *first_positive(const ts_tensor *x, int n) {
  for (int i = 0; i < n; i++) {
    TS_SCOPE_GUARD();
    ts_tensor *t = ts_add_scalar(x, (double)i);
    if (ts_item(ts_sum(t)) > 0)
      return t; // EXPECT: tsmem-unescaped-return
  }
  return NULL;
}

ts_tensor *two_scopes_one_escape(const ts_tensor *x) {
  TS_SCOPE_GUARD();
  ts_tensor *r;
  {
    TS_SCOPE_GUARD();
    r = ts_escape(ts_tanh(x));
  }
  return r; // EXPECT: tsmem-unescaped-return
}

TS_SCOPED ts_tensor *scoped_layer(const ts_tensor *x) {
  ts_tensor *h = ts_sigmoid(x);
  return ts_mul(h, x); // EXPECT: tsmem-unescaped-return
}

ts_tensor *manual_scope_return(const ts_tensor *x) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *y = ts_log_softmax(x, 1);
  if (!y) {
    ts_scope_end(s);
    return NULL;
  }
  ts_tensor *z = ts_exp(y);
  ts_scope_end(s);
  return z; // EXPECT: tsmem-use-after-scope
}

static void *train_step(void *ctx) {
  const ts_tensor *x = ctx;
  ts_tensor *loss = ts_mse_loss(x, x);
  return loss; // EXPECT: tsmem-unescaped-return
}

void *run_train_step(ts_tensor *x) {
  return ts_run(train_step, x);
}

ts_tensor *escape_wrong_scope(const ts_tensor *x) {
  TS_SCOPE_GUARD();
  ts_tensor *a = ts_relu(x);
  {
    TS_SCOPE_GUARD();
    ts_tensor *tmp = ts_escape(a);
    (void)tmp;
  }
  return a; // EXPECT: tsmem-unescaped-return
}
