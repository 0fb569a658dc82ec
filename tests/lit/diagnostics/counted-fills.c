// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A local array filled by appending (`a[n++] = made()`, n counting from
// 0), then freed by a loop that stops short of the count: the last
// elements leak (ArrayFrees.cpp). Silent when the count moves otherwise,
// or when something else frees or takes the elements.
#include <stdbool.h>
#include <tsmem.h>

extern bool keep_this(int i);
extern void take(ts_tensor **xs, int n);

// --- Bugs -----------------------------------------------------------------

void one_short(void) {
  ts_tensor *snap[4] = {0};
  int n = 0;
  for (int i = 0; i < 8; i++)
    if (i % 2 == 1)
      snap[n++] = ts_zeros(TS_SHAPE(2), TS_FLOAT32); // expected-warning {{tensors from 'ts_zeros' leak: a loop fills every element of 'snap' but the frees miss the last one (element n - 1)}}
  for (int i = 0; i + 1 < n; i++)
    ts_free(snap[i]); // expected-note {{freed here}}
}

void two_short(void) {
  ts_tensor *keep[6];
  int used = 0;
  int i = 0;
  while (i < 6) {
    if (keep_this(i))
      keep[used++] = ts_ones(TS_SHAPE(3), TS_FLOAT32); // expected-warning {{frees miss the last 2 (from element used - 2)}}
    i++;
  }
  for (int j = 0; j < used - 2; j++)
    ts_free(keep[j]); // expected-note {{freed here}}
}

// --- Correct --------------------------------------------------------------

void all_of_them(void) {
  ts_tensor *snap[4] = {0};
  int n = 0;
  for (int i = 0; i < 4; i++)
    if (keep_this(i))
      snap[n++] = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  for (int i = 0; i < n; i++)
    ts_free(snap[i]);
}

// The last one freed on its own.
void last_apart(void) {
  ts_tensor *snap[4] = {0};
  int n = 0;
  for (int i = 0; i < 4; i++)
    snap[n++] = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  for (int i = 0; i + 1 < n; i++)
    ts_free(snap[i]);
  ts_free(snap[n - 1]);
}

// The count moves again (one dropped before the loop).
void count_moved(void) {
  ts_tensor *snap[4] = {0};
  int n = 0;
  for (int i = 0; i < 4; i++)
    snap[n++] = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  ts_free(snap[--n]);
  for (int i = 0; i < n; i++)
    ts_free(snap[i]);
}

// Handed on whole.
void handed_on(void) {
  ts_tensor *snap[4] = {0};
  int n = 0;
  for (int i = 0; i < 4; i++)
    if (keep_this(i))
      snap[n++] = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  take(snap, n);
}
