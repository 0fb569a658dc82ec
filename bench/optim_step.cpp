// optim_step.cpp - one optimizer step (ts_optim_step of <tsmem/nn.h>)
// against the same update written in ATen from C++, both as torch.optim's
// single-tensor loop (one op after another, per parameter) and with the
// `_foreach_` ops (issue 18: "use the `_foreach_` ops for optimizer steps
// where faster and equivalent"). Two parameter sets: an MLP's (32-64-64-10,
// 6 tensors) and many small tensors (50 weights 16x16 and 50 biases 16).
// SGD with momentum 0.9 and Adam. As bench.c: rounds alternate the sides,
// the calling thread's CPU time, medians of per-round figures.
//
//   optim_step [rounds]        (default 101 rounds of 200 steps)

#include <tsmem/nn.h>

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <time.h>
#include <vector>

namespace {

double now() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

using Shapes = std::vector<std::vector<int64_t>>;

Shapes mlp6() { return {{64, 32}, {64}, {64, 64}, {64}, {10, 64}, {10}}; }

Shapes small100() {
  Shapes s;
  for (int i = 0; i < 50; i++) {
    s.push_back({16, 16});
    s.push_back({16});
  }
  return s;
}

// The C side: a store with the parameters, gradients from one backward.
struct CSide {
  ts_store *store = nullptr;
  ts_optim *optim = nullptr;
  CSide(const Shapes &shapes, bool adam) {
    store = ts_store_new();
    TS_SCOPE_GUARD();
    ts_tensor *loss = nullptr;
    for (size_t i = 0; i < shapes.size(); i++) {
      char key[32];
      std::snprintf(key, sizeof key, "p%zu", i);
      ts_tensor *p = ts_store_param(store, key, shapes[i].data(),
                                    (int)shapes[i].size(), TS_FLOAT32);
      ts_init_normal_(p, 0.0, 0.1);
      ts_tensor *l = ts_sum(ts_mul(p, p));
      loss = loss ? ts_add(loss, l) : l;
    }
    ts_backward(loss);
    ts_sgd_options sgd = ts_sgd_defaults(0.01);
    sgd.momentum = 0.9;
    optim = adam ? ts_optim_adam(store, ts_adam_defaults(1e-3))
                 : ts_optim_sgd(store, sgd);
    if (!optim) {
      std::fprintf(stderr, "optim_step: %s\n", ts_last_error());
      std::exit(1);
    }
  }
  ~CSide() { ts_store_free(store); }
  void step(long k) {
    for (long i = 0; i < k; i++)
      if (ts_optim_step(optim) != TS_OK) {
        std::fprintf(stderr, "optim_step: %s\n", ts_last_error());
        std::exit(1);
      }
  }
};

// The ATen side: the same updates as runtime/nn/optim.c, op for op.
struct ATenSide {
  std::vector<at::Tensor> p, g, buf, m, v;
  double step_count = 0;
  bool adam;
  ATenSide(const Shapes &shapes, bool adam_) : adam(adam_) {
    for (auto &s : shapes) {
      p.push_back(at::randn(s) * 0.1);
      g.push_back(p.back() * 2);
      buf.push_back(at::zeros(s));
      m.push_back(at::zeros(s));
      v.push_back(at::zeros(s));
    }
  }
  void loop(long k) {
    at::NoGradGuard no_grad;
    for (long it = 0; it < k; it++) {
      if (!adam) {
        for (size_t i = 0; i < p.size(); i++) {
          buf[i].mul_(0.9).add_(g[i], 1.0);
          p[i].add_(buf[i], -0.01);
        }
        continue;
      }
      step_count += 1;
      double bc1 = 1 - std::pow(0.9, step_count);
      double bc2 = std::sqrt(1 - std::pow(0.999, step_count));
      for (size_t i = 0; i < p.size(); i++) {
        m[i].mul_(0.9).add_(g[i], 0.1);
        v[i].mul_(0.999).addcmul_(g[i], g[i], 0.001);
        at::Tensor d = (v[i].sqrt() / bc2).add_(1e-8);
        p[i].addcdiv_(m[i], d, -1e-3 / bc1);
      }
    }
  }
  void foreach (long k) {
    at::NoGradGuard no_grad;
    for (long it = 0; it < k; it++) {
      if (!adam) {
        at::_foreach_mul_(buf, 0.9);
        at::_foreach_add_(buf, g, 1.0);
        at::_foreach_add_(p, buf, -0.01);
        continue;
      }
      step_count += 1;
      double bc1 = 1 - std::pow(0.9, step_count);
      double bc2 = std::sqrt(1 - std::pow(0.999, step_count));
      at::_foreach_mul_(m, 0.9);
      at::_foreach_add_(m, g, 0.1);
      at::_foreach_mul_(v, 0.999);
      at::_foreach_addcmul_(v, g, g, 0.001);
      std::vector<at::Tensor> d = at::_foreach_sqrt(v);
      at::_foreach_div_(d, bc2);
      at::_foreach_add_(d, 1e-8);
      at::_foreach_addcdiv_(p, m, d, -1e-3 / bc1);
    }
  }
};

} // namespace

int main(int argc, char **argv) {
  long rounds = argc > 1 ? std::atol(argv[1]) : 101, k = 200;
  ts_set_num_threads(1);
  struct {
    const char *name;
    Shapes shapes;
  } sets[] = {{"MLP 32-64-64-10 (6 tensors)", mlp6()},
              {"100 small tensors (16x16, 16)", small100()}};
  for (auto &set : sets)
    for (int adam = 0; adam < 2; adam++) {
      CSide c(set.shapes, adam);
      ATenSide a(set.shapes, adam);
      c.step(10), a.loop(10), a.foreach (10);
      std::vector<double> tc, tl, tf, rcl, rfl;
      for (long r = 0; r < rounds; r++) {
        double t0 = now();
        c.step(k);
        double t1 = now();
        a.loop(k);
        double t2 = now();
        a.foreach (k);
        double t3 = now();
        tc.push_back((t1 - t0) / k);
        tl.push_back((t2 - t1) / k);
        tf.push_back((t3 - t2) / k);
        rcl.push_back((t1 - t0) / (t2 - t1));
        rfl.push_back((t3 - t2) / (t2 - t1));
      }
      std::printf("%-30s %-5s ts_optim_step %7.2f us | ATen loop %7.2f us | "
                  "ATen _foreach_ %7.2f us | ts/loop %.3f, foreach/loop "
                  "%.3f\n",
                  set.name, adam ? "Adam" : "SGD", median(tc) * 1e6,
                  median(tl) * 1e6, median(tf) * 1e6, median(rcl), median(rfl));
    }
  return 0;
}
