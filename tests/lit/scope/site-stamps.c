// A call whose tensor goes straight into another tensor call written on the
// same line needs no site of its own: the pass leaves it as it is, and the
// outer call's twin gets a stamp bit (bit 20 for its first tensor argument,
// bit 21 for its second) that has the runtime give that tensor the same
// site. Only calls that feed nothing else, into a tensor parameter of a
// call that keeps its own site, on the same line, are left.
// RUN: %clang %tsmem -w -O0 -S -emit-llvm -o %t0.ll %s
// RUN: FileCheck %s < %t0.ll
// RUN: %clang %tsmem -w -O2 -S -emit-llvm -o %t2.ll %s
// RUN: FileCheck %s < %t2.ll
// RUN: %clang %tsmem -w -O0 %s %link_tsmem -o %t
// RUN: env TSMEM_LEAK_REPORT=1 %t 2>&1 | FileCheck %s --check-prefix=REPORT
#include <tsmem.h>

static ts_tensor *Kept[8];

// The sites of nests() and kept_sites(): each site is key + stamp bits + line.
// CHECK: @tsmem.sites = private constant [4 x { i64, ptr, ptr }] [{ i64, ptr, ptr } { i64 [[#%d,KEY:]], ptr {{[^}]+}} }, { i64, ptr, ptr } { i64 [[#%d,KEPT:]], ptr

// CHECK-LABEL: define {{.*}} @nests(
void nests(const ts_tensor *X, const ts_tensor *W) {
  // ts_matmul's tensor goes to ts_add, which stamps it; ts_add's goes to
  // ts_relu, which cannot stamp it too: ts_add keeps its site argument.
  Kept[0] = ts_relu(ts_add(ts_matmul(X, W), X));
  // CHECK: call ptr @ts_matmul(
  // CHECK: call ptr @ts__add_at({{.*}}, i64 [[#%d,KEY+0x100000+@LINE-2]])
  // CHECK: call ptr @ts__relu_at({{.*}}, i64 [[#%d,KEY+@LINE-3]])

  // Both arguments stamped.
  Kept[1] = ts_sub(ts_zeros(TS_SHAPE(2), TS_FLOAT32), ts_ones(TS_SHAPE(2), TS_FLOAT32));
  // CHECK: call ptr @ts_zeros(
  // CHECK: call ptr @ts_ones(
  // CHECK: call ptr @ts__sub_at({{.*}}, i64 [[#%d,KEY+0x300000+@LINE-3]])

  // The second tensor parameter only.
  Kept[2] = ts_mse_loss(X, ts_neg(X));
  // CHECK: call ptr @ts_neg(
  // CHECK: call ptr @ts__mse_loss_at({{.*}}, i64 [[#%d,KEY+0x200000+@LINE-2]])
}

// CHECK-LABEL: define {{.*}} @kept_sites(
void kept_sites(const ts_tensor *X) {
  // Another line: each call has its own site.
  Kept[3] = ts_relu(
      ts_neg(X));
  // CHECK: call ptr @ts__neg_at({{.*}}, i64 [[#%d,KEPT+@LINE-1]])
  // CHECK: call ptr @ts__relu_at({{.*}}, i64 [[#%d,KEPT+@LINE-3]])

  // Into a function that is not a tensor call.
  Kept[4] = ts_escape(ts_exp(X));
  // CHECK: call ptr @ts__exp_at({{.*}}, i64 [[#%d,KEPT+@LINE-1]])
}

// Into a parameter that is not a tensor (compiled, never run).
// CHECK-LABEL: define {{.*}} @not_a_tensor(
// CHECK: call ptr @ts__log_at(
// CHECK: call ptr @ts__reshape_at(
void not_a_tensor(const ts_tensor *X) {
  Kept[5] = ts_reshape(X, (const int64_t *)ts_log(X), 1);
}

int main(void) {
  ts_tensor *X = ts_ones(TS_SHAPE(2, 2), TS_FLOAT32);
  ts_tensor *W = ts_ones(TS_SHAPE(2, 2), TS_FLOAT32);
  nests(X, W);
  ts_scope_id Scope = ts_scope_begin();
  kept_sites(X);
  ts_scope_end(Scope);
  return 0;
}
// Every tensor made in nests() is named by its line, the stamped ones too;
// of kept_sites()'s, only the escaped one outlives its scope.
// REPORT: tsmem: leak report: 11 tensors, {{[0-9]+}} bytes alive at exit
// REPORT-DAG: 3 tensors, 48 bytes at {{.*}}site-stamps.c:[[#@LINE-50]] in nests
// REPORT-DAG: 3 tensors, 24 bytes at {{.*}}site-stamps.c:[[#@LINE-45]] in nests
// REPORT-DAG: 2 tensors, 20 bytes at {{.*}}site-stamps.c:[[#@LINE-40]] in nests
// REPORT-DAG: 1 tensors, 16 bytes at {{.*}}site-stamps.c:[[#@LINE-27]] in kept_sites
// REPORT-DAG: 1 tensors, 16 bytes at {{.*}}site-stamps.c:[[#@LINE-14]] in main
// REPORT-DAG: 1 tensors, 16 bytes at {{.*}}site-stamps.c:[[#@LINE-16]] in main
// REPORT-NOT: unknown site
