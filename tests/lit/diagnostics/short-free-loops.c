// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A free loop over a heap array field that stops short of the count the
// file's teardown frees it up to, then free() of the array: the last
// elements leak (ShortFreeLoops.cpp). Quiet when no teardown of the file
// pairs the array with that count, when the function hands the array or
// an element on, or writes the count.
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

struct traj {
  ts_tensor **z; /* n owned tensors */
  int n;
};

struct segs {
  ts_tensor **s;
  int npts; /* the segments are npts - 1 */
};

int traj_make(struct traj *t, int n);
int segs_make(struct segs *g, int npts);
void traj_take_last(struct traj *t);

void traj_free(struct traj *t) {
  for (int i = 0; i < t->n; i++)
    ts_free(t->z[i]);
  free(t->z);
}

void traj_short(void) {
  struct traj tr;
  if (traj_make(&tr, 4) != 0)
    return;
  ts_tensor *e = ts_neg(tr.z[tr.n - 1]);
  ts_free(e);
  for (int i = 0; i < tr.n - 1; i++)
    ts_free(tr.z[i]);
  free(tr.z); // expected-warning {{tensors in 'tr.z[]' leak: the free loop stops 1 short of 'tr.n'}}
}

void traj_short_ptr(struct traj *t) {
  for (int i = 0; i + 2 < t->n; i++)
    ts_free(t->z[i]);
  free(t->z); // expected-warning {{the free loop stops 2 short of 't->n'}}
}

/* Negative cases. */

/* Nothing frees s up to npts: the count is not the array's. */
void segs_free(struct segs *g) {
  for (int i = 0; i < g->npts - 1; i++)
    ts_free(g->s[i]);
  free(g->s);
}

/* The last element is handed on first. */
ts_tensor *traj_last(struct traj *t) {
  ts_tensor *last = t->z[t->n - 1];
  for (int i = 0; i < t->n - 1; i++)
    ts_free(t->z[i]);
  free(t->z);
  return last;
}

/* The last element was freed by itself. */
void traj_free_split(struct traj *t) {
  ts_free(t->z[t->n - 1]);
  for (int i = 0; i < t->n - 1; i++)
    ts_free(t->z[i]);
  free(t->z);
}

/* t handed on after the loop: the callee may take the rest. */
void traj_short_handed(struct traj *t) {
  for (int i = 0; i < t->n - 1; i++)
    ts_free(t->z[i]);
  traj_take_last(t);
  free(t->z);
}

/* The count moves first. */
void traj_pop_free(struct traj *t) {
  traj_take_last(t);
  t->n--;
  for (int i = 0; i < t->n - 1; i++)
    ts_free(t->z[i]);
  free(t->z);
}
