// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A teardown that frees the tensor fields of *p and then zeroes the whole
// struct (`memset(p, 0, sizeof *p)`) frees them, and leaves NULL behind
// (ClearingMemsets.cpp); `sizeof *p` reads nothing of p, so p's fields are
// followed as in any other helper (Fields.cpp). A field freed by hand
// before such a teardown is freed twice; one cleared by hand, or a
// teardown called again after the memset, is not.
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

struct model {
  ts_tensor *emb;
  ts_tensor *w;
};

static int model_init(struct model *m) {
  memset(m, 0, sizeof *m);
  m->emb = ts_zeros(TS_SHAPE(4), TS_FLOAT32);
  if (!m->emb)
    return -1;
  m->w = ts_zeros(TS_SHAPE(4), TS_FLOAT32);
  if (!m->w) {
    ts_free(m->emb);
    memset(m, 0, sizeof *m);
    return -1;
  }
  return 0;
}

static void model_free(struct model *m) {
  ts_free(m->emb);
  ts_free(m->w);
  memset(m, 0, sizeof *m);
}

int fails(void);

// Positive: one field freed by hand, then the zeroing teardown.
void free_then_teardown(void) {
  struct model m;
  if (model_init(&m) != 0)
    return;
  ts_free(m.emb); // expected-note {{freed here}}
  model_free(&m); // expected-warning {{[tsmem-double-free]}}
}

// Positive: freed on an error branch that jumps to the teardown.
void free_on_error_branch(void) {
  struct model m;
  if (model_init(&m) != 0)
    return;
  if (fails()) { // expected-note {{branch taken: 'fails()' is true}}
    ts_free(m.w); // expected-note {{freed here}}
    goto done;
  }
  fails();
done:
  model_free(&m); // expected-warning {{[tsmem-double-free]}}
}

// Negative: the field is cleared after its free.
void free_clear_teardown(void) {
  struct model m;
  if (model_init(&m) != 0)
    return;
  ts_free(m.emb);
  m.emb = NULL;
  model_free(&m);
}

// Negative: the teardown's memset leaves NULL: a second teardown frees
// nothing.
void teardown_twice(void) {
  struct model m;
  if (model_init(&m) != 0)
    return;
  model_free(&m);
  model_free(&m);
}

// Negative: zeroed by hand after the free.
void free_then_zero(void) {
  struct model m;
  if (model_init(&m) != 0)
    return;
  ts_free(m.emb);
  ts_free(m.w);
  memset(&m, 0, sizeof m);
  model_free(&m);
}

// Negative: moved into another struct, then the source zeroed.
void move_then_zero(struct model *out) {
  struct model m;
  if (model_init(&m) != 0)
    return;
  *out = m;
  memset(&m, 0, sizeof m);
  model_free(&m);
}

// Positive: zeroing a struct that still owns its tensors loses them.
void zero_owned(void) {
  struct model m;
  m.emb = ts_zeros(TS_SHAPE(4), TS_FLOAT32); // expected-note {{tensor made here}}
  m.w = NULL;
  memset(&m, 0, sizeof m); // expected-warning {{[tsmem-leak]}}
}

// Negative: a part of the struct only (not the whole of it).
void zero_part(void) {
  struct model m[2];
  m[0].emb = ts_zeros(TS_SHAPE(4), TS_FLOAT32);
  m[0].w = NULL;
  m[1].emb = NULL;
  m[1].w = NULL;
  memset(m, 0, sizeof m[0]);
  ts_free(m[0].emb);
}
