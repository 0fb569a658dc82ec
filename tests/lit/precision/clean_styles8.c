// Precision corpus: correct C in styles the other precision files do not
// cover, written from SPEC.md alone: model structs with init/forward/free,
// caches that evict, refcounted handles, goto cleanup, out-parameters,
// ts_run serving, async sessions, pools, TS_CALLER_SCOPE helpers,
// switch-based state machines, function-pointer tables, arrays of structs,
// ownership handed over or not by a return code, loops with break/continue.
// RUN: %clang %tsmem -Wall -Wextra -Werror -O0 %s -o %t0 %link_tsmem
// RUN: env TSMEM_STRICT=1 TSMEM_LEAK_REPORT=1 %t0 > %t0.out 2>&1
// RUN: %clang %tsmem -Wall -Wextra -Werror -O2 %s -o %t2 %link_tsmem
// RUN: env TSMEM_STRICT=1 TSMEM_LEAK_REPORT=1 %t2 > %t2.out 2>&1
// RUN: diff %t0.out %t2.out
// RUN: %clang %cflags -DTSMEM_EDITOR -w -O0 %s -o %te %link_tsmem
// RUN: %te | grep '^v ' > %te.v
// RUN: grep '^v ' %t0.out | diff %te.v -
// RUN: FileCheck %s < %t0.out
// CHECK-NOT: FAIL
// CHECK-NOT: tsmem:
// CHECK: clean_styles8: all checks passed
// CHECK-NOT: tsmem:
#include "common.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static double total(const ts_tensor *t) {
  ts_tensor *s = ts_sum(t);
  double v = ts_item(s);
  ts_free(s);
  return v;
}

/* ======================= model structs ======================= */

typedef struct {
  ts_tensor *w; /* [in, out] */
  ts_tensor *b; /* [1, out] */
  int in, out;
} dense;

static int dense_init(dense *d, int in, int out) {
  memset(d, 0, sizeof *d);
  d->in = in;
  d->out = out;
  d->w = ts_full(TS_SHAPE(in, out), TS_FLOAT32, 0.5);
  if (!d->w)
    return -1;
  d->b = ts_zeros(TS_SHAPE(1, out), TS_FLOAT32);
  if (!d->b) {
    ts_free(d->w);
    d->w = NULL;
    return -1;
  }
  return 0;
}

static void dense_free(dense *d) {
  ts_free(d->w);
  ts_free(d->b);
  d->w = d->b = NULL;
}

/* The activation in the caller's scope. */
TS_CALLER_SCOPE static ts_tensor *dense_apply(const dense *d,
                                              const ts_tensor *x) {
  return ts_add(ts_matmul(x, d->w), d->b);
}

/* Manual result: one scope around the temporaries. */
static ts_tensor *dense_forward(const dense *d, const ts_tensor *x) {
  ts_tensor *y = NULL;
  TS_SCOPE {
    ts_tensor *h = dense_apply(d, x);
    y = ts_escape(ts_relu(h));
  }
  return y;
}

double m_dense(void) {
  dense d;
  if (dense_init(&d, 3, 2) != 0)
    return -1;
  ts_tensor *x = ts_ones(TS_SHAPE(1, 3), TS_FLOAT32);
  double v = -1;
  if (x) {
    ts_tensor *y = dense_forward(&d, x);
    if (y) {
      v = total(y);
      ts_free(y);
    }
    ts_free(x);
  }
  dense_free(&d);
  return v;
}

typedef struct {
  dense layers[3];
  int nlayers;
} mlp;

static int mlp_init(mlp *m, int width, int depth) {
  m->nlayers = 0;
  for (int i = 0; i < depth; i++) {
    if (dense_init(&m->layers[i], width, width) != 0) {
      while (m->nlayers > 0)
        dense_free(&m->layers[--m->nlayers]);
      return -1;
    }
    m->nlayers++;
  }
  return 0;
}

static void mlp_free(mlp *m) {
  for (int i = 0; i < m->nlayers; i++)
    dense_free(&m->layers[i]);
  m->nlayers = 0;
}

static ts_tensor *mlp_forward(const mlp *m, const ts_tensor *x) {
  ts_tensor *cur = ts_clone(x);
  for (int i = 0; cur && i < m->nlayers; i++) {
    ts_tensor *next = dense_forward(&m->layers[i], cur);
    ts_free(cur);
    cur = next;
  }
  return cur;
}

double m_mlp(void) {
  mlp m;
  if (mlp_init(&m, 2, 3) != 0)
    return -1;
  ts_tensor *x = ts_ones(TS_SHAPE(1, 2), TS_FLOAT32);
  ts_tensor *y = x ? mlp_forward(&m, x) : NULL;
  double v = y ? total(y) : -1;
  ts_free(y);
  ts_free(x);
  mlp_free(&m);
  return v;
}

/* A model behind a heap pointer, made and destroyed by a pair of calls. */
typedef struct {
  dense enc, dec;
  ts_tensor *scale;
} autoenc;

static autoenc *autoenc_new(int n, int k) {
  autoenc *a = calloc(1, sizeof *a);
  if (!a)
    return NULL;
  if (dense_init(&a->enc, n, k) != 0)
    goto fail;
  if (dense_init(&a->dec, k, n) != 0)
    goto fail_enc;
  a->scale = ts_full(TS_SHAPE(1), TS_FLOAT32, 2);
  if (!a->scale)
    goto fail_dec;
  return a;
fail_dec:
  dense_free(&a->dec);
fail_enc:
  dense_free(&a->enc);
fail:
  free(a);
  return NULL;
}

static void autoenc_delete(autoenc *a) {
  if (!a)
    return;
  dense_free(&a->enc);
  dense_free(&a->dec);
  ts_free(a->scale);
  free(a);
}

static double autoenc_score(autoenc *a, const ts_tensor *x) {
  double v = 0;
  TS_SCOPE {
    ts_tensor *z = dense_apply(&a->enc, x);
    ts_tensor *r = dense_apply(&a->dec, z);
    v = ts_item(ts_sum(ts_mul(r, a->scale)));
  }
  return v;
}

double m_autoenc(void) {
  autoenc *a = autoenc_new(3, 2);
  if (!a)
    return -1;
  ts_tensor *x = ts_ones(TS_SHAPE(1, 3), TS_FLOAT32);
  double v = x ? autoenc_score(a, x) : -1;
  ts_free(x);
  autoenc_delete(a);
  return v;
}

/* A weight replaced after a step; the old one freed once the new exists. */
static int dense_decay(dense *d, double k) {
  ts_tensor *nw = ts_mul_scalar(d->w, k);
  if (!nw)
    return -1;
  ts_free(d->w);
  d->w = nw;
  return 0;
}

double m_decay(int steps) {
  dense d;
  if (dense_init(&d, 2, 2) != 0)
    return -1;
  for (int i = 0; i < steps; i++)
    if (dense_decay(&d, 0.5) != 0)
      break;
  double v = total(d.w);
  dense_free(&d);
  return v;
}

/* A snapshot of the weights taken and restored. */
typedef struct {
  ts_tensor *w, *b;
} snapshot;

static int snap_take(const dense *d, snapshot *s) {
  s->w = ts_clone(d->w);
  s->b = ts_clone(d->b);
  if (!s->w || !s->b) {
    ts_free(s->w);
    ts_free(s->b);
    s->w = s->b = NULL;
    return -1;
  }
  return 0;
}

static void snap_restore(dense *d, snapshot *s) {
  ts_free(d->w);
  ts_free(d->b);
  d->w = s->w;
  d->b = s->b;
  s->w = s->b = NULL;
}

double m_snapshot(void) {
  dense d;
  if (dense_init(&d, 2, 2) != 0)
    return -1;
  snapshot s;
  double v = -1;
  if (snap_take(&d, &s) == 0) {
    dense_decay(&d, 0.1);
    snap_restore(&d, &s);
    v = total(d.w);
  }
  dense_free(&d);
  return v;
}

/* ======================= caches with eviction ======================= */

#define LRU_CAP 3

typedef struct {
  int key[LRU_CAP];
  ts_tensor *val[LRU_CAP];
  unsigned stamp[LRU_CAP];
  int n;
  unsigned clock;
} lru;

static void lru_init(lru *c) { memset(c, 0, sizeof *c); }

static void lru_clear(lru *c) {
  for (int i = 0; i < c->n; i++) {
    ts_free(c->val[i]);
    c->val[i] = NULL;
  }
  c->n = 0;
}

/* Borrowed: the cache keeps it. */
static const ts_tensor *lru_get(lru *c, int key) {
  for (int i = 0; i < c->n; i++)
    if (c->key[i] == key) {
      c->stamp[i] = ++c->clock;
      return c->val[i];
    }
  return NULL;
}

/* Takes t; evicts (frees) the least recently used entry when full, and
 * replaces (frees) an entry with the same key. */
static void lru_put(lru *c, int key, ts_tensor *t) {
  for (int i = 0; i < c->n; i++)
    if (c->key[i] == key) {
      ts_free(c->val[i]);
      c->val[i] = t;
      c->stamp[i] = ++c->clock;
      return;
    }
  int slot = c->n;
  if (c->n == LRU_CAP) {
    slot = 0;
    for (int i = 1; i < c->n; i++)
      if (c->stamp[i] < c->stamp[slot])
        slot = i;
    ts_free(c->val[slot]);
  } else {
    c->n++;
  }
  c->key[slot] = key;
  c->val[slot] = t;
  c->stamp[slot] = ++c->clock;
}

static double lru_sum_or_make(lru *c, int key) {
  const ts_tensor *t = lru_get(c, key);
  if (!t) {
    ts_tensor *made = ts_full(TS_SHAPE(2), TS_FLOAT32, key);
    if (!made)
      return -1;
    lru_put(c, key, made);
    t = made;
  }
  return total(t);
}

double c_lru(void) {
  lru c;
  lru_init(&c);
  double v = 0;
  int keys[] = {1, 2, 3, 1, 4, 5, 1, 2};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    v += lru_sum_or_make(&c, keys[i]);
  lru_clear(&c);
  return v;
}

/* The value is copied out before the put that may evict it. */
double c_lru_copy_first(void) {
  lru c;
  lru_init(&c);
  for (int k = 0; k < LRU_CAP; k++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, k + 1);
    if (t)
      lru_put(&c, k, t);
  }
  const ts_tensor *old = lru_get(&c, 1);
  ts_tensor *copy = old ? ts_clone(old) : NULL;
  ts_tensor *fresh = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  if (fresh)
    lru_put(&c, 1, fresh); /* replaces (frees) the old value */
  double v = copy ? total(copy) : -1;
  ts_free(copy);
  lru_clear(&c);
  return v;
}

/* A ring that overwrites: the oldest is freed before its slot is reused. */
#define RING 4
typedef struct {
  ts_tensor *slot[RING];
  int head, count;
} ring;

static void ring_push(ring *r, ts_tensor *t) {
  int at = (r->head + r->count) % RING;
  if (r->count == RING) {
    ts_free(r->slot[r->head]);
    r->slot[r->head] = t;
    r->head = (r->head + 1) % RING;
    return;
  }
  r->slot[at] = t;
  r->count++;
}

static ts_tensor *ring_pop(ring *r) {
  if (r->count == 0)
    return NULL;
  ts_tensor *t = r->slot[r->head];
  r->slot[r->head] = NULL;
  r->head = (r->head + 1) % RING;
  r->count--;
  return t;
}

static void ring_drain(ring *r) {
  ts_tensor *t;
  while ((t = ring_pop(r)) != NULL)
    ts_free(t);
}

double c_ring(int n) {
  ring r = {{NULL}, 0, 0};
  for (int i = 0; i < n; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    if (!t)
      break;
    ring_push(&r, t);
  }
  double v = 0;
  ts_tensor *first = ring_pop(&r);
  if (first) {
    v = total(first);
    ts_free(first);
  }
  ring_drain(&r);
  return v;
}

/* A bounded bag: push hands the tensor over only when it returns 0. */
typedef struct {
  ts_tensor *items[4];
  int n;
} bag;

static int bag_push(bag *b, ts_tensor *t) {
  if (b->n == 4)
    return -1; /* not taken: still the caller's */
  b->items[b->n++] = t;
  return 0;
}

static void bag_free(bag *b) {
  for (int i = 0; i < b->n; i++)
    ts_free(b->items[i]);
  b->n = 0;
}

double c_bag(int n) {
  bag b = {{NULL}, 0};
  int dropped = 0;
  for (int i = 0; i < n; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    if (!t)
      continue;
    if (bag_push(&b, t) != 0) {
      ts_free(t);
      dropped++;
    }
  }
  double v = dropped;
  for (int i = 0; i < b.n; i++)
    v += total(b.items[i]);
  bag_free(&b);
  return v;
}

/* The same with a bool result and the failing branch first. */
static bool bag_try(bag *b, ts_tensor *t) { return bag_push(b, t) == 0; }

double c_bag_bool(int n) {
  bag b = {{NULL}, 0};
  for (int i = 0; i < n; i++) {
    ts_tensor *t = ts_ones(TS_SHAPE(2), TS_FLOAT32);
    if (!t)
      break;
    if (!bag_try(&b, t)) {
      ts_free(t);
      break;
    }
  }
  double v = b.n;
  bag_free(&b);
  return v;
}

/* ======================= refcounted handles ======================= */

typedef struct {
  ts_tensor *t;
  int refs;
} shared_t;

static shared_t *shared_new(ts_tensor *t) {
  shared_t *s = malloc(sizeof *s);
  if (!s) {
    ts_free(t);
    return NULL;
  }
  s->t = t;
  s->refs = 1;
  return s;
}

static shared_t *shared_ref(shared_t *s) {
  s->refs++;
  return s;
}

static void shared_unref(shared_t *s) {
  if (!s)
    return;
  if (--s->refs > 0)
    return;
  ts_free(s->t);
  free(s);
}

double r_shared(void) {
  ts_tensor *t = ts_full(TS_SHAPE(2), TS_FLOAT32, 3);
  if (!t)
    return -1;
  shared_t *a = shared_new(t);
  if (!a)
    return -1;
  shared_t *b = shared_ref(a);
  shared_unref(a);
  double v = total(b->t); /* b still holds a reference */
  shared_unref(b);
  return v;
}

/* Holders of a shared tensor in an array of structs. */
typedef struct {
  shared_t *emb;
  int id;
} user;

double r_users(int n) {
  ts_tensor *t = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  shared_t *s = t ? shared_new(t) : NULL;
  if (!s)
    return -1;
  user us[4];
  int k = 0;
  for (; k < n && k < 4; k++) {
    us[k].emb = shared_ref(s);
    us[k].id = k;
  }
  shared_unref(s);
  double v = 0;
  for (int i = 0; i < k; i++)
    v += total(us[i].emb->t) * us[i].id;
  for (int i = 0; i < k; i++)
    shared_unref(us[i].emb);
  return v;
}

/* An entry whose tensor is released when its refcount drops, and a reader
 * that holds a reference across the release by another. */
typedef struct {
  ts_tensor *vec;
  int refs;
  bool live;
} entry;

static void entry_put(entry *e) {
  if (--e->refs == 0 && e->vec) {
    ts_free(e->vec);
    e->vec = NULL;
    e->live = false;
  }
}

double r_entry(void) {
  entry e = {ts_full(TS_SHAPE(2), TS_FLOAT32, 4), 2, true};
  if (!e.vec)
    return -1;
  entry_put(&e); /* one holder left: still there */
  double v = e.live ? total(e.vec) : -1;
  entry_put(&e);
  return v + (e.live ? 1 : 0);
}

/* ======================= goto cleanup ======================= */

double g_chain(int fail_at) {
  double v = -1;
  ts_tensor *a = NULL, *b = NULL, *c = NULL;
  a = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  if (!a || fail_at == 1)
    goto out;
  b = ts_add(a, a);
  if (!b || fail_at == 2)
    goto out;
  c = ts_mul(a, b);
  if (!c || fail_at == 3)
    goto out;
  v = total(c);
out:
  if (c)
    ts_free(c);
  if (b)
    ts_free(b);
  if (a)
    ts_free(a);
  return v;
}

/* Labels in reverse order of acquisition, each freeing one thing. */
double g_ladder(int fail_at) {
  double v = -1;
  ts_tensor *x = ts_arange(0, 4, 1, TS_FLOAT32);
  if (!x)
    return v;
  ts_tensor *y = ts_mul_scalar(x, 2);
  if (!y)
    goto free_x;
  if (fail_at == 1) {
    ts_free(y);
    goto free_x;
  }
  ts_tensor *z = ts_add(x, y);
  if (!z)
    goto free_y;
  if (fail_at != 2)
    v = total(z);
  ts_free(z);
free_y:
  ts_free(y);
free_x:
  ts_free(x);
  return v;
}

/* Cleanup that hands the result out through an out-parameter on success. */
static int g_build(int n, ts_tensor **out) {
  int rc = -1;
  ts_tensor *base = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  ts_tensor *res = NULL;
  if (!base)
    goto done;
  res = ts_mul_scalar(base, n);
  if (!res)
    goto done;
  *out = res;
  res = NULL;
  rc = 0;
done:
  if (res)
    ts_free(res);
  if (base)
    ts_free(base);
  return rc;
}

double g_use_build(int n) {
  ts_tensor *t = NULL;
  if (g_build(n, &t) != 0)
    return -1;
  double v = total(t);
  ts_free(t);
  return v;
}

/* A loop with a goto out to one cleanup label. */
double g_loop(int n, int bad) {
  ts_tensor *acc = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  double v = -1;
  if (!acc)
    return v;
  for (int i = 0; i < n; i++) {
    if (i == bad)
      goto fail;
    ts_tensor *one = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    if (!one)
      goto fail;
    ts_tensor *next = ts_add(acc, one);
    ts_free(one);
    if (!next)
      goto fail;
    ts_free(acc);
    acc = next;
  }
  v = total(acc);
fail:
  ts_free(acc);
  return v;
}

/* A flag records what was made; one cleanup frees by it. */
double g_flags(int mode) {
  ts_tensor *t[3] = {NULL, NULL, NULL};
  unsigned made = 0;
  double v = 0;
  for (int i = 0; i < 3; i++) {
    if (mode & (1 << i)) {
      t[i] = ts_full(TS_SHAPE(1), TS_FLOAT32, i + 1);
      if (!t[i])
        goto cleanup;
      made |= 1u << i;
    }
  }
  for (int i = 0; i < 3; i++)
    if (made & (1u << i))
      v += total(t[i]);
cleanup:
  for (int i = 0; i < 3; i++)
    if (made & (1u << i))
      ts_free(t[i]);
  return v;
}

/* ======================= out-parameters ======================= */

/* Two results, or none. */
static int split_halves(const ts_tensor *x, ts_tensor **lo, ts_tensor **hi) {
  *lo = *hi = NULL;
  ts_tensor *a = ts_mul_scalar(x, 0.5);
  if (!a)
    return -1;
  ts_tensor *b = ts_sub(x, a);
  if (!b) {
    ts_free(a);
    return -1;
  }
  *lo = a;
  *hi = b;
  return 0;
}

double o_halves(void) {
  ts_tensor *x = ts_full(TS_SHAPE(2), TS_FLOAT32, 4);
  if (!x)
    return -1;
  ts_tensor *lo, *hi;
  double v = -1;
  if (split_halves(x, &lo, &hi) == 0) {
    v = total(lo) - total(hi);
    ts_free(lo);
    ts_free(hi);
  }
  ts_free(x);
  return v;
}

/* An optional out-parameter: NULL means the caller does not want it. */
static ts_tensor *norm_with_stats(const ts_tensor *x, ts_tensor **mean_out) {
  ts_tensor *m = ts_mean(x);
  if (!m)
    return NULL;
  ts_tensor *c = ts_sub(x, m);
  if (mean_out)
    *mean_out = m;
  else
    ts_free(m);
  return c;
}

double o_optional(int want) {
  ts_tensor *x = ts_arange(0, 4, 1, TS_FLOAT32);
  if (!x)
    return -1;
  ts_tensor *m = NULL;
  ts_tensor *c = norm_with_stats(x, want ? &m : NULL);
  double v = c ? total(c) : -1;
  if (m) {
    v += ts_item(m);
    ts_free(m);
  }
  ts_free(c);
  ts_free(x);
  return v;
}

/* An in/out parameter replaced in place on success. */
static int clip_inplace(ts_tensor **io, double hi) {
  ts_tensor *neg = ts_neg(*io);
  if (!neg)
    return -1;
  ts_tensor *shifted = ts_add_scalar(neg, hi);
  ts_free(neg);
  if (!shifted)
    return -1;
  ts_tensor *r = ts_relu(shifted);
  ts_free(shifted);
  if (!r)
    return -1;
  ts_tensor *back = ts_add_scalar(r, -hi);
  ts_free(r);
  ts_tensor *out = back ? ts_neg(back) : NULL;
  if (back)
    ts_free(back);
  if (!out)
    return -1;
  ts_free(*io);
  *io = out;
  return 0;
}

double o_clip(void) {
  ts_tensor *t = ts_arange(0, 5, 1, TS_FLOAT32);
  if (!t)
    return -1;
  double v = clip_inplace(&t, 2) == 0 ? total(t) : -1;
  ts_free(t);
  return v;
}

/* Out-parameter struct filled field by field. */
typedef struct {
  ts_tensor *grad;
  ts_tensor *loss;
  int steps;
} step_out;

static int compute_step(const ts_tensor *x, step_out *o) {
  o->steps = 1;
  ts_tensor *sq = ts_mul(x, x);
  if (!sq)
    return -1;
  o->loss = ts_mean(sq);
  ts_free(sq);
  if (!o->loss)
    return -1;
  o->grad = ts_mul_scalar(x, 2);
  if (!o->grad) {
    ts_free(o->loss);
    o->loss = NULL;
    return -1;
  }
  return 0;
}

static void step_out_free(step_out *o) {
  ts_free(o->grad);
  ts_free(o->loss);
  o->grad = o->loss = NULL;
}

double o_step(void) {
  double v = -1;
  TS_SCOPE {
    ts_tensor *x = ts_ones(TS_SHAPE(3), TS_FLOAT32);
    step_out o = {NULL, NULL, 0};
    if (x && compute_step(x, &o) == 0) {
      v = ts_item(o.loss) + total(o.grad) + o.steps;
      step_out_free(&o);
    }
  }
  return v;
}

/* A count out-parameter and an array out-parameter. */
static int make_some(ts_tensor **out, int cap, int *n) {
  *n = 0;
  for (int i = 0; i < cap; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i * i);
    if (!t)
      break;
    out[(*n)++] = t;
  }
  return *n > 0 ? 0 : -1;
}

double o_some(int cap) {
  ts_tensor *arr[6];
  int n = 0;
  if (make_some(arr, cap, &n) != 0)
    return -1;
  double v = 0;
  for (int i = 0; i < n; i++) {
    v += total(arr[i]);
    ts_free(arr[i]);
  }
  return v;
}

/* Borrowed out-parameter: a pointer into a table, not a new tensor. */
typedef struct {
  ts_tensor *rows[3];
} table;

static int table_find(table *t, int key, ts_tensor **row) {
  if (key < 0 || key >= 3)
    return -1;
  *row = t->rows[key];
  return 0;
}

double o_borrow(int key) {
  table t;
  for (int i = 0; i < 3; i++)
    t.rows[i] = ts_full(TS_SHAPE(2), TS_FLOAT32, i + 1);
  double v = -1;
  ts_tensor *row;
  if (table_find(&t, key, &row) == 0 && row)
    v = total(row);
  for (int i = 0; i < 3; i++)
    ts_free(t.rows[i]);
  return v;
}

/* ======================= ts_run and serving ======================= */

typedef struct {
  const ts_tensor *input;
  double scale;
  int status;
} request;

static void *serve_scale(void *ctx) {
  request *r = ctx;
  ts_tensor *y = ts_mul_scalar(r->input, r->scale);
  if (!y) {
    r->status = -1;
    return NULL;
  }
  r->status = 0;
  return ts_escape(ts_relu(y));
}

double s_serve(double k) {
  ts_tensor *x = ts_arange(-2, 3, 1, TS_FLOAT32);
  if (!x)
    return -1;
  request r = {x, k, 0};
  ts_tensor *y = ts_run(serve_scale, &r);
  double v = -1;
  if (y) {
    v = total(y);
    ts_free(y);
  }
  ts_free(x);
  return v + r.status;
}

/* The job writes a number only: everything it makes ends with its scope. */
typedef struct {
  int n;
  double out;
} stat_job;

static void *job_stat(void *ctx) {
  stat_job *j = ctx;
  ts_tensor *a = ts_arange(0, j->n, 1, TS_FLOAT32);
  j->out = a ? ts_item(ts_sum(ts_mul(a, a))) : -1;
  return NULL;
}

double s_stat(int n) {
  stat_job j = {n, 0};
  ts_run(job_stat, &j);
  return j.out;
}

/* A job that keeps its result in the context. */
typedef struct {
  ts_tensor *kept;
  int n;
} keep_job;

static void *job_keep(void *ctx) {
  keep_job *k = ctx;
  ts_tensor *t = ts_full(TS_SHAPE(k->n), TS_FLOAT32, 1);
  k->kept = t ? ts_keep(ts_add(t, t)) : NULL;
  return k->kept;
}

double s_keep(int n) {
  keep_job k = {NULL, n};
  if (!ts_run(job_keep, &k))
    return -1;
  double v = total(k.kept);
  ts_free(k.kept);
  return v;
}

/* A server loop over a queue of requests, each served in its own run. */
double s_queue(int n) {
  ts_tensor *x = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  if (!x)
    return -1;
  double v = 0;
  for (int i = 0; i < n; i++) {
    request r = {x, (double)i, 0};
    ts_tensor *y = ts_run(serve_scale, &r);
    if (!y)
      continue;
    v += total(y);
    ts_free(y);
  }
  ts_free(x);
  return v;
}

/* A handler table: the served function picked by a request kind. */
typedef void *(*handler_fn)(void *);

static void *serve_neg(void *ctx) {
  request *r = ctx;
  return ts_escape(ts_neg(r->input));
}

double s_dispatch(int kind) {
  static const handler_fn handlers[] = {serve_scale, serve_neg};
  ts_tensor *x = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  if (!x)
    return -1;
  request r = {x, 3, 0};
  ts_tensor *y = ts_run(handlers[kind & 1], &r);
  double v = y ? total(y) : -1;
  ts_free(y);
  ts_free(x);
  return v;
}

/* ======================= async scopes ======================= */

typedef struct {
  ts_async_scope *scope;
  ts_tensor *state; /* owned by scope */
  int steps;
} session;

static int session_open(session *s) {
  s->steps = 0;
  s->state = NULL;
  s->scope = ts_async_scope_begin();
  if (!s->scope)
    return -1;
  if (ts_async_scope_enter(s->scope) != TS_OK) {
    ts_async_scope_end(s->scope);
    s->scope = NULL;
    return -1;
  }
  s->state = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  ts_async_scope_leave(s->scope);
  return s->state ? 0 : -1;
}

static int session_step(session *s) {
  if (ts_async_scope_enter(s->scope) != TS_OK)
    return -1;
  ts_tensor *next = ts_add_scalar(s->state, 1);
  if (next)
    s->state = next; /* the old one stays in the scope until it ends */
  s->steps++;
  ts_async_scope_leave(s->scope);
  return next ? 0 : -1;
}

static double session_close(session *s) {
  double v = s->state ? total(s->state) : -1;
  ts_async_scope_end(s->scope);
  s->scope = NULL;
  s->state = NULL;
  return v;
}

double a_session(int n) {
  session s;
  if (session_open(&s) != 0) {
    if (s.scope)
      ts_async_scope_end(s.scope);
    return -1;
  }
  for (int i = 0; i < n; i++)
    if (session_step(&s) != 0)
      break;
  return session_close(&s);
}

/* A result kept out of an async scope before it ends. */
double a_export(void) {
  ts_async_scope *sc = ts_async_scope_begin();
  if (!sc)
    return -1;
  ts_tensor *out = NULL;
  if (ts_async_scope_enter(sc) == TS_OK) {
    ts_tensor *a = ts_ones(TS_SHAPE(3), TS_FLOAT32);
    if (a)
      out = ts_keep(ts_mul_scalar(a, 5));
    ts_async_scope_leave(sc);
  }
  ts_async_scope_end(sc);
  double v = out ? total(out) : -1;
  ts_free(out);
  return v;
}

/* Two sessions interleaved. */
double a_two(void) {
  session a, b;
  if (session_open(&a) != 0) {
    if (a.scope)
      ts_async_scope_end(a.scope);
    return -1;
  }
  if (session_open(&b) != 0) {
    if (b.scope)
      ts_async_scope_end(b.scope);
    session_close(&a);
    return -1;
  }
  session_step(&a);
  session_step(&b);
  session_step(&a);
  return session_close(&a) * 10 + session_close(&b);
}

/* ======================= pools ======================= */

static ts_tensor *pool_get(ts_pool *p, int n) {
  ts_tensor *t = ts_pool_acquire(p, TS_SHAPE(n), TS_FLOAT32);
  if (!t)
    t = ts_zeros(TS_SHAPE(n), TS_FLOAT32);
  return t;
}

double p_cycle(int rounds) {
  ts_pool *p = ts_pool_new(4);
  if (!p)
    return -1;
  double v = 0;
  for (int i = 0; i < rounds; i++) {
    ts_tensor *buf = pool_get(p, 3);
    if (!buf)
      break;
    ts_tensor *one = ts_ones(TS_SHAPE(3), TS_FLOAT32);
    if (one) {
      v += total(one);
      ts_free(one);
    }
    ts_pool_release(p, buf);
  }
  ts_pool_destroy(p);
  return v;
}

/* A worker that gives its buffer back on every way out. */
static double p_work(ts_pool *p, int k) {
  ts_tensor *buf = pool_get(p, 2);
  if (!buf)
    return -1;
  if (k < 0) {
    ts_pool_release(p, buf);
    return 0;
  }
  ts_tensor *w = ts_add_scalar(buf, k);
  double v = w ? 0 : -1;
  if (w) {
    v = total(w);
    ts_free(w);
  }
  ts_pool_release(p, buf);
  return v;
}

double p_workers(void) {
  ts_pool *p = ts_pool_new(0);
  if (!p)
    return -1;
  double v = p_work(p, 1) + p_work(p, -1) + p_work(p, 3);
  ts_pool_destroy(p);
  return v;
}

/* A pooled tensor in a scope: released before the scope ends. */
double p_scoped(void) {
  ts_pool *p = ts_pool_new(2);
  if (!p)
    return -1;
  double v = 0;
  TS_SCOPE {
    ts_tensor *buf = pool_get(p, 4);
    if (buf) {
      ts_tensor *o = ts_add_scalar(buf, 1);
      v = o ? total(o) : -1;
      ts_pool_release(p, buf);
    }
  }
  ts_pool_destroy(p);
  return v;
}

/* A pooled scratch array in a struct. */
typedef struct {
  ts_pool *pool;
  ts_tensor *scratch[2];
} workspace;

static int ws_open(workspace *w) {
  w->pool = ts_pool_new(4);
  w->scratch[0] = w->scratch[1] = NULL;
  if (!w->pool)
    return -1;
  for (int i = 0; i < 2; i++) {
    w->scratch[i] = pool_get(w->pool, 2);
    if (!w->scratch[i])
      return -1;
  }
  return 0;
}

static void ws_close(workspace *w) {
  for (int i = 0; i < 2; i++)
    if (w->scratch[i]) {
      ts_pool_release(w->pool, w->scratch[i]);
      w->scratch[i] = NULL;
    }
  ts_pool_destroy(w->pool);
  w->pool = NULL;
}

double p_workspace(void) {
  workspace w;
  double v = -1;
  if (ws_open(&w) == 0) {
    ts_tensor *s = ts_add(w.scratch[0], w.scratch[1]);
    v = s ? total(s) : -1;
    ts_free(s);
  }
  if (w.pool)
    ws_close(&w);
  return v;
}

/* ======================= TS_CALLER_SCOPE helpers ======================= */

TS_CALLER_SCOPE static ts_tensor *sq(const ts_tensor *x) { return ts_mul(x, x); }

TS_CALLER_SCOPE static ts_tensor *rms(const ts_tensor *x) {
  return ts_mean(sq(x));
}

TS_CALLER_SCOPE static ts_tensor *standardise(const ts_tensor *x) {
  ts_tensor *m = ts_mean(x);
  ts_tensor *c = ts_sub(x, m);
  return ts_mul_scalar(c, 1.0 / (1e-6 + ts_item(rms(c))));
}

double h_caller(void) {
  double v = 0;
  TS_SCOPE {
    ts_tensor *x = ts_arange(0, 6, 1, TS_FLOAT32);
    ts_tensor *z = standardise(x);
    v = ts_item(rms(z));
  }
  return v > 0.99 && v < 1.01 ? 1 : v;
}

/* A caller-scope helper used in a loop scope; the best result escaped. */
double h_loop_best(int n) {
  ts_tensor *best = NULL;
  double best_v = -1;
  TS_SCOPE for (int i = 1; i <= n; i++) {
    ts_tensor *x = ts_full(TS_SHAPE(2), TS_FLOAT32, i);
    ts_tensor *r = rms(x);
    double rv = ts_item(r);
    if (rv > best_v) {
      best_v = rv;
      if (best)
        ts_free(best);
      best = ts_keep(ts_clone(x));
    }
  }
  double v = best ? total(best) : -1;
  if (best)
    ts_free(best);
  return v;
}

/* A TS_SCOPED function built on caller-scope helpers, result escaped. */
TS_SCOPED static ts_tensor *scored(const ts_tensor *x) {
  ts_tensor *z = standardise(x);
  return ts_escape(sq(z));
}

double h_scoped(void) {
  ts_tensor *x = ts_arange(0, 4, 1, TS_FLOAT32);
  if (!x)
    return -1;
  ts_tensor *s = scored(x);
  double v = s ? total(s) : -1;
  ts_free(s);
  ts_free(x);
  return v > 3.99 && v < 4.01 ? 4 : v;
}

/* ======================= switch state machines ======================= */

typedef enum { ST_IDLE, ST_LOAD, ST_WORK, ST_SAVE, ST_DONE, ST_ERR } state_t;

typedef struct {
  state_t st;
  ts_tensor *data;
  ts_tensor *result;
  int ticks;
} machine;

static void machine_step(machine *m) {
  switch (m->st) {
  case ST_IDLE:
    m->st = ST_LOAD;
    break;
  case ST_LOAD:
    m->data = ts_arange(0, 3, 1, TS_FLOAT32);
    m->st = m->data ? ST_WORK : ST_ERR;
    break;
  case ST_WORK: {
    ts_tensor *r = ts_mul_scalar(m->data, 2);
    if (!r) {
      m->st = ST_ERR;
      break;
    }
    if (m->result)
      ts_free(m->result);
    m->result = r;
    if (++m->ticks >= 2)
      m->st = ST_SAVE;
    break;
  }
  case ST_SAVE:
    ts_free(m->data);
    m->data = NULL;
    m->st = ST_DONE;
    break;
  case ST_DONE:
  case ST_ERR:
    break;
  }
}

double w_machine(void) {
  machine m = {ST_IDLE, NULL, NULL, 0};
  for (int i = 0; i < 10 && m.st != ST_DONE && m.st != ST_ERR; i++)
    machine_step(&m);
  double v = m.result ? total(m.result) : -1;
  if (m.result)
    ts_free(m.result);
  if (m.data)
    ts_free(m.data);
  return v + m.st;
}

/* A local state machine in one function, the tensor changing hands by
 * state. */
double w_local(int fail) {
  ts_tensor *cur = NULL;
  double v = 0;
  int st = 0;
  while (st >= 0 && st < 3) {
    switch (st) {
    case 0:
      cur = ts_ones(TS_SHAPE(2), TS_FLOAT32);
      st = cur ? 1 : -1;
      break;
    case 1: {
      ts_tensor *n = fail ? NULL : ts_add(cur, cur);
      ts_free(cur);
      cur = n;
      st = n ? 2 : -1;
      break;
    }
    case 2:
      v = total(cur);
      ts_free(cur);
      cur = NULL;
      st = 3;
      break;
    }
  }
  return v + st;
}

/* A switch whose cases free or keep, by kind. */
typedef enum { K_DROP, K_KEEP, K_SWAP } kind;

static ts_tensor *by_kind(kind k, ts_tensor *t, ts_tensor *other) {
  switch (k) {
  case K_DROP:
    ts_free(t);
    return NULL;
  case K_KEEP:
    return t;
  case K_SWAP:
    ts_free(t);
    return ts_clone(other);
  }
  return t;
}

double w_kinds(void) {
  double v = 0;
  ts_tensor *o = ts_full(TS_SHAPE(1), TS_FLOAT32, 7);
  if (!o)
    return -1;
  for (int k = K_DROP; k <= K_SWAP; k++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, k);
    if (!t)
      continue;
    ts_tensor *r = by_kind((kind)k, t, o);
    if (r) {
      v += total(r);
      ts_free(r);
    }
  }
  ts_free(o);
  return v;
}

/* A parser-like machine over a string of commands. */
double w_commands(const char *cmds) {
  ts_tensor *stack[4];
  int sp = 0;
  double v = 0;
  for (const char *c = cmds; *c; c++) {
    switch (*c) {
    case 'p':
      if (sp < 4) {
        ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, sp + 1);
        if (t)
          stack[sp++] = t;
      }
      break;
    case 'a':
      if (sp >= 2) {
        ts_tensor *s = ts_add(stack[sp - 2], stack[sp - 1]);
        if (!s)
          break;
        ts_free(stack[sp - 1]);
        ts_free(stack[sp - 2]);
        sp -= 2;
        stack[sp++] = s;
      }
      break;
    case 'd':
      if (sp > 0)
        ts_free(stack[--sp]);
      break;
    default:
      break;
    }
  }
  if (sp > 0)
    v = total(stack[sp - 1]);
  while (sp > 0)
    ts_free(stack[--sp]);
  return v;
}

/* ======================= function pointers ======================= */

typedef ts_tensor *(*unary_fn)(const ts_tensor *);

static ts_tensor *op_twice(const ts_tensor *x) { return ts_mul_scalar(x, 2); }
static ts_tensor *op_plus1(const ts_tensor *x) { return ts_add_scalar(x, 1); }

static ts_tensor *compose(const unary_fn *fs, int n, const ts_tensor *x) {
  ts_tensor *cur = ts_clone(x);
  for (int i = 0; i < n && cur; i++) {
    ts_tensor *next = fs[i](cur);
    ts_free(cur);
    cur = next;
  }
  return cur;
}

double f_compose(void) {
  unary_fn fs[] = {op_twice, op_plus1, ts_relu, op_twice};
  ts_tensor *x = ts_arange(-1, 2, 1, TS_FLOAT32);
  if (!x)
    return -1;
  ts_tensor *y = compose(fs, 4, x);
  double v = y ? total(y) : -1;
  ts_free(y);
  ts_free(x);
  return v;
}

/* A visitor over a table: the callback borrows each tensor. */
typedef void (*visit_fn)(const ts_tensor *, void *);

static void visit_all(ts_tensor *const *ts, int n, visit_fn fn, void *ctx) {
  for (int i = 0; i < n; i++)
    fn(ts[i], ctx);
}

static void add_total(const ts_tensor *t, void *ctx) {
  *(double *)ctx += total(t);
}

double f_visit(int n) {
  ts_tensor *ts[5];
  int k = 0;
  for (; k < n && k < 5; k++) {
    ts[k] = ts_full(TS_SHAPE(2), TS_FLOAT32, k);
    if (!ts[k])
      break;
  }
  double v = 0;
  visit_all(ts, k, add_total, &v);
  for (int i = 0; i < k; i++)
    ts_free(ts[i]);
  return v;
}

/* A destructor callback owned by a container. */
typedef struct {
  void *items[4];
  int n;
  void (*dtor)(void *);
} box;

static void free_tensor_item(void *p) { ts_free((ts_tensor *)p); }

static void box_free(box *b) {
  for (int i = 0; i < b->n; i++)
    b->dtor(b->items[i]);
  b->n = 0;
}

double f_box(void) {
  box b = {{NULL}, 0, free_tensor_item};
  for (int i = 0; i < 3; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i + 1);
    if (t)
      b.items[b.n++] = t;
  }
  double v = 0;
  for (int i = 0; i < b.n; i++)
    v += total((const ts_tensor *)b.items[i]);
  box_free(&b);
  return v;
}

/* A factory picked at run time; every product freed by the caller. */
typedef ts_tensor *(*factory_fn)(int);

static ts_tensor *make_ones(int n) { return ts_ones(TS_SHAPE(n), TS_FLOAT32); }
static ts_tensor *make_range(int n) {
  return ts_arange(0, n, 1, TS_FLOAT32);
}

double f_factory(int which) {
  factory_fn f = which ? make_range : make_ones;
  ts_tensor *t = f(4);
  if (!t)
    return -1;
  double v = total(t);
  ts_free(t);
  return v;
}

/* ======================= arrays of structs ======================= */

typedef struct {
  char name[8];
  ts_tensor *vec;
  double weight;
} item;

static int items_fill(item *its, int n) {
  for (int i = 0; i < n; i++) {
    snprintf(its[i].name, sizeof its[i].name, "i%d", i);
    its[i].weight = i + 1;
    its[i].vec = ts_full(TS_SHAPE(2), TS_FLOAT32, i);
    if (!its[i].vec) {
      for (int j = 0; j < i; j++) {
        ts_free(its[j].vec);
        its[j].vec = NULL;
      }
      return -1;
    }
  }
  return 0;
}

static void items_free(item *its, int n) {
  for (int i = 0; i < n; i++) {
    ts_free(its[i].vec);
    its[i].vec = NULL;
  }
}

double a_items(int n) {
  item its[5];
  if (n > 5 || items_fill(its, n) != 0)
    return -1;
  double v = 0;
  for (int i = 0; i < n; i++)
    v += total(its[i].vec) * its[i].weight;
  items_free(its, n);
  return v;
}

/* Items removed by swapping with the last. */
double a_items_remove(int n) {
  item its[5];
  if (n > 5 || items_fill(its, n) != 0)
    return -1;
  int count = n;
  for (int i = 0; i < count;) {
    if (its[i].weight == 2 || its[i].weight == 4) {
      ts_free(its[i].vec);
      its[i] = its[count - 1];
      count--;
      continue;
    }
    i++;
  }
  double v = 0;
  for (int i = 0; i < count; i++)
    v += total(its[i].vec);
  items_free(its, count);
  return v + count;
}

/* A heap array of structs grown by realloc. */
typedef struct {
  item *v;
  int n, cap;
} item_vec;

static int iv_push(item_vec *iv, ts_tensor *t, double w) {
  if (iv->n == iv->cap) {
    int cap = iv->cap ? iv->cap * 2 : 2;
    item *nv = realloc(iv->v, (size_t)cap * sizeof *nv);
    if (!nv)
      return -1;
    iv->v = nv;
    iv->cap = cap;
  }
  iv->v[iv->n].vec = t;
  iv->v[iv->n].weight = w;
  iv->v[iv->n].name[0] = 0;
  iv->n++;
  return 0;
}

static void iv_free(item_vec *iv) {
  for (int i = 0; i < iv->n; i++)
    ts_free(iv->v[i].vec);
  free(iv->v);
  iv->v = NULL;
  iv->n = iv->cap = 0;
}

double a_item_vec(int n) {
  item_vec iv = {NULL, 0, 0};
  for (int i = 0; i < n; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    if (!t)
      break;
    if (iv_push(&iv, t, 1) != 0) {
      ts_free(t);
      break;
    }
  }
  double v = 0;
  for (int i = 0; i < iv.n; i++)
    v += total(iv.v[i].vec);
  iv_free(&iv);
  return v;
}

/* Pairs of tensors in a struct array, one replaced per pass. */
typedef struct {
  ts_tensor *mu, *var;
} gauss;

double a_gauss(int steps) {
  gauss g[2];
  int ok = 0;
  for (; ok < 2; ok++) {
    g[ok].mu = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
    g[ok].var = ts_ones(TS_SHAPE(2), TS_FLOAT32);
    if (!g[ok].mu || !g[ok].var) {
      ts_free(g[ok].mu);
      ts_free(g[ok].var);
      break;
    }
  }
  for (int s = 0; s < steps; s++)
    for (int i = 0; i < ok; i++) {
      ts_tensor *m = ts_add(g[i].mu, g[i].var);
      if (!m)
        continue;
      ts_free(g[i].mu);
      g[i].mu = m;
    }
  double v = 0;
  for (int i = 0; i < ok; i++) {
    v += total(g[i].mu);
    ts_free(g[i].mu);
    ts_free(g[i].var);
  }
  return v;
}

/* ============ ownership handed over by a return code ============ */

typedef struct {
  ts_tensor *slot;
} holder;

/* Returns 1 when it took t (the slot was empty), 0 otherwise. */
static int holder_offer(holder *h, ts_tensor *t) {
  if (h->slot)
    return 0;
  h->slot = t;
  return 1;
}

double t_offer(void) {
  holder h = {NULL};
  double v = 0;
  for (int i = 0; i < 3; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i + 1);
    if (!t)
      continue;
    if (!holder_offer(&h, t))
      ts_free(t);
  }
  if (h.slot) {
    v = total(h.slot);
    ts_free(h.slot);
  }
  return v;
}

/* Consumes t on success only (ts_status result). */
static ts_status append_row(ts_tensor **rows, int *n, int cap, ts_tensor *t) {
  if (*n >= cap)
    return TS_ERR_ARG;
  rows[(*n)++] = t;
  return TS_OK;
}

double t_status(int cap) {
  ts_tensor *rows[4];
  int n = 0;
  for (int i = 0; i < 4; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, 1);
    if (!t)
      break;
    if (append_row(rows, &n, cap, t) != TS_OK) {
      ts_free(t);
      break;
    }
  }
  double v = 0;
  for (int i = 0; i < n; i++) {
    v += total(rows[i]);
    ts_free(rows[i]);
  }
  return v;
}

/* Takes t always: stores it, or frees it when refused. */
static int sink_or_free(holder *h, ts_tensor *t) {
  if (h->slot) {
    ts_free(t);
    return -1;
  }
  h->slot = t;
  return 0;
}

double t_sink(void) {
  holder h = {NULL};
  int refused = 0;
  for (int i = 0; i < 3; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, 5);
    if (t && sink_or_free(&h, t) != 0)
      refused++;
  }
  double v = h.slot ? total(h.slot) : -1;
  ts_free(h.slot);
  return v + refused;
}

/* A transfer by a negative return: the callee frees on failure. */
static int consume_or_fail(ts_tensor *t, double *out) {
  if (ts_numel(t) > 3) {
    ts_free(t);
    return -1;
  }
  *out = total(t);
  ts_free(t);
  return 0;
}

double t_consume(int n) {
  ts_tensor *t = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  if (!t)
    return -1;
  double v = 0;
  if (consume_or_fail(t, &v) != 0)
    return -2;
  return v;
}

/* Returns the tensor back when it cannot store it. */
static ts_tensor *store_or_return(holder *h, ts_tensor *t) {
  if (h->slot)
    return t;
  h->slot = t;
  return NULL;
}

double t_return_back(void) {
  holder h = {NULL};
  double v = 0;
  for (int i = 0; i < 2; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i + 2);
    if (!t)
      continue;
    ts_tensor *back = store_or_return(&h, t);
    if (back) {
      v += total(back);
      ts_free(back);
    }
  }
  v += h.slot ? total(h.slot) : 0;
  ts_free(h.slot);
  return v;
}

/* ======================= loops with break/continue ======================= */

double l_first_positive(int n) {
  ts_tensor *found = NULL;
  for (int i = -2; i < n; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    if (!t)
      continue;
    if (ts_item(t) <= 0) {
      ts_free(t);
      continue;
    }
    found = t;
    break;
  }
  double v = -1;
  if (found) {
    v = total(found);
    ts_free(found);
  }
  return v;
}

double l_accumulate(int n) {
  ts_tensor *acc = NULL;
  for (int i = 0; i < n; i++) {
    if (i % 3 == 1)
      continue;
    ts_tensor *t = ts_full(TS_SHAPE(2), TS_FLOAT32, i);
    if (!t)
      break;
    if (!acc) {
      acc = t;
      continue;
    }
    ts_tensor *s = ts_add(acc, t);
    ts_free(t);
    if (!s)
      break;
    ts_free(acc);
    acc = s;
  }
  double v = acc ? total(acc) : 0;
  if (acc)
    ts_free(acc);
  return v;
}

/* A scope per pass; break with a kept tensor. */
double l_scope_break(int n) {
  ts_tensor *hit = NULL;
  TS_SCOPE for (int i = 0; i < n; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(2), TS_FLOAT32, i);
    ts_tensor *s = ts_sum(t);
    if (ts_item(s) < 5)
      continue;
    hit = ts_keep(ts_clone(t));
    break;
  }
  double v = hit ? total(hit) : -1;
  if (hit)
    ts_free(hit);
  return v;
}

/* Nested loops, break out of the inner one with its tensor freed. */
double l_nested(int n) {
  double v = 0;
  for (int i = 0; i < n; i++) {
    ts_tensor *row = ts_full(TS_SHAPE(2), TS_FLOAT32, i);
    if (!row)
      continue;
    for (int j = 0; j < n; j++) {
      ts_tensor *c = ts_mul_scalar(row, j);
      if (!c)
        break;
      double cv = total(c);
      ts_free(c);
      if (cv > 6)
        break;
      v += cv;
    }
    ts_free(row);
  }
  return v;
}

/* A do/while with a retry counter and a tensor replaced each pass. */
double l_do_while(int n) {
  ts_tensor *t = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  if (!t)
    return -1;
  int k = 0;
  do {
    ts_tensor *d = ts_mul_scalar(t, 2);
    if (!d)
      break;
    ts_free(t);
    t = d;
  } while (++k < n);
  double v = total(t);
  ts_free(t);
  return v;
}

/* A while loop over a linked list, nodes freed while walking. */
typedef struct node {
  ts_tensor *t;
  struct node *next;
} node;

static node *list_build(int n) {
  node *head = NULL;
  for (int i = 0; i < n; i++) {
    node *nd = malloc(sizeof *nd);
    if (!nd)
      break;
    nd->t = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    if (!nd->t) {
      free(nd);
      break;
    }
    nd->next = head;
    head = nd;
  }
  return head;
}

static void list_free(node *head) {
  while (head) {
    node *next = head->next;
    ts_free(head->t);
    free(head);
    head = next;
  }
}

/* Unlinks nodes below a threshold through a pointer to pointer. */
static int list_prune(node **head, double min) {
  int removed = 0;
  node **pp = head;
  while (*pp) {
    node *nd = *pp;
    double val = ts_item(nd->t);
    if (val >= min) {
      pp = &nd->next;
      continue;
    }
    *pp = nd->next;
    ts_free(nd->t);
    free(nd);
    removed++;
  }
  return removed;
}

double l_list(int n) {
  node *h = list_build(n);
  int removed = list_prune(&h, 2);
  double v = removed;
  for (node *p = h; p; p = p->next)
    v += total(p->t);
  list_free(h);
  return v;
}

/* A value read before the node that holds it is unlinked and freed. */
static double list_pop_value(node **head) {
  node *nd = *head;
  if (!nd)
    return -1;
  double v = total(nd->t);
  *head = nd->next;
  ts_free(nd->t);
  free(nd);
  return v;
}

double l_pop(int n) {
  node *h = list_build(n);
  double v = 0;
  while (h)
    v += list_pop_value(&h);
  return v;
}

/* A loop that moves tensors from one list into an array, stopping when
 * the array is full and freeing the rest. */
double l_move(int n) {
  node *h = list_build(n);
  ts_tensor *arr[3];
  int k = 0;
  while (h) {
    node *nd = h;
    h = h->next;
    if (k < 3) {
      arr[k++] = nd->t;
    } else {
      ts_free(nd->t);
    }
    free(nd);
  }
  double v = 0;
  for (int i = 0; i < k; i++) {
    v += total(arr[i]);
    ts_free(arr[i]);
  }
  return v;
}

/* ======================= mixed: training loops ======================= */

typedef struct {
  ts_tensor *w;
  ts_tensor *m; /* momentum */
  double lr;
} sgd_param;

static int param_init(sgd_param *p, int n) {
  p->lr = 0.1;
  p->w = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  p->m = ts_zeros(TS_SHAPE(n), TS_FLOAT32);
  if (!p->w || !p->m) {
    ts_free(p->w);
    ts_free(p->m);
    p->w = p->m = NULL;
    return -1;
  }
  return 0;
}

static void param_free(sgd_param *p) {
  ts_free(p->w);
  ts_free(p->m);
}

/* One momentum step: both fields replaced, the temporaries in a scope. */
static int param_step(sgd_param *p) {
  int rc = -1;
  TS_SCOPE {
    ts_tensor *g = ts_mul_scalar(p->w, 2);
    ts_tensor *m = ts_add(ts_mul_scalar(p->m, 0.9), g);
    ts_tensor *w = ts_sub(p->w, ts_mul_scalar(m, p->lr));
    if (m && w) {
      ts_free(p->m);
      ts_free(p->w);
      p->m = ts_keep(m);
      p->w = ts_keep(w);
      rc = 0;
    }
  }
  return rc;
}

double t_train(int steps) {
  sgd_param p;
  if (param_init(&p, 2) != 0)
    return -1;
  for (int i = 0; i < steps; i++)
    if (param_step(&p) != 0)
      break;
  double v = total(p.w);
  param_free(&p);
  return v > 0 ? 1 : 0;
}

/* The step run under manual scopes per pass (kept tensors survive). */
double t_train_manual(int steps) {
  sgd_param p;
  if (param_init(&p, 2) != 0)
    return -1;
  for (int i = 0; i < steps; i++) {
    ts_scope_id sc = ts_scope_begin();
    int rc = param_step(&p);
    ts_tensor *probe = ts_sum(p.w);
    double pv = probe ? ts_item(probe) : 0;
    ts_scope_end(sc);
    if (rc != 0 || pv < 0)
      break;
  }
  double v = total(p.w);
  param_free(&p);
  return v > 0 ? 1 : 0;
}

/* An early stop keeps the best weights in a second struct. */
double t_early_stop(int steps) {
  sgd_param p;
  if (param_init(&p, 2) != 0)
    return -1;
  ts_tensor *best = NULL;
  double best_loss = 1e30;
  int bad = 0;
  for (int i = 0; i < steps; i++) {
    if (param_step(&p) != 0)
      break;
    double loss = total(p.w);
    if (loss < best_loss) {
      best_loss = loss;
      ts_tensor *c = ts_clone(p.w);
      if (c) {
        if (best)
          ts_free(best);
        best = c;
      }
      bad = 0;
      continue;
    }
    if (++bad > 2)
      break;
  }
  double v = best ? 1 : 0;
  if (best)
    ts_free(best);
  param_free(&p);
  return v;
}

/* Autograd with a loss made and freed each step. */
double t_autograd(int steps) {
  ts_tensor *w = ts_full(TS_SHAPE(2), TS_FLOAT32, 3);
  if (!w)
    return -1;
  ts_requires_grad(w, true);
  double last = 0;
  for (int i = 0; i < steps; i++) {
    ts_tensor *loss = NULL;
    TS_SCOPE {
      ts_tensor *l = ts_sum(ts_mul(w, w));
      loss = l ? ts_keep(l) : NULL;
    }
    if (!loss)
      break;
    last = ts_item(loss);
    if (ts_backward(loss) == TS_OK)
      ts_sgd_step(w, 0.1);
    ts_zero_grad(w);
    ts_free(loss);
  }
  ts_free(w);
  return last;
}

/* ======================= more containers ======================= */

/* A map from small ints to tensors with explicit delete and replace. */
#define MAPN 8
typedef struct {
  ts_tensor *at[MAPN];
} imap;

static void imap_set(imap *m, int k, ts_tensor *t) {
  if (k < 0 || k >= MAPN) {
    ts_free(t);
    return;
  }
  if (m->at[k])
    ts_free(m->at[k]);
  m->at[k] = t;
}

static void imap_del(imap *m, int k) {
  if (k < 0 || k >= MAPN || !m->at[k])
    return;
  ts_free(m->at[k]);
  m->at[k] = NULL;
}

static ts_tensor *imap_take(imap *m, int k) {
  if (k < 0 || k >= MAPN)
    return NULL;
  ts_tensor *t = m->at[k];
  m->at[k] = NULL;
  return t;
}

static void imap_clear(imap *m) {
  for (int k = 0; k < MAPN; k++)
    imap_del(m, k);
}

double c_imap(void) {
  imap m;
  memset(&m, 0, sizeof m);
  for (int k = 0; k < 5; k++)
    imap_set(&m, k, ts_full(TS_SHAPE(1), TS_FLOAT32, k));
  imap_set(&m, 2, ts_full(TS_SHAPE(1), TS_FLOAT32, 20));
  imap_set(&m, 99, ts_full(TS_SHAPE(1), TS_FLOAT32, 1));
  imap_del(&m, 1);
  ts_tensor *t = imap_take(&m, 3);
  double v = t ? total(t) : -1;
  ts_free(t);
  for (int k = 0; k < MAPN; k++)
    if (m.at[k])
      v += total(m.at[k]);
  imap_clear(&m);
  return v;
}

/* A stack struct with push/pop/peek. */
typedef struct {
  ts_tensor *s[8];
  int top;
} tstack;

static int ts_push_(tstack *st, ts_tensor *t) {
  if (st->top == 8)
    return -1;
  st->s[st->top++] = t;
  return 0;
}

static ts_tensor *ts_pop_(tstack *st) {
  return st->top > 0 ? st->s[--st->top] : NULL;
}

static const ts_tensor *ts_peek_(const tstack *st) {
  return st->top > 0 ? st->s[st->top - 1] : NULL;
}

double c_stack(int n) {
  tstack st = {{NULL}, 0};
  for (int i = 0; i < n; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    if (t && ts_push_(&st, t) != 0)
      ts_free(t);
  }
  double v = 0;
  const ts_tensor *p = ts_peek_(&st);
  if (p)
    v += total(p);
  ts_tensor *t;
  while ((t = ts_pop_(&st)) != NULL) {
    v += total(t);
    ts_free(t);
  }
  return v;
}

/* A struct with a variable number of tensors and a flag per slot. */
typedef struct {
  ts_tensor *t[4];
  bool own[4];
} mixed;

double c_mixed(const ts_tensor *shared) {
  mixed m;
  for (int i = 0; i < 4; i++) {
    if (i % 2) {
      m.t[i] = (ts_tensor *)shared;
      m.own[i] = false;
    } else {
      m.t[i] = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
      m.own[i] = m.t[i] != NULL;
    }
  }
  double v = 0;
  for (int i = 0; i < 4; i++)
    if (m.t[i])
      v += total(m.t[i]);
  for (int i = 0; i < 4; i++)
    if (m.own[i])
      ts_free(m.t[i]);
  return v;
}

/* ======================= scopes in depth ======================= */

/* An inner scope escapes to the outer, the outer keeps. */
double k_two_levels(void) {
  ts_tensor *out = NULL;
  TS_SCOPE {
    ts_tensor *mid = NULL;
    TS_SCOPE {
      ts_tensor *a = ts_ones(TS_SHAPE(2), TS_FLOAT32);
      mid = ts_escape(ts_mul_scalar(a, 3));
    }
    out = ts_keep(ts_add_scalar(mid, 1));
  }
  double v = out ? total(out) : -1;
  ts_free(out);
  return v;
}

/* A scope guard in a helper that returns a number only. */
static double guarded_norm(const ts_tensor *x) {
  TS_SCOPE_GUARD();
  ts_tensor *s = ts_sum(ts_mul(x, x));
  return ts_item(s);
}

double k_guard(int n) {
  ts_tensor *x = ts_arange(0, n, 1, TS_FLOAT32);
  if (!x)
    return -1;
  double v = guarded_norm(x);
  ts_free(x);
  return v;
}

/* Manual scopes begun and ended by hand around a batch. */
double k_manual(int n) {
  double v = 0;
  ts_scope_id sc = ts_scope_begin();
  for (int i = 0; i < n; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(2), TS_FLOAT32, i);
    v += t ? ts_item(ts_sum(t)) : 0;
  }
  ts_scope_end(sc);
  return v;
}

/* A manual tensor made outside, used inside a scope, freed outside. */
double k_borrow_in_scope(void) {
  ts_tensor *x = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  if (!x)
    return -1;
  double v = 0;
  TS_SCOPE {
    ts_tensor *y = ts_mul_scalar(x, 2);
    v = ts_item(ts_sum(y));
  }
  ts_free(x);
  return v;
}

/* A scope's tensor freed early inside it (allowed: ts_free frees now). */
double k_free_early(void) {
  double v = 0;
  TS_SCOPE {
    ts_tensor *big = ts_ones(TS_SHAPE(8), TS_FLOAT32);
    ts_tensor *s = ts_sum(big);
    ts_free(big);
    v = ts_item(s);
  }
  return v;
}

/* A while scope loop with a kept accumulator replaced each pass. */
double k_while_acc(int n) {
  ts_tensor *acc = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  if (!acc)
    return -1;
  int i = 0;
  TS_SCOPE while (i < n) {
    ts_tensor *one = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    ts_tensor *nx = ts_add(acc, one);
    if (nx) {
      ts_free(acc);
      acc = ts_keep(nx);
    }
    i++;
  }
  double v = total(acc);
  ts_free(acc);
  return v;
}

/* ======================= more shapes ======================= */

typedef struct { ts_tensor *a, *b; } tpair;
static tpair tpair_make(int n) {
  tpair p = {ts_ones(TS_SHAPE(n), TS_FLOAT32), ts_zeros(TS_SHAPE(n), TS_FLOAT32)};
  return p;
}
double q_pair(void) {
  tpair p = tpair_make(3);
  double v = 0;
  if (p.a) { v += total(p.a); ts_free(p.a); }
  if (p.b) { v += total(p.b); ts_free(p.b); }
  return v;
}
typedef struct { ts_tensor *w; int n; } layer;
double q_layers(int n) {
  layer **ls = calloc((size_t)n, sizeof *ls);
  if (!ls) return -1;
  int made = 0;
  for (; made < n; made++) {
    layer *l = malloc(sizeof *l);
    if (!l) break;
    l->w = ts_full(TS_SHAPE(2), TS_FLOAT32, made);
    l->n = made;
    if (!l->w) { free(l); break; }
    ls[made] = l;
  }
  double v = 0;
  for (int i = 0; i < made; i++) v += total(ls[i]->w);
  for (int i = 0; i < made; i++) { ts_free(ls[i]->w); free(ls[i]); }
  free(ls);
  return v;
}
static void tswap(ts_tensor **x, ts_tensor **y) { ts_tensor *t = *x; *x = *y; *y = t; }
double q_swap(void) {
  ts_tensor *a = ts_full(TS_SHAPE(1), TS_FLOAT32, 1);
  ts_tensor *b = ts_full(TS_SHAPE(1), TS_FLOAT32, 2);
  if (!a || !b) { if (a) ts_free(a); if (b) ts_free(b); return -1; }
  tswap(&a, &b);
  double v = total(a) * 10 + total(b);
  ts_free(a);
  ts_free(b);
  return v;
}
typedef struct { int i, n; } iter;
static ts_tensor *iter_next(iter *it) {
  if (it->i >= it->n) return NULL;
  return ts_full(TS_SHAPE(1), TS_FLOAT32, it->i++);
}
double q_iter(int n) {
  iter it = {0, n};
  ts_tensor *t;
  double v = 0;
  while ((t = iter_next(&it)) != NULL) { v += total(t); ts_free(t); }
  return v;
}
static void *job_neg(void *ctx) { return ts_escape(ts_neg((const ts_tensor *)ctx)); }
double q_run_in_scope(void) {
  double v = 0;
  TS_SCOPE {
    ts_tensor *x = ts_ones(TS_SHAPE(2), TS_FLOAT32);
    ts_tensor *y = ts_run(job_neg, x);
    v = y ? ts_item(ts_sum(y)) : -1;
  }
  return v;
}
static ts_tensor *q_first_big(int n) {
  TS_SCOPE for (int i = 0; i < n; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(2), TS_FLOAT32, i);
    if (ts_item(ts_sum(t)) > 4)
      return ts_escape(t);
  }
  return NULL;
}
double q_use_first_big(void) {
  ts_tensor *t = q_first_big(5);
  double v = t ? total(t) : -1;
  if (t) ts_free(t);
  return v;
}
static ts_tensor *pick(int k, ts_tensor *a, ts_tensor *b) {
  switch (k) {
  case 0: ts_free(b); return a;
  case 1: ts_free(a); return b;
  default: ts_free(a); ts_free(b); return NULL;
  }
}
double q_pick(int k) {
  ts_tensor *a = ts_full(TS_SHAPE(1), TS_FLOAT32, 1);
  ts_tensor *b = ts_full(TS_SHAPE(1), TS_FLOAT32, 2);
  if (!a || !b) { if (a) ts_free(a); if (b) ts_free(b); return -1; }
  ts_tensor *r = pick(k, a, b);
  if (!r) return 0;
  double v = total(r);
  ts_free(r);
  return v;
}
double q_retry(int fails) {
  int tries = 0;
  ts_tensor *t;
retry:
  t = ts_full(TS_SHAPE(1), TS_FLOAT32, tries);
  if (!t) return -1;
  if (tries < fails) { ts_free(t); tries++; goto retry; }
  double v = total(t);
  ts_free(t);
  return v;
}
static ts_tensor *g_cache;
static void cache_set(ts_tensor *t) { if (g_cache) ts_free(g_cache); g_cache = t; }
static void cache_drop(void) { if (g_cache) { ts_free(g_cache); g_cache = NULL; } }
double q_global(void) {
  cache_set(ts_ones(TS_SHAPE(2), TS_FLOAT32));
  cache_set(ts_zeros(TS_SHAPE(2), TS_FLOAT32));
  double v = g_cache ? total(g_cache) : -1;
  cache_drop();
  return v;
}
double q_slot_ptr(int n) {
  ts_tensor *arr[3];
  for (int i = 0; i < 3; i++) arr[i] = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
  for (int r = 0; r < n; r++)
    for (int i = 0; i < 3; i++) {
      ts_tensor **slot = &arr[i];
      ts_tensor *nx = ts_add_scalar(*slot, 1);
      if (!nx) continue;
      ts_free(*slot);
      *slot = nx;
    }
  double v = 0;
  for (int i = 0; i < 3; i++) { v += total(arr[i]); ts_free(arr[i]); }
  return v;
}
typedef struct { ts_tensor *t; int refs; } rc_t;
static bool rc_unref(rc_t *r) {
  if (--r->refs > 0) return false;
  ts_free(r->t);
  r->t = NULL;
  return true;
}
double q_unref(void) {
  rc_t r = {ts_ones(TS_SHAPE(2), TS_FLOAT32), 2};
  if (!r.t) return -1;
  double v = 0;
  if (!rc_unref(&r)) v = total(r.t);
  if (!rc_unref(&r)) v = -5;
  return v;
}
typedef struct { ts_tensor *in, *out; int ok; } job;
static void handle(job *j) {
  j->out = ts_mul_scalar(j->in, 2);
  j->ok = j->out != NULL;
}
double q_jobs(int n) {
  job js[4];
  int k = 0;
  for (; k < n && k < 4; k++) {
    js[k].in = ts_full(TS_SHAPE(1), TS_FLOAT32, k);
    js[k].out = NULL;
    js[k].ok = 0;
    if (!js[k].in) break;
  }
  for (int i = 0; i < k; i++) handle(&js[i]);
  double v = 0;
  for (int i = 0; i < k; i++) {
    if (js[i].ok) { v += total(js[i].out); ts_free(js[i].out); }
    ts_free(js[i].in);
  }
  return v;
}
typedef struct { ts_tensor *h; } cell;
static void cell_step(cell *c, const ts_tensor *x) {
  TS_SCOPE {
    ts_tensor *h = ts_tanh(ts_add(c->h, x));
    ts_free(c->h);
    c->h = ts_keep(h);
  }
}
double q_cell_manual(int n) {
  cell c = {ts_zeros(TS_SHAPE(2), TS_FLOAT32)};
  ts_tensor *x = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  if (!c.h || !x) { if (c.h) ts_free(c.h); if (x) ts_free(x); return -1; }
  for (int i = 0; i < n; i++) {
    ts_scope_id sc = ts_scope_begin();
    cell_step(&c, x);
    ts_tensor *probe = ts_sum(c.h);
    (void)ts_item(probe);
    ts_scope_end(sc);
  }
  double v = total(c.h);
  ts_free(c.h);
  ts_free(x);
  return v;
}
static int q_take_or_not(ts_tensor **slot, ts_tensor *t) {
  if (*slot) return 1;
  *slot = t;
  return 0;
}
double q_take(void) {
  ts_tensor *slot = NULL;
  double v = 0;
  for (int i = 0; i < 3; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i + 1);
    if (!t) break;
    int rc = q_take_or_not(&slot, t);
    if (rc != 0) ts_free(t);
  }
  if (slot) { v = total(slot); ts_free(slot); }
  return v;
}

/* The smaller of two freed, the other kept under the same condition. */
static double q_ternary_free(void) {
  ts_tensor *a = ts_full(TS_SHAPE(1), TS_FLOAT32, 1);
  ts_tensor *b = ts_full(TS_SHAPE(1), TS_FLOAT32, 2);
  if (!a || !b) {
    if (a)
      ts_free(a);
    if (b)
      ts_free(b);
    return -1;
  }
  bool a_big = total(a) > total(b);
  ts_free(a_big ? b : a);
  ts_tensor *keep = a_big ? a : b;
  double v = total(keep);
  ts_free(keep);
  return v;
}

int main(void) {
  V("model %.1f %.1f %.1f %.2f %.1f", m_dense(), m_mlp(), m_autoenc(),
    m_decay(2), m_snapshot());
  V("cache %.1f %.1f %.1f %.1f %.1f %.1f", c_lru(), c_lru_copy_first(),
    c_ring(6), c_ring(2), c_bag(6), c_bag_bool(6));
  V("refs %.1f %.1f %.1f", r_shared(), r_users(3), r_entry());
  V("goto %.1f %.1f %.1f %.1f %.1f %.1f", g_chain(0), g_chain(2), g_ladder(0),
    g_ladder(1), g_ladder(2), g_use_build(3));
  V("goto2 %.1f %.1f %.1f %.1f", g_loop(4, -1), g_loop(4, 2), g_flags(5),
    g_flags(7));
  V("out %.1f %.1f %.1f %.1f %.1f %.1f", o_halves(), o_optional(1),
    o_optional(0), o_clip(), o_step(), o_some(4));
  V("out2 %.1f %.1f", o_borrow(1), o_borrow(5));
  V("serve %.1f %.1f %.1f %.1f %.1f %.1f %.1f", s_serve(2), s_stat(4),
    s_keep(3), s_queue(3), s_dispatch(0), s_dispatch(1), s_serve(-1));
  V("async %.1f %.1f %.1f", a_session(3), a_export(), a_two());
  V("pools %.1f %.1f %.1f %.1f", p_cycle(3), p_workers(), p_scoped(),
    p_workspace());
  V("caller %.1f %.1f %.1f", h_caller(), h_loop_best(3), h_scoped());
  V("switch %.1f %.1f %.1f %.1f %.1f %.1f", w_machine(), w_local(0),
    w_local(1), w_kinds(), w_commands("ppapd"), w_commands("pppppaa"));
  V("fnptr %.1f %.1f %.1f %.1f %.1f", f_compose(), f_visit(4), f_box(),
    f_factory(0), f_factory(1));
  V("arrays %.1f %.1f %.1f %.1f", a_items(4), a_items_remove(5),
    a_item_vec(5), a_gauss(2));
  V("transfer %.1f %.1f %.1f %.1f %.1f %.1f %.1f", t_offer(), t_status(2),
    t_status(4), t_sink(), t_consume(2), t_consume(5), t_return_back());
  V("loops %.1f %.1f %.1f %.1f %.1f", l_first_positive(3), l_accumulate(7),
    l_scope_break(5), l_nested(3), l_do_while(3));
  V("lists %.1f %.1f %.1f", l_list(5), l_pop(4), l_move(5));
  V("train %.1f %.1f %.1f %.2f", t_train(3), t_train_manual(3),
    t_early_stop(5), t_autograd(3));
  ts_tensor *sh = ts_full(TS_SHAPE(1), TS_FLOAT32, 10);
  V("containers %.1f %.1f %.1f", c_imap(), c_stack(4), sh ? c_mixed(sh) : -1);
  ts_free(sh);
  V("scopes %.1f %.1f %.1f %.1f %.1f %.1f", k_two_levels(), k_guard(4),
    k_manual(3), k_borrow_in_scope(), k_free_early(), k_while_acc(4));
  V("more %.1f %.1f %.1f %.1f %.1f %.1f", q_pair(), q_layers(3), q_swap(),
    q_iter(4), q_run_in_scope(), q_use_first_big());
  V("more2 %.1f %.1f %.1f %.1f %.1f %.1f", q_pick(0), q_pick(1), q_pick(2),
    q_retry(2), q_global(), q_slot_ptr(2));
  V("more3 %.1f %.1f %.1f %.1f %.1f", q_unref(), q_jobs(3), q_cell_manual(3),
    q_take(), q_ternary_free());
  EXPECT_MEM(pc_live() == 0);
  EXPECT(ts_scope_depth() == 0);
  return pc_done("clean_styles8");
}
