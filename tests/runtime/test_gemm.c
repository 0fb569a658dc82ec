/* test_gemm.c - the generated addmm, mm, matmul and linear run 2-D float32
 * products through oneDNN's sgemm (runtime/torch/gemm.cpp). Each case runs
 * twice, through oneDNN and through ATen (tsc_gemm_onednn flipped), from
 * the same data: results and gradients within float tolerance, for every
 * operand layout that maps onto a row-major matrix, odd shapes (1xN, Nx1,
 * K=1) and requires_grad on any argument. What oneDNN does not take (strided
 * and expanded views, float64, batched or 1-D operands, empty shapes,
 * alpha 0) goes to ATen: no oneDNN call and the same bits. Errors,
 * in-place changes of a saved tensor and a second backward are reported as
 * ATen reports them; TSMEM_GEMM=aten turns the path off; nothing leaks. */
#include "check.h"
#include "child.h"

#include <tsmem/ops.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* runtime/torch/gemm.hpp */
extern bool tsc_gemm_onednn;
extern __thread unsigned long tsc_gemm_calls;

enum { MAXE = 64 * 64 };
enum { ADDMM, ADDMM_2D, MM, MATMUL, LINEAR, LINEAR_NO_BIAS, NKINDS };
static const char *const kind_name[] = {"addmm",  "addmm 2-D beta 0.5 alpha 2",
                                        "mm",     "matmul",
                                        "linear", "linear without bias"};
enum { GRAD_A = 1, GRAD_B = 2, GRAD_BIAS = 4 };

static void fill(float *v, int n, uint64_t seed) {
  uint64_t s = seed * 2654435761u + 1;
  for (int i = 0; i < n; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    v[i] = (float)(s >> 40) / (float)(1u << 23) - 1.0f;
  }
}

/* Values of a tensor (at most MAXE), in row-major order. */
typedef struct {
  int n; /* -1: no tensor */
  float v[MAXE];
} values;

static void take(values *out, const ts_tensor *t) {
  out->n = -1;
  if (!t)
    return;
  out->n = (int)ts_numel(t);
  CHECK(out->n <= MAXE);
  CHECK_EQ(ts_copy_to_buffer(t, out->v, sizeof out->v), TS_OK);
}

/* Within float tolerance of the largest value, or (exact) bit for bit. */
static bool same(const values *x, const values *y, bool exact) {
  if (x->n != y->n)
    return false;
  float big = 1;
  for (int i = 0; i < y->n; i++)
    big = fmaxf(big, fabsf(y->v[i]));
  for (int i = 0; i < y->n; i++) {
    float d = fabsf(x->v[i] - y->v[i]);
    if (exact ? memcmp(&x->v[i], &y->v[i], sizeof(float)) != 0
              : !(d <= 2e-6f * big * 8))
      return false;
  }
  return true;
}

typedef struct {
  values y, ga, gb, gbias;
  unsigned long calls;
} outcome;

/* A stored rows x cols float32 tensor from seed; the operand is it, or its
 * transpose (ts_t) when transposed. */
static ts_tensor *leaf(int64_t rows, int64_t cols, uint64_t seed) {
  static float buf[MAXE];
  fill(buf, (int)(rows * cols), seed);
  return ts_from_buffer(buf, TS_SHAPE(rows, cols), TS_FLOAT32);
}

/* kind on an M x K operand a and a K x N operand b (for linear: the weight,
 * N x K), each stored as is or transposed; grads says which leaves require
 * grad. The loss is sum(y * r), r fixed, so the gradients are not flat. */
static void run(int kind, int M, int K, int N, bool ta, bool tb, int grads,
                bool onednn, outcome *o) {
  TS_SCOPE_GUARD();
  tsc_gemm_onednn = onednn;
  bool lin = kind == LINEAR || kind == LINEAR_NO_BIAS;
  int64_t br = lin ? N : K, bc = lin ? K : N; /* b's logical shape */
  ts_tensor *a0 = ta ? leaf(K, M, 1) : leaf(M, K, 1);
  ts_tensor *b0 = tb ? leaf(bc, br, 2) : leaf(br, bc, 2);
  ts_tensor *bias = kind == ADDMM_2D ? leaf(M, N, 3) : leaf(1, N, 3);
  if (kind != ADDMM_2D)
    bias = ts_reshape(bias, TS_SHAPE(N));
  ts_tensor *r = leaf(M, N, 4);
  if (grads & GRAD_A)
    CHECK_EQ(ts_requires_grad(a0, true), TS_OK);
  if (grads & GRAD_B)
    CHECK_EQ(ts_requires_grad(b0, true), TS_OK);
  if (grads & GRAD_BIAS)
    CHECK_EQ(ts_requires_grad(bias, true), TS_OK);
  ts_tensor *a = ta ? ts_t(a0) : a0, *b = tb ? ts_t(b0) : b0;
  unsigned long before = tsc_gemm_calls;
  ts_tensor *y = NULL;
  switch (kind) {
  case ADDMM:
    y = ts_addmm(bias, a, b, 1.0, 1.0);
    break;
  case ADDMM_2D:
    y = ts_addmm(bias, a, b, 0.5, 2.0);
    break;
  case MM:
    y = ts_mm(a, b);
    break;
  case MATMUL:
    y = ts_matmul(a, b);
    break;
  case LINEAR:
    y = ts_linear(a, b, bias);
    break;
  default:
    y = ts_linear(a, b, NULL);
    break;
  }
  CHECK(y != NULL);
  take(&o->y, y);
  bool uses_bias = kind == ADDMM || kind == ADDMM_2D || kind == LINEAR;
  int wanted = grads & (uses_bias ? 7 : GRAD_A | GRAD_B);
  if (y && wanted)
    CHECK_EQ(ts_backward(ts_sum(ts_mul(y, r))), TS_OK);
  o->calls = tsc_gemm_calls - before;
  take(&o->ga, (grads & GRAD_A) ? ts_grad(a0) : NULL);
  take(&o->gb, (grads & GRAD_B) ? ts_grad(b0) : NULL);
  take(&o->gbias, (wanted & GRAD_BIAS) ? ts_grad(bias) : NULL);
  tsc_gemm_onednn = true;
}

static outcome fast, slow;

static void compare(int kind, int M, int K, int N, bool ta, bool tb,
                    int grads) {
  run(kind, M, K, N, ta, tb, grads, true, &fast);
  run(kind, M, K, N, ta, tb, grads, false, &slow);
  bool ok = same(&fast.y, &slow.y, false) && same(&fast.ga, &slow.ga, false) &&
            same(&fast.gb, &slow.gb, false) &&
            same(&fast.gbias, &slow.gbias, false);
  /* Forward, and one product per operand whose leaf needs a gradient. */
  unsigned long want = 1 + ((grads & GRAD_A) != 0) + ((grads & GRAD_B) != 0);
  if (!ok || fast.calls != want || slow.calls != 0) {
    fprintf(stderr,
            "%s %dx%d @ %dx%d, a%s b%s, grads %d: values %s, oneDNN calls "
            "%lu (want %lu), ATen run %lu\n",
            kind_name[kind], M, K, K, N, ta ? "^T" : "", tb ? "^T" : "", grads,
            ok ? "agree" : "DIFFER", fast.calls, want, slow.calls);
    check_failures++;
  }
}

/* Every kind, shape, layout and requires_grad combination. */
TEST(products_and_gradients_match_aten) {
  static const int shapes[][3] = {{64, 32, 64}, {64, 64, 10}, {1, 5, 7},
                                  {6, 5, 1},    {4, 1, 3},    {1, 1, 1},
                                  {3, 7, 2},    {7, 1, 1}};
  static const int grads[] = {0, GRAD_A, GRAD_B, GRAD_BIAS, 7};
  for (int k = 0; k < NKINDS; k++)
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
      for (int lay = 0; lay < 4; lay++)
        for (size_t g = 0; g < sizeof grads / sizeof *grads; g++)
          compare(k, shapes[s][0], shapes[s][1], shapes[s][2], lay & 1, lay & 2,
                  grads[g]);
}

/* An operand oneDNN does not take: ATen's call, bit for bit, and no oneDNN
 * product (nor in the backward: the graph is ATen's). */
static void check_aten_only(ts_tensor *(*make)(bool grad), const char *what) {
  values v[2], g[2];
  unsigned long calls = 0;
  for (int i = 0; i < 2; i++) {
    TS_SCOPE_GUARD();
    tsc_gemm_onednn = i == 0;
    unsigned long before = tsc_gemm_calls;
    ts_tensor *y = make(true);
    CHECK(y != NULL);
    take(&v[i], y);
    g[i].n = -1;
    if (y) {
      ts_tensor *w = ts_from_buffer((float[]){1.5f}, TS_SHAPE(1), TS_FLOAT32);
      ts_tensor *yd = ts_to_dtype(y, TS_FLOAT32, false, false);
      CHECK_EQ(ts_backward(ts_sum(ts_mul(yd, w))), TS_OK);
      take(&g[i], make(false)); /* the leaf's gradient */
    }
    if (i == 0)
      calls = tsc_gemm_calls - before;
    tsc_gemm_onednn = true;
  }
  if (calls != 0 || !same(&v[0], &v[1], true) || !same(&g[0], &g[1], true)) {
    fprintf(stderr, "%s: %lu oneDNN calls; values %s\n", what, calls,
            same(&v[0], &v[1], true) ? "agree" : "DIFFER");
    check_failures++;
  }
}

/* Each fallback case keeps its leaf here between the product (grad = true)
 * and the gradient (grad = false). */
static ts_tensor *kept;

static ts_tensor *grad_of_kept(void) { return ts_grad(kept); }

static ts_tensor *strided_view(bool grad) {
  if (!grad)
    return grad_of_kept();
  kept = leaf(6, 10, 5); /* every other column: strides (10, 2) */
  CHECK_EQ(ts_requires_grad(kept, true), TS_OK);
  return ts_mm(ts_slice_Tensor(kept, 1, 0, 10, 2), leaf(5, 4, 6));
}

static ts_tensor *expanded(bool grad) {
  if (!grad)
    return grad_of_kept();
  kept = leaf(1, 4, 7); /* stride 0 along the rows */
  CHECK_EQ(ts_requires_grad(kept, true), TS_OK);
  return ts_matmul(leaf(3, 5, 8), ts_expand(kept, TS_SHAPE(5, 4), false));
}

static ts_tensor *float64(bool grad) {
  if (!grad)
    return grad_of_kept();
  kept = ts_to_dtype(leaf(3, 5, 9), TS_FLOAT64, false, false);
  CHECK_EQ(ts_requires_grad(kept, true), TS_OK);
  return ts_mm(kept, ts_to_dtype(leaf(5, 2, 10), TS_FLOAT64, false, false));
}

static ts_tensor *batched(bool grad) {
  if (!grad)
    return grad_of_kept();
  kept = leaf(6, 5, 11);
  CHECK_EQ(ts_requires_grad(kept, true), TS_OK);
  return ts_matmul(ts_reshape(kept, TS_SHAPE(2, 3, 5)), leaf(5, 4, 12));
}

static ts_tensor *vector(bool grad) {
  if (!grad)
    return grad_of_kept();
  kept = leaf(3, 5, 13);
  CHECK_EQ(ts_requires_grad(kept, true), TS_OK);
  return ts_matmul(kept, ts_reshape(leaf(1, 5, 14), TS_SHAPE(5)));
}

static ts_tensor *linear_3d(bool grad) {
  if (!grad)
    return grad_of_kept();
  kept = leaf(4, 5, 15); /* weight */
  CHECK_EQ(ts_requires_grad(kept, true), TS_OK);
  return ts_linear(ts_reshape(leaf(6, 5, 16), TS_SHAPE(2, 3, 5)), kept,
                   ts_reshape(leaf(1, 4, 17), TS_SHAPE(4)));
}

static ts_tensor *alpha_zero(bool grad) {
  if (!grad)
    return grad_of_kept();
  kept = leaf(1, 4, 18);
  CHECK_EQ(ts_requires_grad(kept, true), TS_OK);
  return ts_addmm(ts_reshape(kept, TS_SHAPE(4)), leaf(3, 5, 19), leaf(5, 4, 20),
                  1.0, 0.0);
}

TEST(other_operands_go_to_aten) {
  check_aten_only(strided_view, "strided view");
  check_aten_only(expanded, "expanded operand");
  check_aten_only(float64, "float64");
  check_aten_only(batched, "batched matmul");
  check_aten_only(vector, "matrix @ vector");
  check_aten_only(linear_3d, "linear of a 3-D input");
  check_aten_only(alpha_zero, "addmm with alpha 0");
}

/* Empty shapes, ATen's: [3, 0] @ [0, 4] is zeros, [0, 5] @ [5, 4] empty. */
TEST(empty_shapes) {
  TS_SCOPE_GUARD();
  unsigned long before = tsc_gemm_calls;
  ts_tensor *z = ts_mm(ts_zeros(TS_SHAPE(3, 0), TS_FLOAT32),
                       ts_zeros(TS_SHAPE(0, 4), TS_FLOAT32));
  CHECK(z && ts_numel(z) == 12 && ts_item(ts_sum(ts_abs(z))) == 0);
  ts_tensor *e = ts_mm(ts_zeros(TS_SHAPE(0, 5), TS_FLOAT32), leaf(5, 4, 1));
  CHECK(e && ts_size(e, 0) == 0 && ts_size(e, 1) == 4);
  CHECK_EQ(tsc_gemm_calls - before, 0);
}

/* beta 0: the bias is not read (NaN stays out), as in ATen. */
TEST(beta_zero_ignores_self) {
  TS_SCOPE_GUARD();
  float nan4[4] = {NAN, NAN, NAN, NAN};
  ts_tensor *self = ts_from_buffer(nan4, TS_SHAPE(4), TS_FLOAT32);
  unsigned long before = tsc_gemm_calls;
  ts_tensor *y = ts_addmm(self, leaf(3, 5, 1), leaf(5, 4, 2), 0.0, 1.0);
  CHECK_EQ(tsc_gemm_calls - before, 1);
  CHECK(y && !isnan(ts_item(ts_sum(y))));
}

/* Mismatched shapes: ATen's error, the same status and message both ways. */
TEST(errors_are_atens) {
  char msg[2][512];
  ts_status st[2];
  for (int i = 0; i < 2; i++) {
    TS_SCOPE_GUARD();
    tsc_gemm_onednn = i == 0;
    ts_tensor *a = leaf(3, 5, 1), *b = leaf(4, 2, 2);
    CHECK(ts_mm(a, b) == NULL);
    st[i] = ts_last_status();
    snprintf(msg[i], sizeof msg[i], "%s", ts_last_error());
    CHECK(strstr(msg[i], "ts_mm") != NULL);
    CHECK(ts_addmm(ts_reshape(leaf(1, 3, 3), TS_SHAPE(3)), a, leaf(5, 4, 4),
                   1.0, 1.0) == NULL);
    CHECK(strstr(ts_last_error(), "ts_addmm") != NULL);
    tsc_gemm_onednn = true;
  }
  CHECK_EQ(st[0], st[1]);
  CHECK(strcmp(msg[0], msg[1]) == 0);
}

/* A tensor the backward needs, changed in place after the product: the
 * version counter catches it; a second backward finds the saved tensors
 * released. Both as ATen reports them. */
TEST(saved_tensors_are_checked_and_released) {
  for (int i = 0; i < 2; i++) {
    TS_SCOPE_GUARD();
    tsc_gemm_onednn = i == 0;
    ts_tensor *a = leaf(3, 5, 1), *b = leaf(5, 4, 2);
    CHECK_EQ(ts_requires_grad(a, true), TS_OK);
    ts_tensor *loss = ts_sum(ts_mm(a, b)); /* saves b */
    CHECK(ts_zero_(b) == b);
    CHECK(ts_backward(loss) != TS_OK);
    CHECK(strstr(ts_last_error(), "modified by an inplace operation") != NULL);

    ts_tensor *loss2 = ts_sum(ts_mm(a, leaf(5, 4, 3)));
    CHECK_EQ(ts_backward(loss2), TS_OK);
    CHECK(ts_backward(loss2) != TS_OK);
    CHECK(strstr(ts_last_error(), "second time") != NULL);
    ts_clear_error();
    tsc_gemm_onednn = true;
  }
}

/* Several steps of the benchmark's MLP with ts_backward_sgd: the same
 * parameters through oneDNN as through ATen, within float tolerance. */
TEST(mlp_steps_match_aten) {
  values p[2][4];
  for (int i = 0; i < 2; i++) {
    tsc_gemm_onednn = i == 0;
    ts_tensor *w[4] = {leaf(32, 64, 21), leaf(1, 64, 22), leaf(64, 10, 23),
                       leaf(1, 10, 24)};
    for (int j = 0; j < 4; j++) {
      ts_tensor *s = ts_mul_scalar(w[j], 0.1);
      ts_free(w[j]);
      w[j] = s;
      CHECK_EQ(ts_requires_grad(w[j], true), TS_OK);
    }
    for (int step = 0; step < 5; step++) {
      TS_SCOPE_GUARD();
      ts_tensor *x = leaf(64, 32, 25 + step);
      int64_t ys[64];
      for (int k = 0; k < 64; k++)
        ys[k] = (k * 7 + step) % 10;
      ts_tensor *y = ts_from_buffer(ys, TS_SHAPE(64), TS_INT64);
      ts_tensor *h =
          ts_relu_(ts_addmm(ts_reshape(w[1], TS_SHAPE(64)), x, w[0], 1.0, 1.0));
      ts_tensor *logits =
          ts_addmm(ts_reshape(w[3], TS_SHAPE(10)), h, w[2], 1.0, 1.0);
      CHECK_EQ(ts_backward_sgd(ts_cross_entropy(logits, y), w, 4, 0.1), TS_OK);
    }
    for (int j = 0; j < 4; j++) {
      take(&p[i][j], w[j]);
      ts_free(w[j]);
    }
    tsc_gemm_onednn = true;
  }
  for (int j = 0; j < 4; j++)
    CHECK(same(&p[0][j], &p[1][j], false));
}

/* In a child: TSMEM_GEMM=aten at load, or a training step and exit with
 * TSMEM_LEAK_REPORT=1. */
static void child(void) {
  const char *mode = child_mode();
  if (!mode)
    return;
  if (!strcmp(mode, "aten")) {
    ts_tensor *y = ts_mm(leaf(3, 5, 1), leaf(5, 4, 2));
    fprintf(stderr, "onednn=%d calls=%lu made=%d\n", (int)tsc_gemm_onednn,
            tsc_gemm_calls, y != NULL);
    ts_free(y);
  } else if (!strcmp(mode, "step")) {
    ts_scope_id s = ts_scope_begin();
    ts_tensor *w = leaf(5, 4, 2);
    ts_requires_grad(w, true);
    ts_backward(ts_sum(ts_relu(ts_mm(leaf(3, 5, 1), w))));
    ts_tensor *g = ts_grad(w);
    ts_scope_end(s);
    fprintf(stderr, "calls=%lu grad=%d\n", tsc_gemm_calls, g != NULL);
  }
  exit(0);
}

TEST(switch_and_leaks) {
  child();
  CHECK(tsc_gemm_onednn); /* libtorch loaded libdnnl: on by default */
  const char *aten[] = {"TSMEM_GEMM=aten", NULL};
  child_result r = child_run("aten", aten);
  CHECK_EQ(r.exit_code, 0);
  CHECK(strstr(r.err, "onednn=0 calls=0 made=1") != NULL);
  const char *leak[] = {"TSMEM_LEAK_REPORT=1", NULL};
  r = child_run("step", leak);
  CHECK_EQ(r.exit_code, 0);
  CHECK(strstr(r.err, "calls=2 grad=1") != NULL);
  CHECK(strstr(r.err, "leak report") == NULL);
  if (!strstr(r.err, "calls=2 grad=1"))
    fprintf(stderr, "child stderr:\n%s\n", r.err);
}

RUN_TESTS(T(switch_and_leaks), T(products_and_gradients_match_aten),
          T(other_operands_go_to_aten), T(empty_shapes),
          T(beta_zero_ignores_self), T(errors_are_atens),
          T(saved_tensors_are_checked_and_released), T(mlp_steps_match_aten))
