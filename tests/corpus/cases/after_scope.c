/* Use after scope: the scope that owned a tensor ended and freed it. */
#include <tsmem.h>

double block_result(const ts_tensor *x) {
  ts_tensor *out;
  {
    TS_SCOPE_GUARD();
    out = ts_relu(x);
  }
  return ts_item(out); // EXPECT: tsmem-use-after-scope
}

double loop_last(const ts_tensor *x, int n) {
  ts_tensor *last = NULL;
  for (int i = 0; i < n; i++) {
    TS_SCOPE_GUARD();
    last = ts_mul_scalar(x, (double)i);
  }
  if (!last)
    return 0.0;
  return ts_item(last); // EXPECT: tsmem-use-after-scope
}

int manual_then_use(const ts_tensor *x) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *p = ts_softmax(x, 0);
  ts_scope_end(s);
  return ts_size(p, 0) > 1; // EXPECT: tsmem-use-after-scope
}

void free_after_scope(const ts_tensor *x) {
  ts_tensor *t;
  {
    TS_SCOPE_GUARD();
    t = ts_exp(x);
  }
  ts_free(t); // EXPECT: tsmem-use-after-scope
}

double break_out(const ts_tensor *x, int n) {
  ts_tensor *found = NULL;
  for (int i = 0; i < n; i++) {
    TS_SCOPE_GUARD();
    ts_tensor *t = ts_add_scalar(x, i);
    if (ts_item(ts_sum(t)) > 10) {
      found = t;
      break;
    }
  }
  return found ? ts_item(found) : 0.0; // EXPECT: tsmem-use-after-scope
}

void grad_after_scope(ts_tensor *w, const ts_tensor *x) {
  ts_tensor *loss;
  {
    TS_SCOPE_GUARD();
    loss = ts_mse_loss(w, x);
  }
  ts_backward(loss); // EXPECT: tsmem-use-after-scope
}

double nested_inner(const ts_tensor *x) {
  TS_SCOPE_GUARD();
  ts_tensor *keep;
  {
    TS_SCOPE_GUARD();
    keep = ts_tanh(x);
  }
  return ts_item(keep); // EXPECT: tsmem-use-after-scope
}

double escape_then_outer_end(const ts_tensor *x) {
  ts_tensor *r;
  {
    TS_SCOPE_GUARD();
    ts_tensor *inner;
    {
      TS_SCOPE_GUARD();
      inner = ts_escape(ts_relu(x));
    }
    r = inner;
  }
  return ts_item(r); // EXPECT: tsmem-use-after-scope
}
