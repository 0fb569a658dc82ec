// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// Correct code in more styles (compile only): not one diagnostic.
// expected-no-diagnostics
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
/* read-then-free over struct array filled by a loop in a helper taking count */
struct batch {
  ts_tensor *x[8];
  int n;
};
static int batch_load(struct batch *b, int n) {
  b->n = 0;
  for (int i = 0; i < n; i++) {
    b->x[i] = ts_full(TS_SHAPE(2), TS_FLOAT32, i);
    if (!b->x[i])
      return -1;
    b->n++;
  }
  return 0;
}
static void batch_free(struct batch *b) {
  for (int i = 0; i < b->n; i++)
    ts_free(b->x[i]);
  b->n = 0;
}
double s1(void) {
  struct batch b;
  if (batch_load(&b, 5) != 0) {
    batch_free(&b);
    return -1;
  }
  double r = 0;
  for (int i = 0; i < b.n; i++)
    r += sum_of(b.x[i]);
  batch_free(&b);
  return r;
}
/* while loop consuming a queue */
double s2(void) {
  ts_tensor *q[4];
  int head = 0, tail = 0;
  for (int i = 0; i < 4; i++)
    q[tail++] = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
  double r = 0;
  while (head < tail) {
    ts_tensor *t = q[head++];
    r += sum_of(t);
    ts_free(t);
  }
  return r;
}
/* swap buffers in a loop (double buffering) */
double s3(int steps) {
  ts_tensor *cur = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  ts_tensor *nxt = NULL;
  for (int s = 0; s < steps; s++) {
    nxt = ts_mul_scalar(cur, 0.5);
    ts_tensor *tmp = cur;
    cur = nxt;
    nxt = tmp;
    ts_free(nxt);
    nxt = NULL;
  }
  double r = sum_of(cur);
  ts_free(cur);
  return r;
}
/* ownership transfer into a result struct returned by pointer */
struct out {
  ts_tensor *logits;
  ts_tensor *probs;
};
static int infer(const ts_tensor *x, struct out *o) {
  memset(o, 0, sizeof *o);
  o->logits = ts_mul_scalar(x, 2);
  if (!o->logits)
    return -1;
  o->probs = ts_softmax(o->logits, 0);
  if (!o->probs) {
    ts_free(o->logits);
    o->logits = NULL;
    return -1;
  }
  return 0;
}
double s4(void) {
  ts_tensor *x = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  struct out o;
  double r = -1;
  if (infer(x, &o) == 0) {
    r = sum_of(o.probs);
    ts_free(o.probs);
    ts_free(o.logits);
  }
  ts_free(x);
  return r;
}
/* conditional free flagged by return code, loop retrying */
static int try_step(ts_tensor **p, int attempt) {
  if (attempt < 2)
    return -1;
  ts_tensor *n = ts_add_scalar(*p, 1);
  if (!n)
    return -1;
  ts_free(*p);
  *p = n;
  return 0;
}
double s5(void) {
  ts_tensor *t = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  for (int a = 0; a < 5; a++)
    if (try_step(&t, a) == 0)
      break;
  double r = sum_of(t);
  ts_free(t);
  return r;
}
/* linked list pop/push through ** */
struct node {
  ts_tensor *t;
  struct node *next;
};
static ts_tensor *pop(struct node **h) {
  struct node *n = *h;
  if (!n)
    return NULL;
  ts_tensor *t = n->t;
  *h = n->next;
  free(n);
  return t;
}
double s6(void) {
  struct node *h = NULL;
  for (int i = 0; i < 3; i++) {
    struct node *n = malloc(sizeof *n);
    if (!n)
      break;
    n->t = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    n->next = h;
    h = n;
  }
  double r = 0;
  ts_tensor *t;
  while ((t = pop(&h)) != NULL) {
    r += sum_of(t);
    ts_free(t);
  }
  return r;
}
/* a scoped loop storing escaped results into an array, freed after */
double s7(void) {
  ts_tensor *res[3];
  TS_SCOPE for (int i = 0; i < 3; i++) {
    ts_tensor *a = ts_full(TS_SHAPE(2), TS_FLOAT32, i);
    res[i] = ts_escape(ts_relu(a));
  }
  double r = 0;
  for (int i = 0; i < 3; i++) {
    r += sum_of(res[i]);
    ts_free(res[i]);
  }
  return r;
}
/* free in reverse with a pointer walk */
double s8(void) {
  ts_tensor *a[3];
  for (int i = 0; i < 3; i++)
    a[i] = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  double r = 0;
  for (int i = 0; i < 3; i++)
    r += sum_of(a[i]);
  for (ts_tensor **p = a + 3; p-- != a;)
    ts_free(*p);
  return r;
}
