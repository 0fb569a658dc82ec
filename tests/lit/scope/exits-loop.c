// TS_SCOPE before a for, while or do loop: a fresh scope around each
// iteration's body, compound or not, ended by break and continue too.
// RUN: %clang %tsmem -O0 %s %link_tsmem -o %t0 && %t0 | FileCheck %s
// RUN: %clang %tsmem -O2 %s %link_tsmem -o %t2 && %t2 | FileCheck %s
// RUN: %clang %tsmem -O1 -g %s %link_san -o %ts && %ts | FileCheck %s
#include <stdio.h>
#include <tsmem.h>

static ts_tensor *make(void) { return ts_zeros(TS_SHAPE(4), TS_FLOAT32); }

static void report(const char *What) {
  printf("%s: depth=%d live=%zu\n", What, ts_scope_depth(),
         ts_memory().live_tensors);
}

// Each iteration sees a scope of its own, at depth 1, owning only its tensor.
static void forCompound(void) {
  TS_SCOPE for (int I = 0; I < 6; ++I) {
    make();
    if (I == 1)
      continue;
    if (I == 4)
      break;
    printf("for %d: depth=%d owned=%zu\n", I, ts_scope_depth(),
           ts_scope_tensor_count());
  }
}

// TS_SCOPE's operand is one statement; keep clang-format from joining lines.
// clang-format off
static int whileSimple(void) {
  int N = 0;
  TS_SCOPE while (N < 3) N += make() != NULL && ts_scope_depth() == 1;
  return N;
}

static int forIfElse(void) {
  int Even = 0, Odd = 0;
  TS_SCOPE for (int I = 0; I < 5; ++I)
    if (make() && I % 2 == 0)
      Even += ts_scope_depth();
    else
      Odd += ts_scope_depth();
  return Even * 10 + Odd;
}

// An if without else as the body: the statement after the loop is not in it.
static int forIfNoElse(void) {
  int N = 0;
  TS_SCOPE for (int I = 0; I < 4; ++I)
    if (make())
      N += ts_scope_depth();
  N *= 10;
  return N + ts_scope_depth();
}

static int doSimple(void) {
  int N = 0;
  TS_SCOPE do
    N += make() != NULL;
  while (N < 3);
  return N;
}

static int doCompound(void) {
  int N = 0;
  TS_SCOPE do {
    make();
    if (++N == 2)
      continue;
    if (N == 4)
      break;
  } while (N < 10);
  return N;
}

static int returnFromLoop(void) {
  TS_SCOPE for (int I = 0;; ++I) {
    ts_tensor *T = make();
    if (I == 3)
      return (int)ts_numel(T) + ts_scope_depth();
  }
}

static int nestedLoops(void) {
  int Max = 0;
  TS_SCOPE for (int I = 0; I < 3; ++I)
    TS_SCOPE for (int J = 0; J < 3; ++J) {
      make();
      if (ts_scope_depth() > Max)
        Max = ts_scope_depth();
    }
  return Max;
}
// clang-format on

int main(void) {
  forCompound();
  // CHECK: for 0: depth=1 owned=1
  // CHECK-NEXT: for 2: depth=1 owned=1
  // CHECK-NEXT: for 3: depth=1 owned=1
  report("for");
  // CHECK-NEXT: for: depth=0 live=0
  printf("while: %d\n", whileSimple());
  // CHECK-NEXT: while: 3
  printf("if-else: %d\n", forIfElse());
  // CHECK-NEXT: if-else: 32
  printf("if: %d\n", forIfNoElse());
  // CHECK-NEXT: if: 40
  printf("do: %d %d\n", doSimple(), doCompound());
  // CHECK-NEXT: do: 3 4
  printf("return: %d\n", returnFromLoop());
  // CHECK-NEXT: return: 5
  printf("nested: %d\n", nestedLoops());
  // CHECK-NEXT: nested: 2
  report("end");
  // CHECK-NEXT: end: depth=0 live=0
  return 0;
}
