/* heldout2_attention.c - a small transformer block in C: projections in a
 * struct, attention weights in the caller's scope, causal masks, heads from
 * ts_chunk, an in-place residual and a key/value cache that grows by ts_cat.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define D 8
#define T 4
#define H 2

struct attn {
  ts_tensor *wq, *wk, *wv, *wo;
  ts_tensor *ln_w, *ln_b;
};

struct kv {
  ts_tensor *k, *v;
  int len;
};

// OK: teardown that tolerates a half-built struct and clears what it freed
static void attn_free(struct attn *a) {
  ts_tensor **all[] = {&a->wq, &a->wk, &a->wv, &a->wo, &a->ln_w, &a->ln_b};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    if (*all[i]) {
      ts_free(*all[i]);
      *all[i] = NULL;
    }
  }
}

// OK: goto-cleanup init; on success the struct owns all six tensors
static int attn_init(struct attn *a) {
  a->wq = a->wk = a->wv = a->wo = a->ln_w = a->ln_b = NULL;
  a->wq = ts_randn(TS_SHAPE(D, D), TS_FLOAT32);
  if (!a->wq)
    goto fail;
  a->wk = ts_randn(TS_SHAPE(D, D), TS_FLOAT32);
  if (!a->wk)
    goto fail;
  a->wv = ts_randn(TS_SHAPE(D, D), TS_FLOAT32);
  if (!a->wv)
    goto fail;
  a->wo = ts_randn(TS_SHAPE(D, D), TS_FLOAT32);
  if (!a->wo)
    goto fail;
  a->ln_w = ts_ones(TS_SHAPE(D), TS_FLOAT32);
  a->ln_b = ts_zeros(TS_SHAPE(D), TS_FLOAT32);
  if (!a->ln_w || !a->ln_b)
    goto fail;
  return 0;
fail:
  attn_free(a);
  return -1;
}

// OK: runs in the caller's scope; the transposed keys and raw scores die with
// it
TS_CALLER_SCOPE static ts_tensor *attn_weights(const ts_tensor *q,
                                               const ts_tensor *k) {
  ts_tensor *kt = ts_transpose(k, 0, 1);
  ts_tensor *s = ts_mul_scalar(ts_matmul(q, kt), 1.0 / sqrt((double)D));
  return ts_softmax(s, -1);
}

// OK: the whole forward pass is one scope; only the output is escaped
TS_SCOPED static ts_tensor *attn_forward(const struct attn *a,
                                         const ts_tensor *x) {
  ts_tensor *q = ts_matmul(x, a->wq);
  ts_tensor *k = ts_matmul(x, a->wk);
  ts_tensor *v = ts_matmul(x, a->wv);
  ts_tensor *w = attn_weights(q, k);
  ts_tensor *ctx = ts_matmul(w, v);
  ts_tensor *out = ts_matmul(ctx, a->wo);
  return ts_escape(out);
}

// BUG: unescaped-return: the normalised block output is returned from the
// TS_SCOPED body without ts_escape, so the scope frees it on the way out
TS_SCOPED static ts_tensor *block_forward(const struct attn *a,
                                          const ts_tensor *x) {
  ts_tensor *h = attn_forward(a, x);
  ts_tensor *r = ts_add(x, h);
  ts_tensor *y = ts_layer_norm(r, TS_SHAPE(D), a->ln_w, a->ln_b, 1e-5, false);
  return y; // <- BUG
}

// OK: the caller of block_forward frees what it was given (the helper is wrong)
void attn_block_demo(void) {
  struct attn a;
  if (attn_init(&a) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(T, D), TS_FLOAT32);
  ts_tensor *y = block_forward(&a, x);
  printf("block: %lld rows\n", (long long)ts_size(y, 0));
  ts_free(y);
  ts_free(x);
  attn_free(&a);
}

// OK: forward output and input freed, the struct torn down once
void attn_demo(void) {
  struct attn a;
  if (attn_init(&a) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(T, D), TS_FLOAT32);
  ts_tensor *y = attn_forward(&a, x);
  if (y) {
    printf("attn out %lld x %lld\n", (long long)ts_size(y, 0),
           (long long)ts_size(y, 1));
    ts_free(y);
  }
  ts_free(x);
  attn_free(&a);
}

// BUG: leak: the all-ones square the causal mask is cut from is never freed
static double causal_prob_sum(const ts_tensor *scores) {
  ts_tensor *ones = ts_ones(TS_SHAPE(T, T), TS_FLOAT32); // <- BUG
  ts_tensor *upper = ts_triu(ones, 1);
  ts_tensor *mask = ts_gt_Scalar(upper, 0.5);
  ts_tensor *masked = ts_masked_fill_Scalar(scores, mask, -1e9);
  ts_tensor *p = ts_softmax(masked, -1);
  ts_tensor *s = ts_sum(p);
  double v = ts_item(s);
  ts_free(s);
  ts_free(p);
  ts_free(masked);
  ts_free(mask);
  ts_free(upper);
  return v;
}

// OK: drives causal_prob_sum (the leak is the helper's)
void attn_causal(void) {
  ts_tensor *sc = ts_randn(TS_SHAPE(T, T), TS_FLOAT32);
  printf("causal rows sum to %.1f\n", causal_prob_sum(sc));
  ts_free(sc);
}

// OK: every head from ts_chunk is freed after use, the concatenation returned
static ts_tensor *head_means(const ts_tensor *x) {
  ts_tensor *parts[H];
  ts_tensor *means[H];
  int n = 0;
  if (ts_chunk(parts, H, &n, x, H, 1) != TS_OK)
    return NULL;
  for (int i = 0; i < n; i++) {
    means[i] = ts_mean_dim(parts[i], TS_SHAPE(1), true, TS_NO_DTYPE);
    ts_free(parts[i]);
  }
  ts_tensor *out = ts_cat((const ts_tensor *const *)means, n, 1);
  for (int i = 0; i < n; i++)
    ts_free(means[i]);
  return out;
}

// OK: the result of head_means is the caller's and is freed
void attn_heads(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(T, D), TS_FLOAT32);
  ts_tensor *m = head_means(x);
  if (m)
    printf("head means: %lld columns\n", (long long)ts_size(m, 1));
  ts_free(m);
  ts_free(x);
}

// BUG: use-after-free: the attention map is freed with the other temporaries
// and then asked for its peak position
static long attn_peak(const ts_tensor *q, const ts_tensor *k) {
  ts_tensor *kt = ts_transpose(k, 0, 1);
  ts_tensor *s = ts_matmul(q, kt);
  ts_tensor *p = ts_softmax(s, -1);
  ts_free(kt);
  ts_free(s);
  ts_free(p);
  ts_tensor *am = ts_argmax(p); // <- BUG
  long at = (long)ts_item(am);
  ts_free(am);
  return at;
}

// OK: drives attn_peak
void attn_peak_demo(void) {
  ts_tensor *q = ts_randn(TS_SHAPE(T, D), TS_FLOAT32);
  ts_tensor *k = ts_randn(TS_SHAPE(T, D), TS_FLOAT32);
  printf("peak at %ld\n", attn_peak(q, k));
  ts_free(k);
  ts_free(q);
}

// OK: adds the residual in place and returns the caller's own handle
static ts_tensor *residual_(ts_tensor *x, const ts_tensor *h) {
  return ts_add_Tensor_(x, h, 1.0);
}

// OK: the in-place result is the input itself: freed once, through y
void attn_residual(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(T, D), TS_FLOAT32);
  ts_tensor *h = ts_randn(TS_SHAPE(T, D), TS_FLOAT32);
  ts_tensor *y = residual_(x, h);
  ts_free(h);
  printf("residual: %lld\n", (long long)ts_numel(y));
  ts_free(y);
}

// BUG: double-free: residual_ hands back x itself, and both handles are freed
void attn_residual_twice(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(T, D), TS_FLOAT32);
  ts_tensor *h = ts_ones(TS_SHAPE(T, D), TS_FLOAT32);
  ts_tensor *y = residual_(x, h);
  printf("residual: %lld\n", (long long)ts_numel(y));
  ts_free(h);
  ts_free(y);
  ts_free(x); // <- BUG
}

// OK: the grown cache replaces the old tensors, which are freed; the step's
// own key and value stay the caller's
static int kv_append(struct kv *c, const ts_tensor *k, const ts_tensor *v) {
  if (!c->k) {
    c->k = ts_clone(k);
    c->v = ts_clone(v);
    c->len = 1;
    return 0;
  }
  const ts_tensor *ks[2] = {c->k, k};
  const ts_tensor *vs[2] = {c->v, v};
  ts_tensor *nk = ts_cat(ks, 2, 0);
  ts_tensor *nv = ts_cat(vs, 2, 0);
  if (!nk || !nv) {
    if (nk)
      ts_free(nk);
    if (nv)
      ts_free(nv);
    return -1;
  }
  ts_free(c->k);
  ts_free(c->v);
  c->k = nk;
  c->v = nv;
  c->len++;
  return 0;
}

// OK: clears the cache, safe to call twice
static void kv_clear(struct kv *c) {
  if (c->k)
    ts_free(c->k);
  if (c->v)
    ts_free(c->v);
  c->k = c->v = NULL;
  c->len = 0;
}

// BUG: leak: kv_append copies the step's key; the step's own key is never freed
void attn_decode_steps(void) {
  struct attn a;
  if (attn_init(&a) != 0)
    return;
  struct kv c = {NULL, NULL, 0};
  for (int t = 0; t < 3; t++) {
    ts_tensor *x = ts_randn(TS_SHAPE(1, D), TS_FLOAT32);
    ts_tensor *k = ts_matmul(x, a.wk); // <- BUG
    ts_tensor *v = ts_matmul(x, a.wv);
    kv_append(&c, k, v);
    ts_free(v);
    ts_free(x);
  }
  printf("cache length %d\n", c.len);
  kv_clear(&c);
  attn_free(&a);
}

// BUG: use-after-scope: the cache grows inside a scoped loop, so the tensors
// kv_append stores belong to the iteration's scope; the next step reads them
void attn_decode_scoped(void) {
  struct attn a;
  if (attn_init(&a) != 0)
    return;
  struct kv c = {NULL, NULL, 0};
  TS_SCOPE for (int t = 0; t < 3; t++) {
    ts_tensor *x = ts_randn(TS_SHAPE(1, D), TS_FLOAT32);
    ts_tensor *k = ts_matmul(x, a.wk);
    ts_tensor *v = ts_matmul(x, a.wv);
    kv_append(&c, k, v); // <- BUG
  }
  printf("cache length %d\n", c.len);
  c.k = c.v = NULL;
  attn_free(&a);
}

// OK: per-step temporaries in a scoped loop; the cache's tensors are kept
// out of the loop's scope and freed by kv_clear
void attn_decode_kept(void) {
  struct attn a;
  if (attn_init(&a) != 0)
    return;
  struct kv c = {NULL, NULL, 0};
  TS_SCOPE for (int t = 0; t < 3; t++) {
    ts_tensor *x = ts_randn(TS_SHAPE(1, D), TS_FLOAT32);
    ts_tensor *k = ts_matmul(x, a.wk);
    ts_tensor *v = ts_matmul(x, a.wv);
    if (kv_append(&c, k, v) == 0) {
      ts_keep(c.k);
      ts_keep(c.v);
    }
  }
  printf("kept cache length %d, %lld rows\n", c.len,
         (long long)ts_size(c.k, 0));
  kv_clear(&c);
  attn_free(&a);
}

// BUG: use-after-scope: the attention map saved for the report was made in the
// scoped block and is read after it
void attn_report(void) {
  struct attn a;
  if (attn_init(&a) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(T, D), TS_FLOAT32);
  ts_tensor *map = NULL;
  TS_SCOPE {
    ts_tensor *q = ts_matmul(x, a.wq);
    ts_tensor *k = ts_matmul(x, a.wk);
    map = attn_weights(q, k);
  }
  printf("map rows %lld\n", (long long)ts_size(map, 0)); // <- BUG
  ts_free(x);
  attn_free(&a);
}

// OK: TS_SCOPE_GUARD() scopes the helper; the context is escaped to the caller
static ts_tensor *self_attend(const struct attn *a, const ts_tensor *x) {
  TS_SCOPE_GUARD();
  ts_tensor *q = ts_matmul(x, a->wq);
  ts_tensor *k = ts_matmul(x, a->wk);
  ts_tensor *v = ts_matmul(x, a->wv);
  ts_tensor *w = attn_weights(q, k);
  ts_tensor *ctx = ts_matmul(w, v);
  return ts_escape(ctx);
}

// BUG: leak: the projected queries leak when the memory's width does not match
static ts_tensor *cross_attend(const struct attn *a, const ts_tensor *x,
                               const ts_tensor *mem) {
  ts_tensor *q = ts_matmul(x, a->wq); // <- BUG
  if (ts_size(mem, 1) != ts_size(x, 1)) {
    fprintf(stderr, "cross_attend: width %lld, expected %lld\n",
            (long long)ts_size(mem, 1), (long long)ts_size(x, 1));
    return NULL;
  }
  ts_tensor *k = ts_matmul(mem, a->wk);
  ts_tensor *kt = ts_transpose(k, 0, 1);
  ts_tensor *s = ts_matmul(q, kt);
  ts_tensor *p = ts_softmax(s, -1);
  ts_tensor *out = ts_matmul(p, mem);
  ts_free(p);
  ts_free(s);
  ts_free(kt);
  ts_free(k);
  ts_free(q);
  return out;
}

// OK: a memory of the wrong width: cross_attend refuses it (its leak is its
// own)
void attn_cross_bad_width(void) {
  struct attn a;
  if (attn_init(&a) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(T, D), TS_FLOAT32);
  ts_tensor *mem = ts_randn(TS_SHAPE(6, D / 2), TS_FLOAT32);
  ts_tensor *o = cross_attend(&a, x, mem);
  if (!o)
    puts("cross attention refused");
  else
    ts_free(o);
  ts_free(mem);
  ts_free(x);
  attn_free(&a);
}

// OK: self_attend's escaped context is freed; the pair of outputs compared
void attn_self(void) {
  struct attn a;
  if (attn_init(&a) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(T, D), TS_FLOAT32);
  ts_tensor *c1 = self_attend(&a, x);
  ts_tensor *c2 = attn_forward(&a, x);
  ts_tensor *d = ts_sub(c1, c2);
  printf("difference numel %lld\n", (long long)ts_numel(d));
  ts_free(d);
  ts_free(c2);
  ts_free(c1);
  ts_free(x);
  attn_free(&a);
}
