/*
 * test_checkpoint.c - <tsmem/checkpoint.h> against real PyTorch.
 *
 * checkpoint_ref.py (run with the python3 that has torch) writes real
 * torch.save files, safetensors files from a reference writer and the
 * bad-checkpoint catalogue; this test loads them, saves its own, and has
 * the script check those with torch.load and the reference reader. Every
 * failed load must leave the tensors' values exactly as they were, and no
 * call may leak (ASan, and ts_memory's counts before and after).
 */
#define _GNU_SOURCE /* memmem, mkdtemp */
#include "check.h"

#include <tsmem/checkpoint.h>
#include <tsmem/nn.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef TSMEM_PYTHON
#define TSMEM_PYTHON "/usr/bin/python3"
#endif

static char dir[64];

static const char *at(const char *name) {
  static char buf[4][256];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
  return buf[k];
}

static int python(const char *cmd) {
  char line[1024];
  snprintf(line, sizeof line, "%s %s %s %s", TSMEM_PYTHON, CKPT_REF, cmd, dir);
  return system(line);
}

/* ------------------------------------------------------------ the mix -- */

/* The tensors of checkpoint_ref.py's case_mix(), same keys and values. */
enum { MIX_N = 13 };
static const char *const mix_names[MIX_N] = {
    "w.f32", "w.f64", "b.i64", "m.bool", "h.f16",  "h.bf16", "e.empty",
    "n.i32", "n.u8",  "n.i8",  "n.i16",  "t.view", "s.slice"};

typedef struct mix {
  ts_tensor *t[MIX_N];
} mix;

/* The values, built from buffers; t.view is a non-contiguous view. */
static mix mix_make(void) {
  mix m;
  static const float f32[] = {-1, -0.5f, 0, 0.5f, 1, 1.5f};
  static const double f64[] = {0, 0.25, 0.5, 0.75};
  static const int64_t i64 = 1234567890123;
  static const uint8_t b[] = {1, 0, 1, 1, 0};
  static const uint16_t f16[] = {0x3C00, 0xBE00, 0x4000}; /* 1 -1.5 2 */
  static const uint16_t bf16[] = {0x3F00, 0x4040, 0xC000,
                                  0x4100}; /* .5 3 -2 8 */
  static const int32_t i32[] = {-7, 0, 7};
  static const uint8_t u8[] = {0, 60, 120, 255};
  static const int8_t i8[] = {-128, 5};
  static const int16_t i16[] = {-300, 300};
  static const float ar[] = {0, 1, 2, 3, 4, 5};
  static const double sl[] = {2, 3, 4, 5};
  m.t[0] = ts_from_buffer(f32, TS_SHAPE(2, 3), TS_FLOAT32);
  m.t[1] = ts_from_buffer(f64, TS_SHAPE(4), TS_FLOAT64);
  m.t[2] = ts_from_buffer(&i64, NULL, 0, TS_INT64);
  m.t[3] = ts_from_buffer(b, TS_SHAPE(5), TS_BOOL);
  m.t[4] = ts_from_buffer(f16, TS_SHAPE(3), TS_FLOAT16);
  m.t[5] = ts_from_buffer(bf16, TS_SHAPE(2, 2), TS_BFLOAT16);
  m.t[6] = ts_zeros(TS_SHAPE(0, 3), TS_FLOAT32);
  m.t[7] = ts_from_buffer(i32, TS_SHAPE(3), TS_INT32);
  m.t[8] = ts_from_buffer(u8, TS_SHAPE(4), TS_UINT8);
  m.t[9] = ts_from_buffer(i8, TS_SHAPE(2), TS_INT8);
  m.t[10] = ts_from_buffer(i16, TS_SHAPE(2), TS_INT16);
  ts_tensor *base = ts_from_buffer(ar, TS_SHAPE(3, 2), TS_FLOAT32);
  m.t[11] = ts_transpose(base, 0, 1);
  ts_free(base);
  m.t[12] = ts_from_buffer(sl, TS_SHAPE(2, 2), TS_FLOAT64);
  for (int i = 0; i < MIX_N; i++)
    CHECK(m.t[i] != NULL);
  return m;
}

/* Tensors of the mix's dtypes and shapes, every element `value`. */
static mix mix_filled(double value) {
  mix ref = mix_make(), m;
  for (int i = 0; i < MIX_N; i++) {
    int nd = ts_ndim(ref.t[i]);
    int64_t shape[8];
    for (int d = 0; d < nd; d++)
      shape[d] = ts_size(ref.t[i], d);
    ts_dtype dt = ts_tensor_dtype(ref.t[i]);
    m.t[i] = ts_full(shape, nd, dt, dt == TS_BOOL ? 1 : value);
    CHECK(m.t[i] != NULL);
  }
  for (int i = 0; i < MIX_N; i++)
    ts_free(ref.t[i]);
  return m;
}

static void mix_free(mix *m) {
  for (int i = 0; i < MIX_N; i++)
    ts_free(m->t[i]);
}

/* All the bytes of a mix, row-major, one after the other. */
typedef struct snap {
  unsigned char bytes[512];
  size_t n;
} snap;

static snap snap_of(const mix *m) {
  snap s = {{0}, 0};
  for (int i = 0; i < MIX_N; i++) {
    size_t nb = ts_nbytes(m->t[i]);
    CHECK(s.n + nb <= sizeof s.bytes);
    CHECK_EQ(ts_copy_to_buffer(m->t[i], s.bytes + s.n, nb), TS_OK);
    s.n += nb;
  }
  return s;
}

static bool snap_eq(const snap *a, const snap *b) {
  return a->n == b->n && memcmp(a->bytes, b->bytes, a->n) == 0;
}

/* Loads file into a mix of the right shapes; its values must be the mix's. */
static void load_mix_ok(const char *file) {
  mix want = mix_make(), got = mix_filled(42);
  ts_memory_stats before = ts_memory();
  ts_status st = ts_tensors_load(at(file), mix_names, got.t, MIX_N);
  CHECK_EQ(st, TS_OK);
  if (st != TS_OK)
    fprintf(stderr, "  loading %s: %s\n", file, ts_last_error());
  CHECK_EQ(ts_memory().live_tensors, before.live_tensors);
  snap a = snap_of(&want), b = snap_of(&got);
  CHECK(snap_eq(&a, &b));
  mix_free(&want);
  mix_free(&got);
}

/* ---------------------------------------------------------------- tests -- */

TEST(torch_save_files_load) {
  load_mix_ok("py_mix.pt");
  load_mix_ok("py_mix_p4.pt"); /* pickle protocol 4 */
}

TEST(safetensors_files_load) {
  load_mix_ok("py_mix.safetensors");
  load_mix_ok("py_mix_nometa.safetensors");
}

TEST(c_saves_for_python) {
  mix m = mix_make();
  CHECK_EQ(ts_tensors_save(at("c_mix.pt"), mix_names, m.t, MIX_N,
                           TS_CHECKPOINT_TORCH),
           TS_OK);
  CHECK_EQ(ts_tensors_save(at("c_mix.safetensors"), mix_names, m.t, MIX_N,
                           TS_CHECKPOINT_SAFETENSORS),
           TS_OK);
  CHECK_EQ(
      ts_tensors_save(at("c_empty.pt"), NULL, NULL, 0, TS_CHECKPOINT_TORCH),
      TS_OK);
  mix_free(&m);
  /* And back into C. */
  load_mix_ok("c_mix.pt");
  load_mix_ok("c_mix.safetensors");
  ts_checkpoint_format fmt;
  CHECK_EQ(ts_checkpoint_format_of(at("c_mix.pt"), &fmt), TS_OK);
  CHECK_EQ(fmt, TS_CHECKPOINT_TORCH);
  CHECK_EQ(ts_checkpoint_format_of(at("c_mix.safetensors"), &fmt), TS_OK);
  CHECK_EQ(fmt, TS_CHECKPOINT_SAFETENSORS);
}

/* A real model's state_dict: load it, save it again for Python to compare. */
TEST(model_state_dict) {
  static const char *const names[] = {"0.weight",
                                      "0.bias",
                                      "1.weight",
                                      "1.bias",
                                      "1.running_mean",
                                      "1.running_var",
                                      "1.num_batches_tracked",
                                      "3.weight",
                                      "3.bias"};
  ts_tensor *t[9] = {ts_zeros(TS_SHAPE(2, 1, 3, 3), TS_FLOAT32),
                     ts_zeros(TS_SHAPE(2), TS_FLOAT32),
                     ts_zeros(TS_SHAPE(2), TS_FLOAT32),
                     ts_zeros(TS_SHAPE(2), TS_FLOAT32),
                     ts_zeros(TS_SHAPE(2), TS_FLOAT32),
                     ts_zeros(TS_SHAPE(2), TS_FLOAT32),
                     ts_zeros(NULL, 0, TS_INT64),
                     ts_zeros(TS_SHAPE(3, 8), TS_FLOAT32),
                     ts_zeros(TS_SHAPE(3), TS_FLOAT32)};
  /* Parameters require grad: loading writes them outside autograd. */
  CHECK_EQ(ts_requires_grad(t[0], true), TS_OK);
  CHECK_EQ(ts_tensors_load(at("py_model.pt"), names, t, 9), TS_OK);
  CHECK_EQ(ts_item(t[6]), 7);
  float var[2];
  CHECK_EQ(ts_copy_to_buffer(t[5], var, sizeof var), TS_OK);
  CHECK(var[0] >= 1 && var[1] >= 1);
  CHECK_EQ(ts_tensors_save(at("c_model.pt"), names, t, 9, TS_CHECKPOINT_TORCH),
           TS_OK);
  for (int i = 0; i < 9; i++)
    ts_free(t[i]);
}

/* nn.Parameter (_rebuild_parameter) and a view into its storage. */
TEST(parameter_and_shared_storage) {
  static const char *const names[] = {"p", "q"};
  ts_tensor *t[2] = {ts_zeros(TS_SHAPE(4), TS_FLOAT32),
                     ts_zeros(TS_SHAPE(2), TS_FLOAT32)};
  CHECK_EQ(ts_tensors_load(at("py_param.pt"), names, t, 2), TS_OK);
  float p[4], q[2];
  ts_copy_to_buffer(t[0], p, sizeof p);
  ts_copy_to_buffer(t[1], q, sizeof q);
  CHECK(p[0] == 0 && p[1] == 1 && p[2] == 2 && p[3] == 3);
  CHECK(q[0] == 1 && q[1] == 2);
  ts_free(t[0]);
  ts_free(t[1]);
}

/* A failed load: the status, the message's parts, and nothing changed. */
static void bad(const char *file, ts_status want, const char *key,
                const char *words) {
  mix m = mix_filled(42);
  snap before = snap_of(&m);
  ts_memory_stats mem = ts_memory();
  ts_status st = ts_tensors_load(at(file), mix_names, m.t, MIX_N);
  const char *msg = ts_last_error();
  bool ok = st == want && strstr(msg, "ts_tensors_load: ") == msg &&
            strstr(msg, at(file)) && (!key || strstr(msg, key)) &&
            strstr(msg, words) && strstr(msg, "the tensors are unchanged");
  if (!ok) {
    fprintf(stderr, "  %s: status %d (want %d), message: %s\n", file, st, want,
            msg);
    check_failures++;
  }
  snap after = snap_of(&m);
  CHECK(snap_eq(&before, &after));
  CHECK_EQ(ts_memory().live_tensors, mem.live_tensors);
  mix_free(&m);
}

TEST(bad_checkpoints) {
  bad("no_such_file.pt", TS_ERR_ARG, NULL, "cannot be opened");
  bad("bad_shape.pt", TS_ERR_SHAPE, "'w.f32'",
      "of shape [3, 2], but the "
      "tensors hold it with shape [2, 3]");
  bad("bad_shape.safetensors", TS_ERR_SHAPE, "'w.f32'", "shape [3, 2]");
  bad("bad_dtype.pt", TS_ERR_DTYPE, "'n.i16'",
      "as int32, but the tensors "
      "hold it as int16");
  bad("bad_dtype.safetensors", TS_ERR_DTYPE, "'n.i16'", "as int32");
  bad("bad_missing.pt", TS_ERR_ARG, "'n.i8'", "has no key");
  bad("bad_missing.safetensors", TS_ERR_ARG, "'n.i8'", "has no key");
  bad("bad_extra.pt", TS_ERR_ARG, "'z.extra'", "which the tensors do not have");
  bad("bad_extra.safetensors", TS_ERR_ARG, "'z.extra'", "1 extra key");
  bad("bad_legacy.pt", TS_ERR_ARG, NULL, "legacy format");
  bad("bad_list.pt", TS_ERR_ARG, "'opt'", "holds a list");
  bad("bad_evil.pt", TS_ERR_ARG, NULL,
      "refers to the Python object posix.system");
  bad("bad_script.pt", TS_ERR_ARG, NULL, "TorchScript");
  bad("bad_json.safetensors", TS_ERR_ARG, NULL, "a missing ':'");
  bad("bad_trailing.safetensors", TS_ERR_ARG, NULL, "text after");
  bad("bad_dupkey.safetensors", TS_ERR_ARG, "'w.f32'", "duplicate key");
  bad("bad_unknown_dtype.safetensors", TS_ERR_ARG, "'w.f64'", "unknown dtype");
  bad("bad_u16.safetensors", TS_ERR_DTYPE, "'n.i16'", "U16");
  bad("bad_field.safetensors", TS_ERR_ARG, "'w.f32'", "unknown field 'extra'");
  bad("bad_float_shape.safetensors", TS_ERR_ARG, "'w.f32'", "shape entry");
  bad("bad_escape.safetensors", TS_ERR_ARG, NULL, "invalid escape");
  bad("bad_overlap.safetensors", TS_ERR_ARG, "'w.f64'", "an overlap");
  bad("bad_bool.safetensors", TS_ERR_ARG, "'m.bool'", "neither 0 nor 1");
  bad("bad_tail.safetensors", TS_ERR_ARG, NULL, "trailing bytes");
}

/* Files cut short, bytes that are no checkpoint, an empty file. */
static void write_file(const char *name, const void *data, size_t n) {
  FILE *f = fopen(at(name), "wb");
  CHECK(f != NULL);
  if (f) {
    CHECK_EQ(fwrite(data, 1, n, f), n);
    fclose(f);
  }
}

static void truncated_copy(const char *from, const char *to, long keep) {
  FILE *f = fopen(at(from), "rb");
  CHECK(f != NULL);
  if (!f)
    return;
  static unsigned char buf[1 << 16];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  size_t k = keep < 0 ? n + (size_t)keep : (size_t)keep;
  CHECK(k < n);
  write_file(to, buf, k);
}

TEST(truncated_and_wrong_magic) {
  truncated_copy("py_mix.pt", "cut_half.pt", 700);
  bad("cut_half.pt", TS_ERR_ARG, NULL, "truncated or corrupt");
  truncated_copy("py_mix.pt", "cut_end.pt", -10);
  bad("cut_end.pt", TS_ERR_ARG, NULL, "truncated or corrupt");
  truncated_copy("py_mix.safetensors", "cut_data.safetensors", -3);
  bad("cut_data.safetensors", TS_ERR_ARG, "'s.slice'", "truncated");
  truncated_copy("py_mix.safetensors", "cut_header.safetensors", 100);
  bad("cut_header.safetensors", TS_ERR_ARG, NULL, "header length");
  truncated_copy("py_mix.safetensors", "cut_len.safetensors", 5);
  bad("cut_len.safetensors", TS_ERR_ARG, NULL, "neither a torch.save");
  write_file("magic.pt", "hello, this is no checkpoint", 28);
  bad("magic.pt", TS_ERR_ARG, NULL, "neither a torch.save zip archive");
  write_file("empty.pt", "", 0);
  bad("empty.pt", TS_ERR_ARG, NULL, "is empty");
  /* A bit flipped in a tensor's bytes: the zip's CRC-32 catches it. */
  FILE *f = fopen(at("py_mix.pt"), "rb");
  static unsigned char buf[1 << 16];
  size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
  if (f)
    fclose(f);
  unsigned char *rec = memmem(buf, n, "py_mix/data/0", 13);
  CHECK(rec != NULL);
  if (rec) {
    /* The record's data begins 64-byte aligned after its local header. */
    size_t off = (size_t)(rec - buf) + 13;
    off = (off + 63) / 64 * 64;
    buf[off + 1] ^= 0x40;
    write_file("flip.pt", buf, n);
    bad("flip.pt", TS_ERR_ARG, NULL, "CRC");
  }
}

/* The last key is wrong: every key before it was fine, and still nothing
 * may have been copied. */
TEST(all_or_nothing) {
  mix m = mix_filled(42);
  snap before = snap_of(&m);
  /* The file's s.slice is [2, 2]; ask for it with another shape. */
  ts_free(m.t[MIX_N - 1]);
  m.t[MIX_N - 1] = ts_full(TS_SHAPE(4), TS_FLOAT64, 42);
  CHECK_EQ(ts_tensors_load(at("py_mix.pt"), mix_names, m.t, MIX_N),
           TS_ERR_SHAPE);
  CHECK(strstr(ts_last_error(), "'s.slice'") != NULL);
  ts_free(m.t[MIX_N - 1]);
  m.t[MIX_N - 1] = ts_full(TS_SHAPE(2, 2), TS_FLOAT64, 42);
  snap after = snap_of(&m);
  CHECK(snap_eq(&before, &after));
  mix_free(&m);
}

TEST(bad_arguments) {
  mix m = mix_make();
  CHECK_EQ(ts_tensors_save(NULL, mix_names, m.t, MIX_N, TS_CHECKPOINT_TORCH),
           TS_ERR_NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_tensors_save");
  CHECK_EQ(ts_tensors_save(at("x.pt"), mix_names, m.t, MIX_N,
                           (ts_checkpoint_format)7),
           TS_ERR_ARG);
  const char *dup[MIX_N];
  memcpy(dup, mix_names, sizeof dup);
  dup[3] = "w.f32";
  CHECK_EQ(ts_tensors_save(at("x.pt"), dup, m.t, MIX_N, TS_CHECKPOINT_TORCH),
           TS_ERR_ARG);
  CHECK(strstr(ts_last_error(), "given twice") != NULL);
  CHECK_EQ(ts_tensors_load(at("py_mix.pt"), dup, m.t, MIX_N), TS_ERR_ARG);
  dup[3] = "__metadata__";
  CHECK_EQ(
      ts_tensors_save(at("x.st"), dup, m.t, MIX_N, TS_CHECKPOINT_SAFETENSORS),
      TS_ERR_ARG);
  CHECK(access(at("x.pt"), F_OK) != 0 && access(at("x.st"), F_OK) != 0);
  /* A directory that does not exist; a freed tensor. */
  CHECK_EQ(ts_tensors_save("/nonexistent-dir/x.pt", mix_names, m.t, MIX_N,
                           TS_CHECKPOINT_TORCH),
           TS_ERR_ARG);
  CHECK(strstr(ts_last_error(), "/nonexistent-dir/x.pt") != NULL);
  ts_tensor *dead = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  ts_free(dead);
  ts_tensor *one[1] = {dead};
  const char *one_name[1] = {"d"};
  CHECK_EQ(ts_tensors_save(at("x.pt"), one_name, one, 1, TS_CHECKPOINT_TORCH),
           TS_ERR_STALE_HANDLE);
  CHECK(strstr(ts_last_error(), "'d'") != NULL);
  /* A failed save leaves an existing file as it was. */
  CHECK_EQ(
      ts_tensors_save(at("c_mix.pt"), one_name, one, 1, TS_CHECKPOINT_TORCH),
      TS_ERR_STALE_HANDLE);
  load_mix_ok("c_mix.pt");
  mix_free(&m);
}

/* ------------------------------------------------------------ mutations -- */

/* The runtime's own zip functions (runtime/torch/checkpoint_zip.h; the
 * tests link the static runtime, hidden symbols included). */
typedef struct tsc_zip_writer tsc_zip_writer;
typedef struct tsc_zip_reader tsc_zip_reader;
tsc_zip_writer *tsc_zip_writer_new(FILE *f, char *why);
ts_status tsc_zip_writer_add(tsc_zip_writer *w, const char *name,
                             const void *data, size_t size, char *why);
ts_status tsc_zip_writer_finish(tsc_zip_writer *w, char *why);
ts_status tsc_zip_reader_open(const char *path, tsc_zip_reader **out,
                              char *why);
void tsc_zip_reader_close(tsc_zip_reader *r);
ts_status tsc_zip_reader_read(tsc_zip_reader *r, const char *name, void **data,
                              size_t *size, char *why);

static uint64_t rng = 0x9E3779B97F4A7C15u;
static uint64_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

/* Flips, overwrites, cuts or duplicates a few bytes of buf[lo..n). */
static size_t mutate(unsigned char *buf, size_t n, size_t cap, size_t lo) {
  int kind = (int)(next_rand() % 4);
  size_t i = lo + (size_t)(next_rand() % (n - lo));
  if (kind == 0) {
    buf[i] ^= (unsigned char)(1u << (next_rand() % 8));
  } else if (kind == 1) {
    static const unsigned char bytes[] = {0,   1,   0x7f, 0x80, 0xff, '"', '{',
                                          '}', '(', 't',  '.',  'R',  0x8a};
    buf[i] = bytes[next_rand() % sizeof bytes];
  } else if (kind == 2) {
    n = i > lo ? i : lo + 1;
  } else if (n + 8 <= cap) {
    memmove(buf + i + 4, buf + i, n - i);
    n += 4;
  }
  return n;
}

/* A load of a mutated file either succeeds or fails with nothing changed,
 * under ASan: the parsers' error paths on inputs no test names. */
static int mutated_load(const char *file) {
  mix m = mix_filled(42);
  snap before = snap_of(&m);
  ts_status st = ts_tensors_load(at(file), mix_names, m.t, MIX_N);
  if (st != TS_OK) {
    if (getenv("CKPT_VERBOSE")) /* to read the messages */
      fprintf(stderr, "  %s\n", ts_last_error());
    if (!strstr(ts_last_error(), "the tensors are unchanged") ||
        !strstr(ts_last_error(), at(file))) {
      fprintf(stderr, "  %s: %s\n", file, ts_last_error());
      check_failures++;
    }
    snap after = snap_of(&m);
    CHECK(snap_eq(&before, &after));
  }
  mix_free(&m);
  return st == TS_OK;
}

TEST(mutated_safetensors) {
  static unsigned char orig[4096], buf[4096 + 64];
  FILE *f = fopen(at("py_mix.safetensors"), "rb");
  size_t n = f ? fread(orig, 1, sizeof orig, f) : 0;
  if (f)
    fclose(f);
  CHECK(n > 64 && n < sizeof orig);
  size_t hlen = orig[0] | (size_t)orig[1] << 8;
  int ok = 0;
  for (int i = 0; i < 300; i++) {
    memcpy(buf, orig, n);
    /* Mostly the header; sometimes the length or the data. */
    size_t lo = i % 10 == 0 ? 0 : i % 10 == 1 ? 8 + hlen : 8;
    size_t m = mutate(buf, i % 10 == 1 ? n : 8 + hlen, sizeof buf, lo);
    if (i % 10 != 1 && m != 8 + hlen) { /* keep the data after the header */
      if (m + (n - 8 - hlen) > sizeof buf)
        continue;
      memmove(buf + m, orig + 8 + hlen, n - 8 - hlen);
      m += n - 8 - hlen;
    } else if (i % 10 != 1) {
      m = n;
    }
    write_file("mut.safetensors", buf, m);
    ok += mutated_load("mut.safetensors");
  }
  fprintf(stderr, "  mutated safetensors: %d of 300 loaded\n", ok);
  CHECK(ok < 300); /* most mutations must be caught */
}

TEST(mutated_pickles) {
  tsc_zip_reader *r;
  char why[256];
  CHECK_EQ(tsc_zip_reader_open(at("py_mix.pt"), &r, why), TS_OK);
  void *pkl = NULL, *data[MIX_N] = {0};
  size_t pkl_n = 0, data_n[MIX_N] = {0};
  CHECK_EQ(tsc_zip_reader_read(r, "data.pkl", &pkl, &pkl_n, why), TS_OK);
  for (int k = 0; k < MIX_N; k++) {
    char rec[16];
    snprintf(rec, sizeof rec, "data/%d", k);
    CHECK_EQ(tsc_zip_reader_read(r, rec, &data[k], &data_n[k], why), TS_OK);
  }
  tsc_zip_reader_close(r);
  static unsigned char buf[8192];
  CHECK(pkl_n > 100 && pkl_n + 64 < sizeof buf);
  int ok = 0;
  for (int i = 0; i < 300 && pkl_n + 64 < sizeof buf; i++) {
    memcpy(buf, pkl, pkl_n);
    size_t m = mutate(buf, pkl_n, sizeof buf, 2);
    /* A valid zip (and CRC) around the mutated pickle. */
    FILE *f = fopen(at("mut.pt"), "wb");
    tsc_zip_writer *w = f ? tsc_zip_writer_new(f, why) : NULL;
    CHECK(w != NULL);
    if (!w) {
      if (f)
        fclose(f);
      break;
    }
    CHECK_EQ(tsc_zip_writer_add(w, "data.pkl", buf, m, why), TS_OK);
    for (int k = 0; k < MIX_N; k++) {
      char rec[16];
      snprintf(rec, sizeof rec, "data/%d", k);
      CHECK_EQ(tsc_zip_writer_add(w, rec, data[k], data_n[k], why), TS_OK);
    }
    CHECK_EQ(tsc_zip_writer_finish(w, why), TS_OK);
    fclose(f);
    ok += mutated_load("mut.pt");
  }
  fprintf(stderr, "  mutated pickles: %d of 300 loaded\n", ok);
  CHECK(ok < 300);
  free(pkl);
  for (int k = 0; k < MIX_N; k++)
    free(data[k]);
}

/* A byteorder record other than "little" (PyTorch >= 2.0 on a big-endian
 * machine) is refused; "little" loads. */
TEST(byteorder_record) {
  tsc_zip_reader *r;
  char why[256];
  CHECK_EQ(tsc_zip_reader_open(at("py_mix.pt"), &r, why), TS_OK);
  void *rec[MIX_N + 1] = {0};
  size_t size[MIX_N + 1] = {0};
  CHECK_EQ(tsc_zip_reader_read(r, "data.pkl", &rec[MIX_N], &size[MIX_N], why),
           TS_OK);
  for (int k = 0; k < MIX_N; k++) {
    char name[16];
    snprintf(name, sizeof name, "data/%d", k);
    CHECK_EQ(tsc_zip_reader_read(r, name, &rec[k], &size[k], why), TS_OK);
  }
  tsc_zip_reader_close(r);
  static const char *const orders[2] = {"big", "little"};
  for (int b = 0; b < 2; b++) {
    FILE *f = fopen(at("order.pt"), "wb");
    tsc_zip_writer *w = f ? tsc_zip_writer_new(f, why) : NULL;
    CHECK(w != NULL);
    if (!w)
      break;
    CHECK_EQ(tsc_zip_writer_add(w, "data.pkl", rec[MIX_N], size[MIX_N], why),
             TS_OK);
    CHECK_EQ(
        tsc_zip_writer_add(w, "byteorder", orders[b], strlen(orders[b]), why),
        TS_OK);
    for (int k = 0; k < MIX_N; k++) {
      char name[16];
      snprintf(name, sizeof name, "data/%d", k);
      CHECK_EQ(tsc_zip_writer_add(w, name, rec[k], size[k], why), TS_OK);
    }
    CHECK_EQ(tsc_zip_writer_finish(w, why), TS_OK);
    fclose(f);
    if (b == 0)
      bad("order.pt", TS_ERR_ARG, NULL, "big-endian");
    else
      load_mix_ok("order.pt");
  }
  for (int k = 0; k <= MIX_N; k++)
    free(rec[k]);
}

/* ---------------------------------------------------------------- store -- */

/* The model of checkpoint_ref.py's model(): its parameters and buffers. */
static ts_store *model_store(void) {
  ts_store *s = ts_store_new();
  CHECK(s != NULL);
  CHECK(ts_store_param(s, "0.weight", TS_SHAPE(2, 1, 3, 3), TS_FLOAT32));
  CHECK(ts_store_param(s, "0.bias", TS_SHAPE(2), TS_FLOAT32));
  CHECK(ts_store_param(s, "1.weight", TS_SHAPE(2), TS_FLOAT32));
  CHECK(ts_store_param(s, "1.bias", TS_SHAPE(2), TS_FLOAT32));
  CHECK(ts_store_buffer(s, "1.running_mean", TS_SHAPE(2), TS_FLOAT32));
  CHECK(ts_store_buffer(s, "1.running_var", TS_SHAPE(2), TS_FLOAT32));
  CHECK(ts_store_buffer(s, "1.num_batches_tracked", NULL, 0, TS_INT64));
  CHECK(ts_store_param(s, "3.weight", TS_SHAPE(3, 8), TS_FLOAT32));
  CHECK(ts_store_param(s, "3.bias", TS_SHAPE(3), TS_FLOAT32));
  return s;
}

/* Every value of a store, in order. */
static snap store_snap(const ts_store *s) {
  snap r = {{0}, 0};
  for (size_t i = 0; i < ts_store_count(s); i++) {
    ts_tensor *t = ts_store_at(s, i);
    size_t nb = ts_nbytes(t);
    CHECK(r.n + nb <= sizeof r.bytes);
    if (r.n + nb > sizeof r.bytes)
      break;
    CHECK_EQ(ts_copy_to_buffer(t, r.bytes + r.n, nb), TS_OK);
    r.n += nb;
  }
  return r;
}

TEST(store_round_trips) {
  ts_store *s = model_store();
  ts_memory_stats before = ts_memory();
  CHECK_EQ(ts_store_load(s, at("py_model.pt")), TS_OK);
  CHECK_EQ(ts_item(ts_store_find(s, "1.num_batches_tracked")), 7);
  CHECK_EQ(ts_store_save(s, at("c_store.pt"), TS_CHECKPOINT_TORCH), TS_OK);
  CHECK_EQ(
      ts_store_save(s, at("c_store.safetensors"), TS_CHECKPOINT_SAFETENSORS),
      TS_OK);
  snap loaded = store_snap(s);
  /* Both files back into a fresh store: the same values. */
  ts_store *t = model_store();
  CHECK_EQ(ts_store_load(t, at("c_store.pt")), TS_OK);
  snap a = store_snap(t);
  CHECK(snap_eq(&loaded, &a));
  ts_store_free(t);
  t = model_store();
  CHECK_EQ(ts_store_load(t, at("c_store.safetensors")), TS_OK);
  snap b = store_snap(t);
  CHECK(snap_eq(&loaded, &b));
  ts_store_free(t);
  CHECK_EQ(ts_memory().live_tensors, before.live_tensors);
  ts_store_free(s);
}

/* The catalogue through the store: its message, and nothing changed. */
TEST(store_bad_checkpoints) {
  ts_store *s = model_store();
  CHECK_EQ(ts_store_load(s, at("py_model.pt")), TS_OK);
  snap before = store_snap(s);
  ts_memory_stats mem = ts_memory();
  static const struct {
    const char *file;
    ts_status st;
    const char *words;
  } cases[] = {
      {"py_mix.pt", TS_ERR_ARG, "has no key '0.weight', which the store has"},
      {"py_mix.safetensors", TS_ERR_ARG, "has no key '0.weight'"},
      {"model_bad_shape.pt", TS_ERR_SHAPE,
       "'3.weight' of shape [3, 4], but "
       "the store holds it with shape "
       "[3, 8]"},
      {"model_bad_dtype.pt", TS_ERR_DTYPE,
       "'1.num_batches_tracked' as "
       "int32, but the store holds it as "
       "int64"},
      {"model_extra.pt", TS_ERR_ARG,
       "'4.weight', which the store does not "
       "have"},
      {"model_missing.pt", TS_ERR_ARG, "no key '3.bias'"},
      {"cut_half.pt", TS_ERR_ARG, "truncated or corrupt"},
      {"magic.pt", TS_ERR_ARG, "neither a torch.save"},
      {"no_such_file.pt", TS_ERR_ARG, "cannot be opened"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    ts_status st = ts_store_load(s, at(cases[i].file));
    const char *msg = ts_last_error();
    if (st != cases[i].st || strstr(msg, "ts_store_load: ") != msg ||
        !strstr(msg, at(cases[i].file)) || !strstr(msg, cases[i].words) ||
        !strstr(msg, "the store is unchanged")) {
      fprintf(stderr, "  %s: status %d (want %d): %s\n", cases[i].file, st,
              cases[i].st, msg);
      check_failures++;
    }
    snap after = store_snap(s);
    CHECK(snap_eq(&before, &after));
    CHECK_EQ(ts_memory().live_tensors, mem.live_tensors);
  }
  CHECK_EQ(ts_store_save(NULL, at("x.pt"), TS_CHECKPOINT_TORCH), TS_ERR_NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_store_save");
  CHECK_EQ(ts_store_load(NULL, at("py_model.pt")), TS_ERR_NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_store_load");
  ts_store_free(s);
}

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/tsmem-ckpt-XXXXXX");
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  if (python("gen") != 0) {
    fprintf(stderr, "checkpoint_ref.py gen failed\n");
    return 1;
  }
  static const check_test tests[] = {T(torch_save_files_load),
                                     T(safetensors_files_load),
                                     T(c_saves_for_python),
                                     T(model_state_dict),
                                     T(parameter_and_shared_storage),
                                     T(bad_checkpoints),
                                     T(truncated_and_wrong_magic),
                                     T(all_or_nothing),
                                     T(bad_arguments),
                                     T(mutated_safetensors),
                                     T(mutated_pickles),
                                     T(byteorder_record),
                                     T(store_round_trips),
                                     T(store_bad_checkpoints)};
  int failed = check_run(tests, sizeof tests / sizeof tests[0]);
  /* Python reads what C wrote. */
  if (python("check") != 0) {
    fprintf(stderr,
            "FAIL: torch.load / the safetensors reader rejected the "
            "files C wrote (%s kept)\n",
            dir);
    return 1;
  }
  char rm[128];
  snprintf(rm, sizeof rm, "rm -rf %s", dir);
  if (!failed)
    (void)system(rm);
  return failed;
}
