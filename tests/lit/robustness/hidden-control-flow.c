// Macros that hide return, goto, break and whole loops around TS_SCOPE.
// The valid functions compile; the errors are Clang's; no crash.
// RUN: not %clang -fsyntax-only -fno-caret-diagnostics %tsmem %s 2>&1 | FileCheck %s --implicit-check-not="PLEASE submit" --implicit-check-not="Stack dump" --implicit-check-not=error:
#include <tsmem.h>

#define BAIL_IF(c) if (c) return NULL
#define FOREVER for (;;)
#define TRY(x) do { if (!(x)) goto fail; } while (0)
#define SCOPED_LOOP(n) TS_SCOPE for (int I_ = 0; I_ < (n); I_++)
#define BLOCK(body) TS_SCOPE { body }
#define END }

ts_tensor *hidden(int N) {
  ts_tensor *R = NULL;
  SCOPED_LOOP(N) {
    ts_tensor *T = ts_ones(TS_SHAPE(2), TS_FLOAT32);
    BAIL_IF(!T);
    TRY(ts_numel(T) == 2);
    if (I_ == 3)
      break;
  }
  FOREVER TS_SCOPE {
    BLOCK(ts_zeros(TS_SHAPE(1), TS_FLOAT32); break;)
  }
  return R;
fail:
  return NULL;
}

// A block closed by a macro, and a TS_SCOPE whose block a macro opens.
#define OPEN {
void macroBraces(void) {
  TS_SCOPE OPEN ts_scope_depth(); END
}

// Errors inside the hidden flow.
void hiddenError(void) {
  SCOPED_LOOP(2) { TRY(undeclared_thing); }
}
// CHECK: hidden-control-flow.c:[[@LINE-2]]:24: error: use of undeclared identifier 'undeclared_thing'
// CHECK: error: use of undeclared label 'fail'
