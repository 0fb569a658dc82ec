// The plugin asks for source locations only to record allocation sites; once
// the pass has them, they go, unless the user asked for debug info (-g) or
// remarks (-Rpass), which keep theirs.
// RUN: %clang %tsmem -O0 -S -emit-llvm -o - %s | FileCheck %s --check-prefix=NODEBUG
// RUN: %clang %tsmem -O2 -S -emit-llvm -o - %s | FileCheck %s --check-prefix=NODEBUG
// RUN: %clang %tsmem -O0 -g -S -emit-llvm -o - %s | FileCheck %s --check-prefix=DEBUG
// RUN: %clang %tsmem -O2 -Rpass=inline -S -emit-llvm -o - %s 2>/dev/null | FileCheck %s --check-prefix=REMARKS
#include <tsmem.h>

// NODEBUG: call void @ts__set_site(ptr {{.*}}@tsmem.site)
// NODEBUG-NOT: !DILocation
// NODEBUG-NOT: !llvm.dbg.cu
// DEBUG: call void @ts__set_site(ptr @tsmem.site), !dbg
// DEBUG: !llvm.dbg.cu
// DEBUG: emissionKind: FullDebug
// REMARKS: !llvm.dbg.cu
// REMARKS: !DILocation
ts_tensor *make(void) { return ts_zeros(TS_SHAPE(2), TS_FLOAT32); }
