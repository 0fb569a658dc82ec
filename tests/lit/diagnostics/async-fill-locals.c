// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A same-file helper entering the async scope a struct field names and
// storing in another field a tensor made there through a local, or the
// ts_escape of one from a TS_SCOPE directly inside: the async scope owns
// it, and the caller's ts_async_scope_end on the field frees it
// (AsyncFills.cpp, heldout6 S8).
#include <tsmem.h>

struct store {
  ts_async_scope *scope;
  ts_tensor *w;
  ts_tensor *acc;
  ts_tensor *mine;
  int saves;
};

// Through a local, the previous tensor freed first.
static void store_save(struct store *s, const ts_tensor *x) {
  ts_async_scope_enter(s->scope);
  ts_tensor *c = ts_clone(x);
  if (s->w)
    ts_free(s->w);
  s->w = c;
  ts_async_scope_leave(s->scope);
  s->saves++;
}

// Escaped from a TS_SCOPE into the async scope.
static void store_step(struct store *s, double v) {
  ts_async_scope_enter(s->scope);
  TS_SCOPE {
    ts_tensor *add = ts_full(TS_SHAPE(2), TS_FLOAT32, v);
    ts_tensor *next = ts_add(s->acc, add);
    ts_free(s->acc);
    s->acc = ts_escape(next);
  }
  ts_async_scope_leave(s->scope);
}

// The local is kept: the caller's, not the async scope's.
static void store_keep(struct store *s, const ts_tensor *x) {
  ts_async_scope_enter(s->scope);
  ts_tensor *c = ts_clone(x);
  s->mine = c;
  ts_keep(c);
  ts_async_scope_leave(s->scope);
}

// Not escaped: the TS_SCOPE's tensor (not a fill of the async scope).
void store_scratch(struct store *s, double v);

// Positive: the saved weight read after the end.
double saved_after_end(const ts_tensor *x) {
  struct store s = {ts_async_scope_begin(), NULL, NULL, NULL, 0};
  store_save(&s, x);
  ts_async_scope_end(s.scope); // expected-note {{the scope ends here}}
  return (double)ts_numel(s.w); // expected-warning {{use of a tensor after the scope that owned it ended and freed it}}
}

// Positive: a copy of the escaped accumulator used after the end.
double step_after_end(const ts_tensor *x) {
  struct store s = {ts_async_scope_begin(), NULL, NULL, NULL, 0};
  ts_async_scope_enter(s.scope);
  s.acc = ts_clone(x);
  ts_async_scope_leave(s.scope);
  store_step(&s, 1.0);
  ts_tensor *acc = s.acc;
  ts_async_scope_end(s.scope); // expected-note {{the scope ends here}}
  return (double)ts_numel(acc); // expected-warning {{use of a tensor after the scope that owned it ended and freed it}}
}

// Negative: read before the end.
double saved_before_end(const ts_tensor *x) {
  struct store s = {ts_async_scope_begin(), NULL, NULL, NULL, 0};
  store_save(&s, x);
  double r = (double)ts_numel(s.w);
  ts_async_scope_end(s.scope);
  return r;
}

// Negative: cloned before the end.
ts_tensor *step_cloned(const ts_tensor *x) {
  struct store s = {ts_async_scope_begin(), NULL, NULL, NULL, 0};
  ts_async_scope_enter(s.scope);
  s.acc = ts_clone(x);
  ts_async_scope_leave(s.scope);
  store_step(&s, 1.0);
  ts_tensor *r = ts_clone(s.acc);
  ts_async_scope_end(s.scope);
  return r;
}

// Negative: the helper kept its local.
double kept_local(const ts_tensor *x) {
  struct store s = {ts_async_scope_begin(), NULL, NULL, NULL, 0};
  store_keep(&s, x);
  ts_async_scope_end(s.scope);
  double r = (double)ts_numel(s.mine);
  ts_free(s.mine);
  return r;
}
