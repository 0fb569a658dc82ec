// checkpoint_zip.cpp - libtorch's torch.save zip container behind the C
// interface of checkpoint_zip.h, and in-place writes into tensors.

#include "checkpoint_zip.h"
#include "core.hpp"

#include <caffe2/serialize/inline_container.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>

namespace {

// Puts the first line of a message into why (TSC_WHY_SIZE bytes).
void set_why(char *why, const char *msg) {
  if (!why)
    return;
  size_t n = std::strcspn(msg, "\n");
  if (n >= TSC_WHY_SIZE)
    n = TSC_WHY_SIZE - 1;
  while (n > 0 && (msg[n - 1] == ' ' || msg[n - 1] == '.'))
    n--;
  std::memcpy(why, msg, n);
  why[n] = '\0';
}

// The barrier: every exception becomes a status and a reason.
template <class F> ts_status barrier(char *why, F &&f) noexcept {
  try {
    f();
    return TS_OK;
  } catch (const std::bad_alloc &) {
    set_why(why, "out of memory");
    return TS_ERR_OOM;
  } catch (const c10::Error &e) {
    set_why(why, e.msg().c_str());
    return TS_ERR_ARG;
  } catch (const std::exception &e) {
    set_why(why, e.what());
    return TS_ERR_ARG;
  } catch (...) {
    set_why(why, "unknown C++ exception");
    return TS_ERR_ARG;
  }
}

} // namespace

struct tsc_zip_writer {
  FILE *f = nullptr;
  bool failed = false; // a short fwrite: reported at the end, never thrown
  std::unique_ptr<caffe2::serialize::PyTorchStreamWriter> w;
};

struct tsc_zip_reader {
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> r;
};

extern "C" {

tsc_zip_writer *tsc_zip_writer_new(FILE *f, char *why) {
  tsc_zip_writer *zw = nullptr;
  ts_status st = barrier(why, [&] {
    std::unique_ptr<tsc_zip_writer> p(new tsc_zip_writer);
    p->f = f;
    tsc_zip_writer *raw = p.get();
    // The writer function always reports success: a failure inside miniz
    // would throw from the writer's destructor too. fwrite's errors are
    // remembered and reported by tsc_zip_writer_finish.
    p->w = std::make_unique<caffe2::serialize::PyTorchStreamWriter>(
        [raw](const void *data, size_t n) -> size_t {
          if (n && !raw->failed && std::fwrite(data, 1, n, raw->f) != n)
            raw->failed = true;
          return n;
        });
    zw = p.release();
  });
  return st == TS_OK ? zw : nullptr;
}

ts_status tsc_zip_writer_add(tsc_zip_writer *w, const char *name,
                             const void *data, size_t size, char *why) {
  return barrier(why, [&] { w->w->writeRecord(name, data, size); });
}

ts_status tsc_zip_writer_finish(tsc_zip_writer *w, char *why) {
  ts_status st = barrier(why, [&] { w->w->writeEndOfFile(); });
  if (st == TS_OK &&
      (w->failed || std::fflush(w->f) != 0 || std::ferror(w->f))) {
    set_why(why, std::strerror(errno ? errno : EIO));
    st = TS_ERR_ARG;
  }
  tsc_zip_writer_abort(w);
  return st;
}

void tsc_zip_writer_abort(tsc_zip_writer *w) {
  if (!w)
    return;
  try {
    delete w; // an unfinished writer finishes into the discarded file
  } catch (...) {
  }
}

ts_status tsc_zip_reader_open(const char *path, tsc_zip_reader **out,
                              char *why) {
  *out = nullptr;
  return barrier(why, [&] {
    std::unique_ptr<tsc_zip_reader> p(new tsc_zip_reader);
    p->r = std::make_unique<caffe2::serialize::PyTorchStreamReader>(
        std::string(path));
    *out = p.release();
  });
}

void tsc_zip_reader_close(tsc_zip_reader *r) { delete r; }

bool tsc_zip_reader_has(tsc_zip_reader *r, const char *name) {
  bool has = false;
  (void)barrier(nullptr, [&] { has = r->r->hasRecord(name); });
  return has;
}

ts_status tsc_zip_reader_read(tsc_zip_reader *r, const char *name, void **data,
                              size_t *size, char *why) {
  *data = nullptr;
  *size = 0;
  return barrier(why, [&] {
    auto rec = r->r->getRecord(name);
    size_t n = std::get<1>(rec);
    if (n == 0)
      return;
    void *buf = std::malloc(n);
    if (!buf)
      throw std::bad_alloc();
    std::memcpy(buf, std::get<0>(rec).get(), n);
    *data = buf;
    *size = n;
  });
}

ts_status tsc_copy_from_buffer(const char *call, tsc_tensor *t,
                               const void *src) {
  return tsc::guarded_status(call, [&] {
    tsc::Borrowed b(t);
    if (b->numel() == 0)
      return;
    at::NoGradGuard no_grad;
    at::Tensor from = at::from_blob(const_cast<void *>(src), b->sizes(),
                                    at::TensorOptions().dtype(b->dtype()));
    b->copy_(from);
  });
}

} // extern "C"
