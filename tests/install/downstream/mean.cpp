// The C++ source of a mixed C/C++ target: tsmem_enable_plugin() leaves it
// alone, so it builds with any C++ compiler (g++ here).
#include <numeric>

extern "C" double downstream_mean(const double *values, int n) {
  return std::accumulate(values, values + n, 0.0) / n;
}
