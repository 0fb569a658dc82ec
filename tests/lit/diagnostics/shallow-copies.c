// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A shallow copy of a struct shares its tensors, also those its fields got
// from a call the analysis does not follow into (an init that fills the
// fields only when it succeeds): the copy gets the same tensors, so two
// teardowns free them twice. One teardown, or a copy whose tensors were
// replaced, stays silent.
#include <stddef.h>
#include <tsmem.h>

struct body {
  ts_tensor *pos, *vel;
  double dt;
};

#define DROP(t)                                                                \
  do {                                                                         \
    if (t) {                                                                   \
      ts_free(t);                                                              \
      (t) = NULL;                                                              \
    }                                                                          \
  } while (0)

static int body_init(struct body *b, double dt) {
  b->pos = ts_rand(TS_SHAPE(4, 2), TS_FLOAT32);
  if (!b->pos)
    return -1;
  b->vel = ts_zeros(TS_SHAPE(4, 2), TS_FLOAT32);
  if (!b->vel) {
    ts_free(b->pos);
    return -1;
  }
  b->dt = dt;
  return 0;
}

static void body_free(struct body *b) {
  DROP(b->pos);
  DROP(b->vel);
}

// --- Bugs -----------------------------------------------------------------

void shallow_twice(void) {
  struct body a;
  if (body_init(&a, 0.1) != 0)
    return;
  struct body b = a;
  body_free(&b); // expected-note {{freed here}}
  body_free(&a); // expected-warning {{freed or released again after it was freed}}
}

// --- Correct code ---------------------------------------------------------

void shallow_once(void) {
  struct body a;
  if (body_init(&a, 0.1) != 0)
    return;
  struct body b = a;
  b.dt = 0.2;
  body_free(&b);
}

void deep_enough(void) {
  struct body a;
  if (body_init(&a, 0.1) != 0)
    return;
  struct body b = a;
  b.pos = ts_clone(a.pos);
  b.vel = ts_clone(a.vel);
  body_free(&b);
  body_free(&a);
}

void freed_twice_safely(void) {
  struct body a;
  if (body_init(&a, 0.1) != 0)
    return;
  body_free(&a);
  body_free(&a);
}
