// TS_SCOPED anywhere but before a function definition does nothing: an
// error says where it goes (issue 20).
// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
#include <tsmem.h>

TS_SCOPED int global; // expected-error {{TS_SCOPED on a variable: it goes before a function definition (its body becomes one scope); use TS_SCOPE before a block or loop}}

TS_SCOPED void prototype(void); // expected-error {{TS_SCOPED on a function declaration without a body}}

TS_SCOPED extern int lib(int); // expected-error {{TS_SCOPED on a function declaration without a body}}

struct S {
  TS_SCOPED int member; // expected-error {{TS_SCOPED on a struct or union member}}
};

TS_SCOPED typedef int scoped_int; // expected-error {{TS_SCOPED on a typedef}}

void parameter(TS_SCOPED int n) { (void)n; } // expected-error {{TS_SCOPED on a parameter}}

void local(void) {
  TS_SCOPED int n = 0; // expected-error {{TS_SCOPED on a variable}}
  (void)n;
}

// Where it belongs: no error.
TS_SCOPED void definition(void) {}
TS_SCOPED static int definition2(int n) { return n; }

// A declaration after the definition inherits the mark: no error.
void definition(void);
