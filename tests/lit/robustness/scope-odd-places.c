// TS_SCOPE where it does not belong, or in legal but unusual places.
// RUN: not %clang -fsyntax-only -fno-caret-diagnostics %tsmem %s 2>&1 | FileCheck %s --implicit-check-not="PLEASE submit" --implicit-check-not="Stack dump" --implicit-check-not=error:
#include <tsmem.h>

struct S {
  TS_SCOPE int X;
};
// CHECK: scope-odd-places.c:[[@LINE-2]]:3: error: TS_SCOPE must be followed by a compound statement or a for, while or do loop

// Twice: a scope in a scope.
void twice(void) { TS_SCOPE TS_SCOPE { ts_scope_depth(); } }

void inSwitch(int K) {
  switch (K) {
  case 1:
    TS_SCOPE { ts_scope_depth(); }
    break;
  default:
    TS_SCOPE for (;;) break;
  }
}

void inStatementExpression(void) {
  int D = ({ int R = 0; TS_SCOPE { R = ts_scope_depth(); } R; });
  (void)D;
}

// Jumping into a scope past its guard: Clang refuses (cleanup variable).
void jumpIn(int K) {
  if (K)
    goto inside;
  TS_SCOPE {
  inside:
    ts_scope_depth();
  }
}
// CHECK: scope-odd-places.c:[[@LINE-6]]:5: error: cannot jump from this goto statement to its label

void atEnd(void) {
  TS_SCOPE
}
// CHECK: scope-odd-places.c:[[@LINE-2]]:3: error: TS_SCOPE must be followed by a compound statement or a for, while or do loop

void semicolon(void) { TS_SCOPE; }
// CHECK: scope-odd-places.c:[[@LINE-1]]:24: error: TS_SCOPE must be followed by a compound statement or a for, while or do loop

// Deep nesting.
void deep(void) {
  TS_SCOPE { TS_SCOPE { TS_SCOPE { TS_SCOPE { TS_SCOPE { TS_SCOPE {
  TS_SCOPE { TS_SCOPE { TS_SCOPE { TS_SCOPE { TS_SCOPE { TS_SCOPE {
    ts_tensor *T = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
    (void)T;
  } } } } } } } } } } } }
}

// Unterminated: the file ends inside a TS_SCOPE block.
void unterminated(void) {
  TS_SCOPE {
    ts_scope_depth();
// CHECK: error: expected '}'
// CHECK: error: expected '}'
