/* Uses both annotations that need the plugin: builds only with it on. The
 * C++ half of the program (mean.cpp) is compiled without it. */
#include <stdio.h>
#include <string.h>
#include <tsmem.h>

double downstream_mean(const double *values, int n); /* mean.cpp */

TS_SCOPED static double total(int N) {
  double Sum = 0;
  TS_SCOPE for (int I = 0; I < N; ++I) Sum +=
      ts_item(ts_sum(ts_ones(TS_SHAPE(I + 1), TS_FLOAT32)));
  return Sum;
}

int main(void) {
  double Sum = total(4);
  double Parts[] = {1, 2, 3, 4};
  double Mean = downstream_mean(Parts, 4);
  ts_memory_stats M = ts_memory();
  int VersionOk = strcmp(ts_version(), TSMEM_VERSION_STRING) == 0;
  printf("downstream: tsmem %s sum=%g mean=%g live=%zu depth=%d\n",
         ts_version(), Sum, Mean, M.live_tensors, ts_scope_depth());
  return Sum == 10 && Mean == 2.5 && VersionOk && M.live_tensors == 0 &&
                 ts_scope_depth() == 0
             ? 0
             : 1;
}
