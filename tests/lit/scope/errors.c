// TS_SCOPE before anything but a block or a loop, or outside a function, is
// an error at the TS_SCOPE the user wrote.
// RUN: not %clang %tsmem -fsyntax-only %s 2>&1 | FileCheck %s --implicit-check-not=error:
#include <tsmem.h>

void g(int A);

void notALoop(int A) {
  // CHECK: errors.c:[[@LINE+1]]:3: error: TS_SCOPE must be followed by a compound statement or a for, while or do loop
  TS_SCOPE if (A) g(A);
  // CHECK: errors.c:[[@LINE+1]]:3: error: TS_SCOPE must be followed by a compound statement or a for, while or do loop
  TS_SCOPE g(A);
  // CHECK: errors.c:[[@LINE+1]]:3: error: TS_SCOPE must be followed by a compound statement or a for, while or do loop
  TS_SCOPE switch (A) { default: g(A); }
}

// An error inside the lowered block still points at the user's code.
void bodyError(void) {
  // CHECK: errors.c:[[@LINE+1]]:21: error: use of undeclared identifier 'Undeclared'
  TS_SCOPE for (;;) Undeclared = 1;
}

// CHECK: errors.c:[[@LINE+1]]:1: error: TS_SCOPE outside a function: it goes before a block or loop inside a function body
TS_SCOPE { }
