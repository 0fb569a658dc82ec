/*
 * bench.c - the runtime benchmarks behind `make bench` (see README.md).
 *
 * Every ratio compares two variants measured side by side in one run: the
 * rounds alternate between them (which goes first alternates too) and the
 * ratio is that of the medians of the per-round times, so that noise from
 * the other processes on the machine hits both alike.
 *
 *   tsmem_bench [--python PYTHON --script mlp_torch.py] [--quick] [--ops]
 *
 * --ops runs benchmark 0 only (the per-call cost) and exits; --pool runs
 * benchmark 3 only (the pool, with 1 and 10,000 keys) and exits; --mlp
 * runs benchmark 4 only (the MLP step) and exits. --naive makes the tsmem
 * MLP step's linear layers ts_matmul + ts_add, as the C++ and Python steps
 * write them, instead of ts_addmm, and its update per parameter
 * (ts_sgd_step + ts_zero_grad); --grad-zero keeps ts_addmm but updates
 * per parameter like that (the step before ts_backward_sgd), --grad-clear
 * with ts_backward + ts_sgd_step_all(..., TS_GRAD_CLEAR). --updates runs
 * only the tsmem step with ts_backward_sgd, then with --grad-clear's
 * update, each against --grad-zero's, side by side, and exits.
 */
#define _GNU_SOURCE
#include "mlp.h"
#include "timing.h"

#include <tsmem.h>
#include <tsmem/ops.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* CPU time of this thread: time spent descheduled (2 cores shared with
 * compilers) does not count, only the work itself and its cache misses.
 * libtorch runs on this thread too (1 intra-op thread, CPU autograd runs
 * on the caller's thread). */
/* Keeps a value alive for the optimiser: it cannot drop what computed it. */
#define KEEP(p) __asm__ volatile("" : : "r"(p) : "memory")

static int goals_missed;

/* The middle half of the last ratios passed to ratio_of (sorted by it). */
static double ratio_lo, ratio_hi;

static double ratio_of(double *v, int n) {
  double m = median(v, n);
  ratio_lo = v[n / 4];
  ratio_hi = v[n - 1 - n / 4];
  return m;
}

static void report(const char *what, double a, double b, const char *unit,
                   double ratio, const char *goal_text, int ok) {
  printf("  %-62s %8.1f vs %8.1f %s  ratio %.3f (%.3f-%.3f)  goal %s  %s\n",
         what, a, b, unit, ratio, ratio_lo, ratio_hi, goal_text,
         ok ? "met" : "MISSED");
  goals_missed += !ok;
}

/* ------------------------------------------------------ the variants -- */

static const int64_t small_shape[] = {8};

/* 1a: a scope frees three small tensors. */
static void scope_three(int iters) {
  for (int i = 0; i < iters; i++) {
    ts_scope_id s = ts_scope_begin();
    KEEP(ts_empty(small_shape, 1, TS_FLOAT32));
    KEEP(ts_empty(small_shape, 1, TS_FLOAT32));
    KEEP(ts_empty(small_shape, 1, TS_FLOAT32));
    ts_scope_end(s);
  }
}

/* 1b: the same three, freed by hand, newest first as a scope does. */
static void manual_three(int iters) {
  for (int i = 0; i < iters; i++) {
    ts_tensor *a = ts_empty(small_shape, 1, TS_FLOAT32);
    ts_tensor *b = ts_empty(small_shape, 1, TS_FLOAT32);
    ts_tensor *c = ts_empty(small_shape, 1, TS_FLOAT32);
    ts_free(c);
    ts_free(b);
    ts_free(a);
  }
}

/* 2a: an empty scope. */
static void empty_scope(int iters) {
  for (int i = 0; i < iters; i++) {
    ts_scope_id s = ts_scope_begin();
    KEEP(s);
    ts_scope_end(s);
  }
}

/* 2b: malloc(64)/free; the pointer escapes, so the pair cannot be elided. */
static void malloc_free(int iters) {
  for (int i = 0; i < iters; i++) {
    void *p = malloc(64);
    KEEP(p);
    free(p);
  }
}

static const int64_t big_shape[] = {256, 256};
static ts_pool *bench_pool;

/* 3a: a pooled 256x256 float tensor. */
static void pooled(int iters) {
  for (int i = 0; i < iters; i++) {
    ts_tensor *t = ts_pool_acquire(bench_pool, big_shape, 2, TS_FLOAT32);
    if (!t) /* the first miss of the run */
      t = ts_empty(big_shape, 2, TS_FLOAT32);
    ts_pool_release(bench_pool, t);
  }
}

/* 3b: the same tensor made and freed. */
static void made_and_freed(int iters) {
  for (int i = 0; i < iters; i++)
    ts_free(ts_empty(big_shape, 2, TS_FLOAT32));
}

/* 0a: one tensor call through tsmem: ts_add of two small tensors, freed. */
static ts_tensor *add_a, *add_b;

static void ts_add_loop(int iters) {
  for (int i = 0; i < iters; i++)
    ts_free(ts_add(add_a, add_b));
}

/* 0b: issue 18's tiny ops on 4x4 float32, each result freed at once (or
 * by a scope around each 8 calls), against the same ATen calls. */
static ts_tensor *a44, *b44;
static const int64_t shape44[] = {4, 4};

static void ts_add44_loop(int iters) {
  for (int i = 0; i < iters; i++)
    ts_free(ts_add(a44, b44));
}

static void ts_zeros44_loop(int iters) {
  for (int i = 0; i < iters; i++)
    ts_free(ts_zeros(shape44, 2, TS_FLOAT32));
}

static void ts_relu44_loop(int iters) {
  for (int i = 0; i < iters; i++)
    ts_free(ts_relu(a44));
}

static void ts_add44_scope_loop(int iters) {
  for (int i = 0; i < iters; i += 8) {
    ts_scope_id s = ts_scope_begin();
    for (int k = 0; k < 8; k++)
      KEEP(ts_add(a44, b44));
    ts_scope_end(s);
  }
}

/* ------------------------------------------------------------ the MLP -- */

static mlp_data data;

/* Deterministic data: a small LCG, no libtorch involved. */
static void make_data(mlp_data *d) {
  uint64_t s = 12345;
#define NEXT() ((s = s * 6364136223846793005ull + 1442695040888963407ull) >> 33)
#define UNIFORM() ((float)NEXT() / (float)(1ull << 31) - 0.5f)
  for (int i = 0; i < MLP_BATCH * MLP_IN; i++)
    d->x[i] = UNIFORM() * 2;
  for (int i = 0; i < MLP_BATCH; i++)
    d->y[i] = (int64_t)(NEXT() % MLP_CLASSES);
  for (int i = 0; i < MLP_IN * MLP_HIDDEN; i++)
    d->w1[i] = UNIFORM() * 0.3f;
  for (int i = 0; i < MLP_HIDDEN * MLP_CLASSES; i++)
    d->w2[i] = UNIFORM() * 0.3f;
  memset(d->b1, 0, sizeof d->b1);
  memset(d->b2, 0, sizeof d->b2);
#undef UNIFORM
#undef NEXT
}

typedef struct {
  ts_tensor *x, *y, *p[4]; /* w1 b1 w2 b2 */
} ts_mlp;

static ts_mlp ts_model;

static void ts_mlp_init(ts_mlp *m, const mlp_data *d) {
  m->x = ts_from_buffer(d->x, TS_SHAPE(MLP_BATCH, MLP_IN), TS_FLOAT32);
  m->y = ts_from_buffer(d->y, TS_SHAPE(MLP_BATCH), TS_INT64);
  m->p[0] = ts_from_buffer(d->w1, TS_SHAPE(MLP_IN, MLP_HIDDEN), TS_FLOAT32);
  m->p[1] = ts_from_buffer(d->b1, TS_SHAPE(MLP_HIDDEN), TS_FLOAT32);
  m->p[2] =
      ts_from_buffer(d->w2, TS_SHAPE(MLP_HIDDEN, MLP_CLASSES), TS_FLOAT32);
  m->p[3] = ts_from_buffer(d->b2, TS_SHAPE(MLP_CLASSES), TS_FLOAT32);
  for (int i = 0; i < 4; i++)
    ts_requires_grad(m->p[i], true);
}

/* 1: each linear layer as ts_matmul then ts_add, the ops the C++ and
 * Python steps use (--naive); 0: one ts_addmm (issue 18: the generated
 * operator set's fused bias + x @ w: one op, one autograd node and one
 * intermediate less than matmul + add). */
static int naive_linear;

/* How the step computes and applies the gradients:
 * UPDATE_ZERO: ts_backward, then per parameter ts_sgd_step + ts_zero_grad,
 *   as the C++ and Python steps write it (--naive, --grad-zero);
 * UPDATE_CLEAR: ts_backward, then one ts_sgd_step_all that drops the
 *   gradients (TS_GRAD_CLEAR, as torch.optim's zero_grad(set_to_none=True)):
 *   the next backward stores its gradients as they come, without the zero_
 *   and the add into zeros (--grad-clear);
 * UPDATE_FUSED (default): one ts_backward_sgd: the engine hands the
 *   gradients to the update, no AccumulateGrad node runs. */
enum { UPDATE_FUSED, UPDATE_CLEAR, UPDATE_ZERO };
static int update_kind = UPDATE_FUSED;
static const char *const update_name[] = {"backward_sgd", "sgd_step_all",
                                          "zero_grad"};

static ts_tensor *linear(ts_tensor *x, ts_tensor *w, ts_tensor *b) {
  return naive_linear ? ts_add(ts_matmul(x, w), b)
                      : ts_addmm(b, x, w, 1.0, 1.0);
}

/* One training step through the C API, one scope per step. */
static void ts_mlp_step(ts_mlp *m) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *h = linear(m->x, m->p[0], m->p[1]);
  /* In place on addmm's result (its backward keeps only x and w1); the
   * --naive step writes ts_relu like the others. */
  h = naive_linear ? ts_relu(h) : ts_relu_(h);
  ts_tensor *logits = linear(h, m->p[2], m->p[3]);
  ts_tensor *loss = ts_cross_entropy(logits, m->y);
  if (update_kind == UPDATE_FUSED) {
    ts_backward_sgd(loss, m->p, 4, MLP_LR);
  } else if (update_kind == UPDATE_CLEAR) {
    ts_backward(loss);
    ts_sgd_step_all(m->p, 4, MLP_LR, TS_GRAD_CLEAR);
  } else {
    ts_backward(loss);
    for (int i = 0; i < 4; i++) {
      ts_sgd_step(m->p[i], MLP_LR);
      ts_zero_grad(m->p[i]);
    }
  }
  ts_scope_end(s);
}

static double ts_mlp_loss(ts_mlp *m) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *h = ts_relu(ts_add(ts_matmul(m->x, m->p[0]), m->p[1]));
  double l =
      ts_item(ts_cross_entropy(ts_add(ts_matmul(h, m->p[2]), m->p[3]), m->y));
  ts_scope_end(s);
  return l;
}

static void ts_mlp_free(ts_mlp *m) {
  ts_free(m->x);
  ts_free(m->y);
  for (int i = 0; i < 4; i++)
    ts_free(m->p[i]);
}

static long ts_faults, ts_steps;
static long minor_faults(void);

static void run_ts_mlp(int iters) {
  long f0 = minor_faults();
  for (int i = 0; i < iters; i++)
    ts_mlp_step(&ts_model);
  ts_faults += minor_faults() - f0;
  ts_steps += iters;
}

/* --updates: the tsmem step with each update_kind against the one with
 * UPDATE_ZERO, side by side (two models from the same data, so each keeps
 * its own state). */
static ts_mlp zero_model;
static int updates_kind;

static void run_ts_mlp_kind(int iters) {
  update_kind = updates_kind;
  for (int i = 0; i < iters; i++)
    ts_mlp_step(&ts_model);
}

static void run_ts_mlp_zero(int iters) {
  update_kind = UPDATE_ZERO;
  for (int i = 0; i < iters; i++)
    ts_mlp_step(&zero_model);
}

static aten_mlp *aten_model;

/* Minor page faults of this process so far. */
static long minor_faults(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt;
}

/* Page faults during each variant's steps, and the steps. */
static long aten_faults, aten_steps;

/* The libtorch C++ step runs on libtorch's own CPU allocator, as a C++
 * program has it; the tsmem step on tsmem's caching allocator. */
static void run_aten_mlp(int iters) {
  aten_default_allocator(1);
  long f0 = minor_faults();
  for (int i = 0; i < iters; i++)
    aten_mlp_step(aten_model);
  aten_faults += minor_faults() - f0;
  aten_steps += iters;
  aten_default_allocator(0);
}

/* --------------------------------------------------- the Python child -- */

typedef struct {
  pid_t pid;
  FILE *to, *from;
} child;

static int py_start(child *c, const char *python, const char *script) {
  int in[2], out[2];
  if (pipe(in) || pipe(out))
    return 0;
  c->pid = fork();
  if (c->pid < 0)
    return 0;
  if (c->pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    close(in[1]), close(out[0]);
    execl(python, python, script, (char *)NULL);
    _exit(127);
  }
  close(in[0]), close(out[1]);
  c->to = fdopen(in[1], "w");
  c->from = fdopen(out[0], "r");
  char line[64];
  return fgets(line, sizeof line, c->from) && !strncmp(line, "ready", 5);
}

/* Sends a command, returns the number it answers (-1 on failure). */
static double py_ask(child *c, const char *cmd) {
  char line[64];
  fprintf(c->to, "%s\n", cmd);
  fflush(c->to);
  if (!fgets(line, sizeof line, c->from))
    return -1;
  return atof(line);
}

static void py_stop(child *c) {
  fclose(c->to);
  fclose(c->from);
  waitpid(c->pid, NULL, 0);
}

/* ------------------------------------------------------------ driving -- */

typedef void (*variant)(int iters);

enum { MAX_ROUNDS = 301 };

/* Runs a and b for `rounds` rounds of `iters` iterations, alternating which
 * goes first; gives the median ns per iteration of each and returns the
 * median of the per-round ratios a/b. The two halves of a round run back to
 * back, so a ratio of a pair is far steadier than a ratio of two medians
 * when the machine's speed drifts (frequency, other processes). */
static double side_by_side(variant a, variant b, int iters, int rounds,
                           double *a_ns, double *b_ns) {
  double ta[MAX_ROUNDS], tb[MAX_ROUNDS], ratio[MAX_ROUNDS];
  a(iters / 10 + 1), b(iters / 10 + 1); /* warm up */
  for (int r = 0; r < rounds; r++) {
    for (int k = 0; k < 2; k++) {
      int first_a = (r + k) % 2 == 0;
      variant v = first_a ? a : b;
      double t0 = now_ns();
      v(iters);
      double dt = (now_ns() - t0) / iters;
      if (first_a)
        ta[r] = dt;
      else
        tb[r] = dt;
    }
    ratio[r] = ta[r] / tb[r];
  }
  *a_ns = median(ta, rounds);
  *b_ns = median(tb, rounds);
  return ratio_of(ratio, rounds);
}

static long rss_kb(void) {
  long pages = 0, resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (f) {
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
      resident = 0;
    fclose(f);
  }
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

int main(int argc, char **argv) {
  const char *python = NULL, *script = NULL;
  int quick = 0, ops_only = 0, pool_only = 0, mlp_only = 0, updates_only = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--python") && i + 1 < argc)
      python = argv[++i];
    else if (!strcmp(argv[i], "--script") && i + 1 < argc)
      script = argv[++i];
    else if (!strcmp(argv[i], "--quick"))
      quick = 1;
    else if (!strcmp(argv[i], "--ops"))
      ops_only = 1;
    else if (!strcmp(argv[i], "--pool"))
      pool_only = 1;
    else if (!strcmp(argv[i], "--mlp"))
      mlp_only = 1;
    else if (!strcmp(argv[i], "--naive"))
      naive_linear = 1, update_kind = UPDATE_ZERO;
    else if (!strcmp(argv[i], "--grad-zero"))
      update_kind = UPDATE_ZERO;
    else if (!strcmp(argv[i], "--grad-clear"))
      update_kind = UPDATE_CLEAR;
    else if (!strcmp(argv[i], "--updates"))
      updates_only = 1;
  }
  /* Many short rounds: a round hit by an interrupt or a migration is an
   * outlier the median drops. */
  int rounds = quick ? 31 : 301;
  ts_set_num_threads(1);
  printf("tsmem benchmarks: %d alternating rounds, thread CPU time, 1 "
         "libtorch thread;\n  times are medians, ratios the medians of the "
         "per-round ratios (their middle half in brackets)\n",
         rounds);

  double a, b, q;
  if (updates_only) {
    /* The tsmem step's updates against ts_sgd_step + ts_zero_grad per
     * parameter, side by side (20 steps a round). */
    make_data(&data);
    for (int k = UPDATE_FUSED; k <= UPDATE_CLEAR; k++) {
      ts_mlp_init(&ts_model, &data);
      ts_mlp_init(&zero_model, &data);
      updates_kind = k;
      q = side_by_side(run_ts_mlp_kind, run_ts_mlp_zero, 20, rounds, &a, &b);
      char label[80];
      snprintf(label, sizeof label, "4u. tsmem step, %s vs zero_grad",
               update_name[k]);
      printf("  %-62s %8.1f vs %8.1f us/step  ratio %.3f (%.3f-%.3f)\n", label,
             a / 1e3, b / 1e3, q, ratio_lo, ratio_hi);
      printf("     losses after the runs: %.6f, %.6f\n",
             ts_mlp_loss(&ts_model), ts_mlp_loss(&zero_model));
      ts_mlp_free(&ts_model);
      ts_mlp_free(&zero_model);
    }
    return 0;
  }
  if (pool_only)
    goto pool;
  if (mlp_only)
    goto mlp;
  /* 0. No goal: what a tensor call costs through tsmem (handle table,
   * checks, exception barrier, ts_free) next to the bare libtorch call. */
  add_a = ts_ones(TS_SHAPE(4), TS_FLOAT32);
  add_b = ts_ones(TS_SHAPE(4), TS_FLOAT32);
  q = side_by_side(ts_add_loop, aten_add_loop, 1000, rounds, &a, &b);
  printf("  %-62s %8.1f vs %8.1f ns/iter  ratio %.3f (%.3f-%.3f)  no goal\n",
         "0. ts_add+ts_free of 4 floats vs at::add (per-call overhead)", a, b,
         q, ratio_lo, ratio_hi);
  ts_free(add_a);
  ts_free(add_b);
  /* 0b. Issue 18: at most 1.05 of the ATen call, result freed. */
  {
    a44 = ts_ones(shape44, 2, TS_FLOAT32);
    b44 = ts_ones(shape44, 2, TS_FLOAT32);
    static const struct {
      const char *what;
      variant ts, aten;
    } tiny[] = {
        {"0b. ts_add 4x4 + ts_free vs at::add", ts_add44_loop, aten_add44_loop},
        {"0b. ts_zeros 4x4 + ts_free vs at::zeros", ts_zeros44_loop,
         aten_zeros44_loop},
        {"0b. ts_relu 4x4 + ts_free vs at::relu", ts_relu44_loop,
         aten_relu44_loop},
        {"0b. 8 x ts_add 4x4 in a scope vs 8 at::add kept", ts_add44_scope_loop,
         aten_add44_scope_loop},
    };
    for (size_t k = 0; k < sizeof tiny / sizeof tiny[0]; k++) {
      q = side_by_side(tiny[k].ts, tiny[k].aten, 1000, rounds, &a, &b);
      report(tiny[k].what, a, b, "ns/iter", q, "<= 1.05", q <= 1.05);
    }
    ts_free(a44);
    ts_free(b44);
  }
  if (ops_only)
    return goals_missed != 0;

  q = side_by_side(scope_three, manual_three, 300, rounds, &a, &b);
  report("1. scope frees 3 small tensors vs ts_free by hand", a, b, "ns/iter",
         q, "<= 1.02", q <= 1.02);

  q = side_by_side(empty_scope, malloc_free, 10000, rounds, &a, &b);
  report("2. empty ts_scope_begin/ts_scope_end vs malloc(64)/free", a, b,
         "ns/iter", q, "<= 0.5", q <= 0.5);

pool:
  bench_pool = ts_pool_new(0);
  q = side_by_side(pooled, made_and_freed, 1000, rounds, &a, &b);
  report("3. pooled 256x256 float32 acquire/release vs ts_empty/ts_free", a, b,
         "ns/iter", q, "<= 0.3", q <= 0.3);
  /* The same with 10,000 other keys in the pool, added before this one (a
   * key search that scanned the keys in order would look at them all). */
  ts_pool_clear(bench_pool);
  for (int64_t k = 1; k <= 10000; k++)
    ts_pool_release(bench_pool, ts_empty(&k, 1, TS_FLOAT32));
  q = side_by_side(pooled, made_and_freed, 1000, rounds, &a, &b);
  report("3. the same with 10,000 other keys in the pool", a, b, "ns/iter", q,
         "<= 0.35", q <= 0.35);
  ts_pool_destroy(bench_pool);
  if (pool_only)
    return goals_missed != 0;

mlp:
  /* 4. The MLP step three ways; Python rounds interleave through a pipe. */
  make_data(&data);
  ts_mlp_init(&ts_model, &data);
  aten_model = aten_mlp_new(&data);
  int steps = quick ? 10 : 20;
  double ts_t[MAX_ROUNDS], at_t[MAX_ROUNDS], py_t[MAX_ROUNDS];
  double vs_at[MAX_ROUNDS], vs_py[MAX_ROUNDS];
  child py;
  int have_py = python && script && py_start(&py, python, script);
  if (python && !have_py)
    fprintf(stderr, "  (could not start %s %s: Python skipped)\n", python,
            script);
  char cmd[32];
  snprintf(cmd, sizeof cmd, "%d", steps);
  run_ts_mlp(steps / 4), run_aten_mlp(steps / 4);
  if (have_py)
    py_ask(&py, cmd);
  for (int r = 0; r < rounds; r++) {
    for (int k = 0; k < 3; k++) {
      int which = (r + k) % 3;
      double t0 = now_ns();
      if (which == 0)
        run_ts_mlp(steps), ts_t[r] = (now_ns() - t0) / steps / 1e3;
      else if (which == 1)
        run_aten_mlp(steps), at_t[r] = (now_ns() - t0) / steps / 1e3;
      else
        py_t[r] = have_py ? py_ask(&py, cmd) * 1e6 / steps : 0;
    }
    vs_at[r] = ts_t[r] / at_t[r];
    vs_py[r] = have_py ? ts_t[r] / py_t[r] : 0;
  }
  double ts_us = median(ts_t, rounds), at_us = median(at_t, rounds);
  {
    ts_allocator_cache_stats as = ts_allocator_stats();
    printf("     page faults per step: tsmem %.2f, libtorch C++ %.2f "
           "(tsmem's caching allocator %s, %zu KiB cached)\n",
           (double)ts_faults / (double)ts_steps,
           (double)aten_faults / (double)aten_steps, as.enabled ? "on" : "off",
           as.cached_bytes / 1024);
  }
  q = ratio_of(vs_at, rounds);
  /* Issue 18's goals: at most 0.97 of libtorch C++, 0.80 of PyTorch. */
  char label[80];
  snprintf(label, sizeof label, "4. MLP step, tsmem (%s, %s) vs libtorch C++",
           naive_linear ? "matmul+add" : "addmm", update_name[update_kind]);
  report(label, ts_us, at_us, "us/step", q, "<= 0.97", q <= 0.97);
  if (have_py) {
    double py_us = median(py_t, rounds);
    q = ratio_of(vs_py, rounds);
    snprintf(label, sizeof label, "4. MLP step, tsmem (%s, %s) vs PyTorch",
             naive_linear ? "matmul+add" : "addmm", update_name[update_kind]);
    report(label, ts_us, py_us, "us/step", q, "<= 0.80", q <= 0.80);
    printf("     losses after the runs: tsmem %.4f, libtorch C++ %.4f, "
           "PyTorch %.4f\n",
           ts_mlp_loss(&ts_model), aten_mlp_loss(aten_model),
           py_ask(&py, "loss"));
    py_stop(&py);
  } else {
    printf("     losses after the runs: tsmem %.4f, libtorch C++ %.4f\n",
           ts_mlp_loss(&ts_model), aten_mlp_loss(aten_model));
  }
  aten_mlp_free(aten_model);
  if (mlp_only)
    return goals_missed != 0;

  /* 5. Flat over 10,000 steps: live tensors and RSS. */
  ts_mlp_free(&ts_model);
  ts_mlp_init(&ts_model, &data);
  size_t live1k = 0, live10k;
  long rss1k = 0, rss10k;
  for (int step = 1; step <= 10000; step++) {
    ts_mlp_step(&ts_model);
    if (step == 1000)
      live1k = ts_memory().live_tensors, rss1k = rss_kb();
  }
  live10k = ts_memory().live_tensors, rss10k = rss_kb();
  /* Flat: same live tensors, RSS within 1 MiB (allocator noise). */
  int flat = live1k == live10k && rss10k - rss1k <= 1024;
  printf("  %-62s live %zu -> %zu, RSS %ld -> %ld KiB  goal flat  %s\n",
         "5. 10,000 MLP steps: step 1000 -> step 10000", live1k, live10k, rss1k,
         rss10k, flat ? "met" : "MISSED");
  goals_missed += !flat;
  ts_mlp_free(&ts_model);

  printf("%d goal%s missed\n", goals_missed, goals_missed == 1 ? "" : "s");
  return 0;
}
