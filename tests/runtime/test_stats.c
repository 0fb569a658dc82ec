/* test_stats.c - ts_memory counters and the leak report. */
#include "check.h"
#include "child.h"

#include <stdlib.h>

/* What the pass registers for a translation unit with two functions. */
#define MAIN_KEY ((uint64_t)0x5a1 << TS__SITE_KEY_SHIFT)
#define FORWARD_KEY ((uint64_t)0x5a2 << TS__SITE_KEY_SHIFT)
static const ts__sites unit_sites[] = {{MAIN_KEY, "app.c", "main"},
                                       {FORWARD_KEY, "model.c", "forward"}};

static void register_sites(void) {
  static bool done;
  if (!done)
    ts__register_sites(unit_sites, 2);
  done = true;
}

/* Some of the twins the pass calls (runtime/sites.c). */
ts_tensor *ts__zeros_at(const int64_t *shape, int ndim, ts_dtype dtype,
                        uint64_t site);
ts_tensor *ts__grad_at(const ts_tensor *t, uint64_t site);
ts_tensor *ts__add_at(const ts_tensor *a, const ts_tensor *b, uint64_t site);
ts_tensor *ts__relu_at(const ts_tensor *a, uint64_t site);
/* The stamp bits of a site: give tensor argument 0 / 1 the same site. */
#define STAMP0 ((uint64_t)1 << TS__SITE_LINE_BITS)
#define STAMP1 ((uint64_t)2 << TS__SITE_LINE_BITS)

/* ts_leak_report's text, NUL-terminated in buf; returns its count. */
static size_t report_into(char *buf, size_t size) {
  FILE *f = tmpfile();
  size_t n = ts_leak_report(f);
  rewind(f);
  size_t got = fread(buf, 1, size - 1, f);
  buf[got] = '\0';
  fclose(f);
  return n;
}

/* In a child with TSMEM_LEAK_REPORT=1: leak, then exit. */
static void child_leak(void) {
  const char *mode = child_mode();
  if (!mode)
    return;
  register_sites();
  if (!strcmp(mode, "leak")) {
    for (int i = 0; i < 3; i++) {
      ts__set_site(MAIN_KEY | 12);
      ts_zeros(TS_SHAPE(100), TS_FLOAT32); /* 3 x 400 bytes */
    }
    ts__set_site(FORWARD_KEY | 40);
    ts_zeros(TS_SHAPE(10), TS_FLOAT32); /* 40 bytes */
    ts_zeros(TS_SHAPE(2), TS_FLOAT64);  /* no site: a return address */
    ts_pool_release(ts_global_pool(), ts_zeros(TS_SHAPE(7), TS_FLOAT32));
  } else if (!strcmp(mode, "clean")) {
    ts_free(ts_zeros(TS_SHAPE(2), TS_FLOAT32));
    ts_pool_release(ts_global_pool(), ts_zeros(TS_SHAPE(7), TS_FLOAT32));
  }
  exit(0);
}

TEST(memory_counters) {
  child_leak();
  ts_memory_stats m0 = ts_memory();
  ts_tensor *a = ts_zeros(TS_SHAPE(10, 10), TS_FLOAT32); /* 400 bytes */
  ts_tensor *b = ts_zeros(TS_SHAPE(5), TS_FLOAT64);      /* 40 bytes */
  ts_memory_stats m1 = ts_memory();
  CHECK_EQ(m1.live_tensors, m0.live_tensors + 2);
  CHECK_EQ(m1.live_bytes, m0.live_bytes + 440);
  CHECK_EQ(m1.created, m0.created + 2);
  CHECK_EQ(m1.freed, m0.freed);
  CHECK(m1.peak_bytes >= m1.live_bytes);
  ts_free(a);
  ts_memory_stats m2 = ts_memory();
  CHECK_EQ(m2.live_tensors, m0.live_tensors + 1);
  CHECK_EQ(m2.live_bytes, m0.live_bytes + 40);
  CHECK_EQ(m2.freed, m0.freed + 1);
  CHECK_EQ(m2.peak_bytes, m1.peak_bytes); /* a peak stays */
  ts_free(b);
  CHECK_EQ(ts_memory().live_bytes, m0.live_bytes);
}

TEST(pooled_are_counted_apart) {
  ts_memory_stats m0 = ts_memory();
  ts_pool *p = ts_pool_new(0);
  ts_pool_release(p, ts_zeros(TS_SHAPE(4), TS_INT32));
  ts_memory_stats m1 = ts_memory();
  CHECK_EQ(m1.live_tensors, m0.live_tensors);
  CHECK_EQ(m1.live_bytes, m0.live_bytes);
  CHECK_EQ(m1.pooled_tensors, m0.pooled_tensors + 1);
  CHECK_EQ(m1.pooled_bytes, m0.pooled_bytes + 16);
  ts_tensor *t = ts_pool_acquire(p, TS_SHAPE(4), TS_INT32);
  ts_memory_stats m2 = ts_memory();
  CHECK_EQ(m2.live_tensors, m0.live_tensors + 1);
  CHECK_EQ(m2.pooled_tensors, m0.pooled_tensors);
  ts_free(t);
  ts_pool_destroy(p);
  /* created - freed is what is live: handles issued and ended. */
  ts_memory_stats m3 = ts_memory();
  CHECK_EQ(m3.created - m3.freed, m3.live_tensors);
}

TEST(scopes_update_counters) {
  ts_memory_stats m0 = ts_memory();
  {
    TS_SCOPE_GUARD();
    for (int i = 0; i < 10; i++)
      ts_ones(TS_SHAPE(8), TS_FLOAT32);
    CHECK_EQ(ts_memory().live_tensors, m0.live_tensors + 10);
  }
  ts_memory_stats m1 = ts_memory();
  CHECK_EQ(m1.live_tensors, m0.live_tensors);
  CHECK_EQ(m1.freed, m0.freed + 10);
  CHECK(m1.peak_bytes >= m0.live_bytes + 320);
}

TEST(leak_report_groups_by_site) {
  register_sites();
  ts_tensor *t[5];
  for (int i = 0; i < 3; i++) {
    ts__set_site(MAIN_KEY | 12);
    t[i] = ts_zeros(TS_SHAPE(100), TS_FLOAT32);
  }
  ts__set_site(FORWARD_KEY | 40);
  t[3] = ts_zeros(TS_SHAPE(10), TS_FLOAT32);
  t[4] = ts_zeros(TS_SHAPE(1), TS_FLOAT32); /* site consumed: none */
  char buf[4096];
  CHECK_EQ(report_into(buf, sizeof buf), 5);
  CHECK(strstr(buf, "tsmem: leak report: 5 tensors, 1244 bytes alive\n") ==
        buf);
  const char *big = strstr(buf, "  3 tensors, 1200 bytes at app.c:12 in main");
  const char *small =
      strstr(buf, "  1 tensors, 40 bytes at model.c:40 in forward");
  CHECK(big && small && big < small); /* most bytes first */
  CHECK(strstr(buf, "  1 tensors, 4 bytes at ") != NULL);
  for (int i = 0; i < 5; i++)
    ts_free(t[i]);
  CHECK_EQ(ts_leak_report(NULL), 0);
}

TEST(failed_call_drops_its_site) {
  register_sites();
  ts__set_site(MAIN_KEY | 12);
  CHECK(ts_zeros(TS_SHAPE(2), (ts_dtype)77) == NULL);
  ts_tensor *t = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  char buf[1024];
  report_into(buf, sizeof buf);
  CHECK(strstr(buf, "app.c") == NULL);
  ts_free(t);
}

TEST(leak_report_at_exit) {
  const char *env[] = {"TSMEM_LEAK_REPORT=1", NULL};
  child_result r = child_run("leak", env);
  CHECK_EQ(r.exit_code, 0);
  const char *head = strstr(
      r.err, "tsmem: leak report: 5 tensors, 1256 bytes alive at exit\n");
  CHECK(head != NULL);
  const char *big = strstr(r.err, "app.c:12 in main");
  const char *small = strstr(r.err, "model.c:40 in forward");
  CHECK(head && big && small && head < big && big < small);
  CHECK(strstr(r.err, "3 tensors, 1200 bytes at app.c:12 in main") != NULL);
  if (!head)
    fprintf(stderr, "child stderr:\n%s\n", r.err);

  r = child_run("clean", env); /* nothing alive (pooled does not count) */
  CHECK_EQ(r.exit_code, 0);
  CHECK(strstr(r.err, "leak report") == NULL);

  const char *off[] = {"TSMEM_LEAK_REPORT=0", NULL};
  r = child_run("leak", off);
  CHECK(strstr(r.err, "leak report") == NULL);
}

TEST(twins_record_their_site) {
  register_sites();
  ts_tensor *t = ts__zeros_at(TS_SHAPE(3), TS_FLOAT32, FORWARD_KEY | 7);
  CHECK(t != NULL);
  /* ts_grad without a gradient makes no tensor: its site must not stick. */
  CHECK(ts__grad_at(t, MAIN_KEY | 99) == NULL);
  CHECK_EQ(ts_last_status(), TS_OK);
  ts_tensor *u = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  char buf[1024];
  report_into(buf, sizeof buf);
  CHECK(strstr(buf, "  1 tensors, 12 bytes at model.c:7 in forward\n"));
  CHECK(strstr(buf, "app.c") == NULL);
  ts_free(t);
  ts_free(u);
}

/* ts_relu(ts_add(ts_zeros(..), ts_ones(..))) on one line, as the pass
 * leaves it: the leaves make their tensors without a site, ts_add stamps
 * both with its own, ts_relu has its site only. */
TEST(twins_stamp_their_arguments) {
  register_sites();
  ts_tensor *a = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *b = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *sum = ts__add_at(a, b, MAIN_KEY | STAMP0 | STAMP1 | 30);
  ts_tensor *r = ts__relu_at(sum, MAIN_KEY | 30);
  CHECK(r != NULL);
  char buf[1024];
  report_into(buf, sizeof buf);
  CHECK(strstr(buf, "  4 tensors, 32 bytes at app.c:30 in main\n"));

  /* A tensor that has a site keeps it; a freed, NULL or bogus argument is
   * left alone, and the twin still makes its tensor. */
  ts_tensor *c = ts__relu_at(a, FORWARD_KEY | STAMP0 | 8);
  CHECK(c != NULL);
  ts_tensor *gone = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_free(gone);
  CHECK(ts__add_at(gone, NULL, FORWARD_KEY | STAMP0 | STAMP1 | 9) == NULL);
  CHECK(ts__relu_at((const ts_tensor *)buf, FORWARD_KEY | STAMP0 | 9) == NULL);
  report_into(buf, sizeof buf);
  CHECK(strstr(buf, "  4 tensors, 32 bytes at app.c:30 in main\n"));
  CHECK(strstr(buf, "  1 tensors, 8 bytes at model.c:8 in forward\n"));
  CHECK(strstr(buf, "model.c:9") == NULL);
  ts_free(a);
  ts_free(b);
  ts_free(sum);
  ts_free(r);
  ts_free(c);
  ts_clear_error();
}

/* A unit that unregisters (exit, dlclose) leaves its names behind. */
TEST(unregistered_sites_keep_their_names) {
  char file[] = "lib.c", function[] = "make";
  ts__sites unit[] = {{(uint64_t)0x5a3 << TS__SITE_KEY_SHIFT, file, function}};
  ts__register_sites(unit, 1);
  ts_tensor *t = ts__zeros_at(TS_SHAPE(1), TS_FLOAT32, unit[0].key | 5);
  ts__unregister_sites(unit);
  memset(file, 'x', sizeof file - 1); /* the library's memory is gone */
  memset(function, 'x', sizeof function - 1);
  char buf[1024];
  report_into(buf, sizeof buf);
  CHECK(strstr(buf, "  1 tensors, 4 bytes at lib.c:5 in make\n"));
  ts_free(t);
}

RUN_TESTS(T(memory_counters), T(pooled_are_counted_apart),
          T(scopes_update_counters), T(leak_report_groups_by_site),
          T(failed_call_drops_its_site), T(twins_record_their_site),
          T(twins_stamp_their_arguments),
          T(unregistered_sites_keep_their_names), T(leak_report_at_exit))
