; A TS_SCOPED function that may throw ends its scope on the unwind path too
; (issue 20): each call that may throw becomes an invoke whose landing pad
; ends the scope and resumes; the function's own landing pads also stop for
; cleanups, and the scope ends before each `resume`. Calls that cannot
; throw, nounwind functions and the runtime's calls are left as they are.
; RUN: %opt_tsmem -passes=tsmem -S %s | FileCheck %s
; RUN: %opt_tsmem -passes=tsmem,tsmem -S %s | FileCheck %s

@.scope = private unnamed_addr constant [12 x i8] c"tsmem.scope\00", section "llvm.metadata"
@.file = private unnamed_addr constant [5 x i8] c"a.ll\00", section "llvm.metadata"
@typeinfo = external constant ptr
@llvm.global.annotations = appending global [3 x { ptr, ptr, ptr, i32, ptr }] [
  { ptr, ptr, ptr, i32, ptr } { ptr @_Z6throwsv, ptr @.scope, ptr @.file, i32 1, ptr null },
  { ptr, ptr, ptr, i32, ptr } { ptr @_Z7catchesv, ptr @.scope, ptr @.file, i32 2, ptr null },
  { ptr, ptr, ptr, i32, ptr } { ptr @noThrow, ptr @.scope, ptr @.file, i32 3, ptr null }
], section "llvm.metadata"

declare ptr @make() nounwind
declare void @mayThrow()
declare i32 @__gxx_personality_v0(...)

; CHECK-LABEL: define void @_Z6throwsv() {{.*}}personality ptr @__gxx_personality_v0
; CHECK-NEXT: [[ID:%.*]] = call i64 @ts_scope_begin()
; CHECK-NEXT: call ptr @make()
; CHECK-NEXT: invoke void @mayThrow()
; CHECK-NEXT: to label %{{.*}} unwind label %[[PAD:.*]]
; CHECK: call i32 @ts_scope_end(i64 [[ID]])
; CHECK-NEXT: ret void
; CHECK: [[PAD]]:
; CHECK-NEXT: [[LP:%.*]] = landingpad { ptr, i32 }
; CHECK-NEXT: cleanup
; CHECK-NEXT: call i32 @ts_scope_end(i64 [[ID]])
; CHECK-NEXT: resume { ptr, i32 } [[LP]]
define void @_Z6throwsv() {
  call ptr @make()
  call void @mayThrow()
  ret void
}

; A catch of one type: the landing pad now also stops for cleanups, and the
; scope ends before the resume of what it does not catch.
; CHECK-LABEL: define void @_Z7catchesv()
; CHECK: invoke void @mayThrow()
; CHECK: landingpad { ptr, i32 }
; CHECK-NEXT: cleanup
; CHECK-NEXT: catch ptr @typeinfo
; CHECK: rethrow:
; CHECK-NEXT: call i32 @ts_scope_end(
; CHECK-NEXT: resume
; CHECK: done:
; CHECK-NEXT: call i32 @ts_scope_end(
; CHECK-NEXT: ret void
define void @_Z7catchesv() personality ptr @__gxx_personality_v0 {
entry:
  invoke void @mayThrow() to label %done unwind label %lpad
lpad:
  %lp = landingpad { ptr, i32 } catch ptr @typeinfo
  %sel = extractvalue { ptr, i32 } %lp, 1
  %c = icmp eq i32 %sel, 1
  br i1 %c, label %done, label %rethrow
rethrow:
  resume { ptr, i32 } %lp
done:
  ret void
}

; nounwind: no landing pad.
; CHECK-LABEL: define void @noThrow()
; CHECK-NOT: invoke
; CHECK-NOT: landingpad
; CHECK: ret void
define void @noThrow() nounwind {
  call ptr @make()
  call void @mayThrow()
  ret void
}
