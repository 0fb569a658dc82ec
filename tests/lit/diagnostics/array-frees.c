// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// An array filled whole by a counted loop, then freed in part: the elements
// no free reaches leak (ArrayFrees.cpp). Silent whenever something else
// may reach the array or the frees cover it all.
#include <stdbool.h>
#include <tsmem.h>

#define ROWS 5

struct bank {
  int used;
  ts_tensor *slot[3];
  ts_tensor *bias;
};

static ts_tensor *fresh(int64_t n) { return ts_ones(TS_SHAPE(n), TS_FLOAT32); }
static void take_all(ts_tensor **v, int n) {
  for (int i = 0; i < n; i++)
    ts_free(v[i]);
}
TS_CONSUMES(1) void sink(ts_tensor *t);
extern void log_value(double v);

// --- Bugs -----------------------------------------------------------------

// Counting down, the loop stops before element 0.
void down_to_one(void) {
  ts_tensor *rows[ROWS];
  for (int r = 0; r < ROWS; r++)
    rows[r] = ts_zeros(TS_SHAPE(2, 2), TS_FLOAT32); // expected-warning {{tensors from 'ts_zeros' leak: a loop fills every element of 'rows' but the frees miss element 0}}
  for (int r = ROWS - 1; r > 0; r--)
    ts_free(rows[r]); // expected-note {{freed here}}
}

// An array field of a local struct, two elements freed by hand.
void bank_two_of_three(void) {
  struct bank b;
  b.used = 3;
  for (int k = 0; k <= 2; ++k)
    b.slot[k] = fresh(k + 1); // expected-warning {{tensors from 'fresh' leak: a loop fills every element of 'b.slot' but the frees miss element 2}}
  log_value(ts_item(b.slot[2]));
  ts_free(b.slot[0]); // expected-note {{freed here}}
  ts_free(b.slot[1]); // expected-note {{freed here}}
}

// The free loop starts at 1; the reads in between only borrow.
double skip_first(void) {
  ts_tensor *acc[4];
  int i;
  for (i = 0; i < 4; i += 1)
    acc[i] = ts_rand(TS_SHAPE(3), TS_FLOAT32); // expected-warning {{a loop fills every element of 'acc' but the frees miss element 0}}
  double s = 0;
  for (i = 0; i < 4; i++)
    s += (double)ts_numel(acc[i]);
  for (i = 1; i < 4; i++)
    if (acc[i]) // expected-note {{freed here}}
      ts_free(acc[i]);
  return s;
}

// Only the newest of a history is dropped, by a consuming call.
void history_last_only(void) {
  ts_tensor *hist[6];
  for (int t = 0; t != 6; t++) {
    log_value((double)t);
    hist[t] = ts_randn(TS_SHAPE(2), TS_FLOAT32); // expected-warning {{the frees miss elements 0 to 4}}
  }
  sink(hist[5]); // expected-note {{freed here}}
}

// --- Correct --------------------------------------------------------------

// Two loops that together free every element.
void split_frees(void) {
  ts_tensor *rows[ROWS];
  for (int r = 0; r < ROWS; r++)
    rows[r] = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  for (int r = 0; r < 2; r++)
    ts_free(rows[r]);
  for (int r = ROWS - 1; r >= 2; --r)
    ts_free(rows[r]);
}

// The last element is kept in another variable and freed through it.
void last_kept(void) {
  ts_tensor *rows[ROWS];
  for (int r = 0; r < ROWS; r++)
    rows[r] = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *last = rows[ROWS - 1];
  for (int r = 0; r < ROWS - 1; r++)
    ts_free(rows[r]);
  ts_free(last);
}

// A helper frees what the loop left.
void helper_frees_rest(void) {
  ts_tensor *rows[ROWS];
  for (int r = 0; r < ROWS; r++)
    rows[r] = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  ts_free(rows[0]);
  take_all(rows + 1, ROWS - 1);
}

// The scope frees every element.
void scoped_fill(void) {
  ts_tensor *rows[ROWS];
  TS_SCOPE {
    for (int r = 0; r < ROWS; r++)
      rows[r] = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
    ts_free(rows[0]);
  }
}

// The free loop may stop early, but the elements left are freed after it.
void break_then_rest(bool stop) {
  ts_tensor *rows[3];
  int r;
  for (r = 0; r < 3; r++)
    rows[r] = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  for (r = 0; r < 2; r++) {
    ts_free(rows[r]);
    if (stop)
      break;
  }
  for (; r < 3; r++)
    ts_free(rows[r]);
}

// The struct goes to a helper whole: it may free the rest.
static void bank_drop(struct bank *b) {
  ts_free(b->slot[2]);
  ts_free(b->bias);
}
void bank_by_helper(void) {
  struct bank b;
  b.bias = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  for (int k = 0; k < 3; k++)
    b.slot[k] = fresh(2);
  ts_free(b.slot[0]);
  ts_free(b.slot[1]);
  bank_drop(&b);
}

// Filled in part only: the dataflow's business, not a counted fill.
void partly_filled(void) {
  ts_tensor *rows[ROWS] = {NULL};
  for (int r = 0; r < ROWS - 1; r++)
    rows[r] = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  for (int r = 0; r < ROWS - 1; r++)
    ts_free(rows[r]);
}

// An element moved into another: the array is not followed.
void moved_element(void) {
  ts_tensor *rows[3];
  for (int r = 0; r < 3; r++)
    rows[r] = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  ts_free(rows[0]);
  rows[0] = rows[2];
  ts_free(rows[0]);
  ts_free(rows[1]);
}
