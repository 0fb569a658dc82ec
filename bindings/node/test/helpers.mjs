// Shared by the tests: the end-of-test leak check and console capture.
import assert from 'node:assert/strict';
import { memory, globalTensorPool } from 'tsmem';

/** Every test ends here: no tensor alive outside pools. */
export function assertNoLiveTensors() {
  assert.equal(memory().liveTensors, 0, 'live tensors at the end of the test');
}

/** Runs fn with console.log captured; returns the logged lines. */
export function captureLog(t, fn) {
  const lines = [];
  const log = t.mock.method(console, 'log', (...args) => lines.push(args.map(String).join(' ')));
  const r = fn();
  if (r && typeof r.then === 'function')
    return r.then(() => {
      log.mock.restore();
      return lines;
    });
  log.mock.restore();
  return lines;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Frees what the global pool holds so that pooled counts start at zero. */
export function emptyGlobalPool() {
  globalTensorPool.clear();
}
