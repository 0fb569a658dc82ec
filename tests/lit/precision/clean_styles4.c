// Precision corpus: more styles of C around tensors (intrusive lists,
// object pools of structs, hand-made reference counts, tagged unions,
// callback registries, iterators, status codes, void * queues, triple
// pointers, a SAFE_FREE macro, early-return ladders, switch fallthrough,
// nested scopes with keep and escape); all correct.
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
// CHECK: clean_styles4: all checks passed
// CHECK-NOT: tsmem:
#include "common.h"
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define SAFE_FREE(t)                                                           \
  do {                                                                         \
    if (t) {                                                                   \
      ts_free(t);                                                              \
      (t) = NULL;                                                              \
    }                                                                          \
  } while (0)

static double sum_of(const ts_tensor *t) {
  ts_tensor *s = ts_sum(t);
  double v = ts_item(s);
  ts_free(s);
  return v;
}

/* ---- an intrusive list: the link inside the item, container_of ---- */
struct link {
  struct link *next;
};
struct item {
  int id;
  ts_tensor *t;
  struct link node;
};
#define ITEM_OF(l) ((struct item *)((char *)(l) - offsetof(struct item, node)))

static double intrusive(void) {
  struct link head = {NULL};
  for (int i = 0; i < 3; i++) {
    struct item *it = malloc(sizeof *it);
    if (!it)
      break;
    it->id = i;
    it->t = ts_full(TS_SHAPE(2), TS_FLOAT32, i + 1);
    it->node.next = head.next;
    head.next = &it->node;
  }
  double s = 0;
  for (struct link *l = head.next; l; l = l->next)
    s += sum_of(ITEM_OF(l)->t);
  while (head.next) {
    struct link *l = head.next;
    head.next = l->next;
    struct item *it = ITEM_OF(l);
    ts_free(it->t);
    free(it);
  }
  return s;
}

/* ---- an object pool of structs that own tensors, with a free list ---- */
struct particle {
  ts_tensor *pos;
  ts_tensor *vel;
  int live;
  int next_free;
};
struct ppool {
  struct particle slots[4];
  int first_free;
};

static void ppool_init(struct ppool *p) {
  for (int i = 0; i < 4; i++) {
    p->slots[i].pos = NULL;
    p->slots[i].vel = NULL;
    p->slots[i].live = 0;
    p->slots[i].next_free = i + 1 < 4 ? i + 1 : -1;
  }
  p->first_free = 0;
}

static int ppool_spawn(struct ppool *p, double x) {
  int i = p->first_free;
  if (i < 0)
    return -1;
  struct particle *q = &p->slots[i];
  q->pos = ts_full(TS_SHAPE(2), TS_FLOAT32, x);
  q->vel = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  if (!q->pos || !q->vel) {
    SAFE_FREE(q->pos);
    SAFE_FREE(q->vel);
    return -1;
  }
  q->live = 1;
  p->first_free = q->next_free;
  return i;
}

static void ppool_kill(struct ppool *p, int i) {
  struct particle *q = &p->slots[i];
  if (!q->live)
    return;
  SAFE_FREE(q->pos);
  SAFE_FREE(q->vel);
  q->live = 0;
  q->next_free = p->first_free;
  p->first_free = i;
}

static double pool_of_structs(void) {
  struct ppool p;
  ppool_init(&p);
  int a = ppool_spawn(&p, 1);
  int b = ppool_spawn(&p, 2);
  ppool_kill(&p, a);
  int c = ppool_spawn(&p, 3);
  double s = 0;
  for (int i = 0; i < 4; i++)
    if (p.slots[i].live)
      s += sum_of(p.slots[i].pos);
  ppool_kill(&p, b);
  ppool_kill(&p, c);
  ppool_kill(&p, c);
  return s;
}

/* ---- reference counting by hand ---- */
struct shared {
  int refs;
  ts_tensor *t;
};

static struct shared *shared_new(double v) {
  struct shared *s = malloc(sizeof *s);
  if (!s)
    return NULL;
  s->t = ts_full(TS_SHAPE(3), TS_FLOAT32, v);
  s->refs = 1;
  return s;
}
static struct shared *shared_ref(struct shared *s) {
  s->refs++;
  return s;
}
static void shared_unref(struct shared *s) {
  if (--s->refs == 0) {
    ts_free(s->t);
    free(s);
  }
}

static double refcounts(void) {
  struct shared *a = shared_new(2);
  if (!a)
    return 0;
  struct shared *b = shared_ref(a);
  struct shared *c = shared_ref(b);
  shared_unref(a);
  double v = sum_of(c->t);
  shared_unref(b);
  shared_unref(c);
  return v;
}

/* ---- a tagged union of tensor-holding kinds ---- */
enum vkind { VK_NONE, VK_ONE, VK_PAIR };
struct value {
  enum vkind kind;
  union {
    ts_tensor *one;
    struct {
      ts_tensor *a, *b;
    } pair;
  } u;
};

static struct value value_make(int k, double x) {
  struct value v = {VK_NONE, {NULL}};
  if (k == 1) {
    v.kind = VK_ONE;
    v.u.one = ts_full(TS_SHAPE(1), TS_FLOAT32, x);
  } else if (k == 2) {
    v.kind = VK_PAIR;
    v.u.pair.a = ts_full(TS_SHAPE(1), TS_FLOAT32, x);
    v.u.pair.b = ts_full(TS_SHAPE(1), TS_FLOAT32, -x);
  }
  return v;
}

static void value_drop(struct value *v) {
  switch (v->kind) {
  case VK_PAIR:
    ts_free(v->u.pair.b);
    ts_free(v->u.pair.a);
    break;
  case VK_ONE:
    ts_free(v->u.one);
    break;
  case VK_NONE:
    break;
  }
  v->kind = VK_NONE;
}

static double tagged(void) {
  double s = 0;
  for (int k = 0; k < 3; k++) {
    struct value v = value_make(k, k + 0.5);
    if (v.kind == VK_ONE)
      s += sum_of(v.u.one);
    else if (v.kind == VK_PAIR)
      s += sum_of(v.u.pair.a) * 2 + sum_of(v.u.pair.b);
    value_drop(&v);
  }
  return s;
}

/* ---- a callback registry with user data ---- */
typedef void (*on_tensor)(const ts_tensor *t, void *user);
struct registry {
  on_tensor fns[4];
  void *users[4];
  int n;
};

static void reg_add(struct registry *r, on_tensor fn, void *user) {
  if (r->n < 4) {
    r->fns[r->n] = fn;
    r->users[r->n] = user;
    r->n++;
  }
}
static void reg_fire(const struct registry *r, const ts_tensor *t) {
  for (int i = 0; i < r->n; i++)
    r->fns[i](t, r->users[i]);
}
static void cb_sum(const ts_tensor *t, void *user) {
  *(double *)user += sum_of(t);
}
static void cb_keep_max(const ts_tensor *t, void *user) {
  ts_tensor **best = user;
  if (!*best || sum_of(t) > sum_of(*best)) {
    if (*best)
      ts_free(*best);
    *best = ts_clone(t);
  }
}

static double callbacks(void) {
  struct registry r = {{NULL}, {NULL}, 0};
  double total = 0;
  ts_tensor *best = NULL;
  reg_add(&r, cb_sum, &total);
  reg_add(&r, cb_keep_max, &best);
  for (int i = 0; i < 3; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(2), TS_FLOAT32, i == 1 ? 5 : i);
    reg_fire(&r, t);
    ts_free(t);
  }
  double b = best ? sum_of(best) : -1;
  if (best)
    ts_free(best);
  return total + b;
}

/* ---- an iterator with begin / next / end over generated tensors ---- */
struct iter {
  int i, n;
  ts_tensor *cur;
};
static void it_begin(struct iter *it, int n) {
  it->i = 0;
  it->n = n;
  it->cur = NULL;
}
static bool it_next(struct iter *it) {
  if (it->cur) {
    ts_free(it->cur);
    it->cur = NULL;
  }
  if (it->i >= it->n)
    return false;
  it->cur = ts_full(TS_SHAPE(2), TS_FLOAT32, it->i++);
  return it->cur != NULL;
}
static void it_end(struct iter *it) {
  if (it->cur) {
    ts_free(it->cur);
    it->cur = NULL;
  }
}

static double iterate(void) {
  struct iter it;
  double s = 0;
  it_begin(&it, 4);
  while (it_next(&it)) {
    s += sum_of(it.cur);
    if (s > 8)
      break;
  }
  it_end(&it);
  return s;
}

/* ---- errno-like status codes, an early-return ladder ---- */
enum { E_OK = 0, E_NOMEM = -12, E_RANGE = -34 };
static int last_err;

static ts_tensor *checked_make(int n) {
  if (n <= 0) {
    last_err = E_RANGE;
    return NULL;
  }
  ts_tensor *t = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  last_err = t ? E_OK : E_NOMEM;
  return t;
}

static int ladder(int n, double *out) {
  ts_tensor *a = checked_make(n);
  if (!a)
    return last_err;
  ts_tensor *b = checked_make(n - 1);
  if (!b) {
    ts_free(a);
    return last_err;
  }
  ts_tensor *c = checked_make(n - 2);
  if (!c) {
    ts_free(b);
    ts_free(a);
    return last_err;
  }
  *out = sum_of(a) + sum_of(b) + sum_of(c);
  ts_free(c);
  ts_free(b);
  ts_free(a);
  return E_OK;
}

/* ---- ownership through a ring of void * ---- */
struct ring {
  void *slot[4];
  unsigned head, tail;
};
static bool ring_put(struct ring *r, void *p) {
  if (r->tail - r->head == 4)
    return false;
  r->slot[r->tail++ % 4] = p;
  return true;
}
static void *ring_get(struct ring *r) {
  if (r->head == r->tail)
    return NULL;
  return r->slot[r->head++ % 4];
}

static double void_queue(void) {
  struct ring r = {{NULL}, 0, 0};
  for (int i = 0; i < 6; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    if (!ring_put(&r, t))
      ts_free(t);
  }
  double s = 0;
  void *p;
  while ((p = ring_get(&r)) != NULL) {
    ts_tensor *t = p;
    s += sum_of(t);
    ts_free(t);
  }
  return s;
}

/* ---- double and triple pointers ---- */
static void make_into(ts_tensor ***where, double v) {
  **where = ts_full(TS_SHAPE(1), TS_FLOAT32, v);
}
static void replace_in(ts_tensor **slot, double k) {
  ts_tensor *n = ts_mul_scalar(*slot, k);
  ts_free(*slot);
  *slot = n;
}

static double pointers(void) {
  ts_tensor *t = NULL;
  ts_tensor **pt = &t;
  ts_tensor ***ppt = &pt;
  make_into(ppt, 3);
  replace_in(*ppt, 2);
  double v = sum_of(t);
  ts_free(t);
  return v;
}

/* ---- arrays of structs of arrays ---- */
struct layer {
  ts_tensor *w[2];
  int n;
};
static double structs_of_arrays(void) {
  struct layer ls[3];
  for (int i = 0; i < 3; i++) {
    ls[i].n = 2;
    for (int j = 0; j < ls[i].n; j++)
      ls[i].w[j] = ts_full(TS_SHAPE(1), TS_FLOAT32, i * 2 + j);
  }
  double s = 0;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < ls[i].n; j++)
      s += sum_of(ls[i].w[j]);
  for (int i = 2; i >= 0; i--)
    for (int j = 0; j < ls[i].n; j++)
      ts_free(ls[i].w[j]);
  return s;
}

/* ---- switch fallthrough releasing what each stage made ---- */
static double fallthrough(int stage) {
  ts_tensor *a = NULL, *b = NULL, *c = NULL;
  double s = 0;
  switch (stage) {
  case 3:
    c = ts_full(TS_SHAPE(1), TS_FLOAT32, 3);
    /* fall through */
  case 2:
    b = ts_full(TS_SHAPE(1), TS_FLOAT32, 2);
    /* fall through */
  case 1:
    a = ts_full(TS_SHAPE(1), TS_FLOAT32, 1);
    break;
  default:
    return 0;
  }
  if (a)
    s += sum_of(a);
  if (b)
    s += sum_of(b);
  if (c)
    s += sum_of(c);
  SAFE_FREE(c);
  SAFE_FREE(b);
  SAFE_FREE(a);
  return s;
}

/* ---- nested scopes: keep out of the inner, escape out of the outer ---- */
static ts_tensor *nested_keep_escape(const ts_tensor *x) {
  ts_tensor *kept = NULL, *out = NULL;
  TS_SCOPE {
    ts_tensor *y = ts_relu(x);
    TS_SCOPE {
      ts_tensor *z = ts_add(y, x);
      kept = ts_keep(ts_mul_scalar(z, 2));
    }
    out = ts_escape(ts_add(y, kept));
  }
  ts_free(kept);
  return out;
}

/* ---- a first-pass flag carrying a kept tensor through scoped passes ---- */
static double first_pass(int n) {
  ts_tensor *prev = NULL;
  bool first = true;
  double s = 0;
  for (int i = 0; i < n; i++)
    TS_SCOPE {
      ts_tensor *cur = ts_full(TS_SHAPE(2), TS_FLOAT32, i);
      if (!first) {
        s += sum_of(ts_sub(cur, prev));
        ts_free(prev);
      }
      prev = ts_keep(cur);
      first = false;
    }
  if (!first)
    ts_free(prev);
  return s;
}

int main(void) {
  V("intrusive %.1f", intrusive());
  V("pool %.1f", pool_of_structs());
  V("refcounts %.1f", refcounts());
  V("tagged %.1f", tagged());
  V("callbacks %.1f", callbacks());
  V("iterate %.1f", iterate());
  double d = 0;
  for (int n = 0; n < 4; n++) {
    int st = ladder(n, &d);
    V("ladder %d %d %.1f", n, st, st == E_OK ? d : 0.0);
  }
  V("void_queue %.1f", void_queue());
  V("pointers %.1f", pointers());
  V("structs_of_arrays %.1f", structs_of_arrays());
  for (int st = 0; st < 4; st++)
    V("fallthrough %d %.1f", st, fallthrough(st));
  ts_tensor *x = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *r = nested_keep_escape(x);
  V("nested %.1f", sum_of(r));
  ts_free(r);
  ts_free(x);
  V("first_pass %.1f", first_pass(4));
  EXPECT_MEM(pc_live() == 0);
  return pc_done("clean_styles4");
}
