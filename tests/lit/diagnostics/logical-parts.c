// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A `&&` or `||` condition whose part was tested in a block of its own
// (the left side's block): the part's value on the path decides the whole
// condition. `do { t = make(); } while (!t && ++tries < 5);` loops back
// only when t is NULL, so the next make() overwrites no tensor. The same
// shapes with the test the wrong way round loop back with the tensor.
#include <stddef.h>
#include <tsmem.h>

int retry_until_made(int n) {
  ts_tensor *t;
  int tries = 0;
  do {
    t = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  } while (!t && ++tries < 5);
  if (!t)
    return -1;
  ts_free(t);
  return 0;
}

int retry_negated(int n, int more) {
  ts_tensor *t;
  for (;;) {
    t = ts_ones(TS_SHAPE(n), TS_FLOAT32);
    if (!(!t && more-- > 0))
      break;
  }
  if (!t)
    return -1;
  ts_free(t);
  return 0;
}

int retry_or(int n, int more) {
  ts_tensor *t;
  do {
    t = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  } while (!(t != NULL || more-- <= 0));
  if (t == NULL)
    return -1;
  ts_free(t);
  return 0;
}

/* Bugs: the loop goes round again with the tensor it made. */
int loops_while_made(int n) {
  ts_tensor *t;
  int tries = 0;
  do {
    // expected-warning@+2 {{is overwritten before it is freed}}
    // expected-note@+1 {{tensor made here}}
    t = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  } while (t && ++tries < 5);
  if (!t)
    return -1;
  ts_free(t);
  return 0;
}

int loops_either_way(int n, int more) {
  ts_tensor *t;
  do {
    // expected-warning@+2 {{is overwritten before it is freed}}
    // expected-note@+1 {{tensor made here}}
    t = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  } while (!t || more-- > 0);
  ts_free(t);
  return 0;
}
