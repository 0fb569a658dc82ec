/* Use after free and double free, through ts_free and ts_pool_release. */
#include <tsmem.h>

double uaf_simple(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  ts_free(t);
  return ts_item(t); // EXPECT: tsmem-use-after-free
}

double uaf_alias(const ts_tensor *x) {
  ts_tensor *a = ts_sigmoid(x);
  ts_tensor *b = a;
  ts_free(b);
  return ts_item(a); // EXPECT: tsmem-use-after-free
}

double uaf_released(ts_pool *p, const ts_tensor *x) {
  ts_tensor *t = ts_clone(x);
  ts_pool_release(p, t);
  return ts_item(t); // EXPECT: tsmem-use-after-free
}

ts_tensor *uaf_return(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  ts_tensor *u = ts_add(t, x);
  ts_free(t);
  ts_free(u);
  return u; // EXPECT: tsmem-use-after-free
}

void uaf_in_loop(const ts_tensor *x, int n) {
  ts_tensor *w = ts_clone(x);
  for (int i = 0; i < n; i++) {
    ts_sgd_step(w, 0.01); // EXPECT: tsmem-use-after-free
    if (i == n - 1)
      ts_free(w);
  }
}

double uaf_after_both_branches(const ts_tensor *x, int c) {
  ts_tensor *t = ts_relu(x);
  double v = 0;
  if (c) {
    v = ts_item(t);
    ts_free(t);
  } else {
    ts_free(t);
  }
  return v + ts_item(t); // EXPECT: tsmem-use-after-free
}

void uaf_scoped_freed(const ts_tensor *x) {
  TS_SCOPE_GUARD();
  ts_tensor *t = ts_relu(x);
  ts_free(t);
  ts_zero_grad(t); // EXPECT: tsmem-use-after-free
}

void df_simple(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  ts_free(t);
  ts_free(t); // EXPECT: tsmem-double-free
}

void df_alias(const ts_tensor *x) {
  ts_tensor *a = ts_exp(x);
  ts_tensor *b = a;
  ts_free(a);
  ts_free(b); // EXPECT: tsmem-double-free
}

void df_release_twice(ts_pool *p, const ts_tensor *x) {
  ts_tensor *t = ts_clone(x);
  ts_pool_release(p, t);
  ts_pool_release(p, t); // EXPECT: tsmem-double-free
}

void df_release_then_free(ts_pool *p) {
  ts_tensor *t = ts_pool_acquire(p, TS_SHAPE(2, 2), TS_FLOAT32);
  if (!t)
    return;
  ts_pool_release(p, t);
  ts_free(t); // EXPECT: tsmem-double-free
}

int df_cleanup_twice(const ts_tensor *x) {
  ts_tensor *a = ts_relu(x);
  if (!a)
    return -1;
  if (ts_item(a) < 0) {
    ts_free(a);
    goto out;
  }
  ts_free(a);
out:
  ts_free(a); // EXPECT: tsmem-double-free
  return 0;
}
