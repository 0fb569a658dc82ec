/* heldout3_server.c - a streaming inference server in one thread: requests
 * handled through ts_run, a tick loop with a scope per tick, scratch
 * buffers from a pool, a cache of buffers keyed by shape, and client
 * sessions whose state lives in async scopes between requests.
 * Labels: tests/realistic/README.md. */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { DIN = 8, DOUT = 4, NCACHE = 4 };

struct server {
  ts_tensor *weight; /* [DIN,DOUT] */
  ts_pool *pool;
  long served;
};

struct request {
  int id;
  int64_t rows;
  ts_tensor *input;  /* owned by the request */
  ts_tensor *result; /* owned by the request once set */
  int status;
};

struct handle_ctx {
  const struct server *srv;
  struct request *req;
};

struct cache_entry {
  int64_t rows;
  ts_tensor *buf;
};

struct session {
  ts_async_scope *scope;
  ts_tensor *state; /* [1,DOUT], owned by the scope */
  int steps;
};

// OK: prints a sum in a guard scope
static void report(const char *what, const ts_tensor *t) {
  TS_SCOPE_GUARD();
  printf("%s %.4f\n", what, ts_item(ts_sum(t)));
}

// OK: the server's weight and pool
static int server_init(struct server *s) {
  s->weight = ts_randn(TS_SHAPE(DIN, DOUT), TS_FLOAT32);
  if (!s->weight)
    return -1;
  s->pool = ts_pool_new(4);
  if (!s->pool) {
    ts_free(s->weight);
    return -1;
  }
  s->served = 0;
  return 0;
}

// OK: tears the server down
static void server_free(struct server *s) {
  ts_pool_destroy(s->pool);
  ts_free(s->weight);
}

// OK: a request of `rows` random inputs
static void request_init(struct request *r, int id, int64_t rows) {
  r->id = id;
  r->rows = rows;
  r->input = rows > 0 ? ts_randn(TS_SHAPE(rows, DIN), TS_FLOAT32)
                      : ts_zeros(TS_SHAPE(0, DIN), TS_FLOAT32);
  r->result = NULL;
  r->status = 0;
}

// OK: frees what the request owns
static void request_free(struct request *r) {
  ts_free(r->input);
  if (r->result)
    ts_free(r->result);
}

// OK: the handler, run by ts_run: the result escapes into the request
static void *handle_job(void *p) {
  struct handle_ctx *c = p;
  ts_tensor *y = ts_matmul(c->req->input, c->srv->weight);
  ts_tensor *probs = ts_softmax(y, 1);
  c->req->result = ts_escape(probs);
  return NULL;
}

// OK: serves one request
void srv_one(void) {
  struct server s;
  if (server_init(&s) != 0)
    return;
  struct request r;
  request_init(&r, 1, 3);
  struct handle_ctx c = {&s, &r};
  ts_run(handle_job, &c);
  report("result", r.result);
  request_free(&r);
  server_free(&s);
}

// BUG: use-after-scope: the handler stores its result in the request
// without escaping it out of the run's scope
static void *handle_job_noescape(void *p) {
  struct handle_ctx *c = p;
  ts_tensor *y = ts_matmul(c->req->input, c->srv->weight);
  c->req->result = ts_relu(y); // <- BUG
  return NULL;
}

// OK: serves through the non-escaping handler (the handler is wrong)
void srv_noescape(void) {
  struct server s;
  if (server_init(&s) != 0)
    return;
  struct request r;
  request_init(&r, 2, 2);
  struct handle_ctx c = {&s, &r};
  ts_run(handle_job_noescape, &c);
  report("relu result", r.result);
  request_free(&r);
  server_free(&s);
}

// OK: a handler returning its scores through ts_run's result, escaped
static void *score_job(void *p) {
  struct handle_ctx *c = p;
  ts_tensor *y = ts_matmul(c->req->input, c->srv->weight);
  return ts_escape(ts_amax(y, TS_SHAPE(1), false));
}

// BUG: unescaped-return: the handler returns its scores out of the run's
// scope without ts_escape
static void *score_job_fast(void *p) {
  struct handle_ctx *c = p;
  ts_tensor *y = ts_matmul(c->req->input, c->srv->weight);
  return ts_argmax_dim(y, 1); // <- BUG
}

// OK: scores from both handlers (the fast one is wrong)
void srv_scores(void) {
  struct server s;
  if (server_init(&s) != 0)
    return;
  struct request r;
  request_init(&r, 3, 4);
  struct handle_ctx c = {&s, &r};
  ts_tensor *a = ts_run(score_job, &c);
  report("scores", a);
  ts_free(a);
  ts_tensor *b = ts_run(score_job_fast, &c);
  report("classes", b);
  ts_free(b);
  request_free(&r);
  server_free(&s);
}

// OK: the tick loop: a scope per tick; each result escapes the run into the
// tick, then out of the tick into the request
void srv_ticks(void) {
  struct server s;
  if (server_init(&s) != 0)
    return;
  struct request reqs[3];
  for (int i = 0; i < 3; i++)
    request_init(&reqs[i], 10 + i, i + 1);
  TS_SCOPE for (int t = 0; t < 3; t++) {
    struct handle_ctx c = {&s, &reqs[t]};
    ts_run(handle_job, &c);
    reqs[t].result = ts_escape(reqs[t].result);
    s.served++;
  }
  for (int i = 0; i < 3; i++) {
    report("tick result", reqs[i].result);
    request_free(&reqs[i]);
  }
  server_free(&s);
}

// BUG: use-after-scope: results escaped from the run only reach the tick's
// scope, and are read after the tick ended
void srv_ticks_one_escape(void) {
  struct server s;
  if (server_init(&s) != 0)
    return;
  struct request reqs[2];
  for (int i = 0; i < 2; i++)
    request_init(&reqs[i], 20 + i, 2);
  TS_SCOPE for (int t = 0; t < 2; t++) {
    struct handle_ctx c = {&s, &reqs[t]};
    ts_run(handle_job, &c);
  }
  report("first", reqs[0].result); // <- BUG
  for (int i = 0; i < 2; i++)
    request_free(&reqs[i]);
  server_free(&s);
}

// OK: a scratch buffer from the pool, or a new one on a miss
static ts_tensor *scratch(ts_pool *p, int64_t rows) {
  ts_tensor *b = ts_pool_acquire(p, TS_SHAPE(rows, DOUT), TS_FLOAT32);
  return b ? b : ts_empty(TS_SHAPE(rows, DOUT), TS_FLOAT32);
}

// OK: serves into a scratch buffer with out=; the scratch goes back to the
// pool on every path, the result is a copy
static int serve_pooled(struct server *s, struct request *r) {
  if (r->rows == 0) {
    r->status = -1;
    return -1;
  }
  ts_tensor *buf = scratch(s->pool, r->rows);
  ts_matmul_out(r->input, s->weight, buf);
  if (r->status != 0) {
    ts_pool_release(s->pool, buf);
    return -1;
  }
  r->result = ts_clone(buf);
  ts_pool_release(s->pool, buf);
  s->served++;
  return 0;
}

// OK: a stream of pooled requests, one of them empty
void srv_pooled(void) {
  struct server s;
  if (server_init(&s) != 0)
    return;
  for (int i = 0; i < 4; i++) {
    struct request r;
    request_init(&r, 30 + i, i == 2 ? 0 : 3);
    if (serve_pooled(&s, &r) == 0)
      report("pooled", r.result);
    request_free(&r);
  }
  ts_pool_stats st = ts_pool_get_stats(s.pool);
  printf("pool hits %llu\n", (unsigned long long)st.hit_count);
  server_free(&s);
}

// BUG: leak: a request rejected after its scratch was taken returns
// without giving the scratch back
static int serve_checked(struct server *s, struct request *r,
                         int64_t max_rows) {
  ts_tensor *buf = scratch(s->pool, r->rows); // <- BUG
  if (r->rows > max_rows) {
    r->status = -2;
    return -1;
  }
  ts_matmul_out(r->input, s->weight, buf);
  r->result = ts_clone(buf);
  ts_pool_release(s->pool, buf);
  return 0;
}

// OK: an oversized request (the helper leaks its scratch)
void srv_oversized(void) {
  struct server s;
  if (server_init(&s) != 0)
    return;
  struct request r;
  request_init(&r, 40, 6);
  if (serve_checked(&s, &r, 4) != 0)
    printf("rejected %d\n", r.id);
  request_free(&r);
  server_free(&s);
}

// BUG: use-after-free: the scratch goes back to the pool before the result
// is copied out of it
static int serve_early_release(struct server *s, struct request *r) {
  ts_tensor *buf = scratch(s->pool, r->rows);
  ts_matmul_out(r->input, s->weight, buf);
  ts_pool_release(s->pool, buf);
  r->result = ts_clone(buf); // <- BUG
  return 0;
}

// OK: drives the early release (the helper is wrong)
void srv_early_release(void) {
  struct server s;
  if (server_init(&s) != 0)
    return;
  struct request r;
  request_init(&r, 41, 2);
  serve_early_release(&s, &r);
  request_free(&r);
  server_free(&s);
}

// BUG: double-free: the retry path releases the scratch, then the common
// exit releases it again
static int serve_retry(struct server *s, struct request *r) {
  ts_tensor *buf = scratch(s->pool, r->rows);
  int tries = 0;
  while (tries < 2) {
    ts_matmul_out(r->input, s->weight, buf);
    ts_tensor *bad = ts_isnan(buf);
    ts_tensor *any = ts_any(bad);
    int nan = ts_item(any) != 0.0;
    ts_free(any);
    ts_free(bad);
    if (!nan || ++tries == 2) {
      ts_pool_release(s->pool, buf);
      break;
    }
  }
  r->result = NULL;
  ts_pool_release(s->pool, buf); // <- BUG
  return 0;
}

// OK: drives the retrying server (the helper releases twice)
void srv_retry(void) {
  struct server s;
  if (server_init(&s) != 0)
    return;
  struct request r;
  request_init(&r, 42, 2);
  serve_retry(&s, &r);
  request_free(&r);
  server_free(&s);
}

// OK: a buffer for `rows` rows, owned by the cache, borrowed by the caller
static ts_tensor *cache_get(struct cache_entry *c, int64_t rows) {
  int free_slot = -1;
  for (int i = 0; i < NCACHE; i++) {
    if (c[i].buf && c[i].rows == rows)
      return c[i].buf;
    if (!c[i].buf && free_slot < 0)
      free_slot = i;
  }
  if (free_slot < 0) {
    ts_free(c[0].buf);
    free_slot = 0;
  }
  c[free_slot].rows = rows;
  c[free_slot].buf = ts_zeros(TS_SHAPE(rows, DOUT), TS_FLOAT32);
  return c[free_slot].buf;
}

// OK: frees every cached buffer
static void cache_clear(struct cache_entry *c) {
  for (int i = 0; i < NCACHE; i++) {
    if (c[i].buf)
      ts_free(c[i].buf);
    c[i].buf = NULL;
  }
}

// OK: serves requests of a few shapes into cached buffers
void srv_cache(void) {
  struct server s;
  if (server_init(&s) != 0)
    return;
  struct cache_entry cache[NCACHE] = {{0, NULL}};
  const int64_t sizes[] = {2, 3, 2, 5, 6, 7, 3};
  for (int i = 0; i < 7; i++) {
    struct request r;
    request_init(&r, 50 + i, sizes[i]);
    ts_tensor *buf = cache_get(cache, r.rows);
    ts_matmul_out(r.input, s.weight, buf);
    report("cached", buf);
    request_free(&r);
  }
  cache_clear(cache);
  server_free(&s);
}

// BUG: use-after-free: a buffer borrowed from the cache is freed by a later
// lookup that evicts it, and is then read
void srv_cache_evicted(void) {
  struct server s;
  if (server_init(&s) != 0)
    return;
  struct cache_entry cache[NCACHE] = {{0, NULL}};
  ts_tensor *first = cache_get(cache, 1);
  for (int64_t rows = 2; rows < 2 + NCACHE; rows++)
    cache_get(cache, rows);
  report("first buffer", first); // <- BUG
  cache_clear(cache);
  server_free(&s);
}

// OK: a session: its state lives in its own async scope
static int session_open(struct session *ss) {
  ss->scope = ts_async_scope_begin();
  if (!ss->scope)
    return -1;
  ts_async_scope_enter(ss->scope);
  ss->state = ts_zeros(TS_SHAPE(1, DOUT), TS_FLOAT32);
  ts_async_scope_leave(ss->scope);
  ss->steps = 0;
  return 0;
}

// OK: one step: the new state is made in the session's scope, the
// temporaries in a nested scope, the old state freed
static void session_step(struct session *ss, const struct server *s,
                         const ts_tensor *x) {
  ts_async_scope_enter(ss->scope);
  TS_SCOPE {
    ts_tensor *y = ts_matmul(x, s->weight);
    ts_tensor *next = ts_add_Tensor(ss->state, y, 0.5);
    ts_tanh_(next);
    ts_free(ss->state);
    ss->state = ts_escape(next);
  }
  ts_async_scope_leave(ss->scope);
  ss->steps++;
}

// OK: ends the session, freeing its state with its scope
static void session_close(struct session *ss) {
  ts_async_scope_end(ss->scope);
  ss->scope = NULL;
  ss->state = NULL;
}

// OK: two interleaved sessions
void srv_sessions(void) {
  struct server s;
  if (server_init(&s) != 0)
    return;
  struct session a, b;
  if (session_open(&a) != 0) {
    server_free(&s);
    return;
  }
  if (session_open(&b) != 0) {
    session_close(&a);
    server_free(&s);
    return;
  }
  for (int t = 0; t < 3; t++) {
    ts_tensor *x = ts_randn(TS_SHAPE(1, DIN), TS_FLOAT32);
    session_step(&a, &s, x);
    session_step(t % 2 ? &b : &a, &s, x);
    ts_free(x);
  }
  report("session a", a.state);
  report("session b", b.state);
  session_close(&b);
  session_close(&a);
  server_free(&s);
}

// BUG: use-after-scope: the final state is read after the session's async
// scope ended
void srv_session_summary(void) {
  struct server s;
  if (server_init(&s) != 0)
    return;
  struct session a;
  if (session_open(&a) != 0) {
    server_free(&s);
    return;
  }
  ts_tensor *x = ts_randn(TS_SHAPE(1, DIN), TS_FLOAT32);
  session_step(&a, &s, x);
  ts_free(x);
  ts_tensor *final = a.state;
  ts_async_scope_end(a.scope);
  report("final state", final); // <- BUG
  server_free(&s);
}

// OK: the final state kept out of the session before its scope ends
void srv_session_keep(void) {
  struct server s;
  if (server_init(&s) != 0)
    return;
  struct session a;
  if (session_open(&a) != 0) {
    server_free(&s);
    return;
  }
  ts_tensor *x = ts_randn(TS_SHAPE(1, DIN), TS_FLOAT32);
  session_step(&a, &s, x);
  ts_free(x);
  ts_tensor *final = ts_clone(a.state);
  session_close(&a);
  report("kept state", final);
  ts_free(final);
  server_free(&s);
}

// BUG: leak: the shutdown command breaks out of the loop with the request
// just read still holding its input
void srv_loop_shutdown(void) {
  struct server s;
  if (server_init(&s) != 0)
    return;
  const int64_t stream[] = {2, 3, -1, 4};
  for (int i = 0; i < 4; i++) {
    struct request r;
    request_init(&r, 60 + i, stream[i] < 0 ? 1 : stream[i]); // <- BUG
    if (stream[i] < 0)
      break;
    struct handle_ctx c = {&s, &r};
    ts_run(handle_job, &c);
    report("stream", r.result);
    request_free(&r);
  }
  server_free(&s);
}

// BUG: leak: the request's result is not freed when its input is
void srv_result_leak(void) {
  struct server s;
  if (server_init(&s) != 0)
    return;
  struct request r;
  request_init(&r, 70, 2);
  struct handle_ctx c = {&s, &r};
  ts_run(handle_job, &c); // <- BUG
  report("result", r.result);
  ts_free(r.input);
  server_free(&s);
}

// BUG: double-free: the request is freed after a failed check and again by
// the common cleanup
void srv_request_twice(void) {
  struct server s;
  if (server_init(&s) != 0)
    return;
  struct request r;
  request_init(&r, 71, 0);
  if (serve_pooled(&s, &r) != 0)
    request_free(&r);
  request_free(&r); // <- BUG
  server_free(&s);
}

// BUG: use-after-free: the weight is freed with the server and the late
// request still uses it
void srv_late_request(void) {
  struct server s;
  if (server_init(&s) != 0)
    return;
  struct request r;
  request_init(&r, 72, 2);
  server_free(&s);
  struct handle_ctx c = {&s, &r};
  ts_run(handle_job, &c); // <- BUG
  request_free(&r);
}

// BUG: leak: the cached buffers are never cleared before the server goes
void srv_cache_leak(void) {
  struct server s;
  if (server_init(&s) != 0)
    return;
  struct cache_entry cache[NCACHE] = {{0, NULL}};
  ts_tensor *buf = cache_get(cache, 3); // <- BUG
  struct request r;
  request_init(&r, 73, 3);
  ts_matmul_out(r.input, s.weight, buf);
  report("cached", buf);
  request_free(&r);
  server_free(&s);
}

// BUG: double-free: a cached buffer is freed by the caller, then by the
// cache's clear
void srv_cache_caller_free(void) {
  struct server s;
  if (server_init(&s) != 0)
    return;
  struct cache_entry cache[NCACHE] = {{0, NULL}};
  ts_tensor *buf = cache_get(cache, 2);
  report("zeros", buf);
  ts_free(buf);
  cache_clear(cache); // <- BUG
  server_free(&s);
}
