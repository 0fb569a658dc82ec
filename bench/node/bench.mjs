// tsmem's Node.js binding, benchmarked (bench/README.md, "Node.js binding"):
//   N1  run() around 3 small tensor ops vs the same 3 ops disposed by hand
//       (free() of each result), in the same binding: goal ratio <= 1.05
//   N2  an empty run() vs an empty TensorFlow.js tf.tidy(): the ratio, for
//       information
//   N3  runAsync() around the same 3 ops and one await vs the same disposed
//       by hand around one await, for information: what the async scope and
//       the async_hooks that enter it cost (last: once runAsync has run,
//       the hooks stay on for every promise of the process)
// Like the C benchmarks: rounds alternate the two variants (which goes first
// alternates too); the ratio printed is the median of the per-round ratios,
// the times the medians of each variant's rounds; the ratios' middle half in
// brackets. Time is the process's CPU time (process.cpuUsage, user +
// system: Node has no per-thread CPU clock before v23.9), with one libtorch
// thread: on a shared 2-core machine wall time mostly measures who else
// runs (per-round wall ratios spread from 0.5 to 6 at load 11).
//
//   node bench.mjs [--rounds N]        (TSMEM_LIB=path/to/libtsmem.so)
import { run, runAsync, fromBuffer, setNumThreads, memory, libraryPath } from 'tsmem';
import * as tf from '@tensorflow/tfjs';

const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf('--rounds') + 1]) || 301;

setNumThreads(1);
await tf.setBackend('cpu');
await tf.ready();

function median(xs) {
  return quantile(xs, 0.5);
}

function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

function cpuNs() {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

async function timeAsync(fn, iters) {
  const t0 = cpuNs();
  await fn(iters);
  return (cpuNs() - t0) / iters;
}

async function compareAsync(a, b, iters) {
  for (let i = 0; i < 5; i++) {
    await a(iters);
    await b(iters);
  }
  const ta = [];
  const tb = [];
  const ratios = [];
  for (let r = 0; r < rounds; r++) {
    let x, y;
    if (r % 2 === 0) {
      x = await timeAsync(a, iters);
      y = await timeAsync(b, iters);
    } else {
      y = await timeAsync(b, iters);
      x = await timeAsync(a, iters);
    }
    ta.push(x);
    tb.push(y);
    ratios.push(x / y);
  }
  return { a: median(ta), b: median(tb), ratio: median(ratios), q1: quantile(ratios, 0.25), q3: quantile(ratios, 0.75) };
}

function time(fn, iters) {
  const t0 = cpuNs();
  fn(iters);
  return (cpuNs() - t0) / iters;
}

/** Runs a and b side by side; returns medians (ns per iteration) and the median ratio a/b. */
function compare(a, b, iters) {
  for (let i = 0; i < 5; i++) {
    a(iters);
    b(iters);
  }
  const ta = [];
  const tb = [];
  const ratios = [];
  for (let r = 0; r < rounds; r++) {
    let x, y;
    if (r % 2 === 0) {
      x = time(a, iters);
      y = time(b, iters);
    } else {
      y = time(b, iters);
      x = time(a, iters);
    }
    ta.push(x);
    tb.push(y);
    ratios.push(x / y);
  }
  return { a: median(ta), b: median(tb), ratio: median(ratios), q1: quantile(ratios, 0.25), q3: quantile(ratios, 0.75) };
}

let missed = 0;
function report(name, what, r, goal) {
  const verdict = goal === undefined ? 'no goal' : r.ratio <= goal ? `goal <= ${goal}  met` : `goal <= ${goal}  MISSED`;
  if (goal !== undefined && r.ratio > goal) missed++;
  console.log(`${name} ${what}`);
  console.log(`   ${r.a.toFixed(0)} vs ${r.b.toFixed(0)} ns/iter  ratio ${r.ratio.toFixed(3)} (${r.q1.toFixed(3)}-${r.q3.toFixed(3)})  ${verdict}`);
}

// N1: three ops on 8-float tensors.
const x = fromBuffer(new Float32Array([1, -2, 3, -4, 5, -6, 7, -8]));
const y = fromBuffer(new Float32Array([2, 2, 2, 2, 2, 2, 2, 2]));
const scoped = (n) => {
  for (let i = 0; i < n; i++) {
    run(() => {
      const a = x.add(y);
      const b = a.mul(y);
      b.relu();
    });
  }
};
const byHand = (n) => {
  for (let i = 0; i < n; i++) {
    const a = x.add(y);
    const b = a.mul(y);
    const c = b.relu();
    c.free();
    b.free();
    a.free();
  }
};
report('N1', 'run() around 3 ops (add, mul, relu of 8 floats) vs the same disposed by hand', compare(scoped, byHand, 1000), 1.05);

// N2: empty scopes.
const emptyRun = (n) => {
  for (let i = 0; i < n; i++) run(() => {});
};
const emptyTidy = (n) => {
  for (let i = 0; i < n; i++) tf.tidy(() => {});
};
report('N2', `empty run() vs empty tf.tidy() (tfjs ${tf.version.tfjs}, backend ${tf.getBackend()})`, compare(emptyRun, emptyTidy, 30000));

// N3: the same 3 ops around an await.
const scopedAsync = async (n) => {
  for (let i = 0; i < n; i++) {
    await runAsync(async () => {
      const a = x.add(y);
      await null;
      const b = a.mul(y);
      b.relu();
    });
  }
};
const byHandAsync = async (n) => {
  for (let i = 0; i < n; i++) {
    await (async () => {
      const a = x.add(y);
      await null;
      const b = a.mul(y);
      const c = b.relu();
      c.free();
      b.free();
      a.free();
    })();
  }
};
report('N3', 'runAsync() around 3 ops and an await vs the same disposed by hand', await compareAsync(scopedAsync, byHandAsync, 600));

x.free();
y.free();
const m = memory();
console.log(`(libtsmem: ${libraryPath}; node ${process.version}; ${rounds} rounds; live tensors at the end: ${m.liveTensors})`);
console.log(`${missed} goal(s) missed`);
process.exitCode = missed || m.liveTensors ? 1 : 0;
