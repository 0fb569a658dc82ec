// tsmem.so loaded into another clang than 19 names the cause and fails,
// instead of a misleading "reinstall tsmem" or a silent compile without it.
// REQUIRES: clang-14
// RUN: not clang-14 -fsyntax-only -fplugin=%plugin_so %s 2>&1 | FileCheck %s
// CHECK: error: tsmem plugin: this tsmem.so is built for clang 19, but the compiler that loaded it is clang 14 ({{.*}}libclang-cpp.so.14); compile with clang-19
// CHECK-NOT: reinstall
int x;
