// dist.cpp - libtorch's c10d behind dist_core.h: the process group (TCPStore
// + ProcessGroupGloo, set up the way torch.distributed.init_process_group
// sets up its default "gloo" group, so Python ranks can join), collectives
// with the signature check, work objects, the data-parallel helpers and
// DistributedSampler's permutation.
//
// Every entry point is behind the exception barrier: a c10d or Gloo error
// (a peer that closed its connection, a store timeout) becomes TS_ERR_TORCH
// with the rank and the first line of libtorch's message.

#define USE_C10D_GLOO 1 // what Debian's libtorch_cpu was built with

#include "tsmem/dist.h"
#include "dist_core.h"

#include "core.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace tsc;

namespace {

using ms = std::chrono::milliseconds;

// The group of this process. Reached only under `mu` except for the
// immutable fields read by tsd_rank and friends after init.
struct Group {
  c10::intrusive_ptr<c10d::Store> store; // the "default_pg" prefix store
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
  int rank = 0, world = 1;
  ms timeout{60000};
  bool check = false; // signatures exchanged before each collective
};

std::mutex mu;          // init, destroy, and the start of every collective
Group *group = nullptr; // never destroyed by exit: its threads just stop
std::atomic<bool> ready{false};
// Copies of the group's rank, size and timeout for the lock-free readers
// (tsd_rank, messages, waits), which must not touch a group being deleted.
std::atomic<int> cur_rank{-1}, cur_world{-1};
std::atomic<int64_t> cur_timeout_ms{0};

// The first line of an exception's message, without c10's backtrace and
// Gloo's "[file.cc:123] " prefix.
std::string first_line(const char *s) {
  std::string m(s);
  size_t nl = m.find('\n');
  if (nl != std::string::npos)
    m.resize(nl);
  if (!m.empty() && m[0] == '[') {
    size_t end = m.find("] ");
    if (end != std::string::npos && end < 200)
      m.erase(0, end + 2);
  }
  while (!m.empty() && (m.back() == '.' || m.back() == ' '))
    m.pop_back();
  return m;
}

// The fix to suggest for a c10d failure.
const char *fault_fix(const std::string &m) {
  if (m.find("imed out") != std::string::npos ||
      m.find("imeout") != std::string::npos)
    return "a rank did not arrive within the timeout (TSMEM_DIST_TIMEOUT, "
           "ts_dist_init's timeout_s): check that every rank was started, "
           "reaches the same collective, and can reach MASTER_ADDR";
  if (m.find("losed") != std::string::npos ||
      m.find("reset") != std::string::npos ||
      m.find("refused") != std::string::npos)
    return "a peer process exited or lost its connection; the group is "
           "unusable: call ts_dist_destroy and exit";
  return "the group is unusable after a failed collective: call "
         "ts_dist_destroy and exit";
}

// Reports the exception being handled as a failure of the collective `what`.
ts_status report_fault(const char *call, const char *what) noexcept {
  try {
    throw;
  } catch (const std::bad_alloc &) {
    return ts__fail(TS_ERR_OOM, call,
                    "out of memory; free tensors you no longer need");
  } catch (const std::exception &e) {
    std::string m = first_line(e.what());
    int rank = cur_rank.load();
    return ts__fail(TS_ERR_TORCH, call, "%s failed on rank %d: %s; %s", what,
                    rank, m.c_str(), fault_fix(m));
  } catch (...) {
    return ts__fail(TS_ERR_TORCH, call,
                    "%s failed with an unknown exception; the group is "
                    "unusable: call ts_dist_destroy and exit",
                    what);
  }
}

c10d::ReduceOp reduce_op(int op) {
  switch (op) {
  case TS_DIST_MAX:
    return c10d::ReduceOp::MAX;
  case TS_DIST_MIN:
    return c10d::ReduceOp::MIN;
  case TS_DIST_PRODUCT:
    return c10d::ReduceOp::PRODUCT;
  default: // SUM, and MEAN (Gloo has no AVG: the sum, divided afterwards)
    return c10d::ReduceOp::SUM;
  }
}

const char *kind_name(int64_t kind) {
  switch (kind) {
  case TSD_ALL_REDUCE:
    return "ts_dist_all_reduce";
  case TSD_BROADCAST:
    return "ts_dist_broadcast";
  case TSD_ALL_GATHER:
    return "ts_dist_all_gather";
  case TSD_REDUCE_SCATTER:
    return "ts_dist_reduce_scatter";
  case TSD_BARRIER:
    return "ts_dist_barrier";
  case TSD_AVERAGE_GRADIENTS:
    return "ts_dist_average_gradients";
  case TSD_BROADCAST_PARAMS:
    return "ts_dist_broadcast_params";
  default:
    return "an unknown collective";
  }
}

const char *op_name(int64_t op) {
  static const char *names[] = {"SUM", "MEAN", "MAX", "MIN", "PRODUCT"};
  return op >= 0 && op < 5 ? names[op] : "?";
}

// ------------------------------------------------------------ signatures

// What every rank must agree on before a collective moves data.
enum {
  SIG_MAGIC,
  SIG_KIND,
  SIG_OP,
  SIG_ROOT,
  SIG_DTYPE,
  SIG_NDIM,
  SIG_NUMEL,
  SIG_HASH,
  SIG_DIMS,
  SIG_MAXDIMS = 8,
  SIG_N = SIG_DIMS + SIG_MAXDIMS
};
constexpr int64_t kMagic = 0x7473646973; // "tsdis"

uint64_t fnv(uint64_t h, int64_t v) {
  for (int i = 0; i < 8; i++) {
    h ^= (uint64_t)(v >> (8 * i)) & 0xff;
    h *= 1099511628211ull;
  }
  return h;
}

struct Sig {
  int64_t v[SIG_N];
};

Sig make_sig(tsd_kind kind, int op, int root, const at::Tensor *t) {
  Sig s;
  std::fill(s.v, s.v + SIG_N, -1);
  s.v[SIG_MAGIC] = kMagic;
  s.v[SIG_KIND] = kind;
  s.v[SIG_OP] = op;
  s.v[SIG_ROOT] = root;
  if (t) {
    s.v[SIG_DTYPE] = (int64_t)t->scalar_type();
    s.v[SIG_NDIM] = t->dim();
    s.v[SIG_NUMEL] = t->numel();
    uint64_t h = 14695981039346656037ull;
    for (int64_t d = 0; d < t->dim(); d++) {
      h = fnv(h, t->size(d));
      if (d < SIG_MAXDIMS)
        s.v[SIG_DIMS + d] = t->size(d);
    }
    s.v[SIG_HASH] = (int64_t)(h >> 1);
  }
  return s;
}

// A signature over a list of tensors (the data-parallel helpers).
Sig make_list_sig(tsd_kind kind, int root, const std::vector<at::Tensor> &ts) {
  Sig s = make_sig(kind, 0, root, nullptr);
  uint64_t h = 14695981039346656037ull;
  int64_t numel = 0;
  for (const at::Tensor &t : ts) {
    h = fnv(h, (int64_t)t.scalar_type());
    h = fnv(h, t.dim());
    for (int64_t d = 0; d < t.dim(); d++)
      h = fnv(h, t.size(d));
    numel += t.numel();
  }
  s.v[SIG_NDIM] = (int64_t)ts.size();
  s.v[SIG_NUMEL] = numel;
  s.v[SIG_HASH] = (int64_t)(h >> 1);
  return s;
}

std::string describe(const int64_t *v, bool list) {
  if (v[SIG_MAGIC] != kMagic)
    return "something that is not a tsmem collective";
  std::string d = kind_name(v[SIG_KIND]);
  if (list)
    return d + " with " + std::to_string(v[SIG_NDIM]) + " tensors of " +
           std::to_string(v[SIG_NUMEL]) + " elements in all";
  if (v[SIG_DTYPE] < 0)
    return d;
  d += std::string(" on a ") + c10::toString((at::ScalarType)v[SIG_DTYPE]) +
       " tensor of shape [";
  for (int64_t i = 0; i < v[SIG_NDIM]; i++) {
    if (i)
      d += ", ";
    d += i < SIG_MAXDIMS ? std::to_string(v[SIG_DIMS + i]) : "...";
  }
  d += "]";
  if (v[SIG_KIND] == TSD_ALL_REDUCE || v[SIG_KIND] == TSD_REDUCE_SCATTER)
    d += std::string(" (") + op_name(v[SIG_OP]) + ")";
  if (v[SIG_KIND] == TSD_BROADCAST)
    d += " from root " + std::to_string(v[SIG_ROOT]);
  return d;
}

// All-gathers the signature and fails (TS_ERR_SHAPE, _DTYPE or _ARG, the
// same message on every rank) unless every rank sent the same one.
ts_status check_sig(const char *call, Group &g, const Sig &mine) {
  at::Tensor in = at::from_blob((void *)mine.v, {SIG_N}, at::kLong).clone();
  at::Tensor out = at::empty({g.world, SIG_N}, at::kLong);
  std::vector<std::vector<at::Tensor>> outs(1);
  for (int r = 0; r < g.world; r++)
    outs[0].push_back(out[r]);
  std::vector<at::Tensor> ins{in};
  auto w = g.pg->allgather(outs, ins);
  w->wait();
  const int64_t *all = out.data_ptr<int64_t>();
  for (int r = 1; r < g.world; r++) {
    const int64_t *a = all, *b = all + (size_t)r * SIG_N;
    if (std::equal(a, a + SIG_N, b))
      continue;
    bool list = a[SIG_KIND] == TSD_AVERAGE_GRADIENTS ||
                a[SIG_KIND] == TSD_BROADCAST_PARAMS;
    ts_status st = TS_ERR_SHAPE;
    const char *fix = "every rank must pass tensors of the same shape";
    if (a[SIG_MAGIC] != b[SIG_MAGIC] || a[SIG_KIND] != b[SIG_KIND] ||
        a[SIG_OP] != b[SIG_OP] || a[SIG_ROOT] != b[SIG_ROOT]) {
      st = TS_ERR_ARG;
      fix = "every rank must call the same collectives, with the same op "
            "and root, in the same order";
    } else if (a[SIG_DTYPE] != b[SIG_DTYPE]) {
      st = TS_ERR_DTYPE;
      fix = "every rank must pass tensors of the same dtype";
    } else if (list) {
      fix = "every rank must pass the same parameters (count, shapes, "
            "dtypes, order)";
    }
    return ts__fail(st, call,
                    "ranks disagree: rank 0 called %s but rank %d called %s; "
                    "nothing was exchanged; %s",
                    describe(a, list).c_str(), r, describe(b, list).c_str(),
                    fix);
  }
  return TS_OK;
}

} // namespace

// A collective in flight: the c10d work and the finishing touches.
struct tsd_work {
  c10::intrusive_ptr<c10d::Work> work; // null: nothing to wait for
  tsd_kind kind = TSD_BARRIER;
  int op = TS_DIST_SUM;
  int world = 1, rank = 0;
  at::Tensor target;  // what the caller sees (in-place target or result)
  at::Tensor staging; // what Gloo writes, when not target itself
  std::vector<at::Tensor> grads; // average_gradients: where buckets go back
  std::mutex m;
  bool waited = false;
  ts_status status = TS_OK;
  std::string error; // the first wait's message, given again later
};

namespace {

// Starts the collective `kind` on x (a detached view of the user's tensor).
// Called under `mu`, after the signature check.
void launch(Group &g, tsd_work &w, const at::Tensor &x, int root) {
  switch (w.kind) {
  case TSD_ALL_REDUCE: {
    w.target = x;
    w.staging = x.is_contiguous() ? x : x.contiguous();
    std::vector<at::Tensor> v{w.staging};
    c10d::AllreduceOptions o;
    o.reduceOp = reduce_op(w.op);
    w.work = g.pg->allreduce(v, o);
    break;
  }
  case TSD_BROADCAST: {
    w.target = x;
    w.staging = x.is_contiguous() ? x : x.contiguous();
    std::vector<at::Tensor> v{w.staging};
    c10d::BroadcastOptions o;
    o.rootRank = root;
    w.work = g.pg->broadcast(v, o);
    break;
  }
  case TSD_ALL_GATHER: {
    std::vector<int64_t> shape{g.world};
    for (int64_t s : x.sizes())
      shape.push_back(s);
    w.target = at::empty(shape, x.options());
    std::vector<std::vector<at::Tensor>> outs(1);
    for (int r = 0; r < g.world; r++)
      outs[0].push_back(w.target[r]);
    std::vector<at::Tensor> ins{x.contiguous()};
    w.work = g.pg->allgather(outs, ins);
    break;
  }
  case TSD_REDUCE_SCATTER: {
    int64_t k = x.size(0) / g.world;
    w.staging = x.clone(at::MemoryFormat::Contiguous);
    w.target = at::empty_like(w.staging.narrow(0, 0, k));
    std::vector<at::Tensor> v{w.staging};
    c10d::AllreduceOptions o;
    o.reduceOp = reduce_op(w.op);
    w.work = g.pg->allreduce(v, o);
    break;
  }
  case TSD_BARRIER:
    w.work = g.pg->barrier();
    break;
  default:
    break;
  }
}

// Runs what the work must do once Gloo is done.
void finish(tsd_work &w) {
  at::NoGradGuard no_grad;
  switch (w.kind) {
  case TSD_ALL_REDUCE:
    if (w.op == TS_DIST_MEAN)
      w.staging.div_(w.world);
    if (!w.staging.is_same(w.target))
      w.target.copy_(w.staging);
    break;
  case TSD_BROADCAST:
    if (!w.staging.is_same(w.target))
      w.target.copy_(w.staging);
    break;
  case TSD_REDUCE_SCATTER: {
    int64_t k = w.target.size(0);
    w.target.copy_(w.staging.narrow(0, (int64_t)w.rank * k, k));
    if (w.op == TS_DIST_MEAN)
      w.target.div_(w.world);
    break;
  }
  case TSD_AVERAGE_GRADIENTS:
  case TSD_BROADCAST_PARAMS: {
    // staging is the flat bucket; grads the tensors it came from.
    if (w.kind == TSD_AVERAGE_GRADIENTS)
      w.staging.div_(w.world);
    int64_t at_ = 0;
    for (at::Tensor &g : w.grads) {
      int64_t n = g.numel();
      g.copy_(w.staging.narrow(0, at_, n).view(g.sizes()));
      at_ += n;
    }
    break;
  }
  default:
    break;
  }
  w.staging = at::Tensor();
  w.grads.clear();
}

// The message of the thread's last error without its "call: " prefix.
std::string last_cause() {
  const char *m = ts_last_error();
  const char *colon = std::strstr(m, ": ");
  return colon ? std::string(colon + 2) : std::string(m);
}

// Waits for w; the outcome is recorded once and reported on every call.
ts_status wait_work(const char *call, tsd_work &w) {
  std::lock_guard<std::mutex> lock(w.m);
  if (!w.waited) {
    w.waited = true;
    try {
      if (w.work) {
        // Gloo's own timeout ends a stuck collective; this bound is a guard
        // in case a transport never reports.
        int64_t t = cur_timeout_ms.load();
        ms limit = ms(t ? t * 2 + 5000 : 125000);
        if (!w.work->wait(limit))
          throw std::runtime_error("work did not finish in time");
      }
      finish(w);
    } catch (...) {
      w.status = report_fault(call, kind_name(w.kind));
      w.error = last_cause();
    }
    w.work.reset();
    w.staging = at::Tensor();
    w.grads.clear();
    if (w.status == TS_OK)
      return TS_OK;
    return w.status;
  }
  if (w.status != TS_OK)
    return ts__fail(w.status, call, "%s", w.error.c_str());
  return TS_OK;
}

ts_status not_ready(const char *call) {
  return ts__fail(TS_ERR_ARG, call,
                  "the process group is not initialised (or was destroyed); "
                  "call ts_dist_init first");
}

// DDP's flattening: params' tensors in buckets of about `bytes`, from the
// last to the first, never mixing dtypes.
std::vector<std::vector<at::Tensor>> buckets(const std::vector<at::Tensor> &ts,
                                             size_t bytes) {
  std::vector<std::vector<at::Tensor>> out;
  size_t cur = 0;
  for (size_t i = ts.size(); i-- > 0;) {
    const at::Tensor &t = ts[i];
    size_t nb = (size_t)t.numel() * t.element_size();
    if (out.empty() || cur + nb > bytes ||
        out.back().front().scalar_type() != t.scalar_type()) {
      out.emplace_back();
      cur = 0;
    }
    out.back().push_back(t);
    cur += nb;
  }
  return out;
}

} // namespace

extern "C" {

ts_status tsd_init(const char *call, const tsd_config *cfg) {
  std::lock_guard<std::mutex> lock(mu);
  if (group)
    return ts__fail(TS_ERR_BUSY, call,
                    "the process group is already initialised (rank %d of "
                    "%d); call ts_dist_destroy before joining another",
                    group->rank, group->world);
  cur_rank.store(cfg->rank); // for messages while joining
  try {
    auto g = std::make_unique<Group>();
    g->rank = cfg->rank;
    g->world = cfg->world_size;
    g->timeout = ms((int64_t)(cfg->timeout_s * 1000.0 + 0.5));
    // The store, as torch.distributed's env:// rendezvous makes it.
    c10d::TCPStoreOptions so;
    so.port = (uint16_t)cfg->master_port;
    so.numWorkers = (size_t)cfg->world_size;
    // Clients count themselves in (a Python rank 0 waits for that); a C
    // rank 0 does not wait for them here: TCPStore would give up silently
    // after the timeout, and Gloo's connection below would wait a second
    // timeout for the missing rank. Gloo's wait is the one that reports.
    so.waitWorkers = true;
    so.timeout = g->timeout;
    c10::intrusive_ptr<c10d::Store> base;
    if (cfg->agent_store) {
      so.isServer = false;
      auto tcp = c10::make_intrusive<c10d::TCPStore>(cfg->master_addr, so);
      base = c10::make_intrusive<c10d::PrefixStore>(
          "/worker/attempt_" + std::to_string(cfg->restart_count), tcp);
    } else {
      so.isServer = cfg->rank == 0;
      so.waitWorkers = !so.isServer;
      so.multiTenant = true;
      base = c10::make_intrusive<c10d::TCPStore>(cfg->master_addr, so);
    }
    base->setTimeout(g->timeout);
    g->store = c10::make_intrusive<c10d::PrefixStore>("default_pg", base);
    // Say this rank is tsmem (and wants checks) before the barrier below.
    if (cfg->check)
      g->store->set("tsmem_rank:" + std::to_string(cfg->rank),
                    std::vector<uint8_t>{1});
    // The group: ProcessGroupGloo on the "0" prefix with the devices the
    // Python binding picks (GLOO_SOCKET_IFNAME, else the host name's).
    auto opts = c10d::ProcessGroupGloo::Options::create(g->timeout);
    const char *ifname = std::getenv("GLOO_SOCKET_IFNAME");
    if (ifname && std::strlen(ifname) > 1) {
      std::string all(ifname);
      size_t pos = 0;
      while (pos <= all.size()) {
        size_t comma = all.find(',', pos);
        if (comma == std::string::npos)
          comma = all.size();
        opts->devices.push_back(
            c10d::ProcessGroupGloo::createDeviceForInterface(
                all.substr(pos, comma - pos)));
        pos = comma + 1;
      }
    } else {
      opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    }
    opts->threads = (int)opts->devices.size() * 2;
    auto prefix = c10::make_intrusive<c10d::PrefixStore>("0", g->store);
    g->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(prefix, g->rank,
                                                        g->world, opts);
    // init_process_group's store-based barrier, then its sequence number.
    const std::string key = "store_based_barrier_key:1";
    g->store->add(key, 1);
    auto start = std::chrono::steady_clock::now();
    for (;;) {
      int64_t n = g->store->add(key, 0);
      if (n >= g->world)
        break;
      if (std::chrono::steady_clock::now() - start > g->timeout)
        throw std::runtime_error("timed out in the store-based barrier after " +
                                 std::to_string(g->timeout.count()) +
                                 " ms with " + std::to_string(n) + " of " +
                                 std::to_string(g->world) + " ranks joined");
      std::this_thread::sleep_for(ms(10));
    }
    g->pg->setSequenceNumberForGroup();
    if (cfg->check) {
      std::vector<std::string> keys;
      for (int r = 0; r < g->world; r++)
        keys.push_back("tsmem_rank:" + std::to_string(r));
      g->check = g->store->check(keys);
    }
    cur_world.store(g->world);
    cur_timeout_ms.store(g->timeout.count());
    group = g.release();
    ready.store(true);
    return TS_OK;
  } catch (...) {
    ts_status st = report_fault(call, "joining the process group");
    cur_rank.store(-1);
    return st;
  }
}

ts_status tsd_destroy(const char *call) {
  std::lock_guard<std::mutex> lock(mu);
  if (!group)
    return not_ready(call);
  ready.store(false);
  Group *g = group;
  group = nullptr;
  cur_world.store(-1);
  cur_timeout_ms.store(0);
  try {
    delete g; // the group's destructor runs what is queued, joins threads
    return TS_OK;
  } catch (...) {
    return report_fault(call, "leaving the process group");
  }
}

bool tsd_ready(void) { return ready.load(); }
int tsd_rank(void) { return cur_world.load() > 0 ? cur_rank.load() : -1; }
int tsd_world_size(void) { return cur_world.load(); }
double tsd_timeout(void) { return (double)cur_timeout_ms.load() / 1000.0; }

tsd_work *tsd_start(const char *call, tsd_kind kind, const tsc_tensor *t,
                    int op, int root, tsc_tensor **out) {
  std::unique_ptr<tsd_work> w;
  try {
    w = std::make_unique<tsd_work>();
  } catch (...) {
    report_current(call);
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(mu);
  if (!group) {
    not_ready(call);
    return nullptr;
  }
  Group &g = *group;
  w->kind = kind;
  w->op = op;
  w->world = g.world;
  w->rank = g.rank;
  at::Tensor x;
  if (t) {
    Borrowed b(t);
    x = b->detach();
  }
  // Local checks first: they need no other rank.
  if (t && (op == TS_DIST_MEAN) && !at::isFloatingType(x.scalar_type()) &&
      (kind == TSD_ALL_REDUCE || kind == TSD_REDUCE_SCATTER)) {
    ts__fail(TS_ERR_DTYPE, call,
             "MEAN needs a floating tensor, t is %s; convert it or use SUM",
             c10::toString(x.scalar_type()));
    return nullptr;
  }
  if (kind == TSD_REDUCE_SCATTER &&
      (x.dim() == 0 || x.size(0) % g.world != 0)) {
    ts__fail(TS_ERR_SHAPE, call,
             "t's first dimension (%lld) must be a multiple of the world "
             "size (%d): each rank gets an equal slice",
             x.dim() ? (long long)x.size(0) : 0LL, g.world);
    return nullptr;
  }
  try {
    if (g.check) {
      Sig s = make_sig(kind, op, root, t ? &x : nullptr);
      if (check_sig(call, g, s) != TS_OK)
        return nullptr;
    }
    launch(g, *w, x, root);
    if (out)
      *out = adopt(at::Tensor(w->target));
  } catch (...) {
    report_fault(call, kind_name(kind));
    return nullptr;
  }
  return w.release();
}

ts_status tsd_wait(const char *call, tsd_work *w) {
  return wait_work(call, *w);
}

bool tsd_done(tsd_work *w) {
  std::unique_lock<std::mutex> lock(w->m, std::try_to_lock);
  if (!lock.owns_lock())
    return false; // another thread is waiting for it
  try {
    return w->waited || !w->work || w->work->isCompleted();
  } catch (...) {
    return true;
  }
}

void tsd_free(tsd_work *w) {
  if (!w)
    return;
  if (!w->waited)
    wait_work("ts_dist", *w); // never drop a running collective's buffers
  delete w;
}

tsc_tensor *tsd_token(const char *call, void (*on_release)(void *), void *ctx) {
  return guarded(call, [&] {
    return at::from_blob(
        ctx, {0}, [on_release](void *p) { on_release(p); },
        at::TensorOptions().dtype(at::kByte));
  });
}

// The parameters' tensors (detached) or, for gradients, their gradients
// (made zero where missing, so that every rank sends the same buckets).
static std::vector<at::Tensor> param_tensors(tsc_tensor *const *params, int n,
                                             bool grads) {
  std::vector<at::Tensor> ts;
  ts.reserve((size_t)n);
  at::NoGradGuard no_grad;
  for (int i = 0; i < n; i++) {
    Borrowed p(params[i]);
    if (!grads) {
      ts.push_back(p->detach());
      continue;
    }
    at::Tensor &g = const_cast<at::Tensor &>(*p).mutable_grad();
    if (!g.defined())
      g = at::zeros_like(*p);
    ts.push_back(g.detach());
  }
  return ts;
}

// Flattens each bucket, starts its collective, then waits for them all.
static ts_status run_buckets(const char *call, tsd_kind kind,
                             std::vector<at::Tensor> ts, size_t bucket_bytes,
                             int root) {
  std::vector<std::unique_ptr<tsd_work>> works;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (!group)
      return not_ready(call);
    Group &g = *group;
    try {
      if (g.check && check_sig(call, g, make_list_sig(kind, root, ts)) != TS_OK)
        return ts_last_status();
      at::NoGradGuard no_grad;
      for (auto &b : buckets(ts, bucket_bytes)) {
        auto w = std::make_unique<tsd_work>();
        w->kind = kind;
        w->world = g.world;
        w->rank = g.rank;
        std::vector<at::Tensor> flat;
        for (auto &t : b)
          flat.push_back(t.reshape({-1}));
        w->staging = at::cat(flat);
        w->grads = b;
        std::vector<at::Tensor> v{w->staging};
        if (kind == TSD_AVERAGE_GRADIENTS) {
          w->work = g.pg->allreduce(v);
        } else {
          c10d::BroadcastOptions o;
          o.rootRank = root;
          w->work = g.pg->broadcast(v, o);
        }
        works.push_back(std::move(w));
      }
    } catch (...) {
      report_fault(call, kind_name(kind));
      for (auto &w : works) // do not leave them writing
        wait_work(call, *w);
      return TS_ERR_TORCH;
    }
  }
  ts_status st = TS_OK;
  std::string msg;
  for (auto &w : works) {
    ts_status s = wait_work(call, *w);
    if (s != TS_OK && st == TS_OK) {
      st = s;
      msg = last_cause();
    }
  }
  if (st != TS_OK)
    return ts__fail(st, call, "%s", msg.c_str());
  return TS_OK;
}

ts_status tsd_broadcast_params(const char *call, tsc_tensor *const *params,
                               int n, int root) {
  try {
    return run_buckets(call, TSD_BROADCAST_PARAMS,
                       param_tensors(params, n, false), 250u << 20, root);
  } catch (...) {
    return report_current(call);
  }
}

ts_status tsd_average_gradients(const char *call, tsc_tensor *const *params,
                                int n, size_t bucket_bytes) {
  try {
    return run_buckets(call, TSD_AVERAGE_GRADIENTS,
                       param_tensors(params, n, true), bucket_bytes, 0);
  } catch (...) {
    return report_current(call);
  }
}

tsc_tensor *tsd_sampler(const char *call, int64_t len, int rank, int world,
                        bool shuffle, uint64_t seed, uint64_t epoch,
                        bool drop_last, int64_t per_rank) {
  return guarded(call, [&] {
    at::Tensor idx;
    if (shuffle) {
      // torch.Generator().manual_seed(seed + epoch); torch.randperm(n, g)
      auto gen = at::make_generator<at::CPUGeneratorImpl>(seed + epoch);
      idx = at::randperm(len, gen, at::kLong);
    } else {
      idx = at::arange(len, at::kLong);
    }
    int64_t total = per_rank * world;
    if (!drop_last && total > len) {
      // indices += indices[:pad], repeated as often as needed
      int64_t reps = (total + len - 1) / len;
      idx = idx.repeat({reps}).narrow(0, 0, total);
    } else {
      idx = idx.narrow(0, 0, total);
    }
    // indices[rank:total:world]
    return idx.slice(0, rank, total, world).contiguous();
  });
}

} // extern "C"
