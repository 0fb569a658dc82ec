// Tensors leaked from generated operators: TSMEM_LEAK_REPORT=1 names the
// file:line where each was made, for single results, several results
// (ts_max_dim writes two) and lists (ts_unbind_int).
// RUN: %clang %tsmem -O0 %s %link_tsmem -o %t0
// RUN: env TSMEM_LEAK_REPORT=1 %t0 2>&1 | FileCheck %s
// RUN: %clang %tsmem -O2 %s %link_tsmem -o %t2
// RUN: env TSMEM_LEAK_REPORT=1 %t2 2>&1 | FileCheck %s
#include <tsmem/ops.h>

// The leaks are on purpose: keep the build-time check quiet about them.
static ts_tensor *Global[8];

__attribute__((noinline)) static void leakSome(const ts_tensor *x) {
  Global[0] = ts_conv2d(x, x, NULL, TS_SHAPE(1, 1), TS_SHAPE(0, 0), TS_SHAPE(1, 1), 1); // CONV
  ts_max_dim(&Global[1], x, 1, false); // MAX
  int n;
  ts_unbind_int(&Global[3], 4, &n, x, 0); // UNBIND
}

int main(void) {
  ts_tensor *x = ts_ones(TS_SHAPE(1, 1, 4, 4), TS_FLOAT32);
  TS_SCOPE { ts_abs(x); } // freed: not reported
  leakSome(x);
  ts_free(x);
  return 0;
}
// conv2d: [1,1,1,1] 4 bytes; max.dim: values [1,4,4] 64 bytes and indices
// 128 bytes; unbind: one [1,4,4] 64-byte view.
// CHECK: tsmem: leak report: 4 tensors, 260 bytes alive at exit
// CHECK-DAG: 1 tensors, 4 bytes at {{.*}}leak-report.c:[[#@LINE-16]] in leakSome
// CHECK-DAG: 2 tensors, 192 bytes at {{.*}}leak-report.c:[[#@LINE-16]] in leakSome
// CHECK-DAG: 1 tensors, 64 bytes at {{.*}}leak-report.c:[[#@LINE-15]] in leakSome
