// ops_overhead.cpp - the per-op overhead of tsmem's C API against calling
// ATen directly from C++, on 4x4 tensors (bench/README.md, "Generated
// operators"). Each side runs the op, freeing each result: the C side
// through handles and the exception barrier, the ATen side through
// at::Tensor's destructor. As in bench.c: rounds alternate the two sides
// (which goes first alternates too), time is the calling thread's CPU time
// (the machine is shared), the ratio printed is the median of the per-round
// ratios and the times the medians of each side.
//
//   ops_overhead [rounds]      (default 301 rounds of 2000 calls)

#include <tsmem/ops.h>

#include <ATen/ATen.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <time.h>
#include <vector>

namespace {

double now() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double seconds(const std::function<void(long)> &f, long k) {
  double t0 = now();
  f(k);
  return now() - t0;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Pair {
  const char *name;
  std::function<void(long)> c, aten;
};

} // namespace

int main(int argc, char **argv) {
  long rounds = argc > 1 ? std::atol(argv[1]) : 301, n = 2000;
  ts_set_num_threads(1); // libtorch's intra-op threads, both sides
  ts_scope_id scope = ts_scope_begin();
  ts_tensor *a = ts_randn(TS_SHAPE(4, 4), TS_FLOAT32);
  ts_tensor *b = ts_randn(TS_SHAPE(4, 4), TS_FLOAT32);
  ts_tensor *img = ts_randn(TS_SHAPE(1, 1, 4, 4), TS_FLOAT32);
  ts_tensor *ker = ts_randn(TS_SHAPE(1, 1, 3, 3), TS_FLOAT32);
  at::Tensor A = at::randn({4, 4}), B = at::randn({4, 4});
  at::Tensor IMG = at::randn({1, 1, 4, 4}), KER = at::randn({1, 1, 3, 3});
  const int64_t one[] = {1, 1}, zero[] = {0, 0};

  Pair pairs[] = {
      {"add (ts_add_Tensor)",
       [&](long k) {
         for (long i = 0; i < k; i++)
           ts_free(ts_add_Tensor(a, b, 1.0));
       },
       [&](long k) {
         for (long i = 0; i < k; i++)
           (void)at::add(A, B);
       }},
      {"matmul (ts_matmul)",
       [&](long k) {
         for (long i = 0; i < k; i++)
           ts_free(ts_matmul(a, b));
       },
       [&](long k) {
         for (long i = 0; i < k; i++)
           (void)at::matmul(A, B);
       }},
      {"relu (ts_relu)",
       [&](long k) {
         for (long i = 0; i < k; i++)
           ts_free(ts_relu(a));
       },
       [&](long k) {
         for (long i = 0; i < k; i++)
           (void)at::relu(A);
       }},
      {"conv2d (ts_conv2d)",
       [&](long k) {
         for (long i = 0; i < k / 4; i++)
           ts_free(ts_conv2d(img, ker, nullptr, one, 2, zero, 2, one, 2, 1));
       },
       [&](long k) {
         for (long i = 0; i < k / 4; i++)
           (void)at::conv2d(IMG, KER, {}, {1, 1}, {0, 0}, {1, 1}, 1);
       }},
      {"abs_ in place (ts_abs_)",
       [&](long k) {
         for (long i = 0; i < k; i++)
           ts_abs_(a);
       },
       [&](long k) {
         for (long i = 0; i < k; i++)
           at::abs_(A);
       }},
  };
  std::printf("per-op CPU time on 4x4 float32 tensors, median of %ld rounds "
              "of %ld calls (conv2d: %ld), one thread\n",
              rounds, n, n / 4);
  std::printf("%-26s %12s %12s %8s\n", "op", "C API ns", "ATen ns", "ratio");
  for (Pair &p : pairs) {
    std::vector<double> tc, ta, ratio;
    p.c(n); // warm up
    p.aten(n);
    for (long r = 0; r < rounds; r++) {
      double c, a;
      if (r % 2) {
        c = seconds(p.c, n);
        a = seconds(p.aten, n);
      } else {
        a = seconds(p.aten, n);
        c = seconds(p.c, n);
      }
      tc.push_back(c);
      ta.push_back(a);
      ratio.push_back(c / a);
    }
    long calls = std::strstr(p.name, "conv2d") ? n / 4 : n;
    std::printf("%-26s %12.1f %12.1f %8.3f\n", p.name, median(tc) / calls * 1e9,
                median(ta) / calls * 1e9, median(ratio));
  }
  if (ts_last_status() != TS_OK)
    std::printf("last error: %s\n", ts_last_error());
  ts_scope_end(scope);
  return 0;
}
