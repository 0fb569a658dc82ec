// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A tensor the analysis did not see made (here the result of a call through
// a function pointer) handed to ts_scope_register_tensor belongs to the
// current scope from then on: its end frees it (SPEC.md section 4), and a
// use after it is a use after scope (TransferCalls.cpp, registerForeign).
#include <tsmem.h>
#include <tsmem/ops.h>

struct linop {
  ts_tensor *(*apply)(void *ctx, const ts_tensor *x);
  void *ctx;
};

// Positive: registered in the block's scope, read after the block.
double product_after_scope(const struct linop *op, const ts_tensor *x) {
  ts_tensor *Ax = NULL;
  TS_SCOPE {
    Ax = op->apply(op->ctx, x);
    ts_scope_register_tensor(Ax);
    (void)ts_item(Ax);
  } // expected-note {{the scope ends here}}
  return ts_item(Ax); // expected-warning {{[tsmem-use-after-scope]}}
}

// Negative: used inside the block only.
double product_in_scope(const struct linop *op, const ts_tensor *x) {
  double v = 0;
  TS_SCOPE {
    ts_tensor *Ax = op->apply(op->ctx, x);
    ts_scope_register_tensor(Ax);
    v = ts_item(Ax);
  }
  return v;
}

// Negative: escaped out of the block before it ends.
ts_tensor *product_escaped(const struct linop *op, const ts_tensor *x) {
  ts_tensor *Ax = NULL;
  TS_SCOPE {
    Ax = op->apply(op->ctx, x);
    ts_scope_register_tensor(Ax);
    Ax = ts_escape(Ax);
  }
  return Ax;
}

// Negative: a function's own scope; the result is a new tensor.
TS_SCOPED double residual(const struct linop *op, const ts_tensor *b,
                          const ts_tensor *x) {
  ts_tensor *Ax = op->apply(op->ctx, x);
  ts_scope_register_tensor(Ax);
  return ts_item(ts_sub(b, Ax));
}

// Negative: registered outside any scope: not followed.
void product_no_scope(const struct linop *op, const ts_tensor *x) {
  ts_tensor *Ax = op->apply(op->ctx, x);
  ts_scope_register_tensor(Ax);
  (void)ts_item(Ax);
}
