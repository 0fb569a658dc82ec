// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// Correct code in more styles (compile only): generated in-place and out=
// operators, vtables whose destroy frees, structs swapped by value, a
// pointer to one of two locals, memmove out of an array, escapes through
// nested TS_SCOPE blocks, TS_SCOPE_GUARD out-parameters, a global list,
// put-or-drop and setter helpers, tail-pointer chains, a growing scratch
// tensor, whether a tensor was made kept in a variable: not one diagnostic.
// expected-no-diagnostics
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

static double sum_of(const ts_tensor *t) {
  ts_tensor *s = ts_sum(t);
  double v = ts_item(s);
  ts_free(s);
  return v;
}

/* in-place ops chained on an owned tensor, then freed */
double inplace_chain(int n) {
  ts_tensor *t = ts_randn(TS_SHAPE(n), TS_FLOAT32);
  if (!t)
    return 0;
  ts_relu_(t);
  ts_tensor *u = ts_mul_Scalar_(t, 2.0);
  (void)u;
  double v = sum_of(t);
  ts_free(t);
  return v;
}

/* in-place result used as the handle (the same tensor) */
double inplace_alias(int n) {
  ts_tensor *t = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  if (!t)
    return 0;
  ts_tensor *r = ts_relu_(t);
  double v = sum_of(r);
  ts_free(r);
  return v;
}

/* out= variant into a tensor we own */
double out_variant(int n) {
  ts_tensor *x = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  ts_tensor *o = ts_empty(TS_SHAPE(n), TS_FLOAT32);
  double v = 0;
  if (x && o && ts_abs_out(x, o))
    v = sum_of(o);
  if (o)
    ts_free(o);
  if (x)
    ts_free(x);
  return v;
}

/* multiple-result op into an array, both freed */
double multi_result(int n) {
  ts_tensor *x = ts_randn(TS_SHAPE(n, 3), TS_FLOAT32);
  if (!x)
    return 0;
  ts_tensor *mx[2];
  double v = 0;
  if (ts_max_dim(mx, x, 0, false) == TS_OK) {
    v = sum_of(mx[0]);
    ts_free(mx[0]);
    ts_free(mx[1]);
  }
  ts_free(x);
  return v;
}

/* split results freed in a loop with the count */
double split_free(void) {
  ts_tensor *x = ts_arange(0, 8, 1, TS_FLOAT32);
  if (!x)
    return 0;
  ts_tensor *parts[8];
  int n = 0;
  double v = 0;
  if (ts_split_Tensor(parts, 8, &n, x, 2, 0) == TS_OK) {
    for (int i = 0; i < n; i++) {
      v += sum_of(parts[i]);
      ts_free(parts[i]);
    }
  }
  ts_free(x);
  return v;
}

/* update in place inside a TS_SCOPE loop: parameter survives */
void sgd_like(ts_tensor *w, int steps) {
  TS_SCOPE for (int i = 0; i < steps; i++) {
    ts_tensor *g = ts_mul_scalar(w, 0.1);
    if (!g)
      break;
    ts_sub_Tensor_(w, g, 1.0);
  }
}

/* vtable with a destroy that consumes */
struct obj;
struct obj_ops {
  double (*eval)(const struct obj *);
  void (*destroy)(struct obj *);
};
struct obj {
  const struct obj_ops *ops;
  ts_tensor *w;
};
static double obj_eval(const struct obj *o) { return sum_of(o->w); }
static void obj_destroy(struct obj *o) {
  ts_free(o->w);
  free(o);
}
static const struct obj_ops OPS = {obj_eval, obj_destroy};

static struct obj *obj_new(int n) {
  ts_tensor *w = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  if (!w)
    return NULL;
  struct obj *o = malloc(sizeof *o);
  if (!o) {
    ts_free(w);
    return NULL;
  }
  *o = (struct obj){&OPS, w};
  return o;
}

double vtbl(void) {
  struct obj *o = obj_new(3);
  if (!o)
    return 0;
  double v = o->ops->eval(o);
  o->ops->destroy(o);
  return v;
}

/* ownership moved into a struct by compound literal assignment */
struct pair {
  ts_tensor *a, *b;
};
double compound_lit(void) {
  ts_tensor *x = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *y = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  struct pair p = {x, y};
  double v = 0;
  if (p.a)
    v += sum_of(p.a);
  if (p.b)
    v += sum_of(p.b);
  if (p.a)
    ts_free(p.a);
  if (p.b)
    ts_free(p.b);
  return v;
}

/* swapping structs by value */
double swap_structs(void) {
  struct pair p = {ts_ones(TS_SHAPE(1), TS_FLOAT32), NULL};
  struct pair q = {NULL, ts_zeros(TS_SHAPE(1), TS_FLOAT32)};
  struct pair tmp = p;
  p = q;
  q = tmp;
  double v = 0;
  if (q.a) {
    v += sum_of(q.a);
    ts_free(q.a);
  }
  if (p.b) {
    v += sum_of(p.b);
    ts_free(p.b);
  }
  return v;
}

/* a tensor freed through a pointer to a local obtained by a ternary */
double ptr_ternary(bool first) {
  ts_tensor *a = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  ts_tensor *b = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  ts_tensor **victim = first ? &a : &b;
  if (*victim) {
    ts_free(*victim);
    *victim = NULL;
  }
  double v = 0;
  if (a) {
    v += sum_of(a);
    ts_free(a);
  }
  if (b) {
    v += sum_of(b);
    ts_free(b);
  }
  return v;
}

/* memmove in an array to remove an element */
double remove_at(int k) {
  ts_tensor *arr[4];
  int n = 0;
  for (int i = 0; i < 4; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    if (t)
      arr[n++] = t;
  }
  if (k >= 0 && k < n) {
    ts_free(arr[k]);
    memmove(&arr[k], &arr[k + 1], (size_t)(n - k - 1) * sizeof arr[0]);
    n--;
  }
  double v = 0;
  for (int i = 0; i < n; i++) {
    v += sum_of(arr[i]);
    ts_free(arr[i]);
  }
  return v;
}

/* return early inside scope with escape from nested TS_SCOPE blocks */
TS_SCOPED ts_tensor *nested_escape(int n) {
  ts_tensor *r = NULL;
  TS_SCOPE {
    ts_tensor *a = ts_ones(TS_SHAPE(n), TS_FLOAT32);
    if (!a)
      return NULL;
    TS_SCOPE {
      ts_tensor *b = ts_mul_scalar(a, 2);
      if (!b)
        return NULL;
      r = ts_escape(b);
    }
    r = ts_escape(r);
  }
  return ts_escape(r);
}

double use_nested(void) {
  ts_tensor *t = nested_escape(3);
  if (!t)
    return 0;
  double v = sum_of(t);
  ts_free(t);
  return v;
}

/* manual scope begin/end with keep before end, error paths */
double manual_scope(int n) {
  ts_scope_id id = ts_scope_begin();
  if (!id)
    return 0;
  ts_tensor *a = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  ts_tensor *b = a ? ts_add_scalar(a, 1) : NULL;
  ts_tensor *kept = b ? ts_keep(b) : NULL;
  ts_scope_end(id);
  if (!kept)
    return 0;
  double v = sum_of(kept);
  ts_free(kept);
  return v;
}

/* TS_SCOPE_GUARD with result stored in an out param after escape */
int guarded(int n, ts_tensor **out) {
  TS_SCOPE_GUARD();
  ts_tensor *x = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  if (!x)
    return -1;
  ts_tensor *y = ts_exp(x);
  if (!y)
    return -1;
  *out = ts_escape(y);
  return 0;
}

double use_guarded(void) {
  ts_tensor *t = NULL;
  if (guarded(2, &t) != 0)
    return 0;
  double v = sum_of(t);
  ts_free(t);
  return v;
}

/* caller scope helper */
TS_CALLER_SCOPE static ts_tensor *twice(const ts_tensor *x) {
  return ts_mul_scalar(x, 2);
}

TS_SCOPED double use_twice(void) {
  ts_tensor *x = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  if (!x)
    return 0;
  ts_tensor *y = twice(twice(x));
  return y ? ts_item(ts_sum(y)) : 0;
}

/* static local cache, set once */
const ts_tensor *cached(void) {
  static ts_tensor *c;
  if (!c)
    c = ts_arange(0, 4, 1, TS_FLOAT32);
  return c;
}

/* a global list head */
static struct gnode {
  struct gnode *next;
  ts_tensor *t;
} *g_head;

bool g_push(int v) {
  struct gnode *n = malloc(sizeof *n);
  if (!n)
    return false;
  n->t = ts_full(TS_SHAPE(1), TS_FLOAT32, v);
  if (!n->t) {
    free(n);
    return false;
  }
  n->next = g_head;
  g_head = n;
  return true;
}

void g_clear(void) {
  while (g_head) {
    struct gnode *n = g_head;
    g_head = n->next;
    ts_free(n->t);
    free(n);
  }
}

/* a helper that either stores into *slot (taking it) or frees it */
static void put_or_drop(ts_tensor **slot, ts_tensor *t) {
  if (*slot == NULL)
    *slot = t;
  else
    ts_free(t);
}

double put_drop(void) {
  ts_tensor *slot = NULL;
  for (int i = 0; i < 3; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    if (t)
      put_or_drop(&slot, t);
  }
  double v = slot ? sum_of(slot) : 0;
  if (slot)
    ts_free(slot);
  return v;
}

/* replace a field through a setter that frees the old */
struct holder {
  ts_tensor *cur;
};
static void holder_set(struct holder *h, ts_tensor *t) {
  if (h->cur)
    ts_free(h->cur);
  h->cur = t;
}
double setter(void) {
  struct holder h = {NULL};
  for (int i = 0; i < 3; i++)
    holder_set(&h, ts_full(TS_SHAPE(1), TS_FLOAT32, i));
  double v = h.cur ? sum_of(h.cur) : 0;
  holder_set(&h, NULL);
  return v;
}

/* ownership returned as a bool with the tensor through **out, freeing
 * the input on every path */
static bool transform(ts_tensor *in, ts_tensor **out) {
  ts_tensor *r = ts_tanh(in);
  ts_free(in);
  if (!r)
    return false;
  *out = r;
  return true;
}

double transforms(int n) {
  ts_tensor *t = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  if (!t)
    return 0;
  for (int i = 0; i < n; i++) {
    ts_tensor *next;
    if (!transform(t, &next))
      return -1;
    t = next;
  }
  double v = sum_of(t);
  ts_free(t);
  return v;
}

/* a loop that builds a linked chain via a tail pointer-to-pointer */
struct link {
  struct link *next;
  ts_tensor *t;
};

double tail_chain(int n) {
  struct link *head = NULL, **tail = &head;
  for (int i = 0; i < n; i++) {
    struct link *l = malloc(sizeof *l);
    if (!l)
      break;
    l->t = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    if (!l->t) {
      free(l);
      break;
    }
    l->next = NULL;
    *tail = l;
    tail = &l->next;
  }
  double v = 0;
  while (head) {
    struct link *l = head;
    head = l->next;
    v += sum_of(l->t);
    ts_free(l->t);
    free(l);
  }
  return v;
}

/* status-enum ladder with a cleanup switch on how far we got */
double ladder(int fail_at) {
  ts_tensor *t[3] = {NULL, NULL, NULL};
  int got = 0;
  for (; got < 3; got++) {
    if (got == fail_at)
      break;
    t[got] = ts_full(TS_SHAPE(1), TS_FLOAT32, got);
    if (!t[got])
      break;
  }
  double v = 0;
  switch (got) {
  case 3:
    v += sum_of(t[2]);
    ts_free(t[2]);
    /* fallthrough */
  case 2:
    v += sum_of(t[1]);
    ts_free(t[1]);
    /* fallthrough */
  case 1:
    v += sum_of(t[0]);
    ts_free(t[0]);
    /* fallthrough */
  default:
    break;
  }
  return v;
}

/* a reusable scratch tensor that grows */
struct scratch {
  ts_tensor *buf;
  int64_t cap;
};
static const ts_tensor *scratch_get(struct scratch *s, int64_t n) {
  if (s->buf && s->cap >= n)
    return s->buf;
  ts_tensor *b = ts_empty(TS_SHAPE(n), TS_FLOAT32);
  if (!b)
    return NULL;
  if (s->buf)
    ts_free(s->buf);
  s->buf = b;
  s->cap = n;
  return b;
}
double scratchy(void) {
  struct scratch s = {NULL, 0};
  double v = 0;
  for (int64_t n = 1; n < 5; n++) {
    const ts_tensor *b = scratch_get(&s, n);
    if (b)
      v += (double)ts_numel(b);
  }
  if (s.buf)
    ts_free(s.buf);
  return v;
}

/* a result selected from candidates; losers freed in a loop with continue */
double select_best(void) {
  ts_tensor *c[4];
  int n = 0;
  for (int i = 0; i < 4; i++) {
    c[n] = ts_full(TS_SHAPE(1), TS_FLOAT32, (i * 7) % 5);
    if (c[n])
      n++;
  }
  int best = -1;
  double bv = -1;
  for (int i = 0; i < n; i++) {
    double v = sum_of(c[i]);
    if (v > bv) {
      bv = v;
      best = i;
    }
  }
  for (int i = 0; i < n; i++) {
    if (i == best)
      continue;
    ts_free(c[i]);
  }
  if (best >= 0)
    ts_free(c[best]);
  return bv;
}

/* while loop with break and an owned tensor carried across iterations */
double accumulate(int n) {
  ts_tensor *acc = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  if (!acc)
    return 0;
  int i = 0;
  while (1) {
    if (i >= n)
      break;
    ts_tensor *one = ts_ones(TS_SHAPE(2), TS_FLOAT32);
    if (!one)
      break;
    ts_tensor *next = ts_add(acc, one);
    ts_free(one);
    if (!next)
      break;
    ts_free(acc);
    acc = next;
    i++;
  }
  double v = sum_of(acc);
  ts_free(acc);
  return v;
}

/* conditional ownership: borrow or clone */
double borrow_or_clone(const ts_tensor *x, bool copy) {
  ts_tensor *owned = NULL;
  const ts_tensor *use = x;
  if (copy) {
    owned = ts_clone(x);
    if (!owned)
      return 0;
    use = owned;
  }
  double v = sum_of(use);
  if (owned)
    ts_free(owned);
  return v;
}

/* array of struct holding array, counts per element */
struct bag {
  ts_tensor *items[3];
  int n;
};
double bags(void) {
  struct bag bags[2] = {{{0}, 0}, {{0}, 0}};
  for (int b = 0; b < 2; b++)
    for (int i = 0; i <= b; i++) {
      ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, b + i);
      if (!t)
        continue;
      bags[b].items[bags[b].n++] = t;
    }
  double v = 0;
  for (int b = 0; b < 2; b++) {
    for (int i = 0; i < bags[b].n; i++) {
      v += sum_of(bags[b].items[i]);
      ts_free(bags[b].items[i]);
    }
  }
  return v;
}

/* error code variable through several stages */
double err_stages(int n) {
  int err = 0;
  ts_tensor *a = NULL, *b = NULL;
  a = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  if (!a)
    err = 1;
  if (!err) {
    b = ts_exp(a);
    if (!b)
      err = 2;
  }
  double v = 0;
  if (!err)
    v = sum_of(b);
  if (err != 1)
    ts_free(a);
  if (!err)
    ts_free(b);
  return v;
}

/* a loop that only frees on the last iteration */
double last_iter(int n) {
  ts_tensor *t = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  if (!t)
    return 0;
  double v = 0;
  for (int i = 0; i < n; i++) {
    v += sum_of(t);
    if (i == n - 1) {
      ts_free(t);
      t = NULL;
    }
  }
  if (t)
    ts_free(t);
  return v;
}

/* pointer-to-slot chosen by index, freed through the slot */
double slot_ptr(int which) {
  ts_tensor *slots[2] = {ts_ones(TS_SHAPE(1), TS_FLOAT32),
                         ts_zeros(TS_SHAPE(1), TS_FLOAT32)};
  ts_tensor **p = &slots[which & 1];
  double v = 0;
  if (*p) {
    v = sum_of(*p);
    ts_free(*p);
    *p = NULL;
  }
  for (int i = 0; i < 2; i++)
    if (slots[i])
      ts_free(slots[i]);
  return v;
}

/* a struct with a pointer to its own storage (self-referential iterator) */
struct it {
  ts_tensor **cur, **end;
};
double iterate(void) {
  ts_tensor *arr[3];
  int n = 0;
  for (int i = 0; i < 3; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    if (t)
      arr[n++] = t;
  }
  struct it it = {arr, arr + n};
  double v = 0;
  for (; it.cur != it.end; it.cur++) {
    v += sum_of(*it.cur);
    ts_free(*it.cur);
  }
  return v;
}

/* handing a tensor to a consumer annotated TS_CONSUMES */
static void consume(ts_tensor *t) TS_CONSUMES(1);
static void consume(ts_tensor *t) { ts_free(t); }

double consumed(int n) {
  for (int i = 0; i < n; i++) {
    ts_tensor *t = ts_ones(TS_SHAPE(1), TS_FLOAT32);
    if (!t)
      return -1;
    consume(t);
  }
  return n;
}

/* ownership moved out of a struct by a take() helper that NULLs */
struct cell {
  ts_tensor *t;
};
static ts_tensor *cell_take(struct cell *c) {
  ts_tensor *t = c->t;
  c->t = NULL;
  return t;
}

double take(void) {
  struct cell c = {ts_ones(TS_SHAPE(2), TS_FLOAT32)};
  ts_tensor *t = cell_take(&c);
  if (!t)
    return 0;
  double v = sum_of(t);
  ts_free(t);
  if (c.t)
    ts_free(c.t);
  return v;
}

/* free through a wrapper taking ts_tensor ** and NULLing */
static void drop(ts_tensor **pp) {
  if (*pp) {
    ts_free(*pp);
    *pp = NULL;
  }
}

double wrappers(void) {
  ts_tensor *a = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  ts_tensor *b = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  double v = (a ? sum_of(a) : 0) + (b ? sum_of(b) : 0);
  drop(&a);
  drop(&b);
  drop(&a);
  return v;
}

/* a tensor stored in a heap array grown with realloc; failure keeps old */
double grow(int n) {
  ts_tensor **arr = NULL;
  int len = 0, cap = 0;
  for (int i = 0; i < n; i++) {
    if (len == cap) {
      int nc = cap ? cap * 2 : 2;
      ts_tensor **na = realloc(arr, (size_t)nc * sizeof *na);
      if (!na)
        break;
      arr = na;
      cap = nc;
    }
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    if (!t)
      break;
    arr[len++] = t;
  }
  double v = 0;
  for (int i = 0; i < len; i++) {
    v += sum_of(arr[i]);
    ts_free(arr[i]);
  }
  free(arr);
  return v;
}

/* a ts_status variable from a helper */
static ts_status mk(int n, ts_tensor **out) {
  *out = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  return *out ? TS_OK : ts_last_status();
}

double status_var(int n) {
  ts_tensor *t = NULL;
  ts_status st = mk(n, &t);
  double v = 0;
  if (st == TS_OK) {
    v = sum_of(t);
    ts_free(t);
  }
  return v;
}

/* a do/while retry with status */
double retry_status(int n) {
  ts_tensor *t = NULL;
  int tries = 0;
  ts_status st;
  do {
    st = mk(n, &t);
  } while (st != TS_OK && ++tries < 3);
  if (st != TS_OK)
    return -1;
  double v = sum_of(t);
  ts_free(t);
  return v;
}

/* flags set per slot in a bitmask */
double bitmask(void) {
  ts_tensor *t[3];
  unsigned made = 0;
  for (int i = 0; i < 3; i++) {
    t[i] = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    if (t[i])
      made |= 1u << i;
  }
  double v = 0;
  for (int i = 0; i < 3; i++)
    if (made & (1u << i)) {
      v += sum_of(t[i]);
      ts_free(t[i]);
    }
  return v;
}

/* tensor created in one switch, freed in a second switch on same var */
double two_switches(int k) {
  ts_tensor *t = NULL;
  switch (k) {
  case 0:
    t = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
    break;
  case 1:
    t = ts_ones(TS_SHAPE(1), TS_FLOAT32);
    break;
  default:
    break;
  }
  double v = t ? sum_of(t) : 0;
  switch (k) {
  case 0:
  case 1:
    if (t)
      ts_free(t);
    break;
  }
  return v;
}

/* loop over a struct's tensor fields via an array of member pointers */
struct opt {
  ts_tensor *m, *v, *w;
};
double member_ptrs(void) {
  struct opt o = {ts_zeros(TS_SHAPE(1), TS_FLOAT32),
                  ts_zeros(TS_SHAPE(1), TS_FLOAT32),
                  ts_ones(TS_SHAPE(1), TS_FLOAT32)};
  ts_tensor **fields[] = {&o.m, &o.v, &o.w};
  double v = 0;
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    if (!*fields[i])
      continue;
    v += sum_of(*fields[i]);
    ts_free(*fields[i]);
    *fields[i] = NULL;
  }
  return v;
}

/* goto-based loop */
double goto_loop(int n) {
  int i = 0;
  double v = 0;
top:
  if (i >= n)
    goto done;
  {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    if (t) {
      v += sum_of(t);
      ts_free(t);
    }
  }
  i++;
  goto top;
done:
  return v;
}
