// test_gemm_autograd.cpp - what the C API cannot reach of the oneDNN matrix
// products (runtime/torch/gemm.cpp), tested on at::Tensors against ATen's
// own calls: a backward that builds a graph (create_graph: GemmBackward
// computes with ATen's differentiable ops, so double backward is ATen's),
// forward-mode gradients and autocast (ATen's call), no-grad and inference
// mode (oneDNN, no graph).
#include "torch/gemm.hpp"

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <c10/core/InferenceMode.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/forward_grad.h>
#include <torch/csrc/autograd/function.h>

#include <cstdio>

static int failures;

#define EXPECT(cond)                                                           \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__,    \
                   #cond);                                                     \
      failures++;                                                              \
    }                                                                          \
  } while (0)

static bool close(const at::Tensor &x, const at::Tensor &y) {
  return x.defined() && y.defined() && x.sizes() == y.sizes() &&
         at::allclose(x, y, 1e-4, 1e-5);
}

static void create_graph_is_atens() {
  at::Tensor x = at::randn({6, 5}).requires_grad_();
  at::Tensor w = at::randn({5, 4}).requires_grad_();
  at::Tensor b = at::randn({4}).requires_grad_();
  at::Tensor r = at::randn({6, 4});
  std::vector<at::Tensor> second[2];
  for (int i = 0; i < 2; i++) {
    unsigned long before = tsc_gemm_calls;
    at::Tensor y = i == 0 ? tsk::addmm(b, x, w, 1, 1) : at::addmm(b, x, w);
    EXPECT((i == 0) == (y.grad_fn()->name() == "tsmem::GemmBackward"));
    EXPECT(tsc_gemm_calls - before == (i == 0 ? 1u : 0u));
    // d loss / dx with a graph, then its own gradient.
    auto g = torch::autograd::grad({(y * y * r).sum()}, {x, w}, {},
                                   /*retain_graph=*/true,
                                   /*create_graph=*/true);
    EXPECT(g[0].requires_grad() && g[1].requires_grad());
    EXPECT(tsc_gemm_calls - before == (i == 0 ? 1u : 0u)); // ATen's ops
    second[i] =
        torch::autograd::grad({(g[0] * g[0]).sum() + g[1].sum()}, {x, w, b});
  }
  for (int k = 0; k < 3; k++)
    EXPECT(close(second[0][k], second[1][k]));
}

static void forward_ad_is_atens() {
  at::Tensor x = at::randn({3, 5}), t = at::randn({3, 5});
  at::Tensor w = at::randn({5, 2});
  uint64_t level = torch::autograd::ForwardADLevel::get_next_idx();
  at::Tensor dual = at::_make_dual(x, t, (int64_t)level);
  unsigned long before = tsc_gemm_calls;
  at::Tensor y = tsk::mm(dual, w);
  EXPECT(tsc_gemm_calls == before);
  at::Tensor tangent = std::get<1>(at::_unpack_dual(y, (int64_t)level));
  EXPECT(close(tangent, at::mm(t, w)));
  torch::autograd::ForwardADLevel::release_idx(level);
}

static void autocast_is_atens() {
  at::Tensor x = at::randn({4, 8}), w = at::randn({8, 3});
  at::autocast::set_cpu_enabled(true);
  unsigned long before = tsc_gemm_calls;
  at::Tensor y = tsk::mm(x, w), want = at::mm(x, w);
  at::autocast::set_cpu_enabled(false);
  EXPECT(tsc_gemm_calls == before);
  EXPECT(y.scalar_type() == want.scalar_type()); // bfloat16, as ATen's
  EXPECT(at::equal(y, want));
}

static void no_grad_and_inference_mode() {
  at::Tensor x = at::randn({4, 8}).requires_grad_(), w = at::randn({8, 3});
  unsigned long before = tsc_gemm_calls;
  {
    at::NoGradGuard no_grad;
    at::Tensor y = tsk::linear(x, w.t(), c10::nullopt);
    EXPECT(!y.requires_grad() && !y.grad_fn());
    EXPECT(close(y, at::mm(x, w)));
  }
  {
    c10::InferenceMode inference;
    at::Tensor y = tsk::matmul(x, w);
    EXPECT(y.is_inference() && !y.requires_grad());
    EXPECT(close(y, at::mm(x, w)));
  }
  EXPECT(tsc_gemm_calls - before == 2);
}

int main() {
  at::manual_seed(7);
  EXPECT(tsc_gemm_onednn);
  create_graph_is_atens();
  forward_ad_is_atens();
  autocast_is_atens();
  no_grad_and_inference_mode();
  std::printf("%d passed, %d failed\n", failures ? 0 : 1, failures ? 1 : 0);
  return failures != 0;
}
