// mlp_aten.cpp - the benchmark's MLP training step written directly against
// libtorch's C++ API (ATen), the baseline the tsmem C API is measured
// against. Same ops as bench.c's tsmem step and mlp_torch.py.

#include "mlp.h"

#include <ATen/ATen.h>
#include <c10/core/CPUAllocator.h>

#include <vector>

struct aten_mlp {
  at::Tensor x, y, w1, b1, w2, b2;
};

namespace {

at::Tensor from(const float *data, at::IntArrayRef shape) {
  return at::from_blob(const_cast<float *>(data), shape, at::kFloat).clone();
}

} // namespace

extern "C" {

aten_mlp *aten_mlp_new(const mlp_data *d) {
  auto *m = new aten_mlp;
  m->x = from(d->x, {MLP_BATCH, MLP_IN});
  m->y = at::from_blob(const_cast<int64_t *>(d->y), {MLP_BATCH}, at::kLong)
             .clone();
  m->w1 = from(d->w1, {MLP_IN, MLP_HIDDEN}).requires_grad_(true);
  m->b1 = from(d->b1, {MLP_HIDDEN}).requires_grad_(true);
  m->w2 = from(d->w2, {MLP_HIDDEN, MLP_CLASSES}).requires_grad_(true);
  m->b2 = from(d->b2, {MLP_CLASSES}).requires_grad_(true);
  return m;
}

void aten_mlp_step(aten_mlp *m) {
  at::Tensor h = at::relu(at::add(at::matmul(m->x, m->w1), m->b1));
  at::Tensor logits = at::add(at::matmul(h, m->w2), m->b2);
  at::Tensor loss = at::cross_entropy_loss(logits, m->y);
  loss.backward();
  at::NoGradGuard no_grad;
  for (at::Tensor *p : {&m->w1, &m->b1, &m->w2, &m->b2}) {
    p->add_(p->grad(), -MLP_LR);
    p->mutable_grad().zero_();
  }
}

double aten_mlp_loss(aten_mlp *m) {
  at::NoGradGuard no_grad;
  at::Tensor h = at::relu(at::add(at::matmul(m->x, m->w1), m->b1));
  at::Tensor logits = at::add(at::matmul(h, m->w2), m->b2);
  return at::cross_entropy_loss(logits, m->y).item<double>();
}

void aten_mlp_free(aten_mlp *m) { delete m; }

void aten_default_allocator(int on) {
  // Priority 1, tsmem's: SetAllocator replaces an allocator of equal or
  // lower priority only.
  static c10::Allocator *installed;
  if (on) {
    installed = c10::GetAllocator(c10::DeviceType::CPU);
    c10::SetAllocator(c10::DeviceType::CPU, c10::GetDefaultCPUAllocator(), 1);
  } else if (installed) {
    c10::SetAllocator(c10::DeviceType::CPU, installed, 1);
  }
}

void aten_add_loop(int iters) {
  static const at::Tensor a = at::ones({4}), b = at::ones({4});
  for (int i = 0; i < iters; i++) {
    at::Tensor c = at::add(a, b);
    asm volatile("" : : "r"(c.unsafeGetTensorImpl()) : "memory");
  }
}

} // extern "C"

namespace {
const at::Tensor &a44() {
  static const at::Tensor t = at::ones({4, 4});
  return t;
}
const at::Tensor &b44() {
  static const at::Tensor t = at::ones({4, 4});
  return t;
}
} // namespace

extern "C" {

void aten_add44_loop(int iters) {
  const at::Tensor &a = a44(), &b = b44();
  for (int i = 0; i < iters; i++) {
    at::Tensor c = at::add(a, b);
    asm volatile("" : : "r"(c.unsafeGetTensorImpl()) : "memory");
  }
}

void aten_zeros44_loop(int iters) {
  for (int i = 0; i < iters; i++) {
    at::Tensor c = at::zeros({4, 4});
    asm volatile("" : : "r"(c.unsafeGetTensorImpl()) : "memory");
  }
}

void aten_relu44_loop(int iters) {
  const at::Tensor &a = a44();
  for (int i = 0; i < iters; i++) {
    at::Tensor c = at::relu(a);
    asm volatile("" : : "r"(c.unsafeGetTensorImpl()) : "memory");
  }
}

void aten_add44_scope_loop(int iters) {
  const at::Tensor &a = a44(), &b = b44();
  for (int i = 0; i < iters; i += 8) {
    at::Tensor c[8];
    for (int k = 0; k < 8; k++)
      c[k] = at::add(a, b);
    asm volatile("" : : "r"(c[7].unsafeGetTensorImpl()) : "memory");
  }
}

} // extern "C"
