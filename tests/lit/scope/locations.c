// Allocation sites need no source locations on the IR: the plugin lists the
// calls from the AST and the pass pairs them with the IR's. A compile
// without -g or remarks carries no locations; -g keeps its own.
// RUN: %clang %tsmem -O0 -S -emit-llvm -o - %s | FileCheck %s --check-prefix=NODEBUG
// RUN: %clang %tsmem -O2 -S -emit-llvm -o - %s | FileCheck %s --check-prefix=NODEBUG
// RUN: %clang %tsmem -O0 -g -S -emit-llvm -o - %s | FileCheck %s --check-prefix=DEBUG
// RUN: %clang %tsmem -O2 -Rpass=inline -S -emit-llvm -o - %s 2>/dev/null | FileCheck %s --check-prefix=REMARKS
#include <tsmem.h>

// NODEBUG: @tsmem.sites = {{.*}} { i64 [[#%d,KEY:]], ptr
// NODEBUG: call ptr @ts__zeros_at({{.*}}, i64 [[#%d,KEY+@LINE+8]])
// NODEBUG-NOT: !DILocation
// NODEBUG-NOT: !llvm.dbg.cu
// DEBUG: @tsmem.sites = {{.*}} { i64 [[#%d,KEY:]], ptr
// DEBUG: call ptr @ts__zeros_at({{.*}}, i64 [[#%d,KEY+@LINE+4]]), !dbg
// DEBUG: !llvm.dbg.cu
// DEBUG: emissionKind: FullDebug
// REMARKS: !llvm.dbg.cu
ts_tensor *make(void) { return ts_zeros(TS_SHAPE(2), TS_FLOAT32); }
