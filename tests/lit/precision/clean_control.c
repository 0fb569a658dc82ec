// Precision corpus: unusual but valid C around tensors (state machines,
// macros, statement expressions, cleanup attributes, VLAs, _Generic,
// setjmp/longjmp, computed goto, K&R definitions, many parameters,
// variadic helpers), all correct.
// RUN: %clang %tsmem -Wall -Werror -Wno-deprecated-non-prototype -O0 %s -o %t0 %link_tsmem
// RUN: env TSMEM_STRICT=1 TSMEM_LEAK_REPORT=1 %t0 > %t0.out 2>&1
// RUN: %clang %tsmem -Wall -Werror -Wno-deprecated-non-prototype -O2 %s -o %t2 %link_tsmem
// RUN: env TSMEM_STRICT=1 TSMEM_LEAK_REPORT=1 %t2 > %t2.out 2>&1
// RUN: diff %t0.out %t2.out
// RUN: %clang %cflags -DTSMEM_EDITOR -w -O0 %s -o %te %link_tsmem
// RUN: %te | grep '^v ' > %te.v
// RUN: grep '^v ' %t0.out | diff %te.v -
// RUN: FileCheck %s < %t0.out
// CHECK-NOT: FAIL
// CHECK-NOT: tsmem:
// CHECK: clean_control: all checks passed
// CHECK-NOT: tsmem:
#include "common.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>

static double sum_of(const ts_tensor *t) {
  ts_tensor *s = ts_sum(t);
  double v = ts_item(s);
  ts_free(s);
  return v;
}

/* ---- macros wrapping calls ---- */
#define MAKE(n, v) ts_full(TS_SHAPE(n), TS_FLOAT32, (v))
#define DROP(t)                                                                \
  do {                                                                         \
    ts_free(t);                                                                \
    (t) = NULL;                                                                \
  } while (0)
#define TRY(expr, label)                                                       \
  do {                                                                         \
    if (!(expr))                                                               \
      goto label;                                                              \
  } while (0)

static double macro_demo(void) {
  double r = -1;
  ts_tensor *a = NULL, *b = NULL;
  TRY(a = MAKE(3, 2), out);
  TRY(b = ts_add(a, a), out);
  r = sum_of(b);
out:
  if (b)
    DROP(b);
  if (a)
    DROP(a);
  return r;
}

/* ---- GNU statement expressions ---- */
#define SUM_AND_FREE(e)                                                        \
  ({                                                                           \
    ts_tensor *t_ = (e);                                                       \
    double v_ = sum_of(t_);                                                    \
    ts_free(t_);                                                               \
    v_;                                                                        \
  })

static double stmt_expr_demo(void) {
  double r = SUM_AND_FREE(MAKE(4, 1.5));
  r += ({
    ts_tensor *x = MAKE(2, 3);
    ts_tensor *y = ts_mul(x, x);
    ts_free(x);
    double s = sum_of(y);
    ts_free(y);
    s;
  });
  return r;
}

/* ---- __attribute__((cleanup)) ---- */
static void free_tensorp(ts_tensor **p) {
  if (*p)
    ts_free(*p);
}
#define AUTO_TENSOR __attribute__((cleanup(free_tensorp))) ts_tensor *

static double cleanup_demo(int early) {
  AUTO_TENSOR a = MAKE(3, 1);
  AUTO_TENSOR b = ts_add_scalar(a, 1);
  if (early)
    return sum_of(a);
  return sum_of(b);
}

/* ---- VLAs of tensor handles ---- */
static double vla_demo(int n) {
  ts_tensor *ts[n];
  for (int i = 0; i < n; i++)
    ts[i] = MAKE(1, i);
  double r = 0;
  for (int i = 0; i < n; i++)
    r += sum_of(ts[i]);
  for (int i = 0; i < n; i++)
    ts_free(ts[i]);
  return r;
}

/* ---- _Generic dispatch ---- */
static ts_tensor *from_double(double v) { return MAKE(2, v); }
static ts_tensor *from_int(int v) { return ts_arange(0, v, 1, TS_FLOAT32); }
#define TENSOR_OF(x) _Generic((x), double: from_double, int: from_int)(x)

static double generic_demo(void) {
  ts_tensor *a = TENSOR_OF(2.5);
  ts_tensor *b = TENSOR_OF(4);
  double r = sum_of(a) + sum_of(b);
  ts_free(b);
  ts_free(a);
  return r;
}

/* ---- setjmp/longjmp error path ---- */
static jmp_buf on_error;

static void check_or_jump(const ts_tensor *t, double limit) {
  if (sum_of(t) > limit)
    longjmp(on_error, 1);
}

static double setjmp_demo(double limit) {
  ts_tensor *volatile a = NULL;
  double r = 0;
  a = MAKE(4, 1);
  if (setjmp(on_error) == 0) {
    check_or_jump(a, limit);
    r = sum_of(a);
  } else {
    r = -1;
  }
  ts_free(a);
  return r;
}

/* ---- computed goto ---- */
static double computed_goto(int op) {
  static void *const table[] = {&&add, &&mul, &&neg};
  ts_tensor *x = MAKE(2, 3);
  ts_tensor *y = NULL;
  goto *table[op % 3];
add:
  y = ts_add_scalar(x, 1);
  goto done;
mul:
  y = ts_mul_scalar(x, 2);
  goto done;
neg:
  y = ts_neg(x);
done:;
  double r = sum_of(y);
  ts_free(y);
  ts_free(x);
  return r;
}

/* ---- #pragma inside a function; nested loops with labelled gotos ---- */
static int search(int target) {
  int where = -1;
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wunused-variable"
  int unused_here;
#pragma clang diagnostic pop
  for (int i = 0; i < 3; i++) {
    for (int j = 0; j < 3; j++) {
      ts_tensor *t = MAKE(1, i * 3 + j);
      if ((int)sum_of(t) == target) {
        ts_free(t);
        where = i * 3 + j;
        goto found;
      }
      ts_free(t);
    }
  }
  return -1;
found:
  return where;
}

/* ---- K&R definitions ---- */
static double kr_sum(t, scale) const ts_tensor *t;
double scale;
{ return sum_of(t) * scale; }

static ts_tensor *kr_make(n) int n;
{ return ts_arange(0, n, 1, TS_FLOAT32); }

static double kr_demo(void) {
  ts_tensor *t = kr_make(5);
  double r = kr_sum(t, 2.0);
  ts_free(t);
  return r;
}

/* ---- a function with 32 parameters ---- */
static double many(const ts_tensor *a0, const ts_tensor *a1,
                   const ts_tensor *a2, const ts_tensor *a3, int i4, int i5,
                   int i6, int i7, int i8, int i9, int i10, int i11, int i12,
                   int i13, int i14, int i15, int i16, int i17, int i18,
                   int i19, int i20, int i21, int i22, int i23, int i24,
                   int i25, int i26, int i27, int i28, int i29, int i30,
                   ts_tensor *a31) {
  int s = i4 + i5 + i6 + i7 + i8 + i9 + i10 + i11 + i12 + i13 + i14 + i15 +
          i16 + i17 + i18 + i19 + i20 + i21 + i22 + i23 + i24 + i25 + i26 +
          i27 + i28 + i29 + i30;
  return sum_of(a0) + sum_of(a1) + sum_of(a2) + sum_of(a3) + sum_of(a31) + s;
}

static double many_demo(void) {
  ts_tensor *t[5];
  for (int i = 0; i < 5; i++)
    t[i] = MAKE(1, i);
  double r = many(t[0], t[1], t[2], t[3], 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, t[4]);
  for (int i = 0; i < 5; i++)
    ts_free(t[i]);
  return r;
}

/* ---- variadic helpers ---- */
static double sum_all(int n, ...) {
  va_list ap;
  va_start(ap, n);
  double r = 0;
  for (int i = 0; i < n; i++)
    r += sum_of(va_arg(ap, const ts_tensor *));
  va_end(ap);
  return r;
}

static void free_all(int n, ...) {
  va_list ap;
  va_start(ap, n);
  for (int i = 0; i < n; i++)
    ts_free(va_arg(ap, ts_tensor *));
  va_end(ap);
}

static double variadic_demo(void) {
  ts_tensor *a = MAKE(2, 1), *b = MAKE(2, 2), *c = MAKE(2, 3);
  double r = sum_all(3, a, b, c);
  free_all(3, a, b, c);
  return r;
}

/* ---- deeply nested expression ---- */
static double nested_expr(void) {
  ts_tensor *x = MAKE(2, 1);
  ts_tensor *y = ts_add(x, x);
  ts_tensor *z = ts_mul(y, sum_of(x) > 0 ? y : x);
  double r = sum_of(z) + ((sum_of(x) > 0) ? (sum_of(y) > 1 ? 2 : 1) : 0) +
             (((sum_of(z) * 2 + sum_of(y)) / (1 + sum_of(x))) > 3 ? 1 : 0);
  ts_free(z);
  ts_free(y);
  ts_free(x);
  return r;
}

/* ---- tensors passed through casts and void * contexts ---- */
struct ctx {
  void *payload;
  double (*reduce)(const void *);
};
static double reduce_tensor(const void *p) {
  return sum_of((const ts_tensor *)p);
}

static double ctx_demo(void) {
  struct ctx c = {ts_ones(TS_SHAPE(6), TS_FLOAT32), reduce_tensor};
  double r = c.reduce(c.payload);
  ts_free((ts_tensor *)c.payload);
  return r;
}

/* ---- a do-while(0) error block ---- */
static int do_while_errors(int fail) {
  int rc = -1;
  ts_tensor *a = NULL, *b = NULL;
  do {
    a = MAKE(2, 1);
    if (!a)
      break;
    if (fail == 1)
      break;
    b = ts_add(a, a);
    if (!b)
      break;
    rc = (int)sum_of(b);
  } while (0);
  if (b)
    ts_free(b);
  if (a)
    ts_free(a);
  return rc;
}

/* ---- a huge switch ---- */
static ts_tensor *op_by_code(int code, const ts_tensor *x) {
  switch (code) {
  case 0: return ts_clone(x);
  case 1: return ts_relu(x);
  case 2: return ts_neg(x);
  case 3: return ts_add(x, x);
  case 4: return ts_mul(x, x);
  case 5: return ts_sub(x, x);
  case 6: return ts_add_scalar(x, 1);
  case 7: return ts_mul_scalar(x, 3);
  case 8: return ts_tanh(x);
  case 9: return ts_sigmoid(x);
  case 10: return ts_exp(x);
  case 11: return ts_sum(x);
  case 12: return ts_mean(x);
  case 13: return ts_softmax(x, 0);
  case 14: return ts_transpose(x, 0, 0);
  case 15: return ts_reshape(x, TS_SHAPE(-1));
  default: return NULL;
  }
}

static double switch_demo(void) {
  ts_tensor *x = ts_arange(0, 3, 1, TS_FLOAT32);
  double r = 0;
  for (int c = 0; c < 17; c++) {
    ts_tensor *y = op_by_code(c, x);
    if (!y)
      continue;
    r += sum_of(y);
    ts_free(y);
  }
  ts_free(x);
  return r;
}

int main(void) {
  size_t base = pc_live();
  V("macro %.1f", macro_demo());
  V("stmt_expr %.1f", stmt_expr_demo());
  V("cleanup %.1f %.1f", cleanup_demo(0), cleanup_demo(1));
  V("vla %.1f", vla_demo(5));
  V("generic %.1f", generic_demo());
  V("setjmp %.1f %.1f", setjmp_demo(100), setjmp_demo(1));
  V("computed_goto %.1f %.1f %.1f", computed_goto(0), computed_goto(1),
    computed_goto(2));
  V("search %d %d", search(5), search(50));
  V("kr %.1f", kr_demo());
  V("many %.1f", many_demo());
  V("variadic %.1f", variadic_demo());
  V("nested_expr %.1f", nested_expr());
  V("ctx %.1f", ctx_demo());
  V("do_while %d %d", do_while_errors(0), do_while_errors(1));
  V("switch %.3f", switch_demo());
  EXPECT_MEM(pc_live() == base);
  return pc_done("clean_control");
}
