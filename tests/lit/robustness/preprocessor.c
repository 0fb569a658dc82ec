// Preprocessor breakage around the annotations: unterminated #if, the
// pragma spelled by hand, TS_SCOPE built by token pasting.
// RUN: not %clang -fsyntax-only -fno-caret-diagnostics %tsmem %s 2>&1 | FileCheck %s --implicit-check-not="PLEASE submit" --implicit-check-not="Stack dump"
#include <tsmem.h>

#define PASTE(a, b) a##b
void pasted(void) {
  PASTE(TS_, SCOPE) { ts_scope_depth(); }
}

void handWritten(void) {
#pragma tsmem scope
  { ts_scope_depth(); }
#pragma tsmem
  { ts_scope_depth(); }
#pragma tsmem scope extra tokens
  { ts_scope_depth(); }
}

void pragmaInMacroArg(void) {
  _Pragma("tsmem scope") for (int I = 0; I < 2; I++) ts_scope_depth();
}

#if 1
void neverClosed(void) { TS_SCOPE { ts_scope_depth(); } }
// CHECK: error: unterminated conditional directive
