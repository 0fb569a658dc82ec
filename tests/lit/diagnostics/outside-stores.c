// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A tensor of a TS_SCOPE inside the function, neither kept nor escaped,
// stored in memory that outlives the scope: an element of the caller's
// array, a field (freed somewhere in the file, so owned) of a struct
// reached through a pointer parameter or a pointer a lookup returned, or
// by a same-file push that stores its argument in the caller's container.
// The scope frees it at its end and leaves the handle dangling where the
// caller reads or frees it (ScopedStores.cpp, StoreArgs.cpp).
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

struct utt {
  ts_tensor *lp;
  int len;
};

struct model {
  ts_tensor **ent;
  int n;
  ts_tensor *scratch; /* never freed by the file: not owned */
};

struct entry {
  int id;
  ts_tensor *pose;
};

struct graph {
  struct entry map[8];
};

struct queue {
  ts_tensor *items[8];
  int n;
};

static void utt_free(struct utt *u) { ts_free(u->lp); }

static void model_free(struct model *m) {
  for (int i = 0; i < m->n; i++)
    ts_free(m->ent[i]);
  free(m->ent);
}

static void graph_free(struct graph *g) {
  for (int i = 0; i < 8; i++)
    ts_free(g->map[i].pose);
}

static struct entry *find(struct graph *g, int id) { return &g->map[id & 7]; }

static void push(struct queue *q, ts_tensor *t) {
  if (q->n == 8) {
    ts_free(t);
    return;
  }
  q->items[q->n++] = t;
}

static ts_tensor *pop(struct queue *q) {
  return q->n ? q->items[--q->n] : NULL;
}

static void queue_free(struct queue *q) {
  for (int i = 0; i < q->n; i++)
    ts_free(q->items[i]);
}

// Positive: the caller's out array.
void fill_out(const ts_tensor *x, ts_tensor **out, int n) {
  TS_SCOPE for (int i = 0; i < n; i++) {
    out[i] = ts_relu(x); // expected-warning {{[tsmem-use-after-scope]}}
  }
}

// Positive: a field of the caller's array of structs, read after.
double fill_utts(struct utt *u, int n) {
  TS_SCOPE for (int i = 0; i < n; i++) {
    u[i].lp = ts_zeros(TS_SHAPE(3), TS_FLOAT32); // expected-warning {{[tsmem-use-after-scope]}}
  }
  double s = 0;
  for (int i = 0; i < n; i++)
    s += ts_item(u[i].lp);
  return s;
}

// Positive: a heap array behind the parameter, replaced in place.
void renorm(struct model *m, int i) {
  TS_SCOPE {
    ts_tensor *n = ts_mul_scalar(m->ent[i], 0.5);
    ts_free(m->ent[i]);
    m->ent[i] = n; // expected-warning {{[tsmem-use-after-scope]}}
  }
}

// Positive: an entry a lookup into the parameter's struct returned.
void sweep(struct graph *g) {
  TS_SCOPE for (int k = 0; k < 4; k++) {
    struct entry *b = find(g, k);
    ts_tensor *moved = ts_neg(b->pose);
    ts_free(b->pose);
    b->pose = moved; // expected-warning {{[tsmem-use-after-scope]}}
  }
}

// Positive: a same-file push into the caller's queue.
void push_all(struct queue *q, const ts_tensor *x) {
  TS_SCOPE for (int i = 0; i < 3; i++) {
    push(q, ts_add_scalar(x, i)); // expected-warning {{[tsmem-use-after-scope]}}
  }
}

// Negative: kept before the store.
void fill_out_kept(const ts_tensor *x, ts_tensor **out, int n) {
  TS_SCOPE for (int i = 0; i < n; i++) {
    out[i] = ts_keep(ts_relu(x));
  }
}

// Negative: the caller's scratch array, concatenated inside the scope.
ts_tensor *cat_scratch(const ts_tensor *x, ts_tensor **tmp, int n) {
  ts_tensor *r = NULL;
  TS_SCOPE {
    for (int i = 0; i < n; i++)
      tmp[i] = ts_add_scalar(x, i);
    r = ts_keep(ts_cat((const ts_tensor *const *)tmp, n, 0));
  }
  return r;
}

// Negative: kept after the store, through the variable.
void renorm_kept(struct model *m, int i) {
  TS_SCOPE {
    ts_tensor *n = ts_mul_scalar(m->ent[i], 0.5);
    ts_free(m->ent[i]);
    m->ent[i] = n;
    ts_keep(n);
  }
}

// Negative: escaped out of the only scope.
void sweep_escaped(struct graph *g) {
  TS_SCOPE {
    struct entry *b = find(g, 0);
    ts_tensor *moved = ts_neg(b->pose);
    ts_free(b->pose);
    b->pose = ts_escape(moved);
  }
}

// Negative: a scratch field nothing in the file frees.
double scratch(struct model *m, const ts_tensor *x) {
  double r = 0;
  TS_SCOPE {
    m->scratch = ts_relu(x);
    r = ts_item(m->scratch);
  }
  return r;
}

// Negative: the field cleared after the scope.
void cleared(struct utt *u) {
  TS_SCOPE {
    u->lp = ts_zeros(TS_SHAPE(3), TS_FLOAT32);
    u->len = (int)ts_item(u->lp);
  }
  u->lp = NULL;
}

// Negative: a lookup into the function's own graph.
void local_graph(void) {
  struct graph g = {0};
  TS_SCOPE {
    struct entry *b = find(&g, 0);
    b->pose = ts_zeros(TS_SHAPE(3), TS_FLOAT32);
  }
}

// Negative: pushed and popped again inside the scope.
double push_pop(struct queue *q, const ts_tensor *x) {
  double r = 0;
  TS_SCOPE {
    push(q, ts_relu(x));
    ts_tensor *t = pop(q);
    r = t ? ts_item(t) : 0;
  }
  return r;
}

// Negative: kept before the push.
void push_kept(struct queue *q, const ts_tensor *x) {
  TS_SCOPE for (int i = 0; i < 3; i++) {
    push(q, ts_keep(ts_add_scalar(x, i)));
  }
}

// Negative: made outside any scope, the queue's to free.
void push_owned(struct queue *q, const ts_tensor *x) {
  for (int i = 0; i < 3; i++)
    push(q, ts_add_scalar(x, i));
}

// A heap of items behind a pointer field: a push that frees what it
// refuses, stored into a field of some element.
struct item {
  double prio;
  ts_tensor *state;
};

struct heapq {
  struct item *heap;
  int n, cap;
};

static int hq_push(struct heapq *q, double p, ts_tensor *s) {
  if (q->n == q->cap) {
    ts_free(s);
    return -1;
  }
  int i = q->n++;
  q->heap[i].prio = p;
  q->heap[i].state = s;
  return 0;
}

static void hq_free(struct heapq *q) {
  for (int i = 0; i < q->n; i++)
    ts_free(q->heap[i].state);
  free(q->heap);
}

// Positive: each pass's child pushed into the caller's heap.
void hq_fill(struct heapq *q, const ts_tensor *x) {
  TS_SCOPE for (int i = 0; i < 3; i++) {
    ts_tensor *c = ts_add_scalar(x, i);
    hq_push(q, i, c); // expected-warning {{[tsmem-use-after-scope]}}
  }
}

// Negative: escaped out of the only scope first.
void hq_fill_escaped(struct heapq *q, const ts_tensor *x) {
  TS_SCOPE {
    ts_tensor *c = ts_relu(x);
    hq_push(q, 0, ts_escape(c));
  }
}

// Negative: kept after the push.
void hq_fill_kept(struct heapq *q, const ts_tensor *x) {
  TS_SCOPE {
    ts_tensor *c = ts_relu(x);
    hq_push(q, 0, c);
    ts_keep(c);
  }
}

void use_all(struct utt *u, struct model *m, struct graph *g,
             struct queue *q, struct heapq *h) {
  utt_free(u);
  model_free(m);
  graph_free(g);
  queue_free(q);
  hq_free(h);
}
