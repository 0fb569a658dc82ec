// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// tsmem-unescaped-return and tsmem-use-after-scope.
#include <tsmem.h>

ts_tensor *unescaped(const ts_tensor *x) {
  TS_SCOPE_GUARD(); // expected-note {{the scope that owns it begins here}}
  ts_tensor *t = ts_relu(x);
  return t; // expected-warning {{returning a tensor owned by a scope that this return leaves: the scope frees it; wrap it in ts_escape() [tsmem-unescaped-return]}}
}

ts_tensor *unescaped_expr(const ts_tensor *x) {
  TS_SCOPE_GUARD(); // expected-note {{begins here}}
  return ts_relu(x); // expected-warning {{[tsmem-unescaped-return]}}
}

ts_tensor *in_loop(const ts_tensor *x, int n) {
  for (int i = 0; i < n; i++) {
    TS_SCOPE_GUARD(); // expected-note {{begins here}}
    ts_tensor *t = ts_relu(x);
    if (ts_item(t) > 0)
      return t; // expected-warning {{[tsmem-unescaped-return]}}
  }
  return NULL;
}

// Two scopes: escaped in the inner one only, still owned by the outer one.
ts_tensor *escaped_once_two_scopes(const ts_tensor *x) {
  TS_SCOPE_GUARD(); // expected-note {{begins here}}
  ts_tensor *r;
  {
    TS_SCOPE_GUARD();
    r = ts_escape(ts_relu(x));
  }
  return r; // expected-warning {{[tsmem-unescaped-return]}}
}

TS_SCOPED ts_tensor *scoped_fn(const ts_tensor *x) { // expected-note {{the function body is the scope that owns it}}
  ts_tensor *t = ts_sigmoid(x);
  return t; // expected-warning {{[tsmem-unescaped-return]}}
}

ts_tensor *manual(const ts_tensor *x) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *t = ts_relu(x);
  ts_scope_end(s); // expected-note {{the scope ends here}}
  return t; // expected-warning {{use of a tensor after the scope that owned it ended and freed it; ts_escape() it inside the scope to keep it [tsmem-use-after-scope]}}
}

double after_block(const ts_tensor *x) {
  ts_tensor *out;
  {
    TS_SCOPE_GUARD();
    out = ts_relu(x);
  } // expected-note {{the scope ends here}}
  return ts_item(out); // expected-warning {{[tsmem-use-after-scope]}}
}

double after_break(const ts_tensor *x, int n) {
  ts_tensor *last = NULL;
  for (int i = 0; i < n; i++) {
    TS_SCOPE_GUARD();
    last = ts_relu(x);
    if (i == 2)
      break;
  } // expected-note {{the scope ends here}}
  if (!last)
    return 0;
  return ts_item(last); // expected-warning {{[tsmem-use-after-scope]}}
}

void free_after_scope(const ts_tensor *x) {
  ts_tensor *t;
  {
    TS_SCOPE_GUARD();
    t = ts_exp(x);
  } // expected-note {{the scope ends here}}
  ts_free(t); // expected-warning {{[tsmem-use-after-scope]}}
}

static void *cb(void *ctx) { // expected-note {{the function body is the scope that owns it}}
  const ts_tensor *x = ctx;
  return ts_relu(x); // expected-warning {{[tsmem-unescaped-return]}}
}
void *run_cb(ts_tensor *x) { return ts_run(cb, x); }
