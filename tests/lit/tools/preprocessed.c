// RUN: rm -rf %t && mkdir -p %t
// RUN: %clang %tsmem -fno-caret-diagnostics -O1 -c %s -o %t/direct.o 2> %t/direct.txt
// RUN: %clang %tsmem -E %s -o %t/pre.i
// RUN: %clang %tsmem -Wno-unused-command-line-argument -fno-caret-diagnostics -O1 -c %t/pre.i -o %t/pre.o 2> %t/pre.txt
// RUN: cmp %t/direct.o %t/pre.o
// Lines and messages are the same; a column after a macro on the same line
// is the expanded text's in a .i file (as for clang's own diagnostics).
// RUN: sed -E 's/^([^:]*:[0-9]+):[0-9]+:/\1:/' %t/direct.txt > %t/direct.lines
// RUN: sed -E 's/^([^:]*:[0-9]+):[0-9]+:/\1:/' %t/pre.txt > %t/pre.lines
// RUN: diff %t/direct.lines %t/pre.lines
// RUN: FileCheck %s < %t/pre.txt
// -save-temps keeps the .i and compiles it with the plugin.
// RUN: cd %t && %clang %tsmem -O1 -save-temps -c %s -o %t/st.o 2> %t/st.txt
// RUN: FileCheck %s < %t/st.txt
// Preprocessing with the plugin expands TS_SCOPE (the plugin is seen
// through __has_attribute(tsmem_plugin)); without it, the #error of SPEC 1.
// RUN: FileCheck %s --check-prefix=PRE < %t/pre.i
// RUN: not %clang %cflags -E %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=NOPLUGIN
#include <tsmem.h>

TS_SCOPED ts_tensor *make(void) {
  ts_tensor *t = ts_ones(TS_SHAPE(4), TS_FLOAT32);
  return t;
}
// CHECK: preprocessed.c:[[@LINE-2]]:10: warning: {{.*}}[tsmem-unescaped-return]

double after(void) {
  ts_tensor *t;
  TS_SCOPE { t = ts_sum(ts_ones(TS_SHAPE(4), TS_FLOAT32)); }
  return ts_item(t);
}
// CHECK: preprocessed.c:[[@LINE-2]]:18: warning: {{.*}}[tsmem-use-after-scope]

int64_t freed(void) {
  ts_tensor *t = ts_zeros(TS_SHAPE(3), TS_FLOAT32);
  ts_free(t);
  return ts_numel(t);
}
// CHECK: preprocessed.c:[[@LINE-2]]:19: warning: {{.*}}[tsmem-use-after-free]

// PRE: annotate("tsmem.scope"){{.*}}make(void)
// PRE: cleanup(ts__scope_guard_end)
// NOPLUGIN: error: TS_SCOPE needs the tsmem Clang plugin
