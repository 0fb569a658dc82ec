// native.js - loads libtsmem through koffi and declares the C API the
// binding uses (tsmem.h; SPEC.md section 3).
//
// Which library: $TSMEM_LIB when set (a path, nothing else is tried), else
// the installed one: the dynamic loader's search (ld.so.cache,
// LD_LIBRARY_PATH), then the usual install prefixes, which `cmake --install`
// fills without running ldconfig. The repository's tests point TSMEM_LIB at
// the build tree's library.
import koffi from 'koffi';

const SONAMES =
  process.platform === 'darwin'
    ? ['libtsmem.0.dylib', 'libtsmem.dylib']
    : ['libtsmem.so.0', 'libtsmem.so'];
const PREFIXES = ['/usr/local/lib', '/usr/lib', '/opt/tsmem/lib'];

function loadLibrary() {
  const fromEnv = process.env.TSMEM_LIB;
  const tries = fromEnv
    ? [fromEnv]
    : [...SONAMES, ...PREFIXES.flatMap((p) => SONAMES.map((s) => `${p}/${s}`))];
  const failures = [];
  for (const path of tries) {
    try {
      return { lib: koffi.load(path), path };
    } catch (e) {
      failures.push(e.message);
    }
  }
  if (fromEnv)
    throw new Error(`tsmem: cannot load libtsmem from TSMEM_LIB=${fromEnv} (${failures[0]}); point TSMEM_LIB at a built libtsmem.so`);
  // A library that was found but failed to load (a missing libtorch, say) is the news.
  const other = [...new Set(failures.filter((m) => !/No such file/.test(m)))];
  throw new Error(
    `tsmem: cannot find libtsmem (tried ${tries.join(', ')}${other.length ? `: ${other.join('; ')}` : ''}); install it (make install, or cmake --install build) or set TSMEM_LIB to the path of libtsmem.so`,
  );
}

export const { lib, path: libraryPath } = loadLibrary();

// Handles: tsmem's tensor, pool and async scope handles are tagged integers
// that the runtime checks on every call, so a stale one is reported, never
// dereferenced. koffi (3.x) passes pointers as BigInt.
koffi.opaque('ts_tensor');
koffi.opaque('ts_pool');
koffi.opaque('ts_async_scope');

export const MemoryStats = koffi.struct('ts_memory_stats', {
  live_tensors: 'size_t',
  live_bytes: 'size_t',
  peak_bytes: 'size_t',
  pooled_tensors: 'size_t',
  pooled_bytes: 'size_t',
  created: 'uint64_t',
  freed: 'uint64_t',
});
koffi.struct('ts_pool_stats', {
  size: 'size_t',
  hit_count: 'uint64_t',
  miss_count: 'uint64_t',
  hit_rate: 'double',
});
const KeyCallback = koffi.proto(
  'void ts_pool_key_cb(const char *key, size_t count, void *ctx)',
);

const decls = [
  'int ts_last_status(void)',
  'const char *ts_last_error(void)',
  'void ts_clear_error(void)',

  'uint64_t ts_scope_begin(void)',
  'int ts_scope_end(uint64_t id)',
  'ts_tensor *ts_escape(ts_tensor *t)',
  'ts_tensor *ts_keep(ts_tensor *t)',
  'bool ts_in_scope(void)',
  'int ts_scope_depth(void)',
  'size_t ts_scope_tensor_count(void)',

  'ts_async_scope *ts_async_scope_begin(void)',
  'int ts_async_scope_enter(ts_async_scope *s)',
  'int ts_async_scope_leave(ts_async_scope *s)',
  'int ts_async_scope_end(ts_async_scope *s)',

  'ts_pool *ts_pool_new(size_t max_per_key)',
  'void ts_pool_destroy(ts_pool *p)',
  'ts_pool *ts_global_pool(void)',
  'ts_tensor *ts_pool_acquire(ts_pool *p, const int64_t *shape, int ndim, int dtype)',
  'int ts_pool_release(ts_pool *p, ts_tensor *t)',
  'ts_pool_stats ts_pool_get_stats(const ts_pool *p)',
  'void ts_pool_clear(ts_pool *p)',
  'void ts_pool_clear_key(ts_pool *p, const int64_t *shape, int ndim, int dtype)',
  'void ts_pool_prune(ts_pool *p, size_t target_size)',

  'ts_tensor *ts_empty(const int64_t *shape, int ndim, int dtype)',
  'ts_tensor *ts_zeros(const int64_t *shape, int ndim, int dtype)',
  'ts_tensor *ts_ones(const int64_t *shape, int ndim, int dtype)',
  'ts_tensor *ts_rand(const int64_t *shape, int ndim, int dtype)',
  'ts_tensor *ts_randn(const int64_t *shape, int ndim, int dtype)',
  'ts_tensor *ts_full(const int64_t *shape, int ndim, int dtype, double value)',
  'ts_tensor *ts_arange(double start, double end, double step, int dtype)',
  'ts_tensor *ts_from_buffer(const void *data, const int64_t *shape, int ndim, int dtype)',

  'ts_tensor *ts_clone(ts_tensor *a)',
  'ts_tensor *ts_add(ts_tensor *a, ts_tensor *b)',
  'ts_tensor *ts_sub(ts_tensor *a, ts_tensor *b)',
  'ts_tensor *ts_mul(ts_tensor *a, ts_tensor *b)',
  'ts_tensor *ts_div(ts_tensor *a, ts_tensor *b)',
  'ts_tensor *ts_matmul(ts_tensor *a, ts_tensor *b)',
  'ts_tensor *ts_add_scalar(ts_tensor *a, double s)',
  'ts_tensor *ts_mul_scalar(ts_tensor *a, double s)',
  'ts_tensor *ts_relu(ts_tensor *a)',
  'ts_tensor *ts_sigmoid(ts_tensor *a)',
  'ts_tensor *ts_tanh(ts_tensor *a)',
  'ts_tensor *ts_exp(ts_tensor *a)',
  'ts_tensor *ts_log(ts_tensor *a)',
  'ts_tensor *ts_neg(ts_tensor *a)',
  'ts_tensor *ts_sum(ts_tensor *a)',
  'ts_tensor *ts_mean(ts_tensor *a)',
  'ts_tensor *ts_argmax(ts_tensor *a)',
  'ts_tensor *ts_argmax_dim(ts_tensor *a, int dim)',
  'ts_tensor *ts_softmax(ts_tensor *a, int dim)',
  'ts_tensor *ts_log_softmax(ts_tensor *a, int dim)',
  'ts_tensor *ts_reshape(ts_tensor *a, const int64_t *shape, int ndim)',
  'ts_tensor *ts_transpose(ts_tensor *a, int d0, int d1)',
  'ts_tensor *ts_cross_entropy(ts_tensor *logits, ts_tensor *targets)',
  'ts_tensor *ts_mse_loss(ts_tensor *a, ts_tensor *b)',

  'double ts_item(ts_tensor *t)',
  'int ts_ndim(ts_tensor *t)',
  'int64_t ts_size(ts_tensor *t, int dim)',
  'int64_t ts_numel(ts_tensor *t)',
  'size_t ts_nbytes(ts_tensor *t)',
  'int ts_tensor_dtype(ts_tensor *t)',
  'int ts_copy_to_buffer(ts_tensor *t, _Out_ void *dst, size_t nbytes)',
  'int ts_free(ts_tensor *t)',
  'void ts_manual_seed(uint64_t seed)',
  'void ts_set_num_threads(int n)',

  'int ts_requires_grad(ts_tensor *t, bool on)',
  'int ts_backward(ts_tensor *loss)',
  'ts_tensor *ts_grad(ts_tensor *t)',
  'int ts_zero_grad(ts_tensor *t)',
  'int ts_sgd_step(ts_tensor *param, double lr)',

  'ts_memory_stats ts_memory(void)',
];

/** The C functions, by their C names. */
export const C = {};
for (const d of decls) {
  const fn = lib.func(d);
  C[fn.info?.name ?? d.match(/(\w+)\(/)[1]] = fn;
}
C.ts_pool_foreach_key = lib.func(
  'void ts_pool_foreach_key(const ts_pool *p, ts_pool_key_cb *cb, void *ctx)',
);
export { KeyCallback };

/** ts_status names, by value (tsmem.h). */
export const STATUS = [
  'TS_OK',
  'TS_ERR_NO_SCOPE',
  'TS_ERR_SCOPE_MISMATCH',
  'TS_ERR_BAD_SCOPE',
  'TS_ERR_STALE_HANDLE',
  'TS_ERR_NULL',
  'TS_ERR_SHAPE',
  'TS_ERR_DTYPE',
  'TS_ERR_OOM',
  'TS_ERR_TORCH',
  'TS_ERR_POOL',
  'TS_ERR_BUSY',
  'TS_ERR_ARG',
];
