#!/usr/bin/env python3
"""ops-header-time.py BUILD: compile time of a 300-line tensor file that
includes the generated <tsmem/ops.h> against the same file including only
tsmem.h (bench/README.md, "Generated operators"; the goal is <= 1.10).

The file is gen-tensor-code.py's (9 functions, ~300 lines); the second
variant only adds `#include <tsmem/ops.h>`. Each is compiled with the tsmem
plugin at -O0 and -O2, alternating, and the best CPU time (user + sys of
the compiler) of 9 runs is kept; then the same without the plugin (where
<tsmem/ops.h> parses all its declarations: the plugin declares them on
first use).
"""
import os
import resource
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
src = os.path.join(here, "..", "..")
code = subprocess.run([sys.executable, os.path.join(here, "gen-tensor-code.py"), "9"],
                      capture_output=True, text=True, check=True).stdout
tmp = tempfile.mkdtemp()
plain, ops = os.path.join(tmp, "plain.c"), os.path.join(tmp, "ops.c")
open(plain, "w").write(code)
open(ops, "w").write("#include <tsmem/ops.h>\n" + code)
plugin = ["-fplugin=%s/lib/tsmem/tsmem.so" % build]
flags = ["-I%s/include" % src, "-I%s/gen-ops/include" % build, "-c", "-o", os.devnull]


def cpu(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


print("%d lines; best CPU time of 9 compiles" % code.count("\n"))
for how, extra in (("plugin", plugin), ("no plugin", [])):
    for opt in ("-O0", "-O2"):
        best = {plain: 1e9, ops: 1e9}
        for _ in range(9):
            for f in (plain, ops):
                best[f] = min(best[f], cpu(["clang-19", opt] + extra + flags + [f]))
        r = best[ops] / best[plain]
        print("%-9s %s  tsmem.h %.3f s   + <tsmem/ops.h> %.3f s   ratio %.3f (goal <= 1.10: %s)" % (
            how, opt, best[plain], best[ops], r, "met" if r <= 1.10 else "missed"), flush=True)
