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
                [--corpus DIR] [--set SET] [--sample N] [--workdir DIR] [-v]
  --set original|heldout|...|heldout10 confirms only the files of that set.
  --sample N runs one entry in N (every file still builds and every label
  must still be reached); ctest samples the sets confirmed in full before.
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


def outcome(rc, err):
    if rc != 0:
        if "tsmem: strict mode:" in err and "stale" in err:
            return "stale"
        return "failed (exit %d)" % rc
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
    ap.add_argument("--corpus", help="a directory of labelled .c files (default: this one)")
    ap.add_argument("--set", choices=measure.SETS, dest="subset",
                    help="only the files of one set (measure.py's sets)")
    ap.add_argument("--sample", type=int, default=1, metavar="N",
                    help="run only every Nth entry (default: all)")
    ap.add_argument("--workdir")
    ap.add_argument("--jobs", "-j", type=int, default=2)
    ap.add_argument("--verbose", "-v", action="store_true")
    args = ap.parse_args()

    files = measure.corpus_files(args.corpus, args.subset)
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
    # The driver loads libtsmem and libtorch once and forks a child per
    # entry (before any tensor op, so no libtorch thread pool exists yet):
    # each child runs its entry with stdout and stderr in DIR/NAME.out,
    # prints the leak report itself when a tensor is alive and leaves with
    # _exit(). Running libtorch's static destructors in every child (what
    # exit() does) cost more than most entries: it unregisters every kernel
    # and copies the pages it writes. The report at exit is the runtime
    # tests' business; here it is the same list of live tensors.
    driver = os.path.join(work, "driver.c")
    with open(driver, "w") as d:
        d.write("#include <fcntl.h>\n#include <stdio.h>\n#include <stdlib.h>\n"
                "#include <string.h>\n#include <sys/wait.h>\n#include <unistd.h>\n\n"
                "size_t ts_leak_report(FILE *out);\n\n")
        for n in entries:
            d.write("void %s(void);\n" % n)
        d.write("\nstatic const struct { const char *name; void (*fn)(void); } cases[] = {\n")
        for n in entries:
            d.write("  {\"%s\", %s},\n" % (n, n))
        d.write("""};

/* driver DIR NAME...: runs each named entry in a child process; prints
 * "NAME STATUS" per entry (the raw wait status). */
int main(int argc, char **argv) {
  if (argc < 2)
    return 2;
  for (int a = 2; a < argc; a++) {
    void (*fn)(void) = NULL;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
      if (strcmp(argv[a], cases[i].name) == 0)
        fn = cases[i].fn;
    if (!fn) {
      printf("%s nosuchcase\\n", argv[a]);
      continue;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
      char path[4096];
      snprintf(path, sizeof path, "%s/%s.out", argv[1], argv[a]);
      int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
      fn();
      fflush(stdout);
      if (ts_leak_report(NULL))
        ts_leak_report(stderr);
      _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    printf("%s %d\\n", argv[a], st);
  }
  return 0;
}
""")
    exe = os.path.join(work, "realistic-driver")
    libdir = os.path.dirname(os.path.abspath(args.lib))
    p = subprocess.run(["clang-19", "-g", driver] + objs +
                       [args.lib, "-Wl,-rpath," + libdir, "-lm", "-o", exe],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("run_labels.py: the driver does not link:\n%s" % p.stderr)

    env = dict(os.environ, TSMEM_STRICT="1", TSMEM_LEAK_REPORT="1")
    for k in list(env):
        if k.startswith("REALISTIC_"):
            del env[k]

    outdir = os.path.join(work, "out")
    os.makedirs(outdir, exist_ok=True)

    def run(chunk):
        p = subprocess.run([exe, outdir] + [f.name for f, _ in chunk],
                           capture_output=True, text=True, env=env, timeout=600)
        status = dict(line.split() for line in p.stdout.splitlines() if line.strip())
        res = []
        for f, want in chunk:
            st = status.get(f.name, "missing")
            try:
                text = open(os.path.join(outdir, f.name + ".out")).read()
            except OSError:
                text = ""
            rc = -1 if not st.isdigit() else (
                int(st) >> 8 if int(st) & 0x7f == 0 else 128 + (int(st) & 0x7f))
            res.append((f, want, outcome(rc, text), text))
        return res
    ran = plan[::max(1, args.sample)]
    chunks = [ran[i::args.jobs] for i in range(args.jobs)]
    counts = {}
    with ThreadPoolExecutor(max_workers=args.jobs) as ex:
        for res in ex.map(run, chunks):
            for f, want, got, text in res:
                counts[want] = counts.get(want, 0) + 1
                if got != want:
                    status = 1
                    print("FAIL: %s:%s expected %s, got %s\n  %s" % (
                        os.path.basename(f.path), f.name, want, got,
                        "\n  ".join(text.strip().splitlines()[-6:])))
                elif args.verbose:
                    print("ok: %s:%s %s" % (os.path.basename(f.path), f.name, got))
    nfuncs = sum(len(fs) for fs in funcs.values())
    print("realistic labels: %d functions, %d of %d entries run (%s), %d unreached: %s" % (
        nfuncs, len(ran), len(plan), ", ".join("%d %s" % (v, k) for k, v in sorted(counts.items())),
        len(unreached), "FAIL" if status else "all confirmed"))
    return status


if __name__ == "__main__":
    sys.exit(main())
