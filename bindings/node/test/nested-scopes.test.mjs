// The seed document's "Nested Scopes" usage pattern, as written (only the
// import path changed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memory, randn, scopeTensorCount } from 'tsmem';
import { assertNoLiveTensors } from './helpers.mjs';

import { run } from 'tsmem'

test('Nested Scopes', () => {
  const before = memory();

  const result = run(() => {
    const x = randn([100, 100])

    const intermediate = run(() => {
      const y = randn([100, 100])
      const z = x.matmul(y)
      return z.escape()
    })
    // y freed, z persists

    return x.add(intermediate).escape()
  })
  // x and intermediate freed, result persists

  const after = memory();
  assert.equal(after.created - before.created, 4, 'x, y, z (intermediate), result');
  assert.equal(after.freed - before.freed, 3, 'x, y and intermediate');
  assert.equal(after.liveTensors, 1);
  assert.deepEqual(result.shape, [100, 100]);
  result.free();
  assertNoLiveTensors();
});

test('Nested Scopes, observed: y dies with the inner scope, z with the outer', () => {
  /** @type {any[]} */
  let [y_, x_, z_] = [];
  const result = run(() => {
    const x = (x_ = randn([100, 100]));
    const intermediate = run(() => {
      const y = (y_ = randn([100, 100]));
      const z = (z_ = x.matmul(y));
      return z.escape();
    });
    assert.throws(() => y_.item(), { code: 'TS_ERR_STALE_HANDLE' });
    assert.equal(scopeTensorCount(), 2, 'x and the escaped z');
    assert.equal(intermediate, z_);
    return x.add(intermediate).escape();
  });
  for (const t of [x_, z_]) assert.throws(() => t.shape, { code: 'TS_ERR_STALE_HANDLE' });
  assert.deepEqual(result.shape, [100, 100]);
  result.free();
  assertNoLiveTensors();
});
