/*
 * checkpoint_io.c - saving and loading a 100 MB state_dict (25 float32
 * tensors of 1000 x 1000) in both formats: `make bench-checkpoint`, which
 * runs checkpoint_io_torch.py, torch.save/torch.load of the same, after it.
 * Prints the median over 7 rounds of this thread's CPU time (user + system)
 * per save and per load; the file goes to $TMPDIR (default /tmp).
 */
#include "timing.h"

#include <tsmem.h>
#include <tsmem/checkpoint.h>

#include <stdio.h>
#include <stdlib.h>

enum { N = 25, ROUNDS = 7 };

int main(void) {
  ts_set_num_threads(1);
  ts_tensor *t[N], *u[N];
  const char *names[N];
  char buf[N][24];
  for (int i = 0; i < N; i++) {
    snprintf(buf[i], sizeof buf[i], "layer%d.weight", i);
    names[i] = buf[i];
    t[i] = ts_randn(TS_SHAPE(1000, 1000), TS_FLOAT32);
    u[i] = ts_zeros(TS_SHAPE(1000, 1000), TS_FLOAT32);
  }
  const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  static const char *const fmt_names[] = {"torch", "safetensors"};
  for (int f = 0; f < 2; f++) {
    char path[512];
    snprintf(path, sizeof path, "%s/tsmem-bench-ckpt.%s", tmp, fmt_names[f]);
    double save[ROUNDS], load[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
      double a = now_ns();
      if (ts_tensors_save(path, names, t, N, (ts_checkpoint_format)f) != TS_OK)
        return fprintf(stderr, "%s\n", ts_last_error()), 1;
      double b = now_ns();
      if (ts_tensors_load(path, names, u, N) != TS_OK)
        return fprintf(stderr, "%s\n", ts_last_error()), 1;
      double c = now_ns();
      save[r] = (b - a) / 1e6;
      load[r] = (c - b) / 1e6;
    }
    printf("tsmem %-11s 100 MB: save %6.1f ms, load %6.1f ms (median of %d)\n",
           fmt_names[f], median(save, ROUNDS), median(load, ROUNDS), ROUNDS);
    remove(path);
  }
  for (int i = 0; i < N; i++) {
    ts_free(t[i]);
    ts_free(u[i]);
  }
  return 0;
}
