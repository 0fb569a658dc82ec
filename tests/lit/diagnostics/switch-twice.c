// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// Two switches on the same variable: the arms of the first that made a
// tensor join with the variable one of their case values, and the second
// switch takes only those values' arms (Paths.cpp, the switch edges). Found
// by the precision hunt (tests/lit/precision/probe_rules.c).
#include <tsmem.h>

void two_cases(int mode, const ts_tensor *x) {
  ts_tensor *t = NULL;
  switch (mode) {
  case 1:
    t = ts_relu(x);
    break;
  case 2:
    t = ts_neg(x);
    break;
  default:
    break;
  }
  switch (mode) {
  case 1:
  case 2:
    ts_free(t);
    break;
  default:
    break;
  }
}

void separate_arms(int mode, const ts_tensor *x) {
  ts_tensor *t = NULL;
  switch (mode) {
  case 3:
    t = ts_relu(x);
    break;
  case 4:
    t = ts_neg(x);
    break;
  default:
    return;
  }
  switch (mode) {
  case 3:
    ts_free(t);
    break;
  case 4:
    ts_free(t);
    break;
  }
}

// The second switch forgets one of the values that made a tensor.
void one_value_forgotten(int mode, const ts_tensor *x) {
  ts_tensor *t = NULL;
  switch (mode) {
  case 1:
    t = ts_relu(x); // expected-note {{made here}}
    break;
  case 2:
    t = ts_neg(x);
    break;
  default:
    break;
  }
  switch (mode) {
  case 1:
    ts_free(t);
    break;
  default: // expected-note {{branch taken}}
    break;
  }
} // expected-warning {{leaks}}
