/* test_tensor_errors.c - every error the tensor calls report: the status,
 * a message naming the call, the documented return value, and nothing
 * leaked when libtorch raises inside nested scopes. */
#include "check.h"

#include <math.h>

/* GCC says __SANITIZE_ADDRESS__; clang says __has_feature(address_sanitizer).
 * (`defined(__has_feature) && __has_feature(...)` is not valid where
 * __has_feature is undefined, so the test is split.) */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

static ts_tensor *mat(int64_t rows, int64_t cols) {
  return ts_ones(TS_SHAPE(rows, cols), TS_FLOAT32);
}

TEST(bad_factory_arguments) {
  CHECK(ts_zeros(TS_SHAPE(2, -3), TS_FLOAT32) == NULL);
  CHECK_ERROR(TS_ERR_SHAPE, "ts_zeros");
  CHECK(ts_ones(NULL, 2, TS_FLOAT32) == NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_ones");
  CHECK(ts_empty((const int64_t[]){1}, -1, TS_FLOAT32) == NULL);
  CHECK_ERROR(TS_ERR_ARG, "ts_empty");
  CHECK(ts_full(TS_SHAPE(2), (ts_dtype)42, 1.0) == NULL);
  CHECK_ERROR(TS_ERR_DTYPE, "ts_full");
  CHECK(ts_rand(TS_SHAPE(2), TS_INT32) == NULL);
  CHECK_ERROR(TS_ERR_DTYPE, "ts_rand");
  CHECK(ts_randn(TS_SHAPE(INT64_MAX / 2, 4), TS_FLOAT32) == NULL);
  CHECK_ERROR(TS_ERR_ARG, "ts_randn");
  CHECK(ts_arange(0, 10, 0, TS_FLOAT32) == NULL);
  CHECK_ERROR(TS_ERR_ARG, "ts_arange");
  CHECK(ts_arange(0, 10, -1, TS_FLOAT32) == NULL);
  CHECK_ERROR(TS_ERR_ARG, "ts_arange");
  CHECK(ts_from_buffer(NULL, TS_SHAPE(2), TS_FLOAT32) == NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_from_buffer");
#if !UNDER_ASAN
  /* libtorch itself refuses: 2^42 floats cannot be allocated. (ASan aborts
   * on such a request before libtorch could report it.) */
  CHECK(ts_empty(TS_SHAPE(1 << 20, 1 << 22), TS_FLOAT32) == NULL);
  CHECK_ERROR(TS_ERR_OOM, "ts_empty");
#endif
  /* A good call afterwards clears the error. */
  ts_tensor *t = mat(1, 1);
  CHECK_EQ(ts_last_status(), TS_OK);
  CHECK(strcmp(ts_last_error(), "") == 0);
  ts_free(t);
}

TEST(shape_mismatches) {
  ts_tensor *a = mat(2, 3), *b = mat(4, 5), *c = mat(3, 3);
  CHECK(ts_add(a, b) == NULL);
  CHECK_ERROR(TS_ERR_SHAPE, "ts_add");
  CHECK(strstr(ts_last_error(), "[2,3]") && strstr(ts_last_error(), "[4,5]"));
  CHECK(ts_mul(a, c) == NULL);
  CHECK_ERROR(TS_ERR_SHAPE, "ts_mul");
  CHECK(ts_matmul(a, b) == NULL);
  CHECK_ERROR(TS_ERR_SHAPE, "ts_matmul");
  CHECK(ts_mse_loss(a, c) == NULL);
  CHECK_ERROR(TS_ERR_SHAPE, "ts_mse_loss");
  CHECK(ts_reshape(a, TS_SHAPE(4)) == NULL);
  CHECK_ERROR(TS_ERR_SHAPE, "ts_reshape");
  CHECK(ts_reshape(a, TS_SHAPE(4, -1)) == NULL);
  CHECK_ERROR(TS_ERR_SHAPE, "ts_reshape");
  CHECK(ts_softmax(a, 2) == NULL);
  CHECK_ERROR(TS_ERR_SHAPE, "ts_softmax");
  CHECK(ts_transpose(a, 0, -3) == NULL);
  CHECK_ERROR(TS_ERR_SHAPE, "ts_transpose");
  CHECK(ts_argmax_dim(a, 5) == NULL);
  CHECK_ERROR(TS_ERR_SHAPE, "ts_argmax_dim");
  CHECK_EQ(ts_size(a, 2), -1);
  CHECK_ERROR(TS_ERR_SHAPE, "ts_size");
  ts_free(a), ts_free(b), ts_free(c);
}

TEST(dtype_errors) {
  ts_tensor *logits = mat(2, 3);
  ts_tensor *ftargets = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  CHECK(ts_cross_entropy(logits, ftargets) == NULL);
  CHECK_ERROR(TS_ERR_DTYPE, "ts_cross_entropy");
  ts_tensor *targets = ts_zeros(TS_SHAPE(3), TS_INT64);
  CHECK(ts_cross_entropy(logits, targets) == NULL);
  CHECK_ERROR(TS_ERR_SHAPE, "ts_cross_entropy");
  ts_tensor *ints = ts_ones(TS_SHAPE(2, 3), TS_INT32);
  CHECK(ts_mean(ints) == NULL);
  CHECK_ERROR(TS_ERR_DTYPE, "ts_mean");
  CHECK(ts_log_softmax(ints, 1) == NULL);
  CHECK_ERROR(TS_ERR_DTYPE, "ts_log_softmax");
  CHECK_EQ(ts_requires_grad(ints, true), TS_ERR_DTYPE);
  CHECK_ERROR(TS_ERR_DTYPE, "ts_requires_grad");
  ts_free(logits), ts_free(ftargets), ts_free(targets), ts_free(ints);
}

TEST(libtorch_errors_become_statuses) {
  /* Out-of-range class index: only libtorch can see it. */
  ts_tensor *logits = mat(2, 3);
  ts_tensor *targets =
      ts_from_buffer((const int64_t[]){0, 7}, TS_SHAPE(2), TS_INT64);
  CHECK(ts_cross_entropy(logits, targets) == NULL);
  CHECK(ts_last_status() != TS_OK);
  CHECK(strstr(ts_last_error(), "ts_cross_entropy") != NULL);
  CHECK(strstr(ts_last_error(), "libtorch") != NULL);
  CHECK(strchr(ts_last_error(), '\n') == NULL); /* first line only */
  /* Batched matmul whose batch dims do not broadcast. */
  ts_tensor *x = ts_ones(TS_SHAPE(2, 2, 3), TS_FLOAT32);
  ts_tensor *y = ts_ones(TS_SHAPE(3, 3, 2), TS_FLOAT32);
  CHECK(ts_matmul(x, y) == NULL);
  CHECK(ts_last_status() == TS_ERR_SHAPE || ts_last_status() == TS_ERR_TORCH);
  CHECK(strstr(ts_last_error(), "ts_matmul") != NULL);
  ts_free(logits), ts_free(targets), ts_free(x), ts_free(y);
}

TEST(null_and_stale_handles) {
  ts_tensor *a = mat(2, 2);
  CHECK(ts_add(a, NULL) == NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_add");
  CHECK(isnan(ts_item(NULL)));
  CHECK_ERROR(TS_ERR_NULL, "ts_item");
  ts_tensor *dead = mat(2, 2);
  CHECK_EQ(ts_free(dead), TS_OK);
  CHECK(ts_relu(dead) == NULL);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_relu");
  CHECK(ts_matmul(a, dead) == NULL);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_matmul");
  CHECK_EQ(ts_ndim(dead), -1);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_ndim");
  CHECK_EQ(ts_numel(dead), -1);
  CHECK_EQ(ts_size(dead, 0), -1);
  CHECK_EQ(ts_nbytes(dead), 0);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_nbytes");
  CHECK(ts_tensor_dtype(dead) == (ts_dtype)-1);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_tensor_dtype");
  CHECK(isnan(ts_item(dead)));
  float buf[4];
  CHECK_EQ(ts_copy_to_buffer(dead, buf, sizeof buf), TS_ERR_STALE_HANDLE);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_copy_to_buffer");
  CHECK_EQ(ts_backward(dead), TS_ERR_STALE_HANDLE);
  CHECK(ts_grad(dead) == NULL);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_grad");
  CHECK_EQ(ts_sgd_step(NULL, 0.1), TS_ERR_NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_sgd_step");
  ts_free(a);
}

TEST(item_and_buffer_misuse) {
  ts_tensor *a = mat(2, 2);
  CHECK(isnan(ts_item(a)));
  CHECK_ERROR(TS_ERR_SHAPE, "ts_item");
  float small[3];
  CHECK_EQ(ts_copy_to_buffer(a, small, sizeof small), TS_ERR_ARG);
  CHECK_ERROR(TS_ERR_ARG, "ts_copy_to_buffer");
  CHECK_EQ(ts_copy_to_buffer(a, NULL, 16), TS_ERR_NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_copy_to_buffer");
  ts_set_num_threads(0);
  CHECK_ERROR(TS_ERR_ARG, "ts_set_num_threads");
  ts_free(a);
}

TEST(autograd_misuse) {
  ts_tensor *w = mat(2, 2);
  ts_tensor *s = ts_sum(w);
  CHECK_EQ(ts_backward(s), TS_ERR_ARG); /* nothing requires grad */
  CHECK_ERROR(TS_ERR_ARG, "ts_backward");
  CHECK_EQ(ts_sgd_step(w, 0.1), TS_ERR_ARG);
  CHECK_ERROR(TS_ERR_ARG, "ts_sgd_step");
  CHECK_EQ(ts_requires_grad(w, true), TS_OK);
  ts_tensor *y = ts_mul_scalar(w, 2);
  CHECK_EQ(ts_backward(y), TS_ERR_SHAPE); /* not a scalar */
  CHECK_ERROR(TS_ERR_SHAPE, "ts_backward");
  CHECK_EQ(ts_sgd_step(w, NAN), TS_ERR_ARG);
  ts_free(w), ts_free(s), ts_free(y);
}

/* libtorch raising deep inside nested scopes leaks nothing: the scopes free
 * what was made, the failed call made nothing. */
TEST(errors_inside_nested_scopes_leak_nothing) {
  size_t before = ts_memory().live_tensors;
  ts_scope_id outer = ts_scope_begin();
  ts_tensor *a = mat(2, 3);
  ts_scope_id inner = ts_scope_begin();
  ts_tensor *b = mat(4, 5);
  ts_tensor *logits = ts_relu(a);
  ts_tensor *targets =
      ts_from_buffer((const int64_t[]){9, 9}, TS_SHAPE(2), TS_INT64);
  CHECK(ts_cross_entropy(logits, targets) == NULL); /* libtorch raises */
  CHECK(ts_matmul(a, b) == NULL);                   /* C check fails */
  CHECK_EQ(ts_scope_tensor_count(), 3);
  CHECK_EQ(ts_scope_end(inner), TS_OK);
  CHECK_EQ(ts_scope_tensor_count(), 1);
  CHECK_EQ(ts_scope_end(outer), TS_OK);
  CHECK_EQ(ts_memory().live_tensors, before);
}

RUN_TESTS(T(bad_factory_arguments), T(shape_mismatches), T(dtype_errors),
          T(libtorch_errors_become_statuses), T(null_and_stale_handles),
          T(item_and_buffer_misuse), T(autograd_misuse),
          T(errors_inside_nested_scopes_leak_nothing))
