// Without the plugin, TS_SCOPE and TS_SCOPED stop the build with a message
// naming the fix; TS_SCOPE_GUARD() works everywhere.
// RUN: not %clang %cflags -fsyntax-only -DUSE_SCOPE %s 2>&1 | FileCheck %s --check-prefix=SCOPE
// RUN: not %clang %cflags -fsyntax-only -DUSE_SCOPED %s 2>&1 | FileCheck %s --check-prefix=SCOPED
// RUN: %clang %cflags -fsyntax-only -Werror %s
#include <tsmem.h>

#ifdef USE_SCOPE
void f(void) {
  // SCOPE: no-plugin.c:[[@LINE+1]]:3: error: TS_SCOPE needs the tsmem Clang plugin: compile with clang-19 -fplugin=<prefix>/lib/tsmem/tsmem.so
  TS_SCOPE { }
}
#endif

#ifdef USE_SCOPED
// SCOPED: no-plugin.c:[[@LINE+1]]:1: error: TS_SCOPED needs the tsmem Clang plugin: compile with clang-19 -fplugin=<prefix>/lib/tsmem/tsmem.so
TS_SCOPED void g(void) {}
#endif

void h(void) { TS_SCOPE_GUARD(); }
