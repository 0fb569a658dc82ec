// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// The five checks fire on the generated operators of <tsmem/ops.h> as on
// tsmem.h's own calls: their declarations carry TS_OWNED (new tensors) or
// nothing (in-place and out= calls return a handle they were given).
#include <tsmem/ops.h>

void leak_conv(const ts_tensor *x, const ts_tensor *w) {
  ts_tensor *y = ts_conv2d(x, w, NULL, TS_SHAPE(1, 1), TS_SHAPE(0, 0), TS_SHAPE(1, 1), 1); // expected-note {{tensor made here}}
  (void)ts_item(y);
} // expected-warning {{'y' goes out of scope before it is freed (free it, ts_keep() it or hand it on) [tsmem-leak]}}

double discarded(const ts_tensor *x) {
  return ts_item(ts_sum_dim_IntList(x, TS_SHAPE(0), false, TS_NO_DTYPE)); // expected-warning {{tensor from 'ts_sum_dim_IntList' leaks: the result is discarded without being freed (free it, ts_keep() it or hand it on) [tsmem-leak]}}
}

ts_tensor *unescaped(const ts_tensor *x) {
  TS_SCOPE_GUARD(); // expected-note {{the scope that owns it begins here}}
  ts_tensor *t = ts_abs(x);
  return t; // expected-warning {{returning a tensor owned by a scope that this return leaves: the scope frees it; wrap it in ts_escape() [tsmem-unescaped-return]}}
}

double after_scope(const ts_tensor *x) {
  ts_tensor *t;
  {
    TS_SCOPE_GUARD();
    t = ts_transpose_int(x, 0, 1);
  } // expected-note {{the scope ends here}}
  return ts_item(t); // expected-warning {{[tsmem-use-after-scope]}}
}

double after_free(const ts_tensor *x) {
  ts_tensor *t = ts_sigmoid(x);
  ts_free(t); // expected-note {{freed here}}
  return ts_item(ts_abs_(t)); // expected-warning {{use of a tensor after it was freed [tsmem-use-after-free]}}
}

void double_free(const ts_tensor *x) {
  ts_tensor *t = ts_narrow(x, 0, 0, 1);
  ts_free(t); // expected-note {{freed here}}
  ts_free(t); // expected-warning {{tensor freed or released again after it was freed [tsmem-double-free]}}
}

// No warning: in-place and out= results are the caller's own handles.
void in_place_and_out(ts_tensor *x, ts_tensor *out) {
  ts_relu_(x);
  ts_mul_Scalar_(x, 2.0);
  ts_abs_out(x, out);
  (void)ts_item(ts_sum_out(x, TS_NO_DTYPE, out));
}

// No warning: correct use, scoped and manual.
TS_SCOPED double scoped(const ts_tensor *x) {
  ts_tensor *parts[4];
  int n;
  ts_tensor *mx[2];
  if (ts_split_Tensor(parts, 4, &n, x, 1, 0) != TS_OK ||
      ts_max_dim(mx, x, 0, false) != TS_OK)
    return 0;
  return ts_item(ts_sum(ts_matmul(ts_conv2d(x, x, NULL, TS_SHAPE(1, 1), TS_SHAPE(0, 0), TS_SHAPE(1, 1), 1), parts[0])));
}

double manual(const ts_tensor *x) {
  ts_tensor *t = ts_cumsum(x, 0, TS_NO_DTYPE);
  double v = ts_item(t);
  ts_free(t);
  return v;
}
