// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A local alias of a field (`t = s.f`, `t = p->f`) taken before a
// same-file helper frees the field: the alias holds a freed tensor after
// the call. Teardowns that clear the whole struct with
// `memset(p, 0, sizeof *p)` after their frees are such helpers (the
// `sizeof *p` reads nothing; the memset does not take the freed tensors).
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>

struct model {
  ts_tensor *w;
  ts_tensor *b;
  int steps;
};

struct outer {
  int id;
  struct model m;
};

static int model_init(struct model *m) {
  memset(m, 0, sizeof *m);
  if (!(m->w = ts_zeros(TS_SHAPE(2, 2), TS_FLOAT32)))
    return -1;
  if (!(m->b = ts_zeros(TS_SHAPE(2), TS_FLOAT32))) {
    ts_free(m->w);
    return -1;
  }
  return 0;
}

// Frees both fields, then clears the struct.
static void model_free(struct model *m) {
  ts_free(m->w);
  ts_free(m->b);
  memset(m, 0, sizeof *m);
}

// Frees the weight only, and clears it.
static void model_free_w(struct model *m) {
  ts_free(m->w);
  m->w = NULL;
}

// NULL-guarded frees, then the struct cleared.
static void model_release(struct model *m) {
  if (m->w)
    ts_free(m->w);
  if (m->b != NULL)
    ts_free(m->b);
  memset(m, 0, sizeof(*m));
}

// Reads the fields only.
static long long model_size(const struct model *m) {
  return ts_numel(m->w) + ts_numel(m->b);
}

// Frees the weight on request only.
static void model_drop(struct model *m, int all) {
  if (all) {
    ts_free(m->w);
    m->w = NULL;
  }
  ts_free(m->b);
  m->b = NULL;
}

static void outer_free(struct outer *o) {
  ts_free(o->m.w);
  ts_free(o->m.b);
  memset(o, 0, sizeof *o);
}

// Teardowns that first check their struct pointer: where it is NULL there
// is no struct, and nothing under it to free.
struct graph {
  int n;
  ts_tensor *x;
  ts_tensor *e;
};

static struct graph *graph_new(void) {
  struct graph *g = calloc(1, sizeof *g);
  if (!g)
    return NULL;
  g->x = ts_zeros(TS_SHAPE(4, 2), TS_FLOAT32);
  if (!g->x) {
    free(g);
    return NULL;
  }
  return g;
}

static void graph_free(struct graph *g) {
  if (!g)
    return;
  ts_free(g->x);
  if (g->e)
    ts_free(g->e);
  free(g);
}

static void graph_clear(struct graph *g) {
  if (g == NULL)
    return;
  ts_free(g->x);
  g->x = NULL;
}

// --- Bugs ------------------------------------------------------------------

void alias_used_after_teardown(void) {
  struct model m;
  model_init(&m);
  ts_tensor *w = m.w;
  model_free(&m); // expected-note {{freed here}}
  (void)ts_numel(w); // expected-warning {{use of a tensor after it was freed}}
}

void alias_freed_after_teardown(void) {
  struct model m;
  if (model_init(&m) != 0)
    return;
  ts_tensor *b = m.b;
  model_free(&m); // expected-note {{freed here}}
  ts_free(b); // expected-warning {{tensor freed or released again after it was freed}}
}

void alias_of_one_field(void) {
  struct model m;
  model_init(&m);
  ts_tensor *w = m.w;
  model_free_w(&m); // expected-note {{freed here}}
  ts_tensor *y = ts_neg(w); // expected-warning {{use of a tensor after it was freed}}
  ts_free(y);
}

void alias_after_guarded_teardown(void) {
  struct model m;
  model_init(&m);
  ts_tensor *w = m.w;
  model_release(&m); // expected-note {{freed here}}
  (void)ts_numel(w); // expected-warning {{use of a tensor after it was freed}}
}

void alias_two_deep(void) {
  struct outer o;
  o.id = 1;
  model_init(&o.m);
  ts_tensor *b = o.m.b;
  outer_free(&o); // expected-note {{freed here}}
  (void)ts_numel(b); // expected-warning {{use of a tensor after it was freed}}
}

void alias_after_guarded_destroy(void) {
  struct graph *g = graph_new();
  if (!g)
    return;
  ts_tensor *x = g->x;
  graph_free(g); // expected-note {{freed here}}
  (void)ts_numel(x); // expected-warning {{use of a tensor after it was freed}}
}

void alias_after_guarded_clear(void) {
  struct graph g = {0};
  g.x = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *x = g.x;
  graph_clear(&g); // expected-note {{freed here}}
  ts_free(x); // expected-warning {{tensor freed or released again after it was freed}}
}

// --- Correct ---------------------------------------------------------------

void reread_after_teardown(void) {
  struct model m;
  model_init(&m);
  ts_tensor *w = m.w;
  (void)ts_numel(w);
  model_free(&m);
  w = m.w; // NULL now.
  if (w)
    (void)ts_numel(w);
}

void helper_only_reads(void) {
  struct model m;
  model_init(&m);
  ts_tensor *w = m.w;
  (void)model_size(&m);
  (void)ts_numel(w);
  model_free(&m);
}

void other_field_freed(void) {
  struct model m;
  model_init(&m);
  ts_tensor *b = m.b;
  model_free_w(&m);
  (void)ts_numel(b);
  ts_free(b);
}

void freed_on_request(int all) {
  struct model m;
  model_init(&m);
  ts_tensor *w = m.w;
  model_drop(&m, all);
  if (!all)
    ts_free(w);
}

void alias_of_clone(void) {
  struct model m;
  model_init(&m);
  ts_tensor *w = ts_clone(m.w);
  model_free(&m);
  (void)ts_numel(w);
  ts_free(w);
}

void guarded_clear_other_field(void) {
  struct graph g = {0};
  g.x = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  g.e = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *e = g.e;
  graph_clear(&g);
  (void)ts_numel(e);
  ts_free(e);
}

