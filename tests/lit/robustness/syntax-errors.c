// Syntax errors inside and around TS_SCOPE: Clang's errors, no plugin crash.
// RUN: not %clang -fsyntax-only -fno-caret-diagnostics %tsmem %s 2>&1 | FileCheck %s --implicit-check-not="PLEASE submit" --implicit-check-not="Stack dump" --implicit-check-not=error:
#include <tsmem.h>

void missingSemicolon(void) {
  TS_SCOPE {
    ts_tensor *T = ts_zeros(TS_SHAPE(2), TS_FLOAT32)
    ts_free(T);
  }
}
// CHECK: syntax-errors.c:7:53: error: expected ';' at end of declaration

void badLoopHeader(int N) {
  TS_SCOPE for (int I = 0; I < ; I++) { (void)N; }
}
// CHECK: syntax-errors.c:[[@LINE-2]]:32: error: expected expression

void strayBrace(void) {
  TS_SCOPE { ts_scope_depth(); )
}
// CHECK: syntax-errors.c:[[@LINE-2]]:32: error: expected expression

// CHECK: error: expected '}'
