// tensor_core.cpp - libtorch behind the C interface of tensor_core.h:
// metadata, factories, buffers, settings and the exception barrier.
//
// A tsc_tensor* is a c10::TensorImpl* that carries one strong reference, so a
// handle costs no allocation beyond libtorch's own.

#include "below_autograd.hpp"
#include "core.hpp"

#include <ATen/Parallel.h>

#include <cstdlib>
#include <cstring>
#include <new>

namespace tsc {

namespace {

// The first line of a libtorch message, without the C++ backtrace.
struct Line {
  const char *text;
  int len;
};

Line first_line(const char *s) {
  // "[enforce fail at alloc_cpu.cpp:75] err == 0. " says nothing to a user.
  if (std::strncmp(s, "[enforce fail at ", 17) == 0) {
    const char *end = std::strstr(s, ". ");
    if (end)
      s = end + 2;
  }
  const char *nl = std::strchr(s, '\n');
  int len = nl ? (int)(nl - s) : (int)std::strlen(s);
  while (len > 0 && (s[len - 1] == '.' || s[len - 1] == ' '))
    len--; // the message goes on after it
  return {s, len};
}

bool contains(const std::string &s, const char *word) {
  return s.find(word) != std::string::npos;
}

// Sorts a libtorch message into the closest status; libtorch itself only
// distinguishes a few exception classes.
ts_status classify(const c10::Error &e) {
  const std::string &m = e.msg();
  if (contains(m, "can't allocate memory") || contains(m, "out of memory"))
    return TS_ERR_OOM;
  if (dynamic_cast<const c10::TypeError *>(&e) ||
      contains(m, "not implemented for") || contains(m, "dtype") ||
      contains(m, "scalar type"))
    return TS_ERR_DTYPE;
  if (contains(m, "shape") || contains(m, "size") || contains(m, "imension"))
    return TS_ERR_SHAPE;
  // Other index errors are values out of range (class ids, indices).
  if (dynamic_cast<const c10::IndexError *>(&e))
    return TS_ERR_ARG;
  return TS_ERR_TORCH;
}

const char *fix_for(ts_status st) {
  switch (st) {
  case TS_ERR_OOM:
    return "free tensors you no longer need or make smaller ones";
  case TS_ERR_DTYPE:
    return "convert the arguments to a dtype the operation supports";
  case TS_ERR_SHAPE:
    return "make the arguments' shapes fit the operation";
  case TS_ERR_ARG:
    return "keep the values in the range the operation accepts";
  default:
    return "check the arguments against the operation's requirements";
  }
}

} // namespace

ts_status report_current(const char *call) noexcept {
  try {
    throw;
  } catch (const std::bad_alloc &) {
    return ts__fail(TS_ERR_OOM, call,
                    "libtorch ran out of memory; free tensors you no longer "
                    "need or make smaller ones");
  } catch (const c10::Error &e) {
    ts_status st = classify(e);
    Line l = first_line(e.msg().c_str());
    return ts__fail(st, call, "libtorch: %.*s; %s", l.len, l.text, fix_for(st));
  } catch (const std::exception &e) {
    Line l = first_line(e.what());
    return ts__fail(TS_ERR_TORCH, call, "libtorch: %.*s; %s", l.len, l.text,
                    fix_for(TS_ERR_TORCH));
  } catch (...) {
    return ts__fail(TS_ERR_TORCH, call,
                    "libtorch raised an unknown exception; check the "
                    "arguments against the operation's requirements");
  }
}

} // namespace tsc

using namespace tsc;

namespace tsb {
__thread KeyState *tls_keys;
KeyState *tls_keys_init() {
  return tls_keys = &c10::impl::raw_local_dispatch_key_set;
}
} // namespace tsb

namespace {

template <class T> double read_as_double(const void *p) {
  return static_cast<double>(*static_cast<const T *>(p));
}

} // namespace

extern "C" {

// The caching allocator goes in when the runtime loads (after libtorch,
// which it depends on); from here, so that a static link pulls it in too.
static const bool tsc_allocator_installed = tsc_allocator_install();

static bool below_autograd_default() {
  const char *e = std::getenv("TSMEM_BELOW_AUTOGRAD");
  return !(e && std::strcmp(e, "0") == 0);
}
bool tsc_below_autograd = below_autograd_default();

void tsc_release(tsc_tensor *t) {
  if (t)
    ImplPtr::reclaim(impl(t)); // drops the reference on scope exit
}

int tsc_ndim(const tsc_tensor *t) { return (int)impl(t)->dim(); }

const int64_t *tsc_sizes(const tsc_tensor *t) {
  return impl(t)->sizes().data();
}

ts_dtype tsc_dtype(const tsc_tensor *t) {
  caffe2::TypeMeta meta = impl(t)->dtype();
  switch (meta.toScalarType()) {
  case at::kFloat:
    return TS_FLOAT32;
  case at::kDouble:
    return TS_FLOAT64;
  case at::kInt:
    return TS_INT32;
  case at::kLong:
    return TS_INT64;
  case at::kShort:
    return TS_INT16;
  case at::kChar:
    return TS_INT8;
  case at::kByte:
    return TS_UINT8;
  case at::kBool:
    return TS_BOOL;
  case at::kHalf:
    return TS_FLOAT16;
  case at::kBFloat16:
    return TS_BFLOAT16;
  default:
    return (ts_dtype)-1; // never made by tsmem
  }
}

size_t tsc_nbytes(const tsc_tensor *t) {
  return (size_t)impl(t)->numel() * impl(t)->itemsize();
}

int64_t tsc_numel(const tsc_tensor *t) { return impl(t)->numel(); }

bool tsc_requires_grad(const tsc_tensor *t) { return impl(t)->requires_grad(); }

size_t tsc_dtype_size(ts_dtype dtype) {
  return c10::elementSize(scalar_type(dtype));
}

const char *tsc_dtype_name(ts_dtype dtype) {
  static const char *const names[] = {"float32", "float64", "int32", "int64",
                                      "int16",   "int8",    "uint8", "bool",
                                      "float16", "bfloat16"};
  return (unsigned)dtype < sizeof names / sizeof names[0] ? names[dtype] : "?";
}

tsc_tensor *tsc_from_buffer(const char *call, const void *data,
                            const int64_t *shape, int ndim, ts_dtype dtype) {
  return guarded(call, [&] {
    at::Tensor t = at::empty(dims(shape, ndim),
                             at::TensorOptions().dtype(scalar_type(dtype)));
    if (t.numel() > 0)
      std::memcpy(t.data_ptr(), data, t.nbytes());
    return t;
  });
}

double tsc_item(const tsc_tensor *t) {
  if (impl(t)->layout() != at::kStrided) { // sparse, mkldnn: no data()
    try {
      return Borrowed(t)->to_dense().item<double>();
    } catch (...) {
      report_current("ts_item");
      return NAN;
    }
  }
  // Reads the element directly: no dispatcher, no exception path.
  const void *p = impl(t)->data();
  switch (tsc_dtype(t)) {
  case TS_FLOAT32:
    return read_as_double<float>(p);
  case TS_FLOAT64:
    return read_as_double<double>(p);
  case TS_INT32:
    return read_as_double<int32_t>(p);
  case TS_INT64:
    return read_as_double<int64_t>(p);
  case TS_INT16:
    return read_as_double<int16_t>(p);
  case TS_INT8:
    return read_as_double<int8_t>(p);
  case TS_UINT8:
    return read_as_double<uint8_t>(p);
  case TS_BOOL:
    return read_as_double<bool>(p);
  case TS_FLOAT16:
    return read_as_double<c10::Half>(p);
  case TS_BFLOAT16:
    return read_as_double<c10::BFloat16>(p);
  }
  return NAN;
}

ts_status tsc_copy_to_buffer(const char *call, const tsc_tensor *t, void *dst) {
  c10::TensorImpl *ti = impl(t);
  if (ti->numel() == 0)
    return TS_OK;
  bool strided = ti->layout() == at::kStrided; // sparse, mkldnn: no data()
  if (strided && ti->is_contiguous()) {
    std::memcpy(dst, ti->data(), tsc_nbytes(t));
    return TS_OK;
  }
  return guarded_status(call, [&] {
    Borrowed a(t);
    at::Tensor c = strided ? a->contiguous() : a->to_dense().contiguous();
    std::memcpy(dst, c.data_ptr(), c.nbytes());
  });
}

void tsc_manual_seed(uint64_t seed) {
  try {
    at::manual_seed(seed);
  } catch (...) {
    report_current("ts_manual_seed");
  }
}

void tsc_set_num_threads(int n) {
  try {
    at::set_num_threads(n);
  } catch (...) {
    report_current("ts_set_num_threads");
  }
}

} // extern "C"
