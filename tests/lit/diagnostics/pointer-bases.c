// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// The fields of a struct a local pointer points to are followed (`l->g`)
// also when the function returns the pointer (a constructor's `return l;`
// ends the function: no alias of l is left to reach its fields by another
// name), and when the address of a field that holds no tensor is taken (a
// list walk's `pp = &w->next`). The address of a field that holds a tensor
// still stops it: what is written through it is not seen.
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

struct layer {
  ts_tensor *gamma;
  ts_tensor *beta;
  double momentum;
};

struct word {
  ts_tensor *vec;
  int count;
  struct word *next;
};

// --- Positive cases --------------------------------------------------------

// The constructor's error path frees gamma twice.
struct layer *layer_new_twice(double momentum) {
  struct layer *l = calloc(1, sizeof *l);
  if (!l)
    return NULL;
  l->momentum = momentum;
  l->gamma = ts_ones(TS_SHAPE(4), TS_FLOAT32);
  l->beta = ts_zeros(TS_SHAPE(4), TS_FLOAT32);
  if (momentum <= 0.0)
    goto fail;
  return l;
fail:
  ts_free(l->beta);
  ts_free(l->gamma); // expected-note {{freed here}}
  ts_free(l->gamma); // expected-warning {{tensor freed or released again after it was freed}}
  free(l);
  return NULL;
}

// A pruned word's vector read after its free, in a pointer-to-pointer walk.
int words_prune_logged(struct word **head, int min_count) {
  int removed = 0;
  struct word **pp = head;
  while (*pp) {
    struct word *w = *pp;
    if (w->count >= min_count) {
      pp = &w->next;
      continue;
    }
    *pp = w->next;
    ts_free(w->vec); // expected-note {{freed here}}
    ts_tensor *s = ts_sum(w->vec); // expected-warning {{use of a tensor after it was freed}}
    ts_free(s);
    free(w);
    removed++;
  }
  return removed;
}

// --- Negative cases --------------------------------------------------------

// The same constructor, each field freed once on the error path.
struct layer *layer_new(double momentum) {
  struct layer *l = calloc(1, sizeof *l);
  if (!l)
    return NULL;
  l->momentum = momentum;
  l->gamma = ts_ones(TS_SHAPE(4), TS_FLOAT32);
  l->beta = ts_zeros(TS_SHAPE(4), TS_FLOAT32);
  if (momentum <= 0.0)
    goto fail;
  return l;
fail:
  ts_free(l->beta);
  ts_free(l->gamma);
  free(l);
  return NULL;
}

// A field freed, cleared, refilled, then the struct returned.
struct layer *layer_reset(struct layer *l) {
  ts_free(l->gamma);
  l->gamma = NULL;
  l->gamma = ts_ones(TS_SHAPE(4), TS_FLOAT32);
  return l;
}

// The walk that frees without reading after the free.
int words_prune(struct word **head, int min_count) {
  int removed = 0;
  struct word **pp = head;
  while (*pp) {
    struct word *w = *pp;
    if (w->count >= min_count) {
      pp = &w->next;
      continue;
    }
    *pp = w->next;
    ts_tensor *s = ts_sum(w->vec);
    ts_free(s);
    ts_free(w->vec);
    free(w);
    removed++;
  }
  return removed;
}

// The vector replaced through the address of its field: the read after
// sees the new tensor.
double word_refresh(struct word *w) {
  ts_tensor **slot = &w->vec;
  ts_free(*slot);
  *slot = ts_zeros(TS_SHAPE(4), TS_FLOAT32);
  ts_tensor *s = ts_sum(w->vec);
  double v = ts_item(s);
  ts_free(s);
  return v;
}
