// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// Loops with a constant bound of any size: the counter's values are
// followed while they are few, then forgotten (not narrowed to the values
// both passes share, which kept the loop going to the analysis budget and
// lost the helper's summary). And a struct stored into an array element
// with a variable index keeps the other elements' tensors.
#include <tsmem.h>

static ts_tensor *smooth(const ts_tensor *x, double *acc) {
  ts_tensor *y = ts_relu(x);
  for (int k = 0; k < 12; k++)
    *acc += 0.5 * k;
  return y;
}

// BUG: smooth() returns a new tensor whatever its loop does.
double smooth_leak(const ts_tensor *x) {
  double acc = 0;
  ts_tensor *y = smooth(x, &acc); // expected-note {{tensor made here, outside any scope}}
  return acc + ts_item(y); // expected-warning {{tensor from 'smooth' leaks: 'y' goes out of scope before it is freed}}
}

// OK: freed.
double smooth_ok(const ts_tensor *x) {
  double acc = 0;
  ts_tensor *y = smooth(x, &acc);
  double v = acc + ts_item(y);
  ts_free(y);
  return v;
}

// BUG: a counted loop of 6 that frees on its last pass, then a free after.
void last_pass(void) {
  ts_tensor *t = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  for (int i = 0; i < 6; i++)
    if (i == 5) // expected-note {{branch taken: 'i == 5' is true}}
      ts_free(t); // expected-note {{freed here}}
  ts_free(t); // expected-warning {{tensor freed or released again after it was freed [tsmem-double-free]}}
}

struct layer {
  ts_tensor *w;
  int width;
};

static struct layer layer_new(int width) {
  struct layer l = {ts_ones(TS_SHAPE(width), TS_FLOAT32), width};
  return l;
}

// OK: each element keeps its own tensor; all are freed.
void layers_ok(void) {
  struct layer ls[5];
  for (int i = 0; i < 5; i++)
    ls[i] = layer_new(i + 1);
  for (int i = 0; i < 5; i++)
    ts_free(ls[i].w);
}

// BUG: the widest layer is a copy of one element, freed twice.
void layers_widest(void) {
  struct layer ls[5];
  struct layer widest = {NULL, 0};
  for (int i = 0; i < 5; i++) {
    ls[i] = layer_new(2 * i + 1);
    if (ls[i].width > widest.width)
      widest = ls[i];
  }
  for (int i = 0; i < 5; i++)
    ts_free(ls[i].w); // expected-note {{freed here}}
  ts_free(widest.w); // expected-warning {{[tsmem-double-free]}}
}
