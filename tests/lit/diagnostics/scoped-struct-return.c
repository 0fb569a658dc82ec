// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A struct returned by value whose field holds a tensor of a scope the
// return leaves (a TS_SCOPED body, a TS_SCOPE_GUARD): the scope frees it,
// as for a tensor returned itself (issue 15, FN 35).
#include <tsmem.h>

struct fit {
  ts_tensor *coef;
  double err;
};

TS_SCOPED static struct fit fit_scoped(const ts_tensor *x) { // expected-note {{the function body is the scope}}
  struct fit f;
  ts_tensor *g = ts_exp(x);
  f.coef = ts_neg(g);
  f.err = 0.5;
  return f; // expected-warning {{[tsmem-unescaped-return]}}
}

static struct fit fit_guard(const ts_tensor *x) {
  TS_SCOPE_GUARD(); // expected-note {{begins here}}
  struct fit f = {ts_relu(x), 1.0};
  return f; // expected-warning {{[tsmem-unescaped-return]}}
}

// Correct: escaped out of the scope.
TS_SCOPED static struct fit fit_ok(const ts_tensor *x) {
  struct fit f;
  ts_tensor *g = ts_exp(x);
  f.coef = ts_escape(ts_neg(g));
  f.err = 0.5;
  return f;
}

// Correct: made in the caller's scope (TS_CALLER_SCOPE).
TS_CALLER_SCOPE static struct fit fit_caller(const ts_tensor *x) {
  struct fit f = {ts_neg(x), 0.0};
  return f;
}

// Correct: made outside any scope, the caller's.
static struct fit fit_plain(const ts_tensor *x) {
  struct fit f = {ts_neg(x), 0.0};
  return f;
}

double use_all(const ts_tensor *x) {
  struct fit a = fit_ok(x);
  struct fit b = fit_plain(x);
  double e = a.err + b.err;
  ts_free(a.coef);
  ts_free(b.coef);
  TS_SCOPE {
    struct fit c = fit_caller(x);
    e += c.err;
  }
  return e;
}
