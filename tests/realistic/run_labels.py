#!/usr/bin/env python3
"""run_labels.py - confirms every label of tests/realistic by running it.

Builds the corpus with the plugin and a generated driver (one `main` that
runs the entry named on its command line), then runs each entry in its own
process with TSMEM_STRICT=1 and TSMEM_LEAK_REPORT=1 and checks what it
shows against the labels:
  - entries are the non-static `void NAME(void)` functions;
  - an entry is expected to show the bugs of the labelled functions it
    reaches (itself and the same-file functions it names, transitively):
    a leak as the exit leak report, any other check as strict mode's
    stale-handle abort; with no bug in reach it must show nothing (exit 0,
    no `tsmem:` line);
  - every labelled function must be reached by some entry.

Usage:
  run_labels.py --plugin BUILD/lib/tsmem/tsmem.so --lib BUILD/lib/libtsmem.so
                [--workdir DIR] [-v]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measure  # noqa: E402

ENTRY = re.compile(r"^void\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(\s*void\s*\)\s*\{")


def reach(f, by_name):
    seen, todo = {f.name}, [f]
    while todo:
        g = todo.pop()
        for ident in set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", g.body)):
            h = by_name.get(ident)
            if h is not None and h.name not in seen:
                seen.add(h.name)
                todo.append(h)
    return seen


def expected_outcome(names, by_name):
    kinds = set()
    for n in names:
        f = by_name[n]
        if f.label == "BUG":
            kinds.add("leak" if f.check == "leak" else "stale")
    return kinds


def outcome(p):
    err = p.stderr
    if p.returncode != 0:
        if "tsmem: strict mode:" in err and "stale" in err:
            return "stale"
        return "failed (exit %d)" % p.returncode
    if "tsmem: leak report:" in err:
        return "leak"
    if "tsmem:" in err:
        return "tsmem message"
    return "clean"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--plugin", required=True)
    ap.add_argument("--lib", required=True, help="libtsmem.so to link")
    ap.add_argument("--ops-include")
    ap.add_argument("--workdir")
    ap.add_argument("--jobs", "-j", type=int, default=2)
    ap.add_argument("--verbose", "-v", action="store_true")
    args = ap.parse_args()

    files = measure.corpus_files()
    funcs = measure.parse_corpus(files)
    inc = os.path.join(measure.ROOT, "include")
    ops_inc = measure.find_ops_include(args)
    work = args.workdir or tempfile.mkdtemp(prefix="tsmem-realistic-")
    os.makedirs(work, exist_ok=True)

    entries, reached, plan = [], set(), []
    for path in files:
        by_name = {f.name: f for f in funcs[path]}
        for f in funcs[path]:
            if ENTRY.match(f.header.strip()):
                names = reach(f, by_name)
                kinds = expected_outcome(names, by_name)
                if len(kinds) > 1:
                    sys.exit("%s: entry %s reaches bugs of both kinds: %s" % (
                        path, f.name, ", ".join(sorted(names))))
                entries.append(f.name)
                plan.append((f, kinds.pop() if kinds else "clean"))
                reached |= {(path, n) for n in names}
    unreached = [(p, f.name) for p in files for f in funcs[p] if (p, f.name) not in reached]
    status = 0
    for p, n in unreached:
        print("FAIL: %s:%s is not reached by any entry" % (os.path.basename(p), n))
        status = 1

    # Build: the corpus with the plugin (warnings are the point of the
    # corpus, so they are not errors here), the driver without.
    objs = []
    cflags = ["-O1", "-g", "-I" + inc, "-I" + ops_inc, "-w"]
    def compile_one(path):
        obj = os.path.join(work, os.path.basename(path) + ".o")
        p = subprocess.run(["clang-19", "-c", "-fplugin=" + args.plugin] + cflags +
                           [path, "-o", obj], capture_output=True, text=True)
        return path, obj, p
    with ThreadPoolExecutor(max_workers=args.jobs) as ex:
        for path, obj, p in ex.map(compile_one, files):
            if p.returncode != 0:
                sys.exit("run_labels.py: %s does not build:\n%s" % (path, p.stderr))
            objs.append(obj)
    driver = os.path.join(work, "driver.c")
    with open(driver, "w") as d:
        d.write("#include <stdio.h>\n#include <string.h>\n\n")
        for n in entries:
            d.write("void %s(void);\n" % n)
        d.write("\nstatic const struct { const char *name; void (*fn)(void); } cases[] = {\n")
        for n in entries:
            d.write("  {\"%s\", %s},\n" % (n, n))
        d.write("};\n\nint main(int argc, char **argv) {\n"
                "  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)\n"
                "    if (argc > 1 && strcmp(argv[1], cases[i].name) == 0) {\n"
                "      cases[i].fn();\n      return 0;\n    }\n"
                "  fprintf(stderr, \"no such case\\n\");\n  return 2;\n}\n")
    exe = os.path.join(work, "realistic-driver")
    libdir = os.path.dirname(os.path.abspath(args.lib))
    p = subprocess.run(["clang-19", "-g", driver] + objs +
                       [args.lib, "-Wl,-rpath," + libdir, "-o", exe],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("run_labels.py: the driver does not link:\n%s" % p.stderr)

    env = dict(os.environ, TSMEM_STRICT="1", TSMEM_LEAK_REPORT="1")
    for k in list(env):
        if k.startswith("REALISTIC_"):
            del env[k]

    def run(item):
        f, want = item
        p = subprocess.run([exe, f.name], capture_output=True, text=True, env=env,
                           timeout=120)
        return f, want, outcome(p), p
    counts = {}
    with ThreadPoolExecutor(max_workers=args.jobs) as ex:
        for f, want, got, p in ex.map(run, plan):
            counts[want] = counts.get(want, 0) + 1
            ok = got == want
            if not ok:
                status = 1
                print("FAIL: %s:%s expected %s, got %s\n  %s" % (
                    os.path.basename(f.path), f.name, want, got,
                    "\n  ".join(p.stderr.strip().splitlines()[-6:])))
            elif args.verbose:
                print("ok: %s:%s %s" % (os.path.basename(f.path), f.name, got))
    nfuncs = sum(len(fs) for fs in funcs.values())
    print("realistic labels: %d functions, %d entries run (%s), %d unreached: %s" % (
        nfuncs, len(plan), ", ".join("%d %s" % (v, k) for k, v in sorted(counts.items())),
        len(unreached), "FAIL" if status else "all confirmed"))
    return status


if __name__ == "__main__":
    sys.exit(main())
