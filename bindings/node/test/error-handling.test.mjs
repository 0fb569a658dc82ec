// The seed document's "Error Handling" usage pattern, as written (only the
// import path changed), and libtsmem's own errors as thrown Errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memory, zeros, ones, TsmemError } from 'tsmem';
import { assertNoLiveTensors, captureLog } from './helpers.mjs';

import { run } from 'tsmem'

test('Error Handling', (t) => {
  const before = memory();
  const lines = captureLog(t, () => {
    try {
      run(() => {
        const tensor = zeros([100, 100])
        throw new Error('Something failed!')
        // tensor still gets cleaned up
      })
    } catch (error) {
      console.log('Error caught, memory still cleaned up')
    }
  });
  const after = memory();
  assert.equal(after.created - before.created, 1, 'the tensor was made');
  assert.equal(after.freed - before.freed, 1, 'and freed');
  assert.deepEqual(lines, ['Error caught, memory still cleaned up']);
  assertNoLiveTensors();
});

test("libtsmem's errors are thrown with their sentence and status", () => {
  /** @type {any} */
  let err;
  run(() => {
    try {
      zeros([2, 3]).matmul(ones([2, 3]));
    } catch (e) {
      err = e;
    }
  });
  assert.ok(err instanceof TsmemError && err instanceof Error);
  assert.equal(err.code, 'TS_ERR_SHAPE');
  assert.equal(err.status, 6);
  assert.match(err.message, /^ts_matmul: /, 'the message is ts_last_error()');
  // An error inside run ends the scope all the same.
  assert.throws(() => run(() => { ones([3]).reshape([2, 2]); }), { code: 'TS_ERR_SHAPE' });
  assertNoLiveTensors();
});

test('run refuses an async function, as tf.tidy does', async () => {
  const pending = [];
  assert.throws(
    () => run(async () => {
      zeros([1]);
      pending.push(new Promise((r) => setTimeout(r, 1)));
      await pending[0];
    }),
    { name: 'TsmemError', code: 'TS_ERR_ARG', message: /use runAsync/ },
  );
  await pending[0];
  assertNoLiveTensors();
});
