// onednn_matmul.hpp - large float32 products through oneDNN's matmul
// primitive with a scratchpad tsmem keeps, so that they allocate nothing.
//
// dnnl_sgemm mallocs its packing buffers on every call (74 KB, 820 KB for
// some transposed shapes) and glibc hands them back to the kernel, which
// shows as page faults on every large step (bench/README.md, "Matrix
// products through oneDNN": 18 per large MLP step). A matmul primitive
// made with a user scratchpad takes its buffers from the caller instead;
// gemm.cpp uses it for the products where it is as fast as sgemm.
#ifndef TSMEM_RUNTIME_TORCH_ONEDNN_MATMUL_HPP
#define TSMEM_RUNTIME_TORCH_ONEDNN_MATMUL_HPP

#include <cstdint>

namespace tso {

// A symbol of the oneDNN libtorch loaded (or of libdnnl.so.2 opened again
// when its symbols are not global); nullptr without one.
void *dnnl_symbol(const char *name);

// Row-major c (m x n, row stride ldc) = alpha op(a) op(b) + beta c, as
// dnnl_sgemm; false when the primitive does not take this product (too
// small or skinny, not built with oneDNN's headers, TSMEM_GEMM=sgemm, or
// oneDNN refused it): the caller runs dnnl_sgemm then. A status other than
// 0 from oneDNN's execution goes to *status with true.
bool matmul(char transa, char transb, int64_t m, int64_t n, int64_t k,
            float alpha, const float *a, int64_t lda, const float *b,
            int64_t ldb, float beta, float *c, int64_t ldc, int *status);

} // namespace tso

#endif // TSMEM_RUNTIME_TORCH_ONEDNN_MATMUL_HPP
