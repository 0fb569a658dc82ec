// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// Ownership recorded in a `bool` flag (`made = true`) and tested later: the
// flag's value is followed like an int's (PathFacts.cpp, linear), so the
// test decides the path and the free under it is not taken for a leak or a
// double free. Found by the precision hunt (tests/lit/precision).
#include <stdbool.h>
#include <tsmem.h>

void made_flag(const ts_tensor *x, bool c) {
  ts_tensor *t = NULL;
  bool made = false;
  if (c) {
    t = ts_clone(x);
    made = true;
  }
  if (made)
    ts_free(t);
}

void made_flag_from_compare(const ts_tensor *x, int n) {
  ts_tensor *t = NULL;
  bool made = false;
  if (n > 2) {
    t = ts_clone(x);
    made = true;
  }
  if (made)
    ts_free(t);
}

// A borrowed tensor or a new one; freed only when it is new.
double owned_flag(ts_tensor *shared, bool make) {
  ts_tensor *t = shared;
  bool owned = false;
  if (make) {
    t = ts_mul_scalar(shared, 3);
    owned = true;
  }
  double r = ts_item(t);
  if (owned)
    ts_free(t);
  return r;
}

// The flag says the other thing: the tensor made is never freed.
void flag_inverted(const ts_tensor *x, bool c) {
  ts_tensor *t = NULL;
  bool made = false;
  if (c) {
    t = ts_clone(x); // expected-note {{made here}}
    made = true;
  }
  if (!made)
    ts_free(t);
} // expected-warning {{leaks}}
