// GNU and C11 corners around tensors that the analysis may not expect: it
// must neither crash nor warn (all of it is correct code).
// RUN: %clang -fsyntax-only -Werror -Wno-gnu -Wno-unused %tsmem %s
// RUN: %clang -fsyntax-only -Xclang -verify -Wno-gnu -Wno-unused %tsmem %s
// RUN: %clang -fsyntax-only -Werror -Wno-gnu -Wno-unused -O2 %tsmem %s
// expected-no-diagnostics
#include <alloca.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <tsmem.h>

/* GNU `a ?: b` (an opaque value shared by the test and the result). */
void elvis(const ts_tensor *x) {
  ts_tensor *a = ts_relu(x);
  ts_tensor *b = a ?: ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  ts_free(b);
}

/* Statement expressions that make, free and yield tensors. */
double stmt_exprs(const ts_tensor *x) {
  ts_tensor *t = ({
    ts_tensor *u = ts_neg(x);
    ts_tensor *v = ts_relu(u);
    ts_free(u);
    v;
  });
  double d = ({
    ts_tensor *s = ts_sum(t);
    double r = ts_item(s);
    ts_free(s);
    r;
  });
  ts_free(t);
  return d;
}

/* __builtin_expect and friends in conditions. */
int expects(const ts_tensor *x) {
  ts_tensor *t = ts_clone(x);
  if (__builtin_expect(t == NULL, 0))
    return -1;
  if (__builtin_expect_with_probability(ts_numel(t) > 3, 1, 0.9))
    ts_free(t);
  else
    ts_free(t);
  return 0;
}

/* Flexible array members of tensors. */
struct flex {
  int n;
  ts_tensor *ts[];
};
double flexible(int n) {
  struct flex *f = malloc(sizeof *f + (size_t)n * sizeof(ts_tensor *));
  if (!f)
    return 0;
  f->n = n;
  for (int i = 0; i < n; i++)
    f->ts[i] = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
  double s = 0;
  for (int i = 0; i < f->n; i++) {
    s += ts_item(f->ts[i]);
    ts_free(f->ts[i]);
  }
  free(f);
  return s;
}

/* Compound literals and designated initialisers holding tensors. */
struct pair {
  ts_tensor *a, *b;
};
static void pair_free(struct pair p) {
  ts_free(p.a);
  ts_free(p.b);
}
void compound_literals(const ts_tensor *x) {
  pair_free((struct pair){.b = ts_neg(x), .a = ts_relu(x)});
  ts_tensor **arr = (ts_tensor *[3]){[2] = ts_clone(x), [0] = ts_neg(x)};
  ts_free(arr[0]);
  ts_free(arr[2]);
  ts_tensor *d[4] = {[3] = ts_clone(x), [1] = ts_relu(x)};
  ts_free(d[1]);
  ts_free(d[3]);
  ts_tensor *e[2][2] = {[1][0] = ts_clone(x)};
  ts_free(e[1][0]);
}

/* `asm goto` around a tensor. */
int asm_goto(const ts_tensor *x) {
  ts_tensor *t = ts_clone(x);
  asm goto("" : : : : out);
  ts_free(t);
  return 0;
out:
  ts_free(t);
  return 1;
}

/* Local labels (__label__) in a statement expression used twice. */
#define TRY_MAKE(e)                                                            \
  ({                                                                           \
    __label__ fail;                                                            \
    ts_tensor *r_ = (e);                                                       \
    if (!r_)                                                                   \
      goto fail;                                                               \
  fail:                                                                        \
    r_;                                                                        \
  })
void local_labels(const ts_tensor *x) {
  ts_tensor *a = TRY_MAKE(ts_neg(x));
  ts_tensor *b = TRY_MAKE(ts_relu(x));
  ts_free(a);
  ts_free(b);
}

/* alloca'd arrays of handles. */
void alloca_handles(int n) {
  ts_tensor **v = alloca((size_t)n * sizeof *v);
  for (int i = 0; i < n; i++)
    v[i] = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  for (int i = 0; i < n; i++)
    ts_free(v[i]);
  ts_tensor **w = __builtin_alloca(sizeof *w);
  *w = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  ts_free(*w);
}

/* Variadic helpers taking tensors: the helper frees them. */
static void free_all(int n, ...) {
  va_list ap;
  va_start(ap, n);
  for (int i = 0; i < n; i++)
    ts_free(va_arg(ap, ts_tensor *));
  va_end(ap);
}
void variadic(const ts_tensor *x) {
  free_all(2, ts_neg(x), ts_relu(x));
  ts_tensor *a = ts_clone(x);
  free_all(1, a);
}

/* Recursion through a function pointer. */
typedef ts_tensor *(*stepfn)(ts_tensor *, int);
static ts_tensor *rec_step(ts_tensor *t, int n);
static stepfn next_step = rec_step;
static ts_tensor *rec_step(ts_tensor *t, int n) {
  if (n == 0)
    return t;
  ts_tensor *u = ts_add_scalar(t, 1);
  ts_free(t);
  return next_step(u, n - 1);
}
double fnptr_recursion(void) {
  ts_tensor *t = next_step(ts_zeros(TS_SHAPE(1), TS_FLOAT32), 4);
  double v = ts_item(t);
  ts_free(t);
  return v;
}

/* Integers wider than 64 bits in conditions, values and switches. */
void wide_ints(const ts_tensor *x, __int128 k) {
  ts_tensor *t = ts_clone(x);
  unsigned __int128 big = (unsigned __int128)1 << 100;
  __int128 i = 0;
  i += (__int128)1 << 90;
  switch (k) {
  case (__int128)1 << 100:
    ts_free(t);
    break;
  case -((__int128)1 << 99):
    ts_free(t);
    break;
  default:
    if (big > 5 && i != 0)
      ts_free(t);
    else
      ts_free(t);
  }
  _BitInt(200) w = 0;
  w += (_BitInt(200))1 << 150;
  ts_tensor *u = ts_clone(x);
  if (w == ((_BitInt(200))1 << 150))
    ts_free(u);
  else
    ts_free(u);
  unsigned long long m = 0xFFFFFFFFFFFFFFFFull;
  ts_tensor *v = ts_clone(x);
  switch (m) {
  case 0xFFFFFFFFFFFFFFFFull:
    ts_free(v);
    break;
  default:
    ts_free(v);
  }
}

/* __auto_type, typeof, __builtin_choose_expr, _Generic. */
void type_tricks(const ts_tensor *x) {
  __auto_type a = ts_neg(x);
  typeof(a) b = ts_relu(x);
  ts_tensor *c = __builtin_choose_expr(1, a, b);
  ts_tensor *d = _Generic(b, ts_tensor * : b, default : a);
  ts_free(c);
  ts_free(d);
}

/* Unions of handles; type punning through a union. */
union handle {
  ts_tensor *t;
  uintptr_t bits;
};
void unions(const ts_tensor *x) {
  union handle h = {.t = ts_clone(x)};
  uintptr_t b = h.bits;
  (void)b;
  ts_free(h.t);
}

/* Comma operators, nested conditionals, pointer arithmetic and 1[a]. */
void odd_exprs(const ts_tensor *x) {
  ts_tensor *a[3];
  ts_tensor *t = (a[0] = ts_neg(x), a[1] = ts_relu(x), a[2] = NULL, a[0]);
  ts_free(*(a + 1));
  ts_free(0 [a]);
  (void)t;
  ts_tensor *p =
      ts_numel(x) > 2 ? ts_numel(x) > 4 ? ts_neg(x) : ts_relu(x) : ts_clone(x);
  ts_free(p);
}

/* A noreturn exit in the middle; __builtin_unreachable after it. */
_Noreturn static void die(void) { abort(); }
void noreturns(const ts_tensor *x, int k) {
  ts_tensor *t = ts_clone(x);
  if (k < 0)
    die();
  if (k > 100) {
    ts_free(t);
    return;
  }
  ts_free(t);
  if (k == 1000)
    __builtin_unreachable();
}

/* musttail calls that hand a tensor on. */
static ts_tensor *consume_tail(ts_tensor *t, int n) {
  if (n <= 0)
    return t;
  ts_tensor *u = ts_neg(t);
  ts_free(t);
  __attribute__((musttail)) return consume_tail(u, n - 1);
}
void tails(const ts_tensor *x) { ts_free(consume_tail(ts_clone(x), 3)); }

/* TS_SCOPE in a statement expression, and around a switch with a VLA. */
double scope_corners(const ts_tensor *x, int n) {
  double d = ({
    double r = 0;
    TS_SCOPE { r = ts_item(ts_sum(ts_relu(x))); }
    r;
  });
  TS_SCOPE {
    switch (n) {
    case 0: {
      ts_tensor *v[n + 1];
      v[0] = ts_neg(x);
      d += ts_item(ts_sum(v[0]));
      break;
    }
    default:
      d += ts_item(ts_sum(x));
    }
  }
  return d;
}

/* Static locals and volatile handles. */
void statics(const ts_tensor *x) {
  static ts_tensor *cache;
  if (!cache)
    cache = ts_clone(x);
  ts_tensor *volatile vt = ts_neg(x);
  ts_free(vt);
  ts_tensor *const ct = ts_relu(x);
  ts_free(ct);
}

/* Zero-length arrays (GNU) and arrays of arrays of structs. */
struct zl {
  int n;
  ts_tensor *none[0];
};
struct cell {
  ts_tensor *t[2];
};
void arrays_of_structs(const ts_tensor *x) {
  struct zl z = {0};
  (void)z;
  struct cell grid[2][2];
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 2; j++)
      for (int k = 0; k < 2; k++)
        grid[i][j].t[k] = ts_clone(x);
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 2; j++)
      for (int k = 0; k < 2; k++)
        ts_free(grid[i][j].t[k]);
}

/* Very long chains: an else-if ladder and a deep expression. */
#define L4(m) m m m m
#define L16(m) L4(L4(m))
#define L256(m) L16(L16(m))
#define RUNG                                                                   \
  else if (k == __COUNTER__) {                                                 \
    ts_free(t);                                                                \
  }
void ladder(const ts_tensor *x, int k) {
  ts_tensor *t = ts_clone(x);
  if (k < 0) {
    ts_free(t);
  }
  L256(RUNG) L256(RUNG) else { ts_free(t); }
}
#define P1 +x1
double long_expr(double x1) { return 0 L256(L16(P1)); }
