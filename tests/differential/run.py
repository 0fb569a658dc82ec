#!/usr/bin/python3
"""Differential test of the tsmem plugin (issue 19): runs gen.py's programs
built with the plugin at -O0 and -O2 and their TS_SCOPE_GUARD() references
built with gcc, and compares what they print.

Usage: run.py --plugin tsmem.so --include DIR --runtime DIR
              [--programs N] [--per-file K] [--seed S] [--jobs J]
              [--corpus DIR] [--work DIR] [--no-cond-tensors]

Programs are generated K to a file (one compile covers K programs); files
are built and run J at a time. The corpus directory's *.plugin.c files
(each with its .ref.c) run first. A difference keeps both sources and all
outputs in the work directory and fails the run. Prints programs, files,
differences and time.
"""
import argparse
import concurrent.futures
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "gen.py")


def sh(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, **kw)


def build_and_run(args, name, plugin_src, ref_src, work):
    """Builds the three binaries, runs them; returns (ok, message)."""
    link = ["-L" + args.runtime, "-Wl,-rpath," + args.runtime, "-ltsmem"]
    inc = ["-I" + args.include]
    exes = {}
    builds = [("O0", [args.clang, "-w", "-O0", "-fplugin=" + args.plugin] + inc + [plugin_src]),
              ("O2", [args.clang, "-w", "-O2", "-fplugin=" + args.plugin] + inc + [plugin_src]),
              ("gcc", [args.gcc, "-w", "-O0"] + inc + [ref_src])]
    for tag, cmd in builds:
        exe = os.path.join(work, "%s.%s" % (name, tag))
        r = sh(cmd + link + ["-o", exe])
        if r.returncode:
            return False, "%s: %s build failed:\n%s" % (name, tag, r.stderr[-3000:])
        exes[tag] = exe
    outs = {}
    for tag, exe in exes.items():
        r = sh([exe], timeout=120)
        outs[tag] = "exit %d\n%s" % (r.returncode, r.stdout)
        with open(exe + ".out", "w") as f:
            f.write(outs[tag])
    bad = [t for t in ("O0", "O2") if outs[t] != outs["gcc"]]
    if bad:
        return False, "%s: differs from the gcc reference at %s (outputs in %s)" % (
            name, ", ".join(bad), work)
    for exe in exes.values():
        os.unlink(exe)
        os.unlink(exe + ".out")
    return True, ""


def generated(args, index, work):
    seed = args.seed + index
    name = "gen-%d" % seed
    p = os.path.join(work, name + ".plugin.c")
    r = os.path.join(work, name + ".ref.c")
    cmd = [sys.executable, GEN, str(seed), str(args.per_file), p, r]
    if args.cond_tensors:
        cmd.append("--cond-tensors")
    subprocess.run(cmd, check=True)
    ok, msg = build_and_run(args, name, p, r, work)
    if ok:
        os.unlink(p)
        os.unlink(r)
    return ok, msg, args.per_file


def corpus_case(args, plugin_src, work):
    name = os.path.basename(plugin_src)[:-len(".plugin.c")]
    ref = plugin_src[:-len(".plugin.c")] + ".ref.c"
    with open(plugin_src) as f:
        count = sum(1 for line in f if line.startswith("static void test_"))
    ok, msg = build_and_run(args, "corpus-" + name, plugin_src, ref, work)
    return ok, msg, count


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--plugin", required=True)
    ap.add_argument("--include", required=True)
    ap.add_argument("--runtime", required=True)
    ap.add_argument("--clang", default="clang-19")
    ap.add_argument("--gcc", default="gcc")
    ap.add_argument("--programs", type=int, default=1000)
    ap.add_argument("--per-file", type=int, default=250)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--corpus", default=os.path.join(HERE, "corpus"))
    ap.add_argument("--work")
    # Tensors made in scoped loops' conditions and increments: on since
    # each iteration's scope covers them (SPEC section 4).
    ap.add_argument("--no-cond-tensors", dest="cond_tensors",
                    action="store_false")
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="tsmem-differential-")
    os.makedirs(work, exist_ok=True)
    start = time.time()
    files = max(0, (args.programs + args.per_file - 1) // args.per_file)
    programs = diffs = nfiles = 0
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futs = [pool.submit(corpus_case, args, c, work)
                for c in sorted(glob.glob(os.path.join(args.corpus, "*.plugin.c")))]
        futs += [pool.submit(generated, args, i, work) for i in range(files)]
        for fut in concurrent.futures.as_completed(futs):
            ok, msg, count = fut.result()
            nfiles += 1
            programs += count
            if not ok:
                diffs += 1
                print(msg, flush=True)
            if nfiles % 20 == 0:
                print("... %d files, %d programs, %d differences, %.0f s" %
                      (nfiles, programs, diffs, time.time() - start), flush=True)
    print("differential: %d programs in %d files (seed %d, %d per file), "
          "%d differences, %.1f s" % (programs, nfiles, args.seed, args.per_file,
                                      diffs, time.time() - start))
    if not diffs and not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
