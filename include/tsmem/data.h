/*
 * <tsmem/data.h> - image data sets in IDX files (MNIST, Fashion-MNIST),
 * shuffling and batching (issue 12).
 *
 *   ts_dataset *train = ts_dataset_load_mnist(TS_FASHION_MNIST_DIR, "train");
 *   ts_loader_opts o = ts_loader_defaults(64);      // batch size 64, shuffled
 *   o.seed = 1;
 *   ts_loader *l = ts_loader_new(train, &o);
 *   for (int epoch = 0; epoch < 2; epoch++) {
 *     ts_loader_set_epoch(l, epoch);                // a new permutation
 *     ts_tensor *x, *y;
 *     TS_SCOPE while (ts_loader_next(l, &x, &y)) {  // one scope per batch
 *       ... x: float32 [B,1,28,28], y: int64 [B] ...
 *     }
 *     if (ts_last_status() != TS_OK) ...            // next failed, not the end
 *   }
 *   ts_loader_free(l); ts_dataset_free(train);
 *
 * Files: the IDX format of http://yann.lecun.com/exdb/mnist/ (big-endian
 * magic 0x00000803 for unsigned-byte images [N,rows,cols], 0x00000801 for
 * unsigned-byte labels [N]), gzip'ed or plain: both are read through zlib,
 * which reads a plain file as it is. Debian's dataset-fashion-mnist package
 * installs Fashion-MNIST's four files in TS_FASHION_MNIST_DIR.
 *
 * Memory: a data set keeps its pixels and labels as bytes in C memory
 * (47 MB for Fashion-MNIST's 60,000 training images), not as tensors: it
 * does not appear in ts_memory() or the leak report, and is freed by
 * ts_dataset_free. The tensors the loader hands out are new tensors owned as
 * SPEC section 2 says: by the scope current at the call, else by the caller
 * (ts_free). The loader holds no tensor between calls.
 *
 * Errors (SPEC section 3): NULL or a status, and ts_last_error() naming the
 * call, the file and the cause: a file that is missing or unreadable,
 * truncated or a corrupt gzip stream (TS_ERR_ARG), of the wrong magic
 * (TS_ERR_DTYPE), with trailing bytes, or whose image and label counts
 * differ (TS_ERR_SHAPE). Nothing is allocated when a load fails.
 *
 * Threads: a data set is read-only once loaded and may be shared by
 * threads; a loader is used by one thread at a time.
 */
#ifndef TSMEM_DATA_H
#define TSMEM_DATA_H

#include <tsmem.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/* Where Debian's dataset-fashion-mnist puts its files. */
#define TS_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

/* ------------------------------------------------------------- data sets */

typedef struct ts_dataset ts_dataset; /* opaque; not a tensor */

/* Reads an image IDX file and a label IDX file (each gzip'ed or plain) of
 * the same count. */
ts_dataset *ts_dataset_load_idx(const char *images_path,
                                const char *labels_path);
/* The MNIST file names in dir: split "train" or "t10k" reads
 * <dir>/<split>-images-idx3-ubyte.gz and <dir>/<split>-labels-idx1-ubyte.gz,
 * or the same names without ".gz" when the gzip'ed one does not exist. */
ts_dataset *ts_dataset_load_mnist(const char *dir, const char *split);
void ts_dataset_free(ts_dataset *d); /* NULL ok */

int64_t ts_dataset_len(const ts_dataset *d); /* images; -1 on NULL */
int64_t ts_dataset_rows(const ts_dataset *d);
int64_t ts_dataset_cols(const ts_dataset *d);
int ts_dataset_num_classes(const ts_dataset *d); /* largest label + 1 */
/* The raw bytes: len*rows*cols pixels, row-major; len labels. Borrowed. */
const uint8_t *ts_dataset_pixels(const ts_dataset *d);
const uint8_t *ts_dataset_labels(const ts_dataset *d);

/* Images idx[0..n-1] as a new float32 tensor [n,1,rows,cols], each pixel
 * (p / 255 - mean) / std (mean 0, std 1: plain [0,1]), and their labels as
 * a new int64 tensor [n] in *labels (labels NULL: not made). An index out of
 * range: TS_ERR_ARG, nothing made. */
ts_tensor *ts_dataset_batch(const ts_dataset *d, const int64_t *idx, int64_t n,
                            float mean, float std, ts_tensor **labels);

/* --------------------------------------------------------------- loaders */

typedef struct ts_loader ts_loader; /* opaque; not a tensor */

typedef struct ts_loader_opts {
  int64_t batch_size; /* >= 1 */
  /* Shuffled: each epoch reads a permutation drawn from (seed, epoch) by the
   * loader's own generator (splitmix64 + Fisher-Yates), the same on every
   * machine and independent of libtorch's generator. Else in order. */
  bool shuffle;
  uint64_t seed;
  /* The last batch of an epoch, when it has fewer than batch_size images:
   * dropped (true) or kept as a smaller batch (false, PyTorch's default). */
  bool drop_last;
  /* Only the first `limit` images of the data set (0: all). */
  int64_t limit;
  /* This rank's share, as torch.utils.data.DistributedSampler splits it:
   * the epoch's order padded (by repeating its start) to a multiple of
   * world_size, then every world_size-th index from position rank. Every
   * rank gets ceil(len / world_size) images. world_size 0 or 1: all. */
  int rank, world_size;
  /* Normalisation (see ts_dataset_batch): mean 0, std 1 for [0,1]. */
  float mean, std;
} ts_loader_opts;

/* batch_size, shuffled, seed 0, last batch kept, everything, [0,1]. */
ts_loader_opts ts_loader_defaults(int64_t batch_size);

/* The loader borrows d, which must outlive it. Bad options: NULL, TS_ERR_ARG.
 */
ts_loader *ts_loader_new(const ts_dataset *d, const ts_loader_opts *o);
void ts_loader_free(ts_loader *l); /* NULL ok */

/* Starts epoch `epoch` (a new permutation when shuffled) from its first
 * batch. A new loader is at the start of epoch 0. */
ts_status ts_loader_set_epoch(ts_loader *l, uint64_t epoch);
/* Replaces the epoch's order with idx[0..n-1] (copied), from its first
 * batch, until the next ts_loader_set_epoch: for an outside sampler such as
 * <tsmem/dist.h>'s ts_dist_sampler. limit, rank and world_size are not
 * applied to it. An index out of range: TS_ERR_ARG, nothing changed. */
ts_status ts_loader_set_indices(ts_loader *l, const int64_t *idx, int64_t n);

/* The next batch of the epoch: *images float32 [B,1,rows,cols] and *labels
 * int64 [B], new tensors owned as SPEC section 2 says, and true. At the end
 * of the epoch false with no error (ts_last_status() TS_OK); on an error
 * false with the error set, *images and *labels NULL. */
bool ts_loader_next(ts_loader *l, ts_tensor **images, ts_tensor **labels);

int64_t ts_loader_num_batches(const ts_loader *l); /* in an epoch */
int64_t ts_loader_num_samples(const ts_loader *l); /* images in an epoch */

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* TSMEM_DATA_H */
