// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// Conditions wrapped in branch hints (`__builtin_expect`, the likely() and
// unlikely() macros, __builtin_unpredictable) test what they wrap: a NULL
// test, a flag, a status (CfgDecode.h, ignoreExpect).
#include <stdbool.h>
#include <tsmem.h>

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

// --- Correct code: silent -------------------------------------------------

int null_unlikely(const ts_tensor *x) {
  ts_tensor *t = ts_clone(x);
  if (unlikely(t == NULL))
    return -1;
  ts_free(t);
  return 0;
}

int null_likely(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  if (likely(t)) {
    ts_free(t);
    return 0;
  }
  return -1;
}

int null_raw(const ts_tensor *x) {
  ts_tensor *t = ts_neg(x);
  if (__builtin_expect(!t, 0))
    return -1;
  if (__builtin_expect_with_probability(ts_numel(t) > 4, 1, 0.75))
    ts_free(t);
  else
    ts_free(t);
  return 0;
}

void flag_hinted(const ts_tensor *x, bool own) {
  ts_tensor *t = own ? ts_clone(x) : NULL;
  if (__builtin_unpredictable(own))
    ts_free(t);
}

void flag_twice(const ts_tensor *x, int verbose) {
  ts_tensor *dbg = NULL;
  if (unlikely(verbose))
    dbg = ts_clone(x);
  if (unlikely(verbose))
    ts_free(dbg);
}

// --- Bugs: still found ------------------------------------------------------

int leak_after_hint(const ts_tensor *x) {
  ts_tensor *t = ts_clone(x);
  if (unlikely(!t))
    return -1;
  return 0; // expected-warning {{leaks}}
  // expected-note@-4 {{made here}}
}

void free_twice_hinted(const ts_tensor *x, int verbose) {
  ts_tensor *t = ts_clone(x);
  if (likely(t != NULL))
    ts_free(t);
  ts_free(t); // expected-warning {{freed or released again}}
  // expected-note@-2 {{freed here}}
}
