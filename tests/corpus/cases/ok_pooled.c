/* Correct pooled code: acquire with a fallback, release when done. */
#include <tsmem.h>

void ok_pool_cycle(ts_pool *p) {
  ts_tensor *t = ts_pool_acquire(p, TS_SHAPE(16, 16), TS_FLOAT32);
  if (!t)
    t = ts_zeros(TS_SHAPE(16, 16), TS_FLOAT32);
  (void)ts_nbytes(t);
  ts_pool_release(p, t);
}

double ok_pool_loop(ts_pool *p, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) {
    ts_tensor *buf = ts_pool_acquire(p, TS_SHAPE(64), TS_FLOAT32);
    if (!buf)
      buf = ts_empty(TS_SHAPE(64), TS_FLOAT32);
    s += (double)ts_numel(buf);
    ts_pool_release(p, buf);
  }
  return s;
}

ts_tensor *ok_pool_return(ts_pool *p) {
  ts_tensor *t = ts_pool_acquire(p, TS_SHAPE(4), TS_INT64);
  if (t)
    return t;
  return ts_zeros(TS_SHAPE(4), TS_INT64);
}

void ok_pool_global(const ts_tensor *x) {
  ts_tensor *t = ts_clone(x);
  ts_pool_release(ts_global_pool(), t);
}

void ok_pool_scoped(ts_pool *p) {
  TS_SCOPE_GUARD();
  ts_tensor *t = ts_pool_acquire(p, TS_SHAPE(8), TS_FLOAT32);
  if (!t)
    return;
  (void)ts_ndim(t);
}

void ok_pool_release_branch(ts_pool *p, const ts_tensor *x, int keep) {
  ts_tensor *t = ts_clone(x);
  if (keep) {
    ts_pool_release(p, t);
    return;
  }
  ts_free(t);
}
