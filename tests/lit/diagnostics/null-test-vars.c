// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// Whether a tensor was made, kept in an integer: `ok = t != NULL` (a
// variable that follows the null test: where it says NULL, the call failed
// and nothing was made, PathEngine::aliasLits) or `k = t ? 1 : 0` (the arm
// the facts chose, else one of the arms' values, PathEngine::armValues).
// Found by the precision hunt (tests/lit/precision/probe_styles5.c).
#include <stdbool.h>
#include <tsmem.h>

double ok_flag(int n) {
  ts_tensor *t = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  bool ok = t != NULL;
  double v = ok ? ts_item(t) : 0;
  if (ok)
    ts_free(t);
  return v;
}

double have_int(int n) {
  ts_tensor *t = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  int have = !!t;
  if (!have)
    return 0;
  double v = ts_item(t);
  ts_free(t);
  return v;
}

double status_of_call(int n) {
  ts_tensor *t = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  ts_status st = t ? TS_OK : TS_ERR_OOM;
  if (st != TS_OK)
    return -1;
  double v = ts_item(t);
  ts_free(t);
  return v;
}

double failed_flag(int n) {
  ts_tensor *t;
  bool failed;
  t = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  failed = (t == NULL);
  if (failed)
    return -1;
  double v = ts_item(t);
  ts_free(t);
  return v;
}

// A switch with no default over every value the variable can have.
double stage_switch(int n) {
  ts_tensor *a = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  if (!a)
    return 0;
  ts_tensor *b = n > 0 ? ts_add_scalar(a, 1) : NULL;
  int stage = b ? 2 : 1;
  double v = 0;
  switch (stage) {
  case 2:
    v += ts_item(b);
    ts_free(b);
    /* fallthrough */
  case 1:
    v += ts_item(a);
    ts_free(a);
    break;
  }
  return v;
}

enum own { BORROWED, OWNED };

double mode_switch(const ts_tensor *x, bool copy) {
  ts_tensor *mine = copy ? ts_clone(x) : NULL;
  enum own m = mine ? OWNED : BORROWED;
  double v = ts_item(m == OWNED ? mine : x);
  switch (m) {
  case OWNED:
    ts_free(mine);
    break;
  case BORROWED:
    break;
  }
  return v;
}

// The flag set, then the tensor replaced: the flag no longer says anything
// about the new one, which leaks when the flag says NULL.
void ok_then_replaced(int n) {
  ts_tensor *t = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  bool ok = t != NULL;
  if (t)
    ts_free(t);
  t = ts_zeros(TS_SHAPE(n), TS_FLOAT32); // expected-note {{made here}}
  if (ok) // expected-note {{'ok' is false}}
    ts_free(t);
} // expected-warning {{leaks}}

// The flag's sense inverted: the tensor leaks where it was made.
void ok_inverted(int n) {
  ts_tensor *t = ts_ones(TS_SHAPE(n), TS_FLOAT32); // expected-note {{made here}}
  bool ok = t != NULL;
  if (!ok)
    ts_free(t);
} // expected-warning {{leaks}}

// Only one arm frees: the other value leaks.
void stage_missing_case(int n) {
  ts_tensor *t = ts_ones(TS_SHAPE(n), TS_FLOAT32); // expected-note {{made here}}
  int k = t ? 2 : 1;
  switch (k) {
  case 1:
    ts_free(t);
    break;
  case 2:
    break;
  }
} // expected-warning {{leaks}}

// Freed on the arm that says made, then again unconditionally.
void ternary_double_free(int n) {
  ts_tensor *t = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  int made = t ? 1 : 0;
  if (made)
    ts_free(t); // expected-note {{freed here}}
  if (t)
    ts_free(t); // expected-warning {{freed}}
}
