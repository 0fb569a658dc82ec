/*
 * optim_foreach.h - the optimizers' batched updates (torch/nn_support.cpp):
 * one call updates n parameters with libtorch's `_foreach_` ops, the same
 * operations, in the same order, as optim.c's single-tensor updates. On the
 * CPU every `_foreach_` op runs the per-tensor kernel for each tensor, so
 * the results are bit-identical; what the batch saves is the C API's cost
 * per op (a handle for the gradient and for each temporary, its scope
 * entry). The gradients are read from the parameters (a parameter passed
 * here has one); every array holds n live impls, pinned by the caller.
 * Each returns TS_OK, or the libtorch error reported under `call` (the
 * parameters may then be partly updated, as with the single-tensor path).
 */
#ifndef TSMEM_RUNTIME_NN_OPTIM_FOREACH_H
#define TSMEM_RUNTIME_NN_OPTIM_FOREACH_H

#include "torch/tensor_core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TSC_NN_INTERNAL __attribute__((visibility("hidden")))

/* True if the parameter has a gradient (its .grad is defined). */
bool tsc_has_grad(const tsc_tensor *param) TSC_NN_INTERNAL;

/* torch.optim.sgd, bufs the momentum buffers (NULL without momentum). */
ts_status tsc_foreach_sgd(const char *call, tsc_tensor *const *params,
                          tsc_tensor *const *bufs, size_t n, double lr,
                          double momentum, double dampening,
                          double weight_decay, bool nesterov) TSC_NN_INTERNAL;

/* torch.optim.adam (decoupled: adamw); max_exp_avg_sq NULL without amsgrad.
 * Per parameter: bias_correction2_sqrt and step_size (lr / bias
 * correction 1), from its own step count. */
ts_status tsc_foreach_adam(const char *call, tsc_tensor *const *params,
                           tsc_tensor *const *exp_avg,
                           tsc_tensor *const *exp_avg_sq,
                           tsc_tensor *const *max_exp_avg_sq, size_t n,
                           const double *bias_correction2_sqrt,
                           const double *step_size, double lr, double beta1,
                           double beta2, double eps, double weight_decay,
                           bool decoupled) TSC_NN_INTERNAL;

/* torch.optim.rmsprop; grad_avg NULL unless centered, bufs NULL without
 * momentum. */
ts_status tsc_foreach_rmsprop(const char *call, tsc_tensor *const *params,
                              tsc_tensor *const *square_avg,
                              tsc_tensor *const *grad_avg,
                              tsc_tensor *const *bufs, size_t n, double lr,
                              double alpha, double eps, double weight_decay,
                              double momentum) TSC_NN_INTERNAL;

#ifdef __cplusplus
}
#endif

#endif /* TSMEM_RUNTIME_NN_OPTIM_FOREACH_H */
