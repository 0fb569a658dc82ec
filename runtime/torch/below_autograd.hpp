// below_autograd.hpp - excluding dispatch keys for one call, as
// c10::impl::ExcludeDispatchKeyGuard does, but inline: the guard's
// constructor and destructor live in libc10 and each finds the thread's
// dispatch-key state through __tls_get_addr; here the state's address is
// looked up once per thread and kept in static TLS (tensor_core.cpp). Used
// by ops_support.hpp's BelowAutograd.
#ifndef TSMEM_RUNTIME_TORCH_BELOW_AUTOGRAD_HPP
#define TSMEM_RUNTIME_TORCH_BELOW_AUTOGRAD_HPP

#include <c10/core/DispatchKeySet.h>
#include <c10/core/impl/LocalDispatchKeySet.h>

namespace tsb {

using KeyState = c10::impl::PODLocalDispatchKeySet;
// This thread's c10::impl::raw_local_dispatch_key_set, once looked up.
extern __thread KeyState *tls_keys
    __attribute__((tls_model("initial-exec"), visibility("hidden")));
KeyState *tls_keys_init() __attribute__((visibility("hidden")));

// Adds `ks` to the thread's excluded dispatch keys until destroyed (keys
// already excluded stay so afterwards).
class Exclude {
public:
  Exclude() = default;
  Exclude(const Exclude &) = delete;
  Exclude &operator=(const Exclude &) = delete;
  void on(c10::DispatchKeySet ks) {
    KeyState *k = tls_keys;
    if (__builtin_expect(k == nullptr, 0))
      k = tls_keys_init();
    c10::DispatchKeySet ex = k->excluded();
    added_ = ks - ex;
    if (!added_.empty()) {
      k->set_excluded(ex | added_);
      k_ = k;
    }
  }
  ~Exclude() {
    if (k_)
      k_->set_excluded(k_->excluded() - added_);
  }

private:
  KeyState *k_ = nullptr;
  c10::DispatchKeySet added_;
};

} // namespace tsb

#endif // TSMEM_RUNTIME_TORCH_BELOW_AUTOGRAD_HPP
