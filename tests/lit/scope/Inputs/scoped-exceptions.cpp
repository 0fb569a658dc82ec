// C++: an exception that leaves a TS_SCOPED function ends its scope (depth
// back, tensors freed), as TS_SCOPE's cleanups do (issue 20). Driven by
// ../scoped-exceptions.test.
#include <cstdio>
#include <stdexcept>
#include <tsmem.h>

static int Depth = -1;
[[gnu::noinline]] static void fail(int x) {
  Depth = ts_scope_depth();
  if (x > 0)
    throw std::runtime_error("boom");
}

TS_SCOPED static double scoped(int x) {
  ts_tensor *t = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  fail(x);
  return ts_item(ts_sum(t));
}

// A catch inside for another type: the exception still leaves the function.
TS_SCOPED static void scopedCatchOther(int x) {
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  try {
    fail(x);
  } catch (const std::logic_error &) {
    std::puts("wrong handler");
  }
}

// Caught inside: the scope goes on, and ends at the return.
TS_SCOPED static int scopedCatches(int x) {
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  try {
    fail(x);
  } catch (const std::runtime_error &) {
    return ts_scope_depth() * 10 + (int)ts_scope_tensor_count();
  }
  return -1;
}

static void report(const char *what) {
  std::printf("%s: inner=%d depth=%d live=%zu\n", what, Depth, ts_scope_depth(),
              ts_memory().live_tensors);
}

int main() {
  std::printf("ok: %g\n", scoped(0));
  report("returned");
  try {
    scoped(1);
  } catch (const std::exception &e) {
    report(e.what());
  }
  try {
    scopedCatchOther(1);
  } catch (const std::exception &e) {
    report("catch-other");
  }
  std::printf("caught inside: %d\n", scopedCatches(1));
  report("after");
  return 0;
}
