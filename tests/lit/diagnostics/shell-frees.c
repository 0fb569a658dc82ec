// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// free() of a heap object, or of a heap array in a field, whose owned
// tensors the function never frees, reads nor hands on: they are lost with
// the memory (ShellFrees.cpp). Owned: the file frees the field by name
// elsewhere. Quiet when the function names the field, hands the object
// on, got it from a call, or (a parameter freed whole) frees nothing else.
#include <stdlib.h>
#include <tsmem.h>

struct node {
  ts_tensor *x;
  ts_tensor *cache;
  const ts_tensor *input; /* borrowed: nothing frees it */
  struct node *next;
};

struct level {
  ts_tensor *a, *r;
};

struct track {
  ts_tensor **est; /* n owned tensors */
  struct level *lv;
  int n;
};

static void node_free(struct node *n) {
  ts_free(n->x);
  if (n->cache)
    ts_free(n->cache);
  free(n);
}

static void node_free_partial(struct node *n) {
  ts_free(n->x);
  free(n); // expected-warning {{tensor in 'n->cache' leaks: free() releases the memory that holds it}}
}

static void list_drop(struct node *head) {
  struct node *e = head;
  while (e) {
    struct node *next = e->next;
    free(e); // expected-warning {{tensor in 'e->x' leaks}}
    e = next;
  }
}

static void track_free(struct track *t) {
  for (int i = 0; i < t->n; i++) {
    ts_free(t->est[i]);
    ts_free(t->lv[i].a);
    if (t->lv[i].r)
      ts_free(t->lv[i].r);
  }
  free(t->est);
  free(t->lv);
}

static void track_reset(struct track *t) {
  free(t->est); // expected-warning {{tensor in 't->est[]' leaks}}
  t->est = NULL;
  t->n = 0;
}

static void track_free_shallow(struct track *t) {
  for (int i = 0; i < t->n; i++) {
    ts_free(t->est[i]);
    ts_free(t->lv[i].a);
  }
  free(t->est);
  free(t->lv); // expected-warning {{tensor in 't->lv->r' leaks}}
}

/* Negative cases. */

/* Names the field: the tensor is handed to the caller. */
static ts_tensor *node_take(struct node *n) {
  ts_tensor *x = n->x;
  ts_free(n->cache);
  free(n);
  return x;
}

/* A parameter freed whole by a function that frees nothing else: a shell
   release after the caller took the tensors. */
static void node_shell_free(struct node *n) { free(n); }

/* Hands n on first: the callee may free the fields. */
void node_detach(struct node *n);
static void node_free_via(struct node *n) {
  node_detach(n);
  ts_free(n->x);
  free(n);
}

/* A fresh object: its fields are unset. */
static struct node *node_new(void) {
  struct node *n = calloc(1, sizeof *n);
  if (!n)
    return NULL;
  n->x = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  if (!n->x) {
    free(n);
    return NULL;
  }
  return n;
}

/* The object came from a call: nothing known of its fields. */
struct node *node_pop(void);
static void node_pop_drop(void) {
  struct node *e = node_pop();
  free(e);
}

/* The array is passed on before it is freed. */
void est_drain(ts_tensor **est, int n);
static void track_drain(struct track *t) {
  est_drain(t->est, t->n);
  free(t->est);
  t->est = NULL;
}

/* Each element handed to a helper by address: it frees their tensors. */
void level_free(struct level *l);
static void track_free_levels(struct track *t) {
  for (int i = 0; i < t->n; i++)
    level_free(&t->lv[i]);
  free(t->lv);
  t->lv = NULL;
}

/* Grows the array: the elements move to the new one. */
static int track_grow(struct track *t, int cap) {
  ts_tensor **bigger = realloc(t->est, (size_t)cap * sizeof *bigger);
  if (!bigger)
    return -1;
  t->est = bigger;
  return 0;
}

/* A field no code frees is borrowed. */
struct view {
  const ts_tensor *src;
};
static void view_free(struct view *v) {
  ts_free((ts_tensor *)0);
  free(v);
}

void use(void) {
  struct node *n = node_new();
  node_free_partial(n);
  list_drop(node_new());
  node_free(node_new());
  ts_free(node_take(node_new()));
  node_shell_free(node_new());
  node_free_via(node_new());
  node_pop_drop();
  struct track t = {0};
  track_free(&t);
  track_reset(&t);
  track_free_shallow(&t);
  track_drain(&t);
  track_free_levels(&t);
  track_grow(&t, 4);
  view_free(NULL);
}
