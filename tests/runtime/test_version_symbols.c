/* test_version_symbols.c - the version a program can ask for, and leak
 * reports that name functions and lines without the plugin (this file is
 * built without it, with debug information). */
#include "check.h"

#include <stdlib.h>

TEST(version_matches_header) {
  CHECK(strcmp(ts_version(), TSMEM_VERSION_STRING) == 0);
  char expect[32];
  snprintf(expect, sizeof expect, "%d.%d.%d", TSMEM_VERSION_MAJOR,
           TSMEM_VERSION_MINOR, TSMEM_VERSION_PATCH);
  CHECK(strcmp(ts_version(), expect) == 0);
  CHECK(TSMEM_VERSION == TSMEM_VERSION_MAJOR * 10000 +
                             TSMEM_VERSION_MINOR * 100 + TSMEM_VERSION_PATCH);
}

/* A static function: dladdr cannot name it, the symbolizer can. */
__attribute__((noinline)) static ts_tensor *make_forgotten_tensor(void) {
  return ts_zeros(TS_SHAPE(3), TS_FLOAT32);
}

static char *report_text(void) {
  static char text[4096];
  FILE *f = tmpfile();
  if (!f)
    return NULL;
  ts_leak_report(f);
  rewind(f);
  size_t n = fread(text, 1, sizeof text - 1, f);
  text[n] = '\0';
  fclose(f);
  return text;
}

TEST(leak_report_names_static_function_and_line) {
  ts_tensor *t = make_forgotten_tensor();
  char *text = report_text();
  CHECK(text && strstr(text, "make_forgotten_tensor at "));
  CHECK(text && strstr(text, "test_version_symbols.c:"));
  if (text && !strstr(text, "make_forgotten_tensor"))
    fprintf(stderr, "report was:\n%s", text);
  ts_free(t);
}

TEST(symbolizer_off_falls_back_to_offsets) {
  setenv("TSMEM_SYMBOLIZER", "0", 1);
  ts_tensor *t = make_forgotten_tensor();
  char *text = report_text();
  CHECK(text && strstr(text, "test_version_symbols(+0x"));
  CHECK(text && !strstr(text, "test_version_symbols.c:"));
  ts_free(t);
  unsetenv("TSMEM_SYMBOLIZER");
}

RUN_TESTS(T(version_matches_header),
          T(leak_report_names_static_function_and_line),
          T(symbolizer_off_falls_back_to_offsets))
