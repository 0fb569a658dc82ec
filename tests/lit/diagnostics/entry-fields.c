// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// Same-file helpers that free the tensor a field of *param holds on entry,
// then clear the field (NULL-guarded teardowns) or put another tensor
// there (update helpers): the caller's copies and aliases of the old
// tensor are freed by the call (EntryFields.cpp).
#include <stddef.h>
#include <tsmem.h>

struct layer {
  ts_tensor *weight;
  ts_tensor *bias;
  int units;
};

struct state {
  int steps;
  struct {
    ts_tensor *mean;
  } stats;
};

// --- Helpers --------------------------------------------------------------

// Guarded, and each field cleared: a second call is harmless.
static void layer_release(struct layer *l) {
  if (l->weight != NULL) {
    ts_free(l->weight);
    l->weight = NULL;
  }
  if (l->bias)
    ts_free(l->bias);
  l->bias = NULL;
}

// Cleared without a guard.
static void layer_drop_bias(struct layer *l) {
  ts_free(l->bias);
  l->bias = NULL;
}

// Replaced: the old weight is freed, a new one takes its place.
static void layer_rescale(struct layer *l, double k) {
  ts_tensor *scaled = ts_mul_scalar(l->weight, k);
  ts_free(l->weight);
  l->weight = scaled;
}

// A field one level down, replaced by a fresh tensor.
static void state_reset(struct state *s) {
  if (s->stats.mean)
    ts_free(s->stats.mean);
  s->stats.mean = ts_zeros(TS_SHAPE(4), TS_FLOAT32);
}

// Frees the old weight only on one branch: not on every path.
static void layer_maybe_shrink(struct layer *l, int shrink) {
  if (shrink) {
    ts_free(l->weight);
    l->weight = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  }
}

// Moves one field into another: the old weight is freed, the bias moves.
static void layer_promote(struct layer *l) {
  if (l->weight)
    ts_free(l->weight);
  l->weight = l->bias;
  l->bias = NULL;
}

// Braced guards, the last one ending the function.
static void layer_clear(struct layer *l) {
  if (l->weight) {
    ts_free(l->weight);
    l->weight = NULL;
  }
  if (l->bias) {
    ts_free(l->bias);
    l->bias = NULL;
  }
}

// Frees the bias only when the layer is wide: not on every path.
static void layer_trim(struct layer *l) {
  if (l->units > 4) {
    ts_free(l->bias);
    l->bias = NULL;
  }
}

static struct layer layer_new(int units) {
  struct layer l = {ts_randn(TS_SHAPE(units, units), TS_FLOAT32),
                    ts_zeros(TS_SHAPE(units), TS_FLOAT32), units};
  return l;
}

// --- Bugs -------------------------------------------------------------------

void copy_then_release_both(void) {
  struct layer a = layer_new(3);
  struct layer b = a; // shares both tensors
  layer_release(&a); // expected-note {{freed here}}
  layer_release(&b); // expected-warning {{tensor freed or released again after it was freed}}
}

void free_by_hand_then_release(void) {
  struct layer l = layer_new(2);
  ts_free(l.bias); // expected-note {{freed here}}
  layer_release(&l); // expected-warning {{tensor freed or released again after it was freed}}
}

void alias_used_after_release(void) {
  struct layer l = layer_new(2);
  ts_tensor *w = l.weight;
  layer_release(&l); // expected-note {{freed here}}
  (void)ts_numel(w); // expected-warning {{use of a tensor after it was freed}}
}

double alias_used_after_rescale(void) {
  struct layer l = layer_new(2);
  ts_tensor *before = l.weight;
  layer_rescale(&l, 0.5); // expected-note {{freed here}}
  double d = ts_item(before); // expected-warning {{use of a tensor after it was freed}}
  layer_release(&l);
  return d;
}

void alias_freed_after_drop(void) {
  struct layer l = layer_new(2);
  ts_tensor *b = l.bias;
  layer_drop_bias(&l); // expected-note {{freed here}}
  ts_free(b); // expected-warning {{tensor freed or released again after it was freed}}
  layer_release(&l);
}

void nested_field_alias(void) {
  struct state s = {0, {ts_ones(TS_SHAPE(4), TS_FLOAT32)}};
  ts_tensor *m = s.stats.mean;
  state_reset(&s); // expected-note {{freed here}}
  ts_free(m); // expected-warning {{tensor freed or released again after it was freed}}
  ts_free(s.stats.mean);
}

void array_of_layers_alias(void) {
  struct layer ls[2];
  for (int i = 0; i < 2; i++)
    ls[i] = layer_new(2);
  ts_tensor *last = ls[1].bias;
  for (int i = 0; i < 2; i++)
    layer_release(&ls[i]); // expected-note {{freed here}}
  (void)ts_numel(last); // expected-warning {{use of a tensor after it was freed}}
}

void weight_freed_then_cleared(void) {
  struct layer l = layer_new(3);
  ts_free(l.weight); // expected-note {{freed here}}
  layer_clear(&l); // expected-warning {{tensor freed or released again after it was freed}}
}

double bias_alias_after_clear(void) {
  struct layer l = layer_new(3);
  ts_tensor *b = l.bias;
  layer_clear(&l); // expected-note {{freed here}}
  return ts_item(b); // expected-warning {{use of a tensor after it was freed}}
}

// --- Correct code -----------------------------------------------------------

void release_twice_is_harmless(void) {
  struct layer l = layer_new(2);
  layer_release(&l);
  layer_release(&l); // the fields were cleared
}

void copy_released_once(void) {
  struct layer a = layer_new(2);
  struct layer b = a;
  layer_release(&b);
}

void free_by_hand_and_clear(void) {
  struct layer l = layer_new(2);
  ts_free(l.bias);
  l.bias = NULL;
  layer_release(&l);
}

double rescale_then_use_new(void) {
  struct layer l = layer_new(2);
  layer_rescale(&l, 2.0);
  double d = ts_item(l.weight);
  layer_release(&l);
  return d;
}

void alias_read_before_rescale(void) {
  struct layer l = layer_new(2);
  ts_tensor *w = l.weight;
  (void)ts_numel(w);
  layer_rescale(&l, 2.0);
  layer_release(&l);
}

void maybe_shrink_then_free_alias(int k) {
  struct layer l = layer_new(2);
  ts_tensor *w = l.weight;
  layer_maybe_shrink(&l, k);
  if (!k)
    (void)ts_numel(w);
  layer_release(&l);
}

void promote_keeps_bias(void) {
  struct layer l = layer_new(2);
  ts_tensor *b = l.bias;
  layer_promote(&l);
  (void)ts_numel(b); // now the weight: alive
  layer_release(&l);
}

void reset_then_free_new(void) {
  struct state s = {0, {NULL}};
  state_reset(&s);
  ts_free(s.stats.mean);
}

void cleared_by_hand_alias_kept(void) {
  struct layer l = layer_new(2);
  ts_tensor *w = l.weight;
  l.weight = NULL; // w now owns it
  layer_release(&l);
  ts_free(w);
}

void clear_twice_is_harmless(void) {
  struct layer l = layer_new(3);
  layer_clear(&l);
  layer_clear(&l);
}

// Freed on some paths only (a wide layer, as this one is): the copy may
// be dangling (MayFreeEntries.cpp).
void trim_then_free_bias(void) {
  struct layer l = layer_new(8);
  ts_tensor *b = l.bias;
  layer_trim(&l); // expected-note {{freed here}}
  (void)ts_numel(b); // expected-warning {{use of a tensor after it was freed}}
  layer_clear(&l);
}
