/*
 * tsmem/nn.h - training in C: a named parameter store, PyTorch's default
 * initialisers, layers and optimizers (issue 12).
 *
 * The store is what tch calls a VarStore and PyTorch a state_dict: named
 * tensors ("conv1.weight", "bn1.running_mean") that outlive every scope.
 * Layers are small structs whose init functions register their parameters
 * in a store under PyTorch's names, with PyTorch's initialisers; their
 * forward functions are built on the generated operators (<tsmem/ops.h>) and
 * return new tensors owned as SPEC section 2 says (the current scope, else
 * the caller). Activations and losses are the generated operators
 * (ts_relu, ts_cross_entropy_loss, ...).
 *
 * Ownership: every tensor a store returns (parameters, buffers, the layers'
 * weights) is borrowed: manual-owned by the store, never by a scope, even
 * when made inside one; ts_store_free frees them. They are real tsmem
 * tensors, so ts_memory() and the leak report count them. Do not ts_free
 * them yourself.
 *
 * Errors are tsmem's: calls that make something return NULL, the others a
 * ts_status, and ts_last_error() names the call, the cause and the fix. A
 * failed call leaves the store as it was. A store pointer that was freed, or
 * never came from ts_store_new, is detected (TS_ERR_STALE_HANDLE) and never
 * dereferenced. A store is not thread-safe: one thread at a time.
 */
#ifndef TSMEM_NN_H
#define TSMEM_NN_H

#include <tsmem.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)
#if defined(__clang__)
#pragma clang attribute push(__attribute__((annotate("tsmem.runtime"))),       \
                             apply_to = function)
#endif

/* ---------------------------------------------------------------- store -- */

/* Opaque; not a tensor, never owned by a scope. */
typedef struct ts_store ts_store;

/* A new, empty store in training mode. NULL + ts_last_error on OOM. */
ts_store *ts_store_new(void);
/* Frees every parameter, buffer and optimizer (with its state) the store
 * owns; NULL is ignored. Tensors of the store that were already freed by
 * hand are skipped. Afterwards every pointer into the store (its tensors,
 * its optimizers, layers built on it) is dead. */
void ts_store_free(ts_store *s);
/* A trainable parameter (requires_grad), zero-initialised, owned by the
 * store. name is the PyTorch state_dict key ("conv1.weight"); a floating
 * dtype. Duplicate or empty name: NULL, TS_ERR_ARG, store unchanged. */
ts_tensor *ts_store_param(ts_store *s, const char *name, const int64_t *shape,
                          int ndim, ts_dtype dtype);
/* A buffer: no gradient, saved in the state_dict ("bn1.running_mean",
 * "bn1.num_batches_tracked" as int64), zero-initialised. */
ts_tensor *ts_store_buffer(ts_store *s, const char *name, const int64_t *shape,
                           int ndim, ts_dtype dtype);
/* Parameters + buffers, in insertion order = state_dict order. */
size_t ts_store_count(const ts_store *s);
const char *ts_store_name(const ts_store *s, size_t i); /* NULL: out of range */
ts_tensor *ts_store_at(const ts_store *s, size_t i);    /* borrowed; NULL */
bool ts_store_is_param(const ts_store *s, size_t i);    /* false: buffer */
/* Borrowed; NULL (and no error set) if there is no such name. */
ts_tensor *ts_store_find(const ts_store *s, const char *name);

/* Parameters only, in insertion order: i in [0, ts_store_param_count). */
size_t ts_store_param_count(const ts_store *s);
ts_tensor *ts_store_param_at(const ts_store *s, size_t i); /* borrowed */
const char *ts_store_param_name(const ts_store *s, size_t i);
/* Elements of all parameters (trainable or frozen). */
int64_t ts_store_param_numel(const ts_store *s);

/* Zeroes every parameter's gradient in place (torch 1.13's
 * optimizer.zero_grad()); parameters without one are left alone. */
ts_status ts_store_zero_grad(ts_store *s);
/* Drops every parameter's gradient (ts_clear_grad; torch's
 * optimizer.zero_grad(set_to_none=True), PyTorch 2's default): the next
 * backward stores its gradients without a zero-fill and an add. An
 * optimizer step then skips a parameter that got no new gradient, where
 * after ts_store_zero_grad it would apply its zero gradient (momentum and
 * weight decay still moving it), as in torch. */
ts_status ts_store_clear_grad(ts_store *s);

/* Training mode (the default) or evaluation mode, for the layers built on
 * the store: dropout is the identity and batch norm uses its running
 * statistics in evaluation mode. Like module.train() / module.eval(). */
ts_status ts_store_train(ts_store *s, bool training);
bool ts_store_is_training(const ts_store *s); /* false on error */

/* Freezes (requires_grad off) or unfreezes every parameter whose name is
 * prefix or starts with prefix + "." ("conv1" matches "conv1.weight", not
 * "conv10.weight"; "" matches all). No parameter matches: TS_ERR_ARG and
 * nothing changes. A frozen parameter gets no gradient, so optimizers skip
 * it. *count (may be NULL) gets the number of parameters changed. */
ts_status ts_store_set_requires_grad(ts_store *s, const char *prefix,
                                     bool requires_grad, size_t *count);

/* Gradient mode of this thread (torch.no_grad / torch.set_grad_enabled):
 * with it off, operations record no graph (evaluation loops, in-place
 * updates of parameters). Returns the previous mode. To overwrite a
 * parameter's values (a checkpoint, weights from elsewhere), copy with it
 * off, as libtorch refuses in-place changes of a leaf that requires grad:
 *   bool was = ts_set_grad_enabled(false);
 *   ts_copy_(param, src, false);
 *   ts_set_grad_enabled(was); */
bool ts_set_grad_enabled(bool enabled);
bool ts_is_grad_enabled(void);

/* -------------------------------------------------------- initialisers -- */

/* torch.nn.init's initialisers: in place, with gradient mode off, on
 * libtorch's default generator (ts_manual_seed), with torch's formulas, so
 * that the same seed and the same calls give the same values as PyTorch.
 * t must be a live floating tensor (TS_ERR_DTYPE otherwise). */
ts_status ts_init_uniform_(ts_tensor *t, double a, double b); /* U(a, b) */
ts_status ts_init_normal_(ts_tensor *t, double mean, double std);
ts_status ts_init_constant_(ts_tensor *t, double value);
ts_status ts_init_zeros_(ts_tensor *t);
ts_status ts_init_ones_(ts_tensor *t);
/* fan_in = size(1) * receptive field, fan_out = size(0) * receptive field
 * (torch.nn.init._calculate_fan_in_and_fan_out); t needs >= 2 dims. Either
 * pointer may be NULL. */
ts_status ts_init_fans(const ts_tensor *t, int64_t *fan_in, int64_t *fan_out);
/* torch.nn.init.calculate_gain: "linear", "conv1d".."conv_transpose3d",
 * "sigmoid" (1), "tanh" (5/3), "relu" (sqrt 2), "selu" (3/4), "leaky_relu"
 * (sqrt(2 / (1 + param^2)), param NAN meaning torch's default 0.01). NAN and
 * TS_ERR_ARG for any other name. */
double ts_init_calculate_gain(const char *nonlinearity, double param);
/* kaiming_uniform_(t, a, mode, nonlinearity): U(-b, b) with
 * b = gain * sqrt(3 / fan), mode "fan_in" or "fan_out". torch.nn's default
 * for Linear and Conv weights is ts_init_kaiming_uniform_(w, sqrt(5),
 * "fan_in", "leaky_relu"), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
ts_status ts_init_kaiming_uniform_(ts_tensor *t, double a, const char *mode,
                                   const char *nonlinearity);
ts_status ts_init_kaiming_normal_(ts_tensor *t, double a, const char *mode,
                                  const char *nonlinearity);
ts_status ts_init_xavier_uniform_(ts_tensor *t, double gain);
ts_status ts_init_xavier_normal_(ts_tensor *t, double gain);
/* torch.nn's default bias of Linear and Conv: U(-1/sqrt(fan_in),
 * 1/sqrt(fan_in)) with fan_in the weight's (0 bound for fan_in 0). */
ts_status ts_init_bias_uniform_(ts_tensor *bias, const ts_tensor *weight);

/* ------------------------------------------------------------- layers -- */

/* Every layer is a small struct filled by its init function and read by its
 * forward function. init registers the layer's parameters and buffers in
 * the store under prefix + "." + PyTorch's names ("fc1" gives "fc1.weight",
 * "fc1.bias"; an empty prefix gives "weight", "bias") and initialises them
 * as torch.nn does (same seed, same values). A failed init (bad sizes, a
 * name already taken) leaves the store and the struct unchanged. The struct
 * borrows the store's tensors: it needs no freeing, and it is dead once the
 * store is freed (a forward then gives TS_ERR_STALE_HANDLE).
 *
 * forward returns a new tensor owned as SPEC section 2 says (the current
 * scope, else the caller), or NULL with the error set: an uninitialised or
 * dead layer, an input of the wrong shape or dtype (TS_ERR_SHAPE /
 * TS_ERR_DTYPE, naming the expected and the given shape). Layers that
 * behave differently in training (dropout, batch norm) read their store's
 * mode (ts_store_train). */

/* nn.Linear: y = x W^T + b; weight [out, in], bias [out]. x [..., in]. */
typedef struct ts_nn_linear {
  ts_tensor *weight, *bias; /* bias NULL without one */
  int64_t in_features, out_features;
} ts_nn_linear;
ts_status ts_nn_linear_init(ts_nn_linear *l, ts_store *s, const char *prefix,
                            int64_t in_features, int64_t out_features,
                            bool bias);
TS_OWNED ts_tensor *ts_nn_linear_forward(const ts_nn_linear *l,
                                         const ts_tensor *x);

/* nn.Conv2d (zero padding): weight [out, in / groups, kh, kw], bias [out].
 * x [N, C, H, W] or [C, H, W]. */
typedef struct ts_conv2d_options {
  int64_t stride[2], padding[2], dilation[2], groups;
  bool bias;
} ts_conv2d_options;
/* stride 1, padding 0, dilation 1, groups 1, bias true */
ts_conv2d_options ts_conv2d_defaults(void);
typedef struct ts_nn_conv2d {
  ts_tensor *weight, *bias;
  int64_t in_channels, out_channels, kernel[2];
  ts_conv2d_options opt;
} ts_nn_conv2d;
/* opt NULL: ts_conv2d_defaults(). */
ts_status ts_nn_conv2d_init(ts_nn_conv2d *c, ts_store *s, const char *prefix,
                            int64_t in_channels, int64_t out_channels,
                            int64_t kernel_h, int64_t kernel_w,
                            const ts_conv2d_options *opt);
TS_OWNED ts_tensor *ts_nn_conv2d_forward(const ts_nn_conv2d *c,
                                         const ts_tensor *x);

/* nn.MaxPool2d / nn.AvgPool2d: no parameters. stride 0 means the kernel
 * size (torch's default). x [N, C, H, W] or [C, H, W]. Fields other than
 * those init sets (dilation, ceil_mode, count_include_pad) may be changed
 * after init. */
typedef struct ts_nn_max_pool2d {
  int64_t kernel[2], stride[2], padding[2], dilation[2];
  bool ceil_mode;
} ts_nn_max_pool2d;
ts_status ts_nn_max_pool2d_init(ts_nn_max_pool2d *p, int64_t kernel,
                                int64_t stride, int64_t padding);
TS_OWNED ts_tensor *ts_nn_max_pool2d_forward(const ts_nn_max_pool2d *p,
                                             const ts_tensor *x);
typedef struct ts_nn_avg_pool2d {
  int64_t kernel[2], stride[2], padding[2];
  bool ceil_mode, count_include_pad; /* false, true as torch */
} ts_nn_avg_pool2d;
ts_status ts_nn_avg_pool2d_init(ts_nn_avg_pool2d *p, int64_t kernel,
                                int64_t stride, int64_t padding);
TS_OWNED ts_tensor *ts_nn_avg_pool2d_forward(const ts_nn_avg_pool2d *p,
                                             const ts_tensor *x);

/* nn.BatchNorm1d/2d/3d (affine, tracking running statistics): parameters
 * weight (ones), bias (zeros); buffers running_mean (zeros), running_var
 * (ones), num_batches_tracked (int64, 0-d). x [N, C, ...] with C =
 * num_features. Training mode: batch statistics, the running ones updated
 * with momentum (NAN: cumulative average, torch's momentum=None) and
 * num_batches_tracked += 1; evaluation mode: the running statistics. eps
 * and momentum may be changed after init. */
typedef struct ts_nn_batch_norm {
  ts_store *store;
  ts_tensor *weight, *bias, *running_mean, *running_var, *num_batches_tracked;
  int64_t num_features;
  double eps, momentum; /* 1e-5, 0.1 */
} ts_nn_batch_norm;
ts_status ts_nn_batch_norm_init(ts_nn_batch_norm *b, ts_store *s,
                                const char *prefix, int64_t num_features);
TS_OWNED ts_tensor *ts_nn_batch_norm_forward(const ts_nn_batch_norm *b,
                                             const ts_tensor *x);

/* nn.LayerNorm(normalized_shape, eps=1e-5, elementwise_affine): weight
 * (ones), bias (zeros) of normalized_shape; x [..., normalized_shape]. */
#define TS_NN_LAYER_NORM_MAX_DIMS 8
typedef struct ts_nn_layer_norm {
  ts_tensor *weight, *bias; /* NULL without elementwise_affine */
  int64_t shape[TS_NN_LAYER_NORM_MAX_DIMS];
  int ndim;
  double eps;
} ts_nn_layer_norm;
ts_status ts_nn_layer_norm_init(ts_nn_layer_norm *l, ts_store *s,
                                const char *prefix,
                                const int64_t *normalized_shape, int ndim,
                                bool elementwise_affine);
TS_OWNED ts_tensor *ts_nn_layer_norm_forward(const ts_nn_layer_norm *l,
                                             const ts_tensor *x);

/* nn.Dropout(p): in training mode zeroes each element with probability p
 * and scales the rest by 1 / (1 - p); in evaluation mode the identity (a
 * new handle to x's tensor). No parameters; the store gives the mode. */
typedef struct ts_nn_dropout {
  ts_store *store;
  double p;
} ts_nn_dropout;
ts_status ts_nn_dropout_init(ts_nn_dropout *d, ts_store *s, double p);
TS_OWNED ts_tensor *ts_nn_dropout_forward(const ts_nn_dropout *d,
                                          const ts_tensor *x);

/* nn.Embedding(num_embeddings, embedding_dim, padding_idx): weight
 * N(0, 1) [num, dim], the padding row zeroed (and given no gradient).
 * indices: int64 or int32 of any shape; the result [..., dim]. */
#define TS_NN_NO_PADDING INT64_MIN
typedef struct ts_nn_embedding {
  ts_tensor *weight;
  int64_t num_embeddings, embedding_dim;
  int64_t padding_idx; /* normalised to [0, num), or TS_NN_NO_PADDING */
} ts_nn_embedding;
/* padding_idx: TS_NN_NO_PADDING, or an index in [-num, num) (negative
 * counts from the end, as in torch). */
ts_status ts_nn_embedding_init(ts_nn_embedding *e, ts_store *s,
                               const char *prefix, int64_t num_embeddings,
                               int64_t embedding_dim, int64_t padding_idx);
TS_OWNED ts_tensor *ts_nn_embedding_forward(const ts_nn_embedding *e,
                                            const ts_tensor *indices);

/* nn.LSTM(input_size, hidden_size, num_layers, bias=True, batch_first),
 * unidirectional, no dropout between layers: per layer k the parameters
 * weight_ih_l<k> [4H, in], weight_hh_l<k> [4H, H], bias_ih_l<k> [4H],
 * bias_hh_l<k> [4H], all U(-1/sqrt(H), 1/sqrt(H)). */
#define TS_NN_LSTM_MAX_LAYERS 8
typedef struct ts_nn_lstm {
  ts_tensor *params[4 * TS_NN_LSTM_MAX_LAYERS]; /* torch's _flat_weights */
  int64_t input_size, hidden_size, num_layers;
  bool batch_first;
} ts_nn_lstm;
ts_status ts_nn_lstm_init(ts_nn_lstm *l, ts_store *s, const char *prefix,
                          int64_t input_size, int64_t hidden_size,
                          int64_t num_layers, bool batch_first);
/* x [T, N, in] ([N, T, in] with batch_first); h0, c0 [layers, N, H] or
 * both NULL (zeros). out[0] = output [T, N, H] ([N, T, H]), out[1] = h_n,
 * out[2] = c_n, each owned as a forward result; on error all NULL. */
ts_status ts_nn_lstm_forward(ts_tensor **out, const ts_nn_lstm *l,
                             const ts_tensor *x, const ts_tensor *h0,
                             const ts_tensor *c0);

/* nn.GRU(input_size, hidden_size, num_layers, bias=True, batch_first),
 * unidirectional, no dropout between layers: the same parameter names as the
 * LSTM's, with 3H rows (reset, update, new gates). */
typedef struct ts_nn_gru {
  ts_tensor *params[4 * TS_NN_LSTM_MAX_LAYERS]; /* torch's _flat_weights */
  int64_t input_size, hidden_size, num_layers;
  bool batch_first;
} ts_nn_gru;
ts_status ts_nn_gru_init(ts_nn_gru *g, ts_store *s, const char *prefix,
                         int64_t input_size, int64_t hidden_size,
                         int64_t num_layers, bool batch_first);
/* x as the LSTM's; h0 [layers, N, H] or NULL (zeros). out[0] = output,
 * out[1] = h_n. */
ts_status ts_nn_gru_forward(ts_tensor **out, const ts_nn_gru *g,
                            const ts_tensor *x, const ts_tensor *h0);

/* ----------------------------------------------------------- optimizers -- */

/* An optimizer over the parameters a store has when it is made (frozen ones
 * included: a parameter without a gradient is skipped at each step, as in
 * torch.optim). Its updates are torch 1.13's single-tensor ones, operation
 * for operation: after 100 steps from the same start the parameters equal
 * torch.optim's to float rounding (tests/nn/test_optim.c). A step runs with
 * gradient mode off and frees its temporaries. Its state (momentum buffers,
 * moments) is made at the first step a parameter has a gradient and is owned
 * by the optimizer: manual tensors, counted by ts_memory(), freed by
 * ts_optim_free, or by ts_store_free for optimizers still alive then. */
typedef struct ts_optim ts_optim;

/* Hyperparameters, named as torch.optim's. The *_defaults functions give
 * torch's defaults for a learning rate; change fields from there:
 *   ts_sgd_options o = ts_sgd_defaults(0.1); o.momentum = 0.9; */
typedef struct ts_sgd_options {
  double lr, momentum, dampening, weight_decay;
  bool nesterov; /* needs momentum > 0 and dampening 0 */
} ts_sgd_options;
typedef struct ts_adam_options {
  double lr, beta1, beta2, eps, weight_decay;
  bool amsgrad;
} ts_adam_options;
typedef struct ts_rmsprop_options {
  double lr, alpha, eps, weight_decay, momentum;
  bool centered;
} ts_rmsprop_options;

ts_sgd_options ts_sgd_defaults(double lr); /* all else 0 / false */
/* betas (0.9, 0.999), eps 1e-8, weight_decay 0, amsgrad false */
ts_adam_options ts_adam_defaults(double lr);
/* as Adam's, weight_decay 1e-2 (torch.optim.AdamW's default) */
ts_adam_options ts_adamw_defaults(double lr);
/* alpha 0.99, eps 1e-8, weight_decay 0, momentum 0, centered false */
ts_rmsprop_options ts_rmsprop_defaults(double lr);

/* NULL on error: a bad store, or a hyperparameter torch.optim rejects
 * (negative or not finite, betas outside [0, 1), Nesterov without momentum
 * or with dampening): TS_ERR_ARG. */
ts_optim *ts_optim_sgd(ts_store *s, ts_sgd_options o);
/* Adam: weight decay is L2 (added to the gradient). */
ts_optim *ts_optim_adam(ts_store *s, ts_adam_options o);
/* AdamW: decoupled weight decay (param *= 1 - lr * weight_decay). */
ts_optim *ts_optim_adamw(ts_store *s, ts_adam_options o);
ts_optim *ts_optim_rmsprop(ts_store *s, ts_rmsprop_options o);
/* One update of every parameter that has a gradient (optimizer.step()).
 * On error, parameters before the failing one are already updated. */
ts_status ts_optim_step(ts_optim *o);
/* Zeroes the gradients of the optimizer's parameters in place. */
ts_status ts_optim_zero_grad(ts_optim *o);
/* Drops the gradients of the optimizer's parameters (ts_clear_grad; torch's
 * zero_grad(set_to_none=True)); see ts_store_clear_grad. */
ts_status ts_optim_clear_grad(ts_optim *o);
double ts_optim_get_lr(const ts_optim *o); /* NAN on error */
ts_status ts_optim_set_lr(ts_optim *o, double lr);
size_t ts_optim_param_count(const ts_optim *o);
/* Frees the optimizer and its state; NULL is ignored; a freed one is
 * TS_ERR_STALE_HANDLE (detected, not dereferenced). */
void ts_optim_free(ts_optim *o);

/* Learning-rate schedules: a plain struct, no allocation. Set one up after
 * making the optimizer (it records the optimizer's lr as the base) and call
 * ts_lr_scheduler_step once per epoch (or step), after ts_optim_step, as
 * with torch.optim.lr_scheduler; each call sets the optimizer's lr with
 * torch's own (recursive) formulas. */
typedef enum ts_lr_kind { TS_LR_STEP = 1, TS_LR_COSINE } ts_lr_kind;
typedef struct ts_lr_scheduler {
  ts_optim *optim;
  ts_lr_kind kind;
  int64_t last_epoch; /* 0 after init, like torch's after construction */
  double base_lr;
  int64_t step_size; /* StepLR */
  double gamma;
  int64_t t_max; /* CosineAnnealingLR */
  double eta_min;
} ts_lr_scheduler;
/* StepLR(optimizer, step_size, gamma): lr *= gamma every step_size calls. */
ts_status ts_lr_step_init(ts_lr_scheduler *sch, ts_optim *o, int64_t step_size,
                          double gamma);
/* CosineAnnealingLR(optimizer, T_max, eta_min). */
ts_status ts_lr_cosine_init(ts_lr_scheduler *sch, ts_optim *o, int64_t t_max,
                            double eta_min);
ts_status ts_lr_scheduler_step(ts_lr_scheduler *sch);

#if defined(__clang__)
#pragma clang attribute pop
#endif
#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* TSMEM_NN_H */
