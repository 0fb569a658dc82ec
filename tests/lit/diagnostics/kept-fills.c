// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A same-file helper that fills a field under its pointer parameter with a
// tensor it ts_keep()s inside its own TS_SCOPE leaves a manual tensor there
// (SPEC.md section 2: out of scope management for good), whatever scope
// the call runs in: a manual scope around the call does not free it. A
// helper that fills the field with a tensor it makes without a scope
// leaves one of the caller's current scope, which that scope's end frees.
#include <tsmem.h>
#include <tsmem/ops.h>

typedef struct {
  ts_tensor *h;
} cell;

static void cell_step(cell *c, const ts_tensor *x) {
  TS_SCOPE {
    ts_tensor *h = ts_tanh(ts_add(c->h, x));
    ts_free(c->h);
    c->h = ts_keep(h);
  }
}

static void cell_reset(cell *c) {
  ts_tensor *z = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  ts_free(c->h);
  c->h = z;
}

// OK: each step runs in a manual scope; the kept state outlives it.
void steps_in_manual_scopes(cell *c, const ts_tensor *x, int n) {
  for (int i = 0; i < n; i++) {
    ts_scope_id sc = ts_scope_begin();
    cell_step(c, x);
    ts_tensor *probe = ts_sum(c->h);
    (void)ts_item(probe);
    ts_scope_end(sc);
  }
}

// OK: the same with a TS_SCOPE loop around the call.
void steps_in_scope_loop(cell *c, const ts_tensor *x, int n) {
  TS_SCOPE for (int i = 0; i < n; i++) cell_step(c, x);
  (void)ts_item(c->h);
}

// BUG: the reset's tensor belongs to the manual scope around the call,
// which frees it: the next pass frees it again, and the read after the
// loop reads it.
void reset_in_manual_scopes(cell *c, const ts_tensor *x, int n) {
  for (int i = 0; i < n; i++) {
    ts_scope_id sc = ts_scope_begin();
    cell_reset(c); // expected-warning {{use of a tensor after the scope that owned it ended}}
    ts_scope_end(sc); // expected-note 2 {{the scope ends here}}
  }
  ts_tensor *y = ts_add(c->h, x); // expected-warning {{use of a tensor after the scope that owned it ended}}
  ts_free(y);
}

// BUG: the same after one scope.
double reset_then_read(cell *c) {
  ts_scope_id sc = ts_scope_begin();
  cell_reset(c);
  ts_scope_end(sc); // expected-note {{the scope ends here}}
  return ts_item(c->h); // expected-warning {{use of a tensor after the scope that owned it ended}}
}
