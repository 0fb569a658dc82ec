// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// What follows a counted loop of many iterations is analysed: the path
// facts of its counter (one of several values) are dropped when they no
// longer fit, rather than kept in part (which made the loop's exit look
// impossible from 5 iterations on).
#include <tsmem.h>

static ts_tensor *smooth(const ts_tensor *x, double *acc) {
  ts_tensor *w = ts_clone(x);
  for (int k = 0; k < 6; k++)
    *acc += 0.5 * k;
  return w;
}

void leak_after_loop(double *acc) {
  ts_tensor *w = ts_ones(TS_SHAPE(3), TS_FLOAT32); // expected-note {{tensor made here, outside any scope}}
  for (int i = 0; i < 8; i++)
    *acc += i;
} // expected-warning {{tensor from 'ts_ones' leaks: 'w' goes out of scope before it is freed}}

double use_after_loop(void) {
  ts_tensor *t = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  double s = 0;
  for (unsigned i = 0; i < 32; ++i)
    s += i;
  ts_free(t); // expected-note {{freed here}}
  return s + ts_item(t); // expected-warning {{use of a tensor after it was freed}}
}

double helper_result_lost(const ts_tensor *x) {
  double acc = 0;
  ts_tensor *y = smooth(x, &acc); // expected-note {{tensor made here, outside any scope}}
  return acc + (double)ts_numel(y); // expected-warning {{tensor from 'smooth' leaks}}
}

// Correct: freed after the loops.
double freed_after_loops(const ts_tensor *x) {
  double acc = 0;
  ts_tensor *y = smooth(x, &acc);
  for (int i = 0; i < 100; i++)
    for (int j = 0; j < 7; j++)
      acc += i * j;
  double v = acc + ts_item(y);
  ts_free(y);
  return v;
}

// Structs returned by value into some element of an array, in a loop:
// each element keeps its own (no overwrite).
struct trial {
  ts_tensor *w;
  double score;
};

static struct trial run_trial(double lr) {
  struct trial t = {NULL, 0};
  ts_tensor *w = ts_zeros(TS_SHAPE(4), TS_FLOAT32);
  for (int i = 0; i < 5; i++)
    t.score += lr * i;
  t.w = w;
  return t;
}

double trials_in_array(void) {
  struct trial trials[3];
  double best = 0;
  for (int i = 0; i < 3; i++) {
    trials[i] = run_trial(0.1 * i);
    if (trials[i].score > best)
      best = trials[i].score;
  }
  for (int i = 0; i < 3; i++)
    ts_free(trials[i].w);
  return best;
}

void trial_lost(void) {
  struct trial t = run_trial(0.5); // expected-note {{tensor made here, outside any scope}}
  (void)t.score;
} // expected-warning {{tensor from 'run_trial' leaks: 't' goes out of scope before it is freed}}
