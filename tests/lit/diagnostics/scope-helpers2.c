// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// Async scopes named by a struct field and driven by same-file helpers:
// what a helper stores in another field between ts_async_scope_enter and
// ts_async_scope_leave of that field belongs to the async scope, and the
// caller's ts_async_scope_end on the field ends it (AsyncFills.cpp).
#include <tsmem.h>

struct stream {
  int steps;
  ts_tensor *acc;
  ts_async_scope *owner;
  ts_tensor *slots[3];
  ts_tensor *mine;
};

static void stream_start(struct stream *st) {
  st->owner = ts_async_scope_begin();
  st->steps = 0;
  ts_async_scope_enter(st->owner);
  st->acc = ts_zeros(TS_SHAPE(4), TS_FLOAT32);
  ts_async_scope_leave(st->owner);
}

static void stream_push(struct stream *st, double v) {
  ts_async_scope_enter(st->owner);
  if (st->steps < 3)
    st->slots[st->steps] = ts_full(TS_SHAPE(4), TS_FLOAT32, v);
  st->acc = ts_add_scalar(st->acc, v);
  st->steps++;
  ts_async_scope_leave(st->owner);
}

// Kept out of the async scope: the caller's to free.
static void stream_keep(struct stream *st) {
  ts_async_scope_enter(st->owner);
  st->mine = ts_keep(ts_ones(TS_SHAPE(4), TS_FLOAT32));
  ts_async_scope_leave(st->owner);
}

// Stores, then hands the whole struct to a function the analysis does not
// see (it keeps st->acc): says nothing.
void stream_persist(struct stream *st);
static void stream_handoff(struct stream *st) {
  ts_async_scope_enter(st->owner);
  st->acc = ts_ones(TS_SHAPE(4), TS_FLOAT32);
  ts_async_scope_leave(st->owner);
  stream_persist(st);
}

// Positive: the field itself, read after the end.
double field_after_end(void) {
  struct stream st;
  stream_start(&st);
  stream_push(&st, 2.0);
  ts_async_scope_end(st.owner); // expected-note {{the scope ends here}}
  return (double)ts_numel(st.acc); // expected-warning {{use of a tensor after the scope that owned it ended and freed it}}
}

// Positive: a copy taken before the end, used after it.
double copy_after_end(double v) {
  struct stream st;
  stream_start(&st);
  ts_tensor *snapshot = st.acc;
  ts_async_scope_end(st.owner); // expected-note {{the scope ends here}}
  return v * (double)ts_numel(snapshot); // expected-warning {{use of a tensor after the scope that owned it ended and freed it}}
}

// Positive: an element stored at a computed index.
double slot_after_end(void) {
  struct stream st;
  stream_start(&st);
  stream_push(&st, 1.0);
  ts_async_scope_end(st.owner); // expected-note {{the scope ends here}}
  return (double)ts_numel(st.slots[0]); // expected-warning {{use of a tensor after the scope that owned it ended and freed it}}
}

// Negative: used before the end.
double used_before_end(void) {
  struct stream st;
  stream_start(&st);
  stream_push(&st, 3.0);
  double r = (double)ts_numel(st.acc);
  ts_async_scope_end(st.owner);
  return r;
}

// Negative: cloned and kept in the async scope before the end.
double kept_before_end(void) {
  struct stream st;
  stream_start(&st);
  ts_async_scope_enter(st.owner);
  ts_tensor *k = ts_keep(ts_clone(st.acc));
  ts_async_scope_leave(st.owner);
  ts_async_scope_end(st.owner);
  double r = (double)ts_numel(k);
  ts_free(k);
  return r;
}

// Negative: the helper kept what it stored.
double helper_kept(void) {
  struct stream st;
  stream_start(&st);
  stream_keep(&st);
  ts_async_scope_end(st.owner);
  double r = (double)ts_numel(st.mine);
  ts_free(st.mine);
  return r;
}

// Negative: the helper handed the struct on.
double helper_handed_on(void) {
  struct stream st;
  st.owner = ts_async_scope_begin();
  stream_handoff(&st);
  ts_async_scope_end(st.owner);
  double r = (double)ts_numel(st.acc);
  ts_free(st.acc);
  return r;
}

// Negative: the session restarted, the field refilled before the read.
double restarted(void) {
  struct stream st;
  stream_start(&st);
  ts_async_scope_end(st.owner);
  stream_start(&st);
  double r = (double)ts_numel(st.acc);
  ts_async_scope_end(st.owner);
  return r;
}

// Negative: the end on the other path only.
double end_on_other_path(int stop) {
  struct stream st;
  stream_start(&st);
  if (stop) {
    ts_async_scope_end(st.owner);
    return 0.0;
  }
  double r = (double)ts_numel(st.acc);
  ts_async_scope_end(st.owner);
  return r;
}
