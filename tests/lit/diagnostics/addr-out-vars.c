// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A tensor variable whose address only goes straight into calls the
// analysis has no out-parameter summary for (an extern function, a helper
// that stores a borrowed element through it) is followed: each such call
// gives it an unknown tensor from outside, so freeing it and then using or
// freeing it again is seen; a later call refills it (AddrOutVars.cpp).
#include <stddef.h>
#include <tsmem.h>
#include <tsmem/ops.h>

struct stack {
  ts_tensor **items;
  size_t n;
};

extern int ext_pop(void *src, ts_tensor **out);
extern void ext_fill(ts_tensor **out);

// Hands out the top item (the stack's own handle cleared).
static int stack_pop(struct stack *s, ts_tensor **out) {
  if (s->n == 0)
    return -1;
  *out = s->items[--s->n];
  s->items[s->n] = NULL;
  return 0;
}

// --- Positive cases --------------------------------------------------------

void popped_clone_after_free(struct stack *s) {
  ts_tensor *t = NULL;
  if (stack_pop(s, &t) == 0) {
    ts_free(t); // expected-note {{freed here}}
    ts_tensor *c = ts_clone(t); // expected-warning {{use of a tensor after it was freed}}
    ts_free(c);
  }
}

void ext_popped_twice(void *src) {
  ts_tensor *t;
  if (ext_pop(src, &t) != 0)
    return;
  ts_free(t); // expected-note {{freed here}}
  ts_free(t); // expected-warning {{tensor freed or released again after it was freed}}
}

// --- Negative cases --------------------------------------------------------

// Freed once per pop.
void drain(void *src) {
  ts_tensor *t = NULL;
  while (ext_pop(src, &t) == 0)
    ts_free(t);
}

// Freed, then refilled by the next call before the read.
double refill_after_free(void *src) {
  ts_tensor *t = NULL;
  if (ext_pop(src, &t) != 0)
    return 0.0;
  ts_free(t);
  if (ext_pop(src, &t) != 0)
    return 0.0;
  ts_tensor *s = ts_sum(t);
  double v = ts_item(s);
  ts_free(s);
  ts_free(t);
  return v;
}

// The previous pass's tensor freed through another variable.
void pairwise(void *src) {
  ts_tensor *prev = NULL, *t = NULL;
  while (ext_pop(src, &t) == 0) {
    if (prev)
      ts_free(prev);
    prev = t;
    ts_tensor *s = ts_sum(t);
    ts_free(s);
  }
  if (prev)
    ts_free(prev);
}

// A tensor made here given to a call through its variable's address.
void made_then_filled(void) {
  ts_tensor *t = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ext_fill(&t);
  ts_free(t);
}
