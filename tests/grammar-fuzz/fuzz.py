#!/usr/bin/python3
"""Grammar-based fuzzer for the tsmem Clang plugin's input (issue 20).

Generates C files made of many functions ("inputs"), each a random program
from a small C statement grammar (for/while/do loops, labels, if/else,
switch with fall-through, goto, break/continue/return, null statements,
nesting, macros) with TS_SCOPE, TS_SCOPED, TS_SCOPE_GUARD() and
`#pragma tsmem scope` placed at random. Some inputs stay valid; the others
are broken on purpose (misplaced annotations, deleted or duplicated tokens,
a file cut short at any point, so that it ends inside a TS_SCOPE).

Every file goes through `clang-19 -fplugin=tsmem.so -fsyntax-only`; a crash
is a signal exit, an exit status other than 0 or 1, "PLEASE submit a bug
report" or a timeout. Every --run-every'th valid file is also built and run
twice, with TS_SCOPE and with TS_SCOPE left out (the same program without
scopes), and their outputs (each function's result and the scope depth
after it) must be equal; the scoped build must also leave no tensor live.

  fuzz.py --plugin build/lib/tsmem/tsmem.so --include include \
          --runtime build/runtime --inputs 100000 --jobs 2 --seed 1

Exit status 1 when anything crashed or differed (the inputs are kept in
--out). Standard library only.
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

HEADER = r"""#include <stdio.h>
#include <tsmem.h>
#ifdef REF
#define SC
#else
#define SC TS_SCOPE
#endif
#define REP(n) for (int r_ = 0; r_ < (n) && fuel-- > 0; r_++)
#define WHILE_FUEL(c) while (fuel-- > 0 && (c))
#define SCOPED_BLOCK(s) SC { s }
#define SCOPED_FOR(n) SC for (int q_ = 0; q_ < (n) && fuel-- > 0; q_++)
static long fuel;
static const ts_tensor *X;
static int tmade(void) { return ts_item(ts_sum(X)) > 0; }
static int tkeep(void) { return ts_relu(X) != NULL; }
"""


class Gen:
    """Random programs from a small C statement grammar."""

    def __init__(self, rng):
        self.r = rng
        self.n = 0

    def fresh(self, p):
        self.n += 1
        return "%s%d" % (p, self.n)

    def cond(self):
        r = self.r
        c = r.choice(["v % 3 != 1", "v & 1", "v < 50", "(v ^ 5) > 2",
                      "tmade()", "v > 3 && tmade()", "1", "k != 2"])
        return c

    def sc(self):
        return "SC " if self.r.random() < 0.6 else ""

    def stmt(self, d, loop, sw):
        """One statement: loop/sw say whether break/continue may appear."""
        r = self.r
        if d > 4:
            return r.choice(["v += 1;", ";", "v ^= 3;", "(void)tkeep();"])
        k = r.randrange(22)
        if k < 4:
            return r.choice(["v += %d;" % r.randrange(1, 9), "v = v * 3 % 101;",
                             "v += tkeep();", "v -= tmade();", ";", "k++;"])
        if k == 4:
            return "{ " + self.stmts(d + 1, loop, sw) + " }"
        if k == 5:
            g = "TS_SCOPE_GUARD(); " if r.random() < 0.5 else ""
            return "SC { " + g + self.stmts(d + 1, loop, sw) + " }"
        if k == 6:
            s = "if (%s) %s" % (self.cond(), self.stmt(d + 1, loop, sw))
            if r.random() < 0.5:
                s += " else " + self.stmt(d + 1, loop, sw)
            return s
        if k in (7, 8):
            i = self.fresh("i")
            cond = "%s < %d && fuel-- > 0" % (i, r.randrange(0, 4))
            if r.random() < 0.3:
                cond += " && " + self.cond()
            inc = r.choice(["%s++" % i, "%s += 1, v++" % i, "++%s" % i])
            if r.random() < 0.2:
                return "%sfor (%s = 0, k++; %s; %s) %s" % (
                    self.sc(), "k", cond.replace(i, "k"), inc.replace(i, "k"),
                    self.stmt(d + 1, True, False))
            return "%sfor (int %s = 0; %s; %s) %s" % (
                self.sc(), i, cond, inc, self.stmt(d + 1, True, False))
        if k == 9:
            return "%swhile (fuel-- > 0 && %s) %s" % (
                self.sc(), self.cond(), self.stmt(d + 1, True, False))
        if k == 10:
            return "%sdo %s while (fuel-- > 0 && %s);" % (
                self.sc(), self.stmt(d + 1, True, False), self.cond())
        if k == 11:
            cases = []
            for c in range(r.randrange(1, 4)):
                body = self.stmts(d + 1, loop, True)
                if r.random() < 0.6:
                    body += " break;"
                cases.append("case %d: %s" % (c, body))
            if r.random() < 0.5:
                cases.append("default: " + self.stmts(d + 1, loop, True))
            return "switch (v %% 4) { %s }" % " ".join(cases)
        if k == 12:
            return "%s: %s" % (self.fresh("L"), self.stmt(d + 1, loop, sw))
        if k == 13 and (loop or sw):
            return r.choice(["break;", "if (%s) break;" % self.cond()])
        if k == 14 and loop:
            return r.choice(["continue;", "if (%s) continue;" % self.cond()])
        if k == 15:
            return "if (%s) goto out;" % self.cond()
        if k == 16:
            return "if (%s) return v;" % self.cond()
        if k == 17:
            return "if (fuel-- > 0 && %s) goto top;" % self.cond()
        if k == 18:
            return "%sREP(%d) %s" % (self.sc(), r.randrange(4),
                                    self.stmt(d + 1, True, False))
        if k == 19:
            return "SCOPED_BLOCK(v += tkeep();)"
        if k == 20:
            return "SCOPED_FOR(%d) %s" % (r.randrange(4),
                                          self.stmt(d + 1, True, False))
        return "%sWHILE_FUEL(%s) %s" % (self.sc(), self.cond(),
                                        self.stmt(d + 1, True, False))

    def stmts(self, d, loop, sw):
        return " ".join(self.stmt(d, loop, sw)
                        for _ in range(self.r.randrange(1, 4)))

    def function(self, name):
        scoped = "TS_SCOPED " if self.r.random() < 0.2 else ""
        body = " ".join(self.stmt(0, False, False)
                        for _ in range(self.r.randrange(1, 6)))
        return ("%sstatic int %s(int k) {\n  int v = k;\ntop:\n  %s\nout:\n"
                "  return v;\n}\n" % (scoped, name, body))


ODD = ["TS_SCOPE", "TS_SCOPED", "TS_SCOPE_GUARD();", "\n#pragma tsmem scope\n",
       "SC", "{", "}", "(", ")", ";", "for", "while", "do", "else", "L0:",
       "switch", "case 1:", "goto out;", "break;", "#define Z TS_SCOPE\n",
       "\n#pragma tsmem\n", "\n#pragma tsmem scope x\n", "TS_SCOPE TS_SCOPE"]


def tokens(src):
    out, cur = [], ""
    for ch in src:
        if ch.isalnum() or ch == "_":
            cur += ch
            continue
        if cur:
            out.append(cur)
            cur = ""
        if not ch.isspace():
            out.append(ch)
        elif ch == "\n":
            out.append("\n")
    if cur:
        out.append(cur)
    return out


def join(toks):
    s = ""
    for t in toks:
        s += t if t == "\n" or t.startswith("\n") else " " + t
    return s


def mutate(rng, src, may_cut):
    """Breaks a function: tokens inserted, deleted, duplicated; cut short."""
    toks = tokens(src)
    for _ in range(rng.randrange(1, 4)):
        p = rng.randrange(len(toks) + 1)
        m = rng.randrange(4)
        if m == 0 or m == 1:
            toks.insert(p, rng.choice(ODD))
        elif m == 2 and p < len(toks):
            del toks[p]
        elif p < len(toks):
            toks.insert(p, toks[p])
    if may_cut and rng.random() < 0.7:
        toks = toks[:rng.randrange(len(toks) + 1)]
        if rng.random() < 0.5:
            toks.append(rng.choice(["TS_SCOPE", "SC", "TS_SCOPE for (",
                                    "TS_SCOPE do", "TS_SCOPE {",
                                    "\n#pragma tsmem scope\n", "TS_SCOPED"]))
    return join(toks) + ("\n" if rng.random() < 0.5 else "")


def make_file(rng, n, broken):
    """A file of n inputs; broken files have broken functions and may end
    anywhere. Returns (source, function names)."""
    g = Gen(rng)
    parts, names = [HEADER], []
    for i in range(n):
        name = "f%d" % i
        names.append(name)
        src = g.function(name)
        if broken and rng.random() < 0.5:
            src = mutate(rng, src, may_cut=(i == n - 1))
        elif broken and rng.random() < 0.2:
            src = rng.choice(["TS_SCOPE ", "TS_SCOPED int g%d;\n" % i,
                              "TS_SCOPED int p%d(void);\n" % i,
                              "\n#pragma tsmem scope\n"]) + src
        parts.append(src)
    if not broken:
        parts.append("int main(void) {\n  X = ts_ones(TS_SHAPE(2), TS_FLOAT32);"
                     "\n  size_t live0 = ts_memory().live_tensors;\n  int r;\n")
        for name in names:
            # In a scope of its own: tensors made outside the function's
            # scopes are freed with it in both builds.
            parts.append('  fuel = 40; { TS_SCOPE_GUARD(); r = %s(3); }\n'
                         '  printf("%%d %%d\\n", r, ts_scope_depth());\n'
                         % name)
        parts.append('#ifndef REF\n  printf("leftover %zu\\n", '
                     'ts_memory().live_tensors - live0);\n#endif\n'
                     "  return 0;\n}\n")
    return "".join(parts), names


def is_crash(proc):
    err = proc.stderr
    return (proc.returncode < 0 or proc.returncode not in (0, 1) or
            "PLEASE submit a bug report" in err or "Stack dump" in err)


def check_file(args, idx, work):
    rng = random.Random("%d-%d" % (args.seed, idx))
    broken = rng.random() < args.broken
    src, names = make_file(rng, args.per_file, broken)
    path = os.path.join(work, "in%d.c" % idx)
    with open(path, "w") as f:
        f.write(src)
    base = [args.clang, "-fplugin=" + args.plugin, "-I" + args.include,
            "-w", "-ferror-limit=0"]
    result = {"inputs": len(names), "crash": 0, "diff": 0, "ran": 0,
              "valid": not broken}
    try:
        p = subprocess.run(base + ["-fsyntax-only", path], capture_output=True,
                           text=True, timeout=args.timeout)
        crash = is_crash(p)
        why = p.stderr[:2000] + "\n...\n" + p.stderr[-6000:]
    except subprocess.TimeoutExpired:
        crash, why = True, "timeout"
    if crash:
        result["crash"] = 1
        keep(args, path, idx, "crash", why)
        return result
    if not broken and p.returncode != 0:
        # A valid program the plugin refused: as bad as a crash.
        result["diff"] = 1
        keep(args, path, idx, "refused", p.stderr[-4000:])
        return result
    if broken or args.run_every <= 0 or idx % args.run_every:
        os.unlink(path)
        return result
    outs = []
    for ref in (False, True):
        exe = path + (".ref" if ref else ".sc")
        cmd = base + ["-O0", path, "-o", exe, "-L" + args.runtime,
                      "-Wl,-rpath," + args.runtime, "-ltsmem"]
        if ref:
            cmd.insert(4, "-DREF")
        b = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=args.timeout)
        if b.returncode != 0:
            result["crash" if is_crash(b) else "diff"] = 1
            keep(args, path, idx, "build", b.stderr[-4000:])
            return result
        r = subprocess.run([exe], capture_output=True, text=True,
                           timeout=args.timeout)
        outs.append((r.returncode, r.stdout))
        os.unlink(exe)
    result["ran"] = 1
    sc, ref = outs
    sc_lines = sc[1].splitlines()
    if (sc[0] != 0 or ref[0] != 0 or sc_lines[:-1] != ref[1].splitlines()
            or sc_lines[-1:] != ["leftover 0"]):
        result["diff"] = 1
        keep(args, path, idx, "differs", "scoped:\n%s\nreference:\n%s" %
             (sc[1], ref[1]))
        return result
    os.unlink(path)
    return result


def keep(args, path, idx, kind, why):
    os.makedirs(args.out, exist_ok=True)
    dst = os.path.join(args.out, "%s-%d-%d.c" % (kind, args.seed, idx))
    shutil.copy(path, dst)
    with open(dst + ".txt", "w") as f:
        f.write(why)
    print("%s: %s" % (kind, dst), file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clang", default="clang-19")
    ap.add_argument("--plugin", required=True)
    ap.add_argument("--include", required=True)
    ap.add_argument("--runtime", required=True, help="dir of libtsmem.so")
    ap.add_argument("--inputs", type=int, default=2000)
    ap.add_argument("--per-file", type=int, default=40)
    ap.add_argument("--broken", type=float, default=0.5,
                    help="share of files with broken inputs")
    ap.add_argument("--run-every", type=int, default=10,
                    help="build and run every Nth valid file (0: never)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=int, default=120)
    ap.add_argument("--out", default="grammar-fuzz-failures")
    args = ap.parse_args()
    files = (args.inputs + args.per_file - 1) // args.per_file
    start = time.time()
    tot = {"inputs": 0, "crash": 0, "diff": 0, "ran": 0, "valid": 0}
    work = tempfile.mkdtemp(prefix="tsmem-grammar-fuzz-")
    try:
        with ThreadPoolExecutor(max_workers=args.jobs) as ex:
            for res in ex.map(lambda i: check_file(args, i, work),
                              range(files)):
                for k in tot:
                    tot[k] += int(res[k])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("grammar-fuzz: seed %d: %d inputs in %d files (%d valid files, %d "
          "built and run twice), %d crashes, %d differences, %.0f s" %
          (args.seed, tot["inputs"], files, tot["valid"], tot["ran"],
           tot["crash"], tot["diff"], time.time() - start))
    return 1 if tot["crash"] or tot["diff"] else 0


if __name__ == "__main__":
    sys.exit(main())
