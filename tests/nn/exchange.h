/*
 * exchange.h - tensors between a C test and its PyTorch reference
 * (torch_ref.py), through files in a temporary directory. Each tensor is
 * <dir>/<name>.t: one text line "dtype ndim d0 d1 ...\n" (dtype as
 * tsc_dtype_name spells it: float32, int64) and the raw row-major bytes.
 * The reference runs at test time; nothing is checked in but the code.
 */
#ifndef TSMEM_TESTS_NN_EXCHANGE_H
#define TSMEM_TESTS_NN_EXCHANGE_H

#include <tsmem.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char xchg_dir[64];

/* Makes the directory; false on failure. */
static inline bool xchg_open(void) {
  snprintf(xchg_dir, sizeof xchg_dir, "/tmp/tsmem-nn-XXXXXX");
  return mkdtemp(xchg_dir) != NULL;
}

static inline void xchg_close(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", xchg_dir);
  if (system(cmd) != 0)
    fprintf(stderr, "exchange: could not remove %s\n", xchg_dir);
}

static inline const char *xchg_dtype_name(ts_dtype d) {
  switch (d) {
  case TS_FLOAT32:
    return "float32";
  case TS_FLOAT64:
    return "float64";
  case TS_INT64:
    return "int64";
  case TS_INT32:
    return "int32";
  default:
    return "?";
  }
}

static inline bool xchg_dtype_parse(const char *s, ts_dtype *d) {
  static const ts_dtype all[] = {TS_FLOAT32, TS_FLOAT64, TS_INT64, TS_INT32};
  for (size_t i = 0; i < 4; i++) {
    if (strcmp(s, xchg_dtype_name(all[i])) == 0) {
      *d = all[i];
      return true;
    }
  }
  return false;
}

static inline void xchg_path(char *buf, size_t size, const char *name) {
  snprintf(buf, size, "%s/%s.t", xchg_dir, name);
}

/* Writes t as <name>; false on failure. */
static inline bool xchg_write(const char *name, const ts_tensor *t) {
  char path[256];
  xchg_path(path, sizeof path, name);
  size_t n = ts_nbytes(t);
  int nd = ts_ndim(t);
  if (nd < 0)
    return false;
  void *buf = malloc(n ? n : 1);
  if (!buf || ts_copy_to_buffer(t, buf, n) != TS_OK) {
    free(buf);
    return false;
  }
  FILE *f = fopen(path, "wb");
  bool ok = f != NULL;
  if (ok) {
    fprintf(f, "%s %d", xchg_dtype_name(ts_tensor_dtype(t)), nd);
    for (int i = 0; i < nd; i++)
      fprintf(f, " %lld", (long long)ts_size(t, i));
    fputc('\n', f);
    ok = fwrite(buf, 1, n, f) == n;
    ok = fclose(f) == 0 && ok;
  }
  free(buf);
  return ok;
}

/* Reads <name> into a new tensor (owned as any new tensor); NULL on
 * failure. */
static inline ts_tensor *xchg_read(const char *name) {
  char path[256];
  xchg_path(path, sizeof path, name);
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "exchange: cannot open %s\n", path);
    return NULL;
  }
  char dt[16];
  int nd = 0;
  int64_t shape[16];
  ts_tensor *t = NULL;
  ts_dtype d;
  if (fscanf(f, "%15s %d", dt, &nd) == 2 && nd >= 0 && nd <= 16 &&
      xchg_dtype_parse(dt, &d)) {
    bool ok = true;
    size_t numel = 1;
    for (int i = 0; i < nd && ok; i++) {
      long long v;
      ok = fscanf(f, "%lld", &v) == 1 && v >= 0;
      shape[i] = v;
      numel *= (size_t)v;
    }
    size_t esize = d == TS_FLOAT64 || d == TS_INT64 ? 8 : 4;
    void *buf = malloc(numel * esize + 1);
    if (ok && buf && fgetc(f) == '\n' &&
        fread(buf, 1, numel * esize, f) == numel * esize)
      t = ts_from_buffer(buf, shape, nd, d);
    free(buf);
  }
  fclose(f);
  if (!t)
    fprintf(stderr, "exchange: bad tensor file %s\n", path);
  return t;
}

/* Runs torch_ref.py <mode> <dir> with the system Python; true on exit 0. */
static inline bool xchg_run_reference(const char *mode) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "'%s' '%s/torch_ref.py' %s '%s'", TSMEM_TEST_PYTHON,
           TSMEM_TEST_NN_DIR, mode, xchg_dir);
  int rc = system(cmd);
  if (rc != 0)
    fprintf(stderr, "exchange: `%s` failed (%d)\n", cmd, rc);
  return rc == 0;
}

/* max |a - b| / (atol + rtol |b|) over the elements (<= 1: close); a and b
 * float32 tensors of the same shape; INFINITY when they do not fit. */
static inline double xchg_compare(const ts_tensor *a, const ts_tensor *b,
                                  double rtol, double atol) {
  int64_t n = ts_numel(a);
  if (n < 0 || n != ts_numel(b) || ts_ndim(a) != ts_ndim(b))
    return INFINITY;
  for (int i = 0; i < ts_ndim(a); i++)
    if (ts_size(a, i) != ts_size(b, i))
      return INFINITY;
  if (ts_tensor_dtype(a) != TS_FLOAT32 || ts_tensor_dtype(b) != TS_FLOAT32)
    return INFINITY;
  float *x = malloc((size_t)n * 4 + 4), *y = malloc((size_t)n * 4 + 4);
  double worst = 0.0;
  if (!x || !y || ts_copy_to_buffer(a, x, (size_t)n * 4) != TS_OK ||
      ts_copy_to_buffer(b, y, (size_t)n * 4) != TS_OK) {
    worst = INFINITY;
  } else {
    for (int64_t i = 0; i < n; i++) {
      double diff = fabs((double)x[i] - (double)y[i]);
      double r = diff == 0.0 ? 0.0 : diff / (atol + rtol * fabs((double)y[i]));
      if (!(r <= worst))
        worst = isnan(r) ? INFINITY : r;
    }
  }
  free(x);
  free(y);
  return worst;
}

#endif /* TSMEM_TESTS_NN_EXCHANGE_H */
