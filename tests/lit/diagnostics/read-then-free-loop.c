// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A counted loop that reads each element and then frees it: `a[i]` read
// before `ts_free(a[i])` in the body is reached from the free only by the
// back edge, where i names the next element (Checks.cpp, otherElement).
// The array filled by a same-file helper, by constant indices or in a
// struct field. Found by the precision hunt.
#include <tsmem.h>

static void fill(ts_tensor **a, int n) {
  for (int i = 0; i < n; i++)
    a[i] = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
}

double helper_filled(void) {
  ts_tensor *a[4];
  fill(a, 4);
  double r = 0;
  for (int i = 0; i < 4; i++) {
    r += ts_item(a[i]);
    ts_free(a[i]);
  }
  return r;
}

double constant_filled(void) {
  ts_tensor *a[2];
  a[0] = ts_full(TS_SHAPE(1), TS_FLOAT32, 0);
  a[1] = ts_full(TS_SHAPE(1), TS_FLOAT32, 1);
  double r = 0;
  for (int i = 0; i < 2; i++) {
    r += ts_item(a[i]);
    ts_free(a[i]);
  }
  return r;
}

struct ctx {
  int n;
  ts_tensor *out[4];
};

static void fill_ctx(struct ctx *c) {
  for (int i = 0; i < 4; i++)
    c->out[i] = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
}

double field_filled(void) {
  struct ctx c = {4, {0}};
  fill_ctx(&c);
  double r = 0;
  for (int i = 0; i < 4; i++) {
    r += ts_item(c.out[i]);
    ts_free(c.out[i]);
  }
  return r;
}

// Still reported: a read after the loop that freed every element, and a
// read of the element just freed in the same pass.
double read_after_sweep(void) {
  ts_tensor *a[2];
  for (int i = 0; i < 2; i++)
    a[i] = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
  double r = 0;
  for (int i = 0; i < 2; i++)
    ts_free(a[i]); // expected-note {{freed here}}
  for (int i = 0; i < 2; i++)
    r += ts_item(a[i]); // expected-warning {{use of a tensor after it was freed}}
  return r;
}

double read_after_free_same_pass(void) {
  ts_tensor *a[2];
  fill(a, 2);
  double r = 0;
  for (int i = 0; i < 2; i++) {
    ts_free(a[i]); // expected-note {{freed here}}
    r += ts_item(a[i]); // expected-warning {{use of a tensor after it was freed}}
  }
  return r;
}
