// runAsync under interleaving: each call has its own libtsmem async scope,
// entered around each synchronous stretch of its function, so overlapping
// calls never share, steal or free each other's tensors (the seed's native
// layer freed them: one global scope stack for all calls).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memory, run, runAsync, full, ones, zeros, scopeDepth, scopeTensorCount, inScope } from 'tsmem';
import { assertNoLiveTensors, sleep } from './helpers.mjs';

// A deterministic shuffle of delays, so that the calls' stretches interleave
// differently at every step.
function delays(seed, n) {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s % 4;
  });
}

// One call: makes `steps` tensors holding its own id, yielding in between
// (timers and bare microtasks), and checks after every yield that its scope
// holds exactly its tensors and that each still holds its values.
async function job(id, steps) {
  const waits = delays(id + 1, steps);
  return runAsync(async () => {
    const mine = [];
    for (let i = 0; i < steps; i++) {
      mine.push(full([4], id * 1000 + i));
      if (waits[i] === 0) await Promise.resolve();
      else await sleep(waits[i]);
      assert.equal(scopeDepth(), 1, `job ${id}: its own scope is current`);
      assert.equal(scopeTensorCount(), mine.length, `job ${id}: its scope holds its tensors only`);
      mine.forEach((t, k) => assert.deepEqual(t.toArray(), [1, 2, 3, 4].map(() => id * 1000 + k)));
    }
    // The result: a tensor the caller frees.
    const total = mine.reduce((acc, t) => acc.add(t)).sum();
    return total.escape();
  });
}

async function interleaved(n) {
  const before = memory();
  const steps = 6;
  const results = await Promise.all(Array.from({ length: n }, (_, id) => job(id, steps)));
  assert.equal(inScope(), false);
  assert.equal(memory().liveTensors, n, 'only the escaped results are left');
  results.forEach((r, id) => {
    let want = 0;
    for (let i = 0; i < steps; i++) want += 4 * (id * 1000 + i);
    assert.equal(r.item(), want);
    r.free();
  });
  assert.equal(memory().created - before.created, n * steps * 2, 'steps tensors, steps - 1 sums, the total');
  assertNoLiveTensors();
}

test('two interleaved runAsync calls each keep their own tensors', () => interleaved(2));

test('ten interleaved runAsync calls each keep their own tensors', () => interleaved(10));

test('a call that ends first frees its tensors only; the other keeps scoping', async () => {
  let aTensor;
  let bTensors = [];
  const b = runAsync(async () => {
    bTensors.push(ones([2]));
    await sleep(5); // a starts and finishes meanwhile
    assert.throws(() => aTensor.item(), { code: 'TS_ERR_STALE_HANDLE' }, 'a has ended');
    bTensors.push(ones([2]));
    assert.equal(scopeTensorCount(), 2, "b's new tensor landed in b's scope");
    for (const t of bTensors) assert.deepEqual(t.toArray(), [1, 1]);
    await sleep(1);
    assert.equal(scopeTensorCount(), 2);
  });
  const a = runAsync(async () => {
    await Promise.resolve();
    aTensor = full([], 7);
    assert.equal(scopeTensorCount(), 1);
  });
  await a;
  // Here, between a's end and b's: nothing is current, nothing leaked into a
  // dead scope.
  assert.equal(inScope(), false);
  const t = zeros([1]);
  assert.equal(memory().liveTensors, 2, "b's first and t");
  await b;
  assert.deepEqual(t.toArray(), [0], 't was made outside any scope: nobody freed it');
  t.free();
  for (const x of bTensors) assert.throws(() => x.shape, { code: 'TS_ERR_STALE_HANDLE' });
  assertNoLiveTensors();
});

test('a nested runAsync escapes into its parent, even across awaits', async () => {
  const outer = await runAsync(async () => {
    const kept = await runAsync(async () => {
      await sleep(1);
      const t = full([2], 3);
      const scratch = ones([2]);
      assert.equal(scopeDepth(), 2, "the parent's scope is entered beneath");
      return t.escape();
    });
    assert.equal(scopeTensorCount(), 1, 'the escaped tensor belongs to the outer call');
    await sleep(1);
    assert.deepEqual(kept.toArray(), [3, 3]);
    return kept.mul(2).escape();
  });
  assert.deepEqual(outer.toArray(), [6, 6]);
  outer.free();
  assertNoLiveTensors();
});

test('runAsync inside run, and run inside runAsync', async () => {
  let pending;
  const r = run(() => {
    pending = runAsync(async () => {
      const a = ones([1]);
      assert.equal(scopeDepth(), 2, 'its first stretch runs on top of the run scope');
      await sleep(1);
      assert.equal(scopeDepth(), 1, 'later stretches: its own scope only');
      const v = run(() => a.add(ones([1])).item());
      assert.equal(scopeTensorCount(), 1);
      const kept = run(() => a.mul(3).escape());
      assert.equal(scopeTensorCount(), 2, "escaped from run into the call's scope");
      await sleep(1);
      assert.deepEqual(kept.toArray(), [3]);
      return v;
    });
    return zeros([1]).add(1).item();
  });
  assert.equal(r, 1);
  assert.equal(await pending, 2);
  assertNoLiveTensors();
});

test('a rejected runAsync frees its tensors and rejects with the error', async () => {
  let t;
  await assert.rejects(
    runAsync(async () => {
      t = ones([3]);
      await sleep(1);
      ones([3]).matmul(ones([2]));
    }),
    { name: 'TsmemError', code: 'TS_ERR_SHAPE' },
  );
  assert.throws(() => t.item(), { code: 'TS_ERR_STALE_HANDLE' });
  await assert.rejects(runAsync(() => { ones([1]); throw new Error('sync throw'); }), /sync throw/);
  assertNoLiveTensors();
});

test('calls started from calls that ended: each scopes its own tensors, escapes go to the caller', async () => {
  // Each call starts the next from a timer it does not await, so the next
  // one begins after its parent ended.
  const results = [];
  await new Promise((done) => {
    const step = (i) =>
      runAsync(async () => {
        const t = full([1], i);
        await Promise.resolve();
        assert.equal(scopeDepth(), 1, 'no ended parent is entered beneath');
        results.push(t.add(1).escape());
        assert.equal(scopeTensorCount(), 1);
        if (i < 50) setTimeout(() => step(i + 1), 0);
        else setTimeout(done, 0);
      });
    step(0);
  });
  assert.equal(results.length, 51);
  assert.equal(memory().liveTensors, 51, 'only the escaped results, now the caller\'s');
  results.forEach((r, i) => {
    assert.equal(r.item(), i + 1);
    r.free();
  });
  assertNoLiveTensors();
});
