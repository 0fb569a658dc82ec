// The plugin lists each function's tensor calls in the order Clang's code
// generator emits them, and the pass pairs the list with the IR's calls,
// callee for callee: every call is told the line it was written on, without
// debug info. Where the orders differ (a loop's increment comes after its
// body, an assignment's right side before its left) or code is dead, a
// mistake would show as calls left without a site.
// The site is a constant argument: the key of the function's sites plus the
// line (see runtime/sites.c).
// RUN: %clang %tsmem -w -O0 -S -emit-llvm -o %t0.ll %s
// RUN: FileCheck %s < %t0.ll && FileCheck %s --check-prefix=DEAD < %t0.ll
// RUN: %clang %tsmem -w -O2 -S -emit-llvm -o %t2.ll %s
// RUN: FileCheck %s < %t2.ll && FileCheck %s --check-prefix=DEAD < %t2.ll
#include <tsmem.h>

#define MAKE_ONES() ts_ones(TS_SHAPE(2), TS_FLOAT32)

// The function's sites: {key, file, function}; each site is key + line.
// CHECK: @tsmem.sites = private constant [1 x { i64, ptr, ptr }] [{ i64, ptr, ptr } { i64 [[#%d,KEY:]], ptr
// CHECK-LABEL: define {{.*}} @order(
// Every call has its site, and dead code has no calls.
// DEAD-LABEL: define {{.*}} @order(
// DEAD-NOT: call ptr @ts_{{[a-z]}}
// DEAD-NOT: @ts__sigmoid_at
// DEAD-NOT: @ts__log_at
// DEAD-NOT: @ts__sub_at
// DEAD: ret void
void order(ts_tensor **out, int n) {
  // (On one line, ts_relu would stamp ts_zeros's tensor: site-stamps.c.)
  ts_tensor *a = ts_relu(                // CHECK-DAG: @ts__relu_at({{.*}}, i64 [[#%d,KEY+@LINE]])
      ts_zeros(TS_SHAPE(2), TS_FLOAT32)); // CHECK-DAG: @ts__zeros_at({{.*}}, i64 [[#%d,KEY+@LINE]])
  for (int i = 0; i < n;
       i += (int)ts_numel(ts_tanh(a))) // CHECK-DAG: @ts__tanh_at({{.*}}, i64 [[#%d,KEY+@LINE]])
    ts_exp(a);                         // CHECK-DAG: @ts__exp_at({{.*}}, i64 [[#%d,KEY+@LINE]])
  out[ts_numel(ts_clone(a))] =          // CHECK-DAG: @ts__clone_at({{.*}}, i64 [[#%d,KEY+@LINE]])
      ts_neg(a);                        // CHECK-DAG: @ts__neg_at({{.*}}, i64 [[#%d,KEY+@LINE]])
  out[1] = MAKE_ONES();                 // CHECK-DAG: @ts__ones_at({{.*}}, i64 [[#%d,KEY+@LINE]])
  out[2] = n > 1 ? ts_mean(a) : ts_sum(a); // CHECK-DAG: @ts__sum_at({{.*}}, i64 [[#%d,KEY+@LINE]])
  if (0)
    ts_sigmoid(a);
  if (sizeof(ts_log(a)) == 1 || __builtin_constant_p(ts_exp(a)))
    return;
  out[3] = 1 ? ts_add(a, a) : ts_sub(a, a); // CHECK-DAG: @ts__add_at({{.*}}, i64 [[#%d,KEY+@LINE]])
  return;
  ts_sub(a, a);
}
