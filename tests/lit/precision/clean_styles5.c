// Precision corpus: more styles of C around tensors (ownership through
// function pointers and vtables, tensors in unions under bit-field tags,
// sentinel lists, `ts_tensor **` out-parameters with a status, CHECK(x)
// goto-fail macros, double buffers swapped by fields, reference-counted
// wrappers, structs returned by value, conditional moves, computed ring
// indices, goto retries, whether a tensor was made kept in a bool, an int
// or a status and tested or switched on later); all correct.
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
// CHECK: clean_styles5: all checks passed
// CHECK-NOT: tsmem:
#include "common.h"
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

static double sum_of(const ts_tensor *t) {
  ts_tensor *s = ts_sum(t);
  double v = ts_item(s);
  ts_free(s);
  return v;
}

/* 1. ownership handed through a function pointer table */
typedef struct sink {
  void (*take)(struct sink *self, ts_tensor *t);
  ts_tensor *held[4];
  int n;
} sink;

static void sink_take(sink *self, ts_tensor *t) {
  if (self->n < 4)
    self->held[self->n++] = t;
  else
    ts_free(t);
}

static void sink_drain(sink *s) {
  for (int i = 0; i < s->n; i++)
    ts_free(s->held[i]);
  s->n = 0;
}

double fp_handoff(void) {
  sink s = {sink_take, {0}, 0};
  for (int i = 0; i < 6; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(2), TS_FLOAT32, i);
    if (!t)
      break;
    s.take(&s, t);
  }
  double v = s.n ? sum_of(s.held[0]) : 0;
  sink_drain(&s);
  return v;
}

/* 2. tensor in a union with a bitfield tag */
struct slot {
  unsigned is_tensor : 1;
  unsigned owned : 1;
  union {
    ts_tensor *t;
    double d;
  } u;
};

static void slot_clear(struct slot *s) {
  if (s->is_tensor && s->owned)
    ts_free(s->u.t);
  s->is_tensor = 0;
  s->owned = 0;
  s->u.d = 0;
}

double union_bits(int k) {
  struct slot s = {0};
  if (k > 0) {
    s.u.t = ts_ones(TS_SHAPE(k), TS_FLOAT32);
    s.is_tensor = s.u.t != NULL;
    s.owned = 1;
  } else {
    s.u.d = 3.0;
  }
  double v = s.is_tensor ? sum_of(s.u.t) : s.u.d;
  slot_clear(&s);
  return v;
}

/* 3. sentinel-node doubly-linked list */
struct node {
  struct node *prev, *next;
  ts_tensor *t;
};

static void list_init(struct node *head) { head->prev = head->next = head; }

static bool list_push(struct node *head, ts_tensor *t) {
  struct node *n = malloc(sizeof *n);
  if (!n)
    return false;
  n->t = t;
  n->next = head;
  n->prev = head->prev;
  head->prev->next = n;
  head->prev = n;
  return true;
}

static void list_free(struct node *head) {
  struct node *n = head->next;
  while (n != head) {
    struct node *next = n->next;
    ts_free(n->t);
    free(n);
    n = next;
  }
  list_init(head);
}

double sentinel_list(int n) {
  struct node head;
  list_init(&head);
  for (int i = 0; i < n; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    if (!t)
      break;
    if (!list_push(&head, t)) {
      ts_free(t);
      break;
    }
  }
  double v = 0;
  for (struct node *p = head.next; p != &head; p = p->next)
    v += sum_of(p->t);
  list_free(&head);
  return v;
}

/* 4. doubly-indirect out-parameter set on success only, with a status */
static ts_status make_pair(ts_tensor **a, ts_tensor **b, int n) {
  ts_tensor *x = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  if (!x)
    return TS_ERR_OOM;
  ts_tensor *y = ts_mul_scalar(x, 2);
  if (!y) {
    ts_free(x);
    return TS_ERR_OOM;
  }
  *a = x;
  *b = y;
  return TS_OK;
}

double use_pair(int n) {
  ts_tensor *a = NULL, *b = NULL;
  if (make_pair(&a, &b, n) != TS_OK)
    return -1;
  double v = sum_of(a) + sum_of(b);
  ts_free(a);
  ts_free(b);
  return v;
}

/* 5. CHECK(x) goto fail macros */
#define CHECK(x)                                                               \
  do {                                                                         \
    if (!(x))                                                                  \
      goto fail;                                                               \
  } while (0)

double check_macro(int n) {
  ts_tensor *a = NULL, *b = NULL, *c = NULL;
  double v = -1;
  CHECK(a = ts_ones(TS_SHAPE(n), TS_FLOAT32));
  CHECK(b = ts_add_scalar(a, 1));
  CHECK(c = ts_mul(a, b));
  v = sum_of(c);
fail:
  if (c)
    ts_free(c);
  if (b)
    ts_free(b);
  if (a)
    ts_free(a);
  return v;
}

/* 6. swap two fields to move ownership */
struct dbuf {
  ts_tensor *front, *back;
};

static void dbuf_swap(struct dbuf *d) {
  ts_tensor *tmp = d->front;
  d->front = d->back;
  d->back = tmp;
}

double double_buffer(int steps) {
  struct dbuf d;
  d.front = ts_zeros(TS_SHAPE(3), TS_FLOAT32);
  d.back = ts_zeros(TS_SHAPE(3), TS_FLOAT32);
  if (!d.front || !d.back) {
    if (d.front)
      ts_free(d.front);
    if (d.back)
      ts_free(d.back);
    return 0;
  }
  for (int i = 0; i < steps; i++) {
    ts_tensor *n = ts_add_scalar(d.front, 1);
    if (!n)
      break;
    ts_free(d.back);
    d.back = n;
    dbuf_swap(&d);
  }
  double v = sum_of(d.front);
  ts_free(d.front);
  ts_free(d.back);
  return v;
}

/* 7. refcounted wrapper */
typedef struct rc {
  int refs;
  ts_tensor *t;
} rc;

static rc *rc_new(ts_tensor *t) {
  rc *r = malloc(sizeof *r);
  if (!r) {
    ts_free(t);
    return NULL;
  }
  r->refs = 1;
  r->t = t;
  return r;
}
static rc *rc_ref(rc *r) {
  r->refs++;
  return r;
}
static void rc_unref(rc *r) {
  if (--r->refs == 0) {
    ts_free(r->t);
    free(r);
  }
}

double refcounted(void) {
  ts_tensor *t = ts_ones(TS_SHAPE(4), TS_FLOAT32);
  if (!t)
    return 0;
  rc *a = rc_new(t);
  if (!a)
    return 0;
  rc *b = rc_ref(a);
  rc_unref(a);
  double v = sum_of(b->t);
  rc_unref(b);
  return v;
}

/* 8. struct returned by value; *out on some paths only */
struct result {
  ts_status st;
  ts_tensor *val;
};

static struct result compute(int n) {
  struct result r = {TS_OK, NULL};
  if (n <= 0) {
    r.st = TS_ERR_ARG;
    return r;
  }
  r.val = ts_arange(0, n, 1, TS_FLOAT32);
  if (!r.val)
    r.st = ts_last_status();
  return r;
}

double use_result(int n) {
  struct result r = compute(n);
  if (r.st != TS_OK)
    return -1;
  double v = sum_of(r.val);
  ts_free(r.val);
  return v;
}

static ts_status maybe_make(int n, ts_tensor **out) {
  if (n < 0)
    return TS_ERR_ARG;
  if (n == 0) {
    *out = NULL;
    return TS_OK;
  }
  *out = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  return *out ? TS_OK : TS_ERR_OOM;
}

double use_maybe(int n) {
  ts_tensor *t;
  if (maybe_make(n, &t) != TS_OK)
    return -1;
  if (!t)
    return 0;
  double v = sum_of(t);
  ts_free(t);
  return v;
}

/* 9. conditional move *dst = flag ? a : b */
static void pick(ts_tensor **dst, ts_tensor *a, ts_tensor *b, bool first) {
  *dst = first ? a : b;
  ts_free(first ? b : a);
}

double cond_move(bool f) {
  ts_tensor *a = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *b = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  if (!a || !b) {
    if (a)
      ts_free(a);
    if (b)
      ts_free(b);
    return 0;
  }
  ts_tensor *keep;
  pick(&keep, a, b, f);
  double v = sum_of(keep);
  ts_free(keep);
  return v;
}

/* 10. computed indices */
double computed_index(int n) {
  ts_tensor *ring[8] = {0};
  double v = 0;
  for (int i = 0; i < n; i++) {
    int k = (i * 3 + 1) & 7;
    if (ring[k])
      ts_free(ring[k]);
    ring[k] = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
  }
  for (int k = 0; k < 8; k++) {
    if (!ring[k])
      continue;
    v += sum_of(ring[k]);
    ts_free(ring[k]);
  }
  return v;
}

/* 11. goto retry loop */
double retry(int tries) {
  int attempt = 0;
  ts_tensor *t;
again:
  t = ts_rand(TS_SHAPE(4), TS_FLOAT32);
  if (!t)
    return -1;
  if (sum_of(t) < 100 && ++attempt < tries) {
    ts_free(t);
    goto again;
  }
  double v = sum_of(t);
  ts_free(t);
  return v;
}

/* 12. early continue in teardown */
void teardown(ts_tensor **ts, bool *borrowed, int n) {
  for (int i = 0; i < n; i++) {
    if (!ts[i])
      continue;
    if (borrowed[i]) {
      ts[i] = NULL;
      continue;
    }
    ts_free(ts[i]);
    ts[i] = NULL;
  }
}

/* ---- whether a tensor was made, kept in a variable ---- */
enum mode { M_NONE, M_OWN, M_BORROW };
double mode_var(const ts_tensor *x, int want) {
  ts_tensor *mine = want ? ts_clone(x) : NULL;
  enum mode m = mine ? M_OWN : M_BORROW;
  const ts_tensor *use = m == M_OWN ? mine : x;
  double v = sum_of(use);
  switch (m) {
  case M_OWN:
    ts_free(mine);
    break;
  case M_BORROW:
  case M_NONE:
    break;
  }
  return v;
}

double kind_switch(int n) {
  ts_tensor *t = n > 0 ? ts_ones(TS_SHAPE(n), TS_FLOAT32) : NULL;
  int kind = t ? 1 : 0;
  double v = 0;
  switch (kind) {
  case 1:
    v = sum_of(t);
    ts_free(t);
    break;
  case 0:
    break;
  }
  return v;
}

double owned_flag(const ts_tensor *x, bool copy) {
  const ts_tensor *src = x;
  ts_tensor *tmp = NULL;
  bool owned = false;
  if (copy) {
    tmp = ts_clone(x);
    owned = tmp != NULL;
    if (owned)
      src = tmp;
  }
  double v = sum_of(src);
  if (owned)
    ts_free(tmp);
  return v;
}

double alias_simple(int n) {
  ts_tensor *t = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  bool ok = t != NULL;
  double v = ok ? sum_of(t) : 0;
  if (ok)
    ts_free(t);
  return v;
}

double alias_bang(int n) {
  ts_tensor *t = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  int have = !!t;
  if (!have)
    return 0;
  double v = sum_of(t);
  ts_free(t);
  return v;
}

double status_from_ptr(int n) {
  ts_tensor *t = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  ts_status st = t ? TS_OK : TS_ERR_OOM;
  if (st != TS_OK)
    return -1;
  double v = sum_of(t);
  ts_free(t);
  return v;
}

double stages(int upto) {
  ts_tensor *a = NULL, *b = NULL, *c = NULL;
  double v = 0;
  a = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  if (!a)
    return 0;
  if (upto > 0)
    b = ts_add_scalar(a, 1);
  if (b && upto > 1)
    c = ts_mul(a, b);
  int stage = c ? 3 : b ? 2 : 1;
  switch (stage) {
  case 3:
    v += sum_of(c);
    ts_free(c);
    /* fallthrough */
  case 2:
    v += sum_of(b);
    ts_free(b);
    /* fallthrough */
  case 1:
    v += sum_of(a);
    ts_free(a);
    break;
  }
  return v;
}


int main(void) {
  V("fp_handoff %.1f", fp_handoff());
  V("union_bits %.1f %.1f", union_bits(3), union_bits(0));
  V("sentinel_list %.1f", sentinel_list(4));
  V("use_pair %.1f", use_pair(3));
  V("check_macro %.1f", check_macro(2));
  V("double_buffer %.1f", double_buffer(3));
  V("refcounted %.1f", refcounted());
  V("use_result %.1f %.1f", use_result(4), use_result(0));
  V("use_maybe %.1f %.1f %.1f", use_maybe(3), use_maybe(0), use_maybe(-1));
  V("cond_move %.1f %.1f", cond_move(true), cond_move(false));
  V("computed_index %.1f", computed_index(11));
  V("retry %d", retry(3) >= 0);
  ts_tensor *ts[3] = {ts_ones(TS_SHAPE(1), TS_FLOAT32), NULL,
                      ts_ones(TS_SHAPE(1), TS_FLOAT32)};
  ts_tensor *shared = ts[2];
  bool borrowed[3] = {false, false, true};
  teardown(ts, borrowed, 3);
  EXPECT(ts[0] == NULL && ts[2] == NULL);
  ts_free(shared);
  ts_tensor *x = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  V("mode_var %.1f %.1f", mode_var(x, 1), mode_var(x, 0));
  V("owned_flag %.1f %.1f", owned_flag(x, true), owned_flag(x, false));
  ts_free(x);
  V("kind_switch %.1f %.1f", kind_switch(3), kind_switch(0));
  V("alias %.1f %.1f %.1f", alias_simple(2), alias_bang(3), status_from_ptr(4));
  for (int k = 0; k < 3; k++)
    V("stages %d %.1f", k, stages(k));
  EXPECT_MEM(pc_live() == 0);
  EXPECT(pc_live() == 0);
  return pc_done("clean_styles5");
}
