// async.js - runAsync: one libtsmem async scope per call, entered around
// every synchronous stretch of its async function.
//
// libtsmem's scopes belong to a thread's call stack; a JS async function is
// many short synchronous stretches (the start, then one per await or
// callback) on the one JS thread, interleaved with other code. So each
// runAsync call gets its own async scope (ts_async_scope_begin), and the
// scope is entered (ts_async_scope_enter) only while a stretch of that call
// runs and left (ts_async_scope_leave) when the stretch ends. Tensors made
// in a stretch go to that call's scope, whatever else ran in between;
// ts_async_scope_end frees them when the function settles.
//
// Which stretch belongs to which call: Node's async_hooks. `init` tags every
// async resource (promise, timer, tick, I/O request) created while a call's
// code runs with that call; `before`/`after` run around each callback of a
// resource, where we enter/leave the tagged call's scope. The same
// propagation AsyncLocalStorage uses, with the before/after it lacks.
//
// A runAsync started inside another one's stretch has it as its parent:
// when its stretches run, the parent's scope is entered beneath it (unless
// the parent already ended), so escape() moves a tensor to the parent, as a
// nested run would. A stretch that runs after its call settled (a timer it
// did not await) enters nothing: tensors made there belong to whatever scope
// is current, or to the caller.
import { createHook, executionAsyncResource } from 'node:async_hooks';
import { C } from './native.js';
import { lastError } from './errors.js';

const CTX = Symbol('tsmem.runAsync');

/** The runAsync call whose code is running, or null. */
let current = null;
/** One record per `before` we acted on: [asyncId, previous current, scopes entered]. */
const frames = [];

class Ctx {
  constructor(scope, parent) {
    this.scope = scope;
    this.parent = parent;
    this.entered = false;
    this.ended = false;
    this.error = null; // first failure inside a hook; runAsync rejects with it
  }
}

/** Enters ctx and its live, not yet entered ancestors, outermost first; returns them. */
function enterChain(ctx) {
  let chain = null;
  for (let c = ctx; c !== null; c = c.parent) {
    // Ended ancestors are dropped from the chain for good, so that calls
    // started from calls that ended (a loop of timers, say) keep it short.
    while (c.parent !== null && c.parent.ended) c.parent = c.parent.parent;
    if (c.entered) break; // it and (so) its ancestors are already on the stack
    if (!c.ended) (chain ??= []).push(c);
  }
  if (chain === null) return null;
  for (let i = chain.length - 1; i >= 0; i--) {
    const c = chain[i];
    if (C.ts_async_scope_enter(c.scope) !== 0) {
      ctx.error ??= lastError();
      chain.splice(0, i + 1); // entered: chain[i+1..]; leave those
      leaveChain(chain, ctx);
      return null;
    }
    c.entered = true;
  }
  return chain;
}

/** Leaves what enterChain entered, innermost first. */
function leaveChain(chain, ctx) {
  if (chain === null) return;
  for (let i = 0; i < chain.length; i++) {
    const c = chain[i];
    c.entered = false;
    if (C.ts_async_scope_leave(c.scope) !== 0) ctx.error ??= lastError();
  }
}

const hook = createHook({
  init(asyncId, type, triggerAsyncId, resource) {
    if (current !== null) resource[CTX] = current;
  },
  // Hooks must not throw (Node exits): failures are kept on the context.
  before(asyncId) {
    const r = executionAsyncResource();
    const ctx = (r !== null && typeof r === 'object' && r[CTX]) || null;
    if (ctx === null && current === null) return;
    frames.push(asyncId, current, ctx === null ? null : enterChain(ctx), ctx);
    current = ctx;
  },
  after(asyncId) {
    // An `after` whose `before` we did not see (the hook was enabled during
    // that callback) finds another id on top, or nothing: ignore it.
    const n = frames.length;
    if (n === 0 || frames[n - 4] !== asyncId) return;
    const ctx = frames.pop();
    const chain = frames.pop();
    current = frames.pop();
    frames.pop();
    if (ctx !== null) leaveChain(chain, ctx);
  },
});
let hooked = false;

/**
 * Runs the async function fn in its own scope, freed when fn settles;
 * resolves to what fn resolves to (escape tensors you return).
 */
export async function runAsync(fn) {
  if (!hooked) {
    hook.enable(); // once: later calls only pay for what they use
    hooked = true;
  }
  const scope = C.ts_async_scope_begin();
  if (scope === null) throw lastError();
  let parent = current;
  while (parent !== null && parent.ended) parent = parent.parent;
  const ctx = new Ctx(scope, parent);
  const prev = current;
  const chain = enterChain(ctx);
  current = ctx;
  let promise;
  try {
    promise = fn();
  } catch (e) {
    promise = Promise.reject(e);
  } finally {
    current = prev;
    leaveChain(chain, ctx);
  }
  let failed = false;
  try {
    return await promise;
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    ctx.ended = true;
    const status = C.ts_async_scope_end(scope);
    if (!failed) {
      if (ctx.error !== null) throw ctx.error;
      if (status !== 0) throw lastError();
    }
  }
}
