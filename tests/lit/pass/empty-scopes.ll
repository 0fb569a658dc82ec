; A scope begin/end pair is dropped only when no execution can tell: the id
; reaches nothing but its own ends (directly, or through one local as at -O0
; and in TS_SCOPE_GUARD()), the ends' statuses are unused, and on every path
; from the begin to its ends there is no call that could make, register or
; see a tensor, the scope stack or the last error, no return, and no second
; begin. Everything else keeps its scope (issue 19: escaping ids, ends out
; of order). Only tsmem's own functions (annotated "tsmem.runtime" by
; tsmem.h) count.
; RUN: %opt_tsmem -passes=tsmem -S %s | FileCheck %s

@.scope = private unnamed_addr constant [12 x i8] c"tsmem.scope\00", section "llvm.metadata"
@.rt = private unnamed_addr constant [14 x i8] c"tsmem.runtime\00", section "llvm.metadata"
@.file = private unnamed_addr constant [5 x i8] c"a.ll\00", section "llvm.metadata"
@llvm.global.annotations = appending global [9 x { ptr, ptr, ptr, i32, ptr }] [
  { ptr, ptr, ptr, i32, ptr } { ptr @scopedArithmetic, ptr @.scope, ptr @.file, i32 1, ptr null },
  { ptr, ptr, ptr, i32, ptr } { ptr @scopedDepth, ptr @.scope, ptr @.file, i32 2, ptr null },
  { ptr, ptr, ptr, i32, ptr } { ptr @ts_scope_begin, ptr @.rt, ptr @.file, i32 3, ptr null },
  { ptr, ptr, ptr, i32, ptr } { ptr @ts_scope_end, ptr @.rt, ptr @.file, i32 4, ptr null },
  { ptr, ptr, ptr, i32, ptr } { ptr @ts_scope_depth, ptr @.rt, ptr @.file, i32 5, ptr null },
  { ptr, ptr, ptr, i32, ptr } { ptr @ts_zeros, ptr @.rt, ptr @.file, i32 6, ptr null },
  { ptr, ptr, ptr, i32, ptr } { ptr @ts_numel, ptr @.rt, ptr @.file, i32 7, ptr null },
  { ptr, ptr, ptr, i32, ptr } { ptr @ts__scope_guard_end, ptr @.rt, ptr @.file, i32 8, ptr null },
  { ptr, ptr, ptr, i32, ptr } { ptr @ts_last_status, ptr @.rt, ptr @.file, i32 9, ptr null }
], section "llvm.metadata"
@saved = global i64 0

declare i64 @ts_scope_begin()
declare i32 @ts_scope_end(i64)
declare i32 @ts_scope_depth()
declare i32 @ts_last_status()
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
define i32 @scopedArithmetic(i32 %x) nounwind {
  %y = mul i32 %x, 3
  ret i32 %y
}

; ts_scope_depth sees the scope: kept.
; CHECK-LABEL: define i32 @scopedDepth(
; CHECK: call i64 @ts_scope_begin()
; CHECK: call i32 @ts_scope_end(
define i32 @scopedDepth() nounwind {
  %d = call i32 @ts_scope_depth()
  ret i32 %d
}

; Hand-written begin/end around printf and a tensor query, status unused:
; dropped.
; CHECK-LABEL: define void @handWritten(
; CHECK-NOT: ts_scope
; CHECK: call i64 @ts_numel(ptr %t)
; CHECK-NOT: ts_scope
; CHECK: ret void
define void @handWritten(ptr %fmt, ptr %t) {
  %id = call i64 @ts_scope_begin()
  %n = call i64 @ts_numel(ptr %t)
  call i32 (ptr, ...) @printf(ptr %fmt, i64 %n)
  %s = call i32 @ts_scope_end(i64 %id)
  ret void
}

; The same with the status returned: the caller reads it, kept.
; CHECK-LABEL: define i32 @statusUsed(
; CHECK: call i64 @ts_scope_begin()
; CHECK: %s = call i32 @ts_scope_end(i64 %id)
; CHECK: ret i32 %s
define i32 @statusUsed(ptr %t) {
  %id = call i64 @ts_scope_begin()
  %n = call i64 @ts_numel(ptr %t)
  %s = call i32 @ts_scope_end(i64 %id)
  ret i32 %s
}

; Issue 19: a = begin; b = begin; end(a); end(b); end(a). The ends fail
; (mismatch, bad scope twice) and set the last error even when nobody reads
; their statuses: all kept.
; CHECK-LABEL: define void @outOfOrder(
; CHECK: %a = call i64 @ts_scope_begin()
; CHECK: %b = call i64 @ts_scope_begin()
; CHECK: call i32 @ts_scope_end(i64 %a)
; CHECK: call i32 @ts_scope_end(i64 %b)
; CHECK: call i32 @ts_scope_end(i64 %a)
define void @outOfOrder() {
  %a = call i64 @ts_scope_begin()
  %b = call i64 @ts_scope_begin()
  %s1 = call i32 @ts_scope_end(i64 %a)
  %s2 = call i32 @ts_scope_end(i64 %b)
  %s3 = call i32 @ts_scope_end(i64 %a)
  ret void
}

; The same at -O0: ids in locals.
; CHECK-LABEL: define void @outOfOrderSlots(
; CHECK: call i64 @ts_scope_begin()
; CHECK: call i64 @ts_scope_begin()
; CHECK: call i32 @ts_scope_end(
; CHECK: call i32 @ts_scope_end(
; CHECK: call i32 @ts_scope_end(
define void @outOfOrderSlots() {
  %a = alloca i64
  %b = alloca i64
  %1 = call i64 @ts_scope_begin()
  store i64 %1, ptr %a
  %2 = call i64 @ts_scope_begin()
  store i64 %2, ptr %b
  %3 = load i64, ptr %a
  %4 = call i32 @ts_scope_end(i64 %3)
  %5 = load i64, ptr %b
  %6 = call i32 @ts_scope_end(i64 %5)
  %7 = load i64, ptr %a
  %8 = call i32 @ts_scope_end(i64 %7)
  ret void
}

; Ended twice: the second end fails. Kept.
; CHECK-LABEL: define void @endedTwice(
; CHECK: call i64 @ts_scope_begin()
define void @endedTwice() {
  %id = call i64 @ts_scope_begin()
  %s1 = call i32 @ts_scope_end(i64 %id)
  %s2 = call i32 @ts_scope_end(i64 %id)
  ret void
}

; Nested empty pairs, properly ordered: both dropped, inner first.
; CHECK-LABEL: define void @nested(
; CHECK-NOT: ts_scope
; CHECK: ret void
define void @nested(ptr %t) {
  %a = call i64 @ts_scope_begin()
  %b = call i64 @ts_scope_begin()
  %n = call i64 @ts_numel(ptr %t)
  %s1 = call i32 @ts_scope_end(i64 %b)
  %s2 = call i32 @ts_scope_end(i64 %a)
  ret void
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

; A scoped loop body at -O0: one scope per iteration, ended on both the
; fall-through and the `continue` path. Dropped.
; CHECK-LABEL: define void @scopedLoop(
; CHECK-NOT: ts_scope_begin
; CHECK-NOT: ts__scope_guard_end
; CHECK: ret void
define void @scopedLoop(i32 %n) {
entry:
  %guard = alloca i64
  br label %cond
cond:
  %i = phi i32 [ 0, %entry ], [ %i1, %inc ]
  %c = icmp slt i32 %i, %n
  br i1 %c, label %body, label %exit
body:
  %id = call i64 @ts_scope_begin()
  store i64 %id, ptr %guard
  %odd = trunc i32 %i to i1
  br i1 %odd, label %cont, label %rest
rest:
  call void @ts__scope_guard_end(ptr %guard)
  br label %inc
cont:
  call void @ts__scope_guard_end(ptr %guard)
  br label %inc
inc:
  %i1 = add i32 %i, 1
  br label %cond
exit:
  ret void
}

; Begun in a loop, ended after it: the begin runs again before the end.
; CHECK-LABEL: define void @beginInLoop(
; CHECK: call i64 @ts_scope_begin()
; CHECK: call i32 @ts_scope_end(
define void @beginInLoop(i32 %n) {
entry:
  %slot = alloca i64
  br label %loop
loop:
  %i = phi i32 [ 0, %entry ], [ %i1, %loop ]
  %id = call i64 @ts_scope_begin()
  store i64 %id, ptr %slot
  %i1 = add i32 %i, 1
  %c = icmp slt i32 %i1, %n
  br i1 %c, label %loop, label %exit
exit:
  %v = load i64, ptr %slot
  %s = call i32 @ts_scope_end(i64 %v)
  ret void
}

; Ended on one path only: the other returns with the scope open. Kept.
; CHECK-LABEL: define void @endOnOnePath(
; CHECK: call i64 @ts_scope_begin()
; CHECK: call i32 @ts_scope_end(
define void @endOnOnePath(i1 %c) {
entry:
  %id = call i64 @ts_scope_begin()
  br i1 %c, label %end, label %exit
end:
  %s = call i32 @ts_scope_end(i64 %id)
  br label %exit
exit:
  ret void
}

; Begun on one path, the local ended on both: the end may see no begin.
; CHECK-LABEL: define void @beginOnOnePath(
; CHECK: call i64 @ts_scope_begin()
; CHECK: call i32 @ts_scope_end(
define void @beginOnOnePath(i1 %c) {
entry:
  %slot = alloca i64
  store i64 0, ptr %slot
  br i1 %c, label %begin, label %end
begin:
  %id = call i64 @ts_scope_begin()
  store i64 %id, ptr %slot
  br label %end
end:
  %v = load i64, ptr %slot
  %s = call i32 @ts_scope_end(i64 %v)
  ret void
}

; The last error is read inside: kept.
; CHECK-LABEL: define void @readsStatus(
; CHECK: call i64 @ts_scope_begin()
define void @readsStatus() {
  %id = call i64 @ts_scope_begin()
  %st = call i32 @ts_last_status()
  %s = call i32 @ts_scope_end(i64 %id)
  ret void
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

; Issue 19: `t->step = ts_scope_begin()`; another function ends it. Kept.
; CHECK-LABEL: define void @beginStep(
; CHECK: call i64 @ts_scope_begin()
; CHECK-LABEL: define void @endStep(
; CHECK: call i32 @ts_scope_end(
define void @beginStep(ptr %t) {
  %t.addr = alloca ptr
  store ptr %t, ptr %t.addr
  %p = load ptr, ptr %t.addr
  %id = call i64 @ts_scope_begin()
  %step = getelementptr inbounds { i32, i64 }, ptr %p, i32 0, i32 1
  store i64 %id, ptr %step
  ret void
}

define void @endStep(ptr %t) {
  %step = getelementptr inbounds { i32, i64 }, ptr %t, i32 0, i32 1
  %id = load i64, ptr %step
  %s = call i32 @ts_scope_end(i64 %id)
  ret void
}

; The id's local escapes: kept.
; CHECK-LABEL: define void @slotEscapes(
; CHECK: call i64 @ts_scope_begin()
define void @slotEscapes() {
  %slot = alloca i64
  %id = call i64 @ts_scope_begin()
  store i64 %id, ptr %slot
  store ptr %slot, ptr @saved
  %v = load i64, ptr %slot
  %s = call i32 @ts_scope_end(i64 %v)
  ret void
}

; Ends a scope its caller began: kept (the inner pair goes).
; CHECK-LABEL: define void @endsCallersScope(
; CHECK-NOT: ts_scope_begin
; CHECK: call i32 @ts_scope_end(i64 %id)
define void @endsCallersScope(i64 %id) {
  %inner = call i64 @ts_scope_begin()
  %s1 = call i32 @ts_scope_end(i64 %inner)
  %s2 = call i32 @ts_scope_end(i64 %id)
  ret void
}
