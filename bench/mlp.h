/*
 * mlp.h - the benchmark model: one MLP training step (input 64x32, hidden
 * 64, 10 classes, relu, cross-entropy, SGD lr 0.1), its data, and the C entry
 * points of the libtorch C++ version (mlp_aten.cpp).
 */
#ifndef TSMEM_BENCH_MLP_H
#define TSMEM_BENCH_MLP_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { MLP_BATCH = 64, MLP_IN = 32, MLP_HIDDEN = 64, MLP_CLASSES = 10 };
#define MLP_LR 0.1

/* The same inputs and initial weights for every version of the step. */
typedef struct mlp_data {
  float x[MLP_BATCH * MLP_IN];
  int64_t y[MLP_BATCH];
  float w1[MLP_IN * MLP_HIDDEN], b1[MLP_HIDDEN];
  float w2[MLP_HIDDEN * MLP_CLASSES], b2[MLP_CLASSES];
} mlp_data;

typedef struct aten_mlp aten_mlp;
aten_mlp *aten_mlp_new(const mlp_data *d);
void aten_mlp_step(aten_mlp *m);
double aten_mlp_loss(aten_mlp *m);
void aten_mlp_free(aten_mlp *m);
/* iters x at::add of two 4-element tensors, the result dropped. */
void aten_add_loop(int iters);
/* Issue 18's tiny ops on 4x4 float32 (benchmark 0b): iters x at::add,
 * at::zeros, at::relu, each result dropped (freed at once); the _scope
 * variants keep the results alive until the end of each group of 8, as a
 * scope around 8 calls does. */
void aten_add44_loop(int iters);
void aten_zeros44_loop(int iters);
void aten_relu44_loop(int iters);
void aten_add44_scope_loop(int iters);
/* on: libtorch's own CPU allocator from here on (c10's default, as a C++
 * program has it); off: back to the one installed before (tsmem's caching
 * allocator, unless TSMEM_CACHING_ALLOCATOR=0). */
void aten_default_allocator(int on);

#ifdef __cplusplus
}
#endif

#endif /* TSMEM_BENCH_MLP_H */
