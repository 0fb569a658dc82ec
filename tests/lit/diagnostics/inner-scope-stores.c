// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A TS_SCOPE inside a function storing a tensor of that scope, not kept or
// escaped, through a pointer parameter into a field its struct owns (a
// teardown of the file frees it with another field), still there when the
// function returns: the scope freed it and the caller's field dangles
// (ScopedStores.cpp, heldout6 S3).
#include <tsmem.h>

struct opt {
  ts_tensor *w;
  ts_tensor *mom[2];
  ts_tensor *scratch;
};

static void opt_free(struct opt *o) {
  ts_free(o->w);
  ts_free(o->mom[0]);
  ts_free(o->mom[1]);
}

// The new momentum replaces the old one from inside the scope.
static void step_nokeep(struct opt *o, const ts_tensor *g) {
  TS_SCOPE {
    ts_tensor *m = ts_add(ts_mul_scalar(o->mom[0], 0.9), g);
    ts_free(o->mom[0]);
    o->mom[0] = m; // expected-warning {{[tsmem-use-after-scope]}}
  }
}

// A plain field, the tensor stored straight from the call.
static int fit_nokeep(struct opt *o, const ts_tensor *x) {
  TS_SCOPE {
    o->w = ts_relu(x); // expected-warning {{[tsmem-use-after-scope]}}
  } // expected-note {{the scope ends here}}
  return 0;
}

// Through a local alias of the parameter, under ts_scope_begin/end.
static void fit_manual(void *arg, const ts_tensor *x) {
  struct opt *o = arg;
  ts_scope_id sc = ts_scope_begin();
  o->w = ts_neg(x); // expected-warning {{[tsmem-use-after-scope]}}
  ts_scope_end(sc); // expected-note {{the scope ends here}}
}

// Correct: kept out of the scope.
static void step_keep(struct opt *o, const ts_tensor *g) {
  TS_SCOPE {
    ts_tensor *m = ts_add(ts_mul_scalar(o->mom[1], 0.9), g);
    ts_free(o->mom[1]);
    o->mom[1] = ts_keep(m);
  }
}

// Correct: escaped out of the inner scope into the caller's.
static void fit_escape(struct opt *o, const ts_tensor *x) {
  TS_SCOPE { o->w = ts_escape(ts_relu(x)); }
}

// Correct: kept after the store, still inside the scope.
static void fit_keep_after(struct opt *o, const ts_tensor *x) {
  TS_SCOPE {
    o->w = ts_relu(x);
    ts_keep(o->w);
  }
}

// Correct: replaced by a tensor the caller owns once the scope is over.
static void fit_replaced(struct opt *o, const ts_tensor *x) {
  TS_SCOPE {
    o->w = ts_relu(x);
    ts_item(ts_sum(o->w));
  }
  o->w = ts_clone(x);
}

// Correct: cleared before the function returns.
static void fit_cleared(struct opt *o, const ts_tensor *x) {
  TS_SCOPE {
    o->w = ts_relu(x);
    ts_item(ts_sum(o->w));
  }
  o->w = NULL;
}

// Correct: a scratch field no teardown frees.
static void fit_scratch(struct opt *o, const ts_tensor *x) {
  TS_SCOPE { o->scratch = ts_relu(x); }
}

// Correct: a local struct, not the caller's.
static double local_struct(const ts_tensor *x) {
  struct opt o = {NULL, {NULL, NULL}, NULL};
  double r = 0;
  TS_SCOPE {
    o.w = ts_relu(x);
    r = ts_item(ts_sum(o.w));
  }
  return r;
}

// Correct: a tensor made outside the scope.
static void fit_outside(struct opt *o, const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  TS_SCOPE { o->w = t; }
}

void drive(struct opt *o, const ts_tensor *x) {
  step_nokeep(o, x);
  fit_nokeep(o, x);
  fit_manual(o, x);
  step_keep(o, x);
  fit_escape(o, x);
  fit_keep_after(o, x);
  fit_replaced(o, x);
  fit_cleared(o, x);
  fit_scratch(o, x);
  local_struct(x);
  fit_outside(o, x);
  opt_free(o);
}
