// One function with thousands of tensor variables must not take the
// analysis super-linear time (issue 20): each shape of
// bench/compile/gen-big-function.py with 4,000 variables, all correct code,
// compiled within a time limit. All six take about 0.8 s of CPU with the
// plugin (0.6 s with TSMEM_PATHS=0, 0.4 s without the plugin); before the
// states were persistent it took minutes, and before the path engine's joins
// looked only at where two states differ (PMap::diff) 9-14 s. The limit is
// on CPU time (prlimit), which a loaded machine does not stretch: 6 s leaves
// the 0.8 s room and fails the test if the quadratic joins come back.
// No diagnostic at all: no false warning, and no function over the budget.
//
// RUN: %gen_big_function straight,branchy,loop,scoped,nested,cleanup 4000 > %t.c
// RUN: prlimit --cpu=6 %clang -fsyntax-only -Werror %tsmem %t.c 2>&1 | FileCheck %s --allow-empty
// CHECK-NOT: {{.}}
//
// The early-return shape makes Clang's CFG itself quadratic: past the
// default budget it is skipped with a remark, at once.
// RUN: %gen_big_function errcheck 5000 > %t-err.c
// RUN: timeout 120 %clang -fsyntax-only -Werror %tsmem %t-err.c 2>&1 | FileCheck %s --check-prefix=ERR
// ERR: remark: function 'big_errcheck' not checked for memory errors: the tsmem analysis needs more than its budget of 2000000 steps here
// ERR-NOT: warning
// ERR-NOT: error
