// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A NULL test of an assignment's result (`while ((t = next()) != NULL)`,
// `if ((p->t = make()) == NULL)`) tests the variable or field assigned: on
// its NULL edge there is no tensor to free (CfgDecode.cpp, Fields.cpp).
#include <stddef.h>
#include <tsmem.h>

ts_tensor *next_batch(void) TS_OWNED;

struct holder {
  ts_tensor *t;
};

// --- Correct code: silent -------------------------------------------------

double drain(void) {
  ts_tensor *t;
  double s = 0;
  while ((t = next_batch()) != NULL) {
    s += (double)ts_numel(t);
    ts_free(t);
  }
  return s;
}

int made_or_not(void) {
  ts_tensor *t;
  if (NULL == (t = next_batch()))
    return -1;
  ts_free(t);
  return 0;
}

int field_made(struct holder *h) {
  if ((h->t = next_batch()) == NULL)
    return -1;
  return 0;
}

// --- Bugs: still found ------------------------------------------------------

double drain_leak(void) {
  ts_tensor *t;
  double s = 0;
  while ((t = next_batch()) != NULL) // expected-warning {{leaks}}
    s += (double)ts_numel(t);        // expected-note@-1 {{made here}}
  return s;
}
