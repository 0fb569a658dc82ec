// Precision corpus: arrays of tensors handed to helpers (array parameters,
// out-arrays, partial fills with rollback), globals and static caches,
// structs returned by value; all correct.
// RUN: %clang %tsmem -Wall -Wextra -Werror -O0 %s -o %t0 %link_tsmem
// RUN: env TSMEM_STRICT=1 TSMEM_LEAK_REPORT=1 %t0 > %t0.out 2>&1
// RUN: %clang %tsmem -Wall -Wextra -Werror -O2 %s -o %t2 %link_tsmem
// RUN: env TSMEM_STRICT=1 TSMEM_LEAK_REPORT=1 %t2 > %t2.out 2>&1
// RUN: diff %t0.out %t2.out
// RUN: FileCheck %s < %t0.out
// CHECK-NOT: FAIL
// CHECK-NOT: tsmem:
// CHECK: clean_arrays: all checks passed
// CHECK-NOT: tsmem:
#include "common.h"
#include <stdbool.h>
#include <string.h>

#define N 4

static double sum_of(const ts_tensor *t) {
  ts_tensor *s = ts_sum(t);
  double v = ts_item(s);
  ts_free(s);
  return v;
}

/* Fills out[0..n) or, on a failure part way, frees what it made and
 * leaves all NULL. */
static int make_all(ts_tensor **out, int n, int fail_at) {
  for (int i = 0; i < n; i++)
    out[i] = NULL;
  for (int i = 0; i < n; i++) {
    out[i] = i == fail_at ? NULL : ts_full(TS_SHAPE(2), TS_FLOAT32, i);
    if (!out[i]) {
      while (i-- > 0) {
        ts_free(out[i]);
        out[i] = NULL;
      }
      return -1;
    }
  }
  return 0;
}

static void free_all(ts_tensor *ts[], int n) {
  for (int i = 0; i < n; i++) {
    ts_free(ts[i]);
    ts[i] = NULL;
  }
}

/* Frees only the NULL-checked slots that match; reports how many. */
static int drop_odd(ts_tensor *ts[N]) {
  int dropped = 0;
  for (int i = 1; i < N; i += 2)
    if (ts[i]) {
      ts_free(ts[i]);
      ts[i] = NULL;
      dropped++;
    }
  return dropped;
}

static double reduce_all(ts_tensor *const *ts, int n) {
  double r = 0;
  for (int i = 0; i < n; i++)
    if (ts[i])
      r += sum_of(ts[i]);
  return r;
}

static double array_param_demo(void) {
  ts_tensor *ts[N];
  double r = 0;
  if (make_all(ts, N, 2) != 0)
    r += 1000;
  if (make_all(ts, N, -1) != 0)
    return -1;
  r += reduce_all(ts, N);
  r += 100 * drop_odd(ts);
  r += reduce_all(ts, N);
  for (int i = 0; i < N; i++)
    if (ts[i])
      ts_free(ts[i]);
  return r;
}

/* Replace each element in place: free the old, store the new. */
static void scale_in_place(ts_tensor **ts, int n, double k) {
  for (int i = 0; i < n; i++) {
    ts_tensor *old = ts[i];
    ts[i] = ts_mul_scalar(old, k);
    ts_free(old);
  }
}

static double replace_demo(void) {
  ts_tensor *ts[3];
  for (int i = 0; i < 3; i++)
    ts[i] = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  scale_in_place(ts, 3, 2);
  scale_in_place(ts + 1, 2, 3);
  double r = reduce_all(ts, 3);
  free_all(ts, 3);
  return r;
}

/* A 2-D array of tensors with constant and variable indices. */
static double grid_demo(void) {
  ts_tensor *g[2][3];
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 3; j++)
      g[i][j] = ts_full(TS_SHAPE(1), TS_FLOAT32, i * 3 + j);
  double r = sum_of(g[1][2]) * 100;
  ts_tensor *t = g[0][0];
  g[0][0] = g[1][2];
  g[1][2] = t;
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 3; j++)
      r += sum_of(g[i][j]) * (j + 1);
  for (int i = 1; i >= 0; i--)
    for (int j = 2; j >= 0; j--)
      ts_free(g[i][j]);
  return r;
}

/* Globals and a static cache: stored where they outlive the function. */
static ts_tensor *g_table[N];
static ts_tensor *g_last;

static void remember(ts_tensor *t) {
  if (g_last)
    ts_free(g_last);
  g_last = t;
}

static const ts_tensor *cached_ones(int n) {
  static ts_tensor *cache;
  static int cached_n;
  if (n == 0) { /* drop the cache */
    if (cache)
      ts_free(cache);
    cache = NULL;
    return NULL;
  }
  if (!cache || cached_n != n) {
    if (cache)
      ts_free(cache);
    cache = ts_ones(TS_SHAPE(n), TS_FLOAT32);
    cached_n = n;
  }
  return cache;
}

static void cache_drop(void) { (void)cached_ones(0); }

static double globals_demo(void) {
  for (int i = 0; i < N; i++)
    g_table[i] = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
  for (int i = 0; i < 3; i++)
    remember(ts_full(TS_SHAPE(1), TS_FLOAT32, 10 * i));
  double r = reduce_all(g_table, N) + sum_of(g_last);
  r += sum_of(cached_ones(3)) + sum_of(cached_ones(3)) + sum_of(cached_ones(4));
  cache_drop();
  for (int i = 0; i < N; i++) {
    ts_free(g_table[i]);
    g_table[i] = NULL;
  }
  ts_free(g_last);
  g_last = NULL;
  return r;
}

/* Structs of arrays returned by value, and a split helper. */
struct split {
  ts_tensor *part[2];
  int n;
};

static struct split split_of(const ts_tensor *x) {
  struct split s = {{NULL, NULL}, 0};
  s.part[0] = ts_add_scalar(x, 0);
  if (!s.part[0])
    return s;
  s.part[1] = ts_mul_scalar(x, -1);
  if (!s.part[1]) {
    ts_free(s.part[0]);
    s.part[0] = NULL;
    return s;
  }
  s.n = 2;
  return s;
}

static void split_free(struct split *s) {
  for (int i = 0; i < s->n; i++)
    ts_free(s->part[i]);
  s->n = 0;
}

static double split_demo(void) {
  ts_tensor *x = ts_arange(1, 4, 1, TS_FLOAT32);
  struct split s = split_of(x);
  ts_free(x);
  double r = s.n == 2 ? sum_of(s.part[0]) * 10 + sum_of(s.part[1]) : -1;
  split_free(&s);
  return r;
}

/* Arrays of tensors inside a struct, with a count, in a scoped loop. */
struct history {
  ts_tensor *items[8];
  int n;
};

static void history_add(struct history *h, ts_tensor *t) {
  if (h->n == 8) {
    ts_free(h->items[0]);
    memmove(h->items, h->items + 1, 7 * sizeof h->items[0]);
    h->n--;
  }
  h->items[h->n++] = t;
}

static double history_demo(void) {
  struct history h;
  h.n = 0;
  TS_SCOPE for (int i = 0; i < 11; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    ts_tensor *u = ts_add_scalar(t, 0.5);
    history_add(&h, ts_keep(u));
  }
  double r = 0;
  for (int i = 0; i < h.n; i++)
    r += sum_of(h.items[i]);
  while (h.n > 0)
    ts_free(h.items[--h.n]);
  return r;
}

/* A helper that takes ownership of one slot of an array parameter. */
static ts_tensor *take_slot(ts_tensor **slots, int i) {
  ts_tensor *t = slots[i];
  slots[i] = NULL;
  return t;
}

static double take_demo(void) {
  ts_tensor *slots[3];
  for (int i = 0; i < 3; i++)
    slots[i] = ts_full(TS_SHAPE(1), TS_FLOAT32, i + 1);
  ts_tensor *mine = take_slot(slots, 1);
  double r = sum_of(mine);
  ts_free(mine);
  for (int i = 0; i < 3; i++)
    if (slots[i])
      ts_free(slots[i]);
  return r;
}

int main(void) {
  size_t base = pc_live();
  V("array_param %.1f", array_param_demo());
  V("replace %.1f", replace_demo());
  V("grid %.1f", grid_demo());
  V("globals %.1f", globals_demo());
  V("split %.1f", split_demo());
  V("history %.1f", history_demo());
  V("take %.1f", take_demo());
  EXPECT(pc_live() == base);
  return pc_done("clean_arrays");
}
