// TS_SCOPED: the whole function body is one scope, ended on every return
// after the value is computed. The plugin runs the pass once per compile, at
// -O0 and -O2, and records where each tensor was made.
// RUN: %clang %tsmem -O0 -S -emit-llvm -o - %s | FileCheck %s --check-prefixes=IR,IR0
// RUN: %clang %tsmem -O2 -S -emit-llvm -o - %s | FileCheck %s --check-prefixes=IR,IR2
// RUN: %clang %tsmem -O2 -S -emit-llvm -o - %s | FileCheck %s --check-prefix=SITE
// RUN: %clang %tsmem -O0 %s %link_tsmem -o %t0 && %t0 | FileCheck %s
// RUN: %clang %tsmem -O2 %s %link_tsmem -o %t2 && %t2 | FileCheck %s
// RUN: %clang %tsmem -O1 -g %s %link_san -o %ts && %ts | FileCheck %s
#include <stdio.h>
#include <tsmem.h>

static void report(const char *What) {
  printf("%s: depth=%d live=%zu\n", What, ts_scope_depth(),
         ts_memory().live_tensors);
}

// IR-LABEL: define {{.*}} @sumOfOnes(
// IR0: [[ID:%[0-9]+]] = call i64 @ts_scope_begin()
// At -O2 begin and end are inlined (tsmem.h): direct calls of the fast paths.
// IR2: [[ID:%[0-9]+]] = {{(tail )?}}call i64 @ts__scope_begin_fast()
// IR: {{.*}}call ptr @ts__ones_at(
// IR: call double @ts_item(
// IR0: call i32 @ts_scope_end(i64 [[ID]])
// IR0-NEXT: ret double
// IR2: call i32 @ts__scope_end_fast(i64 noundef [[ID]])
// IR2: ret double
// IR-NOT: {{ts_+scope_begin}}
// IR: }
// The site of each tensor: the key of its function's {key, file, function},
// registered from a constructor, plus its line.
// The names are in one string: the file's first, then each function's.
// SITE: @tsmem.site.names = private unnamed_addr constant {{.*}} c"{{.*}}scoped.c\00sumOfOnes\00
// SITE: @tsmem.sites = private constant {{.*}} [{ i64, ptr, ptr } { i64 [[#%d,KEY:]], ptr @tsmem.site.names, ptr getelementptr inbounds ({{.*}}, ptr @tsmem.site.names, i64 0, i64 {{[0-9]+}}) }
// SITE: @llvm.global_ctors = {{.*}} @tsmem.register_sites
// SITE-DAG: call ptr @ts__ones_at({{.*}}, i64 [[#%d,KEY+@LINE+3]])
// SITE-DAG: call ptr @ts__sum_at({{.*}}, i64 [[#%d,KEY+@LINE+5]])
TS_SCOPED double sumOfOnes(int N) {
  ts_tensor *T = ts_ones(TS_SHAPE(N), TS_FLOAT32);
  if (N < 0)
    return -1;
  return ts_item(ts_sum(T)) + 100 * ts_scope_depth();
}

// Recursion: one scope per call, each ended on its return.
TS_SCOPED int depthAt(int N) {
  ts_ones(TS_SHAPE(1), TS_FLOAT32);
  return N == 0 ? ts_scope_depth() : depthAt(N - 1);
}

// Nothing to own: the scope is dropped (and its ts_scope_depth-free body
// cannot tell).
// IR-LABEL: define {{.*}} @twice(
// IR-NOT: {{ts_+scope|@ts__hot_v1}}
// IR: ret i32
TS_SCOPED int twice(int X) { return 2 * X; }

int main(void) {
  printf("sum: %g\n", sumOfOnes(5));
  // CHECK: sum: 105
  report("after");
  // CHECK-NEXT: after: depth=0 live=0
  printf("recursion: %d twice: %d\n", depthAt(3), twice(4));
  // CHECK-NEXT: recursion: 4 twice: 8
  report("end");
  // CHECK-NEXT: end: depth=0 live=0
  return 0;
}
