/* test_stale_sites.c - a stale handle's error names where its tensor was
 * made and where it was freed, as AddressSanitizer's use-after-free reports
 * do (issue 11/18). This file is built without the plugin, with debug
 * information, so both places are return addresses symbolized from it; they
 * are symbolized only when the message is read. */
#define _GNU_SOURCE
#include "check.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile int sink; /* after each call, so that none is a tail call */

__attribute__((noinline)) static ts_tensor *make_victim(void) {
  ts_tensor *t = ts_zeros(TS_SHAPE(3), TS_FLOAT32);
  sink++;
  return t;
}

__attribute__((noinline)) static void free_victim(ts_tensor *t) {
  ts_free(t);
  sink++;
}

__attribute__((noinline)) static ts_tensor *scope_victim(void) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *t = make_victim();
  ts_scope_end(s);
  sink++;
  return t;
}

__attribute__((noinline)) static void pool_victim(ts_pool *p, ts_tensor *t) {
  ts_pool_release(p, t);
  sink++;
}

TEST(ts_free_names_made_and_freed) {
  ts_tensor *t = make_victim();
  free_victim(t);
  CHECK(ts_numel(t) < 0);
  CHECK_EQ(ts_last_status(), TS_ERR_STALE_HANDLE);
  const char *m = ts_last_error();
  CHECK(strstr(m, "was freed by ts_free") != NULL);
  CHECK(strstr(m, "made at make_victim at ") != NULL);
  CHECK(strstr(m, "freed at free_victim at ") != NULL);
  CHECK(strstr(m, "test_stale_sites.c:") != NULL);
  if (!strstr(m, "freed at free_victim"))
    fprintf(stderr, "message was: %s\n", m);
}

/* The slot is reused at once (each thread reuses its last freed slot
 * first): the record of the death survives one reuse. */
TEST(sites_survive_one_reuse_of_the_slot) {
  ts_tensor *t = make_victim();
  free_victim(t);
  ts_tensor *u = ts_zeros(TS_SHAPE(3), TS_FLOAT32); /* likely t's slot */
  CHECK(ts_numel(t) < 0);
  const char *m = ts_last_error();
  CHECK(strstr(m, "was freed by ts_free") != NULL);
  CHECK(strstr(m, "made at make_victim at ") != NULL);
  CHECK(strstr(m, "freed at free_victim at ") != NULL);
  CHECK(ts_numel(u) == 3);
  ts_free(u);
}

TEST(scope_end_names_where_the_scope_ended) {
  ts_tensor *t = scope_victim();
  CHECK(ts_numel(t) < 0);
  const char *m = ts_last_error();
  CHECK(strstr(m, "was freed when its scope ended") != NULL);
  CHECK(strstr(m, "made at make_victim at ") != NULL);
  CHECK(strstr(m, "freed at scope_victim at ") != NULL);
  if (!strstr(m, "freed at scope_victim"))
    fprintf(stderr, "message was: %s\n", m);
}

TEST(pool_release_names_where_it_was_released) {
  ts_pool *p = ts_pool_new(0);
  ts_tensor *t = make_victim();
  pool_victim(p, t);
  CHECK(ts_numel(t) < 0);
  const char *m = ts_last_error();
  CHECK(strstr(m, "was released to a pool") != NULL);
  CHECK(strstr(m, "made at make_victim at ") != NULL);
  CHECK(strstr(m, "freed at pool_victim at ") != NULL);
  ts_pool_destroy(p);
}

/* A free of a stale handle (a double free) names the first free. */
TEST(double_free_names_the_first_free) {
  ts_tensor *t = make_victim();
  free_victim(t);
  CHECK_EQ(ts_free(t), TS_ERR_STALE_HANDLE);
  const char *m = ts_last_error();
  CHECK(strstr(m, "ts_free: t is a stale tensor handle") != NULL);
  CHECK(strstr(m, "freed at free_victim at ") != NULL);
}

/* Symbolizing runs a program, so it happens when the message is read, not
 * at each error: a symbolizer that logs its runs is run only on reading. */
TEST(sites_are_symbolized_only_when_read) {
  char dir[] = "/tmp/tsmem-sites-XXXXXX";
  if (!mkdtemp(dir)) {
    CHECK(!"mkdtemp");
    return;
  }
  char tool[256], log[256], cmd[768];
  snprintf(tool, sizeof tool, "%s/sym.sh", dir);
  snprintf(log, sizeof log, "%s/runs", dir);
  FILE *f = fopen(tool, "w");
  CHECK(f != NULL);
  if (!f)
    return;
  fprintf(f, "#!/bin/sh\necho run >> '%s'\nexec addr2line \"$@\"\n", log);
  fclose(f);
  CHECK(chmod(tool, 0755) == 0);
  setenv("TSMEM_SYMBOLIZER", tool, 1);

  ts_tensor *t = make_victim();
  free_victim(t);
  for (int i = 0; i < 200; i++)
    CHECK(ts_numel(t) < 0);
  CHECK(access(log, F_OK) != 0); /* not run yet */
  const char *m = ts_last_error();
  CHECK(strstr(m, "freed at free_victim at ") != NULL);
  CHECK(access(log, F_OK) == 0); /* run now */
  /* A second read does not run it again, nor does a success after it. */
  f = fopen(log, "r");
  int runs = 0;
  char line[16];
  while (f && fgets(line, sizeof line, f))
    runs++;
  if (f)
    fclose(f);
  CHECK_EQ(runs, 2); /* made, freed */
  (void)ts_last_error();
  ts_clear_error();
  CHECK_EQ(ts_last_error()[0], '\0');
  f = fopen(log, "r");
  int again = 0;
  while (f && fgets(line, sizeof line, f))
    again++;
  if (f)
    fclose(f);
  CHECK_EQ(again, 2);

  unsetenv("TSMEM_SYMBOLIZER");
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  CHECK(system(cmd) == 0);
}

RUN_TESTS(T(ts_free_names_made_and_freed),
          T(sites_survive_one_reuse_of_the_slot),
          T(scope_end_names_where_the_scope_ended),
          T(pool_release_names_where_it_was_released),
          T(double_free_names_the_first_free),
          T(sites_are_symbolized_only_when_read))
