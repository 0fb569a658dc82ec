// TS_SCOPE inside declarations outside any function body.
// RUN: not %clang -fsyntax-only -fno-caret-diagnostics %tsmem %s 2>&1 | FileCheck %s --implicit-check-not="PLEASE submit" --implicit-check-not="Stack dump"
// Known weakness (reported): after this error the plugin's pragma handler
// drops the rest of the line, so the next declaration gets cascading errors
// that clang without the plugin does not give. Only the first is checked.
#include <tsmem.h>

int F(int TS_SCOPE);
// CHECK: scope-in-declaration.c:[[@LINE-1]]:11: error: TS_SCOPE outside a function: it goes before a block or loop inside a function body

int G[TS_SCOPE 3];
