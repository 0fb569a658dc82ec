/* test_handles.c - stale, bogus and NULL handles are caught, never used. */
#include "check.h"

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

RUN_TESTS(T(freed_handle), T(stale_after_slot_reuse), T(churn_never_aliases),
          T(never_issued), T(random_heap_and_stack_pointers), T(null_handles),
          T(scope_ended_handle), T(handles_are_not_pointers))
