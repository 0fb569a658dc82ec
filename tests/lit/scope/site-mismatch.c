// When the plugin's list of a function's tensor calls and the IR's calls do
// not match callee for callee (here clang emits nothing after a loop that
// never exits, which the list does not know), the pass gives that function
// no sites rather than a wrong line; other functions keep theirs.
// The leak report then names the call by its return address, symbolized
// (the function; no line, as there is no debug information).
// RUN: %clang %tsmem -w -O0 -S -emit-llvm -o - %s | FileCheck %s
// RUN: %clang %tsmem -w -O0 %s %link_tsmem -rdynamic -o %t
// RUN: env TSMEM_LEAK_REPORT=1 %t 2>&1 | FileCheck %s --check-prefix=REPORT
#include <tsmem.h>

static ts_tensor *Kept[2];

// CHECK-LABEL: define {{.*}} @unmatched(
// CHECK: call ptr @ts_relu(
// CHECK-NOT: _at(
// CHECK: ret void
void unmatched(ts_tensor *A) {
  Kept[0] = ts_relu(A);
  for (;;)
    if (ts_numel(A) > 0)
      return;
  ts_neg(A);
}

// CHECK-LABEL: define {{.*}} @main(
// CHECK: call ptr @ts__zeros_at(
int main(void) {
  ts_tensor *A = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  unmatched(A);
  Kept[1] = A;
  return 0;
}
// REPORT: tsmem: leak report: 2 tensors, 16 bytes alive at exit
// REPORT-DAG: site-mismatch.c:[[#@LINE-6]] in main
// REPORT-DAG: 1 tensors, 8 bytes at unmatched (site-mismatch.c.tmp)
