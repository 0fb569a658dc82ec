// A function body read from a precompiled header is analysed even when the
// file compiled names nothing of tsmem's itself: the plugin skips its walks
// for code without a ts_* identifier (TsmemNames.h), but a PCH's identifiers
// are read only when looked up, so the identifier table cannot tell there.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %clang -x c-header %tsmem -w %S/Inputs/pch_leak.h -o %t/pch_leak.h.pch
// RUN: %clang -fsyntax-only %tsmem -include-pch %t/pch_leak.h.pch %s 2>&1 | FileCheck %s
// CHECK: pch_leak.h:7:3: warning: tensor from 'ts_relu' leaks: 't' goes out of scope before it is freed {{.*}}[tsmem-leak]
// CHECK: pch_leak.h:6:18: note: tensor made here, outside any scope

int main(void) { return 0; }
