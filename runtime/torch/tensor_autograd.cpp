// tensor_autograd.cpp - autograd of tensor_core.h: requires_grad, backward,
// gradients and the SGD update, on the autograd that libtorch_cpu registers
// behind ATen's dispatcher (no torch/csrc headers needed).

#include "core.hpp"

using namespace tsc;

extern "C" {

ts_status tsc_set_requires_grad(const char *call, tsc_tensor *t, bool on) {
  return guarded_status(call, [&] {
    Borrowed x(t);
    x->requires_grad_(on);
  });
}

ts_status tsc_backward(const char *call, tsc_tensor *loss) {
  return guarded_status(call, [&] { Borrowed(loss)->backward(); });
}

tsc_tensor *tsc_grad(const char *call, const tsc_tensor *t, ts_status *status) {
  *status = TS_OK;
  try {
    Borrowed x(t);
    // Non-leaf tensors keep no gradient; asking libtorch would only warn.
    if (!x->is_leaf() && !x->retains_grad())
      return nullptr;
    const at::Tensor &g = x->grad();
    if (!g.defined())
      return nullptr;
    return adopt(g.detach()); // a new tensor sharing the gradient's storage
  } catch (...) {
    *status = report_current(call);
    return nullptr;
  }
}

ts_status tsc_zero_grad(const char *call, tsc_tensor *t) {
  return guarded_status(call, [&] {
    Borrowed x(t);
    at::Tensor &g = x->mutable_grad();
    if (g.defined()) {
      at::NoGradGuard no_grad;
      g.zero_();
    }
  });
}

ts_status tsc_sgd_step(const char *call, tsc_tensor *param, double lr) {
  return guarded_status(call, [&] {
    Borrowed p(param);
    const at::Tensor &g = p->grad();
    if (!g.defined())
      return; // like torch.optim.SGD: a parameter without gradient stays
    at::NoGradGuard no_grad;
    p->add_(g, -lr);
  });
}

} // extern "C"
