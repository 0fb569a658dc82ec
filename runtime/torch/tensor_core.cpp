// tensor_core.cpp - libtorch behind the C interface of tensor_core.h.
//
// A tsc_tensor* is a c10::TensorImpl* that carries one strong reference, so a
// handle costs no allocation beyond libtorch's own.

#include "tensor_core.h"

#include "../internal.h"

#include <ATen/ATen.h>

namespace {

using ImplPtr = c10::intrusive_ptr<c10::TensorImpl, c10::UndefinedTensorImpl>;

c10::TensorImpl *impl(const tsc_tensor *t) {
  return reinterpret_cast<c10::TensorImpl *>(const_cast<tsc_tensor *>(t));
}

// Moves a tensor's reference into a tsc_tensor.
tsc_tensor *adopt(at::Tensor &&t) {
  return reinterpret_cast<tsc_tensor *>(t.unsafeReleaseTensorImpl());
}

} // namespace

extern "C" {

void tsc_release(tsc_tensor *t) {
  if (t)
    ImplPtr::reclaim(impl(t)); // drops the reference on scope exit
}

int tsc_ndim(const tsc_tensor *t) { return (int)impl(t)->dim(); }

const int64_t *tsc_sizes(const tsc_tensor *t) {
  return impl(t)->sizes().data();
}

size_t tsc_nbytes(const tsc_tensor *t) {
  return (size_t)impl(t)->numel() * impl(t)->itemsize();
}

int64_t tsc_numel(const tsc_tensor *t) { return impl(t)->numel(); }

} // extern "C"
