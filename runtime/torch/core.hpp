// core.hpp - what the libtorch core's C++ files share: handle <-> at::Tensor
// conversions without reference-count traffic, dtype mapping, and the
// exception barrier that turns every C++ exception into a ts__fail().
#ifndef TSMEM_RUNTIME_TORCH_CORE_HPP
#define TSMEM_RUNTIME_TORCH_CORE_HPP

#include "../internal.h"
#include "tensor_core.h"

#include <ATen/ATen.h>

namespace tsc {

using ImplPtr = c10::intrusive_ptr<c10::TensorImpl, c10::UndefinedTensorImpl>;

inline c10::TensorImpl *impl(const tsc_tensor *t) {
  return reinterpret_cast<c10::TensorImpl *>(const_cast<tsc_tensor *>(t));
}

// Moves a tensor's reference into a tsc_tensor.
inline tsc_tensor *adopt(at::Tensor &&t) {
  return reinterpret_cast<tsc_tensor *>(t.unsafeReleaseTensorImpl());
}

// An at::Tensor viewing a tsc_tensor's reference for the length of a call:
// it takes the reference over and gives it back on destruction, so a borrow
// costs no atomic increment or decrement.
class Borrowed {
public:
  explicit Borrowed(const tsc_tensor *t) : t_(ImplPtr::reclaim(impl(t))) {}
  ~Borrowed() { (void)t_.unsafeReleaseTensorImpl(); }
  Borrowed(const Borrowed &) = delete;
  Borrowed &operator=(const Borrowed &) = delete;
  const at::Tensor &operator*() const { return t_; }
  const at::Tensor *operator->() const { return &t_; }

private:
  at::Tensor t_;
};

// dtype is a value of the enum (the C side checks).
inline at::ScalarType scalar_type(ts_dtype dtype) {
  static constexpr at::ScalarType table[] = {
      at::kFloat, at::kDouble, at::kInt,  at::kLong, at::kShort,
      at::kChar,  at::kByte,   at::kBool, at::kHalf, at::kBFloat16};
  return table[dtype];
}

inline at::IntArrayRef dims(const int64_t *shape, int ndim) {
  return ndim > 0 ? at::IntArrayRef(shape, (size_t)ndim) : at::IntArrayRef();
}

// Reports the exception being handled (call only inside a catch block).
ts_status report_current(const char *call) noexcept;

// Runs f, which returns an at::Tensor, behind the exception barrier.
template <class F> tsc_tensor *guarded(const char *call, F &&f) noexcept {
  try {
    return adopt(f());
  } catch (...) {
    report_current(call);
    return nullptr;
  }
}

// Runs f, which returns nothing, behind the exception barrier.
template <class F> ts_status guarded_status(const char *call, F &&f) noexcept {
  try {
    f();
    return TS_OK;
  } catch (...) {
    return report_current(call);
  }
}

} // namespace tsc

#endif // TSMEM_RUNTIME_TORCH_CORE_HPP
