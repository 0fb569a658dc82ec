// ops_scalars.hpp - a Scalar[] argument of the generated operators
// (tools/gen-ops: the _foreach_ ScalarList overloads) from a C array of
// doubles, without a heap allocation for up to 8 of them.
#ifndef TSMEM_RUNTIME_TORCH_OPS_SCALARS_HPP
#define TSMEM_RUNTIME_TORCH_OPS_SCALARS_HPP

#include <ATen/core/Tensor.h>

#include <array>
#include <vector>

namespace tsg {

class Scalars {
public:
  Scalars(const double *v, int n) {
    if (n > (int)Small)
      heap_.assign(v, v + n);
    else
      for (int i = 0; i < n; i++)
        small_[i] = v[i];
    n_ = n > 0 ? (size_t)n : 0;
  }
  at::ArrayRef<at::Scalar> list() const {
    return n_ > Small ? at::ArrayRef<at::Scalar>(heap_)
                      : at::ArrayRef<at::Scalar>(small_.data(), n_);
  }

private:
  static constexpr size_t Small = 8;
  std::array<at::Scalar, Small> small_;
  std::vector<at::Scalar> heap_;
  size_t n_;
};

} // namespace tsg

#endif // TSMEM_RUNTIME_TORCH_OPS_SCALARS_HPP
