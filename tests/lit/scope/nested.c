// Nested scopes, recursion through a TS_SCOPE block, and TS_SCOPE_GUARD()
// next to TS_SCOPE: each scope ends once, innermost first.
// RUN: %clang %tsmem -O0 %s %link_tsmem -o %t0 && %t0 | FileCheck %s
// RUN: %clang %tsmem -O2 %s %link_tsmem -o %t2 && %t2 | FileCheck %s
// RUN: %clang %tsmem -O1 -g %s %link_san -o %ts && %ts | FileCheck %s
#include <stdio.h>
#include <tsmem.h>

static ts_tensor *make(void) { return ts_ones(TS_SHAPE(3), TS_FLOAT32); }

static void report(const char *What) {
  printf("%s: depth=%d live=%zu\n", What, ts_scope_depth(),
         ts_memory().live_tensors);
}

static void nested(void) {
  TS_SCOPE {
    make();
    TS_SCOPE {
      make();
      make();
      TS_SCOPE {
        printf("innermost: depth=%d\n", ts_scope_depth());
        return;
      }
    }
  }
}

// Each level keeps its tensor until the levels below have returned.
static int recurse(int N) {
  TS_SCOPE {
    ts_tensor *T = make();
    if (N == 0)
      return ts_scope_depth();
    int Deepest = recurse(N - 1);
    return Deepest + (ts_numel(T) == 3 ? 0 : 1000);
  }
}

static int guarded(int Early) {
  TS_SCOPE_GUARD();
  make();
  if (Early)
    return ts_scope_depth();
  TS_SCOPE { return ts_scope_depth() * 10 + (int)ts_scope_tensor_count(); }
}

int main(void) {
  nested();
  // CHECK: innermost: depth=3
  report("nested");
  // CHECK-NEXT: nested: depth=0 live=0
  printf("recursion: %d\n", recurse(4));
  // CHECK-NEXT: recursion: 5
  report("recursion");
  // CHECK-NEXT: recursion: depth=0 live=0
  printf("guard: %d %d\n", guarded(1), guarded(0));
  // CHECK-NEXT: guard: 1 20
  report("guard");
  // CHECK-NEXT: guard: depth=0 live=0
  return 0;
}
