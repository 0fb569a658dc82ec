// Incomplete and invalid types where the analysis looks for tensors.
// RUN: not %clang -fsyntax-only -fno-caret-diagnostics %tsmem %s 2>&1 | FileCheck %s --implicit-check-not="PLEASE submit" --implicit-check-not="Stack dump" --implicit-check-not=error:
#include <tsmem.h>

struct Model;

// ts_tensor is opaque: an object of it, not a pointer, is an error.
void byValue(void) {
  TS_SCOPE {
    ts_tensor T;
    (void)T;
  }
}
// CHECK: incomplete-types.c:[[@LINE-4]]:15: error: variable has incomplete type 'ts_tensor'

// Member of an incomplete struct returned as a tensor.
ts_tensor *weights(struct Model *M) {
  TS_SCOPE { return M->W; }
}
// CHECK: incomplete-types.c:[[@LINE-2]]:22: error: incomplete definition of type 'struct Model'

// An undeclared type in a tensor-returning function.
ts_tensor *mystery(Unknown *U) { return ts_clone(U); }
// CHECK: incomplete-types.c:[[@LINE-1]]:20: error: unknown type name 'Unknown'

// Dereferencing the opaque handle.
float peek(ts_tensor *T) { return *(float *)*T; }
// CHECK: incomplete-types.c:[[@LINE-1]]:45: error: operand of type 'ts_tensor' {{.*}} where arithmetic or pointer type is required
