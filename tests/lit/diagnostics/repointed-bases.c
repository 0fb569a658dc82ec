// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A local pointer to a struct that the function points elsewhere (a list
// walk's `p = p->next`, a cursor) has its fields followed between
// assignments: each assignment starts its places afresh, so a free and a
// read of the same node's field are seen, and the next node's field is
// another tensor (RepointedBases.cpp).
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

struct seg {
  ts_tensor *energy;
  struct seg *next;
};

// --- Positive cases --------------------------------------------------------

double segs_free_total(struct seg *head) {
  double total = 0.0;
  struct seg *s = head;
  while (s) {
    struct seg *n = s->next;
    ts_free(s->energy); // expected-note {{freed here}}
    ts_tensor *sum = ts_sum(s->energy); // expected-warning {{use of a tensor after it was freed}}
    total += ts_item(sum);
    ts_free(sum);
    free(s);
    s = n;
  }
  return total;
}

void segs_free_twice(struct seg *head) {
  for (struct seg *p = head; p; p = p->next) {
    ts_free(p->energy); // expected-note {{freed here}}
    ts_free(p->energy); // expected-warning {{tensor freed or released again after it was freed}}
  }
}

// --- Negative cases --------------------------------------------------------

// Each node's tensor freed once.
void segs_free(struct seg *head) {
  struct seg *s = head;
  while (s) {
    struct seg *n = s->next;
    ts_free(s->energy);
    free(s);
    s = n;
  }
}

// Read, then freed, node by node.
double segs_sum_then_free(struct seg *head) {
  double total = 0.0;
  for (struct seg *p = head; p; p = p->next) {
    ts_tensor *sum = ts_sum(p->energy);
    total += ts_item(sum);
    ts_free(sum);
    ts_free(p->energy);
    p->energy = NULL;
  }
  return total;
}

// The previous node's tensor kept in a variable across the step and freed
// after the next node's is read.
void segs_pairwise(struct seg *head) {
  struct seg *p = head;
  ts_tensor *prev = NULL;
  while (p) {
    ts_tensor *cur = p->energy;
    if (prev) {
      ts_tensor *d = ts_sub(cur, prev);
      ts_free(d);
    }
    prev = cur;
    p = p->next;
  }
}

// A node's field replaced, then the cursor moved on: the new tensor is the
// list's.
void segs_refill(struct seg *head) {
  for (struct seg *p = head; p; p = p->next) {
    ts_free(p->energy);
    p->energy = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  }
}
