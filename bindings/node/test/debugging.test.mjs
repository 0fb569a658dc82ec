// The seed document's "Debugging" examples and its comparison example
// ("ts-torch scopes are similar to context managers"), as written (only the
// import paths changed); console.log is captured to check what they print.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memory, zeros, ones, run, TensorPool } from 'tsmem';
import { assertNoLiveTensors, captureLog } from './helpers.mjs';

import { inScope, scopeDepth, scopeTensorCount } from 'tsmem'

test('Debugging: check scope state', (t) => {
  const outside = captureLog(t, () => {
    console.log('In scope:', inScope())
    console.log('Scope depth:', scopeDepth())
    console.log('Tensors tracked:', scopeTensorCount())
  });
  assert.deepEqual(outside, ['In scope: false', 'Scope depth: 0', 'Tensors tracked: 0']);

  const inside = captureLog(t, () =>
    run(() => {
      zeros([3]);
      run(() => {
        ones([3]);
        ones([3]);
        console.log('In scope:', inScope())
        console.log('Scope depth:', scopeDepth())
        console.log('Tensors tracked:', scopeTensorCount())
      });
    }),
  );
  assert.deepEqual(inside, ['In scope: true', 'Scope depth: 2', 'Tensors tracked: 2']);
  assertNoLiveTensors();
});

test('Debugging: monitor pool performance', (t) => {
  const pool = new TensorPool();
  for (let i = 0; i < 4; i++) {
    run(() => {
      const a = pool.acquire([10, 10], 'float32') ?? zeros([10, 10]);
      const b = pool.acquire([3], 'int64') ?? zeros([3], 'int64');
      pool.release(a);
      pool.release(b);
    });
  }
  pool.release(zeros([10, 10]));

  const lines = captureLog(t, () => {
    const stats = pool.stats()
    console.log(`Pool size: ${stats.size}`)
    console.log(`Hit rate: ${(stats.hitRate * 100).toFixed(1)}%`)
    console.log(`Efficiency: ${stats.hitCount}/${stats.hitCount + stats.missCount}`)

    for (const [key, count] of stats.pools) {
      console.log(`  ${key}: ${count} tensors`)
    }
  });
  assert.deepEqual(lines.slice(0, 3), ['Pool size: 3', 'Hit rate: 75.0%', 'Efficiency: 6/8']);
  assert.deepEqual(lines.slice(3).sort(), ['  float32:[10,10]: 2 tensors', '  int64:[3]: 1 tensors']);
  pool.destroy();
  assert.equal(memory().pooledTensors, 0);
  assertNoLiveTensors();
});

test('Comparison: scope-based, like a context manager', () => {
  // ts-torch - scope-based
  run(() => {
    const x = zeros([10, 10])
    const y = ones([10, 10])
    const z = x.add(y)
    // x, y freed when scope exits
  })
  assertNoLiveTensors();
});
