/* test_tensor_threads.c - tensor calls from several threads at once, each
 * with its own scopes: results are right, errors stay on their thread, and
 * nothing outlives the scopes. */
#include "check.h"

#include <math.h>
#include <pthread.h>

enum { THREADS = 4, STEPS = 200 };

static void *worker(void *arg) {
  int id = (int)(intptr_t)arg;
  int bad = 0;
  for (int step = 0; step < STEPS; step++) {
    ts_scope_id s = ts_scope_begin();
    ts_tensor *a = ts_full(TS_SHAPE(8, 8), TS_FLOAT32, id + 1);
    ts_tensor *b = ts_ones(TS_SHAPE(8, 8), TS_FLOAT32);
    /* (id+1) * 8 in every element, summed over 64 elements. */
    double got = ts_item(ts_sum(ts_matmul(a, b)));
    bad += got != (id + 1) * 8.0 * 64;
    /* An error on this thread only: another thread's success must not
     * clear it, and its errors must not show here. */
    if (step % 10 == id) {
      bad += ts_add(a, ts_ones(TS_SHAPE(3), TS_FLOAT32)) != NULL;
      bad += ts_last_status() != TS_ERR_SHAPE;
    }
    bad += ts_scope_end(s) != TS_OK;
  }
  return (void *)(intptr_t)bad;
}

TEST(tensor_calls_on_many_threads) {
  ts_set_num_threads(1);
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++)
    CHECK_EQ(pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i), 0);
  for (int i = 0; i < THREADS; i++) {
    void *bad;
    pthread_join(t[i], &bad);
    CHECK_EQ((intptr_t)bad, 0);
  }
}

/* A model trained on one thread, its parameters read on another. */
static ts_tensor *shared_param;

static void *read_param(void *arg) {
  (void)arg;
  ts_scope_id s = ts_scope_begin();
  double v = ts_item(ts_sum(shared_param));
  ts_scope_end(s);
  return (void *)(intptr_t)(v == 0.0); /* every element 1 - 0.5 * 2 */
}

TEST(parameters_cross_threads) {
  shared_param = ts_ones(TS_SHAPE(4), TS_FLOAT32);
  ts_requires_grad(shared_param, true);
  {
    TS_SCOPE_GUARD();
    ts_backward(ts_sum(ts_mul_scalar(shared_param, 2))); /* grad 2 */
  }
  CHECK_EQ(ts_sgd_step(shared_param, 0.5), TS_OK); /* 1 - 0.5*2 = 0 */
  pthread_t t;
  void *ok;
  pthread_create(&t, NULL, read_param, NULL);
  pthread_join(t, &ok);
  CHECK((intptr_t)ok == 1);
  ts_free(shared_param);
}

RUN_TESTS(T(tensor_calls_on_many_threads), T(parameters_cross_threads))
