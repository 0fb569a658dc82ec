// Every way out of a TS_SCOPE block ends its scope exactly once, after a
// returned value is computed, and frees what the scope made.
// RUN: %clang %tsmem -O0 %s %link_tsmem -o %t0 && %t0 | FileCheck %s
// RUN: %clang %tsmem -O2 %s %link_tsmem -o %t2 && %t2 | FileCheck %s
// RUN: %clang %tsmem -O1 -g %s %link_san -o %ts && %ts | FileCheck %s
#include <stdio.h>
#include <tsmem.h>

static ts_tensor *make(void) { return ts_zeros(TS_SHAPE(2, 3), TS_FLOAT32); }

static void report(const char *What) {
  printf("%s: depth=%d live=%zu\n", What, ts_scope_depth(),
         ts_memory().live_tensors);
}

static void fallThrough(void) {
  TS_SCOPE {
    make();
    make();
    printf("inside: depth=%d owned=%zu\n", ts_scope_depth(),
           ts_scope_tensor_count());
  }
}

// The value uses a scoped tensor: it must be computed before the scope ends.
static long returnValue(void) {
  TS_SCOPE {
    ts_tensor *T = make();
    return (long)ts_numel(T);
  }
}

static void gotoOut(int Jump) {
  TS_SCOPE {
    make();
    if (Jump)
      goto out;
    make();
  }
out:
  report("goto");
}

static int switchInside(int K) {
  TS_SCOPE {
    switch (K) {
    case 0:
      make();
      break; // leaves the switch, not the scope
    case 1:
      make();
      return ts_scope_depth();
    default:
      make();
      make();
    }
    return 10 + (int)ts_scope_tensor_count();
  }
}

static int breakOutOfLoop(void) {
  int I;
  for (I = 0; I < 10; ++I) {
    TS_SCOPE {
      make();
      if (I == 2)
        break;
    }
  }
  return I;
}

int main(void) {
  report("start");
  // CHECK: start: depth=0 live=0
  fallThrough();
  // CHECK-NEXT: inside: depth=1 owned=2
  report("fall-through");
  // CHECK-NEXT: fall-through: depth=0 live=0
  printf("return: %ld\n", returnValue());
  // CHECK-NEXT: return: 6
  report("after return");
  // CHECK-NEXT: after return: depth=0 live=0
  gotoOut(1);
  // CHECK-NEXT: goto: depth=0 live=0
  gotoOut(0);
  // CHECK-NEXT: goto: depth=0 live=0
  printf("switch: %d %d %d\n", switchInside(0), switchInside(1),
         switchInside(2));
  // CHECK-NEXT: switch: 11 1 12
  report("after switch");
  // CHECK-NEXT: after switch: depth=0 live=0
  printf("break: %d\n", breakOutOfLoop());
  // CHECK-NEXT: break: 2
  report("end");
  // CHECK-NEXT: end: depth=0 live=0
  return 0;
}
