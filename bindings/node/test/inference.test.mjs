// The seed document's "Inference" usage pattern, as written (only the
// import path changed). preprocess, model and inputs are defined first: a
// fixed linear classifier over 4 features and 3 classes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memory, fromBuffer } from 'tsmem';
import { assertNoLiveTensors } from './helpers.mjs';

import { run } from 'tsmem'

test('Inference', () => {
  // Class k scores feature k (feature 3 counts for nothing).
  const weights = fromBuffer(new Float32Array([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]), [4, 3]);
  const model = { forward: (x) => x.matmul(weights) };
  const preprocess = (input) => fromBuffer(input, [1, 4]).mul(2).relu();
  const inputs = [
    new Float32Array([5, 1, 0, 9]),
    new Float32Array([0, 3, 1, 9]),
    new Float32Array([-1, -2, 4, 9]),
    new Float32Array([0, 7, 6, 9]),
  ];
  const before = memory();

  const results = inputs.map((input) => {
    return run(() => {
      const processed = preprocess(input)
      const output = model.forward(processed)
      return output.argmax().item()
    })
    // All intermediate tensors freed
  })

  assert.deepEqual(results, [0, 1, 2, 1]);
  const after = memory();
  assert.equal(after.liveTensors, 1, 'only the weights');
  assert.equal(after.created - before.created, inputs.length * 5, '5 tensors per input, all freed');
  weights.free();
  assertNoLiveTensors();
});
