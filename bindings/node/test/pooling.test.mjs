// The seed document's "With Pooling" pattern and its "Pool Tuning"
// example, as written (only the import path changed). optimizer,
// memoryUsage and threshold are defined first; the 60 s interval runs on
// node:test's mock timers.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { memory, zeros } from 'tsmem';
import { assertNoLiveTensors, captureLog } from './helpers.mjs';

import { run, TensorPool } from 'tsmem'

test('With Pooling', (t) => {
  let steps = 0;
  const optimizer = {
    step(grad) {
      // Uses the gradient: a temporary in the iteration's scope.
      assert.equal(grad.add(1).sum().item(), 256 * 256);
      steps++;
    },
  };
  // The pooled tensor's contents are unspecified; this one stays zero.

  const lines = captureLog(t, () => {
    const pool = new TensorPool()

    for (let i = 0; i < 1000; i++) {
      run(() => {
        const grad = pool.acquire([256, 256], 'float32') ?? zeros([256, 256])

        // Use gradient...
        optimizer.step(grad)

        pool.release(grad)
      })
    }

    console.log('Pool hit rate:', pool.stats().hitRate)

    assert.deepEqual({ ...pool.stats(), pools: [...pool.stats().pools] },
      { size: 1, hitCount: 999, missCount: 1, hitRate: 0.999, pools: [['float32:[256,256]', 1]] });
    assert.equal(memory().pooledTensors, 1);
    pool.destroy();
  });
  assert.equal(steps, 1000);
  assert.deepEqual(lines, ['Pool hit rate: 0.999']);
  assert.equal(memory().pooledTensors, 0);
  assertNoLiveTensors();
});

test('Pool Tuning', () => {
  mock.timers.enable({ apis: ['setInterval'] });
  try {
    const memoryUsage = () => memory().pooledBytes;
    const threshold = 1000;

    // Small pool for memory-constrained environments
    const smallPool = new TensorPool(8)

    // Large pool for high-throughput scenarios
    const largePool = new TensorPool(128)

    const pool = largePool;
    for (let i = 0; i < 20; i++) smallPool.release(zeros([16]));
    for (let i = 0; i < 20; i++) largePool.release(zeros([16]));
    assert.equal(smallPool.stats().size, 8, 'a key keeps at most 8; the rest were freed');
    assert.equal(largePool.stats().size, 20);

    // Monitor and prune based on memory pressure
    setInterval(() => {
      if (memoryUsage() > threshold) {
        pool.prune()
      }
    }, 60000)

    mock.timers.tick(60000);
    assert.equal(largePool.stats().size, 10, 'halved: 28 * 64 bytes was over the threshold');
    mock.timers.tick(60000);
    assert.equal(largePool.stats().size, 5, '18 * 64 bytes: still over');
    mock.timers.tick(60000);
    assert.equal(largePool.stats().size, 5, '13 * 64 bytes: under, left alone');

    smallPool.destroy();
    largePool.destroy();
    assert.equal(memory().pooledTensors, 0);
    assertNoLiveTensors();
  } finally {
    mock.timers.reset();
  }
});
