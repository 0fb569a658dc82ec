/* test_handles.c - stale, bogus and NULL handles are caught, never used. */
#include "check.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

TEST(freed_handle) {
  ts_tensor *t = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  CHECK_EQ(ts_free(t), TS_OK);
  CHECK_EQ(ts_numel(t), -1);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_numel");
  CHECK(strstr(ts_last_error(), "freed by ts_free") != NULL);
  CHECK(ts_add(t, t) == NULL);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_add");
  CHECK(ts_escape(t) == NULL);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_escape");
  ts_scope_register_tensor(t);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_scope_register_tensor");
  CHECK_EQ(ts_free(t), TS_ERR_STALE_HANDLE); /* double free */
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_free");
}

TEST(stale_after_slot_reuse) {
  ts_tensor *old = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  ts_free(old);
  /* The slot comes back for the next tensor (LIFO free list), but with a
   * new generation: the old handle must not name the new tensor. */
  ts_tensor *fresh = ts_zeros(TS_SHAPE(3), TS_FLOAT32);
  CHECK(fresh != old);
  CHECK_EQ(ts_numel(old), -1);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_numel");
  CHECK_EQ(ts_free(old), TS_ERR_STALE_HANDLE);
  CHECK_EQ(ts_numel(fresh), 3); /* untouched */
  ts_free(fresh);
}

TEST(churn_never_aliases) {
  enum { N = 20000 };
  ts_tensor *first = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  ts_free(first);
  for (int i = 0; i < N; i++) {
    ts_tensor *t = ts_empty(TS_SHAPE(1), TS_FLOAT32);
    CHECK(t != first);
    ts_free(t);
  }
  CHECK_EQ(ts_free(first), TS_ERR_STALE_HANDLE);
}

TEST(never_issued) {
  CHECK_EQ(ts_numel((ts_tensor *)0x1234), -1);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_numel");
  CHECK(strstr(ts_last_error(), "not a tensor handle") != NULL);
  CHECK_EQ(ts_free((ts_tensor *)0x1234), TS_ERR_STALE_HANDLE);
  CHECK_EQ(ts_free((ts_tensor *)(uintptr_t)-1), TS_ERR_STALE_HANDLE);
  /* A well-formed handle for a slot far beyond anything issued. */
  CHECK_EQ(ts_free((ts_tensor *)(((uintptr_t)0x75E0 << 48) | 0x3ffffff)),
           TS_ERR_STALE_HANDLE);
  CHECK_EQ(ts_free((ts_tensor *)(((uintptr_t)0x75E0 << 48) | 0x3ffffff)),
           TS_ERR_STALE_HANDLE);
  /* Same slot as a live handle, another generation. */
  ts_tensor *t = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  ts_tensor *forged = (ts_tensor *)((uintptr_t)t ^ ((uintptr_t)1 << 30));
  CHECK_EQ(ts_free(forged), TS_ERR_STALE_HANDLE);
  CHECK_EQ(ts_numel(t), 1);
  ts_free(t);
}

TEST(random_heap_and_stack_pointers) {
  void *heap = malloc(256);
  memset(heap, 0xAB, 256);
  CHECK_EQ(ts_ndim((ts_tensor *)heap), -1);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_ndim");
  CHECK_EQ(ts_free((ts_tensor *)heap), TS_ERR_STALE_HANDLE);
  CHECK(ts_keep((ts_tensor *)heap) == NULL);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_keep");
  free(heap);
  int local = 0;
  CHECK_EQ(ts_free((ts_tensor *)&local), TS_ERR_STALE_HANDLE);
  CHECK_EQ(local, 0);
  CHECK_EQ(ts_free((ts_tensor *)(void *)ts_zeros), TS_ERR_STALE_HANDLE);
}

TEST(null_handles) {
  CHECK_EQ(ts_free(NULL), TS_ERR_NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_free");
  CHECK(ts_escape(NULL) == NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_escape");
  CHECK(ts_keep(NULL) == NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_keep");
  ts_scope_register_tensor(NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_scope_register_tensor");
  TS_SCOPE_GUARD();
  CHECK(ts_escape(NULL) == NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_escape");
  ts_scope_register_tensor(NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_scope_register_tensor");
}

TEST(scope_ended_handle) {
  ts_tensor *t;
  {
    TS_SCOPE_GUARD();
    t = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  }
  CHECK(ts_clone(t) == NULL);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_clone");
  CHECK(strstr(ts_last_error(), "scope ended") != NULL);
}

TEST(handles_are_not_pointers) {
  ts_tensor *t = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  /* The tag sits in the top 16 bits, where user-space pointers have 0. */
  CHECK(((uintptr_t)t >> 48) != 0);
  ts_free(t);
}

/* Every call that looks a handle up pins it and must unpin it on every path
 * (errors included): a pin left behind would keep a freed tensor's slot
 * DYING forever (and its memory). Seen from outside: the slot of a tensor
 * freed last is the next one reused (the free list is LIFO), unless it is
 * still pinned. So: make t, call, free what the call made, free t, make u:
 * u must have t's slot index. */
static uint32_t slot_index(const ts_tensor *t) {
  return (uint32_t)((uintptr_t)t & ((1u << 26) - 1));
}

enum { PIN_CALLS = 40 };

/* Call k on t (a float32 [2,2] requiring grad when k asks); returns what
 * it made (or NULL). Odd cases fail on purpose after the lookup. */
static ts_tensor *pin_call(int k, ts_tensor *t, ts_tensor *other) {
  float buf[4];
  int64_t bad_shape[] = {3, 5};
  switch (k) {
  case 0:
    return ts_add(t, other);
  case 1:
    return ts_add(other, t);
  case 2:
    return ts_add(t, t);
  case 3:
    return ts_matmul(t, other); /* [2,2] x [3]: a shape error */
  case 4:
    return ts_cross_entropy(t, other); /* dtype error */
  case 5:
    return ts_mse_loss(t, other); /* shape error */
  case 6:
    return ts_relu(t);
  case 7:
    return ts_mean(t);
  case 8:
    return ts_add_scalar(t, 1.0);
  case 9:
    return ts_softmax(t, 1);
  case 10:
    return ts_softmax(t, 7); /* dim error */
  case 11:
    return ts_argmax_dim(t, 0);
  case 12:
    return ts_reshape(t, TS_SHAPE(4));
  case 13:
    return ts_reshape(t, bad_shape, 2); /* element count error */
  case 14:
    return ts_transpose(t, 0, 1);
  case 15:
    return ts_transpose(t, 0, 9); /* dim error */
  case 16:
    (void)ts_item(t);
    return NULL; /* 4 elements: error */
  case 17:
    (void)ts_ndim(t);
    return NULL;
  case 18:
    (void)ts_size(t, 1);
    return NULL;
  case 19:
    (void)ts_size(t, 5);
    return NULL; /* error */
  case 20:
    (void)ts_numel(t);
    return NULL;
  case 21:
    (void)ts_nbytes(t);
    return NULL;
  case 22:
    (void)ts_tensor_dtype(t);
    return NULL;
  case 23:
    (void)ts_copy_to_buffer(t, buf, sizeof buf);
    return NULL;
  case 24:
    (void)ts_copy_to_buffer(t, buf, 2);
    return NULL; /* error */
  case 25:
    (void)ts_requires_grad(t, true);
    return NULL;
  case 26: { /* backward through t, then its grad */
    ts_tensor *s = ts_sum(t);
    (void)ts_backward(s);
    ts_free(s);
    return ts_grad(t);
  }
  case 27:
    (void)ts_backward(t);
    return NULL; /* 4 elements: error */
  case 28:
    (void)ts_zero_grad(t);
    return NULL;
  case 29:
    (void)ts_sgd_step(t, 0.1);
    return NULL;
  case 30:
    (void)ts_sgd_step(t, NAN);
    return NULL; /* error */
  case 31:
    (void)ts_escape(t);
    return NULL; /* no scope: error */
  case 32:
    ts_scope_register_tensor(t);
    return NULL; /* no scope: no-op */
  case 33:
    (void)ts_keep(t);
    return NULL;
  case 34:
    return ts_clone(t);
  case 35:
    return ts_sum(t);
  case 36:
    return ts_div(t, other);
  case 37:
    return ts_log_softmax(t, -1);
  case 38:
    return ts_argmax(t);
  default:
    return ts_mul_scalar(t, 2.0);
  }
}

TEST(every_lookup_unpins) {
  ts_tensor *other = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  ts_tensor *two = ts_ones(TS_SHAPE(2), TS_FLOAT32); /* broadcasts */
  for (int k = 0; k < PIN_CALLS; k++) {
    ts_tensor *t = ts_ones(TS_SHAPE(2, 2), TS_FLOAT32);
    if (k >= 26 && k <= 30)
      CHECK_EQ(ts_requires_grad(t, true), TS_OK);
    ts_tensor *r = pin_call(k, t, k == 0 || k == 1 || k == 36 ? two : other);
    if (r)
      ts_free(r);
    uint32_t idx = slot_index(t);
    CHECK_EQ(ts_free(t), TS_OK);
    ts_tensor *u = ts_empty(TS_SHAPE(1), TS_FLOAT32);
    if (slot_index(u) != idx)
      fprintf(stderr, "call %d left its argument pinned\n", k);
    CHECK_EQ(slot_index(u), idx);
    ts_free(u);
    ts_clear_error();
  }
  ts_free(two);
  ts_free(other);
}

RUN_TESTS(T(freed_handle), T(stale_after_slot_reuse), T(churn_never_aliases),
          T(never_issued), T(random_heap_and_stack_pointers), T(null_handles),
          T(scope_ended_handle), T(handles_are_not_pointers),
          T(every_lookup_unpins))
