// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// An init that fails (returns a nonzero constant) after freeing some of
// the tensors it put in *param without clearing their fields: the caller
// cannot tear the struct down, so what else it made there leaks
// (FailureCleanup.cpp). Its callers' failure paths stay silent. Also:
// tensors stored through a local pointer outlive it, and a helper that
// returns a tensor it also left in the caller's memory lends it.
#include <stdbool.h>
#include <stddef.h>
#include <tsmem.h>

struct enc {
  ts_tensor *w, *b, *g;
};

static ts_tensor *param(int64_t n) { return ts_randn(TS_SHAPE(n), TS_FLOAT32); }

static void enc_free(struct enc *e) {
  ts_free(e->w);
  ts_free(e->b);
  ts_free(e->g);
}

// --- Bugs -----------------------------------------------------------------

// The gain fails: the bias is freed, the weight forgotten.
static int enc_init(struct enc *e, int64_t n) {
  e->w = param(n); // expected-note {{tensor made here, outside any scope}}
  e->b = param(1);
  e->g = NULL;
  if (n > 64) {
    ts_free(e->b);
    return 1; // expected-warning {{tensor from 'param' leaks: the function ends without freeing it}}
  }
  e->g = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  return 0;
}

// A goto chain that skips one free.
static int enc_init_chain(struct enc *e, int64_t n) {
  e->w = ts_zeros(TS_SHAPE(n), TS_FLOAT32);
  if (!e->w)
    return -1;
  e->b = ts_zeros(TS_SHAPE(1), TS_FLOAT32); // expected-note {{tensor made here, outside any scope}}
  if (!e->b)
    goto undo_w;
  e->g = ts_zeros(TS_SHAPE(n), TS_FLOAT32);
  if (!e->g)
    goto undo_w;
  return 0;
undo_w:
  ts_free(e->w);
  return -2; // expected-warning {{tensor from 'ts_zeros' leaks: the function ends without freeing it}}
}

// --- Correct --------------------------------------------------------------

void caller_gives_up(int64_t n) {
  struct enc e;
  if (enc_init(&e, n) != 0)
    return;
  enc_free(&e);
}

// Cleans up by clearing the fields: a caller may tear it down.
static int enc_init_cleared(struct enc *e, int64_t n) {
  e->w = param(n);
  e->b = param(1);
  e->g = NULL;
  if (n > 64) {
    ts_free(e->b);
    e->b = NULL;
    return 1;
  }
  e->g = param(n);
  return 0;
}

// Frees a scratch tensor on success: the others are the caller's.
static int enc_fit(struct enc *e, int64_t n) {
  e->w = param(n);
  e->b = param(1);
  e->g = param(n);
  ts_tensor *scratch = ts_mul(e->w, e->g);
  ts_free(e->g);
  e->g = scratch;
  return 0;
}

void callers_ok(int64_t n) {
  struct enc e;
  if (enc_init_cleared(&e, n) != 0) {
    enc_free(&e);
    return;
  }
  enc_free(&e);
  struct enc f;
  enc_fit(&f, n);
  enc_free(&f);
}

struct node {
  ts_tensor *feat;
};

// Through a local pointer: the nodes outlive it.
void relu_nodes(struct node **nodes, int n) {
  for (int i = 0; i < n; i++) {
    struct node *nd = nodes[i];
    ts_tensor *h = ts_relu(nd->feat);
    ts_free(nd->feat);
    nd->feat = h;
  }
}

void relu_nodes_scoped(struct node **nodes, int n) {
  TS_SCOPE for (int i = 0; i < n; i++) {
    struct node *nd = nodes[i];
    ts_tensor *h = ts_relu(nd->feat);
    ts_free(nd->feat);
    nd->feat = ts_keep(ts_neg(h));
  }
}

struct job {
  const ts_tensor *in;
  ts_tensor *out;
};

// Returns the tensor it also leaves in the job: the caller frees job.out.
static void *job_run(void *arg) {
  struct job *j = arg;
  j->out = ts_escape(ts_relu(j->in));
  return j->out;
}

void run_job(const ts_tensor *x) {
  struct job j = {x, NULL};
  ts_run(job_run, &j);
  ts_free(j.out);
}

struct cache {
  ts_tensor *t;
};

static ts_tensor *cache_fill(struct cache *c) {
  c->t = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  return c->t;
}

double use_cache(void) {
  struct cache c;
  double v = ts_item(cache_fill(&c));
  ts_free(c.t);
  return v;
}

// A helper whose own scope is a guard or a TS_SCOPE block returns what it
// escaped out of it: the caller's.
static ts_tensor *guarded_neg(const ts_tensor *x) {
  TS_SCOPE_GUARD();
  ts_tensor *h = ts_relu(x);
  return ts_escape(ts_neg(h));
}

static ts_tensor *block_abs(const ts_tensor *x) {
  ts_tensor *r = NULL;
  TS_SCOPE {
    ts_tensor *h = ts_relu(x);
    r = ts_escape(ts_neg(h));
  }
  return r;
}

int guarded_result_lost(const ts_tensor *x) {
  ts_tensor *g = guarded_neg(x); // expected-note {{tensor made here, outside any scope}}
  if (ts_numel(g) > 2)
    return 1; // expected-warning {{tensor from 'guarded_neg' leaks}}
  ts_free(g);
  return 0;
}

double block_result_freed(const ts_tensor *x) {
  ts_tensor *a = block_abs(x);
  double v = ts_item(a);
  ts_free(a);
  TS_SCOPE {
    ts_tensor *b = block_abs(x); // the scope's
    v += ts_item(b);
  }
  return v;
}

void block_result_lost(const ts_tensor *x) {
  ts_tensor *a = block_abs(x); // expected-note {{tensor made here, outside any scope}}
  ts_numel(a);
} // expected-warning {{tensor from 'block_abs' leaks}}
