// The seed document's "Training Loop" usage pattern, as written (only the
// import path changed). What it leaves undefined (model, criterion,
// optimizer, batches, getBatch, target) is a small linear regression
// trained by SGD through libtorch's autograd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memory, randn, fromBuffer, manualSeed } from 'tsmem';
import { assertNoLiveTensors } from './helpers.mjs';

import { run } from 'tsmem'

test('Training Loop', () => {
  manualSeed(1);
  // Outside any scope: the caller's, freed at the end.
  const weight = randn([4, 1]).requiresGrad();
  const trueWeight = fromBuffer(new Float32Array([1, -2, 3, 0.5]), [4, 1]);
  const batches = new Array(8).fill(0);
  let target; // set by getBatch, in the batch's scope
  const liveAtBatchStart = [];
  const getBatch = (batch) => {
    liveAtBatchStart.push(memory().liveTensors);
    const x = randn([16, 4]);
    target = x.matmul(trueWeight);
    return x;
  };
  const model = { forward: (input) => input.matmul(weight) };
  const criterion = (output, target) => output.mseLoss(target);
  const losses = [];
  const optimizer = {
    step(loss) {
      losses.push(loss.item());
      loss.backward();
      weight.sgdStep(0.1);
      weight.zeroGrad();
      liveAtStep.push(memory().liveTensors);
    },
  };
  const liveAtStep = [];

  for (let epoch = 0; epoch < 10; epoch++) {
    run(() => {
      for (let batch = 0; batch < batches.length; batch++) {
        const loss = run(() => {
          const input = getBatch(batch)
          const output = model.forward(input)
          const loss = criterion(output, target)

          optimizer.step(loss)
          return loss.item() // Escape scalar value
        })
        // input, output freed here
      }
    })
    // All batch tensors freed here
  }

  assert.equal(losses.length, 80);
  assert.ok(losses.at(-1) < losses[0] / 100, `the loss fell: ${losses[0]} -> ${losses.at(-1)}`);
  assert.deepEqual(liveAtStep, new Array(80).fill(6), 'weight, trueWeight + input, target, output, loss');
  assert.deepEqual(liveAtBatchStart, new Array(80).fill(2), "only weight and trueWeight outlive a batch's scope");
  assert.equal(memory().liveTensors, 2);
  weight.free();
  trueWeight.free();
  assertNoLiveTensors();
});
