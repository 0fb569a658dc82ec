; Issue 20: the pass acts on tsmem's own functions only (tsmem.h marks each
; with annotate("tsmem.runtime")), never on a name alone. This module, like
; a C file without tsmem.h, has its own ts_add, ts_zeros and scope
; functions: nothing is rewritten, no site table is made, no scope dropped.
; RUN: %opt_tsmem -passes=tsmem -S %s | FileCheck %s
; CHECK-NOT: ts__
; CHECK-NOT: tsmem.sites
; CHECK-LABEL: define void @user(
; CHECK-NEXT: call void @ts_add(ptr %a, ptr %b), !dbg
; CHECK-NEXT: %z = call ptr @ts_zeros(ptr %a, i32 1, i32 0), !dbg
; CHECK-NEXT: %id = call i64 @ts_scope_begin()
; CHECK-NEXT: %s = call i32 @ts_scope_end(i64 %id)
; CHECK-NEXT: ret void
; CHECK-NOT: ts__

declare void @ts_add(ptr, ptr)
declare ptr @ts_zeros(ptr, i32, i32)
declare i64 @ts_scope_begin()
declare i32 @ts_scope_end(i64)

define void @user(ptr %a, ptr %b) !dbg !5 {
  call void @ts_add(ptr %a, ptr %b), !dbg !10
  %z = call ptr @ts_zeros(ptr %a, i32 1, i32 0), !dbg !10
  %id = call i64 @ts_scope_begin()
  %s = call i32 @ts_scope_end(i64 %id)
  ret void
}

!llvm.dbg.cu = !{!0}
!llvm.module.flags = !{!3, !4}
!0 = distinct !DICompileUnit(language: DW_LANG_C11, file: !1, producer: "hand", isOptimized: false, runtimeVersion: 0, emissionKind: LineTablesOnly)
!1 = !DIFile(filename: "time.c", directory: "/src")
!3 = !{i32 2, !"Debug Info Version", i32 3}
!4 = !{i32 7, !"Dwarf Version", i32 5}
!5 = distinct !DISubprogram(name: "user", scope: !1, file: !1, line: 3, type: !6, scopeLine: 3, spFlags: DISPFlagDefinition, unit: !0)
!6 = !DISubroutineType(types: !7)
!7 = !{}
!10 = !DILocation(line: 4, column: 3, scope: !5)
