// Precision corpus: scopes, escapes and exits, all correct.
// RUN: %clang %tsmem -Wall -Wextra -Werror -O0 %s -o %t0 %link_tsmem
// RUN: env TSMEM_STRICT=1 TSMEM_LEAK_REPORT=1 %t0 > %t0.out 2>&1
// RUN: %clang %tsmem -Wall -Wextra -Werror -O2 %s -o %t2 %link_tsmem
// RUN: env TSMEM_STRICT=1 TSMEM_LEAK_REPORT=1 %t2 > %t2.out 2>&1
// RUN: diff %t0.out %t2.out
// RUN: %clang %cflags -DTSMEM_EDITOR -w -O0 %s -o %te %link_tsmem
// RUN: %te | grep '^v ' > %te.v
// RUN: grep '^v ' %t0.out | diff %te.v -
// RUN: FileCheck %s < %t0.out
// CHECK-NOT: FAIL
// CHECK-NOT: tsmem:
// CHECK: clean_scopes: all checks passed
// CHECK-NOT: tsmem:
#include "common.h"

static double sum_of(const ts_tensor *t) {
  ts_tensor *s = ts_sum(t);
  double v = ts_item(s);
  ts_free(s);
  return v;
}

/* A scoped function returns an escaped tensor: the caller owns it. */
TS_SCOPED static ts_tensor *make_scaled(double k) {
  ts_tensor *a = ts_arange(0, 6, 1, TS_FLOAT32);
  ts_tensor *b = ts_mul_scalar(a, k);
  return ts_escape(b);
}

/* Escape through two scopes: once while each is current. */
static ts_tensor *two_levels(void) {
  ts_tensor *out = NULL;
  TS_SCOPE {
    ts_tensor *x = ts_ones(TS_SHAPE(3), TS_FLOAT32);
    TS_SCOPE {
      ts_tensor *y = ts_add_scalar(x, 2);
      out = ts_escape(y);
    }
    out = ts_escape(out);
  }
  return out;
}

/* A TS_SCOPE loop whose break leaves a kept tensor behind. */
static ts_tensor *first_big(int n) {
  ts_tensor *found = NULL;
  TS_SCOPE for (int i = 0; i < n; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(2), TS_FLOAT32, (double)i);
    if (sum_of(t) > 5.0) {
      found = ts_keep(t);
      break;
    }
  }
  return found;
}

/* continue inside a scoped loop, and a return from inside it. */
static double scoped_continue(int n) {
  double acc = 0;
  TS_SCOPE for (int i = 0; i < n; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(4), TS_FLOAT32, (double)i);
    if (i % 2)
      continue;
    ts_tensor *u = ts_mul(t, t);
    acc += sum_of(u);
    if (acc > 1000)
      return acc;
  }
  return acc;
}

/* goto out of a TS_SCOPE block, to a cleanup that uses only manual data. */
static int goto_out(int fail_at) {
  int status = 0;
  ts_tensor *manual = ts_zeros(TS_SHAPE(2, 2), TS_FLOAT32);
  if (!manual)
    return -1;
  for (int i = 0; i < 3; i++) {
    TS_SCOPE {
      ts_tensor *t = ts_add_scalar(manual, i);
      if (i == fail_at) {
        status = -2;
        goto done;
      }
      (void)sum_of(t);
    }
  }
done:
  ts_free(manual);
  return status;
}

/* while and do loops under TS_SCOPE; tensors made by the condition. */
static int scoped_while(void) {
  int steps = 0;
  double level = 0;
  TS_SCOPE while (sum_of(ts_full(TS_SHAPE(1), TS_FLOAT32, level)) < 3) {
    level += 1;
    steps++;
  }
  TS_SCOPE do {
    ts_tensor *z = ts_zeros(TS_SHAPE(5), TS_FLOAT32);
    steps += (int)ts_numel(z);
  } while (steps < 12);
  return steps;
}

/* ts_scope_begin/ts_scope_end by hand, with the result kept. */
static ts_tensor *manual_scope(void) {
  ts_scope_id id = ts_scope_begin();
  ts_tensor *a = ts_arange(1, 4, 1, TS_FLOAT32);
  ts_tensor *b = ts_mul(a, a);
  ts_tensor *kept = ts_keep(b);
  ts_scope_end(id);
  return kept;
}

/* TS_SCOPE_GUARD in a block; return after the value is computed. */
static double guarded(int n) {
  TS_SCOPE_GUARD();
  ts_tensor *a = ts_arange(0, n, 1, TS_FLOAT64);
  return sum_of(a);
}

/* A job for ts_run: its scope ends however it returns. */
struct job {
  int n;
  ts_tensor *result;
};

static void *job_fn(void *ctx) {
  struct job *j = ctx;
  ts_tensor *a = ts_ones(TS_SHAPE(j->n), TS_FLOAT32);
  ts_tensor *b = ts_mul_scalar(a, 3);
  if (j->n > 100)
    return NULL;
  j->result = ts_keep(b);
  return j;
}

static void *job_ret(void *ctx) {
  (void)ctx;
  ts_tensor *t = ts_full(TS_SHAPE(2), TS_FLOAT32, 7);
  return ts_escape(t);
}

/* An async scope: tensors made while entered belong to it. */
static double async_session(void) {
  ts_async_scope *s = ts_async_scope_begin();
  if (!s)
    return -1;
  ts_tensor *held[3];
  for (int i = 0; i < 3; i++) {
    ts_async_scope_enter(s);
    held[i] = ts_full(TS_SHAPE(2), TS_FLOAT32, i + 1);
    ts_async_scope_leave(s);
  }
  double total = 0;
  for (int i = 0; i < 3; i++)
    total += sum_of(held[i]);
  ts_tensor *kept = NULL;
  ts_async_scope_enter(s);
  kept = ts_keep(ts_add(held[0], held[2]));
  ts_async_scope_leave(s);
  ts_async_scope_end(s);
  total += sum_of(kept);
  ts_free(kept);
  return total;
}

/* Returning from inside nested scopes: the value is kept. */
static ts_tensor *nested_return(int pick) {
  TS_SCOPE {
    ts_tensor *a = ts_full(TS_SHAPE(2), TS_FLOAT32, 1);
    TS_SCOPE {
      ts_tensor *b = ts_add_scalar(a, pick);
      if (pick > 0)
        return ts_keep(b); /* leaves two scopes: one ts_escape would not do */
    }
  }
  return NULL;
}

/* A scoped loop with a switch whose break is the switch's, not the loop's. */
static double switch_in_scope(void) {
  double acc = 0;
  TS_SCOPE for (int i = 0; i < 5; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
    switch (i % 3) {
    case 0:
      acc += sum_of(t);
      break;
    case 1: {
      ts_tensor *u = ts_mul_scalar(t, 10);
      acc += sum_of(u);
      break;
    }
    default:
      continue;
    }
    acc += 0.5;
  }
  return acc;
}

/* Labelled loop exits: nested loops left with goto, all under scopes. */
static int find_pair(int target) {
  int found = -1;
  TS_SCOPE for (int i = 0; i < 4; i++) {
    TS_SCOPE for (int j = 0; j < 4; j++) {
      ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, i * 4 + j);
      if ((int)sum_of(t) == target) {
        found = i * 10 + j;
        goto out;
      }
    }
  }
out:
  return found;
}

int main(void) {
  size_t base = pc_live();
  ts_tensor *s = make_scaled(2.0);
  V("make_scaled %.1f", sum_of(s));
  ts_free(s);
  EXPECT_MEM(pc_live() == base);

  ts_tensor *t = two_levels();
  V("two_levels %.1f", sum_of(t));
  EXPECT_MEM(pc_live() == base + 1);
  ts_free(t);

  ts_tensor *f = first_big(6);
  V("first_big %.1f", f ? sum_of(f) : -1.0);
  ts_free(f);
  EXPECT_MEM(pc_live() == base);

  V("scoped_continue %.1f", scoped_continue(6));
  EXPECT_MEM(pc_live() == base);
  V("goto_out %d %d", goto_out(1), goto_out(9));
  EXPECT_MEM(pc_live() == base);
  V("scoped_while %d", scoped_while());
  EXPECT_MEM(pc_live() == base);

  ts_tensor *m = manual_scope();
  V("manual_scope %.1f", sum_of(m));
  ts_free(m);
  V("guarded %.1f", guarded(5));
  EXPECT_MEM(pc_live() == base);

  struct job j = {4, NULL};
  void *r = ts_run(job_fn, &j);
  V("job %d %.1f", r == &j, sum_of(j.result));
  ts_free(j.result);
  struct job big = {200, NULL};
  r = ts_run(job_fn, &big);
  V("job_big %d %d", r == NULL, big.result == NULL);
  ts_tensor *jr = ts_run(job_ret, NULL);
  V("job_ret %.1f", sum_of(jr));
  ts_free(jr);
  EXPECT_MEM(pc_live() == base);

  V("async %.1f", async_session());
  EXPECT_MEM(pc_live() == base);

  ts_tensor *nr = nested_return(3);
  ts_tensor *none = nested_return(0);
  V("nested_return %.1f %d", sum_of(nr), none == NULL);
  ts_free(nr);
  if (none)
    ts_free(none);
  V("switch_in_scope %.1f", switch_in_scope());
  V("find_pair %d %d", find_pair(9), find_pair(99));
  EXPECT_MEM(pc_live() == base);
  EXPECT(ts_scope_depth() == 0);
  return pc_done("clean_scopes");
}
