/*
 * test_ops_ownership.c - SPEC section 2's ownership on the generated
 * operators of <tsmem/ops.h>: new results (single, several, lists) belong to
 * the current scope and die with it; in-place and out= calls return the
 * handle they were given and make none; a view is a new handle that outlives
 * its base; errors become TS_ERR_TORCH naming the call. Built with ASan and
 * UBSan (tsmem_san).
 */
#include "../runtime/check.h"

#include <math.h>
#include <tsmem/ops.h>

static ts_tensor *arange16(void) {
  float v[16];
  for (int i = 0; i < 16; i++)
    v[i] = (float)i - 7.5f;
  return ts_from_buffer(v, TS_SHAPE(4, 4), TS_FLOAT32);
}

static double at(const ts_tensor *t, int i) {
  float v[64];
  CHECK_EQ(ts_copy_to_buffer(t, v, sizeof v), TS_OK);
  return v[i];
}

TEST(new_result_owned_by_innermost_scope) {
  ts_scope_id outer = ts_scope_begin();
  ts_tensor *x = arange16();
  ts_scope_id inner = ts_scope_begin();
  ts_tensor *y = ts_abs(x);
  CHECK(y != NULL);
  CHECK_EQ(ts_scope_tensor_count(), 1);
  CHECK(fabs(at(y, 0) - 7.5) < 1e-6);
  ts_scope_end(inner);
  CHECK(ts_numel(y) < 0); /* freed with its scope */
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_numel");
  CHECK_EQ(ts_numel(x), 16); /* the outer scope's is alive */
  ts_scope_end(outer);
}

TEST(in_place_returns_its_argument) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *x = arange16();
  size_t n = ts_scope_tensor_count();
  ts_scope_id inner = ts_scope_begin();
  CHECK(ts_relu_(x) == x);
  CHECK(ts_mul_Scalar_(x, 2.0) == x);
  CHECK_EQ(ts_scope_tensor_count(), 0); /* no new handle */
  ts_scope_end(inner);
  CHECK_EQ(ts_scope_tensor_count(), n);
  CHECK(at(x, 0) == 0.0 && at(x, 15) == 15.0);
  ts_scope_end(s);
}

TEST(out_variant_writes_into_callers_tensor) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *x = arange16();
  ts_tensor *out = ts_empty(TS_SHAPE(0), TS_FLOAT32);
  ts_scope_id inner = ts_scope_begin();
  CHECK(ts_neg_out(x, out) == out);
  ts_tensor *mx[2] = {ts_empty(TS_SHAPE(0), TS_FLOAT32),
                      ts_empty(TS_SHAPE(0), TS_INT64)};
  CHECK_EQ(ts_max_dim_out(x, 1, false, mx[0], mx[1]), TS_OK);
  CHECK_EQ(ts_scope_tensor_count(), 2); /* only the two made here */
  ts_scope_end(inner);
  CHECK_EQ(ts_numel(out), 16); /* out is the outer scope's: alive */
  CHECK(at(out, 0) == 7.5);
  ts_scope_end(s);
}

TEST(view_outlives_its_base) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *x = arange16();
  ts_tensor *row = ts_select_int(x, 0, 1);
  ts_tensor *t = ts_transpose_int(x, 0, 1);
  ts_tensor *n = ts_narrow(x, 1, 2, 2);
  CHECK(row && t && n && row != x && t != x);
  CHECK_EQ(ts_free(x), TS_OK);
  CHECK(at(row, 0) == -3.5);
  CHECK(at(t, 1) == -3.5); /* t[0][1] = x[1][0] */
  CHECK_EQ(ts_numel(n), 8);
  /* Shared storage: writing through one view shows in another. */
  CHECK(ts_fill_Scalar_(row, 1.0) == row);
  CHECK(at(t, 1) == 1.0);
  ts_scope_end(s);
}

TEST(several_results_in_nested_scopes) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *x = arange16();
  ts_tensor *r[2] = {NULL, NULL};
  ts_scope_id inner = ts_scope_begin();
  CHECK_EQ(ts_sort(r, x, 1, true), TS_OK);
  CHECK_EQ(ts_scope_tensor_count(), 2);
  CHECK(at(r[0], 0) == -4.5);
  CHECK_EQ(ts_tensor_dtype(r[1]), TS_INT64);
  ts_tensor *keep = ts_escape(r[1]);
  ts_tensor *k[2];
  CHECK_EQ(ts_topk(k, x, 2, 1, true, true), TS_OK);
  CHECK_EQ(ts_size(k[0], 1), 2);
  ts_scope_end(inner);
  CHECK(ts_numel(r[0]) < 0);
  CHECK(ts_numel(k[1]) < 0);
  CHECK_EQ(ts_numel(keep), 16); /* escaped to the outer scope */
  CHECK_EQ(ts_scope_tensor_count(), 2);
  ts_scope_end(s);
}

TEST(list_results) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *x = arange16();
  ts_tensor *parts[8];
  int n = -1;
  ts_scope_id inner = ts_scope_begin();
  CHECK_EQ(ts_unbind_int(parts, 8, &n, x, 0), TS_OK);
  CHECK_EQ(n, 4);
  CHECK_EQ(ts_scope_tensor_count(), 4);
  CHECK(at(parts[3], 0) == 4.5);
  /* Too small an array: an error, nothing made, the count says what fits. */
  CHECK_EQ(ts_split_Tensor(parts, 1, &n, x, 1, 0), TS_ERR_ARG);
  CHECK_EQ(n, 4);
  CHECK_EQ(ts_scope_tensor_count(), 4);
  ts_scope_end(inner);
  CHECK_EQ(ts_scope_tensor_count(), 1);
  ts_scope_end(s);
}

TEST(lists_as_arguments) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *x = arange16();
  const ts_tensor *two[2] = {x, x};
  ts_tensor *c = ts_cat(two, 2, 0);
  CHECK_EQ(ts_size(c, 0), 8);
  ts_tensor *st = ts_stack(two, 2, 0);
  CHECK_EQ(ts_ndim(st), 3);
  /* index with a Tensor?[] of one int64 index */
  ts_tensor *idx =
      ts_from_buffer((const int64_t[]){3, 0}, TS_SHAPE(2), TS_INT64);
  const ts_tensor *ix[1] = {idx};
  ts_tensor *rows = ts_index_Tensor(x, ix, 1);
  CHECK(rows && at(rows, 0) == 4.5);
  ts_scope_end(s);
}

TEST(manual_outside_scopes) {
  ts_tensor *x = arange16();
  ts_tensor *y = ts_cumsum(x, 1, TS_NO_DTYPE);
  CHECK(!ts_in_scope());
  CHECK(at(y, 1) == -14.0);
  CHECK_EQ(ts_memory().live_tensors, 2);
  CHECK_EQ(ts_free(y), TS_OK);
  CHECK_EQ(ts_free(x), TS_OK);
}

TEST(libtorch_errors_name_the_call) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *x = arange16();
  ts_tensor *v = ts_zeros(TS_SHAPE(3), TS_FLOAT32);
  CHECK(ts_mm(x, v) == NULL);
  CHECK(ts_last_status() != TS_OK);
  CHECK(strstr(ts_last_error(), "ts_mm: libtorch:") != NULL);
  ts_tensor *r[2] = {x, x};
  CHECK(ts_max_dim(r, x, 5, false) != TS_OK);
  CHECK(strstr(ts_last_error(), "ts_max_dim") != NULL);
  CHECK(r[0] == NULL && r[1] == NULL); /* never a stale value */
  r[0] = r[1] = x;
  CHECK_EQ(ts_max_dim(r, v, 0, false) == TS_OK, 1);
  ts_tensor *dead = ts_clone(x);
  ts_free(dead);
  CHECK_EQ(ts_max_dim(r, dead, 0, false), TS_ERR_STALE_HANDLE);
  CHECK(r[0] == NULL && r[1] == NULL);
  CHECK_EQ(ts_scope_tensor_count(),
           4); /* x, v, max(v)'s two: failures make none */
  /* Devices pass through: CPU-only libtorch refuses CUDA clearly. */
  CHECK(ts_ones_like(x, TS_NO_DTYPE, "cuda") == NULL);
  CHECK_EQ(ts_last_status(), TS_ERR_TORCH);
  CHECK(strstr(ts_last_error(), "CUDA") != NULL);
  CHECK(ts_ones_like(x, TS_NO_DTYPE, "cpu") != NULL);
  CHECK(ts_ones_like(x, TS_NO_DTYPE, "no-such-device") == NULL);
  ts_scope_end(s);
}

TEST(value_results) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *x = arange16();
  bool b = false;
  CHECK_EQ(ts_equal(&b, x, x), TS_OK);
  CHECK(b);
  ts_dtype d = TS_BOOL;
  CHECK_EQ(ts_promote_types(&d, TS_INT32, TS_FLOAT64), TS_OK);
  CHECK_EQ(d, TS_FLOAT64);
  int64_t n = 0;
  CHECK_EQ(ts_size_int(&n, x, 1), TS_OK);
  CHECK_EQ(n, 4);
  CHECK_EQ(ts_scope_tensor_count(), 1);
  ts_scope_end(s);
}

RUN_TESTS(T(new_result_owned_by_innermost_scope),
          T(in_place_returns_its_argument),
          T(out_variant_writes_into_callers_tensor), T(view_outlives_its_base),
          T(several_results_in_nested_scopes), T(list_results),
          T(lists_as_arguments), T(manual_outside_scopes),
          T(libtorch_errors_name_the_call), T(value_results))
