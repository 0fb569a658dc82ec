// K&R definitions, implicit int and old-style calls with the plugin on:
// Clang's own diagnostics only, and no tsmem warning on correct code.
// RUN: not %clang -fsyntax-only -fno-caret-diagnostics %tsmem %s 2>&1 | FileCheck %s --implicit-check-not="PLEASE submit" --implicit-check-not="Stack dump" --implicit-check-not="[tsmem-"
#include <tsmem.h>

ts_tensor *twice(a)
ts_tensor *a;
{
  return ts_add(a, a);
}

int count(n, t)
int n;
ts_tensor *t;
{
  ts_tensor *c;
  TS_SCOPE_GUARD();
  c = ts_clone(t);
  return n + (int)ts_numel(c);
}

release(p, t) /* implicit int */
ts_pool *p;
ts_tensor *t;
{
  return ts_pool_release(p, t);
}

void caller(void) {
  ts_tensor *x = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *y = twice(x);
  ts_free(y);
  count(1, x, 3);
  ts_free(x);
}
// A K&R definition with a parameter declared but not listed.
int broken(a)
int a;
int b;
{ return a; }
// CHECK: error: parameter named 'b' is missing
