/*
 * heldout_workers.c - a small inference service: worker threads that run
 * requests through ts_run, per-client sessions in async scopes, scratch
 * buffers from a tensor pool. Held-out corpus (README.md).
 *
 * Labels: `// OK: why` or `// BUG: check: why` before each function; the
 * line of the bug ends in `// <- BUG`.
 */
#include <pthread.h>
#include <stdio.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define IN 4
#define OUT 2
#define NREQ 3

struct request {
  const ts_tensor *weights; /* shared, read-only */
  double input_scale;
  double answer;       /* filled by the job */
  ts_tensor *features; /* filled by some jobs, the requester frees it */
};

struct session {
  ts_async_scope *scope; /* owns history between calls */
  ts_tensor *history;    /* [1, OUT] running sum */
  int calls;
};

// OK: everything it makes belongs to the scope ts_run opened; only a double
// leaves
static void *job_score(void *ctx) {
  struct request *rq = ctx;
  ts_tensor *x = ts_full(TS_SHAPE(1, IN), TS_FLOAT32, rq->input_scale);
  ts_tensor *y = ts_matmul(x, rq->weights);
  ts_tensor *p = ts_softmax(y, 1);
  rq->answer = ts_item(ts_amax(p, TS_SHAPE(1), false));
  return NULL;
}

// OK: a thread body: one request through ts_run on this thread
static void *worker_main(void *arg) {
  ts_run(job_score, arg);
  return NULL;
}

// OK: two threads score two requests; the shared weights are freed after
// both joined
void svc_threads(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  struct request rq[2] = {{w, 1.0, 0, NULL}, {w, 2.0, 0, NULL}};
  pthread_t th[2];
  for (int i = 0; i < 2; i++)
    pthread_create(&th[i], NULL, worker_main, &rq[i]);
  for (int i = 0; i < 2; i++)
    pthread_join(th[i], NULL);
  printf("%f %f\n", rq[0].answer, rq[1].answer);
  ts_free(w);
}

// BUG: unescaped-return: the embedding is returned from the ts_run job
// without ts_escape, so the job's scope frees it
static void *job_embed(void *ctx) {
  struct request *rq = ctx;
  ts_tensor *x = ts_full(TS_SHAPE(1, IN), TS_FLOAT32, rq->input_scale);
  ts_tensor *e = ts_matmul(x, rq->weights);
  return e; // <- BUG
}

// OK: reads and frees the embedding the job returns (the job forgot to
// escape it)
void svc_embed(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  struct request rq = {w, 0.5, 0, NULL};
  ts_tensor *e = ts_run(job_embed, &rq);
  printf("embedding %lld\n", (long long)ts_numel(e));
  ts_free(e);
  ts_free(w);
}

// OK: the job escapes the features into the request; the requester frees
// them
static void *job_features(void *ctx) {
  struct request *rq = ctx;
  ts_tensor *x = ts_full(TS_SHAPE(1, IN), TS_FLOAT32, rq->input_scale);
  ts_tensor *h = ts_matmul(x, rq->weights);
  rq->features = ts_escape(ts_tanh(h));
  return NULL;
}

// OK: three requests through ts_run; each escaped feature tensor is freed
void svc_features(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  struct request rq[NREQ];
  for (int i = 0; i < NREQ; i++) {
    rq[i] = (struct request){w, (double)i, 0, NULL};
    ts_run(job_features, &rq[i]);
  }
  for (int i = 0; i < NREQ; i++) {
    printf("%lld ", (long long)ts_numel(rq[i].features));
    ts_free(rq[i].features);
  }
  printf("\n");
  ts_free(w);
}

// BUG: leak: the escaped features of the single request are never freed
void svc_features_leak(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  struct request rq = {w, 3.0, 0, NULL};
  ts_run(job_features, &rq); // <- BUG
  printf("features %lld\n", (long long)ts_numel(rq.features));
  ts_free(w);
}

// OK: a session's history lives in its async scope
static int session_open(struct session *s) {
  s->scope = ts_async_scope_begin();
  if (!s->scope)
    return -1;
  ts_async_scope_enter(s->scope);
  s->history = ts_zeros(TS_SHAPE(1, OUT), TS_FLOAT32);
  ts_async_scope_leave(s->scope);
  s->calls = 0;
  return 0;
}

// OK: adds one request's output to the history; the old history and the
// temporaries stay in the async scope until it ends
static void session_call(struct session *s, const ts_tensor *w, double v) {
  ts_async_scope_enter(s->scope);
  ts_tensor *x = ts_full(TS_SHAPE(1, IN), TS_FLOAT32, v);
  ts_tensor *y = ts_matmul(x, w);
  s->history = ts_add(s->history, y);
  s->calls++;
  ts_async_scope_leave(s->scope);
}

// OK: ends the session's async scope, freeing all it owns
static void session_close(struct session *s) {
  ts_async_scope_end(s->scope);
  s->scope = NULL;
  s->history = NULL;
}

// OK: a session of three calls; the history is read before the close
void svc_session(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  struct session s;
  if (session_open(&s) != 0) {
    ts_free(w);
    return;
  }
  for (int i = 0; i < 3; i++)
    session_call(&s, w, 0.1 * i);
  printf("calls %d history %lld\n", s.calls, (long long)ts_numel(s.history));
  session_close(&s);
  ts_free(w);
}

// BUG: use-after-scope: the history is read through a copy of the pointer
// after the session's async scope ended
void svc_session_summary(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  struct session s;
  if (session_open(&s) != 0) {
    ts_free(w);
    return;
  }
  session_call(&s, w, 1.0);
  ts_tensor *hist = s.history;
  ts_async_scope_end(s.scope);
  printf("final history %lld\n", (long long)ts_numel(hist)); // <- BUG
  ts_free(w);
}

// OK: the history is cloned and kept before the async scope ends; the copy
// is freed by the caller
void svc_session_export(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  struct session s;
  if (session_open(&s) != 0) {
    ts_free(w);
    return;
  }
  session_call(&s, w, 1.0);
  ts_async_scope_enter(s.scope);
  ts_tensor *copy = ts_keep(ts_clone(s.history));
  ts_async_scope_leave(s.scope);
  session_close(&s);
  printf("exported %lld\n", (long long)ts_numel(copy));
  ts_free(copy);
  ts_free(w);
}

// OK: a pooled scratch buffer, made on a miss, released after use on every
// path
static double pool_scratch_sum(ts_pool *pool, double v) {
  ts_tensor *buf = ts_pool_acquire(pool, TS_SHAPE(IN, IN), TS_FLOAT32);
  if (!buf)
    buf = ts_empty(TS_SHAPE(IN, IN), TS_FLOAT32);
  ts_fill_Scalar_(buf, v);
  if (v < 0) {
    ts_pool_release(pool, buf);
    return 0.0;
  }
  ts_tensor *s = ts_sum(buf);
  double r = ts_item(s);
  ts_free(s);
  ts_pool_release(pool, buf);
  return r;
}

// OK: the scratch helper called on both of its paths, then the pool is
// destroyed
void svc_pool(void) {
  ts_pool *pool = ts_pool_new(4);
  double a = pool_scratch_sum(pool, 1.0);
  double b = pool_scratch_sum(pool, -1.0);
  double c = pool_scratch_sum(pool, 2.0);
  printf("%f %f %f\n", a, b, c);
  ts_pool_destroy(pool);
}

// BUG: use-after-free: the scratch buffer is released to the pool and then
// summed
void svc_pool_released(void) {
  ts_pool *pool = ts_pool_new(4);
  ts_tensor *buf = ts_pool_acquire(pool, TS_SHAPE(IN), TS_FLOAT32);
  if (!buf)
    buf = ts_ones(TS_SHAPE(IN), TS_FLOAT32);
  ts_pool_release(pool, buf);
  ts_tensor *s = ts_sum(buf); // <- BUG
  printf("%f\n", ts_item(s));
  ts_free(s);
  ts_pool_destroy(pool);
}

// BUG: double-free: a buffer released in the loop on the last round is
// released again after it
void svc_pool_twice(void) {
  ts_pool *pool = ts_global_pool();
  ts_tensor *buf = ts_ones(TS_SHAPE(OUT, OUT), TS_FLOAT32);
  for (int round = 0; round < 3; round++) {
    ts_mul_Scalar_(buf, 2.0);
    if (round == 2)
      ts_pool_release(pool, buf);
  }
  ts_pool_release(pool, buf); // <- BUG
}

// BUG: leak: on a short input the freshly made scratch buffer is neither
// released nor freed
static int pool_check_input(ts_pool *pool, int n) {
  ts_tensor *buf = ts_pool_acquire(pool, TS_SHAPE(IN), TS_FLOAT32);
  if (!buf)
    buf = ts_zeros(TS_SHAPE(IN), TS_FLOAT32); // <- BUG
  if (n < IN)
    return -1;
  ts_pool_release(pool, buf);
  return 0;
}

// OK: checks a short and a long input (the helper leaks on the short one)
void svc_pool_inputs(void) {
  ts_pool *pool = ts_pool_new(2);
  int a = pool_check_input(pool, 2);
  int b = pool_check_input(pool, 8);
  printf("%d %d\n", a, b);
  ts_pool_destroy(pool);
}

// OK: a pooled buffer acquired inside a scope is released before the scope
// ends
void svc_pool_scoped(void) {
  ts_pool *pool = ts_pool_new(2);
  float warm[IN] = {1, 2, 3, 4};
  ts_pool_release(pool, ts_from_buffer(warm, TS_SHAPE(IN), TS_FLOAT32));
  TS_SCOPE {
    ts_tensor *buf = ts_pool_acquire(pool, TS_SHAPE(IN), TS_FLOAT32);
    if (buf) {
      ts_tensor *m = ts_mean(buf);
      printf("pooled mean %f\n", ts_item(m));
      ts_pool_release(pool, buf);
    }
  }
  ts_pool_destroy(pool);
}
