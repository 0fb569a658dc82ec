// Types of the tsmem package (src/index.js). Ownership follows libtsmem
// (SPEC.md section 2): a tensor made while a scope is current belongs to it;
// escape() moves it to the parent scope (at the outermost scope it becomes
// the caller's, to free()); a pool owns what it was given.

/** Element types, as libtsmem's ts_dtype. */
export type DType =
  | 'float32'
  | 'float64'
  | 'int32'
  | 'int64'
  | 'int16'
  | 'int8'
  | 'uint8'
  | 'bool'
  | 'float16'
  | 'bfloat16';

export type Shape = readonly number[];

/** libtsmem's ts_status names (tsmem.h). */
export type StatusCode =
  | 'TS_ERR_NO_SCOPE'
  | 'TS_ERR_SCOPE_MISMATCH'
  | 'TS_ERR_BAD_SCOPE'
  | 'TS_ERR_STALE_HANDLE'
  | 'TS_ERR_NULL'
  | 'TS_ERR_SHAPE'
  | 'TS_ERR_DTYPE'
  | 'TS_ERR_OOM'
  | 'TS_ERR_TORCH'
  | 'TS_ERR_POOL'
  | 'TS_ERR_BUSY'
  | 'TS_ERR_ARG';

/** A libtsmem error: message is ts_last_error()'s sentence, code its status. */
export class TsmemError extends Error {
  readonly name: 'TsmemError';
  readonly code: StatusCode;
  /** The ts_status value. */
  readonly status: number;
  private constructor();
}

/** Typed array dataSync() returns for each dtype (float16/bfloat16: raw bits). */
export interface DataOf {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  int64: BigInt64Array;
  int16: Int16Array;
  int8: Int8Array;
  uint8: Uint8Array;
  bool: Uint8Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
}

/** Nested arrays of numbers (booleans for bool), as toArray() returns. */
export type NestedArray = number | boolean | NestedArray[];

/**
 * A libtsmem tensor. Tensors come from the factories and from tensor ops;
 * a tensor used after it was freed (by its scope, free() or a pool) throws
 * a TsmemError with code 'TS_ERR_STALE_HANDLE'.
 */
export class Tensor {
  private constructor();
  /** The libtsmem handle, for other FFI code. */
  readonly handle: bigint;
  readonly shape: number[];
  readonly dtype: DType;
  readonly ndim: number;
  readonly numel: number;

  /** Moves this tensor from the current scope to its parent (the caller's at depth 1). Throws outside any scope. */
  escape(): this;
  /** Takes this tensor out of scope management for good: the caller frees it. */
  keep(): this;
  /** Frees now, whoever owns it. */
  free(): void;

  add(other: Tensor | number): Tensor;
  sub(other: Tensor | number): Tensor;
  mul(other: Tensor | number): Tensor;
  div(other: Tensor | number): Tensor;
  matmul(other: Tensor): Tensor;
  relu(): Tensor;
  sigmoid(): Tensor;
  tanh(): Tensor;
  exp(): Tensor;
  log(): Tensor;
  neg(): Tensor;
  clone(): Tensor;
  /** Sum of all elements, 0-d. */
  sum(): Tensor;
  /** Mean of all elements, 0-d (floating dtypes). */
  mean(): Tensor;
  /** Flat index of the largest element (int64, 0-d), or indices along dim. */
  argmax(dim?: number): Tensor;
  softmax(dim: number): Tensor;
  logSoftmax(dim: number): Tensor;
  reshape(shape: Shape): Tensor;
  transpose(d0: number, d1: number): Tensor;
  /** Mean cross-entropy of these logits [N,C] against int64 class indices [N]. */
  crossEntropy(targets: Tensor): Tensor;
  /** Mean squared error against a tensor of the same shape. */
  mseLoss(target: Tensor): Tensor;

  /** The single element as a number. */
  item(): number;
  /** The elements, row-major, in a typed array of the dtype. */
  dataSync(): DataOf[DType];
  /** The elements as nested arrays following the shape. */
  toArray(): NestedArray;

  /** Turns gradient recording on (or off) for this leaf tensor. */
  requiresGrad(on?: boolean): this;
  backward(): void;
  /** The accumulated gradient (a new tensor sharing its storage), or null. */
  readonly grad: Tensor | null;
  zeroGrad(): void;
  /** this -= lr * grad, outside autograd. */
  sgdStep(lr: number): void;
  toString(): string;
}

export function zeros(shape: Shape, dtype?: DType): Tensor;
export function ones(shape: Shape, dtype?: DType): Tensor;
export function empty(shape: Shape, dtype?: DType): Tensor;
/** Uniform in [0, 1); floating dtypes. */
export function rand(shape: Shape, dtype?: DType): Tensor;
/** Standard normal; floating dtypes. */
export function randn(shape: Shape, dtype?: DType): Tensor;
export function full(shape: Shape, value: number, dtype?: DType): Tensor;
export function arange(start: number, end: number, step?: number, dtype?: DType): Tensor;
/**
 * A tensor holding a copy of data: a typed array (dtype from its type), an
 * array of numbers (float32 unless told) or an ArrayBuffer (dtype needed).
 * shape defaults to [number of elements].
 */
export function fromBuffer(
  data: ArrayBufferView | ArrayBuffer | readonly number[],
  shape?: Shape,
  dtype?: DType,
): Tensor;
export function manualSeed(seed: number): void;
export function setNumThreads(n: number): void;

/**
 * Runs fn in a fresh scope and returns its result; tensors made in it and
 * not escaped are freed when it returns or throws. fn must be synchronous:
 * a returned Promise throws a TsmemError ('TS_ERR_ARG'); use runAsync.
 */
export function run<T>(fn: () => T): T;
/**
 * Runs the async function fn in its own scope, entered around each of its
 * synchronous stretches, so that concurrent calls never share tensors; the
 * scope is freed when fn settles. Escape the tensors you return: escape()
 * moves a tensor to the scope beneath, which is the enclosing runAsync's
 * (if still running), or the caller's (manual) after the first await. A
 * tensor escaped before the first await of a runAsync called inside run()
 * lands in that run's scope.
 */
export function runAsync<T>(fn: () => Promise<T> | T): Promise<T>;
/** Escapes tensor from the current scope to its parent; throws outside any scope. */
export function escapeTensor<T extends Tensor>(tensor: T): T;
export function inScope(): boolean;
/** Scopes on this thread's stack (0 outside any). */
export function scopeDepth(): number;
/** Tensors the current scope owns (0 outside any). */
export function scopeTensorCount(): number;

export interface PoolStats {
  /** Tensors the pool holds. */
  size: number;
  hitCount: number;
  missCount: number;
  /** hitCount / (hitCount + missCount), 0 before any acquire. */
  hitRate: number;
  /** Tensors held per key, e.g. "float32:[10,10]". */
  pools: Map<string, number>;
}

/** libtsmem's tensor pool, keyed by dtype and shape, LIFO per key. */
export class TensorPool {
  /** maxPoolSize: most tensors kept per key (default 16). */
  constructor(maxPoolSize?: number);
  /** A pooled tensor (contents unspecified) now owned by the current scope, or null on a miss. */
  acquire(shape: Shape, dtype?: DType): Tensor | null;
  /** Hands tensor to the pool, out of its scope; the object is dead afterwards. */
  release(tensor: Tensor): void;
  stats(): PoolStats;
  /** Frees everything pooled and resets the statistics. */
  clear(): void;
  clearKey(shape: Shape, dtype?: DType): void;
  /** Frees pooled tensors down to targetSize (default: half the size). */
  prune(targetSize?: number): void;
  /** Frees the pool and what it holds (not for globalTensorPool). */
  destroy(): void;
}

export const globalTensorPool: TensorPool;

export interface MemoryInfo {
  /** Tensors alive outside pools. */
  liveTensors: number;
  liveBytes: number;
  peakBytes: number;
  /** Tensors held by pools. */
  pooledTensors: number;
  pooledBytes: number;
  created: number;
  freed: number;
}

/** libtsmem's accounting (ts_memory). */
export function memory(): MemoryInfo;

/** The dtype names, in ts_dtype order. */
export const dtypes: readonly DType[];
/** The path libtsmem was loaded from. */
export const libraryPath: string;
