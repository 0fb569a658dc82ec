// ops_hooks.hpp - what the generated SPEC section 3 calls (ops_section3.cpp,
// from tools/gen-ops/hooks.txt) add to ops_support.hpp: the checks that give
// SPEC's statuses (tensor_checks.h); tsg::one runs a call's error-path
// checks only when libtorch throws.
#ifndef TSMEM_RUNTIME_TORCH_OPS_HOOKS_HPP
#define TSMEM_RUNTIME_TORCH_OPS_HOOKS_HPP

#include "../tensor_checks.h"
#include "ops_support.hpp"

namespace tsh {

// The pinned tensor of a Pin, as the C checks take it.
inline const tsc_tensor *raw(tsg::Pin &p) {
  return reinterpret_cast<const tsc_tensor *>((*p).unsafeGetTensorImpl());
}

} // namespace tsh

#endif // TSMEM_RUNTIME_TORCH_OPS_HOOKS_HPP
