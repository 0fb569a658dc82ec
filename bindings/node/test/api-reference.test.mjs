// The seed document's API Reference examples, each as written (only the
// import paths changed). Functions the examples call without defining them
// (fetchData, processAsync) are defined first; console.log is captured to
// check the values the examples' comments give.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memory, zeros, ones, fromBuffer, run, runAsync, escapeTensor, inScope, scopeDepth, scopeTensorCount, TensorPool } from 'tsmem';
import { assertNoLiveTensors, captureLog, sleep } from './helpers.mjs';

// The globalTensorPool example's import line:
import { globalTensorPool } from 'tsmem'

test('run<T>(fn)', () => {
  const tensor = run(() => {
    const x = zeros([10, 10])
    const y = ones([10, 10])
    const result = x.add(y)
    return result.escape()
  })

  assert.equal(memory().liveTensors, 1);
  assert.equal(run(() => tensor.sum().item()), 100);
  tensor.free();
  assertNoLiveTensors();
});

test('runAsync<T>(fn)', async () => {
  const fetchData = async () => {
    await sleep(2);
    return new Float32Array([1, -2, 3, -4]);
  };
  let intermediates = [];
  const processAsync = async (t) => {
    await sleep(2);
    const doubled = t.mul(2);
    await Promise.resolve();
    const out = doubled.relu();
    intermediates = [t, doubled];
    return out;
  };

  const result = await runAsync(async () => {
    const data = await fetchData()
    const tensor = fromBuffer(data)
    const processed = await processAsync(tensor)
    return processed.escape()
  })

  assert.deepEqual(result.toArray(), [2, 0, 6, 0]);
  assert.equal(memory().liveTensors, 1, 'tensor and the intermediate were freed');
  for (const t of intermediates) assert.throws(() => t.item(), { code: 'TS_ERR_STALE_HANDLE' });
  result.free();
  assertNoLiveTensors();
});

test('escapeTensor<T>(tensor)', () => {
  // The example's run sits in an outer scope here, so that the escaped
  // tensor has a scope to land in and the test can see it there.
  run(() => {
    run(() => {
      const temp = zeros([10, 10])
      const keep = ones([10, 10])
      escapeTensor(keep)
      // temp will be freed, keep will persist
    })
    assert.equal(scopeTensorCount(), 1, 'keep persisted into the outer scope');
    assert.equal(memory().liveTensors, 1);
  });
  // "Throws: Error if not currently in a scope"
  const t = zeros([2]);
  assert.throws(() => escapeTensor(t), { name: 'TsmemError', code: 'TS_ERR_NO_SCOPE' });
  assert.deepEqual(t.toArray(), [0, 0], 'the tensor is unchanged');
  t.free();
  assertNoLiveTensors();
});

test('inScope()', (t) => {
  const lines = captureLog(t, () => {
    console.log(inScope()) // false
    run(() => {
      console.log(inScope()) // true
    })
  });
  assert.deepEqual(lines, ['false', 'true']);
  assertNoLiveTensors();
});

test('scopeDepth()', (t) => {
  const lines = captureLog(t, () => {
    run(() => {
      console.log(scopeDepth()) // 1
      run(() => {
        console.log(scopeDepth()) // 2
      })
    })
  });
  assert.deepEqual(lines, ['1', '2']);
  assertNoLiveTensors();
});

test('scopeTensorCount()', (t) => {
  const lines = captureLog(t, () => {
    run(() => {
      zeros([10, 10])
      ones([10, 10])
      console.log(scopeTensorCount()) // 2
    })
  });
  assert.deepEqual(lines, ['2']);
  assertNoLiveTensors();
});

test('TensorPool: acquire, release, stats, clear, clearKey, prune', () => {
  const pool = new TensorPool()
  const tensor = pool.acquire([10, 10], 'float32') ?? zeros([10, 10])
  assert.equal(memory().liveTensors, 1, 'a miss: zeros made a new tensor');

  pool.release(tensor)
  assert.equal(memory().liveTensors, 0, 'the pool holds it now');
  assert.equal(memory().pooledTensors, 1);

  const stats = pool.stats();
  assert.equal(stats.size, 1);
  assert.equal(stats.hitCount, 0);
  assert.equal(stats.missCount, 1);
  assert.equal(stats.hitRate, 0);
  assert.deepEqual([...stats.pools], [['float32:[10,10]', 1]]);

  if (pool.stats().size > 1000) {
    pool.prune(500) // Reduce to 500 tensors
  }
  assert.equal(pool.stats().size, 1);

  // prune(targetSize?): default half the current size.
  for (let i = 0; i < 3; i++) pool.release(zeros([4]));
  assert.equal(pool.stats().size, 4);
  pool.prune();
  assert.equal(pool.stats().size, 2);
  pool.prune(1);
  assert.equal(pool.stats().size, 1);

  // clearKey(shape, dtype): that key only.
  pool.release(ones([3], 'int64'));
  pool.release(zeros([10, 10]));
  const before = pool.stats();
  pool.clearKey([3], 'int64');
  const after = pool.stats();
  assert.equal(after.size, before.size - 1);
  assert.equal(after.pools.get('int64:[3]') ?? 0, 0);

  // clear(): everything, statistics reset.
  pool.clear();
  assert.deepEqual({ ...pool.stats(), pools: [...pool.stats().pools] }, { size: 0, hitCount: 0, missCount: 0, hitRate: 0, pools: [] });
  assert.equal(memory().pooledTensors, 0);
  pool.destroy();
  assert.throws(() => pool.stats(), { name: 'TsmemError', code: 'TS_ERR_POOL' });
  assertNoLiveTensors();
});

test('globalTensorPool', () => {
  const tensor = globalTensorPool.acquire([10, 10], 'float32') ?? zeros([10, 10])
  globalTensorPool.release(tensor)

  assert.equal(globalTensorPool.stats().pools.get('float32:[10,10]'), 1);
  const again = globalTensorPool.acquire([10, 10], 'float32');
  assert.ok(again, 'a hit the second time');
  assert.deepEqual(again.shape, [10, 10]);
  globalTensorPool.release(again);
  globalTensorPool.clear();
  assert.equal(memory().pooledTensors, 0);
  assertNoLiveTensors();
});
