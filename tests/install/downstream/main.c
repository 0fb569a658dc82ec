/* Uses both annotations that need the plugin: builds only with it on. */
#include <stdio.h>
#include <tsmem.h>

TS_SCOPED static double total(int N) {
  double Sum = 0;
  TS_SCOPE for (int I = 0; I < N; ++I) Sum +=
      ts_item(ts_sum(ts_ones(TS_SHAPE(I + 1), TS_FLOAT32)));
  return Sum;
}

int main(void) {
  double Sum = total(4);
  ts_memory_stats M = ts_memory();
  printf("downstream: sum=%g live=%zu depth=%d\n", Sum, M.live_tensors,
         ts_scope_depth());
  return Sum == 10 && M.live_tensors == 0 && ts_scope_depth() == 0 ? 0 : 1;
}
