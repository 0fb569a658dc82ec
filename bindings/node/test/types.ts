// Type test (tsc --noEmit): the seed document's TypeScript, checked against
// index.d.ts, and misuses the types must reject (@ts-expect-error fails the
// check when the line below it compiles).
import {
  run, runAsync, escapeTensor, inScope, scopeDepth, scopeTensorCount, TensorPool, globalTensorPool,
  zeros, ones, randn, fromBuffer, memory, Tensor, TsmemError,
} from 'tsmem';
import type { DType, PoolStats, MemoryInfo, StatusCode } from 'tsmem';

// Quick Start
const result: Tensor = run(() => {
  const a = zeros([100, 100]);
  const b = ones([100, 100]);
  const c = a.add(b);
  return c.escape();
});

// run / runAsync keep the callback's type.
const n: number = run(() => result.sum().item());
async function asyncExample(fetchData: () => Promise<Float32Array>, processAsync: (t: Tensor) => Promise<Tensor>) {
  const r: Tensor = await runAsync(async () => {
    const data = await fetchData();
    const tensor = fromBuffer(data);
    const processed = await processAsync(tensor);
    return processed.escape();
  });
  return r;
}

// escapeTensor returns its argument's type.
const kept: Tensor = run(() => escapeTensor(ones([10, 10])));
const flags: [boolean, number, number] = [inScope(), scopeDepth(), scopeTensorCount()];

// Pools
const pool = new TensorPool();
const small = new TensorPool(8);
const t: Tensor = pool.acquire([10, 10], 'float32') ?? zeros([10, 10]);
pool.release(t);
const stats: PoolStats = pool.stats();
const rate: number = stats.hitRate;
for (const [key, count] of stats.pools) {
  const k: string = key;
  const c: number = count;
}
pool.clear();
pool.clearKey([10, 10], 'float32');
pool.prune();
pool.prune(500);
globalTensorPool.release(globalTensorPool.acquire([10, 10], 'float32') ?? zeros([10, 10]));

// Tensors
const x = randn([4, 4]);
const shape: number[] = x.shape;
const dtype: DType = x.dtype;
const y: Tensor = x.matmul(x).add(1).sub(x).mul(2).relu();
const idx: number = x.argmax().item();
const data = fromBuffer(new Int32Array([1, 2]), [2]).dataSync();
const m: MemoryInfo = memory();
const live: number = m.liveTensors;

// Errors
try {
  x.matmul(ones([3]));
} catch (e) {
  if (e instanceof TsmemError) {
    const code: StatusCode = e.code;
    const status: number = e.status;
  }
}

// Misuses the types reject:
// @ts-expect-error: acquire may miss (null)
const notNull: Tensor = pool.acquire([1], 'float32');
// @ts-expect-error: not a dtype
zeros([1], 'complex64');
// @ts-expect-error: shape is an array
zeros(10);
// @ts-expect-error: Tensors come from factories and ops
new Tensor(1n);
// @ts-expect-error: matmul takes a tensor
x.matmul(2);
// @ts-expect-error: stats().pools is a Map
stats.pools['float32:[10,10]'];
// @ts-expect-error: shape is read-only
x.shape = [1];

export { n, asyncExample, kept, flags, small, rate, shape, dtype, y, idx, data, live, notNull };
