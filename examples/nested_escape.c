/*
 * nested_escape.c - nested scopes, and a result that climbs out of them.
 *
 * ts_escape(t) moves t one scope up: from the current scope to its parent.
 * A tensor made two scopes deep that must outlive both is escaped twice,
 * once in each scope while that scope is current. Escaping twice in the
 * inner scope does not work: the second call finds t already owned by an
 * outer scope and leaves it there, to be freed when that scope ends.
 *
 *   clang-19 -fplugin=<prefix>/lib/tsmem/tsmem.so nested_escape.c -ltsmem
 */
#include <stdio.h>
#include <tsmem.h>

enum { ROWS = 3, COLS = 2 };

static void where(const char *what) {
  printf("%-28s depth %d, %zu tensors in this scope, %zu alive\n", what,
         ts_scope_depth(), ts_scope_tensor_count(), ts_memory().live_tensors);
}

/* Scales each row of x to length 1. Two scopes: the function's (TS_SCOPED)
 * and an inner block for the norms. */
TS_SCOPED static ts_tensor *normalise_rows(const ts_tensor *x) {
  ts_tensor *unit;
  TS_SCOPE {
    ts_tensor *ones = ts_ones(TS_SHAPE(COLS, 1), TS_FLOAT32);
    ts_tensor *sq = ts_matmul(ts_mul(x, x), ones);            /* [ROWS, 1] */
    ts_tensor *norm = ts_exp(ts_mul_scalar(ts_log(sq), 0.5)); /* sqrt */
    unit = ts_div(x, norm);
    where("inner scope, before escape:");
    /* First escape: from the inner block to the function's scope. */
    ts_escape(unit);
    where("inner scope, after escape:");
  } /* ones, sq, norm and the temporaries are freed here; unit is not */
  where("function scope:");
  /* Second escape: from the function's scope to the caller's. */
  return ts_escape(unit);
}

int main(void) {
  const float data[ROWS][COLS] = {{3, 4}, {6, 8}, {5, 12}};
  TS_SCOPE {
    ts_tensor *x = ts_from_buffer(data, TS_SHAPE(ROWS, COLS), TS_FLOAT32);
    where("main, before the call:");
    ts_tensor *unit = normalise_rows(x);
    where("main, after the call:"); /* x and unit */

    float out[ROWS][COLS];
    ts_copy_to_buffer(unit, out, sizeof out);
    for (int r = 0; r < ROWS; r++)
      printf("row %d: (%.4f, %.4f)\n", r, out[r][0], out[r][1]);
  } /* x and unit are freed here */

  printf("live tensors at exit: %zu\n", ts_memory().live_tensors);
  return 0;
}
