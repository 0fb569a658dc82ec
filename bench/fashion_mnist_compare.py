#!/usr/bin/python3
"""examples/fashion_mnist.c against its PyTorch twin (bench/fashion_mnist_torch.py),
side by side in one run (issue 12): the same model, schedule and data, one
thread each, alternating C and PyTorch (or running them at the same time
with --jobs) so that both see the same machine.

    /usr/bin/python3 bench/fashion_mnist_compare.py --c build/examples/fashion_mnist
        [--runs 3] [--epochs 2] [--batch-limit N] [--train-limit N] [--jobs 1]

Prints each run's per-epoch times (wall clock and the process's CPU time,
training loop only) and final accuracies, then the summary: mean test
accuracy of each, their difference in points, and the ratios of C's time
per epoch to PyTorch's (median over runs of the per-run ratio of mean epoch
times; on a loaded machine the CPU-time ratio is the steadier one). Goals: C >= 0.88, |C - PyTorch| <= 0.5 points,
ratio <= 1.0. Exit status 0 when the run completed (goals are reported,
not enforced: timing depends on the machine).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
EPOCH = re.compile(r"^epoch (\d+): loss ([0-9.naninf]+) test accuracy ([0-9.]+) time ([0-9.]+) s cpu ([0-9.]+) s")
FINAL = re.compile(r"^final test accuracy ([0-9.]+)")


def start(name, cmd, env):
    print(f"$ {' '.join(cmd)}", flush=True)
    return name, subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(job):
    name, p = job
    out = p.communicate()[0]
    times, cpu, acc = [], [], None
    for line in out.splitlines():
        print(f"  [{name}] {line}", flush=True)
        m = EPOCH.match(line)
        if m:
            times.append(float(m.group(4)))
            cpu.append(float(m.group(5)))
        m = FINAL.match(line)
        if m:
            acc = float(m.group(1))
    if p.returncode != 0 or acc is None or not times:
        sys.exit(f"{name} failed (exit {p.returncode})")
    return times, cpu, acc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--c", required=True, help="the fashion_mnist binary")
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-limit", type=int, default=0)
    ap.add_argument("--train-limit", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1,
                    help="programs run at once (1: one after the other, C and PyTorch "
                    "alternating; 2: each run's C and PyTorch together; 2 * runs: all)")
    a = ap.parse_args()

    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env.pop("WORLD_SIZE", None)
    common = ["--epochs", str(a.epochs), "--threads", "1"]
    if a.batch_limit:
        common += ["--batch-limit", str(a.batch_limit)]
    if a.train_limit:
        common += ["--train-limit", str(a.train_limit)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        jobs = []
        for r in range(1, a.runs + 1):
            seed = ["--seed", str(r)]
            jobs.append((f"C run {r}", [a.c] + common + seed + ["--checkpoint", os.path.join(tmp, f"c{r}.pt")]))
            jobs.append((f"PyTorch run {r}", [a.python, os.path.join(HERE, "fashion_mnist_torch.py")] + common + seed))
        results = []
        for i in range(0, len(jobs), a.jobs):  # a.jobs at a time, C and PyTorch alternating
            running = [start(name, cmd, env) for name, cmd in jobs[i:i + a.jobs]]
            results += [finish(j) for j in running]
        for r in range(a.runs):
            rows.append((r + 1, results[2 * r], results[2 * r + 1]))

    def fmt(ts):
        return " ".join(f"{t:7.2f}" for t in ts)

    print()
    print("run  C wall s/epoch   PyTorch wall s/ep  C cpu s/epoch     PyTorch cpu s/ep   "
          "wall ratio cpu ratio  C acc   PyTorch acc")
    wall_ratios, cpu_ratios = [], []
    for r, (ct, cc, ca), (pt, pc, pa) in rows:
        wall_ratios.append(statistics.mean(ct) / statistics.mean(pt))
        cpu_ratios.append(statistics.mean(cc) / statistics.mean(pc))
        print(f"{r:<4} {fmt(ct):18} {fmt(pt):18} {fmt(cc):18} {fmt(pc):18} "
              f"{wall_ratios[-1]:10.3f} {cpu_ratios[-1]:9.3f}  {ca:.4f}  {pa:.4f}")
    cacc = statistics.mean(c[2] for _, c, _ in rows)
    pacc = statistics.mean(p[2] for _, _, p in rows)
    wall, cpu = statistics.median(wall_ratios), statistics.median(cpu_ratios)
    print()
    print(f"test accuracy after {a.epochs} epochs: C {cacc:.4f}, PyTorch {pacc:.4f} "
          f"(mean of {a.runs} runs), difference {100 * (cacc - pacc):+.2f} points")
    print(f"time per epoch C / PyTorch: wall {wall:.3f}, cpu {cpu:.3f} (median of {a.runs} runs)")
    goals = [("C accuracy >= 0.88", cacc >= 0.88),
             ("within 0.5 points of PyTorch", abs(cacc - pacc) <= 0.005),
             ("time ratio (wall) <= 1.0", wall <= 1.0),
             ("time ratio (cpu) <= 1.0", cpu <= 1.0)]
    for what, ok in goals:
        print(f"  {'met' if ok else 'NOT met'}: {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
