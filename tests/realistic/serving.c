/*
 * serving.c - an inference server's request handlers run through ts_run,
 * and sessions that resume later in async scopes.
 *
 * Labels (see README.md): `// OK: why` or `// BUG: check: why` on the line
 * before each function; the line of the bug itself ends in `// <- BUG`.
 */
#include <stdio.h>
#include <tsmem.h>

enum { IN = 4, OUT = 3 };

typedef struct {
  const ts_tensor *weights;
  const float *input;
  double score;
  ts_tensor *result; /* set by handlers that hand a tensor back */
} request;

static const float sample[IN] = {0.5f, -1.0f, 2.0f, 0.25f};

// OK: a ts_run handler that computes a score; everything dies with the run's
// scope
static void *handle_score(void *ctx) {
  request *r = ctx;
  ts_tensor *x = ts_from_buffer(r->input, TS_SHAPE(1, IN), TS_FLOAT32);
  ts_tensor *logits = ts_matmul(x, r->weights);
  r->score = ts_item(ts_sum(ts_softmax(logits, 1)));
  return NULL;
}

// BUG: unescaped-return: the handler returns its probabilities out of the run's
// scope
static void *handle_probs(void *ctx) {
  request *r = ctx;
  ts_tensor *x = ts_from_buffer(r->input, TS_SHAPE(1, IN), TS_FLOAT32);
  ts_tensor *p = ts_softmax(ts_matmul(x, r->weights), 1);
  return p; // <- BUG
}

// OK: the handler escapes the probabilities it returns
static void *handle_probs_ok(void *ctx) {
  request *r = ctx;
  ts_tensor *x = ts_from_buffer(r->input, TS_SHAPE(1, IN), TS_FLOAT32);
  ts_tensor *p = ts_softmax(ts_matmul(x, r->weights), 1);
  return ts_escape(p);
}

// OK: the handler stores an escaped result in the request; the caller frees it
static void *handle_store(void *ctx) {
  request *r = ctx;
  ts_tensor *x = ts_from_buffer(r->input, TS_SHAPE(1, IN), TS_FLOAT32);
  r->result = ts_escape(ts_matmul(x, r->weights));
  return NULL;
}

// OK: serves one request with the scoring handler
void serve_score(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  request r = {w, sample, 0, NULL};
  ts_run(handle_score, &r);
  printf("score %f\n", r.score);
  ts_free(w);
}

// OK: serves with the faulty handler and frees what comes back (the bug is the
// handler's)
void serve_probs(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  request r = {w, sample, 0, NULL};
  ts_tensor *p = ts_run(handle_probs, &r);
  printf("probs %lld\n", (long long)ts_numel(p));
  ts_free(p);
  ts_free(w);
}

// OK: serves with the escaping handler and frees the probabilities
void serve_probs_ok(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  request r = {w, sample, 0, NULL};
  ts_tensor *p = ts_run(handle_probs_ok, &r);
  printf("probs %lld\n", (long long)ts_numel(p));
  ts_free(p);
  ts_free(w);
}

// BUG: leak: the escaped probabilities are printed and dropped
void serve_probs_leak(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  request r = {w, sample, 0, NULL};
  ts_tensor *p = ts_run(handle_probs_ok, &r); // <- BUG
  printf("probs %lld\n", (long long)ts_numel(p));
  ts_free(w);
}

// OK: serves with the storing handler and frees the stored result
void serve_store(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  request r = {w, sample, 0, NULL};
  ts_run(handle_store, &r);
  printf("result %lld\n", (long long)ts_numel(r.result));
  ts_free(r.result);
  ts_free(w);
}

// BUG: leak: the result the handler stored in the request is never freed
void serve_store_leak(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  request r = {w, sample, 0, NULL};
  ts_run(handle_store, &r);
  printf("result %lld\n", (long long)ts_numel(r.result));
  ts_free(w);
} // <- BUG

// BUG: use-after-scope: a result stored in a request struct inside a manual
// scope is read after the scope ends
void serve_store_scoped(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  request r = {w, sample, 0, NULL};
  ts_scope_id s = ts_scope_begin();
  r.result = ts_matmul(ts_from_buffer(sample, TS_SHAPE(1, IN), TS_FLOAT32), w);
  ts_scope_end(s);
  printf("result %lld\n", (long long)ts_numel(r.result)); // <- BUG
  ts_free(w);
}

// OK: a batch of requests served in a loop, each with its own run
void serve_batch(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  double total = 0;
  for (int i = 0; i < 3; i++) {
    request r = {w, sample, 0, NULL};
    ts_run(handle_score, &r);
    total += r.score;
  }
  printf("total %f\n", total);
  ts_free(w);
}

// BUG: use-after-free: the model weights are unloaded before the last request
void serve_after_unload(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  request r = {w, sample, 0, NULL};
  ts_run(handle_score, &r);
  ts_free(w);
  ts_tensor *x = ts_from_buffer(sample, TS_SHAPE(1, IN), TS_FLOAT32);
  ts_tensor *y = ts_matmul(x, w); // <- BUG
  ts_free(y);
  ts_free(x);
}

typedef struct {
  ts_async_scope *scope;
  ts_tensor *state;
} session;

// OK: opens a session; its state belongs to the async scope
static int session_open(session *s) {
  s->scope = ts_async_scope_begin();
  if (!s->scope)
    return -1;
  ts_async_scope_enter(s->scope);
  s->state = ts_zeros(TS_SHAPE(1, OUT), TS_FLOAT32);
  ts_async_scope_leave(s->scope);
  return 0;
}

// OK: a session step made inside the async scope; the new state replaces the
// old
static void session_step(session *s, const ts_tensor *w) {
  ts_async_scope_enter(s->scope);
  ts_tensor *x = ts_from_buffer(sample, TS_SHAPE(1, IN), TS_FLOAT32);
  s->state = ts_add(s->state, ts_matmul(x, w));
  ts_async_scope_leave(s->scope);
}

// OK: a session that resumes twice and ends, reading its state before the end
void serve_session(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  session s;
  if (session_open(&s) != 0) {
    ts_free(w);
    return;
  }
  session_step(&s, w);
  session_step(&s, w);
  printf("state %lld\n", (long long)ts_numel(s.state));
  ts_async_scope_end(s.scope);
  ts_free(w);
}

// BUG: use-after-scope: the session's state is read after its async scope ended
void serve_session_after_end(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  session s;
  if (session_open(&s) != 0) {
    ts_free(w);
    return;
  }
  session_step(&s, w);
  ts_async_scope_end(s.scope);
  printf("state %lld\n", (long long)ts_numel(s.state)); // <- BUG
  ts_free(w);
}

// OK: a tensor made between enter and leave, cloned out before the end and kept
void serve_async_keep(void) {
  ts_async_scope *a = ts_async_scope_begin();
  ts_async_scope_enter(a);
  ts_tensor *t = ts_ones(TS_SHAPE(2, 2), TS_FLOAT32);
  ts_tensor *k = ts_keep(ts_clone(t));
  ts_async_scope_leave(a);
  ts_async_scope_end(a);
  printf("kept %lld\n", (long long)ts_numel(k));
  ts_free(k);
}

// BUG: use-after-scope: a local tensor made in the async scope is used after
// ts_async_scope_end
void serve_async_local(void) {
  ts_async_scope *a = ts_async_scope_begin();
  ts_async_scope_enter(a);
  ts_tensor *t = ts_ones(TS_SHAPE(2, 2), TS_FLOAT32);
  ts_async_scope_leave(a);
  ts_async_scope_end(a);
  printf("t %lld\n", (long long)ts_numel(t)); // <- BUG
}

// BUG: leak: a tensor made after leaving the async scope is manual and never
// freed
void serve_async_outside(void) {
  ts_async_scope *a = ts_async_scope_begin();
  ts_async_scope_enter(a);
  ts_tensor *t = ts_ones(TS_SHAPE(2, 2), TS_FLOAT32);
  ts_async_scope_leave(a);
  ts_tensor *u = ts_mul_scalar(t, 3.0); // <- BUG
  printf("u %lld\n", (long long)ts_numel(u));
  ts_async_scope_end(a);
}

// OK: the tensor made after leaving the async scope is manual and freed
void serve_async_outside_ok(void) {
  ts_async_scope *a = ts_async_scope_begin();
  ts_async_scope_enter(a);
  ts_tensor *t = ts_ones(TS_SHAPE(2, 2), TS_FLOAT32);
  ts_async_scope_leave(a);
  ts_tensor *u = ts_mul_scalar(t, 3.0);
  printf("u %lld\n", (long long)ts_numel(u));
  ts_free(u);
  ts_async_scope_end(a);
}

// BUG: use-after-free: the probabilities returned by ts_run are read after they
// were freed
void serve_probs_after_free(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  request r = {w, sample, 0, NULL};
  ts_tensor *p = ts_run(handle_probs_ok, &r);
  ts_free(p);
  printf("probs %lld\n", (long long)ts_numel(p)); // <- BUG
  ts_free(w);
}
