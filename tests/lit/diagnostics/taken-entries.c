// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A same-file helper that moves a tensor out of a container and clears its
// slot (TakenEntries.cpp): the caller is the one owner left, as with a
// tensor the helper made. A getter that leaves the tensor in place, or a
// swap that puts another tensor there, hands nothing over.
#include <stddef.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define SLOTS 4

struct slot {
  ts_tensor *t;
  int seq;
};

struct ring {
  struct slot slot[SLOTS];
  int next;
  ts_tensor *last;
};

extern void show(double v);

static ts_tensor *ring_take(struct ring *r) {
  struct slot *s = &r->slot[r->next % SLOTS];
  if (!s->t)
    return NULL;
  ts_tensor *t = s->t;
  s->t = NULL;
  r->next++;
  return t;
}

static ts_tensor *take_last(struct ring *r) {
  ts_tensor *t = r->last;
  r->last = NULL;
  return t;
}

static ts_tensor *peek_last(struct ring *r) { return r->last; }

static ts_tensor *swap_last(struct ring *r, ts_tensor *n) {
  ts_tensor *t = r->last;
  r->last = n;
  return t;
}

// --- Bugs -----------------------------------------------------------------

void taken_dropped(struct ring *r) {
  ts_tensor *a = ring_take(r);
  ts_tensor *b = ring_take(r); // expected-note {{tensor made here}}
  if (!a || !b)
    return; // expected-warning {{leaks}}
  show(ts_item(a));
  ts_free(a);
  ts_free(b);
}

void taken_last_unfreed(struct ring *r) {
  ts_tensor *t = take_last(r); // expected-note {{tensor made here}}
  if (t)
    show(ts_item(t));
} // expected-warning {{leaks}}

// --- Correct --------------------------------------------------------------

void taken_freed(struct ring *r) {
  ts_tensor *t;
  while ((t = ring_take(r)) != NULL) {
    show(ts_item(t));
    ts_free(t);
  }
}

void peeked(struct ring *r) {
  ts_tensor *t = peek_last(r);
  if (t)
    show(ts_item(t));
}

void swapped_back(struct ring *r) {
  ts_tensor *n = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *old = swap_last(r, n);
  if (old)
    ts_free(old);
}

void taken_put_back(struct ring *r) {
  ts_tensor *t = take_last(r);
  r->last = t;
}
