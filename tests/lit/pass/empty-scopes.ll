; Scopes that provably register nothing are dropped: the function calls only
; its own scope begin and end (directly or through the TS_SCOPE_GUARD()
; cleanup), intrinsics, and functions known to make no tensor. Any other
; call, or an id that leaves the begin-to-end plumbing, keeps the scope.
; RUN: %opt_tsmem -passes=tsmem -S %s | FileCheck %s

@.scope = private unnamed_addr constant [12 x i8] c"tsmem.scope\00", section "llvm.metadata"
@.file = private unnamed_addr constant [5 x i8] c"a.ll\00", section "llvm.metadata"
@llvm.global.annotations = appending global [2 x { ptr, ptr, ptr, i32, ptr }] [
  { ptr, ptr, ptr, i32, ptr } { ptr @scopedArithmetic, ptr @.scope, ptr @.file, i32 1, ptr null },
  { ptr, ptr, ptr, i32, ptr } { ptr @scopedDepth, ptr @.scope, ptr @.file, i32 2, ptr null }
], section "llvm.metadata"
@saved = global i64 0

declare i64 @ts_scope_begin()
declare i32 @ts_scope_end(i64)
declare i32 @ts_scope_depth()
declare ptr @ts_zeros(ptr, i32, i32)
declare i64 @ts_numel(ptr)
declare i32 @printf(ptr, ...)
declare void @unknown()
declare void @llvm.lifetime.start.p0(i64, ptr)
declare void @llvm.lifetime.end.p0(i64, ptr)

; TS_SCOPED on a function that only computes: no scope at all.
; CHECK-LABEL: define i32 @scopedArithmetic(
; CHECK-NOT: ts_scope
; CHECK: ret i32
define i32 @scopedArithmetic(i32 %x) {
  %y = mul i32 %x, 3
  ret i32 %y
}

; ts_scope_depth sees the scope: kept.
; CHECK-LABEL: define i32 @scopedDepth(
; CHECK: call i64 @ts_scope_begin()
; CHECK: call i32 @ts_scope_end(
define i32 @scopedDepth() {
  %d = call i32 @ts_scope_depth()
  ret i32 %d
}

; Hand-written begin/end around printf and a tensor query: dropped, and the
; status of the end is TS_OK for whoever reads it.
; CHECK-LABEL: define i32 @handWritten(
; CHECK-NOT: ts_scope
; CHECK: call i64 @ts_numel(ptr %t)
; CHECK-NOT: ts_scope
; CHECK: ret i32 0
define i32 @handWritten(ptr %fmt, ptr %t) {
  %id = call i64 @ts_scope_begin()
  %n = call i64 @ts_numel(ptr %t)
  call i32 (ptr, ...) @printf(ptr %fmt, i64 %n)
  %s = call i32 @ts_scope_end(i64 %id)
  ret i32 %s
}

; The -O0 shape of TS_SCOPE / TS_SCOPE_GUARD(): the id in a local, ended by
; the guard's cleanup; a call to a defined function that makes no tensor.
; CHECK-LABEL: define void @guarded(
; CHECK-NOT: ts_scope_begin
; CHECK-NOT: ts__scope_guard_end
; CHECK: call i32 @helper(
; CHECK-NOT: ts__scope_guard_end
; CHECK: ret void
define void @guarded(i32 %x) {
  %guard = alloca i64
  call void @llvm.lifetime.start.p0(i64 8, ptr %guard)
  %id = call i64 @ts_scope_begin()
  store i64 %id, ptr %guard
  %r = call i32 @helper(i32 %x)
  call void @ts__scope_guard_end(ptr %guard)
  call void @llvm.lifetime.end.p0(i64 8, ptr %guard)
  ret void
}

define internal i32 @helper(i32 %x) {
  %r = call i32 @recursive(i32 %x)
  ret i32 %r
}

define internal i32 @recursive(i32 %x) {
  %c = icmp eq i32 %x, 0
  br i1 %c, label %done, label %again
again:
  %y = sub i32 %x, 1
  %r = call i32 @recursive(i32 %y)
  ret i32 %r
done:
  ret i32 0
}

; Still used by @keptGuard, so the cleanup stays.
; CHECK: define internal void @ts__scope_guard_end(
define internal void @ts__scope_guard_end(ptr %p) {
  %id = load i64, ptr %p
  %s = call i32 @ts_scope_end(i64 %id)
  ret void
}

; An unknown callee may make tensors: kept.
; CHECK-LABEL: define void @keptGuard(
; CHECK: call i64 @ts_scope_begin()
; CHECK: call void @ts__scope_guard_end(
define void @keptGuard() {
  %guard = alloca i64
  %id = call i64 @ts_scope_begin()
  store i64 %id, ptr %guard
  call void @unknown()
  call void @ts__scope_guard_end(ptr %guard)
  ret void
}

; A tensor-making call: kept.
; CHECK-LABEL: define void @makesTensor(
; CHECK: call i64 @ts_scope_begin()
; CHECK: call i32 @ts_scope_end(
define void @makesTensor(ptr %shape) {
  %id = call i64 @ts_scope_begin()
  %t = call ptr @ts_zeros(ptr %shape, i32 1, i32 0)
  %s = call i32 @ts_scope_end(i64 %id)
  ret void
}

; An indirect call: kept.
; CHECK-LABEL: define void @indirect(
; CHECK: call i64 @ts_scope_begin()
; CHECK: call i32 @ts_scope_end(
define void @indirect(ptr %fn) {
  %id = call i64 @ts_scope_begin()
  call void %fn()
  %s = call i32 @ts_scope_end(i64 %id)
  ret void
}

; The id escapes to a global: someone else may end the scope. Kept.
; CHECK-LABEL: define void @idEscapes(
; CHECK: call i64 @ts_scope_begin()
define void @idEscapes() {
  %id = call i64 @ts_scope_begin()
  store i64 %id, ptr @saved
  ret void
}

; Ends a scope its caller began: kept.
; CHECK-LABEL: define void @endsCallersScope(
; CHECK: call i32 @ts_scope_end(i64 %id)
define void @endsCallersScope(i64 %id) {
  %inner = call i64 @ts_scope_begin()
  %s1 = call i32 @ts_scope_end(i64 %inner)
  %s2 = call i32 @ts_scope_end(i64 %id)
  ret void
}
