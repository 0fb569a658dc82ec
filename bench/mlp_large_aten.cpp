// mlp_large_aten.cpp - the large MLP step of issue 18 (256x784-512-512-10,
// cross-entropy, SGD) written against libtorch's C++ API, for
// mlp_large.c's side-by-side comparison.
#include <ATen/ATen.h>
#include <torch/csrc/autograd/variable.h>

#include <vector>

namespace {
std::vector<at::Tensor> params; // w1 b1 w2 b2 w3 b3
at::Tensor x, y;
} // namespace

extern "C" void aten_large_init(const float *xd, const int64_t *yd,
                                const float *const *pd,
                                const int64_t (*shapes)[2], int batch,
                                int in) {
  x = at::from_blob(const_cast<float *>(xd), {batch, in}).clone();
  y = at::from_blob(const_cast<int64_t *>(yd), {batch}, at::kLong).clone();
  params.clear();
  for (int i = 0; i < 6; i++) {
    std::vector<int64_t> s = {shapes[i][0]};
    if (shapes[i][1])
      s.push_back(shapes[i][1]);
    params.push_back(
        at::from_blob(const_cast<float *>(pd[i]), s).clone().requires_grad_());
  }
}

extern "C" void aten_large_step(double lr) {
  at::Tensor h1 = at::relu(at::add(at::matmul(x, params[0]), params[1]));
  at::Tensor h2 = at::relu(at::add(at::matmul(h1, params[2]), params[3]));
  at::Tensor logits = at::add(at::matmul(h2, params[4]), params[5]);
  at::Tensor loss = at::cross_entropy_loss(logits, y);
  loss.backward();
  at::NoGradGuard no_grad;
  for (at::Tensor &p : params) {
    p.add_(p.grad(), -lr);
    p.mutable_grad().zero_();
  }
}

extern "C" void aten_large_free(void) {
  params.clear();
  x = at::Tensor();
  y = at::Tensor();
}
