// 200 different generated operators used correctly (the file is generated
// by tools/gen-ops/gen_tests.py): not one warning from the plugin, at
// -fsyntax-only or through code generation with the pass.
// RUN: %clang -fsyntax-only -Werror %tsmem %ops_dir/ops_plugin_ok.c
// RUN: %clang -c -O1 -Werror %tsmem %ops_dir/ops_plugin_ok.c -o %t.o
// RUN: grep -c "^  t = ts_\|^    ts_tensor \*t = ts_\|^  ts_tensor \*t[0-9]* = ts_\|^  (void)ts_\|^  if (ts_" %ops_dir/ops_plugin_ok.c | FileCheck --check-prefix=COUNT %s
// COUNT: 200
