// Where TS_SCOPE puts ts_scope_begin and the scope's end in the IR, at -O0
// (calls, the end in the guard's cleanup, ts__scope_guard_end) and at -O2
// (inlined from tsmem.h: direct calls of the fast paths, ts__scope_begin_fast
// and ts__scope_end_fast): around the block or each iteration's body,
// nowhere else.
// RUN: %clang %tsmem -O0 -S -emit-llvm -o - %s | FileCheck %s --check-prefixes=CHECK,O0
// RUN: %clang %tsmem -O2 -S -emit-llvm -o - %s | FileCheck %s --check-prefixes=CHECK,O2
#include <tsmem.h>

ts_tensor *use(ts_tensor *T);
void before(void);
void after(void);

// CHECK-LABEL: define {{.*}} @block(
// CHECK: call void @before()
// O0: call i64 @ts_scope_begin()
// O2: call i64 @ts__scope_begin_fast()
// CHECK: call ptr @ts__ones_at(
// CHECK: [[N:%[0-9]+]] = call i64 @ts_numel(
// O0: call void @ts__scope_guard_end(
// O2: call i32 @ts__scope_end_fast(
// CHECK-NOT: {{ts_+scope_begin}}
// CHECK: ret i64 [[N]]
// CHECK-NEXT: }
long block(void) {
  before();
  TS_SCOPE {
    ts_tensor *T = ts_ones(TS_SHAPE(2), TS_FLOAT32);
    return ts_numel(use(T));
  }
}

// Each test of the condition opens a scope that the body and the increment
// share: N iterations, N + 1 scopes, the last one around the failing test.
// O2-LABEL: define {{.*}} @loop(
// O2: call void @before()
// (the trip count may be computed between the call and the begin)
// O2: call i64 @ts__scope_begin_fast()
// O2-NOT: call ptr @use(
// O2: call i32 @ts__scope_end_fast(
// O2-NEXT: call void @after()
// O2-NOT: {{ts_+scope}}
// O2: ret void
// O2-NOT: call ptr @use(
// O2: call ptr @use(ptr noundef null)
// O2-NOT: call
// O2: call i32 @ts__scope_end_fast(
// O2-NEXT: call i64 @ts__scope_begin_fast()
// O2-NOT: {{ts_+scope}}
// O2: }
void loop(int N) {
  before();
  TS_SCOPE for (int I = 0; I < N; ++I)
    use(0);
  after();
}

// One begin per scope in the source, whatever the exits.
// O0-LABEL: define {{.*}} @exits(
// O0: call i32 @ts__loop_scope_open(
// O0: call i64 @ts_scope_begin()
// O0-NOT: {{call .*@ts(_scope_begin|__loop_scope_open)\(}}
// O0: }
int exits(int N) {
  TS_SCOPE for (int I = 0; I < N; ++I) {
    if (I == 1)
      continue;
    if (use(0))
      break;
    TS_SCOPE {
      before(); // an unknown call keeps the scope (EmptyScopes.cpp)
      if (I == 2)
        goto out;
      switch (I) {
      case 3:
        return I;
      default:
        break;
      }
    }
  }
out:
  return 0;
}
