/* test_tensor_autograd.c - gradients checked against finite differences,
 * grad handle semantics, and an MLP training loop with one scope per step
 * whose live-tensor count stays flat while its loss goes down. */
#include "check.h"

#include <math.h>

/* f(w) = sum(tanh(x @ w) * y): a small function with a nontrivial gradient. */
static double f_value(const float *wv, ts_tensor *x, ts_tensor *y) {
  TS_SCOPE_GUARD();
  ts_tensor *w = ts_from_buffer(wv, TS_SHAPE(3, 2), TS_FLOAT32);
  return ts_item(ts_sum(ts_mul(ts_tanh(ts_matmul(x, w)), y)));
}

TEST(gradient_matches_finite_differences) {
  float xv[] = {0.5f, -1, 2, 1, 0.25f, -0.5f};
  float yv[] = {1, -2, 0.5f, 3};
  float wv[] = {0.1f, -0.2f, 0.3f, 0.05f, -0.4f, 0.2f};
  ts_tensor *x = ts_from_buffer(xv, TS_SHAPE(2, 3), TS_FLOAT32);
  ts_tensor *y = ts_from_buffer(yv, TS_SHAPE(2, 2), TS_FLOAT32);
  ts_tensor *w = ts_from_buffer(wv, TS_SHAPE(3, 2), TS_FLOAT32);
  CHECK(ts_grad(w) == NULL); /* no gradient yet: NULL and no error */
  CHECK_EQ(ts_last_status(), TS_OK);
  CHECK_EQ(ts_requires_grad(w, true), TS_OK);
  {
    TS_SCOPE_GUARD();
    ts_tensor *loss = ts_sum(ts_mul(ts_tanh(ts_matmul(x, w)), y));
    CHECK_EQ(ts_backward(loss), TS_OK);
  }
  ts_tensor *g = ts_grad(w);
  CHECK(g != NULL);
  CHECK_EQ(ts_size(g, 0), 3);
  CHECK_EQ(ts_size(g, 1), 2);
  float gv[6];
  CHECK_EQ(ts_copy_to_buffer(g, gv, sizeof gv), TS_OK);
  for (int i = 0; i < 6; i++) {
    float wp[6], wm[6];
    memcpy(wp, wv, sizeof wv), memcpy(wm, wv, sizeof wv);
    wp[i] += 1e-3f, wm[i] -= 1e-3f;
    double num = (f_value(wp, x, y) - f_value(wm, x, y)) / 2e-3;
    if (fabs(num - gv[i]) > 1e-2)
      fprintf(stderr, "  dw[%d]: autograd %g, numeric %g\n", i, gv[i], num);
    CHECK(fabs(num - gv[i]) <= 1e-2);
  }
  /* The handle shares the gradient's storage: zeroing shows through it. */
  CHECK_EQ(ts_zero_grad(w), TS_OK);
  float zv[6];
  ts_copy_to_buffer(g, zv, sizeof zv);
  CHECK(zv[0] == 0 && zv[5] == 0);
  ts_free(g), ts_free(x), ts_free(y), ts_free(w);
}

TEST(sgd_step_moves_against_the_gradient) {
  ts_tensor *p = ts_full(TS_SHAPE(2), TS_FLOAT32, 1.0);
  ts_requires_grad(p, true);
  CHECK_EQ(ts_sgd_step(p, 0.5), TS_OK); /* no gradient yet: nothing moves */
  {
    TS_SCOPE_GUARD();
    ts_tensor *loss = ts_sum(ts_mul(p, p)); /* d/dp = 2p = 2 */
    ts_backward(loss);
  }
  CHECK_EQ(ts_sgd_step(p, 0.25), TS_OK);
  float v[2];
  ts_copy_to_buffer(p, v, sizeof v);
  CHECK(v[0] == 0.5f && v[1] == 0.5f);
  /* Gradients accumulate until zeroed, as in libtorch. */
  {
    TS_SCOPE_GUARD();
    ts_backward(ts_sum(p));
  }
  ts_tensor *g = ts_grad(p);
  ts_copy_to_buffer(g, v, sizeof v);
  CHECK(v[0] == 3.0f);
  ts_free(g), ts_free(p);
}

/* Two-layer MLP on a separable synthetic problem. */
TEST(training_loop_is_flat_and_learns) {
  ts_manual_seed(1);
  enum { N = 64, IN = 8, HID = 16, CLS = 3, STEPS = 150 };
  ts_tensor *x = ts_randn(TS_SHAPE(N, IN), TS_FLOAT32);
  /* Labels from a fixed random linear map: learnable by the MLP. */
  ts_tensor *proj = ts_randn(TS_SHAPE(IN, CLS), TS_FLOAT32);
  ts_tensor *y;
  {
    TS_SCOPE_GUARD();
    y = ts_keep(ts_argmax_dim(ts_matmul(x, proj), 1));
  }
  ts_tensor *w1, *w2;
  {
    TS_SCOPE_GUARD(); /* frees the randn temporaries; keeps the weights */
    w1 = ts_keep(ts_mul_scalar(ts_randn(TS_SHAPE(IN, HID), TS_FLOAT32), 0.3));
    w2 = ts_keep(ts_mul_scalar(ts_randn(TS_SHAPE(HID, CLS), TS_FLOAT32), 0.3));
  }
  ts_tensor *b1 = ts_zeros(TS_SHAPE(HID), TS_FLOAT32);
  ts_tensor *b2 = ts_zeros(TS_SHAPE(CLS), TS_FLOAT32);
  ts_tensor *params[] = {w1, b1, w2, b2};
  for (int i = 0; i < 4; i++)
    CHECK_EQ(ts_requires_grad(params[i], true), TS_OK);

  size_t live_start = 0;
  double first = 0, last = 0;
  for (int step = 0; step < STEPS; step++) {
    ts_scope_id s = ts_scope_begin();
    ts_tensor *h = ts_relu(ts_add(ts_matmul(x, w1), b1));
    ts_tensor *logits = ts_add(ts_matmul(h, w2), b2);
    ts_tensor *loss = ts_cross_entropy(logits, y);
    double l = ts_item(loss);
    CHECK_EQ(ts_backward(loss), TS_OK);
    for (int i = 0; i < 4; i++) {
      CHECK_EQ(ts_sgd_step(params[i], 0.5), TS_OK);
      CHECK_EQ(ts_zero_grad(params[i]), TS_OK);
    }
    CHECK_EQ(ts_scope_end(s), TS_OK);
    if (step == 0)
      first = l, live_start = ts_memory().live_tensors;
    last = l;
    if (ts_memory().live_tensors != live_start) {
      CHECK_EQ(ts_memory().live_tensors, live_start);
      break;
    }
  }
  fprintf(stderr, "  loss %.4f -> %.4f over %d steps\n", first, last, STEPS);
  CHECK(last < first * 0.5);
  for (int i = 0; i < 4; i++)
    ts_free(params[i]);
  ts_free(x), ts_free(proj), ts_free(y);
}

RUN_TESTS(T(gradient_matches_finite_differences),
          T(sgd_step_moves_against_the_gradient),
          T(training_loop_is_flat_and_learns))
