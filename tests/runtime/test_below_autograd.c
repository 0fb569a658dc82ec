/* Calls whose tensor arguments carry no autograd state run below libtorch's
 * autograd layer (runtime/torch/core.hpp, ops_support.hpp: BelowAutograd).
 * What must not change: results, graphs through any argument that requires
 * grad, and the version counter that catches an in-place change of a tensor
 * saved for backward (ADInplaceOrView stays on). */
#include "check.h"

#include <tsmem/ops.h>

#include <math.h>

static ts_tensor *vec(float a, float b, float c, float d) {
  float v[4] = {a, b, c, d};
  return ts_from_buffer(v, TS_SHAPE(2, 2), TS_FLOAT32);
}

static bool equals(const ts_tensor *t, float a, float b, float c, float d) {
  float v[4];
  if (ts_copy_to_buffer(t, v, sizeof v) != TS_OK)
    return false;
  return v[0] == a && v[1] == b && v[2] == c && v[3] == d;
}

/* Plain arguments: the same values, through the core and generated calls. */
TEST(plain_results) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *x = vec(1, -2, 3, -4), *y = vec(10, 20, 30, 40);
  CHECK(equals(ts_add(x, y), 11, 18, 33, 36));
  CHECK(equals(ts_add_Tensor(x, y, 2.0), 21, 38, 63, 76));
  CHECK(equals(ts_relu(x), 1, 0, 3, 0));
  CHECK(equals(ts_matmul(x, y), 1 * 10 - 2 * 30, 1 * 20 - 2 * 40,
               3 * 10 - 4 * 30, 3 * 20 - 4 * 40));
  ts_tensor *z = ts_zeros(TS_SHAPE(2, 2), TS_FLOAT32);
  CHECK(equals(z, 0, 0, 0, 0));
  CHECK(ts_abs_(x) == x);
  CHECK(equals(x, 1, 2, 3, 4));
  ts_scope_end(s);
}

/* One argument requires grad: the graph is built through every call. */
TEST(graph_through_a_grad_argument) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *w = vec(1, 2, 3, 4), *x = vec(5, 6, 7, 8);
  CHECK_EQ(ts_requires_grad(w, true), TS_OK);
  ts_tensor *y = ts_mul_Tensor(x, w); /* generated */
  ts_tensor *r = ts_add(ts_relu(y), ts_zeros(TS_SHAPE(2, 2), TS_FLOAT32));
  CHECK_EQ(ts_backward(ts_sum(r)), TS_OK);
  ts_tensor *g = ts_grad(w);
  CHECK(g && equals(g, 5, 6, 7, 8));
  ts_scope_end(s);
}

/* A tensor made by plain calls, then made to require grad. */
TEST(plain_then_requires_grad) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *x = ts_add(vec(1, 2, 3, 4), vec(0, 0, 0, 0));
  CHECK_EQ(ts_requires_grad(x, true), TS_OK);
  CHECK_EQ(ts_backward(ts_sum(ts_mul(x, x))), TS_OK);
  ts_tensor *g = ts_grad(x);
  CHECK(g && equals(g, 2, 4, 6, 8));
  ts_scope_end(s);
}

/* x is plain and saved for w's gradient; changing it in place (a plain
 * call) must still bump its version, so that backward refuses. */
TEST(in_place_change_of_saved_plain_tensor_is_caught) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *w = vec(1, 2, 3, 4), *x = vec(-5, 6, -7, 8);
  CHECK_EQ(ts_requires_grad(w, true), TS_OK);
  ts_tensor *y = ts_mul_Tensor(w, x);
  CHECK(ts_abs_(x) == x);
  CHECK_EQ(ts_backward(ts_sum(y)), TS_ERR_TORCH);
  CHECK(strstr(ts_last_error(), "inplace") != NULL);
  ts_clear_error();
  ts_scope_end(s);
}

/* A view of a plain tensor, in place, seen through its base. */
TEST(views_of_plain_tensors) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *x = vec(-1, -2, 3, 4);
  ts_tensor *row = ts_select_int(x, 0, 0);
  CHECK(row != NULL);
  CHECK(ts_abs_(row) == row);
  CHECK(equals(x, 1, 2, 3, 4));
  ts_scope_end(s);
}

/* ts_sgd_step and ts_zero_grad run below autograd too (they are no-grad
 * updates, tensor_autograd.cpp): the values as before, and a parameter
 * saved for a graph not yet backwarded, then stepped in place, still has
 * its version bumped, so that backward refuses. */
TEST(sgd_step_and_zero_grad_below_autograd) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *w = vec(1, 2, 3, 4);
  CHECK_EQ(ts_requires_grad(w, true), TS_OK);
  CHECK_EQ(ts_backward(ts_sum(ts_mul(w, w))), TS_OK); /* grad 2w */
  CHECK_EQ(ts_sgd_step(w, 0.5), TS_OK);               /* w - w = 0 */
  CHECK(equals(w, 0, 0, 0, 0));
  ts_tensor *g = ts_grad(w);
  CHECK(g && equals(g, 2, 4, 6, 8));
  CHECK_EQ(ts_zero_grad(w), TS_OK);
  CHECK(equals(g, 0, 0, 0, 0));
  /* Still a leaf that requires grad: a new graph, a new gradient. */
  CHECK_EQ(ts_backward(ts_sum(ts_mul(w, vec(1, 1, 1, 1)))), TS_OK);
  CHECK(equals(g, 1, 1, 1, 1));
  /* w saved by mul (for its own gradient), then stepped in place. */
  ts_tensor *y = ts_mul(w, w);
  CHECK_EQ(ts_sgd_step(w, 1.0), TS_OK);
  CHECK(equals(w, -1, -1, -1, -1));
  CHECK_EQ(ts_backward(ts_sum(y)), TS_ERR_TORCH);
  CHECK(strstr(ts_last_error(), "inplace") != NULL);
  ts_clear_error();
  /* zero_grad bumps the gradient's version too: g (sharing it) saved by
   * mul for w's gradient, then zeroed through w. */
  ts_tensor *z = ts_mul(g, w);
  CHECK_EQ(ts_zero_grad(w), TS_OK);
  CHECK(equals(g, 0, 0, 0, 0));
  CHECK_EQ(ts_backward(ts_sum(z)), TS_ERR_TORCH);
  CHECK(strstr(ts_last_error(), "inplace") != NULL);
  ts_clear_error();
  ts_scope_end(s);
}

RUN_TESTS(T(plain_results), T(graph_through_a_grad_argument),
          T(plain_then_requires_grad),
          T(in_place_change_of_saved_plain_tensor_is_caught),
          T(views_of_plain_tensors), T(sgd_step_and_zero_grad_below_autograd))
