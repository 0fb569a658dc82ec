// Precision corpus: C written the way application programmers write it
// against the API (status codes with out-parameters, goto cleanup with
// several labels, ownership moved through structs, arrays and lists,
// flags that guard frees, realloc'd arrays, callbacks, ts_run jobs, pools,
// async scopes, TS_SCOPE loops with ts_keep/ts_escape, switches, do/while
// retries, early `continue`); all correct.
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
// CHECK: clean_styles7: all checks passed
// CHECK-NOT: tsmem:
#include "common.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static double sum_of(const ts_tensor *t) {
  ts_tensor *s = ts_sum(t);
  double v = ts_item(s);
  ts_free(s);
  return v;
}

/* ================= status codes and out-parameters ================= */

static int make_pair(int n, ts_tensor **a, ts_tensor **b) {
  *a = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  if (!*a)
    return -1;
  *b = ts_full(TS_SHAPE(n), TS_FLOAT32, 2);
  if (!*b) {
    ts_free(*a);
    *a = NULL;
    return -1;
  }
  return 0;
}

double s_pair(int n) {
  ts_tensor *a, *b;
  if (make_pair(n, &a, &b) != 0)
    return -1;
  double v = sum_of(a) + sum_of(b);
  ts_free(a);
  ts_free(b);
  return v;
}

static ts_status try_make(int n, ts_tensor **out) {
  *out = NULL;
  if (n <= 0)
    return TS_ERR_ARG;
  ts_tensor *t = ts_arange(0, n, 1, TS_FLOAT32);
  if (!t)
    return ts_last_status();
  *out = t;
  return TS_OK;
}

double s_try_make(int n) {
  ts_tensor *t;
  ts_status st = try_make(n, &t);
  if (st != TS_OK)
    return -1;
  double v = sum_of(t);
  ts_free(t);
  return v;
}

/* Replaces *io with a scaled copy; the old tensor is freed on success
 * only, and left to the caller on failure. */
static int scale_io(ts_tensor **io, double k) {
  ts_tensor *n = ts_mul_scalar(*io, k);
  if (!n)
    return -1;
  ts_free(*io);
  *io = n;
  return 0;
}

double s_scale_io(int rounds) {
  ts_tensor *t = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  if (!t)
    return 0;
  for (int i = 0; i < rounds; i++)
    if (scale_io(&t, 2) != 0)
      break;
  double v = sum_of(t);
  ts_free(t);
  return v;
}

static int fill_n(ts_tensor **out, int n) {
  int i;
  for (i = 0; i < n; i++) {
    out[i] = ts_full(TS_SHAPE(2), TS_FLOAT32, i);
    if (!out[i])
      goto undo;
  }
  return 0;
undo:
  while (i-- > 0) {
    ts_free(out[i]);
    out[i] = NULL;
  }
  return -1;
}

double s_fill_n(void) {
  ts_tensor *arr[5];
  if (fill_n(arr, 5) < 0)
    return -1;
  double v = 0;
  for (int i = 0; i < 5; i++) {
    v += sum_of(arr[i]);
    ts_free(arr[i]);
  }
  return v;
}

double s_status_chain(int n) {
  ts_status st = TS_OK;
  ts_tensor *a = NULL, *b = NULL;
  double v = 0;
  a = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  if (!a)
    st = TS_ERR_OOM;
  if (st == TS_OK) {
    b = ts_add_scalar(a, 1);
    if (!b)
      st = TS_ERR_OOM;
  }
  if (st == TS_OK)
    v = sum_of(b);
  if (b)
    ts_free(b);
  if (a)
    ts_free(a);
  return st == TS_OK ? v : -1;
}

static bool checked_sum(const ts_tensor *t, double *out) {
  ts_tensor *s = ts_sum(t);
  if (!s)
    return false;
  *out = ts_item(s);
  ts_free(s);
  return true;
}

double s_bool_ok(void) {
  ts_tensor *t = ts_full(TS_SHAPE(4), TS_FLOAT32, 1.5);
  double v = 0;
  bool ok = t != NULL && checked_sum(t, &v);
  if (t)
    ts_free(t);
  return ok ? v : -1;
}

/* Out-parameter set only on success, caller checks the pointer. */
static void maybe_out(int want, ts_tensor **out) {
  if (want)
    *out = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
}

double s_maybe_out(int want) {
  ts_tensor *t = NULL;
  maybe_out(want, &t);
  if (!t)
    return 0;
  double v = sum_of(t) + 1;
  ts_free(t);
  return v;
}

/* Two results through out-parameters; the second is optional (NULL). */
static int split_half(const ts_tensor *x, ts_tensor **lo, ts_tensor **hi) {
  *lo = ts_mul_scalar(x, 0.5);
  if (!*lo)
    return -1;
  if (hi) {
    *hi = ts_mul_scalar(x, 1.5);
    if (!*hi) {
      ts_free(*lo);
      return -1;
    }
  }
  return 0;
}

double s_split(int both) {
  ts_tensor *x = ts_ones(TS_SHAPE(4), TS_FLOAT32);
  ts_tensor *lo, *hi = NULL;
  double v = 0;
  if (split_half(x, &lo, both ? &hi : NULL) == 0) {
    v = sum_of(lo);
    ts_free(lo);
    if (hi) {
      v += sum_of(hi);
      ts_free(hi);
    }
  }
  ts_free(x);
  return v;
}

/* ================= goto cleanup with several labels ================= */

double g_three_labels(int n) {
  double v = -1;
  ts_tensor *a = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  if (!a)
    goto out;
  ts_tensor *b = ts_add_scalar(a, 1);
  if (!b)
    goto free_a;
  ts_tensor *c = ts_mul(a, b);
  if (!c)
    goto free_b;
  v = sum_of(c);
  ts_free(c);
free_b:
  ts_free(b);
free_a:
  ts_free(a);
out:
  return v;
}

double g_null_init(int fail_at) {
  ts_tensor *a = NULL, *b = NULL, *c = NULL;
  double v = -1;
  a = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  if (!a || fail_at == 1)
    goto cleanup;
  b = ts_relu(a);
  if (!b || fail_at == 2)
    goto cleanup;
  c = ts_add(a, b);
  if (!c)
    goto cleanup;
  v = sum_of(c);
cleanup:
  if (c)
    ts_free(c);
  if (b)
    ts_free(b);
  if (a)
    ts_free(a);
  return v;
}

int g_rc_err(int n, double *res) {
  int rc = -1;
  ts_tensor *x = ts_rand(TS_SHAPE(n), TS_FLOAT32);
  if (!x)
    return -1;
  ts_tensor *y = ts_sigmoid(x);
  if (!y)
    goto err_x;
  *res = sum_of(y) >= 0 ? 1 : 0;
  rc = 0;
  ts_free(y);
err_x:
  ts_free(x);
  return rc;
}

/* An error label that frees only what the stage reached says. */
double g_stage(int n) {
  int stage = 0;
  ts_tensor *t[3] = {NULL, NULL, NULL};
  double v = -1;
  t[0] = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  if (!t[0])
    goto fail;
  stage = 1;
  t[1] = ts_neg(t[0]);
  if (!t[1])
    goto fail;
  stage = 2;
  t[2] = ts_sub(t[0], t[1]);
  if (!t[2])
    goto fail;
  stage = 3;
  v = sum_of(t[2]);
fail:
  while (stage > 0)
    ts_free(t[--stage]);
  return v;
}

/* goto to a label inside a loop's tail: next iteration. */
double g_loop_next(int n) {
  double v = 0;
  for (int i = 0; i < n; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    if (!t)
      goto next;
    if (i % 2 == 0) {
      ts_free(t);
      goto next;
    }
    v += ts_item(t);
    ts_free(t);
  next:;
  }
  return v;
}

/* Separate success and error exits sharing a cleanup of temporaries. */
ts_tensor *g_build(int n) {
  ts_tensor *tmp = NULL, *res = NULL;
  tmp = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  if (!tmp)
    goto error;
  res = ts_mul_scalar(tmp, 3);
  if (!res)
    goto error;
  ts_free(tmp);
  return res;
error:
  if (tmp)
    ts_free(tmp);
  return NULL;
}

double g_use_build(void) {
  ts_tensor *r = g_build(3);
  if (!r)
    return -1;
  double v = sum_of(r);
  ts_free(r);
  return v;
}

/* ================= ownership through structs and arrays ================= */

typedef struct {
  ts_tensor *w, *b;
} layer;

static int layer_init(layer *l, int n) {
  l->w = ts_full(TS_SHAPE(n), TS_FLOAT32, 0.5);
  l->b = ts_zeros(TS_SHAPE(n), TS_FLOAT32);
  if (!l->w || !l->b) {
    if (l->w)
      ts_free(l->w);
    if (l->b)
      ts_free(l->b);
    l->w = l->b = NULL;
    return -1;
  }
  return 0;
}

static void layer_fini(layer *l) {
  if (l->w)
    ts_free(l->w);
  if (l->b)
    ts_free(l->b);
  l->w = l->b = NULL;
}

static ts_tensor *layer_fwd(const layer *l, const ts_tensor *x) {
  ts_tensor *m = ts_mul(x, l->w);
  if (!m)
    return NULL;
  ts_tensor *y = ts_add(m, l->b);
  ts_free(m);
  return y;
}

double o_layer(void) {
  layer l;
  if (layer_init(&l, 3) != 0)
    return -1;
  ts_tensor *x = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  ts_tensor *y = x ? layer_fwd(&l, x) : NULL;
  double v = y ? sum_of(y) : -1;
  if (y)
    ts_free(y);
  if (x)
    ts_free(x);
  layer_fini(&l);
  return v;
}

typedef struct {
  ts_tensor *items[8];
  int n;
} bag;

static int bag_add(bag *g, ts_tensor *t) {
  if (g->n == 8)
    return -1;
  g->items[g->n++] = t;
  return 0;
}

static void bag_clear(bag *g) {
  for (int i = 0; i < g->n; i++)
    ts_free(g->items[i]);
  g->n = 0;
}

double o_bag(int k) {
  bag g = {.n = 0};
  for (int i = 0; i < k; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(2), TS_FLOAT32, i);
    if (!t)
      break;
    if (bag_add(&g, t) != 0) {
      ts_free(t);
      break;
    }
  }
  double v = 0;
  for (int i = 0; i < g.n; i++)
    v += sum_of(g.items[i]);
  bag_clear(&g);
  return v;
}

typedef struct {
  ts_tensor *cur;
} holder;

static ts_tensor *holder_take(holder *h) {
  ts_tensor *t = h->cur;
  h->cur = NULL;
  return t;
}

double o_take(void) {
  holder h = {ts_ones(TS_SHAPE(2), TS_FLOAT32)};
  ts_tensor *t = holder_take(&h);
  double v = 0;
  if (t) {
    v = sum_of(t);
    ts_free(t);
  }
  return v + (h.cur == NULL);
}

double o_swap_fields(int rounds) {
  struct {
    ts_tensor *front, *back;
  } db = {ts_zeros(TS_SHAPE(2), TS_FLOAT32), ts_ones(TS_SHAPE(2), TS_FLOAT32)};
  for (int i = 0; i < rounds; i++) {
    ts_tensor *tmp = db.front;
    db.front = db.back;
    db.back = tmp;
  }
  double v = sum_of(db.front);
  ts_free(db.front);
  ts_free(db.back);
  return v;
}

typedef struct {
  ts_tensor *t;
  int tag;
} tagged;

static tagged make_tagged(int tag) {
  tagged r = {NULL, tag};
  r.t = ts_full(TS_SHAPE(1), TS_FLOAT32, tag);
  return r;
}

double o_by_value(void) {
  tagged a = make_tagged(3), b = make_tagged(4);
  double v = 0;
  if (a.t) {
    v += ts_item(a.t);
    ts_free(a.t);
  }
  if (b.t) {
    v += ts_item(b.t);
    ts_free(b.t);
  }
  return v;
}

double o_struct_array(int n) {
  tagged arr[4];
  int made = 0;
  for (int i = 0; i < n && i < 4; i++) {
    arr[i] = make_tagged(i + 1);
    if (!arr[i].t)
      break;
    made++;
  }
  double v = 0;
  for (int i = 0; i < made; i++) {
    v += ts_item(arr[i].t) * arr[i].tag;
    ts_free(arr[i].t);
  }
  return v;
}

/* Ownership handed to a heap struct, freed by its destructor. */
typedef struct {
  ts_tensor *data;
  char name[16];
} named;

static named *named_new(const char *name, ts_tensor *data) {
  named *n = malloc(sizeof *n);
  if (!n) {
    ts_free(data);
    return NULL;
  }
  n->data = data;
  strncpy(n->name, name, sizeof n->name - 1);
  n->name[sizeof n->name - 1] = 0;
  return n;
}

static void named_free(named *n) {
  if (!n)
    return;
  ts_free(n->data);
  free(n);
}

double o_heap_struct(void) {
  ts_tensor *t = ts_ones(TS_SHAPE(5), TS_FLOAT32);
  if (!t)
    return -1;
  named *n = named_new("ones", t);
  if (!n)
    return -1;
  double v = sum_of(n->data) + (double)strlen(n->name);
  named_free(n);
  return v;
}

/* Nested struct: a model of two layers. */
typedef struct {
  layer l1, l2;
} model2;

static void model2_fini(model2 *m) {
  layer_fini(&m->l1);
  layer_fini(&m->l2);
}

double o_model2(void) {
  model2 m;
  if (layer_init(&m.l1, 2) != 0)
    return -1;
  if (layer_init(&m.l2, 2) != 0) {
    layer_fini(&m.l1);
    return -1;
  }
  ts_tensor *x = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *h = layer_fwd(&m.l1, x);
  ts_tensor *y = h ? layer_fwd(&m.l2, h) : NULL;
  double v = y ? sum_of(y) : -1;
  if (y)
    ts_free(y);
  if (h)
    ts_free(h);
  ts_free(x);
  model2_fini(&m);
  return v;
}

/* ================= flags that guard frees ================= */

double f_owned(const ts_tensor *x, bool copy) {
  ts_tensor *t = copy ? ts_clone(x) : (ts_tensor *)x;
  if (!t)
    return -1;
  double v = sum_of(t);
  if (copy)
    ts_free(t);
  return v;
}

double f_made_flag(int n) {
  bool made = false;
  ts_tensor *t = NULL;
  if (n > 0) {
    t = ts_ones(TS_SHAPE(n), TS_FLOAT32);
    made = t != NULL;
  }
  double v = made ? sum_of(t) : 0;
  if (made)
    ts_free(t);
  return v;
}

double f_need_free(const ts_tensor *x, int mode) {
  int need_free = 0;
  const ts_tensor *use = x;
  ts_tensor *tmp = NULL;
  if (mode == 1) {
    tmp = ts_relu(x);
    if (!tmp)
      return -1;
    use = tmp;
    need_free = 1;
  }
  double v = sum_of(use);
  if (need_free)
    ts_free(tmp);
  return v;
}

/* A counter of live temporaries decides the cleanup. */
double f_count(int n) {
  ts_tensor *t[3];
  int live = 0;
  for (int i = 0; i < n && i < 3; i++) {
    t[live] = ts_full(TS_SHAPE(1), TS_FLOAT32, i + 1);
    if (!t[live])
      break;
    live++;
  }
  double v = 0;
  for (int i = 0; i < live; i++)
    v += ts_item(t[i]);
  while (live)
    ts_free(t[--live]);
  return v;
}

/* ================= realloc'd arrays ================= */

typedef struct {
  ts_tensor **v;
  size_t n, cap;
} vec;

static int vec_push(vec *a, ts_tensor *t) {
  if (a->n == a->cap) {
    size_t cap = a->cap ? a->cap * 2 : 2;
    ts_tensor **nv = realloc(a->v, cap * sizeof *nv);
    if (!nv)
      return -1;
    a->v = nv;
    a->cap = cap;
  }
  a->v[a->n++] = t;
  return 0;
}

static void vec_free(vec *a) {
  for (size_t i = 0; i < a->n; i++)
    ts_free(a->v[i]);
  free(a->v);
  a->v = NULL;
  a->n = a->cap = 0;
}

double r_vec(int k) {
  vec a = {NULL, 0, 0};
  for (int i = 0; i < k; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(2), TS_FLOAT32, i);
    if (!t)
      break;
    if (vec_push(&a, t) < 0) {
      ts_free(t);
      break;
    }
  }
  double v = 0;
  for (size_t i = 0; i < a.n; i++)
    v += sum_of(a.v[i]);
  vec_free(&a);
  return v;
}

double r_inline_grow(int k) {
  ts_tensor **arr = NULL;
  int n = 0, cap = 0;
  double v = 0;
  for (int i = 0; i < k; i++) {
    if (n == cap) {
      int nc = cap ? cap * 2 : 1;
      ts_tensor **na = realloc(arr, (size_t)nc * sizeof *na);
      if (!na)
        break;
      arr = na;
      cap = nc;
    }
    ts_tensor *t = ts_ones(TS_SHAPE(i + 1), TS_FLOAT32);
    if (!t)
      break;
    arr[n++] = t;
  }
  for (int i = 0; i < n; i++) {
    v += sum_of(arr[i]);
    ts_free(arr[i]);
  }
  free(arr);
  return v;
}

/* Remove by swapping with the last element. */
double r_swap_remove(void) {
  vec a = {NULL, 0, 0};
  for (int i = 0; i < 5; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    if (!t || vec_push(&a, t) < 0) {
      if (t)
        ts_free(t);
      break;
    }
  }
  for (size_t i = 0; i < a.n;) {
    if ((int)ts_item(a.v[i]) % 2 == 0) {
      ts_free(a.v[i]);
      a.v[i] = a.v[--a.n];
    } else {
      i++;
    }
  }
  double v = 0;
  for (size_t i = 0; i < a.n; i++)
    v += ts_item(a.v[i]);
  vec_free(&a);
  return v;
}

/* calloc'd array with NULL holes. */
double r_calloc_holes(int n) {
  ts_tensor **arr = calloc((size_t)n, sizeof *arr);
  if (!arr)
    return -1;
  for (int i = 0; i < n; i += 2)
    arr[i] = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
  double v = 0;
  for (int i = 0; i < n; i++) {
    if (!arr[i])
      continue;
    v += ts_item(arr[i]);
    ts_free(arr[i]);
  }
  free(arr);
  return v;
}

/* ================= linked lists of tensors ================= */

typedef struct node {
  ts_tensor *t;
  struct node *next;
} node;

static node *list_push(node *head, ts_tensor *t) {
  node *n = malloc(sizeof *n);
  if (!n)
    return NULL;
  n->t = t;
  n->next = head;
  return n;
}

static void list_free(node *head) {
  while (head) {
    node *next = head->next;
    ts_free(head->t);
    free(head);
    head = next;
  }
}

double l_list(int k) {
  node *head = NULL;
  for (int i = 0; i < k; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    if (!t)
      break;
    node *nh = list_push(head, t);
    if (!nh) {
      ts_free(t);
      break;
    }
    head = nh;
  }
  double v = 0;
  for (node *p = head; p; p = p->next)
    v += ts_item(p->t);
  list_free(head);
  return v;
}

/* Remove the nodes whose value is odd, through a pointer to the link. */
double l_remove_odd(int k) {
  node *head = NULL;
  for (int i = 0; i < k; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    node *nh = t ? list_push(head, t) : NULL;
    if (!nh) {
      if (t)
        ts_free(t);
      break;
    }
    head = nh;
  }
  for (node **pp = &head; *pp;) {
    node *n = *pp;
    if ((int)ts_item(n->t) % 2) {
      *pp = n->next;
      ts_free(n->t);
      free(n);
    } else {
      pp = &n->next;
    }
  }
  double v = 0;
  for (node *p = head; p; p = p->next)
    v += ts_item(p->t);
  list_free(head);
  return v;
}

/* A FIFO queue with a tail pointer. */
typedef struct {
  node *head, *tail;
} fifo;

static int fifo_put(fifo *q, ts_tensor *t) {
  node *n = malloc(sizeof *n);
  if (!n)
    return -1;
  n->t = t;
  n->next = NULL;
  if (q->tail)
    q->tail->next = n;
  else
    q->head = n;
  q->tail = n;
  return 0;
}

static ts_tensor *fifo_get(fifo *q) {
  node *n = q->head;
  if (!n)
    return NULL;
  q->head = n->next;
  if (!q->head)
    q->tail = NULL;
  ts_tensor *t = n->t;
  free(n);
  return t;
}

double l_fifo(int k) {
  fifo q = {NULL, NULL};
  for (int i = 0; i < k; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i + 1);
    if (!t)
      break;
    if (fifo_put(&q, t) < 0) {
      ts_free(t);
      break;
    }
  }
  double v = 0;
  ts_tensor *t;
  while ((t = fifo_get(&q)) != NULL) {
    v = v * 2 + ts_item(t);
    ts_free(t);
  }
  return v;
}

/* Reverse a list in place, then drain it. */
double l_reverse(int k) {
  node *head = NULL;
  for (int i = 0; i < k; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    node *nh = t ? list_push(head, t) : NULL;
    if (!nh) {
      if (t)
        ts_free(t);
      break;
    }
    head = nh;
  }
  node *prev = NULL;
  while (head) {
    node *next = head->next;
    head->next = prev;
    prev = head;
    head = next;
  }
  double v = 0;
  while (prev) {
    node *n = prev;
    prev = n->next;
    v = v * 10 + ts_item(n->t);
    ts_free(n->t);
    free(n);
  }
  return v;
}

/* ================= callbacks ================= */

typedef ts_tensor *(*unary_fn)(const ts_tensor *);

double c_map(unary_fn fn, int n) {
  ts_tensor *x = ts_arange(-2, n, 1, TS_FLOAT32);
  if (!x)
    return -1;
  ts_tensor *y = fn(x);
  ts_free(x);
  if (!y)
    return -1;
  double v = sum_of(y);
  ts_free(y);
  return v;
}

typedef void (*sink_fn)(ts_tensor *t, void *ctx);

static void sink_sum(ts_tensor *t, void *ctx) {
  *(double *)ctx += sum_of(t);
  ts_free(t);
}

static void emit(int n, sink_fn sink, void *ctx) {
  for (int i = 0; i < n; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(2), TS_FLOAT32, i);
    if (t)
      sink(t, ctx);
  }
}

double c_sink(int n) {
  double v = 0;
  emit(n, sink_sum, &v);
  return v;
}

static void each(ts_tensor *const *arr, int n,
                 void (*fn)(const ts_tensor *, void *), void *ctx) {
  for (int i = 0; i < n; i++)
    fn(arr[i], ctx);
}

static void acc_item(const ts_tensor *t, void *ctx) {
  *(double *)ctx += ts_item(t);
}

double c_each(void) {
  ts_tensor *arr[3];
  int n = 0;
  for (int i = 0; i < 3; i++) {
    arr[n] = ts_full(TS_SHAPE(1), TS_FLOAT32, i + 2);
    if (arr[n])
      n++;
  }
  double v = 0;
  each(arr, n, acc_item, &v);
  for (int i = 0; i < n; i++)
    ts_free(arr[i]);
  return v;
}

/* A table of operations chosen by index. */
static ts_tensor *op_double(const ts_tensor *x) { return ts_mul_scalar(x, 2); }
static ts_tensor *op_inc(const ts_tensor *x) { return ts_add_scalar(x, 1); }

double c_table(int which) {
  static const unary_fn table[] = {op_double, op_inc, ts_relu};
  ts_tensor *x = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  if (!x)
    return -1;
  ts_tensor *y = table[which % 3](x);
  double v = y ? sum_of(y) : -1;
  if (y)
    ts_free(y);
  ts_free(x);
  return v;
}

/* A visitor that may keep a tensor it is given: it returns whether it
 * took it, and the caller frees what was not taken. */
typedef struct {
  ts_tensor *kept;
} keeper;

static bool maybe_keep(keeper *k, ts_tensor *t) {
  if (k->kept)
    return false;
  k->kept = t;
  return true;
}

double c_keeper(int n) {
  keeper k = {NULL};
  double v = 0;
  for (int i = 0; i < n; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i + 1);
    if (!t)
      continue;
    v += ts_item(t);
    if (!maybe_keep(&k, t))
      ts_free(t);
  }
  if (k.kept) {
    v += 100 * ts_item(k.kept);
    ts_free(k.kept);
  }
  return v;
}

/* ================= ts_run jobs ================= */

typedef struct {
  int n;
  double out;
  ts_tensor *keep;
} job_ctx;

static void *job_sum(void *p) {
  job_ctx *c = p;
  ts_tensor *a = ts_ones(TS_SHAPE(c->n), TS_FLOAT32);
  ts_tensor *b = ts_mul_scalar(a, 3);
  c->out = sum_of(b);
  return c;
}

double j_sum(int n) {
  job_ctx c = {n, 0, NULL};
  if (!ts_run(job_sum, &c))
    return -1;
  return c.out;
}

static void *job_keep(void *p) {
  job_ctx *c = p;
  ts_tensor *a = ts_full(TS_SHAPE(c->n), TS_FLOAT32, 2);
  ts_tensor *r = ts_exp(ts_log(a));
  c->keep = r ? ts_keep(r) : NULL;
  return c->keep;
}

double j_keep(int n) {
  job_ctx c = {n, 0, NULL};
  ts_run(job_keep, &c);
  if (!c.keep)
    return -1;
  double v = sum_of(c.keep);
  ts_free(c.keep);
  return v;
}

static void *job_fail(void *p) {
  job_ctx *c = p;
  ts_tensor *a = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  if (c->n < 0)
    return NULL;
  c->out = sum_of(a) + c->n;
  return p;
}

double j_fail(int n) {
  job_ctx c = {n, 0, NULL};
  return ts_run(job_fail, &c) ? c.out : -1;
}

/* ================= pools ================= */

double p_acquire_or_make(int rounds) {
  ts_pool *p = ts_pool_new(4);
  if (!p)
    return -1;
  double v = 0;
  for (int i = 0; i < rounds; i++) {
    ts_tensor *t = ts_pool_acquire(p, TS_SHAPE(4), TS_FLOAT32);
    if (!t)
      t = ts_empty(TS_SHAPE(4), TS_FLOAT32);
    if (!t)
      break;
    ts_tensor *o = ts_ones(TS_SHAPE(4), TS_FLOAT32);
    if (o) {
      v += sum_of(o);
      ts_free(o);
    }
    ts_pool_release(p, t);
  }
  ts_pool_destroy(p);
  return v;
}

double p_release_or_free(int n) {
  ts_pool *p = ts_pool_new(2);
  double v = 0;
  for (int i = 0; i < n; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(2), TS_FLOAT32, i);
    if (!t)
      continue;
    v += sum_of(t);
    if (p)
      ts_pool_release(p, t);
    else
      ts_free(t);
  }
  if (p)
    ts_pool_destroy(p);
  return v;
}

typedef struct {
  ts_pool *pool;
  ts_tensor *buf;
} worker;

static int worker_begin(worker *w) {
  w->buf = ts_pool_acquire(w->pool, TS_SHAPE(3), TS_FLOAT32);
  if (!w->buf)
    w->buf = ts_zeros(TS_SHAPE(3), TS_FLOAT32);
  return w->buf ? 0 : -1;
}

static void worker_end(worker *w) {
  if (w->buf)
    ts_pool_release(w->pool, w->buf);
  w->buf = NULL;
}

double p_worker(int rounds) {
  worker w = {ts_pool_new(0), NULL};
  if (!w.pool)
    return -1;
  double v = 0;
  for (int i = 0; i < rounds; i++) {
    if (worker_begin(&w) < 0)
      break;
    v += (double)ts_numel(w.buf);
    worker_end(&w);
  }
  ts_pool_destroy(w.pool);
  return v;
}

/* ================= async scopes ================= */

double a_scope(int n) {
  ts_async_scope *s = ts_async_scope_begin();
  if (!s)
    return -1;
  double v = 0;
  ts_tensor *acc = NULL;
  for (int i = 0; i < n; i++) {
    if (ts_async_scope_enter(s) != TS_OK)
      break;
    ts_tensor *t = ts_full(TS_SHAPE(2), TS_FLOAT32, i);
    acc = acc ? ts_add(acc, t) : t;
    ts_async_scope_leave(s);
  }
  if (acc)
    v = sum_of(acc);
  ts_async_scope_end(s);
  return v;
}

typedef struct {
  ts_async_scope *scope;
  ts_tensor *state;
} task;

static void task_step(task *t) {
  ts_async_scope_enter(t->scope);
  TS_SCOPE {
    ts_tensor *n = ts_escape(ts_add_scalar(t->state, 1));
    t->state = n;
  }
  ts_async_scope_leave(t->scope);
}

double a_task(int steps) {
  task t = {ts_async_scope_begin(), NULL};
  if (!t.scope)
    return -1;
  ts_async_scope_enter(t.scope);
  t.state = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  ts_async_scope_leave(t.scope);
  for (int i = 0; i < steps; i++)
    task_step(&t);
  double v = sum_of(t.state);
  ts_async_scope_end(t.scope);
  return v;
}

/* ================= TS_SCOPE with ts_keep / ts_escape ================= */

double k_loop_keep(int n) {
  ts_tensor *acc = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  if (!acc)
    return -1;
  for (int i = 0; i < n; i++)
    TS_SCOPE {
      ts_tensor *t = ts_full(TS_SHAPE(2), TS_FLOAT32, i);
      ts_tensor *next = ts_add(acc, ts_mul_scalar(t, 2));
      if (!next)
        break;
      ts_free(acc);
      acc = ts_keep(next);
    }
  double v = sum_of(acc);
  ts_free(acc);
  return v;
}

TS_SCOPED ts_tensor *k_scoped_escape(int n) {
  ts_tensor *a = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  ts_tensor *b = ts_mul_scalar(ts_add_scalar(a, 1), 2);
  return ts_escape(b);
}

double k_use_escape(void) {
  ts_tensor *t = k_scoped_escape(3);
  if (!t)
    return -1;
  double v = sum_of(t);
  ts_free(t);
  return v;
}

double k_while_scope(int n) {
  double v = 0;
  int i = 0;
  while (i < n)
    TS_SCOPE {
      ts_tensor *t = ts_arange(0, i + 1, 1, TS_FLOAT32);
      v += ts_item(ts_sum(ts_relu(t)));
      i++;
    }
  return v;
}

double k_block_keep_best(int n) {
  ts_tensor *best = NULL;
  double best_v = -1;
  for (int i = 0; i < n; i++) {
    TS_SCOPE {
      ts_tensor *t = ts_full(TS_SHAPE(2), TS_FLOAT32, (i * 7) % 5);
      double s = ts_item(ts_sum(t));
      if (s > best_v) {
        if (best)
          ts_free(best);
        best = ts_keep(t);
        best_v = s;
      }
    }
  }
  if (best)
    ts_free(best);
  return best_v;
}

double k_do_scope(int n) {
  double v = 0;
  int i = 0;
  do
    TS_SCOPE {
      ts_tensor *t = ts_ones(TS_SHAPE(i + 1), TS_FLOAT32);
      v += ts_item(ts_sum(t));
    }
  while (++i < n);
  return v;
}

double k_guard(int n) {
  double v;
  {
    TS_SCOPE_GUARD();
    ts_tensor *t = ts_ones(TS_SHAPE(n), TS_FLOAT32);
    v = ts_item(ts_mean(ts_add_scalar(t, 4)));
  }
  return v;
}

TS_SCOPED ts_tensor *k_two_level(int n) {
  ts_tensor *r = NULL;
  TS_SCOPE {
    ts_tensor *t = ts_full(TS_SHAPE(n), TS_FLOAT32, 3);
    r = ts_escape(ts_mul(t, t));
  }
  return ts_escape(r);
}

double k_use_two_level(void) {
  ts_tensor *t = k_two_level(2);
  double v = t ? sum_of(t) : -1;
  if (t)
    ts_free(t);
  return v;
}

/* ================= switch statements ================= */

enum kind { K_ONES, K_ZEROS, K_RANGE, K_NONE };

static ts_tensor *make_kind(enum kind k, int n) {
  switch (k) {
  case K_ONES:
    return ts_ones(TS_SHAPE(n), TS_FLOAT32);
  case K_ZEROS:
    return ts_zeros(TS_SHAPE(n), TS_FLOAT32);
  case K_RANGE:
    return ts_arange(0, n, 1, TS_FLOAT32);
  default:
    return NULL;
  }
}

double w_kinds(void) {
  double v = 0;
  for (int k = K_ONES; k <= K_NONE; k++) {
    ts_tensor *t = make_kind((enum kind)k, 3);
    if (!t)
      continue;
    v += sum_of(t);
    ts_free(t);
  }
  return v;
}

double w_switch_op(int op) {
  ts_tensor *x = ts_full(TS_SHAPE(2), TS_FLOAT32, 2);
  if (!x)
    return -1;
  ts_tensor *y;
  switch (op) {
  case 0:
    y = ts_exp(x);
    break;
  case 1:
    y = ts_neg(x);
    break;
  case 2:
  case 3:
    y = ts_mul(x, x);
    break;
  default:
    y = NULL;
    break;
  }
  double v = y ? sum_of(y) : 0;
  if (y)
    ts_free(y);
  ts_free(x);
  return v;
}

/* Each case frees what it made before leaving the switch. */
double w_case_local(int op) {
  double v = 0;
  switch (op) {
  case 0: {
    ts_tensor *t = ts_ones(TS_SHAPE(3), TS_FLOAT32);
    if (t) {
      v = sum_of(t);
      ts_free(t);
    }
    break;
  }
  case 1: {
    ts_tensor *a = ts_ones(TS_SHAPE(2), TS_FLOAT32);
    ts_tensor *b = a ? ts_add(a, a) : NULL;
    if (b) {
      v = sum_of(b);
      ts_free(b);
    }
    if (a)
      ts_free(a);
    break;
  }
  default:
    v = -1;
  }
  return v;
}

/* A switch choosing who frees: consumed by a helper in one case. */
static double consume_sum(ts_tensor *t) {
  double v = sum_of(t);
  ts_free(t);
  return v;
}

double w_who_frees(int mode) {
  ts_tensor *t = ts_full(TS_SHAPE(2), TS_FLOAT32, 5);
  if (!t)
    return -1;
  double v = 0;
  switch (mode) {
  case 0:
    v = consume_sum(t);
    t = NULL;
    break;
  case 1:
    v = sum_of(t);
    break;
  default:
    break;
  }
  if (t)
    ts_free(t);
  return v;
}

/* ================= do/while retries ================= */

static int flaky_calls;

static ts_tensor *flaky_make(int n) {
  if (flaky_calls++ % 3 != 2)
    return NULL;
  return ts_ones(TS_SHAPE(n), TS_FLOAT32);
}

double d_retry(int n) {
  ts_tensor *t;
  int tries = 0;
  do {
    t = flaky_make(n);
  } while (!t && ++tries < 5);
  if (!t)
    return -1;
  double v = sum_of(t);
  ts_free(t);
  return v;
}

double d_retry_free(int n) {
  ts_tensor *t = NULL;
  double s;
  int tries = 0;
  do {
    if (t)
      ts_free(t);
    t = ts_rand(TS_SHAPE(n), TS_FLOAT32);
    if (!t)
      return -1;
    s = sum_of(t);
  } while (s < 0 && ++tries < 10);
  ts_free(t);
  return s >= 0;
}

double d_for_retry(int n) {
  ts_tensor *t = NULL;
  for (int attempt = 0; attempt < 5 && !t; attempt++)
    t = flaky_make(n);
  if (!t)
    return -1;
  double v = sum_of(t);
  ts_free(t);
  return v;
}

double d_goto_retry(int n) {
  int tries = 0;
  ts_tensor *t;
again:
  t = flaky_make(n);
  if (!t) {
    if (++tries < 5)
      goto again;
    return -1;
  }
  double v = sum_of(t);
  ts_free(t);
  return v;
}

/* ================= early continue ================= */

double e_continue(int n) {
  double v = 0;
  for (int i = 0; i < n; i++) {
    if (i == 1)
      continue;
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    if (!t)
      continue;
    if (ts_item(t) > 3) {
      ts_free(t);
      continue;
    }
    v += ts_item(t);
    ts_free(t);
  }
  return v;
}

double e_continue_two(int n) {
  double v = 0;
  for (int i = 0; i < n; i++) {
    ts_tensor *a = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    if (!a)
      continue;
    ts_tensor *b = ts_mul(a, a);
    if (!b) {
      ts_free(a);
      continue;
    }
    v += ts_item(b);
    ts_free(b);
    ts_free(a);
  }
  return v;
}

double e_while_continue(int n) {
  int i = 0;
  double v = 0;
  while (i < n) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i++);
    if (!t)
      continue;
    if (i % 2) {
      ts_free(t);
      continue;
    }
    v += ts_item(t);
    ts_free(t);
  }
  return v;
}

double e_scope_continue(int n) {
  double v = 0;
  for (int i = 0; i < n; i++)
    TS_SCOPE {
      ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
      if (i % 3 == 0)
        continue;
      v += ts_item(ts_relu(t));
    }
  return v;
}

/* Loop carried tensor with continue before replacement. */
double e_carry(int n) {
  ts_tensor *cur = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  if (!cur)
    return -1;
  for (int i = 0; i < n; i++) {
    if (i % 2)
      continue;
    ts_tensor *nx = ts_add_scalar(cur, i);
    if (!nx)
      continue;
    ts_free(cur);
    cur = nx;
  }
  double v = sum_of(cur);
  ts_free(cur);
  return v;
}

/* ================= more everyday shapes ================= */

double m_assign_in_cond(int n) {
  ts_tensor *a, *b;
  double v = -1;
  if (!(a = ts_ones(TS_SHAPE(n), TS_FLOAT32)))
    return v;
  if ((b = ts_add_scalar(a, 1)) != NULL) {
    v = sum_of(b);
    ts_free(b);
  }
  ts_free(a);
  return v;
}

typedef struct {
  int i, n;
} counter_it;

static ts_tensor *it_next(counter_it *it) {
  if (it->i >= it->n)
    return NULL;
  return ts_full(TS_SHAPE(1), TS_FLOAT32, it->i++);
}

double m_iterator(int n) {
  counter_it it = {0, n};
  ts_tensor *t;
  double v = 0;
  while ((t = it_next(&it)) != NULL) {
    v += ts_item(t);
    ts_free(t);
  }
  return v;
}

double m_err_flag(int n) {
  int err = 0;
  ts_tensor *a = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  ts_tensor *b = NULL;
  double v = 0;
  if (!a)
    err = 1;
  if (!err) {
    b = ts_exp(a);
    if (!b)
      err = 2;
  }
  if (err)
    goto done;
  v = sum_of(b);
done:
  if (b)
    ts_free(b);
  if (a)
    ts_free(a);
  return err ? -err : v;
}

/* Which of three were made, as bits; freed by the bits. */
double m_made_bits(int n) {
  ts_tensor *t[3];
  unsigned made = 0;
  for (int i = 0; i < 3; i++) {
    t[i] = i < n ? ts_full(TS_SHAPE(1), TS_FLOAT32, i + 1) : NULL;
    if (t[i])
      made |= 1u << i;
  }
  double v = 0;
  for (int i = 0; i < 3; i++)
    if (made & (1u << i)) {
      v += ts_item(t[i]);
      ts_free(t[i]);
    }
  return v;
}

/* A slot replaced through a `ts_tensor **`. */
static void set_slot(ts_tensor **slot, ts_tensor *t) {
  if (*slot)
    ts_free(*slot);
  *slot = t;
}

double m_slot(int n) {
  ts_tensor *cur = NULL;
  for (int i = 0; i < n; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    if (t)
      set_slot(&cur, t);
  }
  double v = cur ? ts_item(cur) : -1;
  set_slot(&cur, NULL);
  return v;
}

/* A fixed hash table of tensors keyed by small ints. */
#define NBUCKET 4
typedef struct entry {
  int key;
  ts_tensor *val;
  struct entry *next;
} entry;

typedef struct {
  entry *b[NBUCKET];
} table;

static int table_put(table *tb, int key, ts_tensor *val) {
  entry **pp = &tb->b[key % NBUCKET];
  for (entry *e = *pp; e; e = e->next)
    if (e->key == key) {
      ts_free(e->val);
      e->val = val;
      return 0;
    }
  entry *e = malloc(sizeof *e);
  if (!e)
    return -1;
  e->key = key;
  e->val = val;
  e->next = *pp;
  *pp = e;
  return 0;
}

static void table_clear(table *tb) {
  for (int i = 0; i < NBUCKET; i++) {
    entry *e = tb->b[i];
    while (e) {
      entry *nx = e->next;
      ts_free(e->val);
      free(e);
      e = nx;
    }
    tb->b[i] = NULL;
  }
}

double m_table(int n) {
  table tb;
  memset(&tb, 0, sizeof tb);
  for (int i = 0; i < n; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    if (!t)
      continue;
    if (table_put(&tb, i % 5, t) < 0)
      ts_free(t);
  }
  double v = 0;
  for (int i = 0; i < NBUCKET; i++)
    for (entry *e = tb.b[i]; e; e = e->next)
      v += ts_item(e->val);
  table_clear(&tb);
  return v;
}

/* Early return from a case. */
double m_case_return(int k) {
  ts_tensor *t = ts_full(TS_SHAPE(2), TS_FLOAT32, k);
  if (!t)
    return -1;
  switch (k) {
  case 0:
    ts_free(t);
    return 0;
  case 1: {
    double v = sum_of(t);
    ts_free(t);
    return v;
  }
  default:
    break;
  }
  double v = sum_of(t) * 2;
  ts_free(t);
  return v;
}

/* A ternary chain picks the tensor to keep, the others are freed. */
double m_pick(int which) {
  ts_tensor *a = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  ts_tensor *b = ts_full(TS_SHAPE(1), TS_FLOAT32, 2);
  if (!a || !b) {
    if (a)
      ts_free(a);
    if (b)
      ts_free(b);
    return -1;
  }
  ts_tensor *keep = which ? a : b;
  ts_tensor *drop = which ? b : a;
  ts_free(drop);
  double v = ts_item(keep);
  ts_free(keep);
  return v;
}

/* memmove out of an array after freeing the first element. */
double m_shift(void) {
  ts_tensor *q[4];
  int n = 0;
  for (int i = 0; i < 4; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    if (t)
      q[n++] = t;
  }
  double v = 0;
  while (n > 0) {
    v = v * 10 + ts_item(q[0]);
    ts_free(q[0]);
    memmove(q, q + 1, (size_t)(n - 1) * sizeof q[0]);
    n--;
  }
  return v;
}

/* A training-style loop: parameters updated in place, temporaries in a
 * scope per step. */
double m_train(int steps) {
  ts_tensor *w = ts_zeros(TS_SHAPE(3), TS_FLOAT32);
  ts_tensor *target = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  if (!w || !target) {
    if (w)
      ts_free(w);
    if (target)
      ts_free(target);
    return -1;
  }
  ts_requires_grad(w, true);
  for (int s = 0; s < steps; s++)
    TS_SCOPE {
      ts_tensor *loss = ts_mse_loss(w, target);
      ts_backward(loss);
      ts_sgd_step(w, 0.5);
      ts_zero_grad(w);
    }
  ts_tensor *d = ts_sub(target, w);
  double v = d ? sum_of(d) : -1;
  if (d)
    ts_free(d);
  ts_free(target);
  ts_free(w);
  return v > 0 && v < 3;
}

/* An owning struct array realloc'd, each element with a flag. */
typedef struct {
  ts_tensor *t;
  bool owned;
} slot_t;

double m_slots(const ts_tensor *shared, int n) {
  slot_t *s = NULL;
  int cnt = 0;
  for (int i = 0; i < n; i++) {
    slot_t *ns = realloc(s, (size_t)(cnt + 1) * sizeof *ns);
    if (!ns)
      break;
    s = ns;
    if (i % 2) {
      s[cnt].t = (ts_tensor *)shared;
      s[cnt].owned = false;
    } else {
      s[cnt].t = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
      s[cnt].owned = true;
      if (!s[cnt].t)
        break;
    }
    cnt++;
  }
  double v = 0;
  for (int i = 0; i < cnt; i++) {
    v += sum_of(s[i].t);
    if (s[i].owned)
      ts_free(s[i].t);
  }
  free(s);
  return v;
}

/* Scoped helpers called from a manual function: the result is escaped. */
TS_SCOPED static ts_tensor *normalized(const ts_tensor *x) {
  ts_tensor *m = ts_mean(x);
  ts_tensor *c = ts_sub(x, m);
  return ts_escape(ts_mul_scalar(c, 1));
}

double m_scoped_helper(void) {
  ts_tensor *x = ts_arange(0, 4, 1, TS_FLOAT32);
  if (!x)
    return -1;
  ts_tensor *y = normalized(x);
  ts_free(x);
  if (!y)
    return -1;
  double v = sum_of(y);
  ts_free(y);
  return v;
}

int main(void) {
  V("status %.1f %.1f %.1f %.1f %.1f", s_pair(3), s_try_make(4), s_try_make(0),
    s_scale_io(3), s_fill_n());
  V("status2 %.1f %.1f %.1f %.1f %.1f %.1f", s_status_chain(2), s_bool_ok(),
    s_maybe_out(1), s_maybe_out(0), s_split(1), s_split(0));
  double res = 0;
  int rc = g_rc_err(3, &res);
  V("goto %.1f %.1f %.1f %.1f %d %.1f", g_three_labels(2), g_null_init(0),
    g_null_init(1), g_null_init(2), rc, res);
  V("goto2 %.1f %.1f %.1f", g_stage(3), g_loop_next(6), g_use_build());
  V("own %.1f %.1f %.1f %.1f %.1f", o_layer(), o_bag(3), o_bag(10), o_take(),
    o_swap_fields(3));
  V("own2 %.1f %.1f %.1f %.1f", o_by_value(), o_struct_array(3),
    o_heap_struct(), o_model2());
  ts_tensor *x = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  V("flags %.1f %.1f", f_owned(x, true), f_owned(x, false));
  V("flags2 %.1f %.1f %.1f %.1f %.1f", f_made_flag(2), f_made_flag(0),
    f_need_free(x, 1), f_need_free(x, 0), f_count(3));
  ts_free(x);
  V("realloc %.1f %.1f %.1f %.1f", r_vec(5), r_inline_grow(4), r_swap_remove(),
    r_calloc_holes(5));
  V("lists %.1f %.1f %.1f %.1f", l_list(4), l_remove_odd(6), l_fifo(4),
    l_reverse(4));
  V("callbacks %.1f %.1f %.1f %.1f", c_map(ts_relu, 3), c_map(op_double, 2),
    c_sink(3), c_each());
  V("table %.1f %.1f %.1f %.1f", c_table(0), c_table(1), c_table(2),
    c_keeper(3));
  V("run %.1f %.1f %.1f %.1f", j_sum(3), j_keep(2), j_fail(2), j_fail(-1));
  V("pools %.1f %.1f %.1f", p_acquire_or_make(3), p_release_or_free(4),
    p_worker(3));
  V("async %.1f %.1f", a_scope(3), a_task(4));
  V("scopes %.1f %.1f %.1f %.1f", k_loop_keep(3), k_use_escape(),
    k_while_scope(4), k_block_keep_best(5));
  V("scopes2 %.1f %.1f %.1f", k_do_scope(3), k_guard(3), k_use_two_level());
  V("switch %.1f %.1f %.1f %.1f", w_kinds(), w_switch_op(0), w_switch_op(3),
    w_switch_op(9));
  V("switch2 %.1f %.1f %.1f %.1f %.1f %.1f", w_case_local(0), w_case_local(1),
    w_case_local(2), w_who_frees(0), w_who_frees(1), w_who_frees(2));
  V("retry %.1f %.1f %.1f %.1f", d_retry(2), d_retry_free(3), d_for_retry(2),
    d_goto_retry(2));
  V("continue %.1f %.1f %.1f %.1f %.1f", e_continue(6), e_continue_two(4),
    e_while_continue(6), e_scope_continue(6), e_carry(5));
  V("more %.1f %.1f %.1f %.1f %.1f %.1f", m_assign_in_cond(3), m_iterator(4),
    m_err_flag(2), m_made_bits(2), m_made_bits(3), m_slot(4));
  V("more2 %.1f %.1f %.1f %.1f %.1f %.1f", m_table(7), m_case_return(0),
    m_case_return(1), m_case_return(3), m_pick(0), m_pick(1));
  ts_tensor *sh = ts_full(TS_SHAPE(1), TS_FLOAT32, 10);
  V("more3 %.1f %.1f %.1f %.1f", m_shift(), m_train(3), m_slots(sh, 4),
    m_scoped_helper());
  ts_free(sh);
  EXPECT_MEM(pc_live() == 0);
  EXPECT(ts_scope_depth() == 0);
  return pc_done("clean_styles7");
}
