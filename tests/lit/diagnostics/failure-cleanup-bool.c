// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// FailureCleanup.cpp reads a nonzero constant return of an `int` init as
// its failure. A `bool` init returns `true` on success: a scratch field
// freed there (and left dangling, never read again) is no failure path,
// and what the function leaves in the other fields is the caller's.
// Found by the precision hunt (tests/lit/precision/probe_rules.c).
#include <stdbool.h>
#include <tsmem.h>

struct fs {
  ts_tensor *w, *scratch;
};

bool fs_init(struct fs *m) {
  m->scratch = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  m->w = ts_mul_scalar(m->scratch, 2);
  ts_free(m->scratch);
  return true;
}

// The same shape in an `int` init that returns 1: read as a failure, the
// tensor left in m->w is lost to the caller (who cannot tear m down).
int fs_init_int(struct fs *m) {
  m->scratch = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  m->w = ts_mul_scalar(m->scratch, 2); // expected-note {{made here}}
  ts_free(m->scratch);
  return 1; // expected-warning {{leaks}}
}
