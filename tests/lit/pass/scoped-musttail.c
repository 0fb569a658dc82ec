// A musttail call in a TS_SCOPED function cannot be followed by the end of
// its scope: the pass refuses it with an error naming the function and the
// fix (issue 20), at -O0 and -O2.
// RUN: %clang %tsmem -O0 -S -emit-llvm -o /dev/null -Xclang -verify %s
// RUN: %clang %tsmem -O2 -S -emit-llvm -o /dev/null -Xclang -verify %s
#include <tsmem.h>

int next(int X);

// expected-error@+1 {{TS_SCOPED function 'tail' makes a musttail call: its scope cannot end after a guaranteed tail call, so the callee would see the scope's tensors freed; drop musttail (or TS_SCOPED, and put the function's tensor code in a TS_SCOPE block before the call)}}
TS_SCOPED int tail(int X) {
  ts_tensor *T = ts_full(TS_SHAPE(1), TS_FLOAT32, X);
  __attribute__((musttail)) return next((int)ts_item(T));
}

// Without TS_SCOPED, musttail is fine.
int plainTail(int X) { __attribute__((musttail)) return next(X); }
