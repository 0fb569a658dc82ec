// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// An element freed and replaced through a loop's index (`ts_free(m->p[i]);
// m->p[i] = t;`), then read back through the same index in the same pass:
// it holds the new tensor, not the one the loop freed (SameIndex.cpp). The
// new element freed and read again still reports.
#include <stdbool.h>
#include <tsmem.h>

struct model {
  ts_tensor *p[4];
};
struct saved {
  ts_tensor *s[4];
};

// Correct: each parameter replaced by its saved copy, then marked.
void restore_all(struct saved *sv, struct model *m) {
  for (int i = 0; i < 4; i++) {
    ts_free(m->p[i]);
    m->p[i] = sv->s[i];
    sv->s[i] = NULL;
    ts_requires_grad(m->p[i], true);
  }
}

// Correct: a local array of parameters replaced by fresh tensors.
void refresh_all(void) {
  ts_tensor *p[3];
  for (int i = 0; i < 3; i++)
    p[i] = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  for (int i = 0; i < 3; i++) {
    ts_free(p[i]);
    p[i] = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
    ts_requires_grad(p[i], true);
  }
  for (int i = 0; i < 3; i++)
    ts_free(p[i]);
}

// Bug: the new element is freed, then read through the same index.
void replace_then_free(struct model *m) {
  for (int i = 0; i < 4; i++) {
    ts_free(m->p[i]);
    m->p[i] = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
    ts_free(m->p[i]); // expected-note {{freed here}}
    ts_requires_grad(m->p[i], true); // expected-warning {{use of a tensor after it was freed}}
  }
}
