; A function annotated "tsmem.scope" (TS_SCOPED, or any front end that
; writes the annotation) becomes one scope: ts_scope_begin on entry,
; ts_scope_end before every ret, after the returned value is computed.
; Other functions are untouched; running the pass twice changes nothing more.
; RUN: %opt_tsmem -passes=tsmem -S %s | FileCheck %s
; RUN: %opt_tsmem -passes=tsmem,tsmem -S %s | FileCheck %s
; RUN: %opt_tsmem -passes=tsmem -S %s | %opt_tsmem -passes=tsmem -S | FileCheck %s

@.scope = private unnamed_addr constant [12 x i8] c"tsmem.scope\00", section "llvm.metadata"
@.other = private unnamed_addr constant [6 x i8] c"other\00", section "llvm.metadata"
@.file = private unnamed_addr constant [5 x i8] c"a.ll\00", section "llvm.metadata"
@llvm.global.annotations = appending global [3 x { ptr, ptr, ptr, i32, ptr }] [
  { ptr, ptr, ptr, i32, ptr } { ptr @twoReturns, ptr @.scope, ptr @.file, i32 1, ptr null },
  { ptr, ptr, ptr, i32, ptr } { ptr @voidFn, ptr @.scope, ptr @.file, i32 2, ptr null },
  { ptr, ptr, ptr, i32, ptr } { ptr @otherAnnotation, ptr @.other, ptr @.file, i32 3, ptr null }
], section "llvm.metadata"

; nounwind: unwinding is tested in scoped-unwind.ll.
declare ptr @make() nounwind
declare i64 @use(ptr) nounwind

; CHECK-LABEL: define i64 @twoReturns(i1 %c)
; CHECK-NEXT: entry:
; CHECK-NEXT: %slot = alloca i64
; CHECK-NEXT: [[ID:%.*]] = call i64 @ts_scope_begin()
; CHECK-NEXT: %t = call ptr @make()
; CHECK: early:
; CHECK-NEXT: %v = call i64 @use(ptr %t)
; CHECK-NEXT: call i32 @ts_scope_end(i64 [[ID]])
; CHECK-NEXT: ret i64 %v
; CHECK: late:
; CHECK-NEXT: call i32 @ts_scope_end(i64 [[ID]])
; CHECK-NEXT: ret i64 0
; CHECK-NOT: ts_scope_
; CHECK: }
define i64 @twoReturns(i1 %c) {
entry:
  %slot = alloca i64
  %t = call ptr @make()
  br i1 %c, label %early, label %late
early:
  %v = call i64 @use(ptr %t)
  ret i64 %v
late:
  ret i64 0
}

; CHECK-LABEL: define void @voidFn()
; CHECK-NEXT: [[ID:%.*]] = call i64 @ts_scope_begin()
; CHECK-NEXT: call ptr @make()
; CHECK-NEXT: call i32 @ts_scope_end(i64 [[ID]])
; CHECK-NEXT: ret void
define void @voidFn() {
  call ptr @make()
  ret void
}

; CHECK-LABEL: define void @otherAnnotation()
; CHECK-NEXT: call ptr @make()
; CHECK-NEXT: ret void
define void @otherAnnotation() {
  call ptr @make()
  ret void
}

; CHECK-LABEL: define void @notAnnotated()
; CHECK-NEXT: call ptr @make()
; CHECK-NEXT: ret void
define void @notAnnotated() {
  call ptr @make()
  ret void
}

; The runtime functions are declared when the module lacks them.
; CHECK-DAG: declare i64 @ts_scope_begin()
; CHECK-DAG: declare i32 @ts_scope_end(i64)
