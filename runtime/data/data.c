/*
 * data.c - <tsmem/data.h>: IDX files through zlib, shuffling, batching.
 *
 * A data set is two malloc'd byte arrays (pixels, labels); a loader is an
 * order of indices for the current epoch and a position in it, plus scratch
 * buffers for one batch. Batches are made with tsc_from_buffer and wrapped
 * with the caller's return address, so the leak report names the line that
 * asked for the batch.
 */
#include "internal.h"
#include "torch/tensor_core.h"

#include <tsmem/data.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct ts_dataset {
  int64_t n, rows, cols;
  int num_classes;
  uint8_t *pixels; /* n * rows * cols */
  uint8_t *labels; /* n */
};

struct ts_loader {
  const ts_dataset *d;
  ts_loader_opts o;
  int64_t *order; /* this epoch's indices */
  int64_t order_len, order_cap;
  int64_t pos;    /* next index in order */
  float lut[256]; /* pixel value -> normalised float */
  float *xbuf;    /* batch_size * rows * cols */
  int64_t *ybuf;  /* batch_size */
};

/* IDX limits: a data set of more than 2^31 images, or of images of more
 * than 2^16 pixels a side, is not a file this reader was meant for. */
enum { IDX_MAX_SIDE = 1 << 16 };
#define IDX_MAX_COUNT ((int64_t)1 << 31)
#define IDX_MAX_BYTES ((int64_t)1 << 34)

/* ----------------------------------------------------------- IDX reading */

/* Reads exactly len bytes; false with the error set (call, path, cause). */
static bool gz_read_all(gzFile f, const char *call, const char *path, void *dst,
                        int64_t len, const char *what) {
  uint8_t *p = dst;
  int64_t got = 0;
  while (got < len) {
    int64_t chunk = len - got;
    if (chunk > (1 << 30))
      chunk = 1 << 30;
    int r = gzread(f, p + got, (unsigned)chunk);
    if (r < 0) {
      int zerr = 0;
      const char *m = gzerror(f, &zerr);
      ts__fail(TS_ERR_ARG, call,
               "%s: corrupt file while reading %s (zlib: %s); download or "
               "reinstall it (Debian: apt-get install --reinstall "
               "dataset-fashion-mnist)",
               path, what, zerr == Z_ERRNO ? strerror(errno) : m);
      return false;
    }
    if (r == 0)
      break;
    got += r;
  }
  if (got < len) {
    int zerr = 0;
    const char *m = gzerror(f, &zerr);
    char note[160] = "";
    if (zerr != Z_OK)
      snprintf(note, sizeof note, " (zlib: %s)", m);
    ts__fail(TS_ERR_ARG, call,
             "%s: truncated: %s needs %lld bytes, the file has %lld%s; "
             "download or reinstall it",
             path, what, (long long)len, (long long)got, note);
    return false;
  }
  return true;
}

static uint32_t be32(const uint8_t *b) {
  return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
         (uint32_t)b[3];
}

/* One unsigned-byte IDX file of `ndim` dimensions into a new malloc'd array
 * (*data) and dims[0..ndim). False with the error set; nothing allocated. */
static bool read_idx(const char *call, const char *path, int ndim,
                     int64_t *dims, uint8_t **data) {
  *data = NULL;
  if (!path) {
    ts__fail(TS_ERR_NULL, call, "a file path is NULL");
    return false;
  }
  errno = 0;
  gzFile f = gzopen(path, "rb");
  if (!f) {
    ts__fail(TS_ERR_ARG, call,
             "%s: cannot open: %s; Fashion-MNIST comes with Debian's "
             "dataset-fashion-mnist package (make deps installs it) in %s",
             path, errno ? strerror(errno) : "out of memory",
             TS_FASHION_MNIST_DIR);
    return false;
  }
  gzbuffer(f, 1 << 17);
  bool ok = false;
  uint8_t hdr[4 + 4 * 3];
  const char *kind = ndim == 3 ? "image" : "label";
  if (!gz_read_all(f, call, path, hdr, 4 + 4 * ndim, "the IDX header"))
    goto out;
  unsigned magic = be32(hdr);
  unsigned want = 0x0800u | (unsigned)ndim;
  if (magic != want) {
    ts__fail(TS_ERR_DTYPE, call,
             "%s: wrong magic number 0x%08x for an IDX %s file (0x%08x: "
             "unsigned bytes, %d dimension%s); is this the %s file?",
             path, magic, kind, want, ndim, ndim == 1 ? "" : "s", kind);
    goto out;
  }
  int64_t total = 1;
  for (int i = 0; i < ndim; i++) {
    dims[i] = be32(hdr + 4 + 4 * i);
    int64_t max = i == 0 ? IDX_MAX_COUNT : IDX_MAX_SIDE;
    if (dims[i] > max || (i > 0 && dims[i] == 0)) {
      ts__fail(TS_ERR_SHAPE, call,
               "%s: dimension %d of the IDX header is %lld (at most %lld%s); "
               "the file is corrupt",
               path, i, (long long)dims[i], (long long)max,
               i > 0 ? ", at least 1" : "");
      goto out;
    }
    total *= dims[i];
  }
  if (total > IDX_MAX_BYTES) {
    ts__fail(TS_ERR_SHAPE, call, "%s: %lld bytes of data is too large", path,
             (long long)total);
    goto out;
  }
  *data = malloc(total ? (size_t)total : 1);
  if (!*data) {
    ts__fail(TS_ERR_OOM, call, "%s: out of memory for %lld bytes", path,
             (long long)total);
    goto out;
  }
  char what[64];
  snprintf(what, sizeof what, "the %s data", kind);
  if (!gz_read_all(f, call, path, *data, total, what))
    goto out;
  uint8_t extra;
  int r = gzread(f, &extra, 1);
  if (r != 0) {
    int zerr = 0;
    const char *m = gzerror(f, &zerr);
    if (r < 0)
      ts__fail(TS_ERR_ARG, call,
               "%s: corrupt file after the %s data (zlib: %s)", path, kind, m);
    else
      ts__fail(TS_ERR_SHAPE, call,
               "%s: trailing bytes after the %lld bytes the IDX header "
               "announces; the file is corrupt or not an IDX file",
               path, (long long)total);
    goto out;
  }
  ok = true;
out:
  if (gzclose(f) != Z_OK && ok) {
    ts__fail(TS_ERR_ARG, call, "%s: error when closing (corrupt gzip trailer?)",
             path);
    ok = false;
  }
  if (!ok) {
    free(*data);
    *data = NULL;
  }
  return ok;
}

static ts_dataset *load_idx(const char *call, const char *images_path,
                            const char *labels_path) {
  int64_t idims[3], ldims[1];
  uint8_t *pixels, *labels;
  if (!read_idx(call, images_path, 3, idims, &pixels))
    return NULL;
  if (!read_idx(call, labels_path, 1, ldims, &labels)) {
    free(pixels);
    return NULL;
  }
  if (idims[0] != ldims[0]) {
    ts__fail(TS_ERR_SHAPE, call,
             "%s has %lld images but %s has %lld labels; pass the two files "
             "of the same split",
             images_path, (long long)idims[0], labels_path,
             (long long)ldims[0]);
    free(pixels);
    free(labels);
    return NULL;
  }
  ts_dataset *d = calloc(1, sizeof *d);
  if (!d) {
    free(pixels);
    free(labels);
    ts__fail(TS_ERR_OOM, call, "out of memory");
    return NULL;
  }
  d->n = idims[0];
  d->rows = idims[1];
  d->cols = idims[2];
  d->pixels = pixels;
  d->labels = labels;
  int maxl = -1;
  for (int64_t i = 0; i < d->n; i++)
    if (labels[i] > maxl)
      maxl = labels[i];
  d->num_classes = maxl + 1;
  ts__ok();
  return d;
}

ts_dataset *ts_dataset_load_idx(const char *images_path,
                                const char *labels_path) {
  return load_idx("ts_dataset_load_idx", images_path, labels_path);
}

/* <dir>/<split>-<kind>-ubyte.gz, else without .gz when only that exists. */
static char *mnist_path(const char *dir, const char *split, const char *kind) {
  size_t len = strlen(dir) + strlen(split) + strlen(kind) + 16;
  char *p = malloc(len);
  if (!p)
    return NULL;
  snprintf(p, len, "%s/%s-%s-ubyte.gz", dir, split, kind);
  FILE *f = fopen(p, "rb");
  if (f) {
    fclose(f);
    return p;
  }
  p[strlen(p) - 3] = '\0';
  f = fopen(p, "rb");
  if (f) {
    fclose(f);
    return p;
  }
  strcat(p, ".gz"); /* neither: name the gzip'ed one in the error */
  return p;
}

ts_dataset *ts_dataset_load_mnist(const char *dir, const char *split) {
  static const char call[] = "ts_dataset_load_mnist";
  if (!dir || !split) {
    ts__fail(TS_ERR_NULL, call,
             "%s is NULL; pass a directory and \"train\" "
             "or \"t10k\"",
             !dir ? "dir" : "split");
    return NULL;
  }
  if (strcmp(split, "train") != 0 && strcmp(split, "t10k") != 0) {
    ts__fail(TS_ERR_ARG, call, "split \"%s\" is neither \"train\" nor \"t10k\"",
             split);
    return NULL;
  }
  char *ip = mnist_path(dir, split, "images-idx3");
  char *lp = mnist_path(dir, split, "labels-idx1");
  ts_dataset *d = NULL;
  if (!ip || !lp)
    ts__fail(TS_ERR_OOM, call, "out of memory");
  else
    d = load_idx(call, ip, lp);
  free(ip);
  free(lp);
  return d;
}

void ts_dataset_free(ts_dataset *d) {
  if (d) {
    free(d->pixels);
    free(d->labels);
    free(d);
  }
  ts__ok();
}

#define DATASET_GETTER(type, name, field, bad)                                 \
  type ts_dataset_##name(const ts_dataset *d) {                                \
    if (!d) {                                                                  \
      ts__fail(TS_ERR_NULL, "ts_dataset_" #name, "the data set is NULL");      \
      return bad;                                                              \
    }                                                                          \
    ts__ok();                                                                  \
    return d->field;                                                           \
  }
DATASET_GETTER(int64_t, len, n, -1)
DATASET_GETTER(int64_t, rows, rows, -1)
DATASET_GETTER(int64_t, cols, cols, -1)
DATASET_GETTER(int, num_classes, num_classes, -1)
DATASET_GETTER(const uint8_t *, pixels, pixels, NULL)
DATASET_GETTER(const uint8_t *, labels, labels, NULL)

/* ---------------------------------------------------------------- batches */

static void make_lut(float *lut, float mean, float std) {
  for (int p = 0; p < 256; p++)
    lut[p] = ((float)p / 255.0f - mean) / std;
}

/* The batch of idx[0..n) into xbuf/ybuf, then two tensors; the images are
 * returned, the labels in *labels. Wrapped with `ret` as their site. */
static ts_tensor *batch_from(const char *call, const ts_dataset *d,
                             const int64_t *idx, int64_t n, const float *lut,
                             float *xbuf, int64_t *ybuf, ts_tensor **labels,
                             void *ret) {
  int64_t px = d->rows * d->cols;
  for (int64_t i = 0; i < n; i++) {
    const uint8_t *src = d->pixels + idx[i] * px;
    float *dst = xbuf + i * px;
    for (int64_t j = 0; j < px; j++)
      dst[j] = lut[src[j]];
    ybuf[i] = d->labels[idx[i]];
  }
  int64_t xshape[4] = {n, 1, d->rows, d->cols};
  ts_tensor *x = ts__wrap_at(tsc_from_buffer(call, xbuf, xshape, 4, TS_FLOAT32),
                             call, ret);
  if (!x || !labels)
    return x;
  ts_tensor *y = ts__wrap_at(
      tsc_from_buffer(call, ybuf, (const int64_t[]){n}, 1, TS_INT64), call,
      ret);
  if (!y) { /* keep that error across the ts_free, which clears it */
    ts_status st = ts_last_status();
    char msg[1024];
    const char *e = ts_last_error();
    size_t cl = strlen(call);
    snprintf(msg, sizeof msg, "%s",
             strncmp(e, call, cl) == 0 && e[cl] == ':' ? e + cl + 2 : e);
    ts_free(x);
    ts__fail(st, call, "%s", msg);
    return NULL;
  }
  *labels = y;
  return x;
}

static bool check_indices(const char *call, const ts_dataset *d,
                          const int64_t *idx, int64_t n) {
  if (n < 0 || (n > 0 && !idx)) {
    ts__fail(n < 0 ? TS_ERR_ARG : TS_ERR_NULL, call,
             n < 0 ? "n is negative" : "idx is NULL with n > 0");
    return false;
  }
  for (int64_t i = 0; i < n; i++)
    if (idx[i] < 0 || idx[i] >= d->n) {
      ts__fail(TS_ERR_ARG, call,
               "idx[%lld] = %lld is out of range: the data set has %lld "
               "images (0..%lld)",
               (long long)i, (long long)idx[i], (long long)d->n,
               (long long)d->n - 1);
      return false;
    }
  return true;
}

__attribute__((noinline)) ts_tensor *
ts_dataset_batch(const ts_dataset *d, const int64_t *idx, int64_t n, float mean,
                 float std, ts_tensor **labels) {
  static const char call[] = "ts_dataset_batch";
  void *ret = __builtin_return_address(0);
  if (labels)
    *labels = NULL;
  if (!d) {
    ts__fail(TS_ERR_NULL, call, "the data set is NULL");
    return NULL;
  }
  if (!(std > 0.0f) || mean != mean) {
    ts__fail(TS_ERR_ARG, call, "std must be > 0 (1 for none), mean a number");
    return NULL;
  }
  if (!check_indices(call, d, idx, n))
    return NULL;
  float lut[256];
  make_lut(lut, mean, std);
  int64_t px = d->rows * d->cols;
  float *xbuf = malloc((size_t)(n * px) * sizeof *xbuf + 1);
  int64_t *ybuf = malloc((size_t)n * sizeof *ybuf + 1);
  ts_tensor *x = NULL;
  if (!xbuf || !ybuf)
    ts__fail(TS_ERR_OOM, call, "out of memory for a batch of %lld images",
             (long long)n);
  else
    x = batch_from(call, d, idx, n, lut, xbuf, ybuf, labels, ret);
  free(xbuf);
  free(ybuf);
  return x;
}

/* ---------------------------------------------------------------- loaders */

ts_loader_opts ts_loader_defaults(int64_t batch_size) {
  ts_loader_opts o;
  memset(&o, 0, sizeof o);
  o.batch_size = batch_size;
  o.shuffle = true;
  o.std = 1.0f;
  return o;
}

static uint64_t splitmix64(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* Uniform in [0, bound) without modulo bias (Lemire's method). */
static uint64_t bounded(uint64_t *s, uint64_t bound) {
  for (;;) {
    uint64_t x = splitmix64(s);
    __uint128_t m = (__uint128_t)x * bound;
    uint64_t lo = (uint64_t)m;
    if (lo >= bound || lo >= (0 - bound) % bound)
      return (uint64_t)(m >> 64);
  }
}

/* The images this loader reads of the data set, before the rank split. */
static int64_t base_len(const ts_loader *l) {
  int64_t n = l->d->n;
  return l->o.limit > 0 && l->o.limit < n ? l->o.limit : n;
}

static int64_t per_rank(const ts_loader *l) {
  int64_t n = base_len(l);
  int ws = l->o.world_size > 1 ? l->o.world_size : 1;
  return (n + ws - 1) / ws;
}

static bool ensure_order(ts_loader *l, int64_t cap) {
  if (cap <= l->order_cap)
    return true;
  int64_t *p = realloc(l->order, (size_t)cap * sizeof *p);
  if (!p)
    return false;
  l->order = p;
  l->order_cap = cap;
  return true;
}

/* Fills l->order for `epoch`: the permutation (or identity) of base_len
 * indices, padded and split as DistributedSampler does. */
static void fill_order(ts_loader *l, uint64_t epoch) {
  int64_t n = base_len(l);
  int ws = l->o.world_size > 1 ? l->o.world_size : 1;
  int64_t *all = l->order; /* capacity >= n + ws, see ts_loader_new */
  for (int64_t i = 0; i < n; i++)
    all[i] = i;
  if (l->o.shuffle) {
    uint64_t s = l->o.seed ^ (epoch * 0xd1342543de82ef95ull + 1);
    splitmix64(&s);
    for (int64_t i = n - 1; i > 0; i--) {
      int64_t j = (int64_t)bounded(&s, (uint64_t)i + 1);
      int64_t t = all[i];
      all[i] = all[j];
      all[j] = t;
    }
  }
  if (ws > 1) {
    int64_t total = per_rank(l) * ws;
    for (int64_t i = n; i < total; i++) /* pad by repeating the start */
      all[i] = all[(i - n) % n];
    int64_t k = 0;
    for (int64_t i = l->o.rank; i < total; i += ws)
      all[k++] = all[i]; /* k <= i: in place is safe */
    l->order_len = k;
  } else {
    l->order_len = n;
  }
  l->pos = 0;
}

ts_loader *ts_loader_new(const ts_dataset *d, const ts_loader_opts *o) {
  static const char call[] = "ts_loader_new";
  if (!d || !o) {
    ts__fail(TS_ERR_NULL, call, "%s is NULL", !d ? "the data set" : "opts");
    return NULL;
  }
  const char *bad = NULL;
  if (o->batch_size < 1)
    bad = "batch_size must be at least 1";
  else if (o->limit < 0)
    bad = "limit must be >= 0 (0: all)";
  else if (o->world_size < 0 || o->rank < 0 ||
           (o->world_size > 1 && o->rank >= o->world_size) ||
           (o->world_size <= 1 && o->rank != 0))
    bad = "rank must be in 0..world_size-1 (world_size 0 or 1: rank 0)";
  else if (!(o->std > 0.0f) || o->mean != o->mean)
    bad = "std must be > 0 (1 for none) and mean a number";
  else if (d->n == 0)
    bad = "the data set is empty";
  if (bad) {
    ts__fail(TS_ERR_ARG, call, "%s", bad);
    return NULL;
  }
  ts_loader *l = calloc(1, sizeof *l);
  int64_t px = d->rows * d->cols;
  if (l) {
    l->d = d;
    l->o = *o;
    l->xbuf = malloc((size_t)(o->batch_size * px) * sizeof *l->xbuf);
    l->ybuf = malloc((size_t)o->batch_size * sizeof *l->ybuf);
  }
  if (!l || !l->xbuf || !l->ybuf ||
      !ensure_order(l, base_len(l) + (o->world_size > 1 ? o->world_size : 1))) {
    ts_loader_free(l);
    ts__fail(TS_ERR_OOM, call, "out of memory");
    return NULL;
  }
  make_lut(l->lut, o->mean, o->std);
  fill_order(l, 0);
  ts__ok();
  return l;
}

void ts_loader_free(ts_loader *l) {
  if (l) {
    free(l->order);
    free(l->xbuf);
    free(l->ybuf);
    free(l);
  }
  ts__ok();
}

ts_status ts_loader_set_epoch(ts_loader *l, uint64_t epoch) {
  if (!l)
    return ts__fail(TS_ERR_NULL, "ts_loader_set_epoch", "the loader is NULL");
  if (!ensure_order(l,
                    base_len(l) + (l->o.world_size > 1 ? l->o.world_size : 1)))
    return ts__fail(TS_ERR_OOM, "ts_loader_set_epoch", "out of memory");
  fill_order(l, epoch);
  ts__ok();
  return TS_OK;
}

ts_status ts_loader_set_indices(ts_loader *l, const int64_t *idx, int64_t n) {
  static const char call[] = "ts_loader_set_indices";
  if (!l)
    return ts__fail(TS_ERR_NULL, call, "the loader is NULL");
  if (!check_indices(call, l->d, idx, n))
    return ts_last_status();
  if (!ensure_order(l, n))
    return ts__fail(TS_ERR_OOM, call, "out of memory");
  if (n)
    memcpy(l->order, idx, (size_t)n * sizeof *idx);
  l->order_len = n;
  l->pos = 0;
  ts__ok();
  return TS_OK;
}

__attribute__((noinline)) bool ts_loader_next(ts_loader *l, ts_tensor **images,
                                              ts_tensor **labels) {
  static const char call[] = "ts_loader_next";
  void *ret = __builtin_return_address(0);
  if (images)
    *images = NULL;
  if (labels)
    *labels = NULL;
  if (!l || !images || !labels) {
    ts__fail(TS_ERR_NULL, call, "%s is NULL",
             !l        ? "the loader"
             : !images ? "images"
                       : "labels");
    return false;
  }
  int64_t left = l->order_len - l->pos;
  int64_t b = left < l->o.batch_size ? left : l->o.batch_size;
  if (b <= 0 || (l->o.drop_last && b < l->o.batch_size)) {
    ts__ok();
    return false;
  }
  ts_tensor *x = batch_from(call, l->d, l->order + l->pos, b, l->lut, l->xbuf,
                            l->ybuf, labels, ret);
  if (!x)
    return false;
  l->pos += b;
  *images = x;
  return true;
}

int64_t ts_loader_num_samples(const ts_loader *l) {
  if (!l) {
    ts__fail(TS_ERR_NULL, "ts_loader_num_samples", "the loader is NULL");
    return -1;
  }
  ts__ok();
  return l->order_len;
}

int64_t ts_loader_num_batches(const ts_loader *l) {
  if (!l) {
    ts__fail(TS_ERR_NULL, "ts_loader_num_batches", "the loader is NULL");
    return -1;
  }
  ts__ok();
  int64_t n = l->order_len, b = l->o.batch_size;
  return l->o.drop_last ? n / b : (n + b - 1) / b;
}
