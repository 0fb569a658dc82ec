/* heldout7_xformer.c - a tiny transformer inference server: one encoder
 * block's weights, attention and feed-forward as caller-scope helpers,
 * requests handled through ts_run, a pool of activation buffers for the
 * batcher, streaming sessions in async scopes, and a bounded queue. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define XF_D 8
#define XF_V 16
#define XF_T 5

typedef struct {
  ts_tensor *emb; /* [V,D] */
  ts_tensor *wq, *wk, *wv, *wo; /* [D,D] */
  ts_tensor *w1, *w2; /* [D,2D], [2D,D] */
} xf_weights;

typedef struct {
  const xf_weights *w;
  int64_t ids[XF_T];
  ts_tensor *hidden; /* result, owned by the request once set */
  int status;
} xf_request;

typedef struct {
  ts_async_scope *scope;
  ts_tensor *state; /* owned by the async scope */
  int steps;
} xf_session;

typedef struct {
  ts_tensor *entries[8];
  int n;
} xf_kvcache;

typedef struct {
  ts_tensor *items[4];
  int n;
} xf_queue;

// OK: goto-cleanup init; whatever was made is freed on failure
static int xf_weights_init(xf_weights *w) {
  memset(w, 0, sizeof *w);
  ts_manual_seed(7);
  if (!(w->emb = ts_randn(TS_SHAPE(XF_V, XF_D), TS_FLOAT32)))
    goto fail;
  if (!(w->wq = ts_randn(TS_SHAPE(XF_D, XF_D), TS_FLOAT32)))
    goto fail;
  if (!(w->wk = ts_randn(TS_SHAPE(XF_D, XF_D), TS_FLOAT32)))
    goto fail;
  if (!(w->wv = ts_randn(TS_SHAPE(XF_D, XF_D), TS_FLOAT32)))
    goto fail;
  if (!(w->wo = ts_randn(TS_SHAPE(XF_D, XF_D), TS_FLOAT32)))
    goto fail;
  if (!(w->w1 = ts_randn(TS_SHAPE(XF_D, 2 * XF_D), TS_FLOAT32)))
    goto fail;
  if (!(w->w2 = ts_randn(TS_SHAPE(2 * XF_D, XF_D), TS_FLOAT32)))
    goto fail;
  return 0;
fail:
  if (w->w1)
    ts_free(w->w1);
  if (w->wo)
    ts_free(w->wo);
  if (w->wv)
    ts_free(w->wv);
  if (w->wk)
    ts_free(w->wk);
  if (w->wq)
    ts_free(w->wq);
  if (w->emb)
    ts_free(w->emb);
  return -1;
}

// OK: frees every weight once
static void xf_weights_free(xf_weights *w) {
  ts_tensor **all[7] = {&w->emb, &w->wq, &w->wk, &w->wv, &w->wo, &w->w1, &w->w2};
  for (int i = 0; i < 7; i++) {
    ts_free(*all[i]);
    *all[i] = NULL;
  }
}

// OK: single-head attention; every temporary belongs to the caller's scope
TS_CALLER_SCOPE static ts_tensor *xf_attention(const ts_tensor *x, const xf_weights *w) {
  ts_tensor *q = ts_matmul(x, w->wq);
  ts_tensor *k = ts_matmul(x, w->wk);
  ts_tensor *v = ts_matmul(x, w->wv);
  ts_tensor *s = ts_mul_scalar(ts_matmul(q, ts_transpose(k, 0, 1)), 1.0 / sqrt(XF_D));
  return ts_matmul(ts_matmul(ts_softmax(s, 1), v), w->wo);
}

// OK: feed-forward with a residual, in the caller's scope
TS_CALLER_SCOPE static ts_tensor *xf_ffn(const ts_tensor *x, const xf_weights *w) {
  ts_tensor *h = ts_gelu(ts_matmul(x, w->w1), "none");
  return ts_add(ts_matmul(h, w->w2), x);
}

// OK: one post-norm encoder block in the caller's scope
TS_CALLER_SCOPE static ts_tensor *xf_block(const ts_tensor *x, const xf_weights *w) {
  ts_tensor *a = ts_add(x, xf_attention(x, w));
  a = ts_layer_norm(a, TS_SHAPE(XF_D), NULL, NULL, 1e-5, false);
  return ts_layer_norm(xf_ffn(a, w), TS_SHAPE(XF_D), NULL, NULL, 1e-5, false);
}

// OK: token ids to embeddings plus positions; every temporary freed
static ts_tensor *xf_embed(const ts_tensor *emb, const int64_t *ids, int n) {
  ts_tensor *idx = ts_from_buffer(ids, TS_SHAPE(n), TS_INT64);
  if (!idx)
    return NULL;
  ts_tensor *e = ts_index_select(emb, 0, idx);
  ts_free(idx);
  ts_tensor *pos = ts_arange(0, n, 1, TS_FLOAT32);
  ts_tensor *col = ts_unsqueeze(pos, 1);
  ts_free(pos);
  ts_tensor *out = ts_add(e, ts_mul_Scalar_(col, 0.01));
  ts_free(col);
  ts_free(e);
  return out;
}

// BUG: leak: the position vector is freed through its column view only
static ts_tensor *xf_embed_scaled(const ts_tensor *emb, const int64_t *ids, int n, double scale) {
  ts_tensor *idx = ts_from_buffer(ids, TS_SHAPE(n), TS_INT64);
  ts_tensor *e = ts_index_select(emb, 0, idx);
  ts_free(idx);
  ts_tensor *pos = ts_arange(0, n, 1, TS_FLOAT32); // <- BUG
  ts_tensor *col = ts_unsqueeze(pos, 1);
  ts_tensor *out = ts_add(ts_mul_Scalar_(e, scale), col);
  ts_free(col);
  ts_free(e);
  return out;
}

// OK: the ts_run handler escapes the hidden state into the request
static void *xf_handle(void *ctx) {
  xf_request *r = ctx;
  ts_tensor *x = xf_embed(r->w->emb, r->ids, XF_T);
  if (!x) {
    r->status = -1;
    return NULL;
  }
  r->hidden = ts_escape(xf_block(x, r->w));
  r->status = 0;
  return r->hidden;
}

// BUG: unescaped-return: the predicted ids are returned out of ts_run's scope
static void *xf_handle_predict(void *ctx) {
  xf_request *r = ctx;
  ts_tensor *x = xf_embed(r->w->emb, r->ids, XF_T);
  ts_tensor *h = xf_block(x, r->w);
  ts_tensor *logits = ts_matmul(h, ts_transpose(r->w->emb, 0, 1));
  return ts_argmax_dim(logits, 1); // <- BUG
}

// OK: the same prediction, escaped to the caller of ts_run
static void *xf_handle_predict_ok(void *ctx) {
  xf_request *r = ctx;
  ts_tensor *x = xf_embed(r->w->emb, r->ids, XF_T);
  ts_tensor *h = xf_block(x, r->w);
  ts_tensor *logits = ts_matmul(h, ts_transpose(r->w->emb, 0, 1));
  return ts_escape(ts_argmax_dim(logits, 1));
}

// BUG: use-after-scope: the hidden state is stored in the request without escaping ts_run's scope
static void *xf_handle_stash(void *ctx) {
  xf_request *r = ctx;
  ts_tensor *x = xf_embed(r->w->emb, r->ids, XF_T);
  r->hidden = xf_block(x, r->w); // <- BUG
  r->status = 0;
  return NULL;
}

// OK: pooled activation buffer, made when the pool misses
static ts_tensor *xf_buf_get(ts_pool *p, int rows) {
  ts_tensor *t = ts_pool_acquire(p, TS_SHAPE(rows, XF_D), TS_FLOAT32);
  if (!t)
    t = ts_zeros(TS_SHAPE(rows, XF_D), TS_FLOAT32);
  return t;
}

// OK: embeds a batch into pooled buffers, runs the block, releases every buffer
static double xf_batch(const xf_weights *w, ts_pool *p, const int64_t (*ids)[XF_T], int nreq) {
  double total = 0.0;
  for (int i = 0; i < nreq; i++) {
    ts_tensor *buf = xf_buf_get(p, XF_T);
    ts_tensor *x = xf_embed(w->emb, ids[i], XF_T);
    ts_copy_(buf, x, false);
    ts_free(x);
    TS_SCOPE {
      ts_tensor *h = xf_block(buf, w);
      total += ts_item(ts_mean(h));
    }
    ts_pool_release(p, buf);
  }
  return total / nreq;
}

// OK: opens a session whose state lives in its async scope
static int xf_session_open(xf_session *s) {
  s->scope = ts_async_scope_begin();
  if (!s->scope)
    return -1;
  ts_async_scope_enter(s->scope);
  s->state = ts_zeros(TS_SHAPE(1, XF_D), TS_FLOAT32);
  ts_async_scope_leave(s->scope);
  s->steps = 0;
  return 0;
}

// OK: one step inside the session's scope; the state is replaced there
static void xf_session_step(xf_session *s, const xf_weights *w, int64_t tok) {
  ts_async_scope_enter(s->scope);
  ts_tensor *e = xf_embed(w->emb, &tok, 1);
  ts_tensor *x = ts_add(e, s->state);
  s->state = ts_tanh(ts_matmul(x, w->wo));
  s->steps++;
  ts_async_scope_leave(s->scope);
}

// OK: ends the session; everything it made goes with the scope
static void xf_session_close(xf_session *s) {
  ts_async_scope_end(s->scope);
  s->scope = NULL;
  s->state = NULL;
}

// BUG: use-after-scope: the summary reads the state after its async scope ended
static double xf_session_finish(xf_session *s) {
  ts_async_scope_end(s->scope);
  s->scope = NULL;
  return ts_item(ts_amax(s->state, TS_SHAPE(0, 1), false)); // <- BUG
}

// OK: the kv cache takes a copy per step
static void xf_cache_push(xf_kvcache *c, const ts_tensor *kv) {
  if (c->n < 8)
    c->entries[c->n++] = ts_clone(kv);
}

// OK: frees each entry once
static void xf_cache_free(xf_kvcache *c) {
  for (int i = 0; i < c->n; i++)
    ts_free(c->entries[i]);
  c->n = 0;
}

// BUG: double-free: entries freed here are freed again by xf_cache_free
static void xf_cache_trim(xf_kvcache *c, int keep) {
  for (int i = keep; i < c->n; i++)
    ts_free(c->entries[i]);
  xf_cache_free(c); // <- BUG
}

// OK: drops the newest entries past keep, once
static void xf_cache_truncate(xf_kvcache *c, int keep) {
  for (int i = keep; i < c->n; i++)
    ts_free(c->entries[i]);
  if (keep < c->n)
    c->n = keep;
}

// BUG: use-after-free: the residual alias is added after the layer input was freed
static ts_tensor *xf_two_layers(const ts_tensor *x0, const xf_weights *w) {
  ts_tensor *x = ts_matmul(x0, w->wo);
  ts_tensor *resid = x;
  x = ts_tanh(x);
  ts_free(resid);
  ts_tensor *y = ts_matmul(x, w->wo);
  ts_free(x);
  ts_tensor *out = ts_add(y, resid); // <- BUG
  ts_free(y);
  return out;
}

// OK: the residual kept until the sum is made
static ts_tensor *xf_two_layers_ok(const ts_tensor *x0, const xf_weights *w) {
  ts_tensor *resid = ts_matmul(x0, w->wo);
  ts_tensor *x = ts_tanh(resid);
  ts_tensor *y = ts_matmul(x, w->wo);
  ts_free(x);
  ts_tensor *out = ts_add(y, resid);
  ts_free(y);
  ts_free(resid);
  return out;
}

// BUG: leak: a request refused by a full queue loses its embedding
static int xf_enqueue(xf_queue *q, const xf_weights *w, const int64_t *ids) {
  ts_tensor *x = xf_embed(w->emb, ids, XF_T); // <- BUG
  if (!x)
    return -1;
  if (q->n == 4)
    return -1;
  q->items[q->n++] = x;
  return 0;
}

// OK: the full queue is checked before the embedding is made
static int xf_enqueue_ok(xf_queue *q, const xf_weights *w, const int64_t *ids) {
  if (q->n == 4)
    return -1;
  ts_tensor *x = xf_embed(w->emb, ids, XF_T);
  if (!x)
    return -1;
  q->items[q->n++] = x;
  return 0;
}

// OK: drains the queue through the block, freeing each item
static double xf_drain(xf_queue *q, const xf_weights *w) {
  double s = 0.0;
  for (int i = 0; i < q->n; i++) {
    TS_SCOPE {
      s += ts_item(ts_sum(xf_block(q->items[i], w)));
    }
    ts_free(q->items[i]);
  }
  q->n = 0;
  return s;
}

static const int64_t xf_ids[3][XF_T] = {{1, 2, 3, 4, 5}, {3, 3, 1, 0, 9}, {15, 2, 7, 7, 1}};

// OK: serves three requests, each result freed by the caller
void xf_run_serve(void) {
  xf_weights w;
  if (xf_weights_init(&w) != 0)
    return;
  for (int i = 0; i < 3; i++) {
    xf_request r = {.w = &w, .hidden = NULL, .status = 0};
    memcpy(r.ids, xf_ids[i], sizeof r.ids);
    ts_run(xf_handle, &r);
    if (r.status == 0) {
      printf("xformer: request %d rows %lld\n", i, (long long)ts_size(r.hidden, 0));
      ts_free(r.hidden);
    }
  }
  ts_tensor *p = ts_run(xf_handle_predict_ok, &(xf_request){.w = &w, .ids = {1, 2, 3, 4, 5}});
  ts_free(p);
  xf_weights_free(&w);
}

// OK: reads the predicted ids
void xf_run_predict(void) {
  xf_weights w;
  if (xf_weights_init(&w) != 0)
    return;
  xf_request r = {.w = &w, .ids = {4, 4, 2, 1, 0}};
  ts_tensor *ids = ts_run(xf_handle_predict, &r);
  printf("xformer: %lld predictions\n", (long long)ts_numel(ids));
  ts_free(ids);
  xf_weights_free(&w);
}

// OK: reads the stashed hidden state
void xf_run_stash(void) {
  xf_weights w;
  if (xf_weights_init(&w) != 0)
    return;
  xf_request r = {.w = &w, .ids = {4, 4, 2, 1, 0}};
  ts_run(xf_handle_stash, &r);
  printf("xformer: stashed %lld\n", (long long)ts_numel(r.hidden));
  xf_weights_free(&w);
}

// OK: the scaled embedding, used and freed
void xf_run_embed(void) {
  xf_weights w;
  if (xf_weights_init(&w) != 0)
    return;
  ts_tensor *e = xf_embed_scaled(w.emb, xf_ids[1], XF_T, 2.0);
  printf("xformer: embed %lld\n", (long long)ts_numel(e));
  ts_free(e);
  xf_weights_free(&w);
}

// OK: a batch through pooled buffers, the pool destroyed at the end
void xf_run_batch(void) {
  xf_weights w;
  ts_pool *p = ts_pool_new(4);
  if (!p)
    return;
  if (xf_weights_init(&w) != 0) {
    ts_pool_destroy(p);
    return;
  }
  printf("xformer: batch mean %.3f\n", xf_batch(&w, p, xf_ids, 3));
  xf_weights_free(&w);
  ts_pool_destroy(p);
}

// OK: a session opened, stepped and closed
void xf_run_session(void) {
  xf_weights w;
  xf_session s;
  if (xf_weights_init(&w) != 0)
    return;
  if (xf_session_open(&s) == 0) {
    for (int64_t t = 0; t < 4; t++)
      xf_session_step(&s, &w, t);
    xf_session_close(&s);
  }
  xf_weights_free(&w);
}

// OK: a session finished with a summary
void xf_run_session_summary(void) {
  xf_weights w;
  xf_session s;
  if (xf_weights_init(&w) != 0)
    return;
  if (xf_session_open(&s) == 0) {
    xf_session_step(&s, &w, 3);
    printf("xformer: summary %.3f\n", xf_session_finish(&s));
  }
  xf_weights_free(&w);
}

// OK: cache pushed, truncated and freed once
void xf_run_cache(void) {
  xf_kvcache c = {.n = 0};
  ts_tensor *kv = ts_ones(TS_SHAPE(2, XF_D), TS_FLOAT32);
  for (int i = 0; i < 6; i++)
    xf_cache_push(&c, kv);
  xf_cache_truncate(&c, 3);
  xf_cache_free(&c);
  ts_free(kv);
}

// OK: cache trimmed to a prefix
void xf_run_cache_trim(void) {
  xf_kvcache c = {.n = 0};
  ts_tensor *kv = ts_ones(TS_SHAPE(2, XF_D), TS_FLOAT32);
  for (int i = 0; i < 6; i++)
    xf_cache_push(&c, kv);
  ts_free(kv);
  xf_cache_trim(&c, 2);
}

// OK: the two-layer residual, correct version
void xf_run_residual(void) {
  xf_weights w;
  if (xf_weights_init(&w) != 0)
    return;
  ts_tensor *x = ts_ones(TS_SHAPE(XF_T, XF_D), TS_FLOAT32);
  ts_tensor *y = xf_two_layers_ok(x, &w);
  ts_free(y);
  ts_free(x);
  xf_weights_free(&w);
}

// OK: the two-layer residual with the freed alias
void xf_run_residual_alias(void) {
  xf_weights w;
  if (xf_weights_init(&w) != 0)
    return;
  ts_tensor *x = ts_ones(TS_SHAPE(XF_T, XF_D), TS_FLOAT32);
  ts_tensor *y = xf_two_layers(x, &w);
  ts_free(y);
  ts_free(x);
  xf_weights_free(&w);
}

// OK: fills the queue past capacity the checked way, then drains it
void xf_run_queue(void) {
  xf_weights w;
  xf_queue q = {.n = 0};
  if (xf_weights_init(&w) != 0)
    return;
  for (int i = 0; i < 6; i++)
    if (xf_enqueue_ok(&q, &w, xf_ids[i % 3]) != 0)
      printf("xformer: queue full\n");
  printf("xformer: drained %.2f\n", xf_drain(&q, &w));
  xf_weights_free(&w);
}

// OK: the unchecked enqueue past capacity
void xf_run_queue_full(void) {
  xf_weights w;
  xf_queue q = {.n = 0};
  if (xf_weights_init(&w) != 0)
    return;
  for (int i = 0; i < 5; i++)
    xf_enqueue(&q, &w, xf_ids[i % 3]);
  xf_drain(&q, &w);
  xf_weights_free(&w);
}

// BUG: use-after-scope: the hidden state is made inside the block's scope and freed after it
void xf_run_scoped_block(void) {
  xf_weights w;
  ts_tensor *h = NULL;
  if (xf_weights_init(&w) != 0)
    return;
  TS_SCOPE {
    ts_tensor *x = xf_embed(w.emb, xf_ids[0], XF_T);
    h = xf_block(x, &w);
  }
  printf("xformer: hidden %lld\n", (long long)ts_numel(h)); // <- BUG
  ts_free(h);
  xf_weights_free(&w);
}

// BUG: leak: the escaped prediction returned by ts_run is ignored
void xf_run_warmup(void) {
  xf_weights w;
  if (xf_weights_init(&w) != 0)
    return;
  for (int i = 0; i < 2; i++) {
    xf_request r = {.w = &w};
    memcpy(r.ids, xf_ids[i], sizeof r.ids);
    ts_run(xf_handle_predict_ok, &r); // <- BUG
  }
  xf_weights_free(&w);
}

// BUG: leak: the sanity check returns early with the prediction still alive
void xf_run_predict_check(void) {
  xf_weights w;
  if (xf_weights_init(&w) != 0)
    return;
  xf_request r = {.w = &w, .ids = {2, 2, 2, 2, 2}};
  ts_tensor *p = ts_run(xf_handle_predict_ok, &r); // <- BUG
  if (ts_numel(p) != XF_T + 1) {
    printf("xformer: unexpected prediction length\n");
    xf_weights_free(&w);
    return;
  }
  ts_free(p);
  xf_weights_free(&w);
}

// BUG: double-free: the cache entries are freed by hand and then by xf_cache_free
void xf_run_cache_reset(void) {
  xf_kvcache c = {.n = 0};
  ts_tensor *kv = ts_ones(TS_SHAPE(2, XF_D), TS_FLOAT32);
  for (int i = 0; i < 3; i++)
    xf_cache_push(&c, kv);
  ts_free(kv);
  for (int i = 0; i < c.n; i++)
    ts_free(c.entries[i]);
  xf_cache_free(&c); // <- BUG
}
