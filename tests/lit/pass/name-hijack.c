// The pass acts on tsmem's own declarations only (issue 20): this file does
// not include tsmem.h and has its own ts_add and ts_zeros; with the plugin
// they stay its own (no ts__add_at, no libtsmem needed) and compute the
// same as without it. With tsmem.h (-DWITH_TSMEM), the real calls still get
// their sites.
// RUN: %clang -O0 %s -o %tn && %tn | FileCheck %s
// RUN: %clang %tsmem -O0 %s -o %t0 && %t0 | FileCheck %s
// RUN: %clang %tsmem -O2 %s -o %t2 && %t2 | FileCheck %s
// RUN: %clang %tsmem -O0 -S -emit-llvm -o - %s | FileCheck --check-prefix=IR %s
// RUN: %clang %tsmem -DWITH_TSMEM -O0 -S -emit-llvm -o - %s | FileCheck --check-prefix=SITES %s
// CHECK: 3.600 0.5
// IR-NOT: ts__
// IR-NOT: tsmem.sites
// SITES: call ptr @ts__zeros_at(
// SITES: @ts__register_sites
#include <stdio.h>
#include <time.h>

#ifdef WITH_TSMEM
#include <tsmem.h>
void make(void) { ts_free(ts_zeros(TS_SHAPE(2), TS_FLOAT32)); }
#else
static inline void ts_add(struct timespec *A, const struct timespec *B) {
  A->tv_sec += B->tv_sec;
  A->tv_nsec += B->tv_nsec;
}
static double ts_zeros(void) { return 0.5; }

int main(void) {
  struct timespec A = {1, 500000000}, B = {2, 100000000};
  ts_add(&A, &B);
  printf("%.3f %.1f\n", A.tv_sec + A.tv_nsec / 1e9, ts_zeros());
  return 0;
}
#endif
