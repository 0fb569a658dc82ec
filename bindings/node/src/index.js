// tsmem for Node.js: ts-torch's memory API (run, runAsync, escapeTensor,
// TensorPool, ...) over libtsmem. Ownership is libtsmem's (SPEC.md section
// 2): a tensor made while a scope is current belongs to that scope, escape
// moves it to the parent scope, a pool owns what it was given. This file
// only translates: every tensor is a libtsmem handle, every check is the
// runtime's, every error is its sentence.
import { C, libraryPath } from './native.js';
import { runAsync } from './async.js';
import { TsmemError, lastError, check } from './errors.js';

export { runAsync, TsmemError, libraryPath };

// ------------------------------------------------------------------ dtypes

const DTYPES = ['float32', 'float64', 'int32', 'int64', 'int16', 'int8', 'uint8', 'bool', 'float16', 'bfloat16'];
const DTYPE_CODE = new Map(DTYPES.map((d, i) => [d, i]));
const ELEM_SIZE = [4, 8, 4, 8, 2, 1, 1, 1, 2, 2];
const ARRAY_TYPE = [Float32Array, Float64Array, Int32Array, BigInt64Array, Int16Array, Int8Array, Uint8Array, Uint8Array, Uint16Array, Uint16Array];

function dtypeCode(dtype, call) {
  if (dtype === undefined) return 0;
  const code = DTYPE_CODE.get(dtype);
  if (code === undefined)
    throw new TsmemError('TS_ERR_DTYPE', `${call}: dtype ${JSON.stringify(dtype)} is not one of ${DTYPES.join(', ')}`);
  return code;
}

function shapeArg(shape, call) {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
    throw new TsmemError('TS_ERR_SHAPE', `${call}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  return shape;
}

// ------------------------------------------------------------------ tensor

/** A libtsmem tensor handle. Made by the factories and the ops, never by hand. */
export class Tensor {
  #h;

  /** @internal */
  constructor(handle) {
    if (typeof handle !== 'bigint' || handle === 0n)
      throw new TypeError('tsmem: Tensor objects come from zeros/ones/randn/fromBuffer and tensor ops');
    this.#h = handle;
  }

  /** The libtsmem handle (for other FFI code). */
  get handle() {
    return this.#h;
  }

  // shape and dtype ask the runtime every time, so a stale tensor throws here too.
  get shape() {
    const n = C.ts_ndim(this.#h);
    if (n < 0) throw lastError();
    const s = new Array(n);
    for (let i = 0; i < n; i++) s[i] = Number(C.ts_size(this.#h, i));
    return s;
  }

  get dtype() {
    const d = C.ts_tensor_dtype(this.#h);
    if (d < 0) throw lastError();
    return DTYPES[d];
  }

  get ndim() {
    const n = C.ts_ndim(this.#h);
    if (n < 0) throw lastError();
    return n;
  }

  get numel() {
    const n = C.ts_numel(this.#h);
    if (n < 0) throw lastError();
    return Number(n);
  }

  /** Moves this tensor from the current scope to its parent (manual at depth 1); returns it. */
  escape() {
    C.ts_escape(this.#h);
    if (C.ts_last_status() !== 0) throw lastError();
    return this;
  }

  /** Takes this tensor out of scope management for good: the caller frees it. */
  keep() {
    if (C.ts_keep(this.#h) === null) throw lastError();
    return this;
  }

  /** Frees now, whoever owns it. */
  free() {
    check(C.ts_free(this.#h));
  }

  add(other) {
    return typeof other === 'number' ? wrap(C.ts_add_scalar(this.#h, other)) : wrap(C.ts_add(this.#h, h(other)));
  }
  sub(other) {
    return typeof other === 'number' ? wrap(C.ts_add_scalar(this.#h, -other)) : wrap(C.ts_sub(this.#h, h(other)));
  }
  mul(other) {
    return typeof other === 'number' ? wrap(C.ts_mul_scalar(this.#h, other)) : wrap(C.ts_mul(this.#h, h(other)));
  }
  div(other) {
    return typeof other === 'number' ? wrap(C.ts_mul_scalar(this.#h, 1 / other)) : wrap(C.ts_div(this.#h, h(other)));
  }
  matmul(other) {
    return wrap(C.ts_matmul(this.#h, h(other)));
  }
  relu() {
    return wrap(C.ts_relu(this.#h));
  }
  sigmoid() {
    return wrap(C.ts_sigmoid(this.#h));
  }
  tanh() {
    return wrap(C.ts_tanh(this.#h));
  }
  exp() {
    return wrap(C.ts_exp(this.#h));
  }
  log() {
    return wrap(C.ts_log(this.#h));
  }
  neg() {
    return wrap(C.ts_neg(this.#h));
  }
  clone() {
    return wrap(C.ts_clone(this.#h));
  }
  sum() {
    return wrap(C.ts_sum(this.#h));
  }
  mean() {
    return wrap(C.ts_mean(this.#h));
  }
  /** Index of the largest element (flat), or along `dim`. */
  argmax(dim) {
    return wrap(dim === undefined ? C.ts_argmax(this.#h) : C.ts_argmax_dim(this.#h, dim));
  }
  softmax(dim) {
    return wrap(C.ts_softmax(this.#h, dim));
  }
  logSoftmax(dim) {
    return wrap(C.ts_log_softmax(this.#h, dim));
  }
  reshape(shape) {
    shapeArg(shape, 'reshape');
    return wrap(C.ts_reshape(this.#h, shape, shape.length));
  }
  transpose(d0, d1) {
    return wrap(C.ts_transpose(this.#h, d0, d1));
  }
  /** Mean cross-entropy of these logits against int64 class indices. */
  crossEntropy(targets) {
    return wrap(C.ts_cross_entropy(this.#h, h(targets)));
  }
  mseLoss(target) {
    return wrap(C.ts_mse_loss(this.#h, h(target)));
  }

  /** The single element as a number. */
  item() {
    const v = C.ts_item(this.#h);
    if (v !== v && C.ts_last_status() !== 0) throw lastError();
    return v;
  }

  /** The elements, row-major, in a typed array of the dtype (float16/bfloat16: raw bits). */
  dataSync() {
    const nbytes = C.ts_nbytes(this.#h);
    if (nbytes === 0 && C.ts_last_status() !== 0) throw lastError();
    const d = this.dtype;
    const T = ARRAY_TYPE[DTYPE_CODE.get(d)];
    const out = new T(nbytes / T.BYTES_PER_ELEMENT);
    if (nbytes > 0) check(C.ts_copy_to_buffer(this.#h, out, nbytes));
    return out;
  }

  /** The elements as nested arrays of numbers (booleans for bool). */
  toArray() {
    const shape = this.shape;
    const data = this.dataSync();
    const d = this.dtype;
    const conv =
      d === 'int64' ? Number : d === 'bool' ? (x) => x !== 0 : d === 'float16' ? half : d === 'bfloat16' ? bfloat : (x) => x;
    let i = 0;
    const build = (k) => {
      if (k === shape.length) return conv(data[i++]);
      const a = new Array(shape[k]);
      for (let j = 0; j < shape[k]; j++) a[j] = build(k + 1);
      return a;
    };
    return build(0);
  }

  // Autograd (libtorch's).
  requiresGrad(on = true) {
    check(C.ts_requires_grad(this.#h, on));
    return this;
  }
  backward() {
    check(C.ts_backward(this.#h));
  }
  /** A new tensor sharing the gradient's storage, or null when there is none. */
  get grad() {
    const g = C.ts_grad(this.#h);
    if (g === null) {
      if (C.ts_last_status() !== 0) throw lastError();
      return null;
    }
    return new Tensor(g);
  }
  zeroGrad() {
    check(C.ts_zero_grad(this.#h));
  }
  /** this -= lr * grad, outside autograd. */
  sgdStep(lr) {
    check(C.ts_sgd_step(this.#h, lr));
  }

  toString() {
    return `Tensor(${this.dtype}, [${this.shape.join(', ')}])`;
  }
}

function h(t) {
  if (!(t instanceof Tensor)) throw new TypeError(`tsmem: expected a Tensor, got ${t === null ? 'null' : typeof t}`);
  return t.handle;
}

function wrap(handle) {
  if (handle === null) throw lastError();
  return new Tensor(handle);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function bfloat(bits) {
  u32[0] = bits << 16;
  return f32[0];
}
function half(bits) {
  const s = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 0x1f;
  const m = bits & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

// --------------------------------------------------------------- factories

function factory(fn, call) {
  return (shape, dtype) => {
    shapeArg(shape, call);
    return wrap(fn(shape, shape.length, dtypeCode(dtype, call)));
  };
}

/** @type {(shape: number[], dtype?: string) => Tensor} */
export const zeros = factory(C.ts_zeros, 'zeros');
export const ones = factory(C.ts_ones, 'ones');
export const empty = factory(C.ts_empty, 'empty');
export const rand = factory(C.ts_rand, 'rand');
export const randn = factory(C.ts_randn, 'randn');

export function full(shape, value, dtype) {
  shapeArg(shape, 'full');
  return wrap(C.ts_full(shape, shape.length, dtypeCode(dtype, 'full'), value));
}

export function arange(start, end, step = 1, dtype) {
  return wrap(C.ts_arange(start, end, step, dtypeCode(dtype, 'arange')));
}

const TYPED_DTYPE = new Map([
  [Float32Array, 'float32'],
  [Float64Array, 'float64'],
  [Int32Array, 'int32'],
  [BigInt64Array, 'int64'],
  [Int16Array, 'int16'],
  [Int8Array, 'int8'],
  [Uint8Array, 'uint8'],
]);

/**
 * A tensor with a copy of `data`: a typed array (dtype from its type), an
 * array of numbers (float32 unless told), or an ArrayBuffer/Buffer with a
 * dtype. shape defaults to [number of elements].
 */
export function fromBuffer(data, shape, dtype) {
  let bytes;
  if (Array.isArray(data)) {
    const code = dtypeCode(dtype ?? 'float32', 'fromBuffer');
    const T = ARRAY_TYPE[code];
    bytes = T === BigInt64Array ? T.from(data, (x) => BigInt(x)) : T.from(data, (x) => +x);
    dtype ??= 'float32';
  } else if (ArrayBuffer.isView(data)) {
    dtype ??= TYPED_DTYPE.get(data.constructor);
    if (dtype === undefined)
      throw new TsmemError('TS_ERR_DTYPE', `fromBuffer: pass a dtype for a ${data.constructor.name}`);
    bytes = data;
  } else if (data instanceof ArrayBuffer) {
    if (dtype === undefined) throw new TsmemError('TS_ERR_DTYPE', 'fromBuffer: pass a dtype for an ArrayBuffer');
    bytes = new Uint8Array(data);
  } else {
    throw new TypeError('tsmem: fromBuffer takes a typed array, an array of numbers or an ArrayBuffer');
  }
  const code = dtypeCode(dtype, 'fromBuffer');
  const size = ELEM_SIZE[code];
  if (shape === undefined) {
    if (bytes.byteLength % size !== 0)
      throw new TsmemError('TS_ERR_SHAPE', `fromBuffer: ${bytes.byteLength} bytes is not a whole number of ${dtype} elements`);
    shape = [bytes.byteLength / size];
  }
  shapeArg(shape, 'fromBuffer');
  const need = shape.reduce((a, b) => a * b, 1) * size;
  // libtsmem reads numel * element size bytes: never let it read past the data.
  if (bytes.byteLength !== need)
    throw new TsmemError(
      'TS_ERR_SHAPE',
      `fromBuffer: shape [${shape.join(',')}] of ${dtype} needs ${need} bytes, the data has ${bytes.byteLength}; pass a matching shape`,
    );
  return wrap(C.ts_from_buffer(bytes, shape, shape.length, code));
}

export function manualSeed(seed) {
  C.ts_manual_seed(seed);
}

export function setNumThreads(n) {
  C.ts_set_num_threads(n);
}

// ------------------------------------------------------------------ scopes

/**
 * Runs fn inside a fresh scope and returns what it returns; every tensor
 * made in it and not escaped is freed when it returns or throws. fn must be
 * synchronous (a returned Promise throws): for an async function use runAsync.
 */
export function run(fn) {
  const id = C.ts_scope_begin();
  if (id === 0) throw lastError();
  let result;
  try {
    result = fn();
  } catch (e) {
    C.ts_scope_end(id);
    throw e;
  }
  check(C.ts_scope_end(id));
  // As tf.tidy does: the scope ended with fn's first synchronous stretch, so
  // the rest of an async fn would run in no scope.
  if (result !== null && typeof result === 'object' && typeof result.then === 'function')
    throw new TsmemError('TS_ERR_ARG', 'run: fn returned a Promise, but run ends its scope when fn returns; use runAsync for an async function');
  return result;
}

/** Escapes `tensor` from the current scope to its parent; throws outside any scope. */
export function escapeTensor(tensor) {
  h(tensor);
  return tensor.escape();
}

export function inScope() {
  return C.ts_in_scope();
}

export function scopeDepth() {
  return C.ts_scope_depth();
}

export function scopeTensorCount() {
  return C.ts_scope_tensor_count();
}

// -------------------------------------------------------------------- pool

const POOL_HALF = 0xffffffffffffffffn; // TS_POOL_HALF, (size_t)-1

/** A pool of tensors keyed by dtype and shape (libtsmem's ts_pool). */
export class TensorPool {
  #p;

  /** maxPoolSize: most tensors kept per key (default 16). */
  constructor(maxPoolSize = 16, /** @internal */ handle) {
    if (handle !== undefined) {
      this.#p = handle;
      return;
    }
    if (!Number.isInteger(maxPoolSize) || maxPoolSize < 1)
      throw new TsmemError('TS_ERR_ARG', `TensorPool: maxPoolSize must be a positive integer, got ${maxPoolSize}`);
    this.#p = C.ts_pool_new(maxPoolSize);
    if (this.#p === null) throw lastError();
  }

  /** A pooled tensor of this shape and dtype, now owned by the current scope (or the caller); null on a miss. */
  acquire(shape, dtype = 'float32') {
    shapeArg(shape, 'acquire');
    const t = C.ts_pool_acquire(this.#p, shape, shape.length, dtypeCode(dtype, 'acquire'));
    if (t === null) {
      if (C.ts_last_status() !== 0) throw lastError();
      return null;
    }
    return new Tensor(t);
  }

  /** Hands `tensor` to the pool (out of its scope); the tensor object is dead afterwards. */
  release(tensor) {
    check(C.ts_pool_release(this.#p, h(tensor)));
  }

  stats() {
    const s = C.ts_pool_get_stats(this.#p);
    if (C.ts_last_status() !== 0) throw lastError();
    const pools = new Map();
    C.ts_pool_foreach_key(this.#p, (key, count) => pools.set(key, count), null);
    return { size: s.size, hitCount: s.hit_count, missCount: s.miss_count, hitRate: s.hit_rate, pools };
  }

  /** Frees every pooled tensor and resets the statistics. */
  clear() {
    C.ts_pool_clear(this.#p);
    if (C.ts_last_status() !== 0) throw lastError();
  }

  clearKey(shape, dtype = 'float32') {
    shapeArg(shape, 'clearKey');
    C.ts_pool_clear_key(this.#p, shape, shape.length, dtypeCode(dtype, 'clearKey'));
    if (C.ts_last_status() !== 0) throw lastError();
  }

  /** Frees pooled tensors, least recently used keys first, down to targetSize (default: half the size). */
  prune(targetSize) {
    if (targetSize !== undefined && !(Number.isInteger(targetSize) && targetSize >= 0))
      throw new TsmemError('TS_ERR_ARG', `prune: targetSize must be a non-negative integer, got ${targetSize}`);
    C.ts_pool_prune(this.#p, targetSize ?? POOL_HALF);
    if (C.ts_last_status() !== 0) throw lastError();
  }

  /** Frees what the pool holds and the pool itself; later calls throw. */
  destroy() {
    if (this === globalTensorPool) throw new TsmemError('TS_ERR_POOL', 'destroy: the global pool cannot be destroyed; clear it');
    C.ts_pool_destroy(this.#p);
    if (C.ts_last_status() !== 0) throw lastError();
  }
}

export const globalTensorPool = new TensorPool(undefined, C.ts_global_pool());

// -------------------------------------------------------------- accounting

/** libtsmem's accounting (ts_memory): live tensors outside pools, and those in pools. */
export function memory() {
  const m = C.ts_memory();
  return {
    liveTensors: m.live_tensors,
    liveBytes: m.live_bytes,
    peakBytes: m.peak_bytes,
    pooledTensors: m.pooled_tensors,
    pooledBytes: m.pooled_bytes,
    created: m.created,
    freed: m.freed,
  };
}

export { DTYPES as dtypes };
