#!/usr/bin/env python3
"""compare.py - precision, recall and compile time of tsmem's diagnostics
against GCC's -fanalyzer and the Clang static analyzer on tests/corpus/cases.

Each case file marks its bugs: a line containing `EXPECT: tsmem-<check>`
(several checks may follow, comma separated) says that the function around
that line has that bug. Functions are the corpus's own clang-formatted C: a
definition opens on a line that starts in column 0 and ends with `{`, and
closes on the first line that is exactly `}`. A finding counts as the pair
(function, check class); a tool's finding in a function is a true positive
when that function expects that class, a false positive otherwise.

The analyzers get the ownership facts tsmem gets from TS_OWNED/TS_CONSUMES
through shim headers generated from include/tsmem.h (analyzer_shims.py):
  GCC:   __attribute__((malloc, malloc(ts_free, 1), malloc(ts_pool_release, 2)))
  Clang: __attribute__((ownership_returns(malloc))) on the same functions,
         ownership_takes(malloc, 1) on ts_free and (malloc, 2) on
         ts_pool_release, with unix.DynamicMemoryModeling:Optimistic=true.

Usage:
  compare.py --plugin BUILD/lib/tsmem/tsmem.so [--tools tsmem,gcc,csa]
             [--time N] [--min-precision P] [--min-recall R] [--markdown]
"""
import argparse
import glob
import os
import re
import resource
import shlex
import subprocess
import sys
import tempfile

from analyzer_shims import classify_csa, classify_gcc, write_shims

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CHECKS = ["tsmem-unescaped-return", "tsmem-use-after-scope", "tsmem-leak",
          "tsmem-use-after-free", "tsmem-double-free"]
CLANG = "clang-19"
GCC = "gcc"


def parse_cases(files):
    """Returns {file: [(name, first, last)]} and the expected findings."""
    funcs, expected = {}, set()
    for path in files:
        lines = open(path).read().split("\n")
        ranges, start, name = [], None, None
        for no, line in enumerate(lines, 1):
            if start is None and re.match(r"^[A-Za-z_][^;]*\(.*\{\s*$", line):
                m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(", line)
                start, name = no, m.group(1) if m else "?"
            elif start is not None and line == "}":
                ranges.append((name, start, no))
                start = None
        funcs[path] = ranges
        for no, line in enumerate(lines, 1):
            m = re.search(r"EXPECT:\s*([a-z\-, ]+)", line)
            if not m:
                continue
            fn = function_at(ranges, no)
            if fn is None:
                sys.exit("%s:%d: EXPECT outside a function" % (path, no))
            for check in re.split(r"[,\s]+", m.group(1).strip()):
                if check:
                    if check not in CHECKS:
                        sys.exit("%s:%d: unknown check %s" % (path, no, check))
                    expected.add((path, fn, check))
    return funcs, expected


def function_at(ranges, line):
    for name, first, last in ranges:
        if first <= line <= last:
            return name
    return None


DIAG = re.compile(r"^(?P<file>[^:\s]+\.c):(?P<line>\d+):\d+: (?:warning|error): (?P<msg>.*)$")


def classify_tsmem(msg):
    m = re.search(r"\[(tsmem-[a-z\-]+)\]$", msg)
    return m.group(1) if m else None


def tsmem_named(classify):
    """An analyzer's classifier giving the check as tsmem's warning option
    names it (tsmem-leak, ...)."""
    def named(msg):
        check = classify(msg)
        return "tsmem-" + check if check else None
    return named


def tool_commands(args, gcc_dir, csa_dir):
    inc = os.path.join(ROOT, "include")
    tsmem_flags = shlex.split(args.tsmem_flags) if args.tsmem_flags else \
        ["-fplugin=" + args.plugin, "-I" + inc]
    return {
        "tsmem": ([CLANG, "-c", "-O2", "-o", "/dev/null"] + tsmem_flags,
                  classify_tsmem),
        "gcc": ([GCC, "-c", "-O2", "-fanalyzer", "-o", "/dev/null",
                 "-I" + gcc_dir, "-I" + inc], tsmem_named(classify_gcc)),
        "csa": ([CLANG, "--analyze", "-o", "/dev/null", "-I" + csa_dir,
                 "-I" + inc, "-Xclang", "-analyzer-config", "-Xclang",
                 "unix.DynamicMemoryModeling:Optimistic=true"],
                tsmem_named(classify_csa)),
    }


def baselines(args):
    inc = os.path.join(ROOT, "include")
    return {
        "clang": [CLANG, "-c", "-O2", "-o", "/dev/null", "-I" + inc],
        "gcc": [GCC, "-c", "-O2", "-o", "/dev/null", "-I" + inc],
        # tsmem with every check off: the plugin's other work (scope
        # lowering, the pass) without the analysis.
        "tsmem-no-checks": [CLANG, "-c", "-O2", "-o", "/dev/null",
                            "-fplugin=" + (args.plugin or ""), "-I" + inc,
                            "-fplugin-arg-tsmem-disable=" + ",".join(CHECKS)],
    }


def run_tool(cmd, classify, files, funcs):
    found, crashes = set(), 0
    for path in files:
        p = subprocess.run(cmd + [path], capture_output=True, text=True)
        if p.returncode != 0 and "error:" not in p.stderr:
            crashes += 1
        for line in p.stderr.splitlines():
            m = DIAG.match(line)
            if not m or os.path.abspath(m.group("file")) != os.path.abspath(path):
                continue
            cls = classify(m.group("msg"))
            fn = function_at(funcs[path], int(m.group("line")))
            if cls and fn:
                found.add((path, fn, cls))
    return found, crashes


def cpu_time(cmd):
    """User + system CPU seconds of one compile (less noisy than wall time
    on a shared machine)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(configs, files, repeat):
    """{name: seconds}: per file the best of `repeat` runs, summed; the
    configurations take turns on each file so load hits them alike."""
    best = {name: {} for name in configs}
    for _ in range(repeat):
        for path in files:
            for name, cmd in configs.items():
                t = cpu_time(cmd + [path])
                prev = best[name].get(path)
                best[name][path] = t if prev is None else min(prev, t)
    return {name: sum(v.values()) for name, v in best.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--plugin", default=os.environ.get("TSMEM_PLUGIN"))
    ap.add_argument("--tsmem-flags", help="flags that load the plugin (lit's %%tsmem)")
    ap.add_argument("--tools", default="tsmem,gcc,csa")
    ap.add_argument("--time", type=int, default=0, metavar="N",
                    help="time each compile configuration, best of N")
    ap.add_argument("--min-precision", type=float)
    ap.add_argument("--min-recall", type=float)
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--big", type=int, default=0, metavar="N",
                    help="also time the analysis on N generated functions")
    ap.add_argument("--verbose", "-v", action="store_true")
    args = ap.parse_args()
    if not args.plugin and not args.tsmem_flags:
        sys.exit("compare.py: pass --plugin BUILD/lib/tsmem/tsmem.so")

    files = sorted(glob.glob(os.path.join(HERE, "cases", "*.c")))
    funcs, expected = parse_cases(files)
    nfuncs = sum(len(r) for r in funcs.values())
    tools = [t for t in args.tools.split(",") if t]
    rows, status = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        dirs = write_shims(tmp, os.path.join(ROOT, "include"))
        gcc_dir, csa_dir = dirs["gcc"], dirs["csa"]
        cmds = tool_commands(args, gcc_dir, csa_dir)
        base = baselines(args)
        times = {}
        if args.time:
            configs = {"clang": base["clang"]}
            if "gcc" in tools:
                configs["gcc"] = base["gcc"]
            if "tsmem" in tools and args.plugin:
                configs["tsmem-no-checks"] = base["tsmem-no-checks"]
            for tool in tools:
                configs["tool:" + tool] = cmds[tool][0]
            times = measure(configs, files, args.time)
        for tool in tools:
            cmd, classify = cmds[tool]
            found, crashes = run_tool(cmd, classify, files, funcs)
            tp = len(found & expected)
            fp = sorted(found - expected)
            fn = sorted(expected - found)
            precision = tp / (tp + len(fp)) if tp + len(fp) else 1.0
            recall = tp / len(expected) if expected else 1.0
            per_check = {}
            for check in CHECKS:
                exp_c = {e for e in expected if e[2] == check}
                per_check[check] = (len(exp_c & found), len(exp_c))
            t = times.get("tool:" + tool)
            rows.append((tool, tp, len(fp), len(fn), precision, recall, per_check, t, crashes))
            if args.verbose:
                for f in fp:
                    print("  %s false positive: %s:%s %s" % (tool, os.path.basename(f[0]), f[1], f[2]))
                for f in fn:
                    print("  %s missed: %s:%s %s" % (tool, os.path.basename(f[0]), f[1], f[2]))
            if tool == "tsmem":
                if args.min_precision is not None and precision < args.min_precision:
                    print("FAIL: tsmem precision %.3f < %.3f" % (precision, args.min_precision))
                    status = 1
                if args.min_recall is not None and recall < args.min_recall:
                    print("FAIL: tsmem recall %.3f < %.3f" % (recall, args.min_recall))
                    status = 1
                if crashes:
                    print("FAIL: tsmem crashed on %d files" % crashes)
                    status = 1

    print("corpus: %d files, %d functions, %d expected findings (%s)" % (
        len(files), nfuncs, len(expected),
        ", ".join("%s %d" % (c[6:], sum(1 for e in expected if e[2] == c)) for c in CHECKS)))
    names = {"tsmem": "tsmem (clang-19 -fplugin)",
             "gcc": "GCC 12 -fanalyzer (malloc attributes)",
             "csa": "Clang 19 --analyze (ownership attributes)"}
    base_of = {"tsmem": "clang", "gcc": "gcc", "csa": "clang"}
    if args.markdown:
        print()
        print("| tool | TP | FP | FN | precision | recall | " +
              " | ".join(c[6:] for c in CHECKS) + " | compile time | vs plain |")
        print("|---|---|---|---|---|---|" + "---|" * len(CHECKS) + "---|---|")
    for tool, tp, fp, fn, p, r, per, t, crashes in rows:
        cols = " | ".join("%d/%d" % per[c] for c in CHECKS)
        if t is not None:
            b = times[base_of[tool]]
            if tool == "csa":
                # --analyze makes no object file: it runs on top of a build.
                tcol = "%.2f s | +%.0f%% (a run on top of the %s -O2 build, %.2f s)" % (
                    t, 100 * t / b, base_of[tool], b)
            else:
                tcol = "%.2f s | %+.0f%% vs %s -O2 (%.2f s)" % (
                    t, 100 * (t / b - 1), base_of[tool], b)
        else:
            tcol = "- | -"
        if args.markdown:
            print("| %s | %d | %d | %d | %.3f | %.3f | %s | %s |" % (
                names[tool], tp, fp, fn, p, r, cols, tcol))
        else:
            print("%-42s TP %3d FP %3d FN %3d precision %.3f recall %.3f  [%s]  %s%s" % (
                names[tool], tp, fp, fn, p, r, cols, tcol.replace(" | ", " "),
                "  CRASHES %d" % crashes if crashes else ""))
    if args.time and "tsmem" in tools and "tsmem-no-checks" in times:
        t = [row[7] for row in rows if row[0] == "tsmem"][0]
        print("tsmem analysis alone (CPU time): %.2f s with the checks vs %.2f s with all five disabled: %+.1f%%" % (
            t, times["tsmem-no-checks"], 100 * (t / times["tsmem-no-checks"] - 1)))
    if args.big:
        big_file_overhead(args)
    return status


def big_file_overhead(args):
    """The analysis alone on one large file of generated tensor code
    (bench/compile/gen-tensor-code.py): the plugin with its checks against
    the plugin with all five disabled, front end only and with -O2."""
    gen = os.path.join(ROOT, "bench", "compile", "gen-tensor-code.py")
    inc = os.path.join(ROOT, "include")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "big.c")
        with open(path, "w") as f:
            subprocess.run([sys.executable, gen, str(args.big)], stdout=f, check=True)
        lines = sum(1 for _ in open(path))
        off = "-fplugin-arg-tsmem-disable=" + ",".join(CHECKS)
        load = ["-fplugin=" + args.plugin, "-I" + inc]
        configs = {
            "syntax-off": [CLANG, "-fsyntax-only"] + load + [off],
            "syntax-on": [CLANG, "-fsyntax-only"] + load,
            "O2-off": [CLANG, "-c", "-O2", "-o", "/dev/null"] + load + [off],
            "O2-on": [CLANG, "-c", "-O2", "-o", "/dev/null"] + load,
        }
        t = measure(configs, [path], max(args.time, 3))
        found = subprocess.run(configs["syntax-on"] + [path], capture_output=True,
                               text=True).stderr.count("[tsmem-")
    print("generated tensor code: %d functions, %d lines, %d tsmem diagnostics" % (
        args.big, lines, found))
    for mode in ("syntax", "O2"):
        print("  %-14s checks off %.3f s, on %.3f s: analysis %+.1f%%" % (
            "-fsyntax-only" if mode == "syntax" else "-c -O2", t[mode + "-off"],
            t[mode + "-on"], 100 * (t[mode + "-on"] / t[mode + "-off"] - 1)))


if __name__ == "__main__":
    sys.exit(main())
