// Precision corpus: serving code (ts_run handlers, sessions in async scopes
// managed through helpers, results stored in requests) and training loops
// that track the best tensor across scoped iterations; all correct.
// RUN: %clang %tsmem -Wall -Wextra -Werror -O0 %s -o %t0 %link_tsmem
// RUN: env TSMEM_STRICT=1 TSMEM_LEAK_REPORT=1 %t0 > %t0.out 2>&1
// RUN: %clang %tsmem -Wall -Wextra -Werror -O2 %s -o %t2 %link_tsmem
// RUN: env TSMEM_STRICT=1 TSMEM_LEAK_REPORT=1 %t2 > %t2.out 2>&1
// RUN: diff %t0.out %t2.out
// RUN: FileCheck %s < %t0.out
// CHECK-NOT: FAIL
// CHECK-NOT: tsmem:
// CHECK: clean_serving: all checks passed
// CHECK-NOT: tsmem:
#include "common.h"
#include <stdbool.h>
#include <string.h>

static double sum_of(const ts_tensor *t) {
  ts_tensor *s = ts_sum(t);
  double v = ts_item(s);
  ts_free(s);
  return v;
}

/* ---- requests handled through ts_run ---- */
struct request {
  int id;
  double scale;
  ts_tensor *input;  /* borrowed */
  ts_tensor *output; /* the caller's, manual, when status is 0 */
  int status;
};

static ts_tensor *preprocess(const ts_tensor *x, double k) {
  ts_tensor *c = ts_clone(x);
  ts_tensor *s = ts_mul_scalar(c, k);
  ts_free(c);
  return s;
}

static void *handle(void *arg) {
  struct request *r = arg;
  ts_tensor *x = preprocess(r->input, r->scale);
  ts_tensor *y = ts_relu(x);
  ts_free(x);
  if (sum_of(y) <= 0) {
    r->status = -1;
    return NULL; /* y dies with the run's scope */
  }
  r->output = ts_keep(y);
  r->status = 0;
  return r;
}

static double serve_batch(void) {
  ts_tensor *in = ts_arange(-2, 3, 1, TS_FLOAT32);
  struct request reqs[3];
  double scales[3] = {1, -1, 2};
  for (int i = 0; i < 3; i++) {
    memset(&reqs[i], 0, sizeof reqs[i]);
    reqs[i].id = i;
    reqs[i].scale = scales[i];
    reqs[i].input = in;
  }
  double acc = 0;
  for (int i = 0; i < 3; i++) {
    ts_run(handle, &reqs[i]);
    if (reqs[i].status == 0) {
      acc += sum_of(reqs[i].output);
      ts_free(reqs[i].output);
      reqs[i].output = NULL;
    }
  }
  ts_free(in);
  return acc;
}

/* ---- sessions in async scopes, managed through helpers ---- */
struct session {
  ts_async_scope *scope;
  ts_tensor *state; /* owned by scope */
  int steps;
};

static int session_open(struct session *s) {
  s->scope = ts_async_scope_begin();
  if (!s->scope)
    return -1;
  s->steps = 0;
  ts_async_scope_enter(s->scope);
  s->state = ts_zeros(TS_SHAPE(3), TS_FLOAT32);
  ts_async_scope_leave(s->scope);
  return s->state ? 0 : -1;
}

static void session_step(struct session *s, double v) {
  ts_async_scope_enter(s->scope);
  ts_tensor *n = ts_add_scalar(s->state, v);
  s->state = n; /* the old state stays in the scope until it ends */
  s->steps++;
  ts_async_scope_leave(s->scope);
}

static ts_tensor *session_result(struct session *s) {
  ts_async_scope_enter(s->scope);
  ts_tensor *r = ts_keep(ts_clone(s->state));
  ts_async_scope_leave(s->scope);
  return r;
}

static void session_close(struct session *s) {
  ts_async_scope_end(s->scope);
  s->scope = NULL;
  s->state = NULL;
}

static double sessions_demo(void) {
  struct session a, b;
  if (session_open(&a) != 0)
    return -1;
  if (session_open(&b) != 0) {
    session_close(&a);
    return -1;
  }
  for (int i = 0; i < 4; i++) {
    session_step(&a, 1);
    if (i % 2)
      session_step(&b, 10);
  }
  ts_tensor *ra = session_result(&a);
  session_close(&a);
  ts_tensor *rb = session_result(&b);
  session_close(&b);
  double r = sum_of(ra) + sum_of(rb);
  ts_free(ra);
  ts_free(rb);
  return r;
}

/* ---- training loop: the best tensor escapes each scoped iteration ---- */
static double best_of(int epochs) {
  ts_tensor *best = NULL;
  double best_loss = 1e9;
  TS_SCOPE for (int e = 0; e < epochs; e++) {
    ts_tensor *w = ts_full(TS_SHAPE(2), TS_FLOAT32, e - 2);
    ts_tensor *sq = ts_mul(w, w);
    ts_tensor *loss = ts_mean(sq);
    double l = ts_item(loss);
    if (l < best_loss) {
      best_loss = l;
      if (best)
        ts_free(best);
      best = ts_escape(w);
    }
  }
  double r = best ? sum_of(best) + best_loss : -1;
  ts_free(best);
  return r;
}

/* Early stopping: break out of a scoped loop with a kept result. */
static double early_stop(int patience) {
  ts_tensor *kept = NULL;
  int bad = 0;
  double prev = 1e9;
  TS_SCOPE for (int e = 0;; e++) {
    ts_tensor *x = ts_full(TS_SHAPE(1), TS_FLOAT32, (e - 3) * (e - 3));
    double l = sum_of(x);
    if (l >= prev && ++bad >= patience) {
      kept = ts_keep(x);
      break;
    }
    prev = l;
  }
  double r = sum_of(kept);
  ts_free(kept);
  return r;
}

/* Momentum buffers living across iterations of a scoped loop. */
static double momentum(int steps) {
  ts_tensor *w = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  ts_tensor *v = ts_zeros(TS_SHAPE(3), TS_FLOAT32);
  TS_SCOPE for (int s = 0; s < steps; s++) {
    ts_tensor *g = ts_mul_scalar(w, 0.1);
    ts_tensor *v2 = ts_add(ts_mul_scalar(v, 0.9), g);
    ts_tensor *w2 = ts_sub(w, v2);
    ts_free(v);
    ts_free(w);
    v = ts_escape(v2);
    w = ts_escape(w2);
  }
  double r = sum_of(w);
  ts_free(w);
  ts_free(v);
  return r;
}

/* A scoped function returning a struct of escaped tensors. */
struct stats {
  ts_tensor *mean, *max;
};

TS_SCOPED static struct stats stats_of(const ts_tensor *x) {
  struct stats s;
  ts_tensor *m = ts_mean(x);
  ts_tensor *a = ts_argmax(x);
  s.mean = ts_escape(m);
  s.max = ts_escape(a);
  return s;
}

static double stats_demo(void) {
  ts_tensor *x = ts_arange(0, 5, 1, TS_FLOAT32);
  struct stats s = stats_of(x);
  double r = ts_item(s.mean) + ts_item(s.max);
  ts_free(s.mean);
  ts_free(s.max);
  ts_free(x);
  return r;
}

/* A caller-scope helper used inside a scope, with the result escaped. */
TS_CALLER_SCOPE static ts_tensor *square(const ts_tensor *x) {
  return ts_mul(x, x);
}

static ts_tensor *sum_squares(int n) {
  ts_tensor *out = NULL;
  TS_SCOPE {
    ts_tensor *x = ts_arange(0, n, 1, TS_FLOAT32);
    ts_tensor *sq = square(x);
    out = ts_escape(ts_sum(sq));
  }
  return out;
}

int main(void) {
  size_t base = pc_live();
  V("serve %.1f", serve_batch());
  V("sessions %.1f", sessions_demo());
  V("best_of %.1f", best_of(5));
  V("early_stop %.1f", early_stop(2));
  V("momentum %.4f", momentum(4));
  V("stats %.1f", stats_demo());
  ts_tensor *s = sum_squares(4);
  V("sum_squares %.1f", ts_item(s));
  ts_free(s);
  EXPECT(pc_live() == base);
  EXPECT(ts_scope_depth() == 0);
  return pc_done("clean_serving");
}
