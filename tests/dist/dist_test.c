/*
 * dist_test.c - one rank of the <tsmem/dist.h> tests. launch.sh (or
 * torchrun) starts several, each with RANK, WORLD_SIZE, MASTER_ADDR and
 * MASTER_PORT set; every rank checks its own results and exits 0 when all
 * passed (printing "rank R: N passed, N failed").
 *
 *   dist_test port                 print a free TCP port on 127.0.0.1
 *   dist_test collectives          every collective, sync and async, scopes
 *   dist_test train                data-parallel SGD == one process, all ranks
 * equal dist_test all                  collectives, then train dist_test
 * interop              with a Python rank (tests/dist/interop.py) dist_test
 * sampler N W SEED EPOCH SHUFFLE DROP   indices of every rank dist_test
 * fault_exit R         rank R exits after init; the others must fail dist_test
 * fault_late R         rank R never reaches the collective dist_test
 * fault_absent         some rank never starts: init must fail dist_test
 * fault_shape          mismatched shapes: TS_ERR_SHAPE everywhere Faults expect
 * TSMEM_DIST_TIMEOUT (seconds) small and check the failure comes within it.
 */
#include <tsmem.h>
#include <tsmem/dist.h>

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int failures, passes, rank = -1, world = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (cond) {                                                                \
      passes++;                                                                \
    } else {                                                                   \
      fprintf(stderr, "rank %d: %s:%d: CHECK failed: %s (last error: %s)\n",   \
              rank, __FILE__, __LINE__, #cond, ts_last_error());               \
      failures++;                                                              \
    }                                                                          \
  } while (0)

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int finish(void) {
  CHECK(ts_memory().live_tensors == 0);
  if (ts_memory().live_tensors)
    ts_leak_report(stderr);
  printf("rank %d: %d passed, %d failed\n", rank, passes, failures);
  fflush(stdout);
  return failures != 0;
}

static int free_port(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t n = sizeof a;
  if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) ||
      getsockname(s, (struct sockaddr *)&a, &n))
    return 1;
  printf("%d\n", ntohs(a.sin_port));
  close(s);
  return 0;
}

/* Every element of t equals v (within tol). */
static bool all_eq(const ts_tensor *t, double v, double tol) {
  int64_t n = ts_numel(t);
  ts_tensor *d = ts_clone(t); /* float64 copy via buffer below */
  bool ok = d != NULL;
  if (ok && ts_tensor_dtype(t) == TS_FLOAT32) {
    float *b = malloc((size_t)n * sizeof *b);
    ts_copy_to_buffer(t, b, (size_t)n * sizeof *b);
    for (int64_t i = 0; i < n; i++)
      ok = ok && fabs(b[i] - v) <= tol;
    free(b);
  } else if (ok && ts_tensor_dtype(t) == TS_INT64) {
    int64_t *b = malloc((size_t)n * sizeof *b);
    ts_copy_to_buffer(t, b, (size_t)n * sizeof *b);
    for (int64_t i = 0; i < n; i++)
      ok = ok && b[i] == (int64_t)v;
    free(b);
  }
  if (d)
    ts_free(d);
  return ok;
}

static float at(const ts_tensor *t, int64_t i) {
  int64_t n = ts_numel(t);
  float *b = malloc((size_t)n * sizeof *b);
  ts_copy_to_buffer(t, b, (size_t)n * sizeof *b);
  float v = b[i];
  free(b);
  return v;
}

/* ------------------------------------------------------------ collectives */

static void collectives(void) {
  double R = rank, W = world;
  ts_scope_id s = ts_scope_begin();

  ts_tensor *t = ts_full(TS_SHAPE(3, 4), TS_FLOAT32, R + 1);
  CHECK(ts_dist_all_reduce(t, TS_DIST_SUM) == TS_OK);
  CHECK(all_eq(t, W * (W + 1) / 2, 0));

  t = ts_full(TS_SHAPE(5), TS_FLOAT32, R + 1);
  CHECK(ts_dist_all_reduce(t, TS_DIST_MEAN) == TS_OK);
  CHECK(all_eq(t, (W + 1) / 2, 1e-6));

  t = ts_full(TS_SHAPE(2, 2), TS_FLOAT32, R * 10);
  CHECK(ts_dist_all_reduce(t, TS_DIST_MAX) == TS_OK);
  CHECK(all_eq(t, (W - 1) * 10, 0));
  t = ts_full(TS_SHAPE(2, 2), TS_FLOAT32, R + 7);
  CHECK(ts_dist_all_reduce(t, TS_DIST_MIN) == TS_OK);
  CHECK(all_eq(t, 7, 0));

  /* int64, and a non-contiguous view (a transpose) */
  t = ts_full(TS_SHAPE(4), TS_INT64, R + 1);
  CHECK(ts_dist_all_reduce(t, TS_DIST_SUM) == TS_OK);
  CHECK(all_eq(t, W * (W + 1) / 2, 0));
  ts_tensor *base = ts_arange(0, 6, 1, TS_FLOAT32);
  ts_tensor *tr = ts_transpose(ts_reshape(base, TS_SHAPE(2, 3)), 0, 1);
  CHECK(ts_dist_all_reduce(tr, TS_DIST_SUM) == TS_OK);
  CHECK(at(tr, 1) == (float)(3 * W));   /* tr[0][1] = base[3] * W */
  CHECK(at(base, 3) == (float)(3 * W)); /* written through the view */

  /* MEAN of an integer tensor: refused locally, on every rank alike */
  t = ts_full(TS_SHAPE(2), TS_INT64, 1);
  CHECK(ts_dist_all_reduce(t, TS_DIST_MEAN) == TS_ERR_DTYPE);
  CHECK(ts_dist_all_reduce(t, (ts_dist_op)42) == TS_ERR_ARG);
  CHECK(ts_dist_broadcast(t, world) == TS_ERR_ARG);
  CHECK(ts_dist_all_reduce(NULL, TS_DIST_SUM) == TS_ERR_NULL);

  /* broadcast from the last rank */
  t = ts_full(TS_SHAPE(3), TS_FLOAT32, R);
  CHECK(ts_dist_broadcast(t, world - 1) == TS_OK);
  CHECK(all_eq(t, W - 1, 0));

  /* all-gather: [world, 2, 3], row k is rank k's */
  t = ts_full(TS_SHAPE(2, 3), TS_FLOAT32, R * 2);
  ts_tensor *g = ts_dist_all_gather(t);
  CHECK(g && ts_ndim(g) == 3 && ts_size(g, 0) == world && ts_size(g, 2) == 3);
  for (int k = 0; g && k < world; k++)
    CHECK(at(g, k * 6 + 5) == 2.0f * k);

  /* reduce-scatter: rows [rank*2, rank*2+2) of the sum */
  t = ts_arange(0, 2 * W * 3, 1, TS_FLOAT32);
  t = ts_add_scalar(ts_reshape(t, TS_SHAPE(2 * world, 3)), R);
  ts_tensor *rs = ts_dist_reduce_scatter(t, TS_DIST_SUM);
  CHECK(rs && ts_size(rs, 0) == 2 && ts_size(rs, 1) == 3);
  /* element [i][j] = sum_r (6*rank + 3i + j + r) */
  if (rs)
    for (int i = 0; i < 6; i++)
      CHECK(at(rs, i) == (float)(W * (6 * R + i) + W * (W - 1) / 2));
  rs = ts_dist_reduce_scatter(t, TS_DIST_MEAN);
  if (rs)
    CHECK(fabsf(at(rs, 0) - (float)(6 * R + (W - 1) / 2)) < 1e-5);
  ts_tensor *odd = ts_zeros(TS_SHAPE(2 * world + 1), TS_FLOAT32);
  if (world > 1)
    CHECK(ts_dist_reduce_scatter(odd, TS_DIST_SUM) == NULL &&
          ts_last_status() == TS_ERR_SHAPE);

  CHECK(ts_dist_barrier() == TS_OK);

  /* mismatched shapes: every rank gets TS_ERR_SHAPE, nothing moves, and the
   * group is still usable */
  t = ts_ones(TS_SHAPE(2 + rank % 2, 3), TS_FLOAT32);
  ts_status st = ts_dist_all_reduce(t, TS_DIST_SUM);
  if (world > 1) {
    CHECK(st == TS_ERR_SHAPE);
    CHECK(strstr(ts_last_error(), "shape [2, 3]") &&
          strstr(ts_last_error(), "shape [3, 3]"));
    CHECK(all_eq(t, 1, 0));
  }
  t = ts_ones(TS_SHAPE(2), rank % 2 ? TS_FLOAT64 : TS_FLOAT32);
  st = ts_dist_broadcast(t, 0);
  if (world > 1)
    CHECK(st == TS_ERR_DTYPE);
  t = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  st = rank % 2 ? ts_dist_broadcast(t, 0) : ts_dist_all_reduce(t, TS_DIST_SUM);
  if (world > 1)
    CHECK(st == TS_ERR_ARG && strstr(ts_last_error(), "ranks disagree"));
  t = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  CHECK(ts_dist_all_reduce(t, TS_DIST_SUM) == TS_OK);
  CHECK(all_eq(t, W, 0));

  ts_scope_end(s);
}

static void async_work(void) {
  double W = world;
  size_t live0 = ts_memory().live_tensors;
  ts_scope_id s = ts_scope_begin();
  ts_tensor *a = ts_full(TS_SHAPE(1000), TS_FLOAT32, rank + 1);
  ts_tensor *b = ts_full(TS_SHAPE(10), TS_FLOAT32, rank);
  ts_dist_work *w1 = ts_dist_all_reduce_async(a, TS_DIST_MEAN);
  ts_tensor *gathered = NULL;
  ts_dist_work *w2 = ts_dist_all_gather_async(b, &gathered);
  ts_dist_work *w3 = ts_dist_barrier_async();
  CHECK(w1 && w2 && w3 && gathered);
  /* each pending work counts as one 0-byte tensor of the scope */
  CHECK(ts_scope_tensor_count() == 6);
  bool done = false;
  CHECK(ts_dist_test(w1, &done) == TS_OK);
  CHECK(ts_dist_wait(w1) == TS_OK);
  CHECK(all_eq(a, (W + 1) / 2, 1e-6));
  CHECK(ts_dist_wait(w2) == TS_OK);
  CHECK(at(gathered, 10 * (world - 1)) == (float)(world - 1));
  CHECK(ts_dist_wait(w3) == TS_OK);
  CHECK(ts_scope_tensor_count() == 3);
  /* waited already: a detected error */
  CHECK(ts_dist_wait(w1) == TS_ERR_STALE_HANDLE);
  CHECK(ts_dist_test(w2, &done) == TS_ERR_STALE_HANDLE);
  CHECK(ts_dist_wait(NULL) == TS_ERR_NULL);
  CHECK(ts_dist_wait((ts_dist_work *)(uintptr_t)0x1234) == TS_ERR_STALE_HANDLE);
  ts_scope_end(s);
  CHECK(ts_memory().live_tensors == live0);

  /* a scope ending with unfinished work waits for it; its handle is then
   * stale, and its tensors are freed after the work finished */
  ts_dist_work *pending = NULL;
  ts_tensor *out = NULL;
  s = ts_scope_begin();
  ts_tensor *big = ts_full(TS_SHAPE(1 << 20), TS_FLOAT32, 1);
  pending = ts_dist_reduce_scatter_async(big, TS_DIST_SUM, &out);
  CHECK(pending != NULL && out != NULL);
  ts_scope_end(s);
  CHECK(ts_last_status() == TS_OK); /* the wait at scope end succeeded */
  CHECK(ts_dist_wait(pending) == TS_ERR_STALE_HANDLE);
  CHECK(strstr(ts_last_error(), "scope"));
  CHECK(ts_memory().live_tensors == live0);

  /* escape: work made in an inner scope, waited for in the outer one */
  ts_scope_id outer = ts_scope_begin();
  ts_tensor *c = ts_full(TS_SHAPE(4), TS_FLOAT32, 1);
  ts_dist_work *esc;
  {
    ts_scope_id inner = ts_scope_begin();
    esc = ts_dist_work_escape(ts_dist_all_reduce_async(c, TS_DIST_SUM));
    ts_scope_end(inner);
  }
  CHECK(ts_dist_wait(esc) == TS_OK);
  CHECK(all_eq(c, W, 0));
  ts_scope_end(outer);

  /* manual work (outside any scope): the caller's to wait for */
  ts_tensor *m = ts_full(TS_SHAPE(4), TS_FLOAT32, 2);
  ts_dist_work *mw = ts_dist_broadcast_async(m, 0);
  CHECK(ts_memory().live_tensors == live0 + 2);
  CHECK(ts_dist_wait(mw) == TS_OK);
  CHECK(ts_memory().live_tensors == live0 + 1);
  ts_free(m);
  CHECK(ts_memory().live_tensors == live0);
}

static void dp_helpers(void) {
  ts_scope_id s = ts_scope_begin();
  ts_manual_seed(100 + (uint64_t)rank); /* different on every rank */
  ts_tensor *p[3] = {ts_randn(TS_SHAPE(5, 4), TS_FLOAT32),
                     ts_randn(TS_SHAPE(4), TS_FLOAT32),
                     ts_randn(TS_SHAPE(300, 301), TS_FLOAT32)};
  for (int i = 0; i < 3; i++)
    ts_requires_grad(p[i], true);
  CHECK(ts_dist_broadcast_params(p, 3, 0) == TS_OK);
  /* all equal now: the gathered max equals the min */
  for (int i = 0; i < 3; i++) {
    ts_tensor *mx = ts_clone(p[i]), *mn = ts_neg(p[i]);
    ts_dist_all_reduce(mx, TS_DIST_MAX);
    ts_dist_all_reduce(mn, TS_DIST_MAX);
    CHECK(ts_item(ts_sum(ts_add(mx, mn))) == 0);
  }
  /* gradients: rank r's loss = (r+1) * sum(p) gives grad r+1; the mean is
   * (W+1)/2. p[1] gets no gradient on rank 0: it counts as zero there. Small
   * buckets (1 KB) make several. */
  ts_tensor *loss = ts_mul_scalar(ts_add(ts_sum(p[0]), ts_sum(p[2])), rank + 1);
  if (rank != 0)
    loss = ts_add(loss, ts_mul_scalar(ts_sum(p[1]), rank + 1));
  CHECK(ts_backward(loss) == TS_OK);
  CHECK(ts_dist_average_gradients(p, 3, 1024) == TS_OK);
  double W = world;
  CHECK(all_eq(ts_grad(p[0]), (W + 1) / 2, 1e-5));
  CHECK(all_eq(ts_grad(p[2]), (W + 1) / 2, 1e-5));
  CHECK(all_eq(ts_grad(p[1]), (W * (W + 1) / 2 - 1) / W, 1e-5));
  /* mismatched parameter lists are refused on every rank */
  if (world > 1)
    CHECK(ts_dist_average_gradients(p, rank % 2 ? 2 : 3, 0) == TS_ERR_SHAPE);
  ts_scope_end(s);
}

/* ------------------------------------------------------------ training */

enum { N_IN = 8, N_OUT = 3, PER_RANK = 16, BATCH = 4, EPOCHS = 3 };

/* The rows idx[0..n) of data (rows of `cols` floats) as a [n, cols] tensor. */
static ts_tensor *rows(const float *data, int cols, const int64_t *idx,
                       int64_t n) {
  float *b = malloc((size_t)(n * cols) * sizeof *b);
  for (int64_t i = 0; i < n; i++)
    memcpy(b + i * cols, data + idx[i] * cols, (size_t)cols * sizeof *b);
  ts_tensor *t = ts_from_buffer(b, TS_SHAPE(n, cols), TS_FLOAT32);
  free(b);
  return t;
}

static ts_tensor *loss_of(ts_tensor *w, ts_tensor *bias, ts_tensor *x,
                          ts_tensor *y) {
  ts_tensor *pred = ts_add(ts_matmul(x, ts_transpose(w, 0, 1)), bias);
  return ts_mse_loss(pred, y);
}

static void train(void) {
  int64_t n = (int64_t)PER_RANK * world;
  /* The same data set on every rank. */
  ts_manual_seed(7);
  ts_scope_id s = ts_scope_begin();
  ts_tensor *X = ts_randn(TS_SHAPE(n, N_IN), TS_FLOAT32);
  ts_tensor *Y = ts_randn(TS_SHAPE(n, N_OUT), TS_FLOAT32);
  float *xs = malloc((size_t)(n * N_IN) * sizeof *xs);
  float *ys = malloc((size_t)(n * N_OUT) * sizeof *ys);
  ts_copy_to_buffer(X, xs, ts_nbytes(X));
  ts_copy_to_buffer(Y, ys, ts_nbytes(Y));

  /* The model: different random parameters per rank until broadcast. */
  ts_manual_seed(1000 + (uint64_t)rank);
  ts_tensor *p[2] = {ts_randn(TS_SHAPE(N_OUT, N_IN), TS_FLOAT32),
                     ts_randn(TS_SHAPE(N_OUT), TS_FLOAT32)};
  CHECK(ts_dist_broadcast_params(p, 2, 0) == TS_OK);
  /* The reference: one process, the combined batch, same start. */
  ts_tensor *q[2] = {ts_clone(p[0]), ts_clone(p[1])};
  for (int i = 0; i < 2; i++) {
    ts_requires_grad(p[i], true);
    ts_requires_grad(q[i], true);
  }
  double lr = 0.1;
  for (int epoch = 0; epoch < EPOCHS; epoch++) {
    ts_scope_id e = ts_scope_begin();
    int64_t *all = malloc((size_t)n * sizeof *all);
    for (int r = 0; r < world; r++) {
      ts_tensor *ix =
          ts_dist_sampler(n, r, world, true, 42, (uint64_t)epoch, false);
      CHECK(ix && ts_numel(ix) == PER_RANK);
      ts_copy_to_buffer(ix, all + r * PER_RANK, PER_RANK * sizeof *all);
    }
    ts_tensor *mine =
        ts_dist_sampler(n, -1, 0, true, 42, (uint64_t)epoch, false);
    int64_t my[PER_RANK];
    ts_copy_to_buffer(mine, my, sizeof my);
    CHECK(memcmp(my, all + rank * PER_RANK, sizeof my) == 0);
    for (int step = 0; step < PER_RANK / BATCH; step++) {
      ts_scope_id st = ts_scope_begin();
      /* data-parallel: this rank's slice of the step */
      ts_tensor *x = rows(xs, N_IN, my + step * BATCH, BATCH);
      ts_tensor *y = rows(ys, N_OUT, my + step * BATCH, BATCH);
      CHECK(ts_backward(loss_of(p[0], p[1], x, y)) == TS_OK);
      CHECK(ts_dist_average_gradients(p, 2, 0) == TS_OK);
      /* reference: every rank's slice of the step at once */
      int64_t comb[BATCH * 64];
      for (int r = 0; r < world; r++)
        memcpy(comb + r * BATCH, all + r * PER_RANK + step * BATCH,
               BATCH * sizeof *comb);
      ts_tensor *cx = rows(xs, N_IN, comb, (int64_t)BATCH * world);
      ts_tensor *cy = rows(ys, N_OUT, comb, (int64_t)BATCH * world);
      CHECK(ts_backward(loss_of(q[0], q[1], cx, cy)) == TS_OK);
      for (int i = 0; i < 2; i++) {
        ts_sgd_step(p[i], lr);
        ts_sgd_step(q[i], lr);
        ts_zero_grad(p[i]);
        ts_zero_grad(q[i]);
      }
      ts_scope_end(st);
    }
    free(all);
    ts_scope_end(e);
  }
  for (int i = 0; i < 2; i++) {
    /* equal to the one-process run */
    ts_tensor *d = ts_sub(p[i], q[i]);
    double maxdiff = ts_item(ts_sum(ts_mul(d, d)));
    CHECK(maxdiff < 1e-10);
    /* bitwise equal on every rank: gather and compare with rank 0's row */
    ts_tensor *g = ts_dist_all_gather(p[i]);
    int64_t k = ts_numel(p[i]);
    float *b = malloc((size_t)(k * world) * sizeof *b);
    ts_copy_to_buffer(g, b, ts_nbytes(g));
    for (int r = 1; r < world; r++)
      CHECK(memcmp(b, b + r * k, (size_t)k * sizeof *b) == 0);
    free(b);
  }
  if (rank == 0)
    printf("train: %d ranks, %d epochs: parameters equal on every rank and "
           "to one process on the combined batch\n",
           world, EPOCHS);
  free(xs);
  free(ys);
  ts_scope_end(s);
}

/* -------------------------------------------------------------- interop */

/* Mirrors tests/dist/interop.py, call for call. */
static void interop(void) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *t = ts_full(TS_SHAPE(4), TS_FLOAT32, rank + 1);
  CHECK(ts_dist_all_reduce(t, TS_DIST_SUM) == TS_OK);
  CHECK(all_eq(t, world * (world + 1) / 2.0, 0));
  t = ts_full(TS_SHAPE(2, 2), TS_FLOAT32, 10 * rank);
  CHECK(ts_dist_broadcast(t, world - 1) == TS_OK);
  CHECK(all_eq(t, 10 * (world - 1), 0));
  t = ts_full(TS_SHAPE(3), TS_FLOAT32, rank);
  ts_tensor *g = ts_dist_all_gather(t);
  for (int k = 0; g && k < world; k++)
    CHECK(at(g, 3 * k) == (float)k);
  t = ts_arange(0, 1 << 20, 1, TS_FLOAT32);
  ts_dist_work *w = ts_dist_all_reduce_async(t, TS_DIST_MAX);
  CHECK(ts_dist_wait(w) == TS_OK);
  CHECK(at(t, 12345) == 12345.0f);
  CHECK(ts_dist_barrier() == TS_OK);
  ts_scope_end(s);
  printf("rank %d (C): interop with Python passed\n", rank);
}

/* ---------------------------------------------------------------- faults */

static double timeout_s(void) {
  const char *t = getenv("TSMEM_DIST_TIMEOUT");
  return t ? atof(t) : 60;
}

/* Rank `who` leaves (exits without a word, or stalls) after init; every
 * other rank's next collective must fail within the timeout. */
static int fault_peer(int who, bool stall) {
  /* every rank is through init (the store, the connections) before one
   * leaves */
  CHECK(ts_dist_barrier() == TS_OK);
  if (rank == who) {
    if (stall) {
      sleep((unsigned)(timeout_s() + 3)); /* never reaches it in time */
      return 0;
    }
    _exit(0); /* a crash: no destroy, no goodbye */
  }
  ts_scope_id s = ts_scope_begin();
  ts_tensor *t = ts_ones(TS_SHAPE(1 << 16), TS_FLOAT32);
  double t0 = now();
  ts_status st = ts_dist_all_reduce(t, TS_DIST_SUM);
  double dt = now() - t0;
  fprintf(stderr, "rank %d: after %.2f s: %s\n", rank, dt, ts_last_error());
  CHECK(st == TS_ERR_TORCH);
  CHECK(strstr(ts_last_error(), "ts_dist_all_reduce") != NULL);
  CHECK(dt < timeout_s() * 1.5 + 1);
  /* the failure stays reported; the group can still be left */
  ts_scope_end(s);
  return 0;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  setvbuf(stderr, NULL, _IONBF, 0);
  /* A rank outlives no launcher: whatever happens, it ends within 2 min
   * (torchrun's workers are not under launch.sh's `timeout`). */
  alarm(120);
  if (!strcmp(mode, "port"))
    return free_port();
  if (!strcmp(mode, "sampler")) {
    /* stdin: lines "N WORLD SEED EPOCH SHUFFLE DROP_LAST"; stdout: for each,
     * WORLD lines of indices, one per rank */
    long long n, seed, epoch;
    int w, shuffle, drop;
    while (scanf("%lld %d %lld %lld %d %d", &n, &w, &seed, &epoch, &shuffle,
                 &drop) == 6) {
      for (int r = 0; r < w; r++) {
        ts_tensor *ix = ts_dist_sampler(n, r, w, shuffle, (uint64_t)seed,
                                        (uint64_t)epoch, drop);
        if (!ix) {
          fprintf(stderr, "%s\n", ts_last_error());
          return 1;
        }
        int64_t k = ts_numel(ix), *b = malloc((size_t)(k + 1) * sizeof *b);
        ts_copy_to_buffer(ix, b, (size_t)k * sizeof *b);
        printf("[");
        for (int64_t i = 0; i < k; i++)
          printf("%s%lld", i ? ", " : "", (long long)b[i]);
        printf("]\n");
        free(b);
        ts_free(ix);
      }
    }
    return ts_memory().live_tensors != 0;
  }

  double t0 = now();
  ts_status st = ts_dist_init_env();
  if (!strcmp(mode, "fault_absent")) {
    double dt = now() - t0;
    rank = atoi(getenv("RANK") ? getenv("RANK") : "-1");
    fprintf(stderr, "rank %d: after %.2f s: %s\n", rank, dt, ts_last_error());
    CHECK(st == TS_ERR_TORCH);
    CHECK(strstr(ts_last_error(), "ts_dist_init") != NULL);
    CHECK(dt < timeout_s() * 1.5 + 1);
    CHECK(!ts_dist_is_initialized());
    return finish();
  }
  if (st != TS_OK) {
    fprintf(stderr, "init failed: %s\n", ts_last_error());
    return 2;
  }
  rank = ts_dist_rank();
  world = ts_dist_world_size();
  CHECK(ts_dist_init_env() == TS_ERR_BUSY);
  CHECK(ts_dist_local_rank() >= 0);
  if (!strcmp(mode, "collectives") || !strcmp(mode, "all")) {
    collectives();
    async_work();
    dp_helpers();
    if (!strcmp(mode, "all"))
      train();
  } else if (!strcmp(mode, "train")) {
    train();
  } else if (!strcmp(mode, "interop")) {
    interop();
  } else if (!strcmp(mode, "fault_exit") && argc > 2) {
    fault_peer(atoi(argv[2]), false);
  } else if (!strcmp(mode, "fault_late") && argc > 2) {
    fault_peer(atoi(argv[2]), true);
  } else {
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
  }
  CHECK(ts_dist_destroy() == TS_OK);
  CHECK(!ts_dist_is_initialized());
  CHECK(ts_dist_rank() == -1 && ts_last_status() == TS_ERR_ARG);
  return finish();
}
