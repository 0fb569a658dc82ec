// The seed document's Quick Start ("Memory Management System", ts-torch's
// memory module README), with only the import paths changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memory } from 'tsmem';
import { assertNoLiveTensors } from './helpers.mjs';

import { run } from 'tsmem'
import { zeros, ones } from 'tsmem'

test('Quick Start', () => {
  // All tensors auto-freed when scope exits
  const result = run(() => {
    const a = zeros([100, 100]) // Auto-freed
    const b = ones([100, 100]) // Auto-freed
    const c = a.add(b) // Auto-freed
    return c.escape() // Escaped - not freed
  })
  // a, b are freed; result persists

  assert.equal(memory().liveTensors, 1, 'only result is alive');
  assert.deepEqual(result.shape, [100, 100]);
  assert.equal(run(() => result.sum().item()), 10000);
  result.free();
  assertNoLiveTensors();
});
