#!/usr/bin/env python3
"""compile-time.py: compile time with the tsmem plugin against without it.

  compile-time.py --clang clang-19 --plugin BUILD/lib/tsmem/tsmem.so \
      --include SRC/include --work DIR [--rounds N]

Two code bases: (a) a generated file of thousands of lines of tensor code
(gen-tensor-code.py), at -O0 and -O2; (b) zlib from Debian's binutils
sources (fetch-real-code.sh), C nobody here wrote, at -O2. Each round
compiles every input both ways, in alternating order; the figure is the
ratio of the medians. Goal: with / without <= 1.10.
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def compile_seconds(cmds):
    """CPU seconds (user + system) the compiles took: on a shared machine
    wall-clock time measures the neighbours as much as the compiler."""
    start = children_cpu()
    for cmd in cmds:
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return children_cpu() - start


def measure(name, plain, plugin, rounds):
    with_times, without_times = [], []
    compile_seconds(plain)  # warm the file cache
    compile_seconds(plugin)
    for r in range(rounds):
        if r % 2:
            with_times.append(compile_seconds(plugin))
            without_times.append(compile_seconds(plain))
        else:
            without_times.append(compile_seconds(plain))
            with_times.append(compile_seconds(plugin))
    w, wo = statistics.median(with_times), statistics.median(without_times)
    verdict = "met" if w / wo <= 1.10 else "MISSED"
    print(f"  {name:34} with {w:7.3f} s  without {wo:7.3f} s CPU  "
          f"ratio {w / wo:.3f} (goal <= 1.10: {verdict})", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clang", default="clang-19")
    ap.add_argument("--plugin", required=True)
    ap.add_argument("--include", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--functions", type=int, default=200)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)

    big = os.path.join(args.work, "tensor_code.c")
    with open(big, "w") as out:
        subprocess.run([sys.executable, os.path.join(HERE, "gen-tensor-code.py"),
                        str(args.functions)], check=True, stdout=out)
    with open(big) as f:
        lines = sum(1 for _ in f)
    zlib = subprocess.run(["sh", os.path.join(HERE, "fetch-real-code.sh"),
                           os.path.join(args.work, "real")], check=True,
                          capture_output=True, text=True).stdout.strip()
    zlib_sources = sorted(os.path.join(zlib, f) for f in os.listdir(zlib)
                          if f.endswith(".c"))

    plugin = ["-fplugin=" + args.plugin]
    print(f"compile time, with the plugin / without, medians of {args.rounds} "
          "interleaved rounds:")
    for opt in ("-O0", "-O2"):
        base = [args.clang, opt, "-I" + args.include, "-c", big, "-o", os.devnull]
        measure(f"generated, {lines} lines, {opt}", [base],
                [base[:1] + plugin + base[1:]], args.rounds)
    zflags = ["-O2", "-DHAVE_UNISTD_H", "-DHAVE_STDARG_H", "-w", "-c"]
    plain = [[args.clang, *zflags, src, "-o", os.devnull] for src in zlib_sources]
    with_plugin = [[args.clang, *plugin, *zflags, src, "-o", os.devnull]
                   for src in zlib_sources]
    measure(f"binutils zlib, {len(zlib_sources)} files, -O2", plain,
            with_plugin, args.rounds)


if __name__ == "__main__":
    main()
