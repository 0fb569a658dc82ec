// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// Correct code in more styles (move helpers, swap-remove, goto retry,
// two-phase commits, ownership flags in fields, assigned NULL tests,
// pool fallbacks, ts_run contexts, longjmp, chained tables):
// not one diagnostic.
// expected-no-diagnostics
#include <setjmp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>

static double sum_of(const ts_tensor *t) {
  ts_tensor *s = ts_sum(t);
  double v = ts_item(s);
  ts_free(s);
  return v;
}

/* move helper */
static ts_tensor *take(ts_tensor **p) {
  ts_tensor *t = *p;
  *p = NULL;
  return t;
}
struct box { ts_tensor *t; };
double a1(void) {
  struct box b = {ts_ones(TS_SHAPE(2), TS_FLOAT32)};
  ts_tensor *t = take(&b.t);
  double v = sum_of(t);
  ts_free(t);
  if (b.t)
    ts_free(b.t);
  return v;
}

/* swap-remove from an array with a count */
struct bag { ts_tensor *ts[8]; int n; };
static void bag_remove(struct bag *b, int i) {
  ts_free(b->ts[i]);
  b->ts[i] = b->ts[--b->n];
  b->ts[b->n] = NULL;
}
double a2(void) {
  struct bag b = {{NULL}, 0};
  for (int i = 0; i < 4; i++)
    b.ts[b.n++] = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
  bag_remove(&b, 1);
  double s = 0;
  for (int i = 0; i < b.n; i++)
    s += sum_of(b.ts[i]);
  while (b.n > 0)
    bag_remove(&b, b.n - 1);
  return s;
}

/* goto retry */
double a3(int tries) {
  ts_tensor *t;
  int k = 0;
retry:
  t = ts_full(TS_SHAPE(2), TS_FLOAT32, k);
  if (sum_of(t) < 4 && ++k < tries) {
    ts_free(t);
    goto retry;
  }
  double v = sum_of(t);
  ts_free(t);
  return v;
}

/* two-phase commit into a struct */
struct model { ts_tensor *w, *b; };
int a4_update(struct model *m, double k) {
  ts_tensor *nw = ts_mul_scalar(m->w, k);
  if (!nw)
    return -1;
  ts_tensor *nb = ts_mul_scalar(m->b, k);
  if (!nb) {
    ts_free(nw);
    return -1;
  }
  ts_tensor *ow = m->w, *ob = m->b;
  m->w = nw;
  m->b = nb;
  ts_free(ow);
  ts_free(ob);
  return 0;
}
double a4(void) {
  struct model m = {ts_ones(TS_SHAPE(2), TS_FLOAT32), ts_zeros(TS_SHAPE(2), TS_FLOAT32)};
  for (int i = 0; i < 3; i++)
    if (a4_update(&m, 2) != 0)
      break;
  double v = sum_of(m.w) + sum_of(m.b);
  ts_free(m.w);
  ts_free(m.b);
  return v;
}

/* ownership flag in a struct field */
struct view { ts_tensor *t; bool owned; };
static struct view view_of(ts_tensor *src, bool copy) {
  struct view v;
  v.owned = copy;
  v.t = copy ? ts_clone(src) : src;
  return v;
}
static void view_drop(struct view *v) {
  if (v->owned)
    ts_free(v->t);
  v->t = NULL;
}
double a5(bool copy) {
  ts_tensor *x = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  struct view v = view_of(x, copy);
  double s = sum_of(v.t);
  view_drop(&v);
  ts_free(x);
  return s;
}

/* last iteration test */
double a6(int n) {
  ts_tensor *acc = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  double out = 0;
  for (int i = 0; i < n; i++) {
    ts_tensor *nx = ts_add_scalar(acc, 1);
    ts_free(acc);
    acc = nx;
    if (i == n - 1) {
      out = sum_of(acc);
      ts_free(acc);
      acc = NULL;
    }
  }
  if (acc)
    ts_free(acc);
  return out;
}

/* while ((t = next()) != NULL) */
static int counter6;
static ts_tensor *next_t(void) {
  if (counter6 >= 3)
    return NULL;
  return ts_full(TS_SHAPE(1), TS_FLOAT32, counter6++);
}
double a7(void) {
  ts_tensor *t;
  double s = 0;
  while ((t = next_t()) != NULL) {
    s += sum_of(t);
    ts_free(t);
  }
  return s;
}

/* pool with fallback */
double a8(ts_pool *p) {
  ts_tensor *t = ts_pool_acquire(p, TS_SHAPE(4), TS_FLOAT32);
  if (!t)
    t = ts_zeros(TS_SHAPE(4), TS_FLOAT32);
  if (!t)
    return 0;
  double v = sum_of(t);
  ts_pool_release(p, t);
  return v;
}

/* ts_run with a context returning a tensor */
struct job { const ts_tensor *in; ts_tensor *out; };
static void *job_fn(void *arg) {
  struct job *j = arg;
  ts_tensor *y = ts_relu(j->in);
  j->out = ts_escape(ts_mul_scalar(y, 2));
  return NULL;
}
double a9(void) {
  ts_tensor *x = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  struct job j = {x, NULL};
  ts_run(job_fn, &j);
  double v = j.out ? sum_of(j.out) : 0;
  if (j.out)
    ts_free(j.out);
  ts_free(x);
  return v;
}

/* longjmp from a nested helper */
static jmp_buf env10;
static void check10(const ts_tensor *t) {
  if (ts_numel(t) > 100)
    longjmp(env10, 1);
}
double a10(int n) {
  ts_tensor *volatile t = NULL;
  if (setjmp(env10)) {
    if (t)
      ts_free(t);
    return -1;
  }
  t = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  check10(t);
  double v = sum_of(t);
  ts_free(t);
  return v;
}

/* do/while(0) with break for errors, several resources */
int a11(int n, double *out) {
  int rc = -1;
  ts_tensor *a = NULL, *b = NULL;
  do {
    a = ts_ones(TS_SHAPE(n), TS_FLOAT32);
    if (!a)
      break;
    b = ts_mul_scalar(a, 3);
    if (!b)
      break;
    *out = sum_of(b);
    rc = 0;
  } while (0);
  if (b)
    ts_free(b);
  if (a)
    ts_free(a);
  return rc;
}

/* chained hash table */
struct hnode { int key; ts_tensor *t; struct hnode *next; };
struct htab { struct hnode *b[4]; };
static void ht_put(struct htab *h, int key, ts_tensor *t) {
  struct hnode **pp = &h->b[key & 3];
  for (; *pp; pp = &(*pp)->next)
    if ((*pp)->key == key) {
      ts_free((*pp)->t);
      (*pp)->t = t;
      return;
    }
  struct hnode *n = malloc(sizeof *n);
  if (!n) {
    ts_free(t);
    return;
  }
  n->key = key;
  n->t = t;
  n->next = NULL;
  *pp = n;
}
static void ht_clear(struct htab *h) {
  for (int i = 0; i < 4; i++) {
    struct hnode *n = h->b[i];
    while (n) {
      struct hnode *nx = n->next;
      ts_free(n->t);
      free(n);
      n = nx;
    }
    h->b[i] = NULL;
  }
}
double a12(void) {
  struct htab h;
  memset(&h, 0, sizeof h);
  for (int i = 0; i < 6; i++)
    ht_put(&h, i % 5, ts_full(TS_SHAPE(1), TS_FLOAT32, i));
  double s = 0;
  for (int i = 0; i < 4; i++)
    for (struct hnode *n = h.b[i]; n; n = n->next)
      s += sum_of(n->t);
  ht_clear(&h);
  return s;
}

/* ternary choice freed */
void a13(bool c) {
  ts_tensor *a = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  ts_tensor *b = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  ts_tensor *keep = c ? a : b;
  ts_free(c ? b : a);
  ts_free(keep);
}

/* enum ownership switch */
enum own { OWN_NONE, OWN_FREE, OWN_POOL };
void a14(ts_pool *p, enum own o) {
  ts_tensor *t = o == OWN_POOL ? ts_pool_acquire(p, TS_SHAPE(2), TS_FLOAT32)
                               : ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  if (!t)
    return;
  switch (o) {
  case OWN_POOL:
    ts_pool_release(p, t);
    break;
  case OWN_FREE:
  case OWN_NONE:
    ts_free(t);
    break;
  }
}

/* status out param through void ** */
static int load_any(void **out, int n) {
  *out = NULL;
  if (n <= 0)
    return -1;
  ts_tensor *t = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  if (!t)
    return -2;
  *out = t;
  return 0;
}
double a15(int n) {
  void *p;
  if (load_any(&p, n) != 0)
    return 0;
  ts_tensor *t = p;
  double v = sum_of(t);
  ts_free(t);
  return v;
}

/* global table freed at shutdown */
static ts_tensor *g_table[4];
static int g_n;
void a16_add(double v) {
  if (g_n < 4)
    g_table[g_n++] = ts_full(TS_SHAPE(1), TS_FLOAT32, v);
}
void a16_shutdown(void) {
  while (g_n > 0)
    ts_free(g_table[--g_n]);
}

/* counter-based "every k-th" free with last handled after */
double a17(int n) {
  ts_tensor *acc = NULL;
  double s = 0;
  for (int i = 0; i < n; i++) {
    if (i % 2 == 0) {
      if (acc)
        ts_free(acc);
      acc = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    }
    s += acc ? sum_of(acc) : 0;
  }
  if (acc)
    ts_free(acc);
  return s;
}

/* async scope across a session struct */
struct session { ts_async_scope *sc; ts_tensor *state; };
int a18_open(struct session *s) {
  s->sc = ts_async_scope_begin();
  if (!s->sc)
    return -1;
  ts_async_scope_enter(s->sc);
  s->state = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  ts_async_scope_leave(s->sc);
  return 0;
}
void a18_close(struct session *s) {
  ts_async_scope_end(s->sc);
  s->sc = NULL;
  s->state = NULL;
}
double a18(void) {
  struct session s;
  if (a18_open(&s) != 0)
    return 0;
  double v = sum_of(s.state);
  a18_close(&s);
  return v;
}

/* counted pair of loops: fill then free with a different bound variable */
double a19(int n) {
  if (n > 8)
    n = 8;
  ts_tensor *ts[8];
  int made = 0;
  for (; made < n; made++) {
    ts[made] = ts_full(TS_SHAPE(1), TS_FLOAT32, made);
    if (!ts[made])
      break;
  }
  double s = 0;
  for (int i = 0; i < made; i++)
    s += sum_of(ts[i]);
  while (made-- > 0)
    ts_free(ts[made]);
  return s;
}
void b1(const ts_tensor *x, int n) {
  ts_tensor *prev = NULL;
  for (int i = 0; i < n; i++) {
    ts_tensor *cur = ts_add_scalar(x, i);
    if (i)
      ts_free(prev);
    prev = cur;
  }
  if (n > 0)
    ts_free(prev);
}
/* Two ownership bits of one local (`made |= 1`, `made & 1`): in
 * diagnostics/bit-flags.c (two_bits). */
