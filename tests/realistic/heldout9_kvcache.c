/* heldout9_kvcache.c - a paged key/value cache for an autoregressive
 * decoder: pages of keys and values with reference counts shared between
 * sequences (prefix sharing), a free list, eviction of the least recently
 * used sequence when the cache is full, and one attention step per token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>

#define KV_DIM 8
#define KV_PAGE 4
#define KV_MAX_PAGES 6
#define KV_MAX_SEQS 4

typedef struct kv_page {
  int refs;
  int len;        /* rows filled */
  ts_tensor *k;   /* [KV_PAGE, KV_DIM] */
  ts_tensor *v;   /* [KV_PAGE, KV_DIM] */
} kv_page;

typedef struct {
  int used;
  int last_use;
  int npages;
  int page[KV_MAX_PAGES];
} kv_seq;

typedef struct {
  kv_page pages[KV_MAX_PAGES];
  kv_seq seqs[KV_MAX_SEQS];
  int clock;
  ts_tensor *wq; /* [KV_DIM, KV_DIM] */
} kv_cache;

// OK: zeros pages, one projection the cache owns
static int kv_init(kv_cache *c) {
  memset(c, 0, sizeof *c);
  c->wq = ts_randn(TS_SHAPE(KV_DIM, KV_DIM), TS_FLOAT32);
  return c->wq ? 0 : -1;
}

// OK: frees each page's tensors and the projection
static void kv_destroy(kv_cache *c) {
  for (int i = 0; i < KV_MAX_PAGES; i++) {
    if (c->pages[i].k)
      ts_free(c->pages[i].k);
    if (c->pages[i].v)
      ts_free(c->pages[i].v);
    c->pages[i].k = c->pages[i].v = NULL;
  }
  if (c->wq)
    ts_free(c->wq);
  c->wq = NULL;
}

// OK: a free page index, its buffers made on first use
static int kv_page_alloc(kv_cache *c) {
  for (int i = 0; i < KV_MAX_PAGES; i++) {
    kv_page *p = &c->pages[i];
    if (p->refs == 0) {
      if (!p->k) {
        p->k = ts_zeros(TS_SHAPE(KV_PAGE, KV_DIM), TS_FLOAT32);
        p->v = ts_zeros(TS_SHAPE(KV_PAGE, KV_DIM), TS_FLOAT32);
      }
      p->refs = 1;
      p->len = 0;
      return i;
    }
  }
  return -1;
}

// OK: drops one reference; the buffers stay for reuse
static void kv_page_unref(kv_cache *c, int i) {
  if (--c->pages[i].refs < 0)
    c->pages[i].refs = 0;
}

// OK: writes a row by rebuilding the page (old buffer freed, new one stored)
static void kv_page_put(kv_page *p, const float *krow, const float *vrow) {
  float kb[KV_PAGE * KV_DIM], vb[KV_PAGE * KV_DIM];
  ts_copy_to_buffer(p->k, kb, sizeof kb);
  ts_copy_to_buffer(p->v, vb, sizeof vb);
  memcpy(kb + p->len * KV_DIM, krow, sizeof(float) * KV_DIM);
  memcpy(vb + p->len * KV_DIM, vrow, sizeof(float) * KV_DIM);
  ts_tensor *nk = ts_from_buffer(kb, TS_SHAPE(KV_PAGE, KV_DIM), TS_FLOAT32);
  ts_tensor *nv = ts_from_buffer(vb, TS_SHAPE(KV_PAGE, KV_DIM), TS_FLOAT32);
  ts_free(p->k);
  ts_free(p->v);
  p->k = nk;
  p->v = nv;
  p->len++;
}

// OK: appends a token to a sequence, taking a new page when the last is full
static int kv_append(kv_cache *c, int s, const float *krow, const float *vrow) {
  kv_seq *q = &c->seqs[s];
  int last = q->npages ? q->page[q->npages - 1] : -1;
  if (last < 0 || c->pages[last].len == KV_PAGE || c->pages[last].refs > 1) {
    if (q->npages == KV_MAX_PAGES)
      return -1;
    last = kv_page_alloc(c);
    if (last < 0)
      return -1;
    q->page[q->npages++] = last;
  }
  kv_page_put(&c->pages[last], krow, vrow);
  q->last_use = ++c->clock;
  return 0;
}

// OK: releases every page of a sequence
static void kv_seq_drop(kv_cache *c, int s) {
  kv_seq *q = &c->seqs[s];
  for (int i = 0; i < q->npages; i++)
    kv_page_unref(c, q->page[i]);
  q->npages = 0;
  q->used = 0;
}

// OK: the least recently used live sequence
static int kv_lru(const kv_cache *c) {
  int best = -1;
  for (int s = 0; s < KV_MAX_SEQS; s++)
    if (c->seqs[s].used &&
        (best < 0 || c->seqs[s].last_use < c->seqs[best].last_use))
      best = s;
  return best;
}

// OK: opens a sequence, evicting the LRU one when all slots are taken
static int kv_seq_open(kv_cache *c) {
  for (int s = 0; s < KV_MAX_SEQS; s++)
    if (!c->seqs[s].used) {
      c->seqs[s].used = 1;
      c->seqs[s].last_use = ++c->clock;
      return s;
    }
  int victim = kv_lru(c);
  kv_seq_drop(c, victim);
  c->seqs[victim].used = 1;
  c->seqs[victim].last_use = ++c->clock;
  return victim;
}

// OK: keys of a sequence stacked into one [n, D] tensor, caller owns it
static ts_tensor *kv_gather_keys(const kv_cache *c, int s) {
  const kv_seq *q = &c->seqs[s];
  int rows = 0;
  float buf[KV_MAX_PAGES * KV_PAGE * KV_DIM];
  for (int i = 0; i < q->npages; i++) {
    const kv_page *p = &c->pages[q->page[i]];
    float pb[KV_PAGE * KV_DIM];
    ts_copy_to_buffer(p->k, pb, sizeof pb);
    memcpy(buf + rows * KV_DIM, pb, sizeof(float) * p->len * KV_DIM);
    rows += p->len;
  }
  if (rows == 0)
    return NULL;
  return ts_from_buffer(buf, TS_SHAPE(rows, KV_DIM), TS_FLOAT32);
}

// OK: one attention score vector, temporaries in a scope, result escaped
static ts_tensor *kv_attend(const kv_cache *c, int s, const ts_tensor *x) {
  ts_tensor *out = NULL;
  TS_SCOPE {
    ts_tensor *keys = kv_gather_keys(c, s);
    if (keys) {
      ts_tensor *q = ts_matmul(x, c->wq);            /* [1, D] */
      ts_tensor *kt = ts_transpose(keys, 0, 1);      /* [D, n] */
      ts_tensor *sc = ts_mul_scalar(ts_matmul(q, kt), 0.35);
      out = ts_escape(ts_softmax(sc, 1));
      ts_free(keys);
    }
  }
  return out;
}

// OK: a random key/value row pair
static void kv_row(float *k, float *v, int seed) {
  for (int i = 0; i < KV_DIM; i++) {
    k[i] = (float)((seed * 7 + i) % 5) * 0.1f;
    v[i] = (float)((seed * 3 + i) % 7) * 0.1f;
  }
}

// OK: entry: two sequences decoded, attention each step, all freed
void kv_entry_decode(void) {
  kv_cache c;
  if (kv_init(&c))
    return;
  int a = kv_seq_open(&c), b = kv_seq_open(&c);
  float k[KV_DIM], v[KV_DIM];
  for (int t = 0; t < 6; t++) {
    kv_row(k, v, t);
    kv_append(&c, a, k, v);
    kv_append(&c, b, v, k);
    ts_tensor *x = ts_randn(TS_SHAPE(1, KV_DIM), TS_FLOAT32);
    ts_tensor *p = kv_attend(&c, a, x);
    if (p) {
      ts_tensor *best = ts_argmax(p);
      printf("step %d: %.0f\n", t, ts_item(best));
      ts_free(best);
      ts_free(p);
    }
    ts_free(x);
  }
  kv_destroy(&c);
}

// BUG: leak: the 0-d sum printed in the loop is never freed (outside any scope)
void kv_entry_decode_sum(void) {
  kv_cache c;
  if (kv_init(&c))
    return;
  int a = kv_seq_open(&c);
  float k[KV_DIM], v[KV_DIM];
  for (int t = 0; t < 3; t++) {
    kv_row(k, v, t);
    kv_append(&c, a, k, v);
    ts_tensor *keys = kv_gather_keys(&c, a);
    ts_tensor *s = ts_sum(keys); // <- BUG
    printf("sum %d: %.3f\n", t, ts_item(s));
    ts_free(keys);
  }
  kv_destroy(&c);
}

// OK: forks a sequence sharing its full pages (refcounts up)
static int kv_fork(kv_cache *c, int from) {
  int to = kv_seq_open(c);
  if (to == from)
    return -1;
  kv_seq *src = &c->seqs[from], *dst = &c->seqs[to];
  for (int i = 0; i < src->npages; i++) {
    dst->page[i] = src->page[i];
    c->pages[src->page[i]].refs++;
  }
  dst->npages = src->npages;
  return to;
}

// BUG: double-free: a page with refs > 1 is freed outright, then its other owner frees it again in kv_destroy
static void kv_seq_drop_hard(kv_cache *c, int s) {
  kv_seq *q = &c->seqs[s];
  for (int i = 0; i < q->npages; i++) {
    kv_page *p = &c->pages[q->page[i]];
    ts_free(p->k); // <- BUG
    ts_free(p->v);
    p->refs = 0;
  }
  q->npages = 0;
  q->used = 0;
}

// OK: entry: fork then hard-drop the child (the bug is in kv_seq_drop_hard)
void kv_entry_fork_drop(void) {
  kv_cache c;
  if (kv_init(&c))
    return;
  int a = kv_seq_open(&c);
  float k[KV_DIM], v[KV_DIM];
  for (int t = 0; t < 4; t++) {
    kv_row(k, v, t);
    kv_append(&c, a, k, v);
  }
  int b = kv_fork(&c, a);
  if (b >= 0)
    kv_seq_drop_hard(&c, b);
  kv_destroy(&c);
}

// OK: entry: fork and normal drop, then continue the parent
void kv_entry_fork(void) {
  kv_cache c;
  if (kv_init(&c))
    return;
  int a = kv_seq_open(&c);
  float k[KV_DIM], v[KV_DIM];
  for (int t = 0; t < 5; t++) {
    kv_row(k, v, t);
    kv_append(&c, a, k, v);
  }
  int b = kv_fork(&c, a);
  if (b >= 0) {
    kv_row(k, v, 9);
    kv_append(&c, b, k, v);
    kv_seq_drop(&c, b);
  }
  kv_append(&c, a, k, v);
  kv_destroy(&c);
}

// BUG: use-after-free: the page's key buffer is read after kv_page_put replaced (freed) it
static double kv_put_and_norm(kv_page *p, const float *k, const float *v) {
  ts_tensor *old = p->k;
  kv_page_put(p, k, v);
  ts_tensor *sq = ts_mul(old, old); // <- BUG
  ts_tensor *tot = ts_sum(sq);
  double n = ts_item(tot);
  ts_free(tot);
  ts_free(sq);
  return n;
}

// OK: entry: drives kv_put_and_norm once
void kv_entry_put_norm(void) {
  kv_cache c;
  if (kv_init(&c))
    return;
  int i = kv_page_alloc(&c);
  float k[KV_DIM], v[KV_DIM];
  kv_row(k, v, 1);
  printf("%.3f\n", kv_put_and_norm(&c.pages[i], k, v));
  kv_destroy(&c);
}

// OK: scores for a batch of queries, per-query scope, results kept in an array
static int kv_score_batch(const kv_cache *c, int s, ts_tensor **out, int n) {
  int made = 0;
  TS_SCOPE for (int i = 0; i < n; i++) {
    ts_tensor *x = ts_randn(TS_SHAPE(1, KV_DIM), TS_FLOAT32);
    ts_tensor *p = kv_attend(c, s, x);
    if (!p)
      break;
    out[made++] = ts_keep(p);
  }
  return made;
}

// OK: entry: batch of scores freed one by one
void kv_entry_batch(void) {
  kv_cache c;
  if (kv_init(&c))
    return;
  int a = kv_seq_open(&c);
  float k[KV_DIM], v[KV_DIM];
  for (int t = 0; t < 3; t++) {
    kv_row(k, v, t);
    kv_append(&c, a, k, v);
  }
  ts_tensor *sc[4];
  int n = kv_score_batch(&c, a, sc, 4);
  for (int i = 0; i < n; i++)
    ts_free(sc[i]);
  kv_destroy(&c);
}

// BUG: use-after-scope: the last query's scores are read after the loop's iteration scope freed them
static double kv_last_score(const kv_cache *c, int s, int n) {
  ts_tensor *last = NULL;
  TS_SCOPE for (int i = 0; i < n; i++) {
    ts_tensor *x = ts_randn(TS_SHAPE(1, KV_DIM), TS_FLOAT32);
    last = kv_attend(c, s, x);
  }
  return last ? ts_item(last) : -1.0; // <- BUG
}

// OK: entry: drives kv_last_score
void kv_entry_last_score(void) {
  kv_cache c;
  if (kv_init(&c))
    return;
  int a = kv_seq_open(&c);
  float k[KV_DIM], v[KV_DIM];
  kv_row(k, v, 2);
  kv_append(&c, a, k, v);
  printf("%.0f\n", kv_last_score(&c, a, 3));
  kv_destroy(&c);
}

// BUG: leak: when the sequence has no room the freshly projected key is dropped on the error return
static int kv_append_projected(kv_cache *c, int s, const ts_tensor *x) {
  ts_tensor *kx = ts_matmul(x, c->wq);
  float row[KV_DIM];
  ts_copy_to_buffer(kx, row, sizeof row);
  if (kv_append(c, s, row, row) != 0)
    return -1; // <- BUG
  ts_free(kx);
  return 0;
}

// OK: entry: fills a sequence past its page limit so kv_append_projected fails
void kv_entry_projected_full(void) {
  kv_cache c;
  if (kv_init(&c))
    return;
  int a = kv_seq_open(&c);
  ts_tensor *x = ts_randn(TS_SHAPE(1, KV_DIM), TS_FLOAT32);
  for (int t = 0; t < KV_MAX_PAGES * KV_PAGE + 1; t++)
    if (kv_append_projected(&c, a, x) != 0)
      break;
  ts_free(x);
  kv_destroy(&c);
}

// OK: projected append that frees the key on both paths
static int kv_append_projected_ok(kv_cache *c, int s, const ts_tensor *x) {
  ts_tensor *kx = ts_matmul(x, c->wq);
  if (!kx)
    return -1;
  float row[KV_DIM];
  ts_copy_to_buffer(kx, row, sizeof row);
  int rc = kv_append(c, s, row, row);
  ts_free(kx);
  return rc;
}

// OK: entry: same flow with the correct helper, past the limit
void kv_entry_projected_ok(void) {
  kv_cache c;
  if (kv_init(&c))
    return;
  int a = kv_seq_open(&c);
  ts_tensor *x = ts_randn(TS_SHAPE(1, KV_DIM), TS_FLOAT32);
  for (int t = 0; t < KV_MAX_PAGES * KV_PAGE + 1; t++)
    if (kv_append_projected_ok(&c, a, x) != 0)
      break;
  ts_free(x);
  kv_destroy(&c);
}

// OK: entry: more sequences than slots, eviction reuses pages
void kv_entry_evict(void) {
  kv_cache c;
  if (kv_init(&c))
    return;
  float k[KV_DIM], v[KV_DIM];
  for (int r = 0; r < 7; r++) {
    int s = kv_seq_open(&c);
    kv_row(k, v, r);
    if (kv_append(&c, s, k, v) != 0)
      kv_seq_drop(&c, kv_lru(&c));
  }
  kv_destroy(&c);
}

// BUG: unescaped-return: the summary built in the function's scope is returned without ts_escape
TS_SCOPED static ts_tensor *kv_page_summary(const kv_page *p) {
  ts_tensor *m = ts_mean(p->k);
  ts_tensor *s = ts_add(m, ts_mean(p->v));
  return s; // <- BUG
}

// OK: caller of kv_page_summary reads and frees the result
static double kv_summary_value(const kv_page *p) {
  ts_tensor *s = kv_page_summary(p);
  double d = ts_item(s);
  ts_free(s);
  return d;
}

// OK: entry: page summary through kv_summary_value
void kv_entry_summary(void) {
  kv_cache c;
  if (kv_init(&c))
    return;
  int i = kv_page_alloc(&c);
  printf("%.3f\n", kv_summary_value(&c.pages[i]));
  kv_destroy(&c);
}

// OK: escaped summary, the correct twin
TS_SCOPED static ts_tensor *kv_page_summary_ok(const kv_page *p) {
  ts_tensor *m = ts_mean(p->k);
  return ts_escape(ts_add(m, ts_mean(p->v)));
}

// OK: entry: every allocated page summarised
void kv_entry_summaries(void) {
  kv_cache c;
  if (kv_init(&c))
    return;
  for (int j = 0; j < 3; j++) {
    int i = kv_page_alloc(&c);
    ts_tensor *s = kv_page_summary_ok(&c.pages[i]);
    printf("%.3f\n", ts_item(s));
    ts_free(s);
  }
  kv_destroy(&c);
}

// BUG: double-free: on the error path the projection is freed here and again by kv_destroy
static int kv_reproject(kv_cache *c, int bad) {
  ts_tensor *nw = ts_randn(TS_SHAPE(KV_DIM, KV_DIM), TS_FLOAT32);
  if (bad) {
    ts_free(nw);
    ts_free(c->wq); // <- BUG
    return -1;
  }
  ts_free(c->wq);
  c->wq = nw;
  return 0;
}

// OK: entry: reprojection that fails
void kv_entry_reproject_fail(void) {
  kv_cache c;
  if (kv_init(&c))
    return;
  if (kv_reproject(&c, 1) != 0)
    fprintf(stderr, "reproject failed\n");
  kv_destroy(&c);
}

// OK: reprojection that clears the field before failing
static int kv_reproject_ok(kv_cache *c, int bad) {
  ts_tensor *nw = ts_randn(TS_SHAPE(KV_DIM, KV_DIM), TS_FLOAT32);
  ts_free(c->wq);
  c->wq = NULL;
  if (bad) {
    ts_free(nw);
    return -1;
  }
  c->wq = nw;
  return 0;
}

// OK: entry: both outcomes of kv_reproject_ok
void kv_entry_reproject_ok(void) {
  kv_cache c;
  if (kv_init(&c))
    return;
  kv_reproject_ok(&c, 0);
  kv_reproject_ok(&c, 1);
  kv_destroy(&c);
}

// BUG: leak: the replaced page keys are overwritten in the field without freeing the old ones
static void kv_page_reset(kv_page *p) {
  p->k = ts_zeros(TS_SHAPE(KV_PAGE, KV_DIM), TS_FLOAT32); // <- BUG
  ts_free(p->v);
  p->v = ts_zeros(TS_SHAPE(KV_PAGE, KV_DIM), TS_FLOAT32);
  p->len = 0;
}

// OK: entry: resets a page that has buffers
void kv_entry_reset(void) {
  kv_cache c;
  if (kv_init(&c))
    return;
  int i = kv_page_alloc(&c);
  kv_page_reset(&c.pages[i]);
  kv_destroy(&c);
}

// BUG: use-after-free: the evicted sequence's first page keys are freed by the trim and then gathered
static double kv_trim_and_read(kv_cache *c, int s) {
  kv_seq *q = &c->seqs[s];
  kv_page *first = &c->pages[q->page[0]];
  ts_tensor *k = first->k;
  if (first->refs == 1) {
    ts_free(first->k);
    ts_free(first->v);
    first->k = first->v = NULL;
  }
  float buf[KV_PAGE * KV_DIM];
  ts_copy_to_buffer(k, buf, sizeof buf); // <- BUG
  return buf[0];
}

// OK: entry: drives kv_trim_and_read on an unshared page
void kv_entry_trim(void) {
  kv_cache c;
  if (kv_init(&c))
    return;
  int a = kv_seq_open(&c);
  float k[KV_DIM], v[KV_DIM];
  kv_row(k, v, 3);
  kv_append(&c, a, k, v);
  printf("%.3f\n", kv_trim_and_read(&c, a));
  kv_destroy(&c);
}
