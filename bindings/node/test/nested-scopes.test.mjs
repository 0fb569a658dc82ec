// The seed document's "Nested Scopes" usage pattern, as written (only the
// import path changed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memory, randn } from 'tsmem';
import { assertNoLiveTensors } from './helpers.mjs';

import { run } from 'tsmem'

test('Nested Scopes', () => {
  /** @type {any[]} */
  let [x_, y_, intermediate_] = [];
  const result = run(() => {
    const x = randn([100, 100])

    const intermediate = run(() => {
      const y = randn([100, 100])
      const z = x.matmul(y)
      y_ = y;
      return z.escape()
    })
    // y freed, z persists
    assert.throws(() => y_.item(), { code: 'TS_ERR_STALE_HANDLE' });
    assert.equal(memory().liveTensors, 2, 'x and intermediate');
    x_ = x;
    intermediate_ = intermediate;

    return x.add(intermediate).escape()
  })
  // x and intermediate freed, result persists

  for (const t of [x_, intermediate_]) assert.throws(() => t.shape, { code: 'TS_ERR_STALE_HANDLE' });
  assert.equal(memory().liveTensors, 1);
  assert.deepEqual(result.shape, [100, 100]);
  result.free();
  assertNoLiveTensors();
});
