// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A ts_run callback (or a TS_SCOPED function) storing a tensor of its own
// scope, not kept or escaped, into a field its struct owns (a teardown of
// the file frees it with another field): the scope frees the tensor on
// return and the field dangles (ScopedStores.cpp; issue 15, R9).
#include <tsmem.h>

struct model {
  ts_tensor *u;
  ts_tensor *v;
  ts_tensor *scratch;
};

struct job {
  const ts_tensor *x;
  struct model *m;
};

static void model_free(struct model *m) {
  ts_free(m->u);
  ts_free(m->v);
}

// Replaces an owned field with the run's tensor.
static void *update_nokeep(void *arg) { // expected-note {{the function body is the scope that owns it}}
  struct job *j = arg;
  ts_tensor *u = ts_relu(j->x);
  ts_free(j->m->u);
  j->m->u = u; // expected-warning {{[tsmem-use-after-scope]}}
  return NULL;
}

// One level deep, a pointer parameter of a TS_SCOPED function.
TS_SCOPED static void fill_v(struct model *m, const ts_tensor *x) { // expected-note {{the function body is the scope that owns it}}
  m->v = ts_neg(x); // expected-warning {{[tsmem-use-after-scope]}}
}

// Correct: kept out of the run's scope.
static void *update_keep(void *arg) {
  struct job *j = arg;
  ts_tensor *u = ts_relu(j->x);
  ts_free(j->m->u);
  j->m->u = ts_keep(u);
  return NULL;
}

// Correct: escaped to the caller's scope.
static void *update_escape(void *arg) {
  struct job *j = arg;
  j->m->v = ts_escape(ts_sigmoid(j->x));
  return NULL;
}

// Correct: a scratch field no teardown frees.
static void *update_scratch(void *arg) {
  struct job *j = arg;
  j->m->scratch = ts_relu(j->x);
  return NULL;
}

// Correct: not a scoped body, the tensor is the caller's scope's.
static void fill_plain(struct model *m, const ts_tensor *x) {
  ts_free(m->u);
  m->u = ts_neg(x);
}

// Correct: a local struct of the job's own.
static void *local_model(void *arg) {
  struct job *j = arg;
  struct model m = {ts_relu(j->x), ts_neg(j->x), NULL};
  m.u = ts_sigmoid(j->x);
  return NULL;
}

void drive(struct model *m, const ts_tensor *x) {
  struct job j = {x, m};
  ts_run(update_nokeep, &j);
  ts_run(update_keep, &j);
  ts_run(update_escape, &j);
  ts_run(update_scratch, &j);
  ts_run(local_model, &j);
  fill_v(m, x);
  fill_plain(m, x);
}
