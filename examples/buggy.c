/*
 * buggy.c - one bug for each of the plugin's five checks. Never run it.
 *
 * `make demo` compiles this file with the plugin to show the warnings:
 *   clang-19 -fplugin=<prefix>/lib/tsmem/tsmem.so -fsyntax-only buggy.c
 * Each function says what is wrong and how to fix it.
 */
#include <stdio.h>
#include <tsmem.h>

/* [tsmem-unescaped-return]: t belongs to the function's scope, which ends
 * on return, so the caller would get a freed tensor.
 * Fix: return ts_escape(t); (the fix-it says so). */
TS_SCOPED ts_tensor *make_ones(void) {
  ts_tensor *t = ts_ones(TS_SHAPE(4), TS_FLOAT32);
  return t;
}

/* [tsmem-use-after-scope]: t was owned by the block's scope, freed at its
 * closing brace. Fix: ts_escape(t) inside the block, or use it there. */
double sum_after_scope(void) {
  ts_tensor *t;
  TS_SCOPE { t = ts_sum(ts_ones(TS_SHAPE(4), TS_FLOAT32)); }
  return ts_item(t);
}

/* [tsmem-leak]: made outside any scope, t is the function's to free, and
 * nothing frees it. Fix: ts_free(t) after use, or make it in a TS_SCOPE. */
void print_total(void) {
  ts_tensor *t = ts_full(TS_SHAPE(2, 2), TS_FLOAT32, 1.5);
  printf("%zu bytes\n", ts_nbytes(t));
}

/* [tsmem-use-after-free]: t is read after ts_free. Fix: read it first. */
int64_t read_after_free(void) {
  ts_tensor *t = ts_zeros(TS_SHAPE(3), TS_FLOAT32);
  ts_free(t);
  return ts_numel(t);
}

/* [tsmem-double-free]: the second ts_free frees a dead handle. At run time
 * it is TS_ERR_STALE_HANDLE; at build time, a warning. */
void free_twice(void) {
  ts_tensor *t = ts_zeros(TS_SHAPE(3), TS_FLOAT32);
  ts_free(t);
  ts_free(t);
}
