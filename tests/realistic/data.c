/*
 * data.c - a data loader: batches returned by value in structs, arrays of
 * samples, splits, and a few generated operators from <tsmem/ops.h>.
 *
 * Labels (see README.md): `// OK: why` or `// BUG: check: why` on the line
 * before each function; the line of the bug itself ends in `// <- BUG`.
 */
#include <stdio.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { B = 4, F = 3, NSAMPLES = 3 };

typedef struct {
  ts_tensor *x, *y;
  int size;
} batch;

typedef struct {
  ts_tensor *train, *test;
} split;

// OK: a batch returned by value; the caller owns both tensors
static batch next_batch(int size) {
  batch b;
  b.x = ts_randn(TS_SHAPE(size, F), TS_FLOAT32);
  b.y = ts_zeros(TS_SHAPE(size), TS_INT64);
  b.size = size;
  return b;
}

// OK: frees both tensors of a batch
static void batch_free(batch *b) {
  ts_free(b->x);
  ts_free(b->y);
}

// OK: reads one batch and frees it through the helper
void data_one_batch(void) {
  batch b = next_batch(B);
  printf("batch of %d: %lld\n", b.size, (long long)ts_numel(b.x));
  batch_free(&b);
}

// BUG: leak: only the features of the batch are freed, not the labels
void data_batch_half_freed(void) {
  batch b = next_batch(B);
  printf("batch of %d: %lld\n", b.size, (long long)ts_numel(b.x));
  ts_free(b.x);
} // <- BUG

// BUG: leak: the second batch overwrites the first without freeing it
void data_batch_overwritten(void) {
  batch b = next_batch(B);
  printf("first %lld\n", (long long)ts_numel(b.x));
  b = next_batch(B); // <- BUG
  printf("second %lld\n", (long long)ts_numel(b.x));
  batch_free(&b);
}

// OK: batches in a loop, each freed before the next
void data_epoch(void) {
  for (int i = 0; i < 3; i++) {
    batch b = next_batch(B);
    printf("batch %d: %lld\n", i, (long long)ts_numel(b.y));
    batch_free(&b);
  }
}

// BUG: use-after-free: the labels are read after the batch was freed
void data_labels_after_free(void) {
  batch b = next_batch(B);
  batch_free(&b);
  printf("labels %lld\n", (long long)ts_numel(b.y)); // <- BUG
}

// OK: an array of samples made in a loop, stacked with a generated operator,
// all freed
void data_stack_samples(void) {
  ts_tensor *s[NSAMPLES];
  for (int i = 0; i < NSAMPLES; i++)
    s[i] = ts_full(TS_SHAPE(F), TS_FLOAT32, i);
  ts_tensor *stacked = ts_stack((const ts_tensor *const *)s, NSAMPLES, 0);
  printf("stacked %lld\n", (long long)ts_numel(stacked));
  ts_free(stacked);
  for (int i = 0; i < NSAMPLES; i++)
    ts_free(s[i]);
}

// BUG: leak: the stacked tensor from the generated operator is dropped
void data_stack_leak(void) {
  ts_tensor *s[NSAMPLES];
  for (int i = 0; i < NSAMPLES; i++)
    s[i] = ts_full(TS_SHAPE(F), TS_FLOAT32, i);
  ts_tensor *stacked =
      ts_stack((const ts_tensor *const *)s, NSAMPLES, 0); // <- BUG
  printf("stacked %lld\n", (long long)ts_numel(stacked));
  for (int i = 0; i < NSAMPLES; i++)
    ts_free(s[i]);
}

// BUG: double-free: the samples are freed in the loop and the first one again
// after it
void data_samples_double(void) {
  ts_tensor *s[NSAMPLES];
  for (int i = 0; i < NSAMPLES; i++)
    s[i] = ts_full(TS_SHAPE(F), TS_FLOAT32, i);
  for (int i = 0; i < NSAMPLES; i++)
    ts_free(s[i]);
  ts_free(s[0]); // <- BUG
}

// OK: an in-place generated operator returns the handle it was given; it is
// freed once
void data_inplace_relu(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(B, F), TS_FLOAT32);
  ts_tensor *same = ts_relu_(x);
  printf("relu %lld\n", (long long)ts_numel(same));
  ts_free(x);
}

// BUG: double-free: the in-place result is the same handle and is freed a
// second time
void data_inplace_double(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(B, F), TS_FLOAT32);
  ts_tensor *same = ts_relu_(x);
  ts_free(x);
  ts_free(same); // <- BUG
}

// OK: a split returned by value in a struct, both halves freed
static split make_split(const ts_tensor *all) {
  split s;
  s.train = ts_mul_scalar(all, 1.0);
  s.test = ts_mul_scalar(all, 0.5);
  return s;
}

// OK: uses both halves of the split and frees them
void data_split(void) {
  ts_tensor *all = ts_randn(TS_SHAPE(B, F), TS_FLOAT32);
  split s = make_split(all);
  ts_free(all);
  printf("train %lld test %lld\n", (long long)ts_numel(s.train),
         (long long)ts_numel(s.test));
  ts_free(s.train);
  ts_free(s.test);
}

// BUG: leak: the test half of the split is never freed
void data_split_leak(void) {
  ts_tensor *all = ts_randn(TS_SHAPE(B, F), TS_FLOAT32);
  split s = make_split(all);
  ts_free(all);
  printf("train %lld\n", (long long)ts_numel(s.train));
  ts_free(s.train);
} // <- BUG

// BUG: use-after-scope: a batch made in a scoped block is read after the block
void data_scoped_batch_after(void) {
  batch b;
  TS_SCOPE { b = next_batch(B); }
  printf("batch %lld\n", (long long)ts_numel(b.x)); // <- BUG
}

// OK: a batch made in a scoped block is used inside it and dies with it
void data_scoped_batch(void) {
  TS_SCOPE {
    batch b = next_batch(B);
    printf("batch %lld\n", (long long)ts_numel(b.x));
  }
}

// OK: a multi-result generated operator writes its results to an array; both
// freed
void data_max_dim(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(B, F), TS_FLOAT32);
  ts_tensor *res[2] = {NULL, NULL};
  if (ts_max_dim(res, x, 1, false) == TS_OK) {
    printf("max %lld\n", (long long)ts_numel(res[0]));
    ts_free(res[0]);
    ts_free(res[1]);
  }
  ts_free(x);
}

// BUG: double-free: the batch is freed by the helper twice, once in the loop's
// last pass and once after
void data_batch_double_free(void) {
  batch b = next_batch(B);
  for (int i = 0; i < 2; i++) {
    printf("pass %d: %lld\n", i, (long long)ts_numel(b.x));
    if (i == 1)
      batch_free(&b);
  }
  batch_free(&b); // <- BUG
}
