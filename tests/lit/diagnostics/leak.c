// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// tsmem-leak: a tensor made outside any scope becomes unreachable.
#include <tsmem.h>

void out_of_scope(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x); // expected-note {{tensor made here}}
  (void)ts_item(t);
} // expected-warning {{'t' goes out of scope before it is freed (free it, ts_keep() it or hand it on) [tsmem-leak]}}

void overwritten(ts_tensor *x) {
  x = ts_relu(x); // expected-note {{tensor made here}}
  x = ts_tanh(x); // expected-warning {{'x' is overwritten before it is freed (free it, ts_keep() it or hand it on) [tsmem-leak]}}
  ts_free(x);
}

double discarded(const ts_tensor *x) {
  return ts_item(ts_sum(x)); // expected-warning {{tensor from 'ts_sum' leaks: the result is discarded without being freed (free it, ts_keep() it or hand it on) [tsmem-leak]}}
}

int early_return(const ts_tensor *x) {
  ts_tensor *a = ts_relu(x); // expected-note {{tensor made here}}
  ts_tensor *b = ts_tanh(x);
  if (!b)
    return -1; // expected-warning {{'a' goes out of scope before it is freed (free it, ts_keep() it or hand it on) [tsmem-leak]}}
  ts_free(b);
  ts_free(a);
  return 0;
}

void param_reassigned(ts_tensor *p) {
  p = ts_clone(p); // expected-note {{tensor made here}}
  (void)ts_numel(p);
} // expected-warning {{the function ends without freeing it (free it, ts_keep() it or hand it on) [tsmem-leak]}}

void in_loop(const ts_tensor *x, int n) {
  ts_tensor *acc = NULL;
  for (int i = 0; i < n; i++)
    acc = ts_add(x, x); // expected-warning {{'acc' is overwritten before it is freed (free it, ts_keep() it or hand it on) [tsmem-leak]}} expected-note {{tensor made here}}
  ts_free(acc);
}

void one_branch(const ts_tensor *x, int c) {
  ts_tensor *t = ts_relu(x); // expected-note {{tensor made here}}
  if (c) {
    ts_free(t);
    return;
  }
} // expected-warning {{'t' goes out of scope before it is freed (free it, ts_keep() it or hand it on) [tsmem-leak]}}

void pooled_not_released(ts_pool *p) {
  ts_tensor *t = ts_pool_acquire(p, TS_SHAPE(4), TS_FLOAT32); // expected-note {{tensor made here}}
  if (!t)
    return;
  (void)ts_nbytes(t);
} // expected-warning {{'t' goes out of scope before it is freed (free it, ts_keep() it or hand it on) [tsmem-leak]}}

// A user function marked TS_OWNED makes tensors too.
TS_OWNED ts_tensor *make_weights(int n);
void user_owned(void) {
  ts_tensor *w = make_weights(3); // expected-note {{tensor made here}}
  (void)w;
} // expected-warning {{'w' goes out of scope before it is freed (free it, ts_keep() it or hand it on) [tsmem-leak]}}
