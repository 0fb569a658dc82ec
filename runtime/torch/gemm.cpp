// gemm.cpp - float32 matrix products through oneDNN's sgemm.
//
// Debian's libtorch multiplies float32 matrices with the system's
// libblas.so.3: the reference BLAS unless OpenBLAS is installed, 4-7
// GFLOP/s here. It also loads oneDNN (libdnnl.so.2) for its convolutions,
// whose dnnl_sgemm JIT-compiles AVX2/AVX-512 kernels: 20-30x the reference
// BLAS and about 2x OpenBLAS on the MLPs' shapes (bench/README.md, "Matrix
// products through oneDNN"). So the generated addmm, mm, matmul and linear
// run their 2-D float32 CPU products through it, with an autograd node of
// their own (GemmBackward) whose gradients are oneDNN products too. All
// else goes to ATen: other dtypes or devices, views that map onto no
// row-major matrix, zero-sized or mismatched shapes (ATen's error),
// forward-mode gradients, autocast, tracing and other dispatch modes, and a
// backward that builds a graph (create_graph: GemmBackward then computes
// with ATen's ops, which are differentiable). TSMEM_GEMM=aten turns it off.

#include "gemm.hpp"

#include "below_autograd.hpp"

#include <ATen/core/LegacyTypeDispatch.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/addmm_ops.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/linear_ops.h>
#include <ATen/ops/matmul_ops.h>
#include <ATen/ops/mm_ops.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/functions/utils.h>
#include <torch/csrc/autograd/saved_variable.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <mutex>

namespace {

// dnnl_sgemm (oneDNN >= 1.0, include/oneapi/dnnl/dnnl.h): row-major
// C = alpha op(A) op(B) + beta C; 0 is dnnl_success. With beta 0 it does not
// read C.
using Sgemm = int (*)(char transa, char transb, int64_t m, int64_t n, int64_t k,
                      float alpha, const float *a, int64_t lda, const float *b,
                      int64_t ldb, float beta, float *c, int64_t ldc);

// The oneDNN that libtorch loaded (or, when its symbols are not global, the
// same library opened again); nullptr without one or with TSMEM_GEMM=aten.
Sgemm find_sgemm() {
  const char *e = std::getenv("TSMEM_GEMM");
  if (e && std::strcmp(e, "aten") == 0)
    return nullptr;
  void *f = dlsym(RTLD_DEFAULT, "dnnl_sgemm");
  if (!f) {
    // Kept open: the function is called until the process exits.
    if (void *h = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_LOCAL))
      f = dlsym(h, "dnnl_sgemm");
  }
  return reinterpret_cast<Sgemm>(f);
}

const Sgemm sgemm = find_sgemm();

// What the dispatcher sees of a plain dense CPU tensor below autograd.
constexpr c10::DispatchKeySet cpu_keys(c10::DispatchKey::CPU);

// One operand of a product: t, or its transpose when trans.
struct Operand {
  const at::Tensor &t;
  bool trans;
  int64_t rows() const { return t.size(trans ? 1 : 0); }
  int64_t cols() const { return t.size(trans ? 0 : 1); }
};

// How a 2-D tensor's elements lie in memory as a row-major matrix: the
// tensor itself ('N') or its transpose ('T'), with that matrix's row
// stride. A size-1 dimension's stride is never used, so it does not count.
struct Layout {
  char trans;
  int64_t ld;
};
bool layout_of(const at::Tensor &t, Layout &l) {
  const int64_t r = t.size(0), c = t.size(1);
  const int64_t s0 = t.stride(0), s1 = t.stride(1);
  if ((s1 == 1 || c == 1) && (r == 1 || s0 >= std::max<int64_t>(c, 1))) {
    l = {'N', r == 1 ? std::max<int64_t>(c, 1) : s0};
    return true;
  }
  if ((s0 == 1 || r == 1) && (c == 1 || s1 >= std::max<int64_t>(r, 1))) {
    l = {'T', c == 1 ? std::max<int64_t>(r, 1) : s1};
    return true;
  }
  return false; // a strided view, or stride 0 (expanded)
}

// As ATen's mm backward tells a column-major input (strides (1, rows)): its
// gradient is made column-major too, so that it matches the input's layout.
bool column_major(const at::Tensor &t) {
  return t.stride(0) == 1 && t.stride(1) == t.size(0);
}

// c (m x n, contiguous) = alpha op(u) op(v) + beta c.
void gemm(Operand u, Operand v, float alpha, float beta, at::Tensor &c) {
  Layout lu, lv;
  if (!layout_of(u.t, lu) || !layout_of(v.t, lv))
    TORCH_INTERNAL_ASSERT(false, "tsmem gemm: operand without a layout");
  const char tu = (lu.trans == 'T') != u.trans ? 'T' : 'N';
  const char tv = (lv.trans == 'T') != v.trans ? 'T' : 'N';
  const int64_t m = u.rows(), k = u.cols(), n = v.cols();
  int st = sgemm(tu, tv, m, n, k, alpha, u.t.data_ptr<float>(), lu.ld,
                 v.t.data_ptr<float>(), lv.ld, beta, c.data_ptr<float>(), n);
  tsc_gemm_calls++;
  TORCH_CHECK(st == 0, "oneDNN's sgemm failed (status ", st, ") on ", m, "x", k,
              " @ ", k, "x", n, "; TSMEM_GEMM=aten runs ATen's instead");
}

// alpha op(u) op(v) as a new tensor; column-major when col (made as the
// transpose of op(v)^T op(u)^T).
at::Tensor product(Operand u, Operand v, float alpha, bool col) {
  if (col)
    return product({v.t, !v.trans}, {u.t, !u.trans}, alpha, false).t();
  at::Tensor c = at::empty({u.rows(), v.cols()}, u.t.options());
  gemm(u, v, alpha, 0.f, c);
  return c;
}

// c (m x n, contiguous) = self broadcast to m x n.
void fill_with(at::Tensor &c, const at::Tensor &self) {
  const int64_t m = c.size(0), n = c.size(1);
  float *dst = c.data_ptr<float>();
  if (self.dim() == 1 && self.size(0) == n && self.stride(0) == 1) {
    const float *row = self.data_ptr<float>(); // a bias: each row
    for (int64_t i = 0; i < m; i++)
      std::memcpy(dst + i * n, row, (size_t)n * sizeof(float));
  } else if (self.dim() == 2 && self.size(0) == m && self.size(1) == n &&
             self.is_contiguous()) {
    std::memcpy(dst, self.data_ptr<float>(), (size_t)(m * n) * sizeof(float));
  } else {
    c.copy_(self.expand({m, n}));
  }
}

bool is_plain(const at::Tensor &g) {
  return g.scalar_type() == at::kFloat &&
         (g.key_set() - c10::autograd_dispatch_keyset_with_ADInplaceOrView -
          c10::autocast_dispatch_keyset) == cpu_keys;
}

// The backward of alpha a op(b) + beta self (edges: self, a, b); op(b) is
// b^T for linear's weight.
struct GemmBackward : torch::autograd::Node {
  torch::autograd::SavedVariable a_, b_;
  bool tb = false, a_col = false, b_col = false;
  float alpha = 1, beta = 1;

  std::string name() const override { return "tsmem::GemmBackward"; }

  void release_variables() override {
    std::lock_guard<std::mutex> lock(mutex_);
    a_.reset_data();
    b_.reset_data();
  }

  torch::autograd::variable_list
  apply(torch::autograd::variable_list &&grads) override {
    std::lock_guard<std::mutex> lock(mutex_);
    torch::autograd::variable_list out(3);
    at::Tensor g = grads[0];
    if (!g.defined())
      return out;
    const bool want_self = task_should_compute_output(0);
    const bool want_a = task_should_compute_output(1);
    const bool want_b = task_should_compute_output(2);
    // b is saved when a needs a gradient, a when b does.
    const at::Tensor b = want_a ? b_.unpack() : at::Tensor();
    const at::Tensor a = want_b ? a_.unpack() : at::Tensor();
    if (want_self)
      out[0] = beta == 1 ? g : g.mul(beta);
    if (at::GradMode::is_enabled() || !is_plain(g) ||
        (want_a && !is_plain(b)) || (want_b && !is_plain(a))) {
      // create_graph (or an unusual tensor): ATen's differentiable ops.
      if (want_a) {
        at::Tensor d = g.mm(tb ? b : b.t()); // g op(b)^T
        out[1] = alpha == 1 ? d : d.mul(alpha);
      }
      if (want_b) {
        at::Tensor d = a.t().mm(g);
        d = alpha == 1 ? d : d.mul(alpha);
        out[2] = tb ? d.t() : d;
      }
      return out;
    }
    Layout unused;
    if (!layout_of(g, unused))
      g = g.contiguous();
    // With Q = op(b): da = alpha g Q^T, dQ = alpha a^T g, and linear's
    // weight gets dQ^T = alpha g^T a.
    if (want_a)
      out[1] = product({g, false}, {b, !tb}, alpha, a_col);
    if (want_b)
      out[2] = tb ? product({g, true}, {a, false}, alpha, b_col)
                  : product({a, true}, {g, false}, alpha, b_col);
    return out;
  }
};

// Whether the oneDNN path may run for these tensors (self may be NULL), and
// whether it must record a graph: only what ATen's autograd kernel would
// see as plain float32 CPU tensors under the thread's dispatch state.
enum Route { ATEN, PLAIN, GRAPH };
Route route(const at::Tensor *self, const at::Tensor &a, const at::Tensor &b) {
  if (!sgemm || !tsc_gemm_onednn)
    return ATEN;
  tsb::KeyState *k = tsb::tls_keys;
  if (__builtin_expect(k == nullptr, 0))
    k = tsb::tls_keys_init();
  // Keys a mode adds to every call (tracing, Python modes, functorch):
  // what the thread includes beyond its default (BackendSelect,
  // ADInplaceOrView).
  const c10::DispatchKeySet included =
      k->included() - c10::default_included_set;
  const c10::DispatchKeySet excluded = k->excluded();
  bool requires_grad = false;
  for (const at::Tensor *t : {self, &a, &b}) {
    if (!t)
      continue;
    if (!t->defined() || t->scalar_type() != at::kFloat ||
        ((t->key_set() | included) - excluded -
         c10::autograd_dispatch_keyset_with_ADInplaceOrView) != cpu_keys ||
        t->has_names())
      return ATEN;
    if (t->unsafeGetTensorImpl()->autograd_meta()) {
      if (t->_fw_grad(0).defined())
        return ATEN;
      requires_grad = requires_grad || t->requires_grad();
    }
  }
  if (a.dim() != 2 || b.dim() != 2)
    return ATEN;
  return requires_grad && at::GradMode::is_enabled() &&
                 !excluded.has(c10::DispatchKey::AutogradCPU)
             ? GRAPH
             : PLAIN;
}

// A Scalar as the float ATen's float32 kernel would use; false for one it
// would refuse or treat specially (complex, overflowing).
bool to_float(const at::Scalar &s, float &f) {
  if (s.isComplex())
    return false;
  const double d = s.toDouble();
  f = (float)d;
  return !(std::isfinite(d) && !std::isfinite(f));
}

// alpha a op(b) + beta self, or an undefined tensor when ATen must do it.
at::Tensor run(const at::Tensor *self, const at::Tensor &a, const at::Tensor &b,
               bool tb, float beta, float alpha) {
  const Route r = route(self, a, b);
  if (r == ATEN)
    return at::Tensor();
  const Operand u{a, false}, v{b, tb};
  const int64_t m = u.rows(), k = u.cols(), n = v.cols();
  Layout unused;
  if (m == 0 || n == 0 || k == 0 || v.rows() != k || alpha == 0 ||
      !layout_of(a, unused) || !layout_of(b, unused))
    return at::Tensor();
  const bool accumulate = self && beta != 0;
  if (self && (self->dim() > 2 ||
               !at::is_expandable_to(self->sizes(), at::IntArrayRef{m, n})))
    return at::Tensor(); // ATen's error
  at::Tensor c;
  {
    at::AutoDispatchBelowADInplaceOrView below;
    c = at::empty({m, n}, a.options());
    if (accumulate)
      fill_with(c, *self);
    gemm(u, v, alpha, accumulate ? beta : 0.f, c);
  }
  if (r == GRAPH) {
    auto node = std::shared_ptr<GemmBackward>(new GemmBackward(),
                                              torch::autograd::deleteNode);
    node->set_next_edges(
        torch::autograd::collect_next_edges(self ? *self : at::Tensor(), a, b));
    node->tb = tb;
    node->a_col = column_major(a);
    node->b_col = column_major(b);
    node->alpha = alpha;
    node->beta = beta;
    if (node->should_compute_output(2))
      node->a_ = torch::autograd::SavedVariable(a, false);
    if (node->should_compute_output(1))
      node->b_ = torch::autograd::SavedVariable(b, false);
    torch::autograd::set_history(c, node);
  }
  return c;
}

} // namespace

bool tsc_gemm_onednn = sgemm != nullptr;
__thread unsigned long tsc_gemm_calls;

namespace tsk {

at::Tensor addmm(const at::Tensor &self, const at::Tensor &mat1,
                 const at::Tensor &mat2, const at::Scalar &beta,
                 const at::Scalar &alpha) {
  float fb, fa;
  if (to_float(beta, fb) && to_float(alpha, fa)) {
    at::Tensor c = run(&self, mat1, mat2, false, fb, fa);
    if (c.defined())
      return c;
  }
  return at::_ops::addmm::call(self, mat1, mat2, beta, alpha);
}

at::Tensor mm(const at::Tensor &self, const at::Tensor &mat2) {
  at::Tensor c = run(nullptr, self, mat2, false, 0.f, 1.f);
  return c.defined() ? c : at::_ops::mm::call(self, mat2);
}

at::Tensor matmul(const at::Tensor &self, const at::Tensor &other) {
  // 2-D @ 2-D is mm in ATen's matmul too; the other shapes stay there.
  at::Tensor c = run(nullptr, self, other, false, 0.f, 1.f);
  return c.defined() ? c : at::_ops::matmul::call(self, other);
}

at::Tensor linear(const at::Tensor &input, const at::Tensor &weight,
                  const c10::optional<at::Tensor> &bias) {
  // As ATen's linear for a 2-D input: addmm(bias, input, weight^T), or mm
  // without a bias; the weight is read transposed in place.
  if (input.dim() == 2) {
    const bool has_bias = bias.has_value() && bias->defined();
    at::Tensor c = run(has_bias ? &*bias : nullptr, input, weight, true,
                       has_bias ? 1.f : 0.f, 1.f);
    if (c.defined())
      return c;
  }
  return at::_ops::linear::call(input, weight, bias);
}

} // namespace tsk
