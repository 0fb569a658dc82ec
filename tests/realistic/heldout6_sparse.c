/* heldout6_sparse.c - a sparse attention block: per-head projections in a
 * struct of arrays, top-k sparsified attention scores, local-window
 * attention over blocks, a growing key/value cache for decoding, and head
 * outputs gathered into an array before the output projection. */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { SA_T = 6, SA_D = 4, SA_HEADS = 2, SA_K = 2, SA_MAXT = 8 };

typedef struct {
  ts_tensor *wq[SA_HEADS], *wk[SA_HEADS], *wv[SA_HEADS]; /* [D, D] */
  ts_tensor *wo;                                        /* [HEADS*D, D] */
} sa_block;

typedef struct {
  ts_tensor *k[SA_MAXT], *v[SA_MAXT]; /* [1, D] rows, owned */
  int len;
} sa_cache;

// OK: every weight made, unwound in reverse on failure
static int sa_init(sa_block *b) {
  ts_manual_seed(13);
  int h = 0;
  for (; h < SA_HEADS; h++) {
    b->wq[h] = ts_randn(TS_SHAPE(SA_D, SA_D), TS_FLOAT32);
    b->wk[h] = ts_randn(TS_SHAPE(SA_D, SA_D), TS_FLOAT32);
    b->wv[h] = ts_randn(TS_SHAPE(SA_D, SA_D), TS_FLOAT32);
    if (!b->wq[h] || !b->wk[h] || !b->wv[h])
      goto fail;
  }
  b->wo = ts_randn(TS_SHAPE(SA_HEADS * SA_D, SA_D), TS_FLOAT32);
  if (b->wo)
    return 0;
fail:
  for (int j = h < SA_HEADS ? h : SA_HEADS - 1; j >= 0; j--) {
    if (b->wq[j])
      ts_free(b->wq[j]);
    if (b->wk[j])
      ts_free(b->wk[j]);
    if (b->wv[j])
      ts_free(b->wv[j]);
  }
  return -1;
}

// OK: frees every weight
static void sa_free(sa_block *b) {
  for (int h = 0; h < SA_HEADS; h++) {
    ts_free(b->wq[h]);
    ts_free(b->wk[h]);
    ts_free(b->wv[h]);
  }
  ts_free(b->wo);
}

// OK: scores with all but the top-k per row set to a large negative value
TS_CALLER_SCOPE static ts_tensor *sa_topk_mask(const ts_tensor *scores) {
  ts_tensor *tk[2];
  if (ts_topk(tk, scores, SA_K, 1, true, true) != TS_OK)
    return NULL;
  ts_tensor *thresh = ts_narrow(tk[0], 1, SA_K - 1, 1);
  ts_tensor *below = ts_relu(ts_sub(thresh, scores)); /* > 0 outside the top-k */
  return ts_sub(scores, ts_mul_scalar(ts_sign(below), 1e4));
}

// OK: one head's sparse attention in the caller's scope
TS_CALLER_SCOPE static ts_tensor *sa_head(const sa_block *b, int h, const ts_tensor *x) {
  ts_tensor *q = ts_matmul(x, b->wq[h]);
  ts_tensor *k = ts_matmul(x, b->wk[h]);
  ts_tensor *v = ts_matmul(x, b->wv[h]);
  ts_tensor *s = ts_mul_scalar(ts_matmul(q, ts_transpose(k, 0, 1)), 0.5);
  return ts_matmul(ts_softmax(sa_topk_mask(s), 1), v);
}

// OK: the block's forward: heads gathered in an array, concatenated, projected
static ts_tensor *sa_forward(const sa_block *b, const ts_tensor *x) {
  ts_tensor *out = NULL;
  TS_SCOPE {
    const ts_tensor *heads[SA_HEADS];
    for (int h = 0; h < SA_HEADS; h++)
      heads[h] = sa_head(b, h, x);
    out = ts_escape(ts_matmul(ts_cat(heads, SA_HEADS, 1), b->wo));
  }
  return out;
}

// OK: a forward pass on a random sequence
void sa_run_block(void) {
  sa_block b;
  if (sa_init(&b) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(SA_T, SA_D), TS_FLOAT32);
  ts_tensor *y = sa_forward(&b, x);
  printf("sparse: out %lldx%lld\n", (long long)ts_size(y, 0), (long long)ts_size(y, 1));
  ts_free(y);
  ts_free(x);
  sa_free(&b);
}

// BUG: leak: the head outputs are made manually into an array that is never freed element-wise
static ts_tensor *sa_forward_manual(const sa_block *b, const ts_tensor *x) {
  ts_tensor *heads[SA_HEADS];
  for (int h = 0; h < SA_HEADS; h++) {
    ts_tensor *v = ts_matmul(x, b->wv[h]);
    heads[h] = ts_tanh(v); // <- BUG
    ts_free(v);
  }
  ts_tensor *cat = ts_cat((const ts_tensor *const *)heads, SA_HEADS, 1);
  ts_tensor *y = ts_matmul(cat, b->wo);
  ts_free(cat);
  return y;
}

// OK: drives the manual forward
void sa_run_manual(void) {
  sa_block b;
  if (sa_init(&b) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(SA_T, SA_D), TS_FLOAT32);
  ts_tensor *y = sa_forward_manual(&b, x);
  ts_free(y);
  ts_free(x);
  sa_free(&b);
}

// OK: the manual forward with every head output freed
static ts_tensor *sa_forward_manual_ok(const sa_block *b, const ts_tensor *x) {
  ts_tensor *heads[SA_HEADS];
  for (int h = 0; h < SA_HEADS; h++) {
    ts_tensor *v = ts_matmul(x, b->wv[h]);
    heads[h] = ts_tanh(v);
    ts_free(v);
  }
  ts_tensor *cat = ts_cat((const ts_tensor *const *)heads, SA_HEADS, 1);
  for (int h = 0; h < SA_HEADS; h++)
    ts_free(heads[h]);
  ts_tensor *y = ts_matmul(cat, b->wo);
  ts_free(cat);
  return y;
}

// OK: drives the freeing manual forward
void sa_run_manual_ok(void) {
  sa_block b;
  if (sa_init(&b) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(SA_T, SA_D), TS_FLOAT32);
  ts_tensor *y = sa_forward_manual_ok(&b, x);
  TS_SCOPE { printf("sparse: %.3f\n", ts_item(ts_mean(y))); }
  ts_free(y);
  ts_free(x);
  sa_free(&b);
}

// OK: appends one key/value row; the cache owns them; full cache refuses
static int sa_cache_append(sa_cache *c, ts_tensor *k, ts_tensor *v) {
  if (c->len == SA_MAXT)
    return -1;
  c->k[c->len] = k;
  c->v[c->len] = v;
  c->len++;
  return 0;
}

// OK: appends, or frees the rows the full cache refused
static void sa_cache_put(sa_cache *c, ts_tensor *k, ts_tensor *v) {
  if (sa_cache_append(c, k, v) != 0) {
    ts_free(k);
    ts_free(v);
  }
}

// OK: frees every cached row
static void sa_cache_free(sa_cache *c) {
  for (int i = 0; i < c->len; i++) {
    ts_free(c->k[i]);
    ts_free(c->v[i]);
  }
  c->len = 0;
}

// OK: attention of one query over the cache, in a scope
static double sa_cache_attend(const sa_cache *c, const ts_tensor *q) {
  double r = 0;
  TS_SCOPE {
    ts_tensor *K = ts_cat((const ts_tensor *const *)c->k, c->len, 0);
    ts_tensor *V = ts_cat((const ts_tensor *const *)c->v, c->len, 0);
    ts_tensor *a = ts_softmax(ts_matmul(q, ts_transpose(K, 0, 1)), 1);
    r = ts_item(ts_sum(ts_matmul(a, V)));
  }
  return r;
}

// OK: incremental decoding with the cache; new rows made outside scopes
void sa_decode(void) {
  sa_block b;
  sa_cache c = {{0}, {0}, 0};
  if (sa_init(&b) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(1, SA_D), TS_FLOAT32);
  for (int t = 0; t < 4; t++) {
    ts_tensor *k = ts_matmul(x, b.wk[0]);
    ts_tensor *v = ts_matmul(x, b.wv[0]);
    if (sa_cache_append(&c, k, v) != 0) {
      ts_free(k);
      ts_free(v);
      break;
    }
    ts_tensor *q = ts_matmul(x, b.wq[0]);
    printf("sparse: step %d %.3f\n", t, sa_cache_attend(&c, q));
    ts_free(q);
    ts_tensor *nx = ts_tanh(v);
    ts_free(x);
    x = nx;
  }
  ts_free(x);
  sa_cache_free(&c);
  sa_free(&b);
}

// BUG: leak: rows refused by a full cache are dropped without being freed
void sa_decode_overflow(void) {
  sa_cache c = {{0}, {0}, 0};
  for (int t = 0; t < SA_MAXT + 1; t++) {
    ts_tensor *k = ts_full(TS_SHAPE(1, SA_D), TS_FLOAT32, t);
    ts_tensor *v = ts_full(TS_SHAPE(1, SA_D), TS_FLOAT32, -t); // <- BUG
    if (sa_cache_append(&c, k, v) != 0) {
      ts_free(k);
      break;
    }
  }
  sa_cache_free(&c);
}

// BUG: use-after-scope: cache rows made inside a scope are appended without escaping
void sa_decode_scoped_rows(void) {
  sa_block b;
  sa_cache c = {{0}, {0}, 0};
  if (sa_init(&b) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(1, SA_D), TS_FLOAT32);
  TS_SCOPE {
    ts_tensor *k = ts_matmul(x, b.wk[1]);
    ts_tensor *v = ts_matmul(x, b.wv[1]);
    sa_cache_append(&c, k, v); // <- BUG
  }
  printf("sparse: %.3f\n", sa_cache_attend(&c, x));
  ts_free(x);
  sa_cache_free(&c);
  sa_free(&b);
}

// OK: cache rows made in a scope and escaped as they are appended
void sa_decode_scoped_escaped(void) {
  sa_block b;
  sa_cache c = {{0}, {0}, 0};
  if (sa_init(&b) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(1, SA_D), TS_FLOAT32);
  TS_SCOPE for (int t = 0; t < 3; t++) {
    ts_tensor *k = ts_matmul(ts_mul_scalar(x, t + 1), b.wk[1]);
    ts_tensor *v = ts_matmul(x, b.wv[1]);
    sa_cache_put(&c, ts_escape(k), ts_escape(v));
  }
  printf("sparse: %.3f\n", sa_cache_attend(&c, x));
  ts_free(x);
  sa_cache_free(&c);
  sa_free(&b);
}

// BUG: double-free: a cache row is freed when truncating but the length is not reduced
void sa_cache_truncate(void) {
  sa_cache c = {{0}, {0}, 0};
  for (int t = 0; t < 3; t++)
    sa_cache_put(&c, ts_ones(TS_SHAPE(1, SA_D), TS_FLOAT32), ts_zeros(TS_SHAPE(1, SA_D), TS_FLOAT32));
  ts_free(c.k[2]);
  ts_free(c.v[2]); // <- BUG
  sa_cache_free(&c);
}

// OK: truncation that shortens the cache after freeing the last row
void sa_cache_truncate_ok(void) {
  sa_cache c = {{0}, {0}, 0};
  for (int t = 0; t < 3; t++)
    sa_cache_put(&c, ts_ones(TS_SHAPE(1, SA_D), TS_FLOAT32), ts_zeros(TS_SHAPE(1, SA_D), TS_FLOAT32));
  c.len--;
  ts_free(c.k[c.len]);
  ts_free(c.v[c.len]);
  ts_tensor *q = ts_ones(TS_SHAPE(1, SA_D), TS_FLOAT32);
  printf("sparse: %.3f\n", sa_cache_attend(&c, q));
  ts_free(q);
  sa_cache_free(&c);
}

// BUG: use-after-free: the sliding cache frees its oldest row but still attends over it
void sa_cache_slide_uaf(void) {
  sa_cache c = {{0}, {0}, 0};
  for (int t = 0; t < 3; t++)
    sa_cache_put(&c, ts_full(TS_SHAPE(1, SA_D), TS_FLOAT32, t), ts_full(TS_SHAPE(1, SA_D), TS_FLOAT32, t));
  ts_free(c.k[0]);
  ts_free(c.v[0]);
  ts_tensor *q = ts_ones(TS_SHAPE(1, SA_D), TS_FLOAT32);
  printf("sparse: %.3f\n", sa_cache_attend(&c, q)); // <- BUG
  ts_free(q);
  sa_cache_free(&c);
}

// OK: the sliding cache shifts the rows down after freeing the oldest
void sa_cache_slide(void) {
  sa_cache c = {{0}, {0}, 0};
  for (int t = 0; t < 3; t++)
    sa_cache_put(&c, ts_full(TS_SHAPE(1, SA_D), TS_FLOAT32, t), ts_full(TS_SHAPE(1, SA_D), TS_FLOAT32, t));
  ts_free(c.k[0]);
  ts_free(c.v[0]);
  for (int i = 1; i < c.len; i++) {
    c.k[i - 1] = c.k[i];
    c.v[i - 1] = c.v[i];
  }
  c.len--;
  ts_tensor *q = ts_ones(TS_SHAPE(1, SA_D), TS_FLOAT32);
  printf("sparse: %.3f\n", sa_cache_attend(&c, q));
  ts_free(q);
  sa_cache_free(&c);
}

// OK: local-window attention over blocks; each block's output escaped and stored
void sa_local_windows(void) {
  sa_block b;
  if (sa_init(&b) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(SA_T, SA_D), TS_FLOAT32);
  ts_tensor *outs[3] = {NULL, NULL, NULL};
  TS_SCOPE for (int w = 0; w < 3; w++) {
    ts_tensor *blk = ts_narrow(x, 0, w * 2, 2);
    outs[w] = ts_escape(sa_head(&b, 0, blk));
  }
  ts_tensor *y = ts_cat((const ts_tensor *const *)outs, 3, 0);
  printf("sparse: local %lld rows\n", (long long)ts_size(y, 0));
  ts_free(y);
  for (int w = 0; w < 3; w++)
    ts_free(outs[w]);
  ts_free(x);
  sa_free(&b);
}

// BUG: leak: the error path on a bad window size skips freeing the outputs so far
static ts_tensor *sa_local_checked(const sa_block *b, const ts_tensor *x, int win) {
  ts_tensor *outs[SA_T];
  int n = 0;
  for (int s = 0; s < SA_T; s += win) {
    if (s + win > SA_T)
      return NULL;
    ts_tensor *blk = ts_narrow(x, 0, s, win);
    outs[n++] = ts_matmul(blk, b->wv[0]); // <- BUG
    ts_free(blk);
  }
  ts_tensor *y = ts_cat((const ts_tensor *const *)outs, n, 0);
  for (int i = 0; i < n; i++)
    ts_free(outs[i]);
  return y;
}

// OK: drives the checked local attention with a window that does not divide T
void sa_local_bad_window(void) {
  sa_block b;
  if (sa_init(&b) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(SA_T, SA_D), TS_FLOAT32);
  ts_tensor *y = sa_local_checked(&b, x, 4);
  if (y)
    ts_free(y);
  ts_free(x);
  sa_free(&b);
}

// BUG: double-free: the old output projection is freed after the swap and again at the end
void sa_prune_wo(void) {
  sa_block b;
  if (sa_init(&b) != 0)
    return;
  ts_tensor *old = b.wo;
  TS_SCOPE { b.wo = ts_keep(ts_mul(old, ts_gt_Scalar(ts_abs(old), 0.5))); }
  ts_free(old);
  ts_tensor *y = ts_ones(TS_SHAPE(1, SA_HEADS * SA_D), TS_FLOAT32);
  TS_SCOPE { printf("sparse: pruned %.3f\n", ts_item(ts_sum(ts_matmul(y, b.wo)))); }
  ts_free(y);
  sa_free(&b);
  ts_free(old); // <- BUG
}

// BUG: use-after-free: a head's query weight is replaced and the old one is used in the forward
void sa_swap_head_uaf(void) {
  sa_block b;
  if (sa_init(&b) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(SA_T, SA_D), TS_FLOAT32);
  ts_tensor *old_q = b.wq[1];
  b.wq[1] = ts_clone(b.wq[0]);
  ts_free(old_q);
  TS_SCOPE {
    ts_tensor *q = ts_matmul(x, old_q); // <- BUG
    printf("sparse: %.3f\n", ts_item(ts_mean(q)));
  }
  ts_free(x);
  sa_free(&b);
}
