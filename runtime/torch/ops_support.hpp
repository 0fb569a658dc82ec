// ops_support.hpp - what the generated operator shards (tools/gen-ops)
// share: pinned handles, argument conversions, and the exception barrier
// around one at::_ops call with the wrapping of its results.
//
// Every generated function has the same shape: unwrap (pin) each tensor
// argument, check what C can check, call at::_ops::<op>::call behind the
// barrier, wrap new results into the current scope. The Pin objects unpin on
// every exit. Only ATen/core/Tensor.h is included here; each shard includes
// the ATen/ops/<op>_ops.h headers it uses, which keeps the shards cheap to
// compile.
#ifndef TSMEM_RUNTIME_TORCH_OPS_SUPPORT_HPP
#define TSMEM_RUNTIME_TORCH_OPS_SUPPORT_HPP

#include "../internal.h"
#include "tensor_core.h"
#include <tsmem/ops.h>

#include <ATen/core/List.h>
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/impl/LocalDispatchKeySet.h>

#include "below_autograd.hpp"

#include <array>
#include <cmath>
#include <tuple>
#include <vector>

namespace tsc {
// core.hpp's, repeated here so that the shards need not include ATen.h.
ts_status report_current(const char *call) noexcept;
inline at::ScalarType scalar_type(ts_dtype dtype) {
  static constexpr at::ScalarType table[] = {
      at::kFloat, at::kDouble, at::kInt,  at::kLong, at::kShort,
      at::kChar,  at::kByte,   at::kBool, at::kHalf, at::kBFloat16};
  return table[dtype];
}
} // namespace tsc

namespace tsg {

using ImplPtr = c10::intrusive_ptr<c10::TensorImpl, c10::UndefinedTensorImpl>;

inline c10::TensorImpl *impl(const tsc_tensor *t) {
  return reinterpret_cast<c10::TensorImpl *>(const_cast<tsc_tensor *>(t));
}

// The tensor arguments this thread's current call has pinned: how many carry
// no autograd state (no requires_grad, gradient, forward gradient, or
// differentiable view: no autograd meta at all) and how many do. Pin and
// PinList keep it; one() and same() read it.
struct ArgStats {
  int plain, autograd;
};
extern __thread ArgStats arg_stats
    __attribute__((tls_model("initial-exec"), visibility("hidden")));
inline bool count_arg(const c10::TensorImpl *t) {
  bool plain = t->autograd_meta() == nullptr;
  (plain ? arg_stats.plain : arg_stats.autograd)++;
  return plain;
}
inline void uncount_arg(bool plain) {
  (plain ? arg_stats.plain : arg_stats.autograd)--;
}

// How far below libtorch's autograd layer the operator of C name `call`
// may run when its tensor arguments are all plain (asked once per operator:
// a static in one() and same()):
//   BELOW_NONE  the normal path: the few operators whose autograd kernels do
//               more than record a graph (requires_grad_, detach, the
//               forward-AD duals, .data, version and leaf queries, ...);
//   BELOW_AUTOGRAD  skip the autograd kernels (every other operator);
//   BELOW_VIEWS  skip ADInplaceOrView too: the convolutions' new results,
//               which are never views and whose own autograd kernel runs
//               their inside below ADInplaceOrView anyway (below autograd
//               only, their inner views would be tracked: 2-5% slower).
enum BelowMode { BELOW_NONE, BELOW_AUTOGRAD, BELOW_VIEWS };
BelowMode below_autograd_mode(const char *call, bool new_result);

// The guard of one call: below autograd when the operator allows it and
// this thread's pinned arguments are all plain (a factory has none: with no
// tensor argument nothing it makes can require grad).
class BelowAutograd {
public:
  explicit BelowAutograd(BelowMode mode) {
    if (mode != BELOW_NONE && arg_stats.autograd == 0 && tsc_below_autograd)
      g_.on(mode == BELOW_VIEWS
                ? c10::autograd_dispatch_keyset_with_ADInplaceOrView
                : c10::autograd_dispatch_keyset);
  }

private:
  tsb::Exclude g_;
};

// One tensor argument for the length of a call: the handle pinned, and an
// at::Tensor borrowing its reference (no reference-count traffic).
class Pin {
public:
  Pin() = default;
  Pin(const Pin &) = delete;
  Pin &operator=(const Pin &) = delete;
  ~Pin() {
    if (h_) {
      uncount_arg(plain_);
      (void)t_.unsafeReleaseTensorImpl();
      ts__unpin(h_);
    }
  }
  // A required tensor: NULL or stale sets the error and gives false.
  bool get(const ts_tensor *h, const char *call, const char *arg) {
    tsc_tensor *x = ts__unwrap(h, call, arg);
    if (!x)
      return false;
    h_ = h;
    plain_ = count_arg(impl(x));
    t_ = at::Tensor(ImplPtr::reclaim(impl(x)));
    return true;
  }
  // An optional tensor: NULL is None.
  bool opt(const ts_tensor *h, const char *call, const char *arg) {
    return !h || get(h, call, arg);
  }
  at::Tensor &operator*() { return t_; }
  c10::optional<at::Tensor> optional() const {
    return h_ ? c10::optional<at::Tensor>(t_) : c10::nullopt;
  }

private:
  const ts_tensor *h_ = nullptr;
  bool plain_ = false;
  at::Tensor t_;
};

// A list of tensor arguments (Tensor[] or, with NULL entries, Tensor?[]).
class PinList {
public:
  PinList() = default;
  PinList(const PinList &) = delete;
  PinList &operator=(const PinList &) = delete;
  ~PinList() {
    for (size_t i = 0; i < t_.size(); i++)
      if (t_[i].defined()) {
        uncount_arg(t_[i].unsafeGetTensorImpl()->autograd_meta() == nullptr);
        (void)t_[i].unsafeReleaseTensorImpl();
        ts__unpin(h_[i]);
      }
  }
  bool get(const ts_tensor *const *h, int n, const char *call, const char *arg,
           bool optional = false) {
    if (n < 0 || (n > 0 && !h)) {
      ts__fail(n < 0 ? TS_ERR_ARG : TS_ERR_NULL, call,
               "%s is %s with count %d; pass an array of count tensors", arg,
               h ? "an array" : "NULL", n);
      return false;
    }
    h_ = h;
    t_.reserve((size_t)n);
    for (int i = 0; i < n; i++) {
      if (!h[i] && optional) {
        t_.emplace_back();
        continue;
      }
      char name[96];
      snprintf(name, sizeof name, "%s[%d]", arg, i);
      tsc_tensor *x = ts__unwrap(h[i], call, name);
      if (!x)
        return false;
      count_arg(impl(x));
      t_.emplace_back(ImplPtr::reclaim(impl(x)));
    }
    return true;
  }
  at::TensorList list() const { return t_; }
  c10::List<c10::optional<at::Tensor>> optlist() const {
    c10::List<c10::optional<at::Tensor>> l;
    l.reserve(t_.size());
    for (const at::Tensor &t : t_)
      l.push_back(t.defined() ? c10::optional<at::Tensor>(t) : c10::nullopt);
    return l;
  }

private:
  const ts_tensor *const *h_ = nullptr;
  std::vector<at::Tensor> t_;
};

// ------------------------------------------------------------ arguments --

bool check_str(const char *call, const char *arg, const char *s);
bool check_list(const char *call, const char *arg, const void *v, int n,
                bool optional);
bool check_count(const char *call, const char *arg, const void *v, int n,
                 int want);
bool check_out(const char *call, const void *out);
// check_out for n result slots, which it sets to NULL: a call that fails,
// whatever the reason, leaves none of them holding a stale value.
inline bool check_out_n(const char *call, ts_tensor **out, int n) {
  if (!check_out(call, out))
    return false;
  for (int i = 0; i < n; i++)
    out[i] = nullptr;
  return true;
}
bool check_list_out(const char *call, ts_tensor **out, int cap, int *count);

inline at::IntArrayRef ints(const int64_t *v, int n) {
  return n > 0 ? at::IntArrayRef(v, (size_t)n) : at::IntArrayRef();
}
inline at::OptionalIntArrayRef opt_ints(const int64_t *v, int n) {
  if (!v && n < 0)
    return c10::nullopt;
  return ints(v, n);
}
inline at::OptionalSymIntArrayRef opt_symints(const int64_t *v, int n) {
  if (!v && n < 0)
    return c10::nullopt;
  return c10::fromIntArrayRef(ints(v, n));
}
inline c10::optional<at::ArrayRef<double>> opt_doubles(const double *v, int n) {
  if (!v && n < 0)
    return c10::nullopt;
  return n > 0 ? at::ArrayRef<double>(v, (size_t)n) : at::ArrayRef<double>();
}
template <size_t N> std::array<bool, N> bools(const bool *v) {
  std::array<bool, N> a;
  for (size_t i = 0; i < N; i++)
    a[i] = v[i];
  return a;
}
inline c10::optional<int64_t> opt_int(int64_t v) {
  return v == TS_NO_INT ? c10::nullopt : c10::optional<int64_t>(v);
}
inline c10::optional<c10::SymInt> opt_symint(int64_t v) {
  return v == TS_NO_INT ? c10::nullopt
                        : c10::optional<c10::SymInt>(c10::SymInt(v));
}
inline c10::optional<double> opt_double(double v) {
  return std::isnan(v) ? c10::nullopt : c10::optional<double>(v);
}
inline c10::optional<at::Scalar> opt_scalar(double v) {
  return std::isnan(v) ? c10::nullopt : c10::optional<at::Scalar>(v);
}
inline c10::optional<bool> opt_bool(int v) {
  return v < 0 ? c10::nullopt : c10::optional<bool>(v != 0);
}
inline c10::optional<at::ScalarType> opt_dtype(ts_dtype v) {
  return v == TS_NO_DTYPE ? c10::nullopt
                          : c10::optional<at::ScalarType>(tsc::scalar_type(v));
}
inline c10::optional<c10::string_view> opt_str(const char *s) {
  return s ? c10::optional<c10::string_view>(s) : c10::nullopt;
}
// Device strings ("cpu", "cuda:0"): a bad one throws inside the barrier.
inline at::Device device(const char *s) { return at::Device(std::string(s)); }
inline c10::optional<at::Device> opt_device(const char *s) {
  return s ? c10::optional<at::Device>(device(s)) : c10::nullopt;
}

// -------------------------------------------------------------- results --

inline tsc_tensor *adopt(at::Tensor &&t) {
  return reinterpret_cast<tsc_tensor *>(t.unsafeReleaseTensorImpl());
}

// Wraps one new result into the current scope; an undefined result (a
// gradient libtorch did not compute) is NULL without an error.
inline ts_tensor *wrap(at::Tensor &&t, const char *call, void *ret,
                       ts__site site) {
  if (!t.defined())
    return nullptr;
  ts__pending_site = site;
  return ts__wrap_at(adopt(std::move(t)), call, ret);
}

// Frees what a failed multi-result call already wrapped.
void undo(const char *call, ts_tensor **out, size_t n);

// An error-path hook that finds no cause of its own: libtorch's message
// stands.
struct NoCause {
  bool operator()() const { return true; }
};

// A call with one new result. why() runs only when f throws, inside the
// handler: it may report the cause in SPEC's words (and return false) or
// leave libtorch's message (true); the success path pays nothing for it.
template <class F, class H = NoCause>
ts_tensor *one(const char *call, void *ret, F &&f, H &&why = H()) noexcept {
  static const BelowMode below_mode = below_autograd_mode(call, true);
  try {
    at::Tensor t;
    {
      BelowAutograd below(below_mode);
      t = f();
    }
    if (!t.defined()) {
      ts__ok_fast();
      return nullptr;
    }
    return ts__wrap_at(adopt(std::move(t)), call, ret);
  } catch (...) {
    if (why())
      tsc::report_current(call);
    return nullptr;
  }
}

// An in-place or out= call: the result is the tensor h was given.
template <class F>
ts_tensor *same(const char *call, const ts_tensor *h, F &&f) noexcept {
  static const BelowMode below_mode = below_autograd_mode(call, false);
  try {
    {
      BelowAutograd below(below_mode);
      f();
    }
    ts__ok_fast();
    return const_cast<ts_tensor *>(h);
  } catch (...) {
    tsc::report_current(call);
    return nullptr;
  }
}

template <class F> ts_status status(const char *call, F &&f) noexcept {
  try {
    f();
    ts__ok_fast();
    return TS_OK;
  } catch (...) {
    return tsc::report_current(call);
  }
}

template <class Tuple, size_t... I>
ts_status wrap_tuple(Tuple &&r, const char *call, void *ret, ts_tensor **out,
                     std::index_sequence<I...>) {
  ts__site site = ts__pending_site;
  ts__ok_fast();
  ts_status st = TS_OK;
  size_t done = 0;
  auto one_result = [&](at::Tensor &&t, size_t i) {
    if (st != TS_OK) {
      out[i] = nullptr;
      return;
    }
    bool made = t.defined();
    out[i] = wrap(std::move(t), call, ret, site);
    if (made && !out[i])
      st = ts_last_status();
    done = i + 1;
  };
  (one_result(std::move(std::get<I>(r)), I), ...);
  ts__pending_site = TS__NO_SITE;
  if (st != TS_OK)
    undo(call, out, done);
  return st;
}

// Several new results into out[0..N).
template <class F>
ts_status many(const char *call, void *ret, ts_tensor **out, F &&f) noexcept {
  try {
    auto r = f();
    constexpr size_t n = std::tuple_size<decltype(r)>::value;
    return wrap_tuple(std::move(r), call, ret, out,
                      std::make_index_sequence<n>());
  } catch (...) {
    return tsc::report_current(call);
  }
}

// A list of new results into out[0..cap), *count set to its length.
ts_status wrap_list(std::vector<at::Tensor> &&v, const char *call, void *ret,
                    ts_tensor **out, int cap, int *count);
template <class F>
ts_status list(const char *call, void *ret, ts_tensor **out, int cap,
               int *count, F &&f) noexcept {
  try {
    return wrap_list(f(), call, ret, out, cap, count);
  } catch (...) {
    return tsc::report_current(call);
  }
}

// One value result (bool, int, float, Scalar, ScalarType) into *out.
inline void to_c(bool v, bool *out) { *out = v; }
inline void to_c(int64_t v, int64_t *out) { *out = v; }
inline void to_c(double v, double *out) { *out = v; }
inline void to_c(const at::Scalar &v, double *out) { *out = v.toDouble(); }
ts_dtype to_dtype(at::ScalarType t); // TS_NO_DTYPE outside ts_dtype
inline void to_c(at::ScalarType v, ts_dtype *out) { *out = to_dtype(v); }
template <class T, class F>
ts_status value(const char *call, T *out, F &&f) noexcept {
  try {
    to_c(f(), out);
    ts__ok_fast();
    return TS_OK;
  } catch (...) {
    return tsc::report_current(call);
  }
}

} // namespace tsg

#endif // TSMEM_RUNTIME_TORCH_OPS_SUPPORT_HPP
