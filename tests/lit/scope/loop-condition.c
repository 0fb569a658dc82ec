// TS_SCOPE loops: each test of a for or while condition opens a fresh scope
// that also covers the body and the increment after it (n iterations, n + 1
// scopes, the last around the failing test); continue goes to the increment
// inside the same scope; break, return and goto out end it. A do loop has
// one scope per iteration, around the body and the condition after it (n
// scopes). The init runs outside them. SPEC.md section 4.
// RUN: %clang %tsmem -O0 %s %link_tsmem -o %t0 && %t0 | FileCheck %s
// RUN: %clang %tsmem -O2 %s %link_tsmem -o %t2 && %t2 | FileCheck %s
// RUN: %clang %tsmem -O1 -g %s %link_san -o %ts && %ts | FileCheck %s
#include <stdio.h>
#include <tsmem.h>

static ts_tensor *X;
static int Tests, Fresh, IncOwned;

// A condition that makes a tensor, as `ts_item(ts_sum(x)) > 0` does, and
// counts the tests that find a fresh scope (one that owns nothing yet).
TS_CALLER_SCOPE static int test(int Holds) {
  ++Tests;
  Fresh += ts_in_scope() && ts_scope_tensor_count() == 0;
  return ts_item(ts_sum(X)) > 0 && Holds;
}

static void inc(int *I) {
  IncOwned += (int)ts_scope_tensor_count(); // the test's and the body's
  ++*I;
}

static void report(const char *What) {
  printf("%s: tests=%d fresh=%d inc-owned=%d depth=%d live=%zu\n", What, Tests,
         Fresh, IncOwned, ts_scope_depth(), ts_memory().live_tensors - 1);
  Tests = Fresh = IncOwned = 0;
}

// clang-format off
static int forLoop(void) {
  int Body = 0;
  TS_SCOPE for (int I = 0; test(I < 3); inc(&I))
    Body += (int)ts_scope_tensor_count() + (ts_relu(X) != NULL) * 10;
  return Body;
}

static void whileLoop(void) {
  int I = 0;
  TS_SCOPE while (test(I < 4)) {
    ts_relu(X);
    ++I;
  }
}

static int doLoop(void) {
  int I = 0, FreshBodies = 0;
  TS_SCOPE do {
    FreshBodies += ts_scope_tensor_count() == 0;
    ts_relu(X);
  } while (test(++I < 3));
  return FreshBodies;
}

static void continueAndBreak(void) {
  TS_SCOPE for (int I = 0; test(1); inc(&I)) {
    ts_relu(X);
    if (I < 2)
      continue;
    break;
  }
}

static int returnOut(void) {
  TS_SCOPE for (int I = 0; test(1); inc(&I))
    if (I == 2)
      return ts_scope_depth() * 100 + (int)ts_scope_tensor_count();
  return -1;
}

static void gotoOut(void) {
  TS_SCOPE while (test(1))
    goto out;
out:
  return;
}

// The init is not in the loop's scopes: its tensor is still live after.
static ts_tensor *initOutside(void) {
  ts_tensor *T;
  TS_SCOPE for (T = ts_relu(X); test(0);)
    ;
  return T;
}
// clang-format on

int main(void) {
  X = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  // Bodies see the test's tensor (1) plus ten per body's own.
  printf("for body: %d\n", forLoop());
  // CHECK: for body: 33
  report("for");
  // CHECK-NEXT: for: tests=4 fresh=4 inc-owned=6 depth=0 live=0
  whileLoop();
  report("while");
  // CHECK-NEXT: while: tests=5 fresh=5 inc-owned=0 depth=0 live=0
  printf("do fresh bodies: %d\n", doLoop());
  // CHECK-NEXT: do fresh bodies: 3
  report("do");
  // CHECK-NEXT: do: tests=3 fresh=0 inc-owned=0 depth=0 live=0
  continueAndBreak();
  report("continue/break");
  // CHECK-NEXT: continue/break: tests=3 fresh=3 inc-owned=4 depth=0 live=0
  printf("return: %d\n", returnOut());
  // CHECK-NEXT: return: 101
  report("return");
  // CHECK-NEXT: return: tests=3 fresh=3 inc-owned=2 depth=0 live=0
  gotoOut();
  report("goto");
  // CHECK-NEXT: goto: tests=1 fresh=1 inc-owned=0 depth=0 live=0
  ts_tensor *T = initOutside();
  report("init");
  // CHECK-NEXT: init: tests=1 fresh=1 inc-owned=0 depth=0 live=1
  ts_free(T);
  ts_free(X);
  printf("end: depth=%d live=%zu\n", ts_scope_depth(),
         ts_memory().live_tensors);
  // CHECK-NEXT: end: depth=0 live=0
  return 0;
}
