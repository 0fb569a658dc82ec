// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// An operation given a tensor already freed, released or freed by its scope
// fails on the stale handle and makes nothing (SPEC.md section 2: calls that
// make a tensor return NULL on error): the use is reported, and its result
// is no leak. An operation on a live tensor still leaks its result, even
// next to a stale use.
#include <stdio.h>
#include <tsmem.h>
#include <tsmem/ops.h>

// Bug: used after its scope; the sum of the dead handle is NULL.
void read_after_scope(void) {
  ts_tensor *keep = NULL;
  TS_SCOPE { keep = ts_ones(TS_SHAPE(2), TS_FLOAT32); } // expected-note {{the scope ends here}}
  printf("%f\n", ts_item(ts_sum(keep))); // expected-warning {{use of a tensor after the scope that owned it ended}}
}

// Bug: used after its free; the mean of the dead handle is NULL.
void read_after_free(void) {
  ts_tensor *t = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_free(t); // expected-note {{freed here}}
  ts_tensor *m = ts_mean(t); // expected-warning {{use of a tensor after it was freed}}
  printf("%f\n", ts_item(m));
}

// Bug: a stale tensor next to a live one; the live one's sum still leaks.
void live_sum_leaks(void) {
  ts_tensor *a = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *b = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_free(a); // expected-note {{freed here}}
  ts_tensor *s = ts_add(ts_sum(b), a); // expected-warning {{tensor from 'ts_sum' leaks}} expected-warning {{use of a tensor after it was freed}}
  ts_free(s);
  ts_free(b);
}

// Bug: a result of a live tensor discarded.
void live_result_dropped(void) {
  ts_tensor *t = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  printf("%f\n", ts_item(ts_sum(t))); // expected-warning {{tensor from 'ts_sum' leaks}}
  ts_free(t);
}
