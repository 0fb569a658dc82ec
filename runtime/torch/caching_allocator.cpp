// caching_allocator.cpp - the caching CPU allocator tsmem installs into
// libtorch (issue 18).
//
// Every CPU allocation libtorch makes (tensor storage, autograd's buffers,
// kernels' scratch) goes through c10's CPU allocator. glibc returns large
// freed blocks to the system (munmap, heap trimming), so a training step
// whose scope frees a few megabytes at once pays page faults on the next
// step. This allocator keeps freed blocks by size class instead (classes of
// 64 bytes up to 512, then four per power of two: at most 25% rounding), up
// to a bound (TSMEM_ALLOC_CACHE_MB, default 256; blocks over 256 MiB are
// never cached), and hands them back LIFO, warm. TSMEM_CACHING_ALLOCATOR=0
// leaves libtorch's allocator in place.
//
// Layout: a block is [64-byte header | data], 64-byte aligned like c10's own
// allocations; the data pointer is also the DataPtr's context, so
// raw_allocate works. Each size class has its own mutex and LIFO stack; the
// counters are atomics. Under AddressSanitizer a cached block's data is
// poisoned, so a use of freed tensor memory is still reported.
#include "core.hpp"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <vector>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TSC_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define TSC_ASAN 1
#endif
#if TSC_ASAN
#include <sanitizer/asan_interface.h>
#define TSC_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define TSC_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define TSC_POISON(p, n) ((void)(p), (void)(n))
#define TSC_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace {

constexpr size_t kAlign = 64;  // c10's gAlignment
constexpr size_t kHeader = 64; // keeps the data aligned
constexpr int kSmall = 8;      // 64, 128, ..., 512 bytes
constexpr int kMaxLog = 28;    // cached blocks are at most 2^28 bytes
constexpr int kClasses = kSmall + (kMaxLog - 9) * 4;
constexpr uint32_t kUncached = UINT32_MAX;
constexpr uint32_t kMagic = 0x75E0A11C;

struct Header {
  uint32_t cls; // size class, or kUncached
  uint32_t magic;
  size_t size; // bytes of data the block has room for
};

// The class of an n-byte request (n > 0), or -1 when it is not cached.
int class_of(size_t n) {
  if (n <= 512)
    return (int)((n + 63) / 64) - 1;
  int e = 63 - __builtin_clzll(n - 1); // 2^e < n <= 2^(e+1), e >= 9
  if (e >= kMaxLog)
    return -1;
  size_t step = (size_t)1 << (e - 2);
  size_t sub = (n - 1 - ((size_t)1 << e)) / step; // 0..3
  return kSmall + (e - 9) * 4 + (int)sub;
}

size_t class_size(int c) {
  if (c < kSmall)
    return (size_t)(c + 1) * 64;
  int e = 9 + (c - kSmall) / 4, sub = (c - kSmall) % 4;
  return ((size_t)1 << e) + (size_t)(sub + 1) * ((size_t)1 << (e - 2));
}

struct Bin {
  std::mutex mu;
  std::vector<void *> blocks; // data pointers, the warmest last
};

struct Cache {
  Bin bins[kClasses];
  size_t limit = 0;
  bool enabled = false;
  std::atomic<size_t> cached_bytes{0}, cached_blocks{0}, in_use_bytes{0};
  std::atomic<uint64_t> hits{0}, misses{0};
};

// Never destroyed: blocks may be freed by libtorch's static destructors,
// after ours would have run.
Cache &cache() {
  static Cache *c = new Cache;
  return *c;
}

Header *header_of(void *data) {
  return reinterpret_cast<Header *>(static_cast<char *>(data) - kHeader);
}

// Back to the system (unpoisoned first: the tail past a request, or the
// whole of a cached block, may be poisoned).
void free_block(void *data) {
  Header *h = header_of(data);
  TSC_UNPOISON(data, h->size);
  std::free(h);
}

void cached_delete(void *data) {
  if (!data)
    return;
  Cache &c = cache();
  Header *h = header_of(data);
  c.in_use_bytes.fetch_sub(h->size, std::memory_order_relaxed);
  if (h->cls == kUncached) {
    free_block(data);
    return;
  }
  // Reserve room under the bound first; over it, the block goes back to
  // the system.
  size_t size = h->size;
  if (c.cached_bytes.fetch_add(size, std::memory_order_relaxed) + size >
      c.limit) {
    c.cached_bytes.fetch_sub(size, std::memory_order_relaxed);
    free_block(data);
    return;
  }
  TSC_POISON(data, size);
  Bin &b = c.bins[h->cls];
  bool kept;
  {
    std::lock_guard<std::mutex> lock(b.mu);
    try {
      b.blocks.push_back(data);
      kept = true;
    } catch (...) {
      kept = false;
    }
  }
  if (kept) {
    c.cached_blocks.fetch_add(1, std::memory_order_relaxed);
  } else {
    c.cached_bytes.fetch_sub(size, std::memory_order_relaxed);
    free_block(data);
  }
}

class CachingAllocator final : public c10::Allocator {
public:
  c10::DataPtr allocate(size_t n) const override {
    c10::Device cpu(c10::DeviceType::CPU);
    if (n == 0)
      return {nullptr, nullptr, &cached_delete, cpu};
    Cache &c = cache();
    int cls = class_of(n);
    if (cls >= 0) {
      Bin &b = c.bins[cls];
      void *data = nullptr;
      {
        std::lock_guard<std::mutex> lock(b.mu);
        if (!b.blocks.empty()) {
          data = b.blocks.back();
          b.blocks.pop_back();
        }
      }
      if (data) {
        size_t size = class_size(cls);
        c.cached_bytes.fetch_sub(size, std::memory_order_relaxed);
        c.cached_blocks.fetch_sub(1, std::memory_order_relaxed);
        c.in_use_bytes.fetch_add(size, std::memory_order_relaxed);
        c.hits.fetch_add(1, std::memory_order_relaxed);
        TSC_UNPOISON(data, n);
        return {data, data, &cached_delete, cpu};
      }
    }
    size_t size = cls >= 0 ? class_size(cls) : n;
    void *base = nullptr;
    if (size > SIZE_MAX - kHeader ||
        posix_memalign(&base, kAlign, size + kHeader) != 0)
      throw std::bad_alloc();
    auto *h = static_cast<Header *>(base);
    h->cls = cls >= 0 ? (uint32_t)cls : kUncached;
    h->magic = kMagic;
    h->size = size;
    void *data = static_cast<char *>(base) + kHeader;
    TSC_POISON(static_cast<char *>(data) + n, size - n); // past the request
    c.in_use_bytes.fetch_add(size, std::memory_order_relaxed);
    c.misses.fetch_add(1, std::memory_order_relaxed);
    return {data, data, &cached_delete, cpu};
  }
  c10::DeleterFnPtr raw_deleter() const override { return &cached_delete; }
};

size_t env_size(const char *name, size_t dflt) {
  const char *v = std::getenv(name);
  if (!v || !*v)
    return dflt;
  char *end;
  unsigned long long x = std::strtoull(v, &end, 10);
  return *end ? dflt : (size_t)x;
}

} // namespace

extern "C" bool tsc_allocator_install(void) {
  static const bool installed = [] {
    const char *on = std::getenv("TSMEM_CACHING_ALLOCATOR");
    if (on && !std::strcmp(on, "0"))
      return false;
    Cache &c = cache();
    size_t mb = env_size("TSMEM_ALLOC_CACHE_MB", 256);
    c.limit = mb > SIZE_MAX / (1024 * 1024) ? SIZE_MAX : mb * 1024 * 1024;
    c.enabled = true;
    static CachingAllocator *alloc = new CachingAllocator;
    // Priority 1: above c10's default CPU allocator (0).
    c10::SetAllocator(c10::DeviceType::CPU, alloc, 1);
    return true;
  }();
  return installed;
}

extern "C" ts_allocator_cache_stats ts_allocator_stats(void) {
  Cache &c = cache();
  ts_allocator_cache_stats s;
  s.enabled = c.enabled;
  s.limit_bytes = c.limit;
  s.cached_bytes = c.cached_bytes.load(std::memory_order_relaxed);
  s.cached_blocks = c.cached_blocks.load(std::memory_order_relaxed);
  s.in_use_bytes = c.in_use_bytes.load(std::memory_order_relaxed);
  s.hits = c.hits.load(std::memory_order_relaxed);
  s.misses = c.misses.load(std::memory_order_relaxed);
  ts__ok_fast();
  return s;
}

extern "C" size_t ts_allocator_release_cache(void) {
  Cache &c = cache();
  size_t released = 0;
  for (int i = 0; i < kClasses; i++) {
    std::vector<void *> blocks;
    {
      std::lock_guard<std::mutex> lock(c.bins[i].mu);
      blocks.swap(c.bins[i].blocks);
    }
    size_t size = class_size(i);
    for (void *data : blocks)
      free_block(data);
    released += blocks.size() * size;
    c.cached_bytes.fetch_sub(blocks.size() * size, std::memory_order_relaxed);
    c.cached_blocks.fetch_sub(blocks.size(), std::memory_order_relaxed);
  }
  ts__ok_fast();
  return released;
}
