// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// TS_CONSUMES: after the call the tensor is gone on every path, whatever the
// callee does with it. Async scopes: what is made between enter and leave
// belongs to the async scope, and its end frees it.
#include <tsmem.h>

struct model { ts_tensor *w; };
void model_set(struct model *m, ts_tensor *w) TS_CONSUMES(2);

void use_after_consume(struct model *m) {
  ts_tensor *w = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  model_set(m, w); // expected-note {{freed here}}
  (void)ts_item(w); // expected-warning {{use of a tensor after it was freed [tsmem-use-after-free]}}
}

void free_after_consume(struct model *m) {
  ts_tensor *w = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  model_set(m, w); // expected-note {{freed here}}
  ts_free(w); // expected-warning {{tensor freed or released again after it was freed [tsmem-double-free]}}
}

void consumed_once(struct model *m) { // correct
  ts_tensor *w = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  (void)ts_item(w);
  model_set(m, w);
}

void consumed_on_one_path(struct model *m, int c) { // correct
  ts_tensor *w = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  if (c) {
    model_set(m, w);
    return;
  }
  ts_free(w);
}

double use_after_async_end(void) {
  ts_async_scope *s = ts_async_scope_begin();
  ts_async_scope_enter(s);
  ts_tensor *t = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_async_scope_leave(s);
  ts_async_scope_end(s); // expected-note {{the scope ends here}}
  return ts_item(t); // expected-warning {{use of a tensor after the scope that owned it ended and freed it}}
}

double use_before_async_end(void) { // correct
  ts_async_scope *s = ts_async_scope_begin();
  ts_async_scope_enter(s);
  ts_tensor *t = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_async_scope_leave(s);
  double v = ts_item(t);
  ts_async_scope_end(s);
  return v;
}

double kept_out_of_async(void) { // correct
  ts_async_scope *s = ts_async_scope_begin();
  ts_async_scope_enter(s);
  ts_tensor *t = ts_keep(ts_ones(TS_SHAPE(2), TS_FLOAT32));
  ts_async_scope_leave(s);
  ts_async_scope_end(s);
  double v = ts_item(t);
  ts_free(t);
  return v;
}

double ended_on_one_path(int c) { // correct: ended only when c, then not used
  ts_async_scope *s = ts_async_scope_begin();
  ts_async_scope_enter(s);
  ts_tensor *t = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_async_scope_leave(s);
  if (c) {
    ts_async_scope_end(s);
    return 0;
  }
  double v = ts_item(t);
  ts_async_scope_end(s);
  return v;
}
