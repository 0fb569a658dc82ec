/*
 * check.h - the smallest test harness that does the job.
 *
 * TEST(name) { CHECK(cond); CHECK_EQ(a, b); } and a main() from RUN_TESTS(...)
 * that runs each test, reports failures with file:line, and ends with the
 * line "N passed, N failed". Each test must leave no live tensor behind:
 * RUN_TESTS checks ts_memory().live_tensors after every test.
 */
#ifndef TSMEM_TESTS_CHECK_H
#define TSMEM_TESTS_CHECK_H

#include <tsmem.h>

#include <stdio.h>
#include <string.h>

static int check_failures;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s (last error: %s)\n", __FILE__,  \
              __LINE__, #cond, ts_last_error());                               \
      check_failures++;                                                        \
    }                                                                          \
  } while (0)

#define CHECK_EQ(a, b)                                                         \
  do {                                                                         \
    long long check_a_ = (long long)(a), check_b_ = (long long)(b);            \
    if (check_a_ != check_b_) {                                                \
      fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %lld, %s == %lld\n",      \
              __FILE__, __LINE__, #a, check_a_, #b, check_b_);                 \
      check_failures++;                                                        \
    }                                                                          \
  } while (0)

/* The last error's message names `call` (the public function). */
#define CHECK_ERROR(status, call)                                              \
  do {                                                                         \
    CHECK_EQ(ts_last_status(), (status));                                      \
    CHECK(strstr(ts_last_error(), (call)) != NULL);                            \
  } while (0)

typedef struct {
  const char *name;
  void (*fn)(void);
} check_test;

#define TEST(name) static void name(void)
#define T(name)                                                                \
  { #name, name }

static inline int check_run(const check_test *tests, size_t n) {
  int passed = 0, failed = 0;
  for (size_t i = 0; i < n; i++) {
    int before = check_failures;
    size_t live_before = ts_memory().live_tensors;
    tests[i].fn();
    ts_clear_error();
    size_t live_after = ts_memory().live_tensors;
    if (live_after != live_before) {
      fprintf(stderr, "%s: leaves %zu live tensors behind\n", tests[i].name,
              live_after - live_before);
      check_failures++;
    }
    if (check_failures == before) {
      passed++;
    } else {
      failed++;
      fprintf(stderr, "FAIL: %s\n", tests[i].name);
    }
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed != 0;
}

#define RUN_TESTS(...)                                                         \
  int main(void) {                                                             \
    static const check_test tests_[] = {__VA_ARGS__};                          \
    return check_run(tests_, sizeof tests_ / sizeof tests_[0]);                \
  }

#endif /* TSMEM_TESTS_CHECK_H */
