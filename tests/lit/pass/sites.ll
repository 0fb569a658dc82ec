; Run alone (opt), the pass takes lines from debug locations: each
; tensor-making call becomes its runtime twin with one more argument, the
; site: the key of the function's {key, file, function} (function from the
; DISubprogram; both names in the module's one string) plus the line. A constructor registers the module's sites,
; a destructor unregisters them. No location, no site; scope begins get
; none; a second run changes nothing.
; RUN: %opt_tsmem -passes=tsmem -S %s | FileCheck %s
; RUN: %opt_tsmem -passes=tsmem,tsmem -S %s | FileCheck %s

; CHECK-DAG: [[NAMES:@.*]] = private unnamed_addr constant [16 x i8] c"model.c\00forward\00"
; CHECK-DAG: [[SITES:@.*]] = private constant [1 x { i64, ptr, ptr }] [{ i64, ptr, ptr } { i64 [[#%d,KEY:]], ptr [[NAMES]], ptr getelementptr inbounds ([16 x i8], ptr [[NAMES]], i64 0, i64 8) }]
; CHECK-DAG: @llvm.global_ctors = appending global [1 x { i32, ptr, ptr }] [{ i32, ptr, ptr } { i32 65535, ptr @tsmem.register_sites, ptr null }]
; CHECK-DAG: @llvm.global_dtors = appending global [1 x { i32, ptr, ptr }] [{ i32, ptr, ptr } { i32 65535, ptr @tsmem.unregister_sites, ptr null }]

; tsmem.h marks its functions "tsmem.runtime"; @user_make is not tsmem's.
@.rt = private unnamed_addr constant [14 x i8] c"tsmem.runtime\00", section "llvm.metadata"
@.file = private unnamed_addr constant [5 x i8] c"a.ll\00", section "llvm.metadata"
@llvm.global.annotations = appending global [6 x { ptr, ptr, ptr, i32, ptr }] [
  { ptr, ptr, ptr, i32, ptr } { ptr @ts_scope_begin, ptr @.rt, ptr @.file, i32 1, ptr null },
  { ptr, ptr, ptr, i32, ptr } { ptr @ts_scope_end, ptr @.rt, ptr @.file, i32 2, ptr null },
  { ptr, ptr, ptr, i32, ptr } { ptr @ts_zeros, ptr @.rt, ptr @.file, i32 3, ptr null },
  { ptr, ptr, ptr, i32, ptr } { ptr @ts_pool_acquire, ptr @.rt, ptr @.file, i32 4, ptr null },
  { ptr, ptr, ptr, i32, ptr } { ptr @ts_numel, ptr @.rt, ptr @.file, i32 5, ptr null },
  { ptr, ptr, ptr, i32, ptr } { ptr @ts_relu, ptr @.rt, ptr @.file, i32 6, ptr null }
], section "llvm.metadata"

declare i64 @ts_scope_begin()
declare i32 @ts_scope_end(i64)
declare ptr @ts_zeros(ptr, i32, i32)
declare ptr @ts_pool_acquire(ptr, ptr, i32, i32)
declare i64 @ts_numel(ptr)
declare ptr @ts_relu(ptr)
declare ptr @user_make()

; CHECK-LABEL: define i64 @forward_ir_name(
; CHECK-NEXT: %id = call i64 @ts_scope_begin()
; CHECK-NEXT: %a = call ptr @ts__zeros_at(ptr %shape, i32 1, i32 0, i64 [[#%d,KEY+11]])
; CHECK-NEXT: %b = call ptr @ts__pool_acquire_at(ptr %pool, ptr %shape, i32 1, i32 0, i64 [[#%d,KEY+12]])
; CHECK-NEXT: %n = call i64 @ts_numel(ptr %a)
; CHECK-NEXT: %c = call ptr @user_make()
; CHECK-NEXT: %d = call ptr @ts_zeros(
; A call whose tensor goes only into another on the same line: left as it
; is, stamped by the outer twin (bit 20), also on a second run.
; CHECK-NEXT: %f = call ptr @ts_zeros(ptr %shape, i32 1, i32 0)
; CHECK-NEXT: %g = call ptr @ts__relu_at(ptr %f, i64 [[#%d,KEY+0x100000+14]])
; CHECK-NEXT: call i32 @ts_scope_end(
define i64 @forward_ir_name(ptr %shape, ptr %pool) !dbg !5 {
  %id = call i64 @ts_scope_begin(), !dbg !10
  %a = call ptr @ts_zeros(ptr %shape, i32 1, i32 0), !dbg !11
  %b = call ptr @ts_pool_acquire(ptr %pool, ptr %shape, i32 1, i32 0), !dbg !12
  %n = call i64 @ts_numel(ptr %a), !dbg !13
  %c = call ptr @user_make(), !dbg !13
  %d = call ptr @ts_zeros(ptr %shape, i32 1, i32 0)
  %f = call ptr @ts_zeros(ptr %shape, i32 1, i32 0), !dbg !14
  %g = call ptr @ts_relu(ptr %f), !dbg !14
  %e = call i32 @ts_scope_end(i64 %id), !dbg !13
  ret i64 %n, !dbg !13
}

; CHECK-DAG: declare ptr @ts__zeros_at(ptr, i32, i32, i64)
; CHECK-DAG: declare ptr @ts__pool_acquire_at(ptr, ptr, i32, i32, i64)
; CHECK-LABEL: define internal void @tsmem.register_sites()
; CHECK-NEXT: call void @ts__register_sites(ptr [[SITES]], i64 1)
; CHECK-LABEL: define internal void @tsmem.unregister_sites()
; CHECK-NEXT: call void @ts__unregister_sites(ptr [[SITES]])

!llvm.dbg.cu = !{!0}
!llvm.module.flags = !{!3, !4}
!0 = distinct !DICompileUnit(language: DW_LANG_C11, file: !1, producer: "hand", isOptimized: false, runtimeVersion: 0, emissionKind: LineTablesOnly)
!1 = !DIFile(filename: "model.c", directory: "/src")
!3 = !{i32 2, !"Debug Info Version", i32 3}
!4 = !{i32 7, !"Dwarf Version", i32 5}
!5 = distinct !DISubprogram(name: "forward", scope: !1, file: !1, line: 9, type: !6, scopeLine: 9, spFlags: DISPFlagDefinition, unit: !0)
!6 = !DISubroutineType(types: !7)
!7 = !{}
!10 = !DILocation(line: 10, column: 3, scope: !5)
!11 = !DILocation(line: 11, column: 3, scope: !5)
!12 = !DILocation(line: 12, column: 3, scope: !5)
!13 = !DILocation(line: 13, column: 3, scope: !5)
!14 = !DILocation(line: 14, column: 3, scope: !5)
