/* Correct goto-cleanup code, the C way of unwinding on error. */
#include <tsmem.h>

int ok_goto_all(const ts_tensor *x, double *out) {
  int rc = -1;
  ts_tensor *a = NULL, *b = NULL, *c = NULL;
  a = ts_relu(x);
  if (!a)
    goto fail;
  b = ts_tanh(a);
  if (b == NULL)
    goto fail;
  c = ts_add(a, b);
  if (!c)
    goto fail;
  *out = ts_item(c);
  rc = 0;
fail:
  ts_free(c);
  ts_free(b);
  ts_free(a);
  return rc;
}

int ok_goto_ladder(const ts_tensor *x, ts_tensor **out) {
  ts_tensor *a = ts_relu(x);
  if (!a)
    goto err;
  ts_tensor *b = ts_sigmoid(a);
  if (!b)
    goto err_a;
  ts_tensor *c = ts_mul(a, b);
  if (!c)
    goto err_b;
  ts_free(b);
  ts_free(a);
  *out = c;
  return 0;
err_b:
  ts_free(b);
err_a:
  ts_free(a);
err:
  return -1;
}

int ok_goto_status(const ts_tensor *x) {
  ts_tensor *w = ts_clone(x);
  if (!w)
    return -1;
  if (ts_requires_grad(w, true) != TS_OK)
    goto out;
  if (ts_zero_grad(w) != TS_OK)
    goto out;
  ts_free(w);
  return 0;
out:
  ts_free(w);
  return -1;
}

int ok_goto_out_of_scope(const ts_tensor *x, double *out) {
  {
    TS_SCOPE_GUARD();
    ts_tensor *t = ts_relu(x);
    if (!t)
      goto fail;
    *out = ts_item(t);
  }
  return 0;
fail:
  return -1;
}
