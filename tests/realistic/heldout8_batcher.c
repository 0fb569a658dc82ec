/* heldout8_batcher.c - a dynamic request batcher for an inference service:
 * requests with input rows wait in a queue, are coalesced with ts_cat into
 * one batch, the model runs under ts_run, and result rows are split back
 * into the requests; cancelled and timed-out requests are reaped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define FIN 4
#define FOUT 2
#define QMAX 8

typedef enum { RQ_WAIT, RQ_DONE, RQ_CANCELLED } rq_state;

typedef struct {
  int id;
  rq_state st;
  int age;
  ts_tensor *in;  /* [1, FIN], the request's */
  ts_tensor *out; /* [1, FOUT] once done */
} request;

typedef struct {
  request *q[QMAX];
  int n;
  ts_tensor *w; /* [FIN, FOUT] model weights */
} batcher;

// OK: a request owning its input row
static request *rq_new(int id, double v) {
  request *r = calloc(1, sizeof *r);
  if (!r)
    return NULL;
  r->id = id;
  r->in = ts_full(TS_SHAPE(1, FIN), TS_FLOAT32, v);
  if (!r->in) {
    free(r);
    return NULL;
  }
  return r;
}

// OK: frees a request's tensors and the request
static void rq_free(request *r) {
  if (r->in)
    ts_free(r->in);
  if (r->out)
    ts_free(r->out);
  free(r);
}

// BUG: leak: the result row is not freed with the request
static void rq_free_input_only(request *r) {
  ts_free(r->in);
  free(r); // <- BUG
}

// OK: model weights
static int batcher_init(batcher *b) {
  memset(b, 0, sizeof *b);
  b->w = ts_randn(TS_SHAPE(FIN, FOUT), TS_FLOAT32);
  return b->w ? 0 : -1;
}

// OK: frees queued requests and the weights
static void batcher_fini(batcher *b) {
  for (int i = 0; i < b->n; i++)
    rq_free(b->q[i]);
  b->n = 0;
  ts_free(b->w);
}

// OK: enqueue; a full queue refuses and the caller keeps the request
static int enqueue(batcher *b, request *r) {
  if (b->n == QMAX)
    return -1;
  b->q[b->n++] = r;
  return 0;
}

typedef struct {
  const ts_tensor *x;
  const ts_tensor *w;
} model_ctx;

// OK: the model under ts_run; the output escapes
static void *model_job(void *p) {
  model_ctx *m = p;
  ts_tensor *h = ts_matmul(m->x, m->w);
  return ts_escape(ts_tanh(h));
}

// BUG: unescaped-return: the softmax output is returned without leaving ts_run's scope
static void *model_job_softmax(void *p) {
  model_ctx *m = p;
  ts_tensor *h = ts_matmul(m->x, m->w);
  ts_tensor *s = ts_softmax(h, 1);
  return s; // <- BUG
}

// OK: coalesces waiting rows, runs the model, splits the rows back
static int flush(batcher *b, void *(*job)(void *)) {
  const ts_tensor *rows[QMAX];
  request *who[QMAX];
  int k = 0;
  for (int i = 0; i < b->n; i++)
    if (b->q[i]->st == RQ_WAIT) {
      rows[k] = b->q[i]->in;
      who[k++] = b->q[i];
    }
  if (k == 0)
    return 0;
  ts_tensor *x = ts_cat(rows, k, 0);
  if (!x)
    return -1;
  model_ctx m = {x, b->w};
  ts_tensor *y = ts_run(job, &m);
  ts_free(x);
  if (!y)
    return -1;
  for (int i = 0; i < k; i++) {
    ts_tensor *row = ts_narrow(y, 0, i, 1);
    who[i]->out = row ? ts_clone(row) : NULL;
    if (row)
      ts_free(row);
    who[i]->st = RQ_DONE;
  }
  ts_free(y);
  return k;
}

// BUG: use-after-free: the batch output is freed before the rows are split off
static int flush_early_free(batcher *b) {
  const ts_tensor *rows[QMAX];
  int k = 0;
  for (int i = 0; i < b->n; i++)
    rows[k++] = b->q[i]->in;
  ts_tensor *x = ts_cat(rows, k, 0);
  model_ctx m = {x, b->w};
  ts_tensor *y = ts_run(model_job, &m);
  ts_free(x);
  ts_free(y);
  for (int i = 0; i < k; i++) {
    b->q[i]->out = ts_narrow(y, 0, i, 1); // <- BUG
    b->q[i]->st = RQ_DONE;
  }
  return k;
}

// BUG: leak: the concatenated batch is not freed when the model fails
static int flush_no_x_free(batcher *b) {
  const ts_tensor *rows[QMAX];
  int k = 0;
  for (int i = 0; i < b->n; i++)
    rows[k++] = b->q[i]->in;
  ts_tensor *x = ts_cat(rows, k, 0); // <- BUG
  model_ctx m = {x, b->w};
  ts_tensor *y = k > 1 ? ts_run(model_job, &m) : NULL;
  if (!y)
    return -1;
  ts_free(y);
  ts_free(x);
  return k;
}

// OK: reaps done and cancelled requests; done ones hand their output to the sink
static int reap(batcher *b, double *sink) {
  int w = 0, reaped = 0;
  for (int i = 0; i < b->n; i++) {
    request *r = b->q[i];
    if (r->st == RQ_WAIT) {
      r->age++;
      b->q[w++] = r;
      continue;
    }
    if (r->st == RQ_DONE && r->out) {
      ts_tensor *s = ts_sum(r->out);
      *sink += s ? ts_item(s) : 0.0;
      if (s)
        ts_free(s);
    }
    rq_free(r);
    reaped++;
  }
  b->n = w;
  return reaped;
}

// BUG: use-after-free: a reaped request's output is summed after rq_free
static int reap_late(batcher *b, double *sink) {
  int w = 0, reaped = 0;
  for (int i = 0; i < b->n; i++) {
    request *r = b->q[i];
    if (r->st == RQ_WAIT) {
      b->q[w++] = r;
      continue;
    }
    ts_tensor *out = r->out;
    rq_free(r);
    if (out) {
      ts_tensor *s = ts_sum(out); // <- BUG
      *sink += ts_item(s);
      ts_free(s);
    }
    reaped++;
  }
  b->n = w;
  return reaped;
}

// OK: cancels requests older than max_age; their inputs freed now
static void expire(batcher *b, int max_age) {
  for (int i = 0; i < b->n; i++) {
    request *r = b->q[i];
    if (r->st == RQ_WAIT && r->age > max_age) {
      r->st = RQ_CANCELLED;
      ts_free(r->in);
      r->in = NULL;
    }
  }
}

// BUG: double-free: the expired input is freed but the handle kept, so rq_free frees it again
static void expire_keep_handle(batcher *b, int max_age) {
  for (int i = 0; i < b->n; i++) {
    request *r = b->q[i];
    if (r->st == RQ_WAIT && r->age >= max_age) {
      r->st = RQ_CANCELLED;
      ts_free(r->in); // <- BUG
    }
  }
}

// OK: priority boost in a scope: the scaled input replaces the old one, kept
static void boost(request *r, double s) {
  TS_SCOPE {
    ts_tensor *x = ts_mul_scalar(r->in, s);
    ts_free(r->in);
    r->in = ts_keep(x);
  }
}

// BUG: use-after-scope: the boosted input is stored without ts_keep
static void boost_nokeep(request *r, double s) {
  TS_SCOPE {
    ts_tensor *x = ts_mul_scalar(r->in, s);
    ts_free(r->in);
    r->in = x;
  }
  printf("%lld\n", (long long)ts_numel(r->in)); // <- BUG
}

// OK: fills the queue with n requests
static int fill(batcher *b, int n) {
  for (int i = 0; i < n; i++) {
    request *r = rq_new(i, 0.1 * i);
    if (!r)
      return -1;
    if (enqueue(b, r) != 0) {
      rq_free(r);
      return -1;
    }
  }
  return 0;
}

// OK: a few rounds of fill, boost, expire, flush and reap
void batch_entry_serve(void) {
  batcher b;
  double sink = 0.0;
  ts_manual_seed(9);
  if (batcher_init(&b) != 0)
    return;
  fill(&b, 5);
  boost(b.q[0], 2.0);
  b.q[4]->age = 10;
  expire(&b, 3);
  flush(&b, model_job);
  reap(&b, &sink);
  fill(&b, 2);
  flush(&b, model_job);
  reap(&b, &sink);
  printf("%g %d\n", sink, b.n);
  batcher_fini(&b);
}

// OK: a queue overflow hands the refused request back to be freed
void batch_entry_overflow(void) {
  batcher b;
  if (batcher_init(&b) != 0)
    return;
  fill(&b, QMAX);
  request *extra = rq_new(99, 1.0);
  if (extra && enqueue(&b, extra) != 0)
    rq_free(extra);
  batcher_fini(&b);
}

// OK: drives the input-only free of a done request
void batch_entry_free_input(void) {
  batcher b;
  if (batcher_init(&b) != 0)
    return;
  fill(&b, 1);
  flush(&b, model_job);
  request *r = b.q[0];
  b.n = 0;
  rq_free_input_only(r);
  batcher_fini(&b);
}

// OK: uses the softmax job through flush
void batch_entry_softmax(void) {
  batcher b;
  if (batcher_init(&b) != 0)
    return;
  fill(&b, 2);
  flush(&b, model_job_softmax);
  batcher_fini(&b);
}

// OK: drives the early-freeing flush
void batch_entry_early(void) {
  batcher b;
  if (batcher_init(&b) != 0)
    return;
  fill(&b, 2);
  flush_early_free(&b);
  batcher_fini(&b);
}

// OK: drives the flush that skips the model for a single row
void batch_entry_single(void) {
  batcher b;
  if (batcher_init(&b) != 0)
    return;
  fill(&b, 1);
  flush_no_x_free(&b);
  batcher_fini(&b);
}

// OK: drives the late reap
void batch_entry_reap_late(void) {
  batcher b;
  double sink = 0.0;
  if (batcher_init(&b) != 0)
    return;
  fill(&b, 2);
  flush(&b, model_job);
  reap_late(&b, &sink);
  batcher_fini(&b);
}

// OK: drives the expiry that keeps the handle
void batch_entry_expire(void) {
  batcher b;
  if (batcher_init(&b) != 0)
    return;
  fill(&b, 2);
  expire_keep_handle(&b, 0);
  batcher_fini(&b);
}

// OK: drives the boost without keep
void batch_entry_boost(void) {
  request *r = rq_new(1, 1.0);
  if (r) {
    boost_nokeep(r, 3.0);
    rq_free(r);
  }
}

// BUG: leak: a request built for a retry is dropped when the batcher fails to start
void batch_entry_retry(void) {
  batcher b;
  request *r = rq_new(7, 0.5); // <- BUG
  if (!r)
    return;
  if (batcher_init(&b) != 0)
    return;
  if (r->id == 7) {
    batcher_fini(&b);
    return;
  }
  enqueue(&b, r);
  batcher_fini(&b);
}

// BUG: double-free: the caller frees the input of a request that enqueue accepted
void batch_entry_enqueue_free(void) {
  batcher b;
  if (batcher_init(&b) != 0)
    return;
  request *r = rq_new(3, 1.0);
  if (r && enqueue(&b, r) == 0)
    ts_free(r->in); // <- BUG
  batcher_fini(&b);
}

// BUG: double-free: the outputs are freed after printing but left in the requests that reap frees
void batch_entry_print_outputs(void) {
  batcher b;
  double sink = 0.0;
  if (batcher_init(&b) != 0)
    return;
  fill(&b, 2);
  flush(&b, model_job);
  for (int i = 0; i < b.n; i++) {
    ts_tensor *s = ts_sum(b.q[i]->out);
    printf("%d %g\n", b.q[i]->id, ts_item(s));
    ts_free(s);
    ts_free(b.q[i]->out);
  }
  reap(&b, &sink); // <- BUG
  batcher_fini(&b);
}
