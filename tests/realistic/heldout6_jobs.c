/* heldout6_jobs.c - a small job queue: jobs run through ts_run, results
 * handed back to the submitter, long-lived sessions in async scopes,
 * scratch tensors from a shared pool, and completion callbacks. */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>

typedef struct jq_job {
  int id;
  int size;
  ts_tensor *input;  /* owned by the job */
  ts_tensor *result; /* set by the worker, owned by the job afterwards */
  ts_pool *pool;
  int failed;
} jq_job;

typedef struct {
  jq_job *jobs;
  int n, cap;
} jq_queue;

typedef struct {
  ts_async_scope *scope;
  ts_tensor *acc; /* owned by the session's scope */
  int steps;
} jq_session;

typedef void (*jq_done_cb)(jq_job *j, void *ctx);

// OK: a queue of jobs, each owning its input
static int jq_submit(jq_queue *q, int size, ts_pool *pool) {
  if (q->n == q->cap) {
    int cap = q->cap ? q->cap * 2 : 2;
    jq_job *jobs = realloc(q->jobs, (size_t)cap * sizeof *jobs);
    if (!jobs)
      return -1;
    q->jobs = jobs;
    q->cap = cap;
  }
  jq_job *j = &q->jobs[q->n];
  j->input = ts_randn(TS_SHAPE(size, size), TS_FLOAT32);
  if (!j->input)
    return -1;
  j->id = q->n++;
  j->size = size;
  j->result = NULL;
  j->pool = pool;
  j->failed = 0;
  return 0;
}

// OK: frees each job's input and result, then the array
static void jq_destroy(jq_queue *q) {
  for (int i = 0; i < q->n; i++) {
    ts_free(q->jobs[i].input);
    if (q->jobs[i].result)
      ts_free(q->jobs[i].result);
  }
  free(q->jobs);
  q->jobs = NULL;
  q->n = q->cap = 0;
}

// OK: the worker stores an escaped result in the job
static void *jq_work_gram(void *ctx) {
  jq_job *j = ctx;
  ts_tensor *g = ts_matmul(ts_transpose(j->input, 0, 1), j->input);
  j->result = ts_escape(ts_tanh(g));
  return j->result;
}

// BUG: use-after-scope: the worker stores its result without escaping it
static void *jq_work_gram_noescape(void *ctx) {
  jq_job *j = ctx;
  ts_tensor *g = ts_matmul(ts_transpose(j->input, 0, 1), j->input);
  j->result = ts_tanh(g); // <- BUG
  return NULL;
}

// OK: runs every job; reads the stored results
void jq_run_all(void) {
  jq_queue q = {0};
  for (int s = 2; s <= 4; s++)
    if (jq_submit(&q, s, NULL) != 0)
      break;
  for (int i = 0; i < q.n; i++)
    ts_run(jq_work_gram, &q.jobs[i]);
  TS_SCOPE {
    for (int i = 0; i < q.n; i++)
      printf("jobs: %d -> %.3f\n", q.jobs[i].id, ts_item(ts_mean(q.jobs[i].result)));
  }
  jq_destroy(&q);
}

// OK: the noescape worker's result is read after ts_run returned
void jq_run_noescape(void) {
  jq_queue q = {0};
  jq_submit(&q, 3, NULL);
  ts_run(jq_work_gram_noescape, &q.jobs[0]);
  TS_SCOPE { printf("jobs: %.3f\n", ts_item(ts_mean(q.jobs[0].result))); }
  jq_destroy(&q);
}

// OK: a worker that returns its escaped result; the submitter owns it
static void *jq_work_norm(void *ctx) {
  const ts_tensor *x = ctx;
  ts_tensor *n = ts_sum(ts_mul(x, x));
  return ts_escape(n);
}

// OK: results returned through ts_run are freed by the submitter
void jq_returned_results(void) {
  ts_tensor *xs[3];
  for (int i = 0; i < 3; i++)
    xs[i] = ts_full(TS_SHAPE(2, 2), TS_FLOAT32, i + 1);
  double total = 0;
  for (int i = 0; i < 3; i++) {
    ts_tensor *r = ts_run(jq_work_norm, xs[i]);
    total += ts_item(r);
    ts_free(r);
  }
  printf("jobs: total %.1f\n", total);
  for (int i = 0; i < 3; i++)
    ts_free(xs[i]);
}

// BUG: leak: the returned result of the second job is never freed
void jq_returned_leak(void) {
  ts_tensor *x = ts_full(TS_SHAPE(2, 2), TS_FLOAT32, 2.0);
  ts_tensor *a = ts_run(jq_work_norm, x);
  ts_tensor *b = ts_run(jq_work_norm, x); // <- BUG
  printf("jobs: %.1f %.1f\n", ts_item(a), ts_item(b));
  ts_free(a);
  ts_free(x);
}

// BUG: unescaped-return: the worker returns a tensor owned by ts_run's scope
static void *jq_work_trace(void *ctx) {
  const ts_tensor *x = ctx;
  return ts_sum(x); // <- BUG
}

// OK: reads the unescaped result (the worker's bug)
void jq_trace_job(void) {
  ts_tensor *x = ts_ones(TS_SHAPE(3, 3), TS_FLOAT32);
  ts_tensor *r = ts_run(jq_work_trace, x);
  printf("jobs: trace %.1f\n", ts_item(r));
  ts_free(x);
}

// OK: scratch from the job's pool, released before the escaped result is stored
static void *jq_work_pooled(void *ctx) {
  jq_job *j = ctx;
  ts_tensor *scratch = ts_pool_acquire(j->pool, TS_SHAPE(j->size, j->size), TS_FLOAT32);
  if (!scratch)
    scratch = ts_zeros(TS_SHAPE(j->size, j->size), TS_FLOAT32);
  ts_tensor *r = ts_add(scratch, j->input);
  ts_pool_release(j->pool, scratch);
  j->result = ts_escape(ts_relu(r));
  return NULL;
}

// OK: pooled jobs; the pool outlives the queue
void jq_pooled_jobs(void) {
  ts_pool *pool = ts_pool_new(4);
  jq_queue q = {0};
  for (int i = 0; i < 4; i++)
    jq_submit(&q, 2 + i % 2, pool);
  for (int i = 0; i < q.n; i++)
    ts_run(jq_work_pooled, &q.jobs[i]);
  printf("jobs: pool size %zu\n", ts_pool_get_stats(pool).size);
  jq_destroy(&q);
  ts_pool_destroy(pool);
}

// BUG: double-free: the scratch is released to the pool and freed as well on the failure path
static void *jq_work_pooled_fail(void *ctx) {
  jq_job *j = ctx;
  ts_tensor *scratch = ts_pool_acquire(j->pool, TS_SHAPE(j->size, j->size), TS_FLOAT32);
  if (!scratch)
    scratch = ts_zeros(TS_SHAPE(j->size, j->size), TS_FLOAT32);
  ts_pool_release(j->pool, scratch);
  if (j->size > 2) {
    j->failed = 1;
    ts_free(scratch); // <- BUG
    return NULL;
  }
  j->result = ts_escape(ts_clone(j->input));
  return NULL;
}

// OK: drives the failing pooled worker
void jq_pooled_failure(void) {
  ts_pool *pool = ts_pool_new(4);
  jq_queue q = {0};
  jq_submit(&q, 3, pool);
  ts_run(jq_work_pooled_fail, &q.jobs[0]);
  jq_destroy(&q);
  ts_pool_destroy(pool);
}

// OK: a session in an async scope; each step's temporaries in a nested scope
static int jq_session_open(jq_session *s) {
  s->scope = ts_async_scope_begin();
  if (!s->scope)
    return -1;
  ts_async_scope_enter(s->scope);
  s->acc = ts_zeros(TS_SHAPE(2, 2), TS_FLOAT32);
  ts_async_scope_leave(s->scope);
  s->steps = 0;
  return 0;
}

// OK: one accumulation step; the new accumulator escapes into the session scope
static void jq_session_step(jq_session *s, double v) {
  ts_async_scope_enter(s->scope);
  TS_SCOPE {
    ts_tensor *add = ts_full(TS_SHAPE(2, 2), TS_FLOAT32, v);
    ts_tensor *next = ts_add(s->acc, add);
    ts_free(s->acc);
    s->acc = ts_escape(next);
  }
  ts_async_scope_leave(s->scope);
  s->steps++;
}

// OK: ends the session, freeing what it owns
static void jq_session_close(jq_session *s) {
  ts_async_scope_end(s->scope);
  s->scope = NULL;
  s->acc = NULL;
}

// OK: a full session lifecycle, the result read before closing
void jq_session_life(void) {
  jq_session s;
  if (jq_session_open(&s) != 0)
    return;
  for (int i = 0; i < 3; i++)
    jq_session_step(&s, 0.5 * i);
  TS_SCOPE { printf("jobs: session %.2f\n", ts_item(ts_mean(s.acc))); }
  jq_session_close(&s);
}

// BUG: use-after-scope: the accumulator is read after the session scope ended
void jq_session_read_late(void) {
  jq_session s;
  if (jq_session_open(&s) != 0)
    return;
  jq_session_step(&s, 1.0);
  ts_tensor *acc = s.acc;
  ts_async_scope_end(s.scope);
  TS_SCOPE { printf("jobs: %.2f\n", ts_item(ts_mean(acc))); } // <- BUG
}

// OK: the result is kept out of the session scope before it ends
void jq_session_keep_result(void) {
  jq_session s;
  if (jq_session_open(&s) != 0)
    return;
  jq_session_step(&s, 1.0);
  ts_async_scope_enter(s.scope);
  ts_tensor *acc = ts_keep(s.acc);
  ts_async_scope_leave(s.scope);
  jq_session_close(&s);
  TS_SCOPE { printf("jobs: kept %.2f\n", ts_item(ts_mean(acc))); }
  ts_free(acc);
}

// BUG: leak: a step made outside the session scope is manual, and closing the session does not free it
void jq_session_outside(void) {
  jq_session s;
  if (jq_session_open(&s) != 0)
    return;
  ts_tensor *extra = ts_ones(TS_SHAPE(2, 2), TS_FLOAT32);
  ts_tensor *sum = ts_add(s.acc, extra); // <- BUG
  ts_free(extra);
  s.acc = sum;
  jq_session_close(&s);
}

static int jq_done_count;

// OK: the completion callback frees the job's result it was handed
static void jq_on_done_free(jq_job *j, void *ctx) {
  (void)ctx;
  jq_done_count++;
  if (j->result) {
    ts_free(j->result);
    j->result = NULL;
  }
}

// BUG: double-free: the callback frees the result but leaves it in the job
static void jq_on_done_free_stale(jq_job *j, void *ctx) {
  (void)ctx;
  jq_done_count++;
  if (j->result)
    ts_free(j->result); // <- BUG
}

// OK: runs the jobs and the callback for each
static void jq_drain(jq_queue *q, jq_done_cb cb, void *ctx) {
  for (int i = 0; i < q->n; i++) {
    ts_run(jq_work_gram, &q->jobs[i]);
    cb(&q->jobs[i], ctx);
  }
}

// OK: drain with the freeing callback, then the queue teardown
void jq_drain_callbacks(void) {
  jq_queue q = {0};
  jq_submit(&q, 2, NULL);
  jq_submit(&q, 3, NULL);
  jq_drain(&q, jq_on_done_free, NULL);
  printf("jobs: %d done\n", jq_done_count);
  jq_destroy(&q);
}

// OK: drain with the stale-leaving callback (its bug), then the teardown
void jq_drain_callbacks_stale(void) {
  jq_queue q = {0};
  jq_submit(&q, 2, NULL);
  jq_drain(&q, jq_on_done_free_stale, NULL);
  jq_destroy(&q);
}

// BUG: leak: a job that fails submission leaves the tensor it made alive
static int jq_submit_checked(jq_queue *q, int size) {
  ts_tensor *in = ts_randn(TS_SHAPE(size, size), TS_FLOAT32); // <- BUG
  if (size > 8)
    return -1;
  if (jq_submit(q, size, NULL) != 0)
    return -1;
  ts_free(q->jobs[q->n - 1].input);
  q->jobs[q->n - 1].input = in;
  return 0;
}

// OK: drives the checked submit with an oversize job
void jq_submit_oversize(void) {
  jq_queue q = {0};
  jq_submit_checked(&q, 2);
  if (jq_submit_checked(&q, 9) != 0)
    printf("jobs: refused\n");
  jq_destroy(&q);
}

// BUG: use-after-free: the queue is destroyed, then a job's input read for the log
void jq_log_after_destroy(void) {
  jq_queue q = {0};
  jq_submit(&q, 2, NULL);
  ts_tensor *first = q.jobs[0].input;
  jq_destroy(&q);
  printf("jobs: first numel %lld\n", (long long)ts_numel(first)); // <- BUG
}

// OK: nested ts_run: the inner result escapes twice to reach the caller
static void *jq_inner(void *ctx) {
  const ts_tensor *x = ctx;
  return ts_escape(ts_mul_scalar(x, 3.0));
}

// OK: the outer job escapes the inner result once more
static void *jq_outer(void *ctx) {
  ts_tensor *r = ts_run(jq_inner, ctx);
  ts_tensor *r2 = ts_add_scalar(r, 1.0);
  return ts_escape(r2);
}

// OK: the caller of nested jobs frees the result
void jq_nested_run(void) {
  ts_tensor *x = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *r = ts_run(jq_outer, x);
  TS_SCOPE { printf("jobs: nested %.1f\n", ts_item(ts_sum(r))); }
  ts_free(r);
  ts_free(x);
}
