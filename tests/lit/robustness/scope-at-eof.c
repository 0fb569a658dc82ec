// TS_SCOPE outside a function, at the end of the file or before the last
// function (issue 20): one error, then the parser goes on; nothing past the
// end of the file is read, no crash.
// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// RUN: printf '#include <tsmem.h>\nint x;\nTS_SCOPE' > %t.bare.c
// RUN: not %clang -fsyntax-only %tsmem %t.bare.c 2>&1 | FileCheck %s --check-prefix=BARE --implicit-check-not=error: --implicit-check-not="PLEASE submit"
// BARE: bare.c:3:1: error: TS_SCOPE outside a function
// BARE: 1 error generated.
// RUN: printf '#include <tsmem.h>\n#pragma tsmem scope\nint main(void) { return 0; }\n' > %t.pragma.c
// RUN: not %clang -fsyntax-only %tsmem %t.pragma.c 2>&1 | FileCheck %s --check-prefix=PRAGMA --implicit-check-not=error: --implicit-check-not="PLEASE submit"
// PRAGMA: pragma.c:2:9: error: TS_SCOPE outside a function
// PRAGMA: 1 error generated.
// RUN: printf '#include <tsmem.h>\nTS_SCOPE { int y;' > %t.open.c
// RUN: not %clang -fsyntax-only %tsmem %t.open.c 2>&1 | FileCheck %s --check-prefix=OPEN --implicit-check-not="PLEASE submit" --implicit-check-not="Stack dump"
// OPEN: open.c:2:1: error: TS_SCOPE outside a function
// RUN: printf '#include <tsmem.h>\nvoid f(void) { TS_SCOPE' > %t.infn.c
// RUN: not %clang -fsyntax-only %tsmem %t.infn.c 2>&1 | FileCheck %s --check-prefix=INFN --implicit-check-not="PLEASE submit" --implicit-check-not="Stack dump"
// INFN: infn.c:2:16: error: TS_SCOPE must be followed by a compound statement or a for, while or do loop
// RUN: printf '#include <tsmem.h>\nvoid f(void) { TS_SCOPE for (int i = 0; i <' > %t.header.c
// RUN: not %clang -fsyntax-only %tsmem %t.header.c 2>&1 | FileCheck %s --check-prefix=HEADER --implicit-check-not="PLEASE submit" --implicit-check-not="Stack dump"
// HEADER: header.c:2:44: error: expected expression
// RUN: printf '#include <tsmem.h>\nvoid f(void) { TS_SCOPE do' > %t.do.c
// RUN: not %clang -fsyntax-only %tsmem %t.do.c 2>&1 | FileCheck %s --check-prefix=DO --implicit-check-not="PLEASE submit" --implicit-check-not="Stack dump"
// DO: do.c:2:27: error: expected expression
// The `#pragma tsmem scope` line, in a function, as the last line or
// before a loop header cut short: clang's errors, no crash.
// RUN: printf '#include <tsmem.h>\nvoid f(void) {\n#pragma tsmem scope\n' > %t.line.c
// RUN: not %clang -fsyntax-only %tsmem %t.line.c 2>&1 | FileCheck %s --check-prefix=LINE --implicit-check-not="PLEASE submit" --implicit-check-not="Stack dump"
// LINE: line.c:3:9: error: TS_SCOPE must be followed by a compound statement or a for, while or do loop
// RUN: printf '#include <tsmem.h>\nint f(int n) { int m = (n\n#pragma tsmem scope\nfor (int i = 0; i <' > %t.cut.c
// RUN: not %clang -fsyntax-only %tsmem %t.cut.c 2>&1 | FileCheck %s --check-prefix=CUT --implicit-check-not="PLEASE submit" --implicit-check-not="Stack dump"
// CUT: cut.c:4:1: error: expected ')'
#include <tsmem.h>

// A block at file scope is dropped with the TS_SCOPE: one error.
TS_SCOPE { int dropped; } // expected-error {{TS_SCOPE outside a function}}

void f(void) {}

// TS_SCOPE for TS_SCOPED, on the last line of the file.
// expected-error@+1 {{TS_SCOPE outside a function: it goes before a block or loop inside a function body (TS_SCOPED goes before a function definition)}}
TS_SCOPE int main(void) { return 0; }
