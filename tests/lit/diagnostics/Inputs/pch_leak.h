/* For pch.c: a function body that reaches the compile through a
 * precompiled header only. */
#include <tsmem.h>

static inline double pch_leaky(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  return ts_item(t);
}
