// ops_hooks.hpp - what the generated SPEC section 3 calls (ops_section3.cpp,
// from tools/gen-ops/hooks.txt) add to ops_support.hpp: the checks that give
// SPEC's statuses (tensor_checks.h) and the barrier that runs a call's
// error-path checks only when libtorch throws.
#ifndef TSMEM_RUNTIME_TORCH_OPS_HOOKS_HPP
#define TSMEM_RUNTIME_TORCH_OPS_HOOKS_HPP

#include "../tensor_checks.h"
#include "ops_support.hpp"

namespace tsh {

// The pinned tensor of a Pin, as the C checks take it.
inline const tsc_tensor *raw(tsg::Pin &p) {
  return reinterpret_cast<const tsc_tensor *>((*p).unsafeGetTensorImpl());
}

// tsg::one with an error-path hook: why() runs only when f throws, inside
// the handler; it finds the cause in the arguments and reports it in SPEC's
// words (false), or finds none (true) and libtorch's message stands. The
// success path is tsg::one's, without a check more.
template <class F, class H>
ts_tensor *one(const char *call, void *ret, F &&f, H &&why) noexcept {
  try {
    at::Tensor t = f();
    if (!t.defined()) {
      ts__ok_fast();
      return nullptr;
    }
    return ts__wrap_at(tsg::adopt(std::move(t)), call, ret);
  } catch (...) {
    if (why())
      tsc::report_current(call);
    return nullptr;
  }
}

} // namespace tsh

#endif // TSMEM_RUNTIME_TORCH_OPS_HOOKS_HPP
