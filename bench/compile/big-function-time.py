#!/usr/bin/env python3
"""big-function-time.py: compile time of one big function, plugin vs none.

For each shape of gen-big-function.py and each size, compiles the generated
file with and without the plugin (alternating, --rounds times) and prints
the median CPU time (user + system of the compiler, the machine being
shared) of each and their ratio. A compile that takes longer than
--timeout seconds is stopped and shown as such.

  python3 bench/compile/big-function-time.py --plugin build/lib/tsmem/tsmem.so \\
      --include include --shapes straight,branchy,loop,scoped,nested \\
      --sizes 500,1000,2000,5000 --rounds 3
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def cpu_time(cmd, timeout):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        subprocess.run(cmd, check=True, timeout=timeout,
                       stdout=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clang", default="clang-19")
    ap.add_argument("--plugin", required=True)
    ap.add_argument("--include", required=True)
    ap.add_argument("--shapes", default="straight,branchy,loop,scoped,nested")
    ap.add_argument("--sizes", default="500,1000,2000,5000")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--opt", default="-O0")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--extra", default="", help="more flags for the plugin compile")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="tsmem-big-")
    print(f"{'shape':9} {'vars':>6} {'no plugin':>10} {'plugin':>10} {'ratio':>6}")
    for shape in args.shapes.split(","):
        for n in map(int, args.sizes.split(",")):
            src = os.path.join(work, f"{shape}-{n}.c")
            with open(src, "w") as f:
                subprocess.run([sys.executable, os.path.join(HERE, "gen-big-function.py"),
                                shape, str(n)], stdout=f, check=True)
            base = [args.clang, "-c", args.opt, "-I" + args.include, src,
                    "-o", os.path.join(work, "out.o")]
            plug = base + ["-fplugin=" + os.path.abspath(args.plugin)] + args.extra.split()
            without, withp = [], []
            for r in range(args.rounds):
                order = [(base, without), (plug, withp)]
                if r % 2:
                    order.reverse()
                for cmd, acc in order:
                    t = cpu_time(cmd, args.timeout)
                    acc.append(float("inf") if t is None else t)
            a, b = statistics.median(without), statistics.median(withp)
            bs = ">%.0f" % args.timeout if b == float("inf") else "%.2f" % b
            print(f"{shape:9} {n:>6} {a:>10.2f} {bs:>10} {b / a:>6.2f}", flush=True)


if __name__ == "__main__":
    main()
