// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// TS_SCOPE blocks and loops (lowered by the plugin to a TS_SCOPE_GUARD()
// block) are scope regions for the analysis.
#include <tsmem.h>

ts_tensor *unescaped(const ts_tensor *x) {
  TS_SCOPE { // expected-note {{the scope that owns it begins here}}
    ts_tensor *t = ts_relu(x);
    return t; // expected-warning {{[tsmem-unescaped-return]}}
  }
  return NULL;
}

double kept_past_loop(const ts_tensor *x, int n) {
  double s = 0;
  ts_tensor *last = NULL;
  // The last iteration's scope ends after the increment, at the next test.
  TS_SCOPE for (int i = 0; i < n; i++) { // expected-note {{the scope ends here}}
    ts_tensor *t = ts_relu(x);
    s += ts_item(t);
    last = t;
  }
  return s + ts_item(last); // expected-warning {{[tsmem-use-after-scope]}}
}

ts_tensor *escaped(const ts_tensor *x) {
  TS_SCOPE {
    ts_tensor *t = ts_relu(x);
    return ts_escape(ts_mul(t, t));
  }
  return NULL;
}

double loop_ok(const ts_tensor *x, int n) {
  double s = 0;
  TS_SCOPE for (int i = 0; i < n; i++) {
    ts_tensor *t = ts_relu(x);
    if (ts_item(t) < 0)
      continue;
    s += ts_item(ts_sum(t));
  }
  TS_SCOPE while (n-- > 0) {
    s += ts_item(ts_exp(x));
  }
  return s;
}

ts_tensor *escaped_twice(const ts_tensor *x) {
  TS_SCOPE {
    ts_tensor *r = NULL;
    TS_SCOPE { r = ts_escape(ts_relu(x)); }
    return ts_escape(r);
  }
  return NULL;
}

void leak_outside(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x); // expected-note {{tensor made here}}
  TS_SCOPE { (void)ts_item(ts_sum(t)); }
} // expected-warning {{'t' goes out of scope before it is freed (free it, ts_keep() it or hand it on) [tsmem-leak]}}

// A scoped loop's condition and increment run in the iteration's scope: the
// tensors they make are freed with it, no leak.
// clang-format off
double condition_scoped(const ts_tensor *x, int n) {
  double s = 0;
  TS_SCOPE while (ts_item(ts_sum(x)) > n--) s += 1;
  TS_SCOPE for (int i = 0; ts_item(ts_sum(x)) > i; i += (int)ts_item(ts_relu(x)))
    s += 1;
  TS_SCOPE do s += 1; while (ts_item(ts_sum(x)) > n--);
  return s;
}
// clang-format on

// The init runs before the loop's scopes: what it makes is the function's.
double init_not_scoped(const ts_tensor *x, int n) {
  double s = 0;
  ts_tensor *t;
  TS_SCOPE for (t = ts_relu(x); n > 0; n--) // expected-note {{tensor made here, outside any scope}}
    s += ts_item(t);
  return s; // expected-warning {{[tsmem-leak]}}
}
