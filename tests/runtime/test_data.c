/*
 * test_data.c - <tsmem/data.h>: Debian's Fashion-MNIST files, synthetic IDX
 * files (gzip'ed and plain), corrupt copies made here, the loader's order,
 * batching, subsets and ownership. ASan checks nothing leaks on the error
 * paths; RUN_TESTS checks no tensor is left alive.
 */
#include "check.h"

#include <tsmem/data.h>

#include <math.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

static char tmpdir[] = "/tmp/tsmem-test-data-XXXXXX";

static const char *tmp(const char *name) {
  static char buf[8][512];
  static int k;
  char *p = buf[k++ % 8];
  snprintf(p, 512, "%s/%s", tmpdir, name);
  return p;
}

#define FM TS_FASHION_MNIST_DIR
#define TRAIN_IMAGES FM "/train-images-idx3-ubyte.gz"
#define TRAIN_LABELS FM "/train-labels-idx1-ubyte.gz"
#define TEST_IMAGES FM "/t10k-images-idx3-ubyte.gz"
#define TEST_LABELS FM "/t10k-labels-idx1-ubyte.gz"

/* Writes bytes to path, gzip'ed or plain. */
static void write_bytes(const char *path, bool gz, const void *data, size_t n) {
  if (gz) {
    gzFile f = gzopen(path, "wb");
    CHECK(f != NULL);
    if (n)
      CHECK_EQ(gzwrite(f, data, (unsigned)n), (long long)n);
    CHECK_EQ(gzclose(f), Z_OK);
  } else {
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    CHECK_EQ(fwrite(data, 1, n, f), n);
    fclose(f);
  }
}

static size_t put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
  return 4;
}

/* A synthetic data set of n 2x2 images: image i has pixels
 * {i % 256, i / 256, 255, 0} and label i % 7. extra: bytes appended;
 * cut: bytes removed from the end. */
static void write_synthetic(const char *images, const char *labels, int n,
                            bool gz, int extra, int cut) {
  size_t isz = 16 + (size_t)n * 4 + (size_t)extra;
  uint8_t *b = calloc(1, isz);
  size_t o = put_be32(b, 0x803);
  o += put_be32(b + o, (uint32_t)n);
  o += put_be32(b + o, 2);
  o += put_be32(b + o, 2);
  for (int i = 0; i < n; i++) {
    b[o++] = (uint8_t)(i % 256);
    b[o++] = (uint8_t)(i / 256);
    b[o++] = 255;
    b[o++] = 0;
  }
  write_bytes(images, gz, b, isz - (size_t)cut);
  free(b);
  uint8_t *l = calloc(1, 8 + (size_t)n);
  o = put_be32(l, 0x801);
  o += put_be32(l + o, (uint32_t)n);
  for (int i = 0; i < n; i++)
    l[o++] = (uint8_t)(i % 7);
  write_bytes(labels, gz, l, 8 + (size_t)n);
  free(l);
}

/* The image indices of a synthetic batch, from its pixels. */
static void batch_indices(ts_tensor *x, int64_t *out) {
  int64_t n = ts_size(x, 0);
  float *v = malloc((size_t)n * 4 * sizeof *v);
  CHECK_EQ(ts_copy_to_buffer(x, v, (size_t)n * 4 * sizeof *v), TS_OK);
  for (int64_t i = 0; i < n; i++)
    out[i] = lroundf(v[4 * i] * 255) + 256 * lroundf(v[4 * i + 1] * 255);
  free(v);
}

/* Reads a whole file into memory. */
static uint8_t *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  CHECK(f != NULL);
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  *n = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *b = malloc(*n);
  CHECK_EQ(fread(b, 1, *n, f), *n);
  fclose(f);
  return b;
}

/* ------------------------------------------------------------ real files */

TEST(fashion_mnist_train_and_test) {
  ts_dataset *tr = ts_dataset_load_mnist(FM, "train");
  CHECK(tr != NULL);
  ts_dataset *te = ts_dataset_load_idx(TEST_IMAGES, TEST_LABELS);
  CHECK(te != NULL);
  if (!tr || !te)
    return;
  CHECK_EQ(ts_dataset_len(tr), 60000);
  CHECK_EQ(ts_dataset_len(te), 10000);
  CHECK_EQ(ts_dataset_rows(tr), 28);
  CHECK_EQ(ts_dataset_cols(te), 28);
  CHECK_EQ(ts_dataset_num_classes(tr), 10);
  /* Fashion-MNIST's first training image is an ankle boot (9), the first
   * test image too; 6,000 images per class in training. */
  CHECK_EQ(ts_dataset_labels(tr)[0], 9);
  CHECK_EQ(ts_dataset_labels(te)[0], 9);
  int counts[10] = {0};
  for (int i = 0; i < 60000; i++)
    counts[ts_dataset_labels(tr)[i]]++;
  for (int c = 0; c < 10; c++)
    CHECK_EQ(counts[c], 6000);
  /* A batch is the bytes / 255, [B,1,28,28] float32, labels int64. */
  TS_SCOPE_GUARD();
  ts_tensor *y = NULL;
  ts_tensor *x =
      ts_dataset_batch(tr, (const int64_t[]){0, 59999}, 2, 0.0f, 1.0f, &y);
  CHECK(x && y);
  CHECK_EQ(ts_ndim(x), 4);
  CHECK_EQ(ts_size(x, 0), 2);
  CHECK_EQ(ts_size(x, 1), 1);
  CHECK_EQ(ts_size(x, 2), 28);
  CHECK_EQ(ts_tensor_dtype(x), TS_FLOAT32);
  CHECK_EQ(ts_tensor_dtype(y), TS_INT64);
  int64_t sum = 0;
  const uint8_t *px = ts_dataset_pixels(tr);
  for (int i = 0; i < 784; i++)
    sum += px[i] + px[59999 * 784 + i];
  CHECK(fabs(ts_item(ts_sum(x)) - (double)sum / 255.0) < 1e-2);
  int64_t yl[2];
  CHECK_EQ(ts_copy_to_buffer(y, yl, sizeof yl), TS_OK);
  CHECK_EQ(yl[0], 9);
  CHECK_EQ(yl[1], ts_dataset_labels(tr)[59999]);
  /* Normalised: (p/255 - mean) / std. */
  ts_tensor *xn =
      ts_dataset_batch(tr, (const int64_t[]){0, 59999}, 2, 0.5f, 0.25f, NULL);
  CHECK(fabs(ts_item(ts_sum(xn)) - ((double)sum / 255.0 - 0.5 * 1568) / 0.25) <
        5e-2);
  ts_dataset_free(tr);
  ts_dataset_free(te);
}

/* The same file plain (gunzipped here) reads the same. */
TEST(plain_and_gzip_read_the_same) {
  gzFile in = gzopen(TEST_LABELS, "rb");
  CHECK(in != NULL);
  uint8_t buf[10008];
  CHECK_EQ(gzread(in, buf, sizeof buf), 10008);
  gzclose(in);
  write_bytes(tmp("t10k-labels-idx1-ubyte"), false, buf, sizeof buf);
  ts_dataset *a =
      ts_dataset_load_idx(TEST_IMAGES, tmp("t10k-labels-idx1-ubyte"));
  CHECK(a != NULL);
  if (a) {
    CHECK(memcmp(ts_dataset_labels(a), buf + 8, 10000) == 0);
    ts_dataset_free(a);
  }
  /* load_mnist falls back to the plain name when there is no .gz. */
  write_synthetic(tmp("t10k-images-idx3-ubyte"), tmp("x"), 10000, false, 0, 0);
  ts_dataset *b = ts_dataset_load_mnist(tmpdir, "t10k");
  CHECK(b != NULL);
  if (b) {
    CHECK_EQ(ts_dataset_len(b), 10000);
    CHECK_EQ(ts_dataset_rows(b), 2);
    ts_dataset_free(b);
  }
}

/* ---------------------------------------------------------- bad files */

/* A load that must fail with `status` and a message naming the call, the
 * file and `cause`. */
static void expect_fail(const char *images, const char *labels,
                        ts_status status, const char *file, const char *cause) {
  size_t live = ts_memory().live_tensors;
  ts_dataset *d = ts_dataset_load_idx(images, labels);
  CHECK(d == NULL);
  CHECK_ERROR(status, "ts_dataset_load_idx");
  if (!strstr(ts_last_error(), file) || !strstr(ts_last_error(), cause)) {
    fprintf(stderr, "expected \"%s\" and \"%s\" in: %s\n", file, cause,
            ts_last_error());
    check_failures++;
  }
  CHECK_EQ(ts_memory().live_tensors, live);
  ts_dataset_free(d);
}

TEST(missing_files) {
  expect_fail("/nonexistent/train-images-idx3-ubyte.gz", TRAIN_LABELS,
              TS_ERR_ARG, "/nonexistent/train-images-idx3-ubyte.gz",
              "cannot open: No such file or directory");
  expect_fail(TEST_IMAGES, tmp("no-labels.gz"), TS_ERR_ARG, "no-labels.gz",
              "cannot open");
  CHECK(ts_dataset_load_mnist("/nonexistent", "train") == NULL);
  CHECK_ERROR(TS_ERR_ARG, "ts_dataset_load_mnist");
  CHECK(strstr(ts_last_error(), "/nonexistent/train-images-idx3-ubyte.gz"));
  CHECK(ts_dataset_load_mnist(FM, "validation") == NULL);
  CHECK_ERROR(TS_ERR_ARG, "ts_dataset_load_mnist");
  CHECK(ts_dataset_load_idx(NULL, TEST_LABELS) == NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_dataset_load_idx");
}

TEST(truncated_files) {
  /* The real gzip'ed file cut in half: zlib reports the early end. */
  size_t n = 0;
  uint8_t *gz = slurp(TEST_IMAGES, &n);
  if (!gz)
    return;
  write_bytes(tmp("half.gz"), false, gz, n / 2);
  expect_fail(tmp("half.gz"), TEST_LABELS, TS_ERR_ARG, "half.gz",
              "truncated: the image data needs 7840000 bytes");
  /* Cut inside the header. */
  write_bytes(tmp("hdr.gz"), false, gz, 12);
  expect_fail(tmp("hdr.gz"), TEST_LABELS, TS_ERR_ARG, "hdr.gz", "truncated");
  /* Corrupt bytes in the middle of the compressed stream. */
  for (size_t i = n / 3; i < n / 3 + 64; i++)
    gz[i] ^= 0x5a;
  write_bytes(tmp("corrupt.gz"), false, gz, n);
  expect_fail(tmp("corrupt.gz"), TEST_LABELS, TS_ERR_ARG, "corrupt.gz",
              "corrupt file");
  free(gz);
  /* A plain synthetic file missing its last 3 bytes. */
  write_synthetic(tmp("cut-images"), tmp("cut-labels"), 100, false, 0, 3);
  expect_fail(tmp("cut-images"), tmp("cut-labels"), TS_ERR_ARG, "cut-images",
              "needs 400 bytes, the file has 397");
}

TEST(wrong_magic_counts_and_trailing_bytes) {
  /* Labels passed as images and the other way round. */
  expect_fail(TEST_LABELS, TEST_LABELS, TS_ERR_DTYPE, TEST_LABELS,
              "wrong magic number 0x00000801 for an IDX image file");
  expect_fail(TEST_IMAGES, TEST_IMAGES, TS_ERR_DTYPE, TEST_IMAGES,
              "wrong magic number 0x00000803 for an IDX label file");
  /* Not an IDX file at all. */
  write_bytes(tmp("text.gz"), true, "hello, world, not idx", 21);
  expect_fail(tmp("text.gz"), TEST_LABELS, TS_ERR_DTYPE, "text.gz",
              "wrong magic number");
  /* Images and labels of different splits. */
  expect_fail(TEST_IMAGES, TRAIN_LABELS, TS_ERR_SHAPE, TEST_IMAGES,
              "has 10000 images but " TRAIN_LABELS " has 60000 labels");
  /* Trailing bytes after the announced data. */
  write_synthetic(tmp("long-images.gz"), tmp("long-labels.gz"), 10, true, 5, 0);
  expect_fail(tmp("long-images.gz"), tmp("long-labels.gz"), TS_ERR_SHAPE,
              "long-images.gz", "trailing bytes after the 40 bytes");
  /* A zero-sized image side. */
  uint8_t h[16];
  put_be32(h, 0x803);
  put_be32(h + 4, 1);
  put_be32(h + 8, 0);
  put_be32(h + 12, 28);
  write_bytes(tmp("zero-side"), false, h, sizeof h);
  expect_fail(tmp("zero-side"), TEST_LABELS, TS_ERR_SHAPE, "zero-side",
              "dimension 1 of the IDX header is 0");
}

/* -------------------------------------------------------------- loaders */

static ts_dataset *synthetic(int n) {
  write_synthetic(tmp("s-images.gz"), tmp("s-labels.gz"), n, true, 0, 0);
  ts_dataset *d = ts_dataset_load_idx(tmp("s-images.gz"), tmp("s-labels.gz"));
  CHECK(d != NULL);
  return d;
}

/* Reads an epoch; returns the number of batches, indices into out. */
static int64_t read_epoch(ts_loader *l, int64_t *out, int64_t *sizes) {
  int64_t nb = 0, k = 0;
  ts_tensor *x, *y;
  for (;;) {
    TS_SCOPE_GUARD(); /* one scope per batch (TS_SCOPE needs the plugin) */
    if (!ts_loader_next(l, &x, &y))
      break;
    CHECK_EQ(ts_scope_tensor_count(), 2); /* the batch belongs to the scope */
    int64_t b = ts_size(x, 0);
    CHECK_EQ(ts_size(y, 0), b);
    batch_indices(x, out + k);
    int64_t lab[64];
    CHECK_EQ(ts_copy_to_buffer(y, lab, sizeof lab), TS_OK);
    for (int64_t i = 0; i < b; i++)
      CHECK_EQ(lab[i], out[k + i] % 7);
    k += b;
    if (sizes)
      sizes[nb] = b;
    nb++;
  }
  CHECK_EQ(ts_last_status(), TS_OK);
  return nb;
}

static bool is_permutation(const int64_t *v, int64_t n) {
  char *seen = calloc((size_t)n, 1);
  bool ok = true;
  for (int64_t i = 0; i < n; i++) {
    if (v[i] < 0 || v[i] >= n || seen[v[i]])
      ok = false;
    else
      seen[v[i]] = 1;
  }
  free(seen);
  return ok;
}

TEST(loader_orders_and_batches) {
  ts_dataset *d = synthetic(1000);
  if (!d)
    return;
  int64_t a[1000], b[1000], c[1000], sizes[32];
  ts_loader_opts o = ts_loader_defaults(64);
  o.seed = 7;
  ts_loader *l = ts_loader_new(d, &o);
  CHECK_EQ(ts_loader_num_batches(l), 16); /* 15 * 64 + 40 */
  CHECK_EQ(read_epoch(l, a, sizes), 16);
  CHECK_EQ(sizes[15], 40); /* the last partial batch is kept */
  CHECK(is_permutation(a, 1000));
  bool shuffled = false;
  for (int i = 0; i < 1000; i++)
    shuffled |= a[i] != i;
  CHECK(shuffled);
  /* The next call after the end is still the end. */
  ts_tensor *x, *y;
  CHECK(!ts_loader_next(l, &x, &y));
  CHECK(x == NULL && y == NULL);
  /* Epoch 1 is another permutation; epoch 0 again is the first one. */
  CHECK_EQ(ts_loader_set_epoch(l, 1), TS_OK);
  read_epoch(l, b, NULL);
  CHECK(is_permutation(b, 1000));
  CHECK(memcmp(a, b, sizeof a) != 0);
  CHECK_EQ(ts_loader_set_epoch(l, 0), TS_OK);
  read_epoch(l, c, NULL);
  CHECK(memcmp(a, c, sizeof a) == 0);
  ts_loader_free(l);
  /* Another loader with the same seed gives the same order. */
  l = ts_loader_new(d, &o);
  read_epoch(l, c, NULL);
  CHECK(memcmp(a, c, sizeof a) == 0);
  ts_loader_free(l);
  /* In order, last batch dropped, first 130 images only. */
  o.shuffle = false;
  o.drop_last = true;
  o.limit = 130;
  l = ts_loader_new(d, &o);
  CHECK_EQ(ts_loader_num_batches(l), 2);
  CHECK_EQ(read_epoch(l, a, sizes), 2);
  for (int i = 0; i < 128; i++)
    CHECK_EQ(a[i], i);
  /* An outside order. */
  int64_t idx[5] = {999, 3, 3, 500, 0};
  CHECK_EQ(ts_loader_set_indices(l, idx, 5), TS_OK);
  o.drop_last = false;
  ts_loader_free(l);
  l = ts_loader_new(d, &o);
  CHECK_EQ(ts_loader_set_indices(l, idx, 5), TS_OK);
  CHECK_EQ(ts_loader_num_batches(l), 1);
  CHECK_EQ(read_epoch(l, a, NULL), 1);
  CHECK(memcmp(a, idx, sizeof idx) == 0);
  int64_t bad[2] = {1, 1000};
  CHECK_EQ(ts_loader_set_indices(l, bad, 2), TS_ERR_ARG);
  CHECK_ERROR(TS_ERR_ARG, "idx[1] = 1000 is out of range");
  ts_loader_free(l);
  ts_dataset_free(d);
}

TEST(loader_ranks_split_like_distributed_sampler) {
  ts_dataset *d = synthetic(101);
  if (!d)
    return;
  int64_t got[4][64];
  int count[101] = {0};
  for (int r = 0; r < 4; r++) {
    ts_loader_opts o = ts_loader_defaults(10);
    o.seed = 3;
    o.rank = r;
    o.world_size = 4;
    ts_loader *l = ts_loader_new(d, &o);
    CHECK_EQ(ts_loader_num_samples(l), 26); /* ceil(101 / 4) */
    CHECK_EQ(read_epoch(l, got[r], NULL), 3);
    for (int i = 0; i < 26; i++)
      count[got[r][i]]++;
    ts_loader_free(l);
  }
  /* 104 = 101 + 3 repeated: every image at least once, 3 twice. */
  int twice = 0;
  for (int i = 0; i < 101; i++) {
    CHECK(count[i] >= 1 && count[i] <= 2);
    twice += count[i] == 2;
  }
  CHECK_EQ(twice, 3);
  ts_dataset_free(d);
}

TEST(loader_bad_arguments) {
  ts_dataset *d = synthetic(10);
  if (!d)
    return;
  ts_loader_opts o = ts_loader_defaults(0);
  CHECK(ts_loader_new(d, &o) == NULL);
  CHECK_ERROR(TS_ERR_ARG, "ts_loader_new");
  o = ts_loader_defaults(4);
  o.rank = 2;
  o.world_size = 2;
  CHECK(ts_loader_new(d, &o) == NULL);
  CHECK_ERROR(TS_ERR_ARG, "rank must be in 0..world_size-1");
  o = ts_loader_defaults(4);
  o.std = 0;
  CHECK(ts_loader_new(d, &o) == NULL);
  CHECK_ERROR(TS_ERR_ARG, "std must be > 0");
  CHECK(ts_loader_new(NULL, &o) == NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_loader_new");
  ts_tensor *x, *y;
  CHECK(!ts_loader_next(NULL, &x, &y));
  CHECK_ERROR(TS_ERR_NULL, "ts_loader_next");
  CHECK(ts_dataset_batch(d, (const int64_t[]){10}, 1, 0, 1, &y) == NULL);
  CHECK_ERROR(TS_ERR_ARG, "ts_dataset_batch");
  CHECK(y == NULL);
  CHECK_EQ(ts_dataset_len(NULL), -1);
  ts_dataset_free(d);
}

/* Outside any scope the batch is the caller's. */
TEST(batches_outside_a_scope_are_manual) {
  ts_dataset *d = synthetic(10);
  if (!d)
    return;
  ts_loader_opts o = ts_loader_defaults(4);
  ts_loader *l = ts_loader_new(d, &o);
  size_t live = ts_memory().live_tensors;
  ts_tensor *x, *y;
  CHECK(ts_loader_next(l, &x, &y));
  CHECK_EQ(ts_memory().live_tensors, live + 2);
  CHECK_EQ(ts_free(x), TS_OK);
  CHECK_EQ(ts_free(y), TS_OK);
  ts_loader_free(l);
  ts_dataset_free(d);
}

static void cleanup(void) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", tmpdir);
}

static void setup(void) __attribute__((constructor));
static void setup(void) {
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    exit(1);
  }
  atexit(cleanup);
}

RUN_TESTS(T(fashion_mnist_train_and_test), T(plain_and_gzip_read_the_same),
          T(missing_files), T(truncated_files),
          T(wrong_magic_counts_and_trailing_bytes),
          T(loader_orders_and_batches),
          T(loader_ranks_split_like_distributed_sampler),
          T(loader_bad_arguments), T(batches_outside_a_scope_are_manual))
