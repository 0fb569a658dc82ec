// SPEC.md section 2 through the binding: escape from a nested scope, an
// out-of-order scope end, a released pool tensor, stale tensors. These are
// the seed native layer's bugs; here libtsmem decides, the binding reports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import koffi from 'koffi';
import {
  memory, run, runAsync, zeros, ones, full, fromBuffer, escapeTensor, scopeDepth, scopeTensorCount, inScope,
  TensorPool, Tensor, TsmemError, libraryPath,
} from 'tsmem';
import { assertNoLiveTensors } from './helpers.mjs';

test('escape from a nested scope moves the tensor to the parent, once per level', () => {
  let inner, outerOwned;
  run(() => {
    const mid = run(() => {
      inner = run(() => full([2], 5).escape());
      assert.equal(scopeTensorCount(), 1, 'inner landed in the middle scope');
      return inner;
    });
    assert.equal(mid, inner);
    assert.equal(scopeTensorCount(), 0, 'escaped once: it stayed in the middle scope, which freed it');
    assert.throws(() => inner.item(), { code: 'TS_ERR_STALE_HANDLE' });

    outerOwned = ones([2]);
    run(() => {
      // Owned by an outer scope: escape leaves it where it is.
      escapeTensor(outerOwned);
      assert.equal(scopeTensorCount(), 0);
    });
    assert.equal(scopeTensorCount(), 1);
    assert.deepEqual(outerOwned.toArray(), [1, 1]);
  });
  assert.throws(() => outerOwned.toArray(), { code: 'TS_ERR_STALE_HANDLE' });

  // Escaped at every level: the caller's, until freed.
  const kept = run(() => run(() => full([1], 9).escape()).escape());
  assert.equal(memory().liveTensors, 1);
  assert.equal(kept.item(), 9);
  kept.free();

  // keep(): out of scope management for good.
  const k = run(() => run(() => zeros([1]).keep()));
  assert.equal(k.item(), 0);
  k.free();
  assertNoLiveTensors();
});

test('an out-of-order scope end ends the inner scopes first and is reported', () => {
  // A scope begun through the C API inside run and never ended: run's own
  // end is then out of order.
  const lib = koffi.load(libraryPath);
  const begin = lib.func('uint64_t ts_scope_begin(void)');
  /** @type {any[]} */
  let [a, b] = [];
  assert.throws(
    () =>
      run(() => {
        a = ones([2]);
        begin();
        b = ones([2]);
        assert.equal(scopeDepth(), 2);
      }),
    (e) => e instanceof TsmemError && e.code === 'TS_ERR_SCOPE_MISMATCH' && /^ts_scope_end: /.test(e.message),
  );
  // Both scopes ended, everything they owned freed, nothing left current:
  // later tensors do not land in a dead scope.
  assert.equal(scopeDepth(), 0);
  assert.equal(inScope(), false);
  for (const t of [a, b]) assert.throws(() => t.item(), { code: 'TS_ERR_STALE_HANDLE' });
  const later = zeros([1]);
  assert.equal(memory().liveTensors, 1);
  assert.equal(run(() => scopeTensorCount()), 0);
  later.free();
  assertNoLiveTensors();
});

test('runAsync calls that end out of order each free only their own tensors', async () => {
  const order = [];
  const seen = {};
  const gates = {};
  const call = (name) =>
    runAsync(async () => {
      const t = full([1], name.charCodeAt(0));
      await new Promise((r) => (gates[name] = r));
      ones([1]);
      seen[name] = { count: scopeTensorCount(), value: t.item() };
      order.push(name);
    });
  // Begun a, b, c; they end c, a, b.
  const all = Promise.all([call('a'), call('b'), call('c')]);
  for (const name of ['c', 'a', 'b']) {
    gates[name]();
    await new Promise((r) => setTimeout(r, 1));
    assert.equal(inScope(), false);
  }
  await all;
  assert.deepEqual(order, ['c', 'a', 'b']);
  assert.deepEqual(seen, { a: { count: 2, value: 97 }, b: { count: 2, value: 98 }, c: { count: 2, value: 99 } });
  assert.equal(inScope(), false);
  assertNoLiveTensors();
});

test('a released pool tensor belongs to the pool: its scope does not free it, its handle is dead', () => {
  const pool = new TensorPool(4);
  let released;
  run(() => {
    released = fromBuffer(new Float32Array([1, 2, 3]));
    assert.equal(scopeTensorCount(), 1);
    pool.release(released);
    assert.equal(scopeTensorCount(), 0, 'out of its scope');
  });
  assert.equal(pool.stats().size, 1, 'the scope end did not free it');
  assert.equal(memory().pooledTensors, 1);
  assert.throws(() => released.toArray(), { code: 'TS_ERR_STALE_HANDLE' });
  assert.throws(() => released.free(), { code: 'TS_ERR_STALE_HANDLE' });
  assert.throws(() => pool.release(released), { code: 'TS_ERR_STALE_HANDLE' });

  // acquire hands it to the current scope, which frees it.
  let again;
  run(() => {
    again = pool.acquire([3], 'float32');
    assert.ok(again instanceof Tensor);
    assert.notEqual(again.handle, released.handle, 'a new handle for the pooled tensor');
    assert.equal(scopeTensorCount(), 1);
    assert.equal(pool.acquire([3], 'float32'), null, 'a miss is null, not an error');
  });
  assert.throws(() => again.item(), { code: 'TS_ERR_STALE_HANDLE' });
  assert.equal(pool.stats().size, 0);
  assert.equal(memory().pooledTensors, 0);

  // A full key frees what is released to it.
  for (let i = 0; i < 6; i++) pool.release(zeros([2]));
  assert.equal(pool.stats().size, 4);
  pool.destroy();
  assertNoLiveTensors();
});

test('a stale tensor throws on every use and never crashes the process', () => {
  const t = run(() => ones([2, 2]));
  const live = ones([2, 2]);
  const uses = [
    () => t.shape, () => t.dtype, () => t.ndim, () => t.numel, () => t.item(), () => t.dataSync(),
    () => t.toArray(), () => t.escape(), () => t.keep(), () => t.free(), () => t.add(live),
    () => live.add(t), () => t.matmul(live), () => live.matmul(t), () => t.add(1), () => t.relu(),
    () => t.sum(), () => t.argmax(), () => t.argmax(0), () => t.reshape([4]), () => t.transpose(0, 1),
    () => t.requiresGrad(), () => t.grad, () => t.backward(), () => t.sgdStep(0.1), () => t.clone(),
    () => escapeTensor(t), () => run(() => t.mul(live)),
  ];
  for (const use of uses) assert.throws(use, { name: 'TsmemError', code: 'TS_ERR_STALE_HANDLE' }, String(use));
  live.free();
  assert.throws(() => live.free(), { code: 'TS_ERR_STALE_HANDLE' });
  assert.throws(() => new TensorPool().release(live), { code: 'TS_ERR_STALE_HANDLE' });
  // Wrong kinds of values are refused before they reach C.
  // @ts-expect-error: not a tensor
  run(() => assert.throws(() => zeros([2]).add({}), TypeError));
  // @ts-expect-error: the constructor is internal
  assert.throws(() => new Tensor(123n).item(), { code: 'TS_ERR_STALE_HANDLE' });
  assert.throws(() => fromBuffer(new Float32Array(3), [2, 2]), { code: 'TS_ERR_SHAPE' });
  // @ts-expect-error: not a dtype
  assert.throws(() => zeros([2], 'complex64'), { code: 'TS_ERR_DTYPE' });
  assertNoLiveTensors();
});
