// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// Correct code shaped to sit near the inference rules' edges (arrays,
// array parameters, async fills, *p helpers, entry fields, failing inits,
// field overwrites, correlated paths): not one diagnostic.
// expected-no-diagnostics
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>

#define N 4
void log_opts(const void *o);

/* ---- ArrayFrees: the rest freed by a while loop or in halves ---- */
void af_while(void) {
  ts_tensor *a[N];
  for (int i = 0; i < N; i++)
    a[i] = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  ts_free(a[0]);
  int k = N - 1;
  while (k >= 1)
    ts_free(a[k--]);
}

void af_halves(void) {
  ts_tensor *a[N];
  for (int i = 0; i < N; i++)
    a[i] = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  for (int i = 0; i < N; i += 2)
    ts_free(a[i]);
  for (int i = 1; i < N; i += 2)
    ts_free(a[i]);
}

void af_down(void) {
  ts_tensor *a[N];
  for (int i = 0; i < N; i++)
    a[i] = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  for (int i = N; i-- > 0;)
    ts_free(a[i]);
}

void af_le(void) {
  ts_tensor *a[N];
  for (int i = 0; i < N; i++)
    a[i] = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  for (int i = 0; i <= N - 1; ++i)
    ts_free(a[i]);
}

void af_sizeof(void) {
  ts_tensor *a[N];
  for (size_t i = 0; i < sizeof a / sizeof a[0]; i++)
    a[i] = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  for (size_t i = 0; i < sizeof a / sizeof *a; i++)
    ts_free(a[i]);
}

void af_pointer(void) {
  ts_tensor *a[N];
  for (int i = 0; i < N; i++)
    a[i] = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  ts_free(a[0]);
  for (ts_tensor **p = a + 1; p < a + N; p++)
    ts_free(*p);
}

void af_two_loops_minus(void) {
  ts_tensor *a[N];
  for (int i = 0; i < N; i++)
    a[i] = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  for (int i = 0; i < N - 1; i++)
    ts_free(a[i]);
  ts_free(a[N - 1]);
}

void af_struct_field(void) {
  struct {
    ts_tensor *w[N];
    int n;
  } m;
  for (int i = 0; i < N; i++)
    m.w[i] = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  m.n = N;
  while (m.n > 0)
    ts_free(m.w[--m.n]);
}

void af_memcpy(void) {
  ts_tensor *a[N], *b[N];
  for (int i = 0; i < N; i++)
    a[i] = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  memcpy(b, a, sizeof a);
  for (int i = 0; i < N; i++)
    ts_free(b[i]);
}

/* ---- ArrayParams: helpers with a count ---- */
static void ap_fill(ts_tensor **a, int n) {
  for (int i = 0; i < n; i++)
    a[i] = ts_ones(TS_SHAPE(1), TS_FLOAT32);
}
static void ap_free_tail(ts_tensor **a, int n) {
  for (int i = 1; i < n; i++)
    ts_free(a[i]);
}
void ap_caller(void) {
  ts_tensor *a[N];
  ap_fill(a, N);
  ap_free_tail(a, N);
  ts_free(a[0]);
}
void ap_caller_offset(void) {
  ts_tensor *a[N + 1];
  a[0] = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  ap_fill(a + 1, N);
  for (int i = 0; i <= N; i++)
    ts_free(a[i]);
}
static void ap_free_head(ts_tensor **v) { ts_free(v[0]); }
void ap_head(void) {
  ts_tensor *a[2];
  a[0] = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  a[1] = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  ap_free_head(a);
  double v = ts_item(a[1]);
  (void)v;
  ts_free(a[1]);
}
static void ap_pop(ts_tensor **stack, int *n) { ts_free(stack[--*n]); }
void ap_stack(void) {
  ts_tensor *st[3];
  int n = 0;
  st[n++] = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  st[n++] = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  ap_pop(st, &n);
  double v = ts_item(st[0]);
  (void)v;
  ap_pop(st, &n);
}

/* ---- *p helpers applied to array elements ---- */
static void dp_replace(ts_tensor **p) {
  ts_tensor *n = ts_relu(*p);
  ts_free(*p);
  *p = n;
}
void dp_elements(void) {
  ts_tensor *a[2];
  a[0] = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  a[1] = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  ts_tensor *keep1 = a[1];
  dp_replace(&a[0]);
  double v = ts_item(keep1) + ts_item(a[0]);
  (void)v;
  ts_free(a[0]);
  ts_free(a[1]);
}
static int dp_maybe(ts_tensor **p, bool go) {
  if (!go)
    return 0;
  ts_tensor *n = ts_neg(*p);
  ts_free(*p);
  *p = n;
  return 1;
}
void dp_cond(bool go) {
  ts_tensor *x = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  ts_tensor *copy = x;
  if (!dp_maybe(&x, go)) {
    double v = ts_item(copy);
    (void)v;
  }
  ts_free(x);
}
void dp_struct_field(void) {
  struct {
    ts_tensor *a, *b;
  } s;
  s.a = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  s.b = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  dp_replace(&s.a);
  double v = ts_item(s.b);
  (void)v;
  ts_free(s.a);
  ts_free(s.b);
}

/* ---- EntryFields: a copy reassigned before the teardown ---- */
struct ef {
  ts_tensor *x, *y;
};
static void ef_free(struct ef *e) {
  if (e->x)
    ts_free(e->x);
  e->x = NULL;
  ts_free(e->y);
  e->y = NULL;
}
void ef_copy(void) {
  struct ef a = {ts_zeros(TS_SHAPE(1), TS_FLOAT32),
                 ts_ones(TS_SHAPE(1), TS_FLOAT32)};
  struct ef b = a;
  b.x = ts_clone(a.x);
  b.y = ts_clone(a.y);
  ef_free(&a);
  double v = ts_item(b.x) + ts_item(b.y);
  (void)v;
  ef_free(&b);
}
void ef_two(void) {
  struct ef a = {ts_zeros(TS_SHAPE(1), TS_FLOAT32), NULL};
  struct ef b = {ts_ones(TS_SHAPE(1), TS_FLOAT32), NULL};
  a.y = ts_clone(b.x);
  b.y = ts_clone(a.x);
  ef_free(&a);
  double v = ts_item(b.x);
  (void)v;
  ef_free(&b);
}

/* ---- FailureCleanup: failing inits that free through other means ---- */
struct fc {
  ts_tensor *a, *b, *c;
};
static void fc_free(struct fc *m) {
  ts_free(m->a);
  ts_free(m->b);
  ts_free(m->c);
  m->a = m->b = m->c = NULL;
}
int fc_init_helper(struct fc *m, bool fail) {
  m->a = m->b = m->c = NULL;
  m->a = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  m->b = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  if (fail)
    goto bad;
  m->c = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  if (!m->c)
    goto bad;
  return 0;
bad:
  fc_free(m);
  return -1;
}
int fc_init_table(struct fc *m, bool fail) {
  ts_tensor **fields[3] = {&m->a, &m->b, &m->c};
  for (int i = 0; i < 3; i++)
    *fields[i] = NULL;
  m->a = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  m->b = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  if (fail) {
    for (int i = 0; i < 3; i++) {
      ts_free(*fields[i]);
      *fields[i] = NULL;
    }
    return -1;
  }
  m->c = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  return 0;
}
int fc_init_all_freed(struct fc *m, bool fail) {
  m->a = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  m->b = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  m->c = NULL;
  if (fail) {
    ts_free(m->a);
    ts_free(m->b);
    return 1;
  }
  return 0;
}
/* A bool init whose scratch field is freed on success: in
 * diagnostics/failure-cleanup-bool.c (fs_init). */

/* ---- FieldOverwrite: the old tensor is held elsewhere ---- */
struct hist {
  ts_tensor *items[8];
  int n;
};
static void hist_push(struct hist *h, ts_tensor *t) { h->items[h->n++] = t; }
struct cell {
  ts_tensor *cur;
  struct hist *h;
};
void fo_pushed(struct cell *c) {
  hist_push(c->h, c->cur);
  c->cur = ts_relu(c->cur);
}
void fo_saved(struct cell *c, struct cell *old) {
  old->cur = c->cur;
  c->cur = ts_neg(c->cur);
}
void fo_async(struct cell *c, ts_async_scope *s) {
  ts_async_scope_enter(s);
  ts_tensor *n = ts_add_scalar(c->cur, 1);
  c->cur = n;
  ts_async_scope_leave(s);
}
struct view {
  ts_tensor *base;
  ts_tensor *row; /* borrowed: base or NULL */
};
void fo_borrowed(struct view *v) {
  double x = ts_item(v->row);
  (void)x;
  v->row = v->base;
}
void fo_scoped_caller(struct cell *c) {
  /* runs inside the caller's TS_SCOPE; the old cur is the scope's */
  ts_scope_id id = ts_scope_begin();
  ts_tensor *n = ts_tanh(c->cur);
  c->cur = ts_escape(n);
  ts_scope_end(id);
}

/* ---- correlated paths through flags and fields (a bool flag, two switches
 * on one variable and a loop's first pass are in diagnostics/bool-flags.c,
 * switch-twice.c and loop-first-pass.c) ---- */
struct opts {
  bool verbose;
  int mode;
};
void cp_flag_int(const ts_tensor *x, int c) {
  ts_tensor *t = NULL;
  int made = 0;
  if (c > 3) {
    t = ts_clone(x);
    made = 1;
  }
  double v = made ? ts_item(t) : 0;
  (void)v;
  if (made == 1)
    ts_free(t);
}
void cp_null_test(const ts_tensor *x, int n) {
  ts_tensor *t = n > 0 ? ts_clone(x) : NULL;
  for (int i = 0; i < n; i++) {
    double v = ts_item(t);
    (void)v;
  }
  if (t != NULL)
    ts_free(t);
}
void cp_count(const ts_tensor *x, int n) {
  ts_tensor *ts[8];
  int k = 0;
  for (int i = 0; i < n && k < 8; i++)
    ts[k++] = ts_add_scalar(x, i);
  while (k > 0)
    ts_free(ts[--k]);
}
int cp_status(const ts_tensor *x) {
  ts_status st = TS_OK;
  ts_tensor *t = ts_clone(x);
  if (!t)
    st = TS_ERR_OOM;
  if (st == TS_OK)
    st = ts_requires_grad(t, false);
  if (t)
    ts_free(t);
  return st;
}

/* ---- fixed known false positive: a field tested around a call that
 * takes the struct as const (the first iteration told by its counter is
 * in diagnostics/loop-first-pass.c) ---- */
struct opts2 {
  bool verbose;
  int mode;
};
void cp_field(const struct opts2 *o, const ts_tensor *x) {
  ts_tensor *dbg = NULL;
  if (o->verbose)
    dbg = ts_clone(x);
  log_opts(o);
  if (o->verbose)
    ts_free(dbg);
}
