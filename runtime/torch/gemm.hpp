// gemm.hpp - the generated addmm, mm, matmul and linear calls
// (tools/gen-ops/kernels.py: GEMM_KERNELS) go through these instead of
// at::_ops::<op>::call. Each takes the schema's arguments and returns what
// the ATen call returns: for float32 CPU matrices that map onto a row-major
// GEMM it runs oneDNN's sgemm, forward and backward (gemm.cpp); anything
// else is the ATen call itself.
#ifndef TSMEM_RUNTIME_TORCH_GEMM_HPP
#define TSMEM_RUNTIME_TORCH_GEMM_HPP

#include <ATen/core/Tensor.h>

// True when these run float32 CPU products through oneDNN: libdnnl found
// and TSMEM_GEMM is not "aten". Set when the runtime loads; tests flip it.
extern "C" bool tsc_gemm_onednn __attribute__((visibility("hidden")));
// This thread's count of oneDNN products, forward and backward (tests).
extern "C" __thread unsigned long tsc_gemm_calls
    __attribute__((visibility("hidden")));

namespace tsk {

at::Tensor addmm(const at::Tensor &self, const at::Tensor &mat1,
                 const at::Tensor &mat2, const at::Scalar &beta,
                 const at::Scalar &alpha);
at::Tensor mm(const at::Tensor &self, const at::Tensor &mat2);
at::Tensor matmul(const at::Tensor &self, const at::Tensor &other);
at::Tensor linear(const at::Tensor &input, const at::Tensor &weight,
                  const c10::optional<at::Tensor> &bias);

} // namespace tsk

#endif // TSMEM_RUNTIME_TORCH_GEMM_HPP
