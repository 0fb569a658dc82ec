/* test_tensor_core.c - factories, metadata, buffers and elementwise ops of
 * the libtorch tensor core, values checked against hand-computed ones. */
#include "check.h"

#include <math.h>

#define CLOSE(a, b) (fabs((double)(a) - (double)(b)) < 1e-5)

/* Copies a float32 tensor out and compares it with want[]. */
static int values_are(ts_tensor *t, const float *want, size_t n) {
  float got[64];
  if ((size_t)ts_numel(t) != n || n > 64 ||
      ts_copy_to_buffer(t, got, sizeof got) != TS_OK)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!CLOSE(got[i], want[i])) {
      fprintf(stderr, "  element %zu: got %g, want %g\n", i, got[i], want[i]);
      return 0;
    }
  return 1;
}

/* expr gives a float32 tensor with exactly these values; freed after. */
#define OP_IS(expr, ...)                                                       \
  do {                                                                         \
    ts_tensor *op_ = (expr);                                                   \
    CHECK(values_are(op_, (const float[]){__VA_ARGS__},                        \
                     sizeof((const float[]){__VA_ARGS__}) / sizeof(float)));   \
    ts_free(op_);                                                              \
  } while (0)

static ts_tensor *mat(const float *v, int64_t rows, int64_t cols) {
  return ts_from_buffer(v, TS_SHAPE(rows, cols), TS_FLOAT32);
}

TEST(factories_have_shape_dtype_and_values) {
  ts_tensor *z = ts_zeros(TS_SHAPE(2, 3), TS_FLOAT32);
  CHECK(z != NULL);
  CHECK_EQ(ts_last_status(), TS_OK);
  CHECK_EQ(ts_ndim(z), 2);
  CHECK_EQ(ts_size(z, 0), 2);
  CHECK_EQ(ts_size(z, 1), 3);
  CHECK_EQ(ts_size(z, -1), 3);
  CHECK_EQ(ts_numel(z), 6);
  CHECK_EQ(ts_nbytes(z), 24);
  CHECK_EQ(ts_tensor_dtype(z), TS_FLOAT32);
  CHECK(values_are(z, (const float[]){0, 0, 0, 0, 0, 0}, 6));

  ts_tensor *o = ts_ones(TS_SHAPE(4), TS_FLOAT32);
  CHECK(values_are(o, (const float[]){1, 1, 1, 1}, 4));
  ts_tensor *f = ts_full(TS_SHAPE(3), TS_FLOAT32, 2.5);
  CHECK(values_are(f, (const float[]){2.5f, 2.5f, 2.5f}, 3));
  ts_tensor *e = ts_empty(TS_SHAPE(5, 5), TS_FLOAT64);
  CHECK_EQ(ts_nbytes(e), 200);
  CHECK_EQ(ts_tensor_dtype(e), TS_FLOAT64);
  ts_tensor *a = ts_arange(0, 5, 1, TS_FLOAT32);
  CHECK(values_are(a, (const float[]){0, 1, 2, 3, 4}, 5));
  ts_tensor *ai = ts_arange(10, 0, -3, TS_INT64);
  CHECK_EQ(ts_tensor_dtype(ai), TS_INT64);
  int64_t iv[4] = {0};
  CHECK_EQ(ts_copy_to_buffer(ai, iv, sizeof iv), TS_OK);
  CHECK(iv[0] == 10 && iv[1] == 7 && iv[2] == 4 && iv[3] == 1);

  /* A 0-d tensor: no shape array at all. */
  ts_tensor *s = ts_full(NULL, 0, TS_FLOAT64, 7);
  CHECK_EQ(ts_ndim(s), 0);
  CHECK_EQ(ts_numel(s), 1);
  CHECK(ts_item(s) == 7.0);

  ts_free(z), ts_free(o), ts_free(f), ts_free(e), ts_free(a), ts_free(ai);
  ts_free(s);
}

TEST(every_dtype_has_its_element_size) {
  static const struct {
    ts_dtype d;
    size_t size;
  } all[] = {{TS_FLOAT32, 4}, {TS_FLOAT64, 8}, {TS_INT32, 4}, {TS_INT64, 8},
             {TS_INT16, 2},   {TS_INT8, 1},    {TS_UINT8, 1}, {TS_BOOL, 1},
             {TS_FLOAT16, 2}, {TS_BFLOAT16, 2}};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    ts_tensor *t = ts_ones(TS_SHAPE(3), all[i].d);
    CHECK(t != NULL);
    CHECK_EQ(ts_tensor_dtype(t), all[i].d);
    CHECK_EQ(ts_nbytes(t), 3 * all[i].size);
    ts_tensor *one = ts_sum(t);
    CHECK(ts_item(one) == 3.0); /* bool sums count the trues */
    ts_free(one);
    ts_free(t);
  }
}

TEST(random_factories_are_seeded) {
  ts_manual_seed(42);
  ts_tensor *a = ts_rand(TS_SHAPE(100), TS_FLOAT32);
  ts_manual_seed(42);
  ts_tensor *b = ts_rand(TS_SHAPE(100), TS_FLOAT32);
  float va[100], vb[100];
  ts_copy_to_buffer(a, va, sizeof va);
  ts_copy_to_buffer(b, vb, sizeof vb);
  CHECK(memcmp(va, vb, sizeof va) == 0);
  int in_range = 1;
  for (int i = 0; i < 100; i++)
    in_range &= va[i] >= 0 && va[i] < 1;
  CHECK(in_range);
  ts_tensor *n = ts_randn(TS_SHAPE(10000), TS_FLOAT32);
  ts_tensor *m = ts_mean(n);
  CHECK(fabs(ts_item(m)) < 0.05);
  ts_free(a), ts_free(b), ts_free(n), ts_free(m);
}

TEST(buffer_round_trip) {
  double in[6] = {1.5, -2, 3.25, 4, 5, -6.5}, out[6] = {0};
  ts_tensor *t = ts_from_buffer(in, TS_SHAPE(3, 2), TS_FLOAT64);
  in[0] = 99; /* ts_from_buffer copied */
  CHECK_EQ(ts_copy_to_buffer(t, out, sizeof out), TS_OK);
  CHECK(out[0] == 1.5 && out[2] == 3.25 && out[5] == -6.5);
  /* A transposed view is copied out in its own row-major order. */
  ts_tensor *tt = ts_transpose(t, 0, 1);
  CHECK_EQ(ts_size(tt, 0), 2);
  CHECK_EQ(ts_copy_to_buffer(tt, out, sizeof out), TS_OK);
  CHECK(out[0] == 1.5 && out[1] == 3.25 && out[2] == 5 && out[3] == -2);
  ts_free(tt);
  ts_free(t);
}

TEST(elementwise_ops) {
  ts_tensor *a = mat((const float[]){1, 2, 3, 4}, 2, 2);
  ts_tensor *b = mat((const float[]){4, 3, 2, 1}, 2, 2);
  OP_IS(ts_add(a, b), 5, 5, 5, 5);
  OP_IS(ts_sub(a, b), -3, -1, 1, 3);
  OP_IS(ts_mul(a, b), 4, 6, 6, 4);
  OP_IS(ts_div(a, b), .25f, 2 / 3.f, 1.5f, 4);
  OP_IS(ts_add_scalar(a, 1), 2, 3, 4, 5);
  OP_IS(ts_mul_scalar(a, -2), -2, -4, -6, -8);
  OP_IS(ts_neg(a), -1, -2, -3, -4);
  OP_IS(ts_exp(a), expf(1), expf(2), expf(3), expf(4));
  OP_IS(ts_log(a), 0, logf(2), logf(3), logf(4));
  OP_IS(ts_tanh(a), tanhf(1), tanhf(2), tanhf(3), tanhf(4));
  OP_IS(ts_sigmoid(a), 1 / (1 + expf(-1)), 1 / (1 + expf(-2)),
        1 / (1 + expf(-3)), 1 / (1 + expf(-4)));
  OP_IS(ts_clone(a), 1, 2, 3, 4);
  ts_tensor *c = mat((const float[]){-1, 2, -3, 0}, 2, 2);
  OP_IS(ts_relu(c), 0, 2, 0, 0);
  /* Broadcasting a row over a matrix. */
  ts_tensor *row =
      ts_from_buffer((const float[]){10, 20}, TS_SHAPE(2), TS_FLOAT32);
  OP_IS(ts_add(a, row), 11, 22, 13, 24);
  ts_free(a), ts_free(b), ts_free(c), ts_free(row);
}

TEST(matmul_reductions_and_shapes) {
  ts_tensor *a = mat((const float[]){1, 2, 3, 4, 5, 6}, 2, 3);
  ts_tensor *b = mat((const float[]){1, 0, 0, 1, 1, 1}, 3, 2);
  ts_tensor *r = ts_matmul(a, b);
  CHECK_EQ(ts_size(r, 0), 2);
  CHECK_EQ(ts_size(r, 1), 2);
  CHECK(values_are(r, (const float[]){4, 5, 10, 11}, 4));
  ts_free(r);

  ts_tensor *s = ts_sum(a), *m = ts_mean(a), *am = ts_argmax(a);
  CHECK_EQ(ts_ndim(s), 0);
  CHECK_EQ(ts_ndim(m), 0);
  CHECK_EQ(ts_ndim(am), 0);
  CHECK(ts_item(s) == 21);
  CHECK(ts_item(m) == 3.5);
  CHECK(ts_item(am) == 5);
  CHECK_EQ(ts_tensor_dtype(am), TS_INT64);
  ts_free(s), ts_free(m), ts_free(am);

  ts_tensor *ad = ts_argmax_dim(b, 1);
  int64_t idx[3];
  CHECK_EQ(ts_copy_to_buffer(ad, idx, sizeof idx), TS_OK);
  CHECK(idx[0] == 0 && idx[1] == 1 && idx[2] == 0);
  ts_free(ad);

  ts_tensor *sm = ts_softmax(a, 1);
  float e1 = expf(1), e2 = expf(2), e3 = expf(3), z = e1 + e2 + e3;
  CHECK(values_are(
      sm, (const float[]){e1 / z, e2 / z, e3 / z, e1 / z, e2 / z, e3 / z}, 6));
  ts_tensor *lsm = ts_log_softmax(a, -1);
  CHECK(values_are(lsm,
                   (const float[]){logf(e1 / z), logf(e2 / z), logf(e3 / z),
                                   logf(e1 / z), logf(e2 / z), logf(e3 / z)},
                   6));
  ts_free(sm), ts_free(lsm);

  ts_tensor *rs = ts_reshape(a, TS_SHAPE(3, -1));
  CHECK_EQ(ts_size(rs, 0), 3);
  CHECK_EQ(ts_size(rs, 1), 2);
  CHECK(values_are(rs, (const float[]){1, 2, 3, 4, 5, 6}, 6));
  ts_tensor *tr = ts_transpose(a, 0, 1);
  CHECK(values_are(tr, (const float[]){1, 4, 2, 5, 3, 6}, 6));
  ts_free(rs), ts_free(tr);
  ts_free(a), ts_free(b);
}

TEST(losses) {
  /* cross-entropy of logits [[0,0],[ln 3, 0]] for classes {0, 1}:
   * row 0: -log(1/2); row 1: -log(1/4); mean of the two. */
  ts_tensor *logits = mat((const float[]){0, 0, logf(3), 0}, 2, 2);
  ts_tensor *targets =
      ts_from_buffer((const int64_t[]){0, 1}, TS_SHAPE(2), TS_INT64);
  ts_tensor *ce = ts_cross_entropy(logits, targets);
  CHECK_EQ(ts_ndim(ce), 0);
  CHECK(CLOSE(ts_item(ce), (log(2) + log(4)) / 2));
  ts_tensor *a = mat((const float[]){1, 2, 3, 4}, 2, 2);
  ts_tensor *b = mat((const float[]){1, 0, 3, 0}, 2, 2);
  ts_tensor *mse = ts_mse_loss(a, b);
  CHECK(CLOSE(ts_item(mse), (4.0 + 16.0) / 4));
  ts_free(logits), ts_free(targets), ts_free(ce), ts_free(a), ts_free(b);
  ts_free(mse);
}

TEST(item_reads_every_dtype) {
  ts_tensor *h = ts_full(TS_SHAPE(1), TS_FLOAT16, 1.5);
  CHECK(ts_item(h) == 1.5);
  ts_tensor *bf = ts_full(TS_SHAPE(1, 1), TS_BFLOAT16, -2);
  CHECK(ts_item(bf) == -2);
  ts_tensor *i8 = ts_from_buffer((const int8_t[]){-7}, NULL, 0, TS_INT8);
  CHECK(ts_item(i8) == -7);
  ts_tensor *u8 = ts_from_buffer((const uint8_t[]){200}, NULL, 0, TS_UINT8);
  CHECK(ts_item(u8) == 200);
  ts_tensor *b = ts_from_buffer((const bool[]){true}, NULL, 0, TS_BOOL);
  CHECK(ts_item(b) == 1);
  ts_free(h), ts_free(bf), ts_free(i8), ts_free(u8), ts_free(b);
}

TEST(num_threads_and_empty_tensors) {
  ts_set_num_threads(1);
  CHECK_EQ(ts_last_status(), TS_OK);
  ts_tensor *e = ts_zeros(TS_SHAPE(0, 4), TS_FLOAT32);
  CHECK(e != NULL);
  CHECK_EQ(ts_numel(e), 0);
  CHECK_EQ(ts_nbytes(e), 0);
  CHECK_EQ(ts_copy_to_buffer(e, NULL, 0), TS_OK);
  ts_tensor *s = ts_sum(e);
  CHECK(ts_item(s) == 0);
  ts_free(e), ts_free(s);
}

RUN_TESTS(T(factories_have_shape_dtype_and_values),
          T(every_dtype_has_its_element_size), T(random_factories_are_seeded),
          T(buffer_round_trip), T(elementwise_ops),
          T(matmul_reductions_and_shapes), T(losses), T(item_reads_every_dtype),
          T(num_threads_and_empty_tensors))
