/* test_store.c - the parameter store of <tsmem/nn.h>: ownership (the store,
 * never a scope), accounting, names and order, train/eval, freezing,
 * gradients, and bad input that leaves the store as it was. */
#include "check.h"

#include <tsmem/nn.h>

#include <stdlib.h>

static size_t live(void) { return ts_memory().live_tensors; }

static size_t leak_count(void) {
  FILE *f = tmpfile();
  if (!f)
    return (size_t)-1;
  size_t n = ts_leak_report(f);
  fclose(f);
  return n;
}

TEST(params_outlive_the_scope_they_were_made_in) {
  size_t before = live();
  ts_store *s = ts_store_new();
  CHECK(s != NULL);
  ts_tensor *w = NULL, *rm = NULL;
  {
    TS_SCOPE_GUARD();
    w = ts_store_param(s, "fc.weight", TS_SHAPE(3, 4), TS_FLOAT32);
    rm = ts_store_buffer(s, "bn.running_mean", TS_SHAPE(4), TS_FLOAT32);
    CHECK(w != NULL && rm != NULL);
    CHECK_EQ(ts_scope_tensor_count(), 0);   /* none is the scope's */
    ts_tensor *tmp = ts_add_scalar(w, 1.0); /* the scope's */
    CHECK(tmp != NULL);
    CHECK_EQ(ts_scope_tensor_count(), 1);
  }
  /* The scope ended: its temporary is gone, the store's tensors are not. */
  CHECK_EQ(live(), before + 2);
  CHECK_EQ(ts_numel(w), 12);
  CHECK_EQ(ts_numel(rm), 4);
  {
    TS_SCOPE_GUARD();
    CHECK(ts_item(ts_sum(w)) == 0.0); /* zero-initialised */
  }
  ts_store_free(s);
  CHECK_EQ(ts_last_status(), TS_OK);
  CHECK_EQ(live(), before);
  /* The handles died with the store. */
  CHECK_EQ(ts_numel(w), -1);
  CHECK_EQ(ts_last_status(), TS_ERR_STALE_HANDLE);
}

TEST(memory_and_leak_report_count_the_store) {
  ts_memory_stats m0 = ts_memory();
  ts_store *s = ts_store_new();
  CHECK(ts_store_param(s, "a", TS_SHAPE(10, 10), TS_FLOAT32) != NULL);
  CHECK(ts_store_param(s, "b", TS_SHAPE(10), TS_FLOAT64) != NULL);
  CHECK(ts_store_buffer(s, "n", NULL, 0, TS_INT64) != NULL);
  ts_memory_stats m1 = ts_memory();
  CHECK_EQ(m1.live_tensors, m0.live_tensors + 3);
  CHECK_EQ(m1.live_bytes, m0.live_bytes + 400 + 80 + 8);
  CHECK_EQ(leak_count(), m0.live_tensors + 3);
  ts_store_free(s);
  CHECK_EQ(ts_memory().live_tensors, m0.live_tensors);
  CHECK_EQ(ts_memory().live_bytes, m0.live_bytes);
  CHECK_EQ(leak_count(), m0.live_tensors);
}

TEST(names_order_and_iteration) {
  ts_store *s = ts_store_new();
  ts_tensor *w =
      ts_store_param(s, "conv1.weight", TS_SHAPE(2, 1, 3, 3), TS_FLOAT32);
  ts_tensor *b = ts_store_param(s, "conv1.bias", TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *rm =
      ts_store_buffer(s, "bn1.running_mean", TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *nb =
      ts_store_buffer(s, "bn1.num_batches_tracked", NULL, 0, TS_INT64);
  ts_tensor *w2 = ts_store_param(s, "fc.weight", TS_SHAPE(5, 2), TS_FLOAT32);
  CHECK_EQ(ts_store_count(s), 5);
  const char *names[] = {"conv1.weight", "conv1.bias", "bn1.running_mean",
                         "bn1.num_batches_tracked", "fc.weight"};
  ts_tensor *ts[] = {w, b, rm, nb, w2};
  bool params[] = {true, true, false, false, true};
  for (size_t i = 0; i < 5; i++) {
    CHECK(strcmp(ts_store_name(s, i), names[i]) == 0);
    CHECK(ts_store_at(s, i) == ts[i]);
    CHECK(ts_store_is_param(s, i) == params[i]);
    CHECK(ts_store_find(s, names[i]) == ts[i]);
  }
  CHECK(ts_store_find(s, "nope") == NULL);
  CHECK_EQ(ts_last_status(), TS_OK); /* absent is not an error */
  CHECK(ts_store_name(s, 5) == NULL);
  CHECK_ERROR(TS_ERR_ARG, "ts_store_name");
  CHECK(ts_store_at(s, 99) == NULL);
  CHECK_ERROR(TS_ERR_ARG, "ts_store_at");
  CHECK(!ts_store_is_param(s, 5));
  /* Parameters only. */
  CHECK_EQ(ts_store_param_count(s), 3);
  CHECK(ts_store_param_at(s, 0) == w);
  CHECK(ts_store_param_at(s, 1) == b);
  CHECK(ts_store_param_at(s, 2) == w2);
  CHECK(strcmp(ts_store_param_name(s, 2), "fc.weight") == 0);
  CHECK(ts_store_param_at(s, 3) == NULL);
  CHECK_ERROR(TS_ERR_ARG, "ts_store_param_at");
  CHECK_EQ(ts_store_param_numel(s), 18 + 2 + 10);
  /* Dtypes: a num_batches_tracked is int64 0-d, parameters require grad,
   * buffers do not. */
  CHECK_EQ(ts_tensor_dtype(nb), TS_INT64);
  CHECK_EQ(ts_ndim(nb), 0);
  ts_store_free(s);
}

TEST(duplicate_and_bad_names_leave_the_store_unchanged) {
  ts_store *s = ts_store_new();
  ts_tensor *w = ts_store_param(s, "fc.weight", TS_SHAPE(2), TS_FLOAT32);
  size_t n = live();
  CHECK(ts_store_param(s, "fc.weight", TS_SHAPE(3), TS_FLOAT32) == NULL);
  CHECK_ERROR(TS_ERR_ARG, "ts_store_param");
  CHECK(strstr(ts_last_error(), "\"fc.weight\"") != NULL);
  CHECK(strstr(ts_last_error(), "already") != NULL);
  CHECK(ts_store_buffer(s, "fc.weight", TS_SHAPE(3), TS_FLOAT32) == NULL);
  CHECK_ERROR(TS_ERR_ARG, "ts_store_buffer");
  CHECK(ts_store_param(s, "", TS_SHAPE(3), TS_FLOAT32) == NULL);
  CHECK_ERROR(TS_ERR_ARG, "ts_store_param");
  CHECK(ts_store_param(s, NULL, TS_SHAPE(3), TS_FLOAT32) == NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_store_param");
  CHECK(ts_store_param(s, "x", TS_SHAPE(3, -1), TS_FLOAT32) == NULL);
  CHECK_ERROR(TS_ERR_SHAPE, "ts_store_param");
  CHECK(ts_store_param(s, "x", NULL, 2, TS_FLOAT32) == NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_store_param");
  CHECK(ts_store_param(s, "x", TS_SHAPE(3), TS_INT64) == NULL);
  CHECK_ERROR(TS_ERR_DTYPE, "ts_store_param");
  CHECK(strstr(ts_last_error(), "ts_store_buffer") != NULL); /* the fix */
  CHECK(ts_store_param(s, "x", TS_SHAPE(3), (ts_dtype)42) == NULL);
  CHECK_ERROR(TS_ERR_DTYPE, "ts_store_param");
  CHECK_EQ(ts_store_count(s), 1);
  CHECK(ts_store_at(s, 0) == w);
  CHECK_EQ(live(), n);
  ts_store_free(s);
}

TEST(null_stale_and_foreign_stores) {
  ts_store *s = ts_store_new();
  ts_store_free(s); /* s is dangling now: never dereferenced */
  int not_a_store = 0;
  ts_store *foreign = (ts_store *)&not_a_store;
  ts_store *bad[] = {s, foreign};
  CHECK(ts_store_param(NULL, "a", TS_SHAPE(1), TS_FLOAT32) == NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_store_param");
  CHECK(strstr(ts_last_error(), "ts_store_new") != NULL);
  for (int i = 0; i < 2; i++) {
    CHECK(ts_store_param(bad[i], "a", TS_SHAPE(1), TS_FLOAT32) == NULL);
    CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_store_param");
    CHECK(strstr(ts_last_error(), "ts_store_free") != NULL);
    CHECK(ts_store_buffer(bad[i], "a", TS_SHAPE(1), TS_FLOAT32) == NULL);
    CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_store_buffer");
    CHECK_EQ(ts_store_count(bad[i]), 0);
    CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_store_count");
    CHECK(ts_store_find(bad[i], "a") == NULL);
    CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_store_find");
    CHECK_EQ(ts_store_zero_grad(bad[i]), TS_ERR_STALE_HANDLE);
    CHECK_EQ(ts_store_train(bad[i], false), TS_ERR_STALE_HANDLE);
    CHECK(!ts_store_is_training(bad[i]));
    CHECK_EQ(ts_store_set_requires_grad(bad[i], "", false, NULL),
             TS_ERR_STALE_HANDLE);
    ts_store_free(bad[i]); /* a double free is reported, not done */
    CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_store_free");
  }
  ts_store_free(NULL);
  CHECK_EQ(ts_last_status(), TS_OK);
}

TEST(a_tensor_freed_by_hand_is_skipped_by_store_free) {
  size_t before = live();
  ts_store *s = ts_store_new();
  ts_tensor *w = ts_store_param(s, "w", TS_SHAPE(2), TS_FLOAT32);
  CHECK(ts_store_param(s, "v", TS_SHAPE(2), TS_FLOAT32) != NULL);
  CHECK_EQ(ts_free(w), TS_OK); /* wrong, but must not break the store */
  ts_store_free(s);
  CHECK_EQ(ts_last_status(), TS_OK);
  CHECK_EQ(live(), before);
}

/* loss = sum(p * 3): the gradient is 3 everywhere. */
static void backward_on(ts_tensor *p) {
  TS_SCOPE_GUARD();
  CHECK_EQ(ts_backward(ts_sum(ts_mul_scalar(p, 3.0))), TS_OK);
}

static double grad_sum(ts_tensor *p) {
  TS_SCOPE_GUARD();
  ts_tensor *g = ts_grad(p);
  return g ? ts_item(ts_sum(g)) : -1.0;
}

TEST(zero_grad_train_eval_and_grad_mode) {
  ts_store *s = ts_store_new();
  ts_tensor *p = ts_store_param(s, "p", TS_SHAPE(4), TS_FLOAT32);
  ts_tensor *q = ts_store_param(s, "q", TS_SHAPE(2), TS_FLOAT32);
  CHECK_EQ(ts_store_zero_grad(s), TS_OK); /* no gradients yet: fine */
  backward_on(p);
  CHECK(grad_sum(p) == 12.0);
  CHECK(grad_sum(q) == -1.0); /* q has none */
  CHECK_EQ(ts_store_zero_grad(s), TS_OK);
  CHECK(grad_sum(p) == 0.0);
  /* Train / eval. */
  CHECK(ts_store_is_training(s));
  CHECK_EQ(ts_store_train(s, false), TS_OK);
  CHECK(!ts_store_is_training(s));
  CHECK_EQ(ts_store_train(s, true), TS_OK);
  CHECK(ts_store_is_training(s));
  /* Gradient mode: nothing is recorded with it off. */
  CHECK(ts_is_grad_enabled());
  CHECK(ts_set_grad_enabled(false) == true);
  CHECK(!ts_is_grad_enabled());
  {
    TS_SCOPE_GUARD();
    ts_tensor *loss = ts_sum(ts_mul_scalar(p, 3.0));
    CHECK(ts_backward(loss) != TS_OK); /* no graph */
  }
  CHECK(ts_set_grad_enabled(true) == false);
  CHECK(ts_is_grad_enabled());
  ts_store_free(s);
}

TEST(freeze_by_prefix) {
  ts_store *s = ts_store_new();
  ts_tensor *c1w = ts_store_param(s, "conv1.weight", TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *c1b = ts_store_param(s, "conv1.bias", TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *c10 = ts_store_param(s, "conv10.weight", TS_SHAPE(2), TS_FLOAT32);
  CHECK(ts_store_buffer(s, "conv1.running_mean", TS_SHAPE(2), TS_FLOAT32));
  size_t n = 99;
  CHECK_EQ(ts_store_set_requires_grad(s, "conv1", false, &n), TS_OK);
  CHECK_EQ(n, 2);
  {
    TS_SCOPE_GUARD();
    ts_tensor *loss = ts_sum(ts_add(ts_add(c1w, c1b), c10));
    CHECK_EQ(ts_backward(loss), TS_OK);
  }
  CHECK(grad_sum(c1w) == -1.0); /* frozen: no gradient */
  CHECK(grad_sum(c1b) == -1.0);
  CHECK(grad_sum(c10) == 2.0); /* conv10 is not conv1 */
  /* A prefix nothing matches changes nothing. */
  CHECK_EQ(ts_store_set_requires_grad(s, "conv2", true, &n), TS_ERR_ARG);
  CHECK(strstr(ts_last_error(), "\"conv2\"") != NULL);
  CHECK_EQ(n, 0);
  CHECK_EQ(ts_store_set_requires_grad(s, NULL, true, NULL), TS_ERR_NULL);
  /* "" is every parameter; "conv1." the same as "conv1". */
  CHECK_EQ(ts_store_set_requires_grad(s, "conv1.", true, &n), TS_OK);
  CHECK_EQ(n, 2);
  CHECK_EQ(ts_store_set_requires_grad(s, "", false, &n), TS_OK);
  CHECK_EQ(n, 3);
  CHECK_EQ(ts_store_set_requires_grad(s, "conv1.bias", true, &n), TS_OK);
  CHECK_EQ(n, 1);
  ts_store_free(s);
}

RUN_TESTS(T(params_outlive_the_scope_they_were_made_in),
          T(memory_and_leak_report_count_the_store),
          T(names_order_and_iteration),
          T(duplicate_and_bad_names_leave_the_store_unchanged),
          T(null_stale_and_foreign_stores),
          T(a_tensor_freed_by_hand_is_skipped_by_store_free),
          T(zero_grad_train_eval_and_grad_mode), T(freeze_by_prefix))
