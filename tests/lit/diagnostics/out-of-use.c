// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// An element of a struct's array freed and taken out of use: the count
// decremented before (`c.n--; ts_free(c.k[c.n])`, `ts_free(c.k[--c.n])`)
// or just after (`ts_free(c.k[c.n - 1]); c.n--;`), or the later elements
// moved down over it next to the decrement. A teardown over the count
// (a helper's or a loop's) does not free it again (OutOfUse.cpp). Without
// the decrement, or the shift, it does: those double frees are found.
#include <tsmem.h>

typedef struct {
  ts_tensor *k[8], *v[8];
  int len;
} cache;

static void cache_free(cache *c) {
  for (int i = 0; i < c->len; i++) {
    ts_free(c->k[i]);
    ts_free(c->v[i]);
  }
  c->len = 0;
}

static void cache_push(cache *c, ts_tensor *k, ts_tensor *v) {
  c->k[c->len] = k;
  c->v[c->len] = v;
  c->len++;
}

static void cache_fill(cache *c) {
  for (int t = 0; t < 3; t++)
    cache_push(c, ts_ones(TS_SHAPE(2), TS_FLOAT32),
               ts_zeros(TS_SHAPE(2), TS_FLOAT32));
}

// --- Correct code: silent -------------------------------------------------

void drop_last(void) {
  cache c = {{0}, {0}, 0};
  cache_fill(&c);
  c.len--;
  ts_free(c.k[c.len]);
  ts_free(c.v[c.len]);
  cache_free(&c);
}

void drop_last_predecrement(void) {
  cache c = {{0}, {0}, 0};
  cache_fill(&c);
  ts_free(c.k[--c.len]);
  cache_free(&c);
}

void drop_last_then_shrink(void) {
  cache c = {{0}, {0}, 0};
  cache_fill(&c);
  ts_free(c.k[c.len - 1]);
  ts_free(c.v[c.len - 1]);
  c.k[c.len - 1] = NULL;
  c.len--;
  cache_free(&c);
}

// Popped one by one, then the teardown: nothing left to free.
void pop_all(void) {
  cache c = {{0}, {0}, 0};
  cache_fill(&c);
  while (c.len > 0) {
    c.len--;
    ts_free(c.k[c.len]);
    ts_free(c.v[c.len]);
  }
  cache_free(&c);
}

// The oldest freed, the rest moved down, the count shrunk.
void drop_first_shift(void) {
  cache c = {{0}, {0}, 0};
  cache_fill(&c);
  ts_free(c.k[0]);
  ts_free(c.v[0]);
  for (int i = 1; i < c.len; i++) {
    c.k[i - 1] = c.k[i];
    c.v[i - 1] = c.v[i];
  }
  c.len--;
  double s = ts_item(c.k[0]);
  (void)s;
  cache_free(&c);
}

// Any element, moved over the other way (`a[i] = a[i + 1]`), the count
// shrunk first.
static void cache_remove(cache *c, int j) {
  ts_free(c->k[j]);
  ts_free(c->v[j]);
  c->len--;
  for (int i = j; i < c->len; i++) {
    c->k[i] = c->k[i + 1];
    c->v[i] = c->v[i + 1];
  }
}

void remove_then_free(void) {
  cache c = {{0}, {0}, 0};
  cache_fill(&c);
  cache_remove(&c, 1);
  cache_free(&c);
}

// The teardown as a loop of the function's own.
void drop_last_inline_teardown(void) {
  cache c = {{0}, {0}, 0};
  cache_fill(&c);
  ts_free(c.k[c.len - 1]);
  ts_free(c.v[c.len - 1]);
  c.len--;
  for (int i = 0; i < c.len; i++) {
    ts_free(c.k[i]);
    ts_free(c.v[i]);
  }
}

// --- Bugs: still found ------------------------------------------------------

// The last freed, the count left as it was.
void drop_last_no_shrink(void) {
  cache c = {{0}, {0}, 0};
  cache_fill(&c);
  ts_free(c.k[c.len - 1]); // expected-note {{freed here}}
  cache_free(&c);          // expected-warning {{freed or released again}}
}

// The first freed, nothing moved: the teardown frees it again.
void drop_first_no_shift(void) {
  cache c = {{0}, {0}, 0};
  cache_fill(&c);
  ts_free(c.k[0]); // expected-note {{freed here}}
  c.len--;
  cache_free(&c); // expected-warning {{freed or released again}}
}

// Moved down but the count not shrunk: the freed slot's tensor is still
// among those in use for the analysis.
void drop_first_shift_no_shrink(void) {
  cache c = {{0}, {0}, 0};
  cache_fill(&c);
  ts_free(c.k[0]); // expected-note {{freed here}}
  for (int i = 1; i < c.len; i++)
    c.k[i - 1] = c.k[i];
  cache_free(&c); // expected-warning {{freed or released again}}
}
