/* test_clear_grad.c - ts_clear_grad (PyTorch's `p.grad = None`),
 * ts_sgd_step_all (one batched SGD update, then the gradients kept, zeroed
 * or dropped) and ts_backward_sgd (backward and update in one call, the
 * gradients never stored): the same parameters as ts_backward +
 * ts_sgd_step + ts_zero_grad over several training steps, ts_grad after a
 * clear, and every bad argument refused with nothing changed. */
#include "check.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

enum { N = 16, IN = 5, HID = 7, CLS = 3, STEPS = 6 };

static float xs[N * IN];
static int64_t ys[N];

static void make_data(void) {
  uint64_t s = 99;
  for (int i = 0; i < N * IN; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    xs[i] = (float)(s >> 40) / (float)(1u << 24) - 0.5f;
  }
  for (int i = 0; i < N; i++)
    ys[i] = i % CLS;
}

typedef struct {
  ts_tensor *p[4]; /* w1 b1 w2 b2 */
} model;

static void model_init(model *m) {
  float w1[IN * HID], b1[HID], w2[HID * CLS], b2[CLS];
  for (int i = 0; i < IN * HID; i++)
    w1[i] = 0.05f * (float)((i * 7) % 11 - 5);
  for (int i = 0; i < HID; i++)
    b1[i] = 0.01f * (float)(i - 3);
  for (int i = 0; i < HID * CLS; i++)
    w2[i] = 0.04f * (float)((i * 5) % 9 - 4);
  for (int i = 0; i < CLS; i++)
    b2[i] = 0.02f * (float)i;
  m->p[0] = ts_from_buffer(w1, TS_SHAPE(IN, HID), TS_FLOAT32);
  m->p[1] = ts_from_buffer(b1, TS_SHAPE(HID), TS_FLOAT32);
  m->p[2] = ts_from_buffer(w2, TS_SHAPE(HID, CLS), TS_FLOAT32);
  m->p[3] = ts_from_buffer(b2, TS_SHAPE(CLS), TS_FLOAT32);
  for (int i = 0; i < 4; i++)
    CHECK_EQ(ts_requires_grad(m->p[i], true), TS_OK);
}

static void model_free(model *m) {
  for (int i = 0; i < 4; i++)
    CHECK_EQ(ts_free(m->p[i]), TS_OK);
}

/* The MLP's loss, in the current scope. */
static ts_tensor *loss_of(model *m) {
  ts_tensor *x = ts_from_buffer(xs, TS_SHAPE(N, IN), TS_FLOAT32);
  ts_tensor *y = ts_from_buffer(ys, TS_SHAPE(N), TS_INT64);
  ts_tensor *h = ts_relu(ts_add(ts_matmul(x, m->p[0]), m->p[1]));
  ts_tensor *logits = ts_add(ts_matmul(h, m->p[2]), m->p[3]);
  return ts_cross_entropy(logits, y);
}

/* The ways to end a step. */
enum {
  PER_PARAM_ZERO, /* ts_sgd_step + ts_zero_grad: the reference */
  PER_PARAM_CLEAR,
  ALL_ZERO,
  ALL_CLEAR,
  ALL_KEEP_THEN_CLEAR,
  BACKWARD_SGD, /* no ts_backward: ts_backward_sgd does it all */
  NWAYS
};

/* One training step: forward, backward, update, in a scope. */
static void train_step(model *m, int way) {
  TS_SCOPE_GUARD();
  ts_tensor *loss = loss_of(m);
  if (way == BACKWARD_SGD) {
    CHECK_EQ(ts_backward_sgd(loss, m->p, 4, 0.3), TS_OK);
    return;
  }
  CHECK_EQ(ts_backward(loss), TS_OK);
  switch (way) {
  case PER_PARAM_ZERO:
  case PER_PARAM_CLEAR:
    for (int i = 0; i < 4; i++) {
      CHECK_EQ(ts_sgd_step(m->p[i], 0.3), TS_OK);
      CHECK_EQ(way == PER_PARAM_ZERO ? ts_zero_grad(m->p[i])
                                     : ts_clear_grad(m->p[i]),
               TS_OK);
    }
    break;
  case ALL_ZERO:
    CHECK_EQ(ts_sgd_step_all(m->p, 4, 0.3, TS_GRAD_ZERO), TS_OK);
    break;
  case ALL_CLEAR:
    CHECK_EQ(ts_sgd_step_all(m->p, 4, 0.3, TS_GRAD_CLEAR), TS_OK);
    break;
  case ALL_KEEP_THEN_CLEAR:
    CHECK_EQ(ts_sgd_step_all(m->p, 4, 0.3, TS_GRAD_KEEP), TS_OK);
    for (int i = 0; i < 4; i++)
      CHECK_EQ(ts_clear_grad(m->p[i]), TS_OK);
    break;
  }
}

static void values(ts_tensor *t, float *out, size_t cap) {
  CHECK(ts_nbytes(t) <= cap * sizeof(float));
  CHECK_EQ(ts_copy_to_buffer(t, out, cap * sizeof(float)), TS_OK);
}

/* Whether a gradient is there, and what the clearing ways leave. */
static void check_after_update(model *m, int way) {
  for (int i = 0; i < 4; i++) {
    ts_tensor *g = ts_grad(m->p[i]);
    CHECK_EQ(ts_last_status(), TS_OK);
    bool cleared = way == PER_PARAM_CLEAR || way == ALL_CLEAR ||
                   way == ALL_KEEP_THEN_CLEAR || way == BACKWARD_SGD;
    if (cleared) {
      CHECK(g == NULL);
    } else {
      CHECK(g != NULL);
      float v[IN * HID];
      values(g, v, IN * HID);
      for (int64_t k = 0; k < ts_numel(g); k++)
        CHECK(v[k] == 0.0f);
      ts_free(g);
    }
  }
}

/* Every way gives the reference's parameters, value for value, after each
 * of several steps (the gradients the next backward makes into a dropped
 * gradient are the ones it adds to zeros). */
TEST(every_way_gives_the_same_parameters) {
  make_data();
  model m[NWAYS];
  for (int w = 0; w < NWAYS; w++)
    model_init(&m[w]);
  for (int step = 0; step < STEPS; step++) {
    for (int w = 0; w < NWAYS; w++) {
      train_step(&m[w], w);
      check_after_update(&m[w], w);
    }
    for (int i = 0; i < 4; i++) {
      float ref[IN * HID], got[IN * HID];
      values(m[PER_PARAM_ZERO].p[i], ref, IN * HID);
      int64_t n = ts_numel(m[0].p[i]);
      for (int w = 1; w < NWAYS; w++) {
        values(m[w].p[i], got, IN * HID);
        int same = 1;
        for (int64_t k = 0; k < n; k++)
          same &= got[k] == ref[k];
        if (!same)
          fprintf(stderr, "  way %d, step %d, parameter %d differs\n", w, step,
                  i);
        CHECK(same);
      }
    }
  }
  /* The parameters moved: the steps did something. */
  float w1[IN * HID];
  values(m[0].p[0], w1, IN * HID);
  CHECK(w1[0] != 0.05f * (float)(0 - 5));
  for (int w = 0; w < NWAYS; w++)
    model_free(&m[w]);
}

/* ts_grad after a clear: NULL without an error; a tensor an earlier ts_grad
 * gave keeps the old values and does not see the next gradient. */
TEST(grad_after_clear) {
  ts_tensor *p = ts_full(TS_SHAPE(2), TS_FLOAT32, 1.0);
  ts_requires_grad(p, true);
  CHECK_EQ(ts_clear_grad(p), TS_OK); /* no gradient yet: nothing to do */
  {
    TS_SCOPE_GUARD();
    ts_backward(ts_sum(ts_mul(p, p))); /* 2p = 2 */
  }
  ts_tensor *old = ts_grad(p);
  CHECK(old != NULL);
  CHECK_EQ(ts_clear_grad(p), TS_OK);
  CHECK(ts_grad(p) == NULL);
  CHECK_EQ(ts_last_status(), TS_OK);
  CHECK_EQ(ts_clear_grad(p), TS_OK); /* twice: still fine */
  {
    TS_SCOPE_GUARD();
    ts_backward(ts_sum(ts_mul_scalar(p, 5.0))); /* 5, not 2 + 5 */
  }
  ts_tensor *now = ts_grad(p);
  CHECK(now != NULL);
  float v[2];
  values(now, v, 2);
  CHECK(v[0] == 5.0f && v[1] == 5.0f);
  values(old, v, 2);
  CHECK(v[0] == 2.0f && v[1] == 2.0f);
  /* ts_zero_grad still reaches the new gradient, not the old one. */
  CHECK_EQ(ts_zero_grad(p), TS_OK);
  values(now, v, 2);
  CHECK(v[0] == 0.0f);
  values(old, v, 2);
  CHECK(v[0] == 2.0f);
  /* A tensor that never required grad: nothing to drop. */
  ts_tensor *plain = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  CHECK_EQ(ts_clear_grad(plain), TS_OK);
  CHECK(ts_grad(plain) == NULL);
  ts_free(plain), ts_free(now), ts_free(old), ts_free(p);
}

/* ts_sgd_step_all skips parameters without a gradient and takes more
 * parameters than the ones it names in its messages (16). */
TEST(sgd_step_all_many_and_without_gradient) {
  enum { M = 20 };
  ts_tensor *ps[M];
  for (int i = 0; i < M; i++) {
    ps[i] = ts_full(TS_SHAPE(2), TS_FLOAT32, 1.0);
    ts_requires_grad(ps[i], true);
  }
  CHECK_EQ(ts_sgd_step_all(ps, M, 0.5, TS_GRAD_CLEAR), TS_OK); /* no grads */
  {
    TS_SCOPE_GUARD();
    /* Gradients for the even ones only: d/dp of sum(i * p) = i. */
    ts_tensor *loss = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
    for (int i = 0; i < M; i += 2)
      loss = ts_add(loss, ts_mul_scalar(ps[i], (double)i));
    ts_backward(ts_sum(loss));
  }
  CHECK_EQ(ts_sgd_step_all(ps, M, 0.5, TS_GRAD_ZERO), TS_OK);
  for (int i = 0; i < M; i++) {
    float v[2];
    values(ps[i], v, 2);
    float want = i % 2 ? 1.0f : 1.0f - 0.5f * (float)i;
    CHECK(v[0] == want && v[1] == want);
    ts_tensor *g = ts_grad(ps[i]);
    CHECK((g != NULL) == (i % 2 == 0)); /* zeroed, not dropped */
    ts_free(g);
  }
  /* The same parameter twice: updated twice, as two ts_sgd_step calls. */
  {
    TS_SCOPE_GUARD();
    ts_backward(ts_sum(ps[1])); /* gradient 1 */
  }
  ts_tensor *twice[] = {ps[1], ps[1]};
  CHECK_EQ(ts_sgd_step_all(twice, 2, 0.25, TS_GRAD_CLEAR), TS_OK);
  float v[2];
  values(ps[1], v, 2);
  CHECK(v[0] == 0.5f);
  CHECK(ts_grad(ps[1]) == NULL);
  CHECK_EQ(ts_sgd_step_all(NULL, 0, 0.5, TS_GRAD_KEEP), TS_OK);
  for (int i = 0; i < M; i++)
    ts_free(ps[i]);
}

/* Every bad argument: the error names the call (and the parameter's
 * index), and no parameter or gradient changes. */
TEST(bad_arguments_change_nothing) {
  ts_tensor *a = ts_full(TS_SHAPE(2), TS_FLOAT32, 1.0);
  ts_tensor *b = ts_full(TS_SHAPE(2), TS_FLOAT32, 1.0);
  ts_tensor *frozen = ts_full(TS_SHAPE(2), TS_FLOAT32, 1.0);
  ts_requires_grad(a, true), ts_requires_grad(b, true);
  {
    TS_SCOPE_GUARD();
    ts_backward(ts_sum(ts_add(a, b)));
  }
  ts_tensor *freed = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  ts_free(freed);
  ts_pool *pool = ts_pool_new(2);
  ts_tensor *released = ts_zeros(TS_SHAPE(3), TS_FLOAT32);
  ts_pool_release(pool, released);
  ts_tensor *never = (ts_tensor *)(uintptr_t)0x1234;
  ts_tensor *forged = (ts_tensor *)((uintptr_t)a ^ ((uintptr_t)1 << 27));
  struct {
    ts_tensor *t;
    ts_status want;
  } bad[] = {{NULL, TS_ERR_NULL},
             {freed, TS_ERR_STALE_HANDLE},
             {released, TS_ERR_STALE_HANDLE},
             {never, TS_ERR_STALE_HANDLE},
             {forged, TS_ERR_STALE_HANDLE}};
  size_t live = ts_memory().live_tensors;
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
    CHECK_EQ(ts_clear_grad(bad[k].t), bad[k].want);
    CHECK_ERROR(bad[k].want, "ts_clear_grad");
    ts_tensor *ps[] = {a, b, bad[k].t};
    CHECK_EQ(ts_sgd_step_all(ps, 3, 0.5, TS_GRAD_CLEAR), bad[k].want);
    CHECK_ERROR(bad[k].want, "ts_sgd_step_all");
    CHECK(strstr(ts_last_error(), "params[2]") != NULL);
  }
  ts_tensor *with_frozen[] = {a, frozen, b};
  CHECK_EQ(ts_sgd_step_all(with_frozen, 3, 0.5, TS_GRAD_CLEAR), TS_ERR_ARG);
  CHECK_ERROR(TS_ERR_ARG, "ts_sgd_step_all");
  CHECK(strstr(ts_last_error(), "params[1]") != NULL);
  ts_tensor *ps[] = {a, b};
  CHECK_EQ(ts_sgd_step_all(ps, 2, NAN, TS_GRAD_CLEAR), TS_ERR_ARG);
  CHECK_ERROR(TS_ERR_ARG, "ts_sgd_step_all");
  CHECK_EQ(ts_sgd_step_all(ps, 2, 0.5, (ts_grad_after)7), TS_ERR_ARG);
  CHECK_ERROR(TS_ERR_ARG, "ts_sgd_step_all");
  CHECK_EQ(ts_sgd_step_all(NULL, 2, 0.5, TS_GRAD_CLEAR), TS_ERR_NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_sgd_step_all");
  CHECK_EQ(ts_memory().live_tensors, live);
  /* Nothing moved, nothing was dropped: a and b keep 1 and gradient 1. */
  for (int i = 0; i < 2; i++) {
    float v[2];
    values(ps[i], v, 2);
    CHECK(v[0] == 1.0f && v[1] == 1.0f);
    ts_tensor *g = ts_grad(ps[i]);
    CHECK(g != NULL);
    if (g) {
      values(g, v, 2);
      CHECK(v[0] == 1.0f);
    }
    ts_free(g);
  }
  /* The pins were all released: the parameters can be freed. */
  ts_pool_destroy(pool);
  CHECK_EQ(ts_free(a), TS_OK);
  CHECK_EQ(ts_free(b), TS_OK);
  CHECK_EQ(ts_free(frozen), TS_OK);
}

/* ts_backward_sgd leaves the gradients alone: one there before stays as
 * it was and takes no part in the update; a parameter the loss does not
 * depend on stays. */
TEST(backward_sgd_leaves_gradients_alone) {
  ts_tensor *p = ts_full(TS_SHAPE(2), TS_FLOAT32, 1.0);
  ts_tensor *unused = ts_full(TS_SHAPE(2), TS_FLOAT32, 1.0);
  ts_requires_grad(p, true), ts_requires_grad(unused, true);
  {
    TS_SCOPE_GUARD();
    ts_backward(ts_sum(ts_mul_scalar(p, 3.0))); /* p's gradient: 3 */
  }
  ts_tensor *ps[] = {p, unused};
  {
    TS_SCOPE_GUARD();
    ts_tensor *loss = ts_sum(ts_mul(p, p)); /* 2p = 2 */
    CHECK_EQ(ts_backward_sgd(loss, ps, 2, 0.25), TS_OK);
  }
  float v[2];
  values(p, v, 2);
  CHECK(v[0] == 0.5f && v[1] == 0.5f); /* 1 - 0.25 * 2, not 2 + 3 */
  values(unused, v, 2);
  CHECK(v[0] == 1.0f && v[1] == 1.0f);
  ts_tensor *g = ts_grad(p);
  CHECK(g != NULL);
  if (g) {
    values(g, v, 2);
    CHECK(v[0] == 3.0f && v[1] == 3.0f);
  }
  CHECK(ts_grad(unused) == NULL);
  ts_free(g), ts_free(unused), ts_free(p);
}

/* ts_backward_sgd's bad arguments: the error names the call and the
 * argument; nothing runs, so the graph is still there for a ts_backward. */
TEST(backward_sgd_bad_arguments_change_nothing) {
  ts_tensor *p = ts_full(TS_SHAPE(2), TS_FLOAT32, 1.0);
  ts_tensor *frozen = ts_full(TS_SHAPE(2), TS_FLOAT32, 1.0);
  ts_requires_grad(p, true);
  ts_tensor *freed = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  ts_free(freed);
  TS_SCOPE_GUARD();
  ts_tensor *loss = ts_sum(ts_mul(p, p));
  ts_tensor *ps[] = {p};
  CHECK_EQ(ts_backward_sgd(NULL, ps, 1, 0.5), TS_ERR_NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_backward_sgd");
  CHECK(strstr(ts_last_error(), "loss") != NULL);
  CHECK_EQ(ts_backward_sgd(freed, ps, 1, 0.5), TS_ERR_STALE_HANDLE);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_backward_sgd");
  CHECK_EQ(ts_backward_sgd(ts_mul(p, p), ps, 1, 0.5), TS_ERR_SHAPE);
  CHECK_ERROR(TS_ERR_SHAPE, "ts_backward_sgd");
  CHECK_EQ(ts_backward_sgd(ts_sum(frozen), ps, 1, 0.5), TS_ERR_ARG);
  CHECK_ERROR(TS_ERR_ARG, "ts_backward_sgd");
  ts_tensor *bad[] = {p, freed};
  CHECK_EQ(ts_backward_sgd(loss, bad, 2, 0.5), TS_ERR_STALE_HANDLE);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_backward_sgd");
  CHECK(strstr(ts_last_error(), "params[1]") != NULL);
  ts_tensor *with_frozen[] = {p, frozen};
  CHECK_EQ(ts_backward_sgd(loss, with_frozen, 2, 0.5), TS_ERR_ARG);
  CHECK(strstr(ts_last_error(), "params[1]") != NULL);
  CHECK_EQ(ts_backward_sgd(loss, ps, 1, INFINITY), TS_ERR_ARG);
  CHECK_ERROR(TS_ERR_ARG, "ts_backward_sgd");
  CHECK_EQ(ts_backward_sgd(loss, NULL, 1, 0.5), TS_ERR_NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_backward_sgd");
  CHECK_EQ(ts_backward_sgd(loss, NULL, 0, 0.5), TS_OK); /* nothing to do */
  CHECK_EQ(ts_backward_sgd(ts_mul(p, p), NULL, 0, 0.5), TS_ERR_SHAPE);
  float v[2];
  values(p, v, 2);
  CHECK(v[0] == 1.0f && v[1] == 1.0f);
  CHECK(ts_grad(p) == NULL);
  CHECK_EQ(ts_backward(loss), TS_OK); /* the graph was not consumed */
  ts_tensor *g = ts_grad(p);
  CHECK(g != NULL);
  if (g) {
    values(g, v, 2);
    CHECK(v[0] == 2.0f);
  }
  ts_free(g);
  ts_free(p), ts_free(frozen);
}

RUN_TESTS(T(every_way_gives_the_same_parameters), T(grad_after_clear),
          T(sgd_step_all_many_and_without_gradient),
          T(bad_arguments_change_nothing),
          T(backward_sgd_leaves_gradients_alone),
          T(backward_sgd_bad_arguments_change_nothing))
