// tensor_ops.cpp - the tensor operations of tensor_core.h on ATen: one
// switch per arity, each case one ATen call behind the exception barrier.

#include "core.hpp"

using namespace tsc;

extern "C" {

tsc_tensor *tsc_unary(const char *call, tsc_unary_op op, const tsc_tensor *a) {
  return guarded(call, [&] {
    Borrowed x(a);
    BelowAutograd below(plain(a));
    switch (op) {
    case TSC_OP_clone:
      return x->clone();
    case TSC_OP_relu:
      return at::relu(*x);
    case TSC_OP_sigmoid:
      return at::sigmoid(*x);
    case TSC_OP_tanh:
      return at::tanh(*x);
    case TSC_OP_exp:
      return at::exp(*x);
    case TSC_OP_log:
      return at::log(*x);
    case TSC_OP_neg:
      return at::neg(*x);
    case TSC_OP_sum:
      return x->sum();
    case TSC_OP_mean:
      return x->mean();
    case TSC_OP_argmax:
      return x->argmax();
    }
    TORCH_CHECK(false, "unknown unary operation");
  });
}

tsc_tensor *tsc_binary(const char *call, tsc_binary_op op, const tsc_tensor *a,
                       const tsc_tensor *b) {
  return guarded(call, [&] {
    Borrowed x(a), y(b);
    BelowAutograd below(plain(a) && plain(b));
    switch (op) {
    case TSC_OP_add:
      return at::add(*x, *y);
    case TSC_OP_sub:
      return at::sub(*x, *y);
    case TSC_OP_mul:
      return at::mul(*x, *y);
    case TSC_OP_div:
      return at::div(*x, *y);
    case TSC_OP_matmul:
      return at::matmul(*x, *y);
    case TSC_OP_cross_entropy:
      return at::cross_entropy_loss(*x, *y);
    case TSC_OP_mse_loss:
      return at::mse_loss(*x, *y);
    }
    TORCH_CHECK(false, "unknown binary operation");
  });
}

tsc_tensor *tsc_scalar(const char *call, tsc_scalar_op op, const tsc_tensor *a,
                       double s) {
  return guarded(call, [&] {
    Borrowed x(a);
    switch (op) {
    case TSC_OP_add_scalar:
      return at::add(*x, s);
    case TSC_OP_mul_scalar:
      return at::mul(*x, s);
    }
    TORCH_CHECK(false, "unknown scalar operation");
  });
}

tsc_tensor *tsc_dim(const char *call, tsc_dim_op op, const tsc_tensor *a,
                    int dim) {
  return guarded(call, [&] {
    Borrowed x(a);
    switch (op) {
    case TSC_OP_argmax_dim:
      return x->argmax(dim);
    case TSC_OP_softmax:
      return at::softmax(*x, dim);
    case TSC_OP_log_softmax:
      return at::log_softmax(*x, dim);
    }
    TORCH_CHECK(false, "unknown dim operation");
  });
}

tsc_tensor *tsc_reshape(const char *call, const tsc_tensor *a,
                        const int64_t *shape, int ndim) {
  return guarded(call, [&] { return Borrowed(a)->reshape(dims(shape, ndim)); });
}

tsc_tensor *tsc_transpose(const char *call, const tsc_tensor *a, int d0,
                          int d1) {
  return guarded(call, [&] { return Borrowed(a)->transpose(d0, d1); });
}

} // extern "C"
