// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A loop's first pass told by its counter (`i == 0`, `i > 0`, `!i`) or by
// a flag the loop clears (`first = 0`): later passes cannot take the
// first pass's arm again. A counter stepped up from its least start is
// past it (PathVal::Ge); a flag the loop only sets to constants keeps its
// value into the first pass (Paths.cpp). Bugs on the passes that do run
// are still found.
#include <stdbool.h>
#include <tsmem.h>

// --- Correct code: silent -------------------------------------------------

void first_by_eq(const ts_tensor *x, int n) {
  ts_tensor *acc = NULL;
  for (int i = 0; i < n; i++) {
    ts_tensor *y = ts_add_scalar(x, i);
    if (i == 0) {
      acc = y;
    } else {
      ts_tensor *s = ts_add(acc, y);
      ts_free(acc);
      ts_free(y);
      acc = s;
    }
  }
  if (n > 0)
    ts_free(acc);
}

void first_by_gt(const ts_tensor *x, int n) {
  ts_tensor *prev = NULL;
  for (int i = 0; i < n; i++) {
    ts_tensor *cur = ts_mul_scalar(x, i);
    if (i > 0)
      ts_free(prev);
    prev = cur;
  }
  if (n > 0)
    ts_free(prev);
}

void first_by_not(const ts_tensor *x, int n) {
  ts_tensor *prev = NULL;
  int k = 0;
  while (k < n) {
    ts_tensor *cur = ts_neg(x);
    if (!k) {
      prev = cur;
    } else {
      ts_free(prev);
      prev = cur;
    }
    k++;
  }
  if (k)
    ts_free(prev);
}

void first_from_one(const ts_tensor *x, int n) {
  ts_tensor *acc = NULL;
  for (int t = 1; t <= n; t += 2) {
    ts_tensor *y = ts_relu(x);
    if (t == 1) {
      acc = y;
      continue;
    }
    ts_free(acc);
    acc = y;
  }
  if (n >= 1)
    ts_free(acc);
}

void first_flag(const ts_tensor *x, int n) {
  ts_tensor *prev = ts_clone(x);
  bool first = true;
  for (int i = 0; i < n; i++) {
    ts_tensor *next = ts_add_scalar(x, i);
    if (first)
      ts_free(prev);
    else
      ts_free(prev);
    first = false;
    prev = next;
  }
  ts_free(prev);
}

// A tensor kept out of each pass's scope, the one before freed from the
// second pass on.
void first_flag_scoped(const ts_tensor *x, int n) {
  ts_tensor *prev = NULL;
  bool first = true;
  for (int i = 0; i < n; i++)
    TS_SCOPE {
      ts_tensor *cur = ts_add_scalar(x, i);
      if (!first)
        ts_free(prev);
      prev = ts_keep(cur);
      first = false;
    }
  if (!first)
    ts_free(prev);
}

// --- Bugs: still found ------------------------------------------------------

// The first pass's tensor is dropped (on the first pass, `i > 0` is
// decided by the counter's start value: no branch note).
void first_pass_leaks(const ts_tensor *x, int n) {
  for (int i = 0; i < n; i++) {
    ts_tensor *y = ts_neg(x); // expected-note {{made here}}
    if (i > 0)
      ts_free(y);
  } // expected-warning {{leaks}}
}

// The flag is never cleared: every pass frees the same tensor.
void flag_not_cleared(const ts_tensor *x, int n) {
  ts_tensor *t = ts_clone(x);
  bool first = true;
  for (int i = 0; i < n; i++) {
    if (first)
      ts_free(t); // expected-warning {{freed or released again}}
                  // expected-note@-1 {{freed here}}
  }
}
