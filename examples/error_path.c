/*
 * error_path.c - an early return inside a scope, on an error from libtorch.
 *
 * A two-layer forward pass gets a second weight of the wrong shape. libtorch
 * raises; tsmem turns that into NULL from ts_matmul, with the status and a
 * message in ts_last_status() / ts_last_error(). The function returns early
 * from inside its scope, and the scope still ends: the first layer's
 * activations, already made, are freed. Nothing leaks on the error path.
 *
 *   clang-19 -fplugin=<prefix>/lib/tsmem/tsmem.so error_path.c -ltsmem
 */
#include <stdio.h>
#include <tsmem.h>

static const char *status_name(ts_status st) {
  switch (st) {
  case TS_OK:
    return "TS_OK";
  case TS_ERR_SHAPE:
    return "TS_ERR_SHAPE";
  case TS_ERR_TORCH:
    return "TS_ERR_TORCH";
  default:
    return "another error";
  }
}

/* relu(x w1) w2, or NULL if a step fails. */
TS_SCOPED static ts_tensor *forward(const ts_tensor *x, const ts_tensor *w1,
                                    const ts_tensor *w2) {
  ts_tensor *h = ts_relu(ts_matmul(x, w1));
  if (!h)
    return NULL;
  ts_tensor *out = ts_matmul(h, w2);
  if (!out) {
    /* Read the error here: it belongs to the failed call. */
    printf("  failed with %s: %s\n", status_name(ts_last_status()),
           ts_last_error());
    printf("  this scope owns %zu tensors; returning early frees them\n",
           ts_scope_tensor_count());
    return NULL; /* the scope ends here too */
  }
  return ts_escape(out);
}

static void run(const char *name, const ts_tensor *x, const ts_tensor *w1,
                const ts_tensor *w2) {
  printf("%s: %zu tensors alive before\n", name, ts_memory().live_tensors);
  ts_tensor *y = forward(x, w1, w2);
  if (y) {
    float out[4][2];
    ts_copy_to_buffer(y, out, sizeof out);
    printf("  output %lldx%lld, first row (%.3f, %.3f)\n",
           (long long)ts_size(y, 0), (long long)ts_size(y, 1), out[0][0],
           out[0][1]);
    ts_free(y); /* escaped out of every scope: ours to free */
  }
  printf("%s: %zu tensors alive after\n", name, ts_memory().live_tensors);
}

int main(void) {
  ts_set_num_threads(1);
  /* Outside any scope these are manual; freed at the end. */
  ts_tensor *x = ts_ones(TS_SHAPE(4, 3), TS_FLOAT32);
  ts_tensor *w1 = ts_full(TS_SHAPE(3, 5), TS_FLOAT32, 0.5);
  ts_tensor *good = ts_full(TS_SHAPE(5, 2), TS_FLOAT32, 0.25);
  ts_tensor *bad = ts_full(TS_SHAPE(4, 2), TS_FLOAT32, 0.25); /* 4 != 5 */

  run("good weights", x, w1, good);
  run("bad weights", x, w1, bad);

  ts_free(x);
  ts_free(w1);
  ts_free(good);
  ts_free(bad);
  printf("live tensors at exit: %zu\n", ts_memory().live_tensors);
  return 0;
}
