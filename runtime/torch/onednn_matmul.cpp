// onednn_matmul.cpp - large float32 products through oneDNN's matmul
// primitive, each thread with its own primitives, stream and scratchpad
// (onednn_matmul.hpp says why).
//
// oneDNN's C API (2.x, libdnnl.so.2, the one Debian's libtorch loads) is
// taken from libdnnl-dev's header and its functions looked up at run time,
// as gemm.cpp does for dnnl_sgemm: the runtime links no libdnnl of its own.
// Without the header every product stays with dnnl_sgemm.

#include "onednn_matmul.hpp"

#include <cstdlib>
#include <cstring>
#include <dlfcn.h>

#if __has_include(<oneapi/dnnl/dnnl.h>)
#include <ATen/Parallel.h>
#include <oneapi/dnnl/dnnl.h>
#define TSO_HAVE_DNNL_H 1
#endif

namespace tso {

void *dnnl_symbol(const char *name) {
  void *f = dlsym(RTLD_DEFAULT, name);
  if (!f) {
    // Kept open: its functions are called until the process exits.
    static void *h = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_LOCAL);
    if (h)
      f = dlsym(h, name);
  }
  return f;
}

#ifndef TSO_HAVE_DNNL_H

bool matmul(char, char, int64_t, int64_t, int64_t, float, const float *,
            int64_t, const float *, int64_t, float, float *, int64_t, int *) {
  return false;
}

#else

namespace {

// The products it takes: each dimension at least this. Below it, or with a
// skinny operand (n = 10, m = 32), dnnl_sgemm is as fast or faster (1.2-1.8x
// for 1x64 @ 64x64, 32x512 @ 512x512, 512x256 @ 256x10), and its buffers
// are small (bench/README.md, "Matrix products through oneDNN").
constexpr int64_t MIN_DIM = 128;

#define TSO_DNNL_FUNCTIONS(X)                                                  \
  X(dnnl_engine_create)                                                        \
  X(dnnl_stream_create)                                                        \
  X(dnnl_stream_wait)                                                          \
  X(dnnl_stream_destroy)                                                       \
  X(dnnl_memory_desc_init_by_strides)                                          \
  X(dnnl_memory_desc_get_size)                                                 \
  X(dnnl_matmul_desc_init)                                                     \
  X(dnnl_primitive_attr_create)                                                \
  X(dnnl_primitive_attr_destroy)                                               \
  X(dnnl_primitive_attr_set_scratchpad_mode)                                   \
  X(dnnl_primitive_attr_set_output_scales)                                     \
  X(dnnl_primitive_attr_set_post_ops)                                          \
  X(dnnl_post_ops_create)                                                      \
  X(dnnl_post_ops_append_sum)                                                  \
  X(dnnl_post_ops_destroy)                                                     \
  X(dnnl_primitive_desc_create)                                                \
  X(dnnl_primitive_desc_destroy)                                               \
  X(dnnl_primitive_desc_query)                                                 \
  X(dnnl_primitive_desc_query_md)                                              \
  X(dnnl_primitive_create)                                                     \
  X(dnnl_primitive_destroy)                                                    \
  X(dnnl_primitive_execute)                                                    \
  X(dnnl_memory_create)                                                        \
  X(dnnl_memory_destroy)                                                       \
  X(dnnl_memory_set_data_handle)

// oneDNN's functions and the CPU engine, found once; ok false without them
// or with TSMEM_GEMM=sgemm (every product through dnnl_sgemm).
struct Api {
#define TSO_MEMBER(f) decltype(&::f) f = nullptr;
  TSO_DNNL_FUNCTIONS(TSO_MEMBER)
#undef TSO_MEMBER
  dnnl_engine_t engine = nullptr;
  bool ok = false;

  Api() {
    const char *e = std::getenv("TSMEM_GEMM");
    if (e && std::strcmp(e, "sgemm") == 0)
      return;
#define TSO_FIND(f)                                                            \
  if (!(f = reinterpret_cast<decltype(&::f)>(dnnl_symbol(#f))))                \
    return;
    TSO_DNNL_FUNCTIONS(TSO_FIND)
#undef TSO_FIND
    // Kept until the process exits, as libtorch keeps its own.
    ok = dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success;
  }
};

const Api &api() {
  static const Api a;
  return a;
}

// One product's shape, layouts, scalars and thread count.
struct Key {
  char ta, tb;
  int64_t m, n, k, lda, ldb, ldc;
  float alpha, beta;
  int threads;
  bool operator==(const Key &o) const {
    return ta == o.ta && tb == o.tb && m == o.m && n == o.n && k == o.k &&
           lda == o.lda && ldb == o.ldb && ldc == o.ldc &&
           std::memcmp(&alpha, &o.alpha, sizeof alpha) == 0 &&
           std::memcmp(&beta, &o.beta, sizeof beta) == 0 &&
           threads == o.threads;
  }
};

// A primitive for one Key with its memory objects (their data pointers are
// set on each call); prim nullptr when oneDNN refused the product or only
// has an implementation that allocates (gemm-based).
struct Entry {
  Key key{};
  dnnl_primitive_t prim = nullptr;
  dnnl_memory_t a = nullptr, b = nullptr, c = nullptr, scratch = nullptr;
  size_t scratch_size = 0;
  unsigned long used = 0; // for least-recently-used replacement
  bool filled = false;

  void clear() {
    const Api &x = api();
    for (dnnl_memory_t m : {a, b, c, scratch})
      if (m)
        x.dnnl_memory_destroy(m);
    if (prim)
      x.dnnl_primitive_destroy(prim);
    *this = Entry();
  }
};

dnnl_memory_desc_t matrix(int64_t rows, int64_t cols, bool trans, int64_t ld) {
  dnnl_memory_desc_t md;
  dnnl_dims_t dims = {rows, cols};
  dnnl_dims_t strides = {trans ? 1 : ld, trans ? ld : 1};
  if (api().dnnl_memory_desc_init_by_strides(&md, 2, dims, dnnl_f32, strides) !=
      dnnl_success)
    md.ndims = 0;
  return md;
}

// Fills e for key (e.prim stays nullptr when oneDNN will not do it).
void make(Entry &e, const Key &key) {
  const Api &x = api();
  e.key = key;
  e.filled = true;
  dnnl_memory_desc_t a = matrix(key.m, key.k, key.ta == 'T', key.lda);
  dnnl_memory_desc_t b = matrix(key.k, key.n, key.tb == 'T', key.ldb);
  dnnl_memory_desc_t c = matrix(key.m, key.n, false, key.ldc);
  dnnl_matmul_desc_t d;
  if (!a.ndims || !b.ndims || !c.ndims ||
      x.dnnl_matmul_desc_init(&d, &a, &b, nullptr, &c) != dnnl_success)
    return;
  dnnl_primitive_attr_t attr;
  if (x.dnnl_primitive_attr_create(&attr) != dnnl_success)
    return;
  bool ok = x.dnnl_primitive_attr_set_scratchpad_mode(
                attr, dnnl_scratchpad_mode_user) == dnnl_success;
  if (ok && key.alpha != 1)
    ok = x.dnnl_primitive_attr_set_output_scales(attr, 1, 0, &key.alpha) ==
         dnnl_success;
  if (ok && key.beta != 0) {
    // c = alpha a b + beta c: the sum post-op adds beta times c's old value.
    dnnl_post_ops_t po;
    ok = x.dnnl_post_ops_create(&po) == dnnl_success;
    if (ok) {
      ok = x.dnnl_post_ops_append_sum(po, key.beta) == dnnl_success &&
           x.dnnl_primitive_attr_set_post_ops(attr, po) == dnnl_success;
      x.dnnl_post_ops_destroy(po);
    }
  }
  dnnl_primitive_desc_t pd = nullptr;
  if (ok)
    ok = x.dnnl_primitive_desc_create(&pd, &d, attr, x.engine, nullptr) ==
         dnnl_success;
  x.dnnl_primitive_attr_destroy(attr);
  if (!ok)
    return;
  // The brgemm kernels take every buffer from the scratchpad; the
  // gemm-based implementation calls sgemm's driver, which allocates.
  const char *impl = nullptr;
  const dnnl_memory_desc_t *smd =
      x.dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
  if (x.dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) ==
          dnnl_success &&
      impl && std::strncmp(impl, "brg", 3) == 0 && smd &&
      x.dnnl_primitive_create(&e.prim, pd) == dnnl_success) {
    e.scratch_size = x.dnnl_memory_desc_get_size(smd);
    if (x.dnnl_memory_create(&e.a, &a, x.engine, DNNL_MEMORY_NONE) ||
        x.dnnl_memory_create(&e.b, &b, x.engine, DNNL_MEMORY_NONE) ||
        x.dnnl_memory_create(&e.c, &c, x.engine, DNNL_MEMORY_NONE) ||
        x.dnnl_memory_create(&e.scratch, smd, x.engine, DNNL_MEMORY_NONE)) {
      e.clear();
      e.key = key;
      e.filled = true;
    }
  }
  x.dnnl_primitive_desc_destroy(pd);
}

// This thread's primitives (the few shapes a training loop repeats), its
// stream and its scratchpad, which only grows.
struct Cache {
  static constexpr int N = 8;
  Entry entries[N];
  unsigned long clock = 0;
  dnnl_stream_t stream = nullptr;
  void *scratch = nullptr;
  size_t scratch_size = 0;

  ~Cache() {
    for (Entry &e : entries)
      e.clear();
    if (stream)
      api().dnnl_stream_destroy(stream);
    std::free(scratch);
  }

  Entry &find(const Key &key) {
    Entry *oldest = &entries[0];
    for (Entry &e : entries) {
      if (e.filled && e.key == key) {
        e.used = ++clock;
        return e;
      }
      if (!e.filled || (oldest->filled && e.used < oldest->used))
        oldest = &e;
    }
    oldest->clear();
    make(*oldest, key);
    oldest->used = ++clock;
    return *oldest;
  }

  // At least size bytes of scratchpad, 64-byte aligned; nullptr without.
  void *scratchpad(size_t size) {
    if (size > scratch_size) {
      std::free(scratch);
      const size_t rounded = (size + 4095) & ~size_t(4095);
      scratch = std::aligned_alloc(4096, rounded);
      scratch_size = scratch ? rounded : 0;
    }
    return scratch;
  }
};

thread_local Cache cache;

} // namespace

bool matmul(char transa, char transb, int64_t m, int64_t n, int64_t k,
            float alpha, const float *a, int64_t lda, const float *b,
            int64_t ldb, float beta, float *c, int64_t ldc, int *status) {
  if (m < MIN_DIM || n < MIN_DIM || k < MIN_DIM)
    return false;
  const Api &x = api();
  if (!x.ok)
    return false;
  Cache &cc = cache;
  if (!cc.stream &&
      x.dnnl_stream_create(&cc.stream, x.engine, dnnl_stream_default_flags) !=
          dnnl_success) {
    cc.stream = nullptr;
    return false;
  }
  const Key key{transa,
                transb,
                m,
                n,
                k,
                lda,
                ldb,
                ldc,
                alpha,
                beta,
                at::get_num_threads()};
  Entry &e = cc.find(key);
  if (!e.prim)
    return false;
  void *s = cc.scratchpad(e.scratch_size);
  if (!s && e.scratch_size)
    return false;
  x.dnnl_memory_set_data_handle(e.a, const_cast<float *>(a));
  x.dnnl_memory_set_data_handle(e.b, const_cast<float *>(b));
  x.dnnl_memory_set_data_handle(e.c, c);
  x.dnnl_memory_set_data_handle(e.scratch, s);
  const dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, e.a},
                                  {DNNL_ARG_WEIGHTS, e.b},
                                  {DNNL_ARG_DST, e.c},
                                  {DNNL_ARG_SCRATCHPAD, e.scratch}};
  dnnl_status_t st =
      x.dnnl_primitive_execute(e.prim, cc.stream, e.scratch_size ? 4 : 3, args);
  if (st == dnnl_success)
    st = x.dnnl_stream_wait(cc.stream);
  *status = (int)st;
  return true;
}

#endif // TSO_HAVE_DNNL_H

} // namespace tso
