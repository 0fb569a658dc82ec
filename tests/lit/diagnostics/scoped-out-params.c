// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A TS_SCOPED helper that hands a tensor of its own scope back through a
// `ts_tensor **` out-parameter without escaping it: the helper's scope
// frees it as the helper returns, so the caller's variable holds a freed
// tensor (issue 15, FN 34). Escaped, or only on some paths, or kept: the
// caller's (or unknown), quiet.
#include <tsmem.h>

TS_SCOPED static void normalized(const ts_tensor *v, ts_tensor **res) {
  ts_tensor *n = ts_exp(v);
  *res = ts_div(v, n);
}

long long norm_count(const ts_tensor *v) {
  ts_tensor *u = NULL;
  normalized(v, &u); // expected-note {{the scope ends here}}
  return ts_numel(u); // expected-warning {{[tsmem-use-after-scope]}}
}

void norm_free(const ts_tensor *v) {
  ts_tensor *u = NULL;
  normalized(v, &u); // expected-note {{the scope ends here}}
  ts_free(u); // expected-warning {{[tsmem-use-after-scope]}}
}

// Two out-parameters, one escaped and one not.
TS_SCOPED static int split2(const ts_tensor *v, ts_tensor **lo,
                            ts_tensor **hi) {
  ts_tensor *m = ts_neg(v);
  *lo = ts_escape(ts_relu(m));
  *hi = ts_relu(v);
  return 0;
}

double split_use(const ts_tensor *v) {
  ts_tensor *a = NULL, *b = NULL;
  split2(v, &a, &b); // expected-note {{the scope ends here}}
  double s = (double)ts_numel(a);
  ts_free(a);
  return s + (double)ts_numel(b); // expected-warning {{[tsmem-use-after-scope]}}
}

// Correct: the out-parameter's tensor is escaped out of the helper's scope.
TS_SCOPED static void normalized_ok(const ts_tensor *v, ts_tensor **res) {
  ts_tensor *n = ts_exp(v);
  *res = ts_escape(ts_div(v, n));
}

long long norm_ok(const ts_tensor *v) {
  ts_tensor *u = NULL;
  normalized_ok(v, &u);
  long long k = ts_numel(u);
  ts_free(u);
  return k;
}

// Correct: the helper's scoped tensor is never read by the caller.
void norm_unused(const ts_tensor *v) {
  ts_tensor *u = NULL;
  normalized(v, &u);
  (void)u;
}

// Correct: escaped, and written on the paths that return 0 only.
TS_SCOPED static int maybe(const ts_tensor *v, int want, ts_tensor **res) {
  if (!want)
    return 1;
  *res = ts_escape(ts_neg(v));
  return 0;
}

long long maybe_ok(const ts_tensor *v) {
  ts_tensor *u = NULL;
  if (maybe(v, 1, &u) != 0)
    return 0;
  long long k = ts_numel(u);
  ts_free(u);
  return k;
}

// Correct: a helper outside any scope of its own hands back a new tensor.
static void plain_out(const ts_tensor *v, ts_tensor **res) { *res = ts_neg(v); }

long long plain_ok(const ts_tensor *v) {
  ts_tensor *u = NULL;
  plain_out(v, &u);
  long long k = ts_numel(u);
  ts_free(u);
  return k;
}
