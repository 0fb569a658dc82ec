// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// `ts_free(k ? b : a)` where the path does not decide k frees one of two
// tensors, each still held by its own variable: neither is freed for sure
// (Fields.cpp freeStrength), so the other arm's tensor kept under the same
// condition is no use after free. Where the path decides k, the free is
// of that arm's tensor alone.
#include <tsmem.h>
#include <tsmem/ops.h>

// OK: the smaller one freed, the other read and freed.
double keep_larger(void) {
  ts_tensor *a = ts_full(TS_SHAPE(1), TS_FLOAT32, 1);
  ts_tensor *b = ts_full(TS_SHAPE(1), TS_FLOAT32, 2);
  if (!a || !b) {
    if (a)
      ts_free(a);
    if (b)
      ts_free(b);
    return -1;
  }
  int a_big = ts_item(a) > ts_item(b);
  ts_free(a_big ? b : a);
  ts_tensor *keep = a_big ? a : b;
  double v = ts_item(keep);
  ts_free(keep);
  return v;
}

// BUG: under `if (k)` the free is of b: reading b after it is a use.
double decided_arm(int k) {
  ts_tensor *a = ts_full(TS_SHAPE(1), TS_FLOAT32, 1);
  ts_tensor *b = ts_full(TS_SHAPE(1), TS_FLOAT32, 2);
  if (!a || !b) {
    if (a)
      ts_free(a);
    if (b)
      ts_free(b);
    return -1;
  }
  double v = 0;
  if (k) {
    ts_free(k ? b : a); // expected-note {{freed here}}
    v = ts_item(b);     // expected-warning {{use of a tensor after it was freed}}
    ts_free(a);
  } else {
    ts_free(a);
    ts_free(b);
  }
  return v;
}

// BUG: a tensor freed by a plain free is still freed for sure.
double plain(int k) {
  ts_tensor *a = ts_full(TS_SHAPE(1), TS_FLOAT32, 1);
  if (!a)
    return -1;
  ts_free(a);                   // expected-note {{freed here}}
  return k ? ts_item(a) : 0.0;  // expected-warning {{use of a tensor after it was freed}}
}
