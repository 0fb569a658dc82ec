// A TS_SCOPE loop means what the loop means without TS_SCOPE, whatever its
// body: labelled statements, if/else, switch, nested loops, the null
// statement, `do L: switch (...) {...} while (...)` (issue 20: the body was
// read up to the next `;`, which took the statement after a labelled body
// into the loop). Built with and without TS_SCOPE, same output.
// RUN: %clang %tsmem -O0 %s %link_tsmem -o %t0 && %t0 | FileCheck %s
// RUN: %clang %tsmem -O2 %s %link_tsmem -o %t2 && %t2 | FileCheck %s
// RUN: %clang %tsmem -O0 -DUNSCOPED %s %link_tsmem -o %tu && %tu | FileCheck %s
#include <stdio.h>
#include <tsmem.h>

#ifdef UNSCOPED
#define SC
#else
#define SC TS_SCOPE
#endif

static int Depth; // the deepest scope seen: 1 with TS_SCOPE, 0 without
static int see(void) {
  if (ts_scope_depth() > Depth)
    Depth = ts_scope_depth();
  return 1;
}

// clang-format off
int main(void) {
  int N = 0, K = 0;
  SC for (int I = 0; I < 3; I++) L1: { N += see(); }  N += 1000;
  printf("labelled block: %d\n", N);
  // CHECK: labelled block: 1003
  N = 0;
  SC for (int I = 0; I < 3; I++) L2: for (int J = 0; J < 2; J++) { N += see(); }  N += 1000;
  printf("labelled loop: %d\n", N);
  // CHECK-NEXT: labelled loop: 1006
  N = 0;
  SC for (int I = 0; I < 3; I++) L3: N += see();  N += 1000;
  printf("labelled expression: %d\n", N);
  // CHECK-NEXT: labelled expression: 1003
  N = 0;
  SC while (K < 4) L4: L5: if (K++ & 1) N += see(); N += 100;
  printf("labelled if: %d\n", N);
  // CHECK-NEXT: labelled if: 102
  N = 0, K = 0;
  SC do L6: switch (K) { case 0: N += see(); break; default: N += 2; } while (++K < 3);
  printf("do labelled switch: %d\n", N);
  // CHECK-NEXT: do labelled switch: 5
  N = 0, K = 0;
  SC for (K = 0; K < 6; K++) if (K & 1) if (K > 2) N += 10; else N += 1; else N += 100;
  printf("if else chains: %d\n", N);
  // CHECK-NEXT: if else chains: 321
  N = 0;
  SC for (K = 0; K < 5; K++) switch (K) case 1: case 3: N += see();  N += 1000;
  printf("switch body: %d\n", N);
  // CHECK-NEXT: switch body: 1002
  N = 0;
  SC while (N++ < 5) ;  N += 1000;
  printf("null body: %d\n", N);
  // CHECK-NEXT: null body: 1006
  N = 0;
  SC for (int I = 0; I < 2; I++) SC for (int J = 0; J < 3; J++) SC while (N < 100) { N += 40; see(); }
  printf("nested: %d\n", N);
  // CHECK-NEXT: nested: 120
  N = 0, K = 0;
  SC do SC do N += see(); while (++K % 3); while (K < 6);
  printf("nested do: %d\n", N);
  // CHECK-NEXT: nested do: 6
  N = 0;
  SC for (int I = 0; I < 4; I++) { if (I == 2) goto skip; N += 1; } skip: N += 1000;
  printf("goto out: %d\n", N);
  // CHECK-NEXT: goto out: 1002
  N = 0;
  SC for (int I = ({ int T = 1; T; }), J = (int){2}; I < J + 2; I += 1) N += I;
  printf("statement expression init: %d\n", N);
  // CHECK-NEXT: statement expression init: 6
  N = 0;
  SC _Pragma("clang loop unroll(disable)") for (int I = 0; I < 3; I++) N += see();
  SC
#pragma clang loop vectorize(disable)
  while (N < 10) N += see();
  SC _Pragma("clang loop unroll(disable)") do N += see(); while (N < 12);
  printf("loop pragmas: %d\n", N);
  // CHECK-NEXT: loop pragmas: 12
  printf("depth now: %d\n", ts_scope_depth());
  // CHECK-NEXT: depth now: 0
  return Depth > 3; // 3 nested scopes at most
}
// clang-format on
