/*
 * common.h - shared by the precision corpus (tests/lit/precision): correct
 * programs written against SPEC.md that must compile with the plugin under
 * -Werror, run clean in strict mode with the leak report on, and print the
 * same values with and without the plugin at -O0 and -O2.
 *
 * V(...) prints a value line ("v ..."): the lines compared between builds.
 * EXPECT(c) checks a fact that holds in every build; EXPECT_MEM(c) checks a
 * fact about scopes and live tensors that holds only when the plugin lowers
 * TS_SCOPE/TS_SCOPED (an -DTSMEM_EDITOR build has no scopes).
 */
#ifndef PRECISION_COMMON_H
#define PRECISION_COMMON_H
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>

static int pc_failures;

#define V(...)                                                                 \
  do {                                                                         \
    printf("v ");                                                              \
    printf(__VA_ARGS__);                                                       \
    printf("\n");                                                              \
  } while (0)

#define EXPECT(c)                                                              \
  do {                                                                         \
    if (!(c)) {                                                                \
      printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c);                      \
      pc_failures++;                                                           \
    }                                                                          \
  } while (0)

#if defined(TS__PLUGIN) && !defined(TSMEM_EDITOR)
#define EXPECT_MEM(c) EXPECT(c)
#else
#define EXPECT_MEM(c) ((void)0)
#endif

static inline size_t pc_live(void) { return ts_memory().live_tensors; }

static inline int pc_done(const char *name) {
  if (pc_failures)
    printf("%s: %d failures\n", name, pc_failures);
  else
    printf("%s: all checks passed\n", name);
  return pc_failures != 0;
}

#endif
