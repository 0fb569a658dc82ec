// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// tsmem-use-after-free and tsmem-double-free.
#include <tsmem.h>

double after_free(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  ts_free(t); // expected-note {{freed here}}
  return ts_item(t); // expected-warning {{use of a tensor after it was freed [tsmem-use-after-free]}}
}

double through_alias(const ts_tensor *x) {
  ts_tensor *a = ts_relu(x);
  ts_tensor *b = a;
  ts_free(b); // expected-note {{freed here}}
  return ts_item(a); // expected-warning {{[tsmem-use-after-free]}}
}

double after_release(ts_pool *p, const ts_tensor *x) {
  ts_tensor *t = ts_clone(x);
  ts_pool_release(p, t); // expected-note {{released here}}
  return ts_item(t); // expected-warning {{use of a tensor after it was released to a pool [tsmem-use-after-free]}}
}

ts_tensor *return_freed(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  ts_free(t); // expected-note {{freed here}}
  return t; // expected-warning {{[tsmem-use-after-free]}}
}

void freed_in_both_branches(const ts_tensor *x, int c) {
  ts_tensor *t = ts_relu(x);
  if (c)
    ts_free(t);
  else
    ts_free(t); // expected-note {{freed here}}
  ts_requires_grad(t, true); // expected-warning {{[tsmem-use-after-free]}}
}

void double_free(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  ts_free(t); // expected-note {{freed here}}
  ts_free(t); // expected-warning {{tensor freed or released again after it was freed [tsmem-double-free]}}
}

void double_release(ts_pool *p, const ts_tensor *x) {
  ts_tensor *t = ts_clone(x);
  ts_pool_release(p, t); // expected-note {{released here}}
  ts_pool_release(p, t); // expected-warning {{[tsmem-double-free]}}
}

void free_after_release(ts_pool *p, const ts_tensor *x) {
  ts_tensor *t = ts_clone(x);
  ts_pool_release(p, t); // expected-note {{released here}}
  ts_free(t); // expected-warning {{after it was released to a pool [tsmem-double-free]}}
}

void double_free_alias(const ts_tensor *x) {
  ts_tensor *a = ts_relu(x);
  ts_tensor *b = a;
  ts_free(a); // expected-note {{freed here}}
  ts_free(b); // expected-warning {{[tsmem-double-free]}}
}

void scoped_then_freed_twice(const ts_tensor *x) {
  TS_SCOPE_GUARD();
  ts_tensor *t = ts_relu(x);
  ts_free(t); // expected-note {{freed here}}
  ts_free(t); // expected-warning {{[tsmem-double-free]}}
}
