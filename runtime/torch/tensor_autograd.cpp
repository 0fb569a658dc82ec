// tensor_autograd.cpp - autograd of tensor_core.h: requires_grad, backward,
// gradients and the SGD update, on the autograd that libtorch_cpu registers
// behind ATen's dispatcher; tsc_backward_sgd asks libtorch's autograd for
// gradients without storing them (torch::autograd::grad, torch/csrc).

#include "core.hpp"

#include "below_autograd.hpp"

#include <ATen/ops/_foreach_add.h>
#include <ATen/ops/_foreach_zero.h>
#include <torch/csrc/autograd/autograd.h>

#include <vector>

using namespace tsc;

namespace {

// The optimizer's updates run with grad mode off. There libtorch's autograd
// kernel of an in-place op (add_, zero_) records nothing: it only checks
// for a forward gradient (level 0, isFwGradDefined) and redispatches. So
// when no argument has one, the update skips the autograd keys (as the
// generated calls do for plain tensors, ops_support.hpp) and keeps
// ADInplaceOrView, which bumps the version counter that catches a changed
// tensor saved for backward. TSMEM_BELOW_AUTOGRAD=0 turns it off.
void below_autograd_if_no_fw_grad(tsb::Exclude &g, const at::Tensor &a,
                                  const at::Tensor &b) {
  if (tsc_below_autograd && !a._fw_grad(0).defined() &&
      !b._fw_grad(0).defined())
    g.on(c10::autograd_dispatch_keyset);
}

// t's gradient, or an undefined tensor, without making autograd state for
// a tensor that has none (at::Tensor::mutable_grad would) and without the
// warning at::Tensor::grad gives for a non-leaf.
const at::Tensor &grad_of(const at::Tensor &t) {
  return t.unsafeGetTensorImpl()->grad();
}

} // namespace

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
      tsb::Exclude below;
      below_autograd_if_no_fw_grad(below, g, g);
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
    tsb::Exclude below;
    below_autograd_if_no_fw_grad(below, *p, g);
    p->add_(g, -lr);
  });
}

ts_status tsc_clear_grad(const char *call, tsc_tensor *t) {
  return guarded_status(call, [&] {
    Borrowed x(t);
    // As torch's `t.grad = None`: the tensor drops its reference; one made
    // by an earlier tsc_grad keeps the storage.
    if (grad_of(*x).defined())
      x->mutable_grad().reset();
  });
}

ts_status tsc_sgd_step_all(const char *call, tsc_tensor *const *params,
                           size_t n, double lr, ts_grad_after after) {
  return guarded_status(call, [&] {
    // The parameters that have a gradient, and their gradients; the others
    // stay, as with tsc_sgd_step.
    std::vector<at::Tensor> ps, gs;
    ps.reserve(n);
    gs.reserve(n);
    bool fw_grad = false;
    for (size_t i = 0; i < n; i++) {
      Borrowed p(params[i]);
      const at::Tensor &g = grad_of(*p);
      if (!g.defined())
        continue;
      fw_grad = fw_grad || p->_fw_grad(0).defined() || g._fw_grad(0).defined();
      ps.push_back(*p);
      gs.push_back(g);
    }
    if (ps.empty())
      return;
    at::NoGradGuard no_grad;
    // As tsc_sgd_step: below the autograd keys when no tensor has a forward
    // gradient; ADInplaceOrView stays (version counters).
    tsb::Exclude below;
    if (tsc_below_autograd && !fw_grad)
      below.on(c10::autograd_dispatch_keyset);
    // One dispatch for the update: on the CPU, _foreach_add_ runs add_ on
    // each pair in order, so the result is tsc_sgd_step's, bit for bit.
    at::_foreach_add_(ps, gs, -lr);
    if (after == TS_GRAD_ZERO) {
      at::_foreach_zero_(gs);
    } else if (after == TS_GRAD_CLEAR) {
      for (at::Tensor &p : ps)
        p.mutable_grad().reset();
    }
  });
}

ts_status tsc_backward_sgd(const char *call, tsc_tensor *loss,
                           tsc_tensor *const *params, size_t n, double lr) {
  return guarded_status(call, [&] {
    Borrowed l(loss);
    std::vector<at::Tensor> ps;
    ps.reserve(n);
    for (size_t i = 0; i < n; i++)
      ps.push_back(*Borrowed(params[i]));
    // The graph and kernels of tsc_backward, but the engine hands the
    // parameters' gradients back instead of running their AccumulateGrad
    // nodes: no gradient is stored, zeroed or added to.
    std::vector<at::Tensor> gs =
        torch::autograd::grad({*l}, ps, /*grad_outputs=*/{},
                              /*retain_graph=*/c10::nullopt,
                              /*create_graph=*/false, /*allow_unused=*/true);
    // A parameter the loss does not depend on has no gradient: it stays.
    size_t k = 0;
    bool fw_grad = false;
    for (size_t i = 0; i < n; i++) {
      if (!gs[i].defined())
        continue;
      fw_grad = fw_grad || ps[i]._fw_grad(0).defined();
      ps[k] = std::move(ps[i]);
      gs[k++] = std::move(gs[i]);
    }
    ps.resize(k);
    gs.resize(k);
    if (k == 0)
      return;
    at::NoGradGuard no_grad;
    tsb::Exclude below;
    if (tsc_below_autograd && !fw_grad)
      below.on(c10::autograd_dispatch_keyset);
    at::_foreach_add_(ps, gs, -lr);
  });
}

} // extern "C"
