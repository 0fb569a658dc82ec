// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A teardown that frees some tensor fields of *p and clears the struct with
// memset loses a tensor field it never names, when the file frees that
// field elsewhere (TeardownFields.cpp). A field nothing frees may be
// borrowed; a teardown that hands p on, or names the field, is quiet.
#include <string.h>
#include <tsmem.h>

struct model {
  ts_tensor *w;
  ts_tensor *b;
  ts_tensor *bias2;
  const ts_tensor *input; /* borrowed: nothing frees it */
};

static void model_init(struct model *m, const ts_tensor *x) {
  m->w = ts_zeros(TS_SHAPE(2, 2), TS_FLOAT32);
  m->b = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  m->bias2 = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  m->input = x;
}

static void model_free(struct model *m) {
  ts_free(m->w);
  ts_free(m->b);
  ts_free(m->bias2);
  memset(m, 0, sizeof *m);
}

static void model_free_short(struct model *m) {
  ts_free(m->w);
  ts_free(m->b);
  memset(m, 0, sizeof *m); // expected-warning {{tensor in 'm->bias2' leaks: it is overwritten before it is freed}}
}

/* Names the field: moved elsewhere first. */
static ts_tensor *model_take_bias(struct model *m) {
  ts_tensor *b2 = m->bias2;
  ts_free(m->w);
  ts_free(m->b);
  memset(m, 0, sizeof *m);
  return b2;
}

static void bias_free(struct model *m) { ts_free(m->bias2); }

/* Hands m on: the callee may free the field. */
static void model_free_via(struct model *m) {
  bias_free(m);
  ts_free(m->w);
  ts_free(m->b);
  memset(m, 0, sizeof *m);
}

/* Frees no field: a reset, not a teardown. */
static void model_reset(struct model *m) { memset(m, 0, sizeof *m); }

void use(const ts_tensor *x) {
  struct model m;
  model_init(&m, x);
  model_free(&m);
  model_init(&m, x);
  model_free_short(&m);
  model_init(&m, x);
  ts_free(model_take_bias(&m));
  model_init(&m, x);
  model_free_via(&m);
  model_reset(&m);
}

/* The fields an array's teardown loop frees count as freed. */
struct bank {
  ts_tensor *A;
  ts_tensor **vecs;
  int k;
};

static void bank_free(struct bank *b) {
  for (int j = 0; j < b->k; j++)
    ts_free(b->vecs[j]);
  ts_free(b->A);
  memset(b, 0, sizeof *b);
}

static void bank_free_vecs(struct bank *b) {
  for (int j = 0; j < b->k; j++)
    ts_free(b->vecs[j]);
  memset(b, 0, sizeof *b); // expected-warning {{tensor in 'b->A' leaks: it is overwritten before it is freed}}
}

void use_bank(struct bank *b, int all) {
  if (all)
    bank_free(b);
  else
    bank_free_vecs(b);
}
