// Under the plugin TS_SCOPED is the plugin's tsmem_scoped attribute, which
// puts annotate("tsmem.scope") on the function once its body is parsed; a
// definition with no other attribute has it taken off again before code
// generation, and the pass is told directly (ScopedAttr.h). The object and
// the diagnostics are those of the annotation written out, kept on.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %clang %tsmem -O0 -S -emit-llvm -o %t/mark.ll %s 2> %t/mark.txt
// RUN: %clang %tsmem -DSPELLED -O0 -S -emit-llvm -o %t/spelled.ll %s 2> %t/spelled.txt
// RUN: diff %t/mark.ll %t/spelled.ll
// RUN: diff %t/mark.txt %t/spelled.txt
// RUN: %clang %tsmem -fsyntax-only %s 2> %t/syntax.txt
// RUN: diff %t/mark.txt %t/syntax.txt
// RUN: FileCheck %s < %t/mark.ll
// RUN: grep llvm.global.annotations %t/mark.ll | FileCheck %s --check-prefix=ANN
// RUN: FileCheck %s --check-prefix=DIAG < %t/mark.txt
// RUN: %clang %tsmem -O0 -c -o %t/mark.o %s 2> /dev/null
// RUN: %clang %tsmem -DSPELLED -O0 -c -o %t/spelled.o %s 2> /dev/null
// RUN: env TSMEM_KEEP_SCOPED_MARK=1 %clang %tsmem -O0 -c -o %t/kept.o %s 2> %t/kept.txt
// RUN: cmp %t/mark.o %t/spelled.o
// RUN: cmp %t/mark.o %t/kept.o
// RUN: diff %t/mark.txt %t/kept.txt
#include <tsmem.h>

#ifdef SPELLED
#undef TS_SCOPED
#define TS_SCOPED __attribute__((annotate("tsmem.scope")))
#endif

// Other annotations before and after the mark: it stays, in its place.
__attribute__((annotate("first"))) TS_SCOPED __attribute__((annotate("last")))
ts_tensor *made(void) {
  return ts_ones(TS_SHAPE(2), TS_FLOAT32);
}
// DIAG: scoped-mark.c:[[@LINE-2]]:10: warning: {{.*}}[tsmem-unescaped-return]

// One inherited from a prototype: it stays too.
__attribute__((annotate("before"))) double declared(int n);

TS_SCOPED double declared(int n) {
  ts_tensor *t = ts_full(TS_SHAPE(2), TS_FLOAT32, n);
  return ts_item(ts_sum(t));
}

// The mark alone: taken off, still a scope for the analysis and the pass.
TS_SCOPED static ts_tensor *only(void) {
  return ts_zeros(TS_SHAPE(2), TS_FLOAT32);
}
// DIAG: scoped-mark.c:[[@LINE-2]]:10: warning: {{.*}}[tsmem-unescaped-return]

// Never used: not emitted, as before.
TS_SCOPED static void unused(void) {}

// A declaration after the definition.
double declared(int n);

double caller(void) {
  ts_tensor *t = ts_escape(only());
  double d = declared(2) + ts_item(t);
  ts_free(t);
  return d;
}

// CHECK-LABEL: define {{.*}} @made(
// CHECK: call i64 @ts_scope_begin()
// CHECK-LABEL: define {{.*}} @declared(
// CHECK: call i64 @ts_scope_begin()
// CHECK-LABEL: define {{.*}} @caller(
// CHECK-LABEL: define internal ptr @only(
// CHECK: call i64 @ts_scope_begin()
// CHECK: call i32 @ts_scope_end(
// CHECK-NOT: @unused(
// ANN-NOT: @only
// ANN: @made, {{.*}}@made, {{.*}}@made,
// ANN-NOT: @only
// ANN: @declared, {{.*}}@declared,
// ANN-NOT: @only
