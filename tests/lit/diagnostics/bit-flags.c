// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// Flags kept as bits of a local (`made |= 1`, `made & 1`): the bits set on
// a path decide its later tests (Paths.cpp, WriteOp::Apply).
#include <stdbool.h>
#include <stddef.h>
#include <tsmem.h>

// --- Correct code: silent -------------------------------------------------

void two_bits(const ts_tensor *x, bool p, bool q) {
  unsigned made = 0;
  ts_tensor *a = NULL, *b = NULL;
  if (p) {
    a = ts_clone(x);
    made |= 1;
  }
  if (q) {
    b = ts_clone(x);
    made |= 2;
  }
  if (made & 2)
    ts_free(b);
  if (made & 1)
    ts_free(a);
}

void cleared_bit(const ts_tensor *x, bool p) {
  int own = 0;
  ts_tensor *a = ts_clone(x);
  own |= 4;
  if (p) {
    ts_free(a);
    own &= ~4;
  }
  if (own & 4)
    ts_free(a);
}

// --- Bugs: still found ------------------------------------------------------

void wrong_bit(const ts_tensor *x, bool p) {
  unsigned made = 0;
  ts_tensor *a = NULL;
  if (p) {
    a = ts_clone(x); // expected-note {{made here}}
    made |= 1;
  }
  if (made & 2)
    ts_free(a);
} // expected-warning {{leaks}}
