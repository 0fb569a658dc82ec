// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A ts_run callback (or a TS_SCOPED function) that leaves a tensor in a
// field of the struct its parameter points to: escaped out of its scope,
// the caller's once it returns (a leak when dropped); not escaped, freed
// as its scope ends (a use after scope when read). The parameter may be a
// `void *` given a type by a local pointer (ScopeFills.cpp; issue 15,
// FN 34).
#include <stdio.h>
#include <tsmem.h>

struct frame {
  const ts_tensor *src;
  int tag;
  ts_tensor *img;
  ts_tensor *mask;
};

static void *render(void *p) {
  struct frame *fr = p;
  ts_tensor *g = ts_sigmoid(fr->src);
  fr->img = ts_escape(ts_mul_scalar(g, 255.0));
  return NULL;
}

static void *render_plain(void *p) {
  struct frame *fr = (struct frame *)p;
  fr->mask = ts_relu(fr->src);
  fr->tag = 1;
  return NULL;
}

void show_leaks(const ts_tensor *src) {
  struct frame fr = {src, 0, NULL, NULL};
  ts_run(render, &fr); // expected-note {{tensor made here}}
  printf("%lld\n", (long long)ts_numel(fr.img));
} // expected-warning {{[tsmem-leak]}}

void show_after_scope(const ts_tensor *src) {
  struct frame fr = {src, 0, NULL, NULL};
  ts_run(render_plain, &fr); // expected-note {{the scope ends here}}
  printf("%lld\n", (long long)ts_numel(fr.mask)); // expected-warning {{[tsmem-use-after-scope]}}
}

void show_through_pointer(struct frame *fr) {
  ts_run(render_plain, fr); // expected-note {{the scope ends here}}
  ts_free(fr->mask); // expected-warning {{[tsmem-use-after-scope]}}
}

// A TS_SCOPED helper called directly: its scope ends when it returns.
TS_SCOPED static void prepare(struct frame *fr) {
  fr->mask = ts_neg(fr->src);
}

double prepared_sum(const ts_tensor *src) {
  struct frame fr = {src, 0, NULL, NULL};
  prepare(&fr); // expected-note {{the scope ends here}}
  return (double)ts_numel(fr.mask); // expected-warning {{[tsmem-use-after-scope]}}
}

// Correct: the escaped image is freed.
void show_ok(const ts_tensor *src) {
  struct frame fr = {src, 0, NULL, NULL};
  ts_run(render, &fr);
  printf("%lld\n", (long long)ts_numel(fr.img));
  ts_free(fr.img);
}

// Correct: the scoped mask is never read after the run.
void show_tag(const ts_tensor *src) {
  struct frame fr = {src, 0, NULL, NULL};
  ts_run(render_plain, &fr);
  printf("%d\n", fr.tag);
}

// Correct: frames in an array, each escaped image freed later.
void show_many(const ts_tensor *src) {
  struct frame frs[3];
  for (int i = 0; i < 3; i++) {
    frs[i] = (struct frame){src, i, NULL, NULL};
    ts_run(render, &frs[i]);
  }
  for (int i = 0; i < 3; i++)
    ts_free(frs[i].img);
}

// Correct (quiet): the image is stored on one path only; the caller tests
// it.
static void *render_some(void *p) {
  struct frame *fr = p;
  if (fr->tag)
    fr->img = ts_escape(ts_neg(fr->src));
  return NULL;
}

void show_some(const ts_tensor *src) {
  struct frame fr = {src, 1, NULL, NULL};
  ts_run(render_some, &fr);
  if (fr.img)
    ts_free(fr.img);
}

// Correct (quiet): the typed pointer is moved on, so it may not be the
// parameter any more.
static void *render_moved(void *p) {
  struct frame *fr = p;
  fr = fr + 0;
  fr->mask = ts_neg(fr->src);
  return NULL;
}

void show_moved(const ts_tensor *src) {
  struct frame fr = {src, 0, NULL, NULL};
  ts_run(render_moved, &fr);
  (void)fr.tag;
}

// Correct: the escaped image, freed by the caller through the pointer.
void show_pointer_ok(struct frame *fr) {
  ts_run(render, fr);
  ts_free(fr->img);
  fr->img = NULL;
}
