// The analysis budget (issue 20): past it, a function is not checked, and a
// remark says so; below it, nothing changes. Set by the plugin argument or
// TSMEM_ANALYSIS_BUDGET (the argument wins).
//
// RUN: %clang -fsyntax-only -Xclang -verify=full %tsmem %s
// RUN: %clang -fsyntax-only -Xclang -verify=full %tsmem -fplugin-arg-tsmem-analysis-budget=100000 %s
// RUN: %clang -fsyntax-only -Xclang -verify=small %tsmem -fplugin-arg-tsmem-analysis-budget=60 %s
// RUN: env TSMEM_ANALYSIS_BUDGET=60 %clang -fsyntax-only -Xclang -verify=small %tsmem %s
// RUN: env TSMEM_ANALYSIS_BUDGET=60 %clang -fsyntax-only -Xclang -verify=full %tsmem -fplugin-arg-tsmem-analysis-budget=100000 %s
// RUN: env TSMEM_ANALYSIS_BUDGET=junk %clang -fsyntax-only -Xclang -verify=full %tsmem %s
//
// A remark is not a warning: -Werror leaves it a remark.
// RUN: %clang -fsyntax-only -Werror -Xclang -verify=werr %tsmem -fplugin-arg-tsmem-analysis-budget=60 %s
//
// RUN: not %clang -fsyntax-only %tsmem -fplugin-arg-tsmem-analysis-budget=lots %s 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not %clang -fsyntax-only %tsmem -fplugin-arg-tsmem-analysis-budget=0 %s 2>&1 | FileCheck %s --check-prefix=ZERO
// BAD: error: tsmem plugin: -fplugin-arg-tsmem-analysis-budget takes a positive number of steps, not 'lots'
// ZERO: error: tsmem plugin: -fplugin-arg-tsmem-analysis-budget takes a positive number of steps, not '0'
#include <tsmem.h>

// Small: fits any budget here, so its leak is always reported.
void small(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x); // full-note {{tensor made here}} small-note {{tensor made here}} werr-note {{tensor made here}}
  (void)ts_numel(t);
} // full-warning {{'t' goes out of scope before it is freed}} small-warning {{'t' goes out of scope before it is freed}}
  // werr-error@-1 {{'t' goes out of scope before it is freed}}

// Bigger: past a budget of 60 steps it is skipped, leak and all.
double bigger(const ts_tensor *x, int n) { // small-remark {{function 'bigger' not checked for memory errors: the tsmem analysis needs more than its budget of 60 steps here (-fplugin-arg-tsmem-analysis-budget=N sets it)}}
  // werr-remark@-1 {{function 'bigger' not checked}}
  double total = 0;
  ts_tensor *a = ts_add(x, x);
  ts_tensor *b = ts_mul(a, x);
  for (int i = 0; i < n; i++) {
    ts_tensor *c = ts_relu(b);
    if (i % 2)
      total += ts_item(c);
    else
      total -= ts_item(c);
    ts_free(c);
  }
  ts_tensor *d = ts_sigmoid(b); // full-note {{tensor made here}}
  total += ts_item(d);
  ts_free(b);
  ts_free(a);
  return total; // full-warning {{'d' goes out of scope before it is freed}}
}
