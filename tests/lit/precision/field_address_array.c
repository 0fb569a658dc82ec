// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A field whose address is kept in a local array (or pointer) that the
// analysis does not follow: what the field holds afterwards is unknown,
// in the function and in its summary, never "freed". Its callers stay
// silent; fields passed straight to calls are still followed.
#include <stddef.h>
#include <tsmem.h>

struct net {
  ts_tensor *w1, *b1;
};

static void mix(ts_tensor **dst, const ts_tensor *src) {
  ts_tensor *m = ts_add(*dst, src);
  ts_free(*dst);
  *dst = m;
}

static void net_free(struct net *n) {
  ts_free(n->w1);
  ts_free(n->b1);
}

/* Replaces each weight through an array of field addresses. */
static void update_all(struct net *t, const struct net *s) {
  ts_tensor **dst[2] = {&t->w1, &t->b1};
  const ts_tensor *src[2] = {s->w1, s->b1};
  for (int i = 0; i < 2; i++)
    mix(dst[i], src[i]);
}

/* The same, the old weight freed by the loop through a local. */
static void update_loop(struct net *t, double k) {
  ts_tensor **dst[2] = {&t->w1, &t->b1};
  for (int i = 0; i < 2; i++) {
    ts_tensor *old = *dst[i];
    *dst[i] = ts_mul_scalar(old, k);
    ts_free(old);
  }
}

/* Through one pointer to a field. */
static void update_one(struct net *t, double k) {
  ts_tensor **slot = &t->w1;
  ts_tensor *old = t->w1;
  *slot = ts_mul_scalar(old, k);
  ts_free(old);
}

void callers(struct net *a, const struct net *b) {
  update_all(a, b);
  update_loop(a, 0.5);
  update_one(a, 2);
  net_free(a);
}

/* Followed: the field handed straight to a call, then freed twice. */
void direct_twice(struct net *a, const struct net *b) {
  mix(&a->w1, b->w1);
  ts_tensor *w = a->w1;
  ts_free(w); // expected-note {{freed here}}
  net_free(a); // expected-warning {{freed or released again}}
}

/* Followed: a field freed twice in the same function. */
void field_twice(struct net *a) {
  ts_free(a->b1); // expected-note {{freed here}}
  ts_free(a->b1); // expected-warning {{freed or released again}}
}
