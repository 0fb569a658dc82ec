// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// `c = p ? ts_clone(p) : NULL` in a loop: on a pass where the arm that makes
// the tensor is not taken, its value is NULL, not the tensor an earlier pass
// made there (which another variable still holds). Keeping the best copy
// and freeing the previous one is correct; freeing the kept copy twice is
// still reported.
#include <tsmem.h>
#include <tsmem/ops.h>

double score(const ts_tensor *t);

// OK: the previous best freed when a new copy replaces it.
ts_tensor *best_copy(const ts_tensor *img, int steps) {
  ts_tensor *best = NULL;
  for (int i = 0; i < steps; i++) {
    ts_tensor *copy = ts_detach(img);
    ts_tensor *c = copy ? ts_clone(copy) : NULL;
    if (copy)
      ts_free(copy);
    if (c) {
      if (best)
        ts_free(best);
      best = c;
    }
  }
  return best;
}

// OK: the same with `continue` on a failed copy.
ts_tensor *best_copy_continue(const ts_tensor *img, int steps) {
  ts_tensor *best = NULL;
  for (int i = 0; i < steps; i++) {
    ts_tensor *copy = ts_detach(img);
    ts_tensor *c = copy ? ts_clone(copy) : NULL;
    if (copy)
      ts_free(copy);
    if (!c)
      continue;
    if (best)
      ts_free(best);
    best = c;
  }
  return best;
}

// Bug: the new copy freed, then kept and freed again on the next pass.
ts_tensor *best_copy_freed(const ts_tensor *img, int steps) {
  ts_tensor *best = NULL;
  for (int i = 0; i < steps; i++) {
    ts_tensor *c = img ? ts_clone(img) : NULL;
    if (!c)
      continue;
    if (best)
      ts_free(best); // expected-warning {{freed or released again}}
    ts_free(c); // expected-note {{freed here}}
    best = c;
  }
  return best;
}

// Bug: the copy made on one arm leaks on the way out.
void copy_leaks(const ts_tensor *img) {
  ts_tensor *c = img ? ts_clone(img) : NULL; // expected-note {{tensor made here}}
  (void)c;
} // expected-warning {{leaks}}
