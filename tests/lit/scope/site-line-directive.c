// Sites follow #line directives, as clang's diagnostics and debug info do:
// a file generated from another names the lines of the original.
// RUN: %clang %tsmem -w -O0 %s %link_tsmem -o %t
// RUN: env TSMEM_LEAK_REPORT=1 %t 2>&1 | FileCheck %s
#include <tsmem.h>

static ts_tensor *Kept[2];

int main(void) {
  Kept[0] = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
#line 500 "model.y"
  Kept[1] = ts_relu(ts_ones(TS_SHAPE(2), TS_FLOAT32));
  return 0;
}
// CHECK: tsmem: leak report: 3 tensors, 20 bytes alive at exit
// CHECK-DAG: 2 tensors, 16 bytes at model.y:500 in main
// CHECK-DAG: 1 tensors, 4 bytes at {{.*}}site-line-directive.c:10 in main
