// A tensor leaked by a plugin-built program: TSMEM_LEAK_REPORT=1 names the
// file:line and function where the pass saw it made.
// RUN: %clang %tsmem -O0 %s %link_tsmem -o %t0
// RUN: env TSMEM_LEAK_REPORT=1 %t0 2>&1 | FileCheck %s
// RUN: %clang %tsmem -O2 %s %link_tsmem -o %t2
// RUN: env TSMEM_LEAK_REPORT=1 %t2 2>&1 | FileCheck %s
#include <tsmem.h>

// The leak is on purpose: keep the build-time check quiet about it.
static ts_tensor *Global[3];

__attribute__((noinline)) static void makeTwo(void) {
  Global[0] = ts_ones(TS_SHAPE(8, 8), TS_FLOAT32); // LEAK_BIG
  Global[1] = ts_ones(TS_SHAPE(8, 8), TS_FLOAT32); // LEAK_BIG
}

int main(void) {
  makeTwo();
  TS_SCOPE { ts_zeros(TS_SHAPE(100), TS_FLOAT32); } // freed: not reported
  Global[2] = ts_zeros(TS_SHAPE(2), TS_FLOAT32); // LEAK_SMALL
  return 0;
}
// Most bytes first: 2 x 256 bytes at two lines of makeTwo, then 8 in main.
// CHECK: tsmem: leak report: 3 tensors, 520 bytes alive at exit
// CHECK-DAG: leak-report.c:[[#@LINE-12]] in makeTwo
// CHECK-DAG: leak-report.c:[[#@LINE-12]] in makeTwo
// CHECK: leak-report.c:[[#@LINE-7]] in main
