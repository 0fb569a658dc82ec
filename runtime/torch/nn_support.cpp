// nn_support.cpp - what the training code (runtime/nn/) needs from libtorch
// that the generated operators do not give: the thread's gradient mode, and
// the optimizers' batched updates with the `_foreach_` ops
// (nn/optim_foreach.h).
#include <c10/core/GradMode.h>

#include "core.hpp"
#include "nn/optim_foreach.h"
#include "tsmem.h"

#include <vector>

#define TS_INTERNAL __attribute__((visibility("hidden")))

extern "C" {
bool tsc_grad_enabled(void) TS_INTERNAL;
void tsc_set_grad_enabled(bool on) TS_INTERNAL;

bool tsc_grad_enabled(void) { return c10::GradMode::is_enabled(); }
void tsc_set_grad_enabled(bool on) { c10::GradMode::set_enabled(on); }
}

namespace {

using Tensors = std::vector<at::Tensor>;

// New references to n impls (the caller keeps its own).
Tensors tensors(tsc_tensor *const *t, size_t n) {
  Tensors v;
  v.reserve(n);
  for (size_t i = 0; i < n; i++)
    v.emplace_back(tsc::ImplPtr::reclaim_copy(tsc::impl(t[i])));
  return v;
}

// The parameters' gradients, detached as ts_grad gives them.
Tensors grads(const Tensors &params) {
  Tensors v;
  v.reserve(params.size());
  for (const at::Tensor &p : params)
    v.push_back(p.grad().detach());
  return v;
}

std::vector<at::Scalar> scalars(const double *x, size_t n, double sign) {
  std::vector<at::Scalar> v;
  v.reserve(n);
  for (size_t i = 0; i < n; i++)
    v.emplace_back(sign * x[i]);
  return v;
}

} // namespace

extern "C" {

bool tsc_has_grad(const tsc_tensor *param) {
  tsc::Borrowed p(param);
  return p->grad().defined();
}

// Each is optim.c's single-tensor update (torch 1.13's), op for op.

ts_status tsc_foreach_sgd(const char *call, tsc_tensor *const *params,
                          tsc_tensor *const *bufs, size_t n, double lr,
                          double momentum, double dampening,
                          double weight_decay, bool nesterov) {
  return tsc::guarded_status(call, [&] {
    at::NoGradGuard no_grad;
    Tensors p = tensors(params, n), d_p = grads(p);
    if (weight_decay != 0.0)
      d_p = at::_foreach_add(d_p, p, weight_decay);
    if (momentum != 0.0) {
      Tensors buf = tensors(bufs, n);
      at::_foreach_mul_(buf, momentum);
      at::_foreach_add_(buf, d_p, 1.0 - dampening);
      if (nesterov)
        d_p = at::_foreach_add(d_p, buf, momentum);
      else
        d_p = std::move(buf);
    }
    at::_foreach_add_(p, d_p, -lr);
  });
}

ts_status tsc_foreach_adam(const char *call, tsc_tensor *const *params,
                           tsc_tensor *const *exp_avg,
                           tsc_tensor *const *exp_avg_sq,
                           tsc_tensor *const *max_exp_avg_sq, size_t n,
                           const double *bias_correction2_sqrt,
                           const double *step_size, double lr, double beta1,
                           double beta2, double eps, double weight_decay,
                           bool decoupled) {
  return tsc::guarded_status(call, [&] {
    at::NoGradGuard no_grad;
    Tensors p = tensors(params, n), g = grads(p);
    Tensors m = tensors(exp_avg, n), v = tensors(exp_avg_sq, n);
    if (decoupled)
      at::_foreach_mul_(p, 1.0 - lr * weight_decay);
    else if (weight_decay != 0.0)
      g = at::_foreach_add(g, p, weight_decay);
    at::_foreach_mul_(m, beta1);
    at::_foreach_add_(m, g, 1.0 - beta1);
    at::_foreach_mul_(v, beta2);
    at::_foreach_addcmul_(v, g, g, 1.0 - beta2);
    Tensors denom;
    if (max_exp_avg_sq) {
      Tensors mx = tensors(max_exp_avg_sq, n);
      for (size_t i = 0; i < n; i++)
        at::maximum_out(mx[i], mx[i], v[i]); // out, self, other
      denom = at::_foreach_sqrt(mx);
    } else {
      denom = at::_foreach_sqrt(v);
    }
    at::_foreach_div_(denom, scalars(bias_correction2_sqrt, n, 1.0));
    at::_foreach_add_(denom, eps);
    at::_foreach_addcdiv_(p, m, denom, scalars(step_size, n, -1.0));
  });
}

ts_status tsc_foreach_rmsprop(const char *call, tsc_tensor *const *params,
                              tsc_tensor *const *square_avg,
                              tsc_tensor *const *grad_avg,
                              tsc_tensor *const *bufs, size_t n, double lr,
                              double alpha, double eps, double weight_decay,
                              double momentum) {
  return tsc::guarded_status(call, [&] {
    at::NoGradGuard no_grad;
    Tensors p = tensors(params, n), g = grads(p);
    Tensors sq = tensors(square_avg, n);
    if (weight_decay != 0.0)
      g = at::_foreach_add(g, p, weight_decay);
    at::_foreach_mul_(sq, alpha);
    at::_foreach_addcmul_(sq, g, g, 1.0 - alpha);
    Tensors avg;
    if (grad_avg) {
      Tensors ga = tensors(grad_avg, n);
      at::_foreach_mul_(ga, alpha);
      at::_foreach_add_(ga, g, 1.0 - alpha);
      avg = at::_foreach_addcmul(sq, ga, ga, -1.0);
      at::_foreach_sqrt_(avg);
    } else {
      avg = at::_foreach_sqrt(sq);
    }
    at::_foreach_add_(avg, eps);
    if (momentum > 0.0) {
      Tensors buf = tensors(bufs, n);
      at::_foreach_mul_(buf, momentum);
      at::_foreach_addcdiv_(buf, g, avg, 1.0);
      at::_foreach_add_(p, buf, -lr);
    } else {
      at::_foreach_addcdiv_(p, g, avg, -lr);
    }
  });
}
}
