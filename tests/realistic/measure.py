#!/usr/bin/env python3
"""measure.py - precision and recall, per check, of tsmem's diagnostics and
of GCC's -fanalyzer and the Clang static analyzer on tests/realistic.

Labels (README.md): every function of a corpus file is preceded by a line
`// OK: why` or `// BUG: CHECK: why` in column 0, CHECK one of the five
check names without `tsmem-` (leak, use-after-free, double-free,
use-after-scope, unescaped-return). The function runs from the next line
to the first line that starts with `}`. A finding is the pair (function,
check class) of a warning inside a labelled function: a true positive when
the function is labelled BUG with that check, a false positive otherwise;
a BUG label no warning of its check matches is a false negative. The line
of each bug ends in `// <- BUG`; how many true positives point at exactly
that line is printed too (a leak is often reported where the tensor is
lost, not where it is made, so this is for information only).

The analyzers get the ownership facts tsmem reads, as in
tests/corpus/compare.py: shim headers redeclare every TS_OWNED function of
tsmem.h and tsmem/ops.h with
  GCC:   __attribute__((malloc, malloc(ts_free, 1), malloc(ts_pool_release, 2)))
  Clang: __attribute__((ownership_returns(malloc))), ts_free with
         ownership_takes(malloc, 1), ts_pool_release with (malloc, 2), and
         user TS_CONSUMES(n)/TS_OWNED as ownership_takes(malloc, n) /
         ownership_returns(malloc); unix.DynamicMemoryModeling:Optimistic=true.
Both compile with -DTSMEM_EDITOR, which makes TS_SCOPE parse (with no scope
semantics: they know nothing of scopes; TS_SCOPE_GUARD() is a cleanup
variable they see).

Usage:
  measure.py --plugin BUILD/lib/tsmem/tsmem.so [--tools tsmem,gcc,csa]
             [--corpus DIR] [--check-floor] [--markdown] [--json FILE] [-v]
  --corpus DIR measures another corpus labelled the same way.
  --check-floor fails (exit 1) when tsmem's overall precision or recall is
  below the floor in floor.json (the one place the floor is stored), or
  below the floor of one of its "sets" when floor.json gives one. The
  overall floor covers the files of the sets floor.json names (all files
  when it names none): a set without a floor of its own (heldout2 until one
  is set) is measured and printed but not checked.
  --set original|heldout|heldout2|heldout3|heldout4|heldout5|heldout6|heldout7|
  heldout8|heldout9|heldout10
  measures
  only the files of that set.

Sets: the files named heldout_*.c are the held-out corpus (README.md,
"Held-out files"), written apart from the analysis' tuning; heldout2_*.c a
second held-out corpus, written later the same way (README.md, "A second
held-out corpus"); heldout3_*.c a third one (README.md, "A third held-out
corpus"); heldout4_*.c a fourth one (README.md, "A fourth held-out
corpus"); heldout5_*.c a fifth one (README.md, "A fifth held-out corpus
(heldout5_*.c)"); heldout6_*.c a sixth one, written blind; heldout7_*.c a
seventh one, written blind as well; heldout8_*.c an eighth one, written
blind too; heldout9_*.c a ninth one, blind as well; heldout10_*.c a tenth
one, blind as well; the others are the original corpus. When a run covers
more than one set, the figures are printed for each set as well as
overall.
"""
import argparse
import glob
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "corpus"))
from analyzer_shims import classify_csa, classify_gcc, write_shims  # noqa: E402
CHECKS = ["unescaped-return", "use-after-scope", "leak", "use-after-free",
          "double-free"]
CLANG = "clang-19"
GCC = "gcc"

LABEL = re.compile(r"^// (OK|BUG)\b:?\s*(.*)$")


class Function:
    def __init__(self, path, name, first, last, label, check, why, header):
        self.path, self.name, self.first, self.last = path, name, first, last
        self.label, self.check, self.why, self.header = label, check, why, header
        self.bug_line = None
        self.body = ""

    @property
    def key(self):
        return (os.path.basename(self.path), self.name)


def parse_file(path):
    """The labelled functions of one corpus file, in order."""
    lines = open(path).read().split("\n")
    funcs, i = [], 0
    while i < len(lines):
        m = LABEL.match(lines[i])
        if not m:
            if re.match(r"^[A-Za-z_][^=;]*\)\s*\{", lines[i]) and \
                    not lines[i].startswith(("typedef", "struct", "enum")):
                sys.exit("%s:%d: a function without a label" % (path, i + 1))
            i += 1
            continue
        kind, rest = m.group(1), m.group(2)
        check, why = None, rest
        if kind == "BUG":
            cm = re.match(r"([a-z\-]+)\s*:?\s*(.*)$", rest)
            if not cm or cm.group(1) not in CHECKS:
                sys.exit("%s:%d: BUG label without a known check: %s" % (path, i + 1, rest))
            check, why = cm.group(1), cm.group(2)
        j = i + 1
        while j < len(lines) and lines[j].startswith("//"):
            why += " " + lines[j][2:].strip()  # a label clang-format wrapped
            j += 1
        first = j + 1
        header = ""
        while j < len(lines) and "{" not in lines[j]:
            header += lines[j] + " "
            j += 1
        header += lines[j]
        nm = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(", header)
        if not nm:
            sys.exit("%s:%d: no function after the label" % (path, i + 1))
        k = j
        one_line = lines[j].count("{") == lines[j].count("}") > 0
        while not one_line and k < len(lines) and \
                not (lines[k].startswith("}") and not lines[k].startswith("};")):
            k += 1
        if k == len(lines):
            sys.exit("%s:%d: function does not end" % (path, first))
        f = Function(path, nm.group(1), first, k + 1, kind, check, why, header)
        f.body = "\n".join(lines[j:k + 1])
        for no in range(first, k + 2):
            if "// <- BUG" in lines[no - 1]:
                f.bug_line = no
        if kind == "BUG" and f.bug_line is None:
            sys.exit("%s:%d: BUG function %s has no `// <- BUG` line" % (path, first, f.name))
        if kind == "OK" and f.bug_line is not None:
            sys.exit("%s:%d: OK function %s has a `// <- BUG` line" % (path, first, f.name))
        funcs.append(f)
        i = k + 1
    return funcs


def corpus_files(directory=None, subset=None):
    """The corpus: every .c file of DIRECTORY (default: this one), or only
    those of SUBSET ("original", "heldout" or "heldout2")."""
    files = sorted(glob.glob(os.path.join(directory or HERE, "*.c")))
    if subset:
        files = [f for f in files if file_set(f) == subset]
    return files


SETS = ["original", "heldout", "heldout2", "heldout3", "heldout4", "heldout5",
        "heldout6", "heldout7", "heldout8", "heldout9", "heldout10"]
SET_TITLES = {"original": "original",
              "heldout": "held-out (heldout_*.c)",
              "heldout2": "second held-out (heldout2_*.c)",
              "heldout3": "third held-out (heldout3_*.c)",
              "heldout4": "fourth held-out (heldout4_*.c)",
              "heldout5": "fifth held-out (heldout5_*.c)",
              "heldout6": "sixth held-out (heldout6_*.c)",
              "heldout7": "seventh held-out (heldout7_*.c)",
              "heldout8": "eighth held-out (heldout8_*.c)",
              "heldout9": "ninth held-out (heldout9_*.c)",
              "heldout10": "tenth held-out (heldout10_*.c)"}


def file_set(path):
    """The set a corpus file belongs to: "heldout" for heldout_*.c,
    "heldout2" for heldout2_*.c, else "original"."""
    base = os.path.basename(path)
    if base.startswith("heldout_"):
        return "heldout"
    if base.startswith("heldout2_"):
        return "heldout2"
    if base.startswith("heldout3_"):
        return "heldout3"
    if base.startswith("heldout4_"):
        return "heldout4"
    if base.startswith("heldout5_"):
        return "heldout5"
    if base.startswith("heldout6_"):
        return "heldout6"
    if base.startswith("heldout7_"):
        return "heldout7"
    if base.startswith("heldout8_"):
        return "heldout8"
    if base.startswith("heldout9_"):
        return "heldout9"
    if base.startswith("heldout10_"):
        return "heldout10"
    return "original"


def parse_corpus(files):
    funcs = {}
    for path in files:
        funcs[path] = parse_file(path)
    names = [f.name for fs in funcs.values() for f in fs if "static" not in f.header]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        sys.exit("measure.py: non-static names defined twice: %s" % ", ".join(sorted(dup)))
    return funcs


def function_at(funcs, line):
    for f in funcs:
        if f.first <= line <= f.last:
            return f
    return None


DIAG = re.compile(r"^(?P<file>[^:\s]+\.c):(?P<line>\d+):\d+: (?:warning|error): (?P<msg>.*)$")


def classify_tsmem(msg):
    m = re.search(r"\[tsmem-([a-z\-]+)\]$", msg)
    return m.group(1) if m and m.group(1) in CHECKS else None


def find_ops_include(args):
    cands = []
    if args.ops_include:
        cands.append(args.ops_include)
    if args.plugin:
        build = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(args.plugin))))
        cands += [os.path.join(build, "gen-ops", "include"), os.path.join(build, "include")]
    for c in cands:
        if os.path.exists(os.path.join(c, "tsmem", "ops.h")):
            return c
    sys.exit("measure.py: tsmem/ops.h not found (build the runtime, or pass --ops-include)")


def tool_commands(args, dirs, inc, ops_inc):
    tsmem_flags = shlex.split(args.tsmem_flags) if args.tsmem_flags else \
        ["-fplugin=" + args.plugin, "-I" + inc]
    return {
        "tsmem": ([CLANG, "-c", "-O2", "-o", "/dev/null", "-I" + ops_inc] + tsmem_flags,
                  classify_tsmem),
        "gcc": ([GCC, "-c", "-O2", "-fanalyzer", "-o", "/dev/null", "-DTSMEM_EDITOR",
                 "-Wno-attributes", "-I" + dirs["gcc"], "-I" + inc, "-I" + ops_inc],
                classify_gcc),
        "csa": ([CLANG, "--analyze", "-o", "/dev/null", "-DTSMEM_EDITOR",
                 "-I" + dirs["csa"], "-I" + inc, "-I" + ops_inc,
                 "-Xclang", "-analyzer-config", "-Xclang",
                 "unix.DynamicMemoryModeling:Optimistic=true"], classify_csa),
    }


def run_tool(cmd, classify, files, funcs, jobs):
    """{(file, function, check): [lines]}, crashes, build errors."""
    def one(path):
        return path, subprocess.run(cmd + [path], capture_output=True, text=True)
    found, crashes, errors = {}, [], []
    with ThreadPoolExecutor(max_workers=jobs) as ex:
        results = list(ex.map(one, files))
    for path, p in results:
        if p.returncode != 0:
            (errors if "error:" in p.stderr else crashes).append(
                (path, p.stderr.strip().splitlines()[-5:]))
        for line in p.stderr.splitlines():
            m = DIAG.match(line)
            if not m or os.path.abspath(m.group("file")) != os.path.abspath(path):
                continue
            cls = classify(m.group("msg"))
            f = function_at(funcs[path], int(m.group("line")))
            if cls and f:
                found.setdefault((os.path.basename(path), f.name, cls), []).append(
                    int(m.group("line")))
    return found, crashes, errors


def score(found, funcs, match="function"):
    """TP/FP/FN, precision and recall per check and overall. match
    "function": findings are (file, function, check); "line": they are
    (file, line, check), a BUG expecting its check on its `// <- BUG` line
    and every other warning line a false positive."""
    expected = {}
    for fs in funcs.values():
        for f in fs:
            if f.label == "BUG":
                expected[(os.path.basename(f.path), f.name, f.check)] = f
    if match == "line":
        exp_set = {(k[0], f.bug_line, k[2]) for k, f in expected.items()}
        got_set = {(k[0], line, k[2]) for k, lines in found.items() for line in lines}
    else:
        exp_set, got_set = set(expected), set(found)
    per = {}
    for c in CHECKS + [None]:
        exp = {k for k in exp_set if c is None or k[2] == c}
        got = {k for k in got_set if c is None or k[2] == c}
        tp, fp, fn = len(exp & got), len(got - exp), len(exp - got)
        per[c or "all"] = {
            "tp": tp, "fp": fp, "fn": fn,
            "precision": tp / (tp + fp) if tp + fp else 1.0,
            "recall": tp / (tp + fn) if tp + fn else 1.0,
        }
    exact = sum(1 for k, f in expected.items() if k in found and f.bug_line in found[k])
    per["all"]["exact_line"] = exact
    return per, expected


NAMES = {"tsmem": "tsmem (clang-19 -fplugin)",
         "gcc": "GCC 12 -fanalyzer (malloc attributes)",
         "csa": "Clang 19 --analyze (ownership attributes)"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--plugin", default=os.environ.get("TSMEM_PLUGIN"))
    ap.add_argument("--tsmem-flags", help="flags that load the plugin (lit's %%tsmem)")
    ap.add_argument("--ops-include", help="the directory holding tsmem/ops.h")
    ap.add_argument("--corpus", help="a directory of labelled .c files (default: this one)")
    ap.add_argument("--set", choices=SETS, dest="subset",
                    help="only the original files, the held-out ones (heldout_*.c) "
                    "or the second to tenth held-out ones (heldout2_*.c, "
                    "heldout3_*.c, heldout4_*.c, heldout5_*.c, heldout6_*.c, "
                    "heldout7_*.c, heldout8_*.c, heldout9_*.c, heldout10_*.c)")
    ap.add_argument("--tools", default="tsmem,gcc,csa")
    ap.add_argument("--check-floor", action="store_true",
                    help="fail when tsmem is below floor.json")
    ap.add_argument("--floor", default=os.path.join(HERE, "floor.json"))
    ap.add_argument("--match", choices=["function", "line"], default="function",
                    help="function (default): a warning of the labelled check anywhere in "
                    "the BUG function; line: only on its `// <- BUG` line, each warning line "
                    "counted on its own")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--json", help="write the figures to this file")
    ap.add_argument("--jobs", "-j", type=int, default=2)
    ap.add_argument("--verbose", "-v", action="store_true")
    args = ap.parse_args()
    if not args.plugin and not args.tsmem_flags:
        sys.exit("measure.py: pass --plugin BUILD/lib/tsmem/tsmem.so")

    files = corpus_files(args.corpus, args.subset)
    if not files:
        sys.exit("measure.py: no corpus files")
    funcs = parse_corpus(files)
    sets = [st for st in SETS if any(file_set(f) == st for f in files)]
    inc = os.path.join(ROOT, "include")
    ops_inc = find_ops_include(args)
    nfuncs = sum(len(fs) for fs in funcs.values())
    nbugs = sum(1 for fs in funcs.values() for f in fs if f.label == "BUG")
    tools = [t for t in args.tools.split(",") if t]
    status, report, by_set, found_by_tool = 0, {}, {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        dirs = write_shims(tmp, inc, ops_inc, user_macros=True)
        cmds = tool_commands(args, dirs, inc, ops_inc)
        for tool in tools:
            cmd, classify = cmds[tool]
            found, crashes, errors = run_tool(cmd, classify, files, funcs, args.jobs)
            per, expected = score(found, funcs, args.match)
            report[tool] = per
            found_by_tool[tool] = found
            if len(sets) > 1:
                for st in sets:
                    sub = {p: fs for p, fs in funcs.items() if file_set(p) == st}
                    names = {os.path.basename(p) for p in sub}
                    sfound = {k: v for k, v in found.items() if k[0] in names}
                    by_set.setdefault(st, {})[tool] = score(sfound, sub, args.match)[0]
            for path, tail in crashes:
                print("%s CRASHED on %s:\n  %s" % (tool, path, "\n  ".join(tail)))
            for path, tail in errors:
                print("%s: build error on %s:\n  %s" % (tool, path, "\n  ".join(tail)))
            if args.verbose:
                for k in sorted(set(found) - set(expected)):
                    print("  %s false positive: %s:%s %s (line %s)" % (
                        tool, k[0], k[1], k[2], ",".join(map(str, found[k]))))
                for k in sorted(set(expected) - set(found)):
                    print("  %s missed: %s:%s %s (line %d)" % (
                        tool, k[0], k[1], k[2], expected[k].bug_line))
            if tool == "tsmem" and (crashes or errors):
                status = 1

    def describe(fs_by_path, what):
        n = sum(len(fs) for fs in fs_by_path.values())
        nb = sum(1 for fs in fs_by_path.values() for f in fs if f.label == "BUG")
        print("%s: %d files, %d functions, %d with one bug (%s), %d correct" % (
            what, len(fs_by_path), n, nb,
            ", ".join("%s %d" % (c, sum(1 for fs in fs_by_path.values() for f in fs
                                        if f.check == c)) for c in CHECKS), n - nb))

    def table(rep):
        if args.markdown:
            print()
            print("Per check: TP/FP/FN, precision (- when the tool reports none of"
                  " that check), recall.")
            print()
            print("| tool | TP | FP | FN | precision | recall | " +
                  " | ".join(CHECKS) + " |")
            print("|---|---|---|---|---|---|" + "---|" * len(CHECKS))
        for tool in tools:
            per = rep[tool]
            a = per["all"]
            cols = ["%d/%d/%d P %s R %.2f" % (
                per[c]["tp"], per[c]["fp"], per[c]["fn"],
                "%.2f" % per[c]["precision"] if per[c]["tp"] + per[c]["fp"] else "-",
                per[c]["recall"]) for c in CHECKS]
            if args.markdown:
                print("| %s | %d | %d | %d | %.2f | %.2f | %s |" % (
                    NAMES[tool], a["tp"], a["fp"], a["fn"], a["precision"], a["recall"],
                    " | ".join(cols)))
            else:
                print("%s: TP %d FP %d FN %d precision %.3f recall %.3f (%d at the labelled line)" % (
                    NAMES[tool], a["tp"], a["fp"], a["fn"], a["precision"], a["recall"],
                    a["exact_line"]))
                for c, col in zip(CHECKS, cols):
                    print("    %-17s TP/FP/FN %s" % (c, col))

    describe(funcs, "realistic corpus")
    table(report)
    for st in sets if len(sets) > 1 else []:
        print()
        describe({p: fs for p, fs in funcs.items() if file_set(p) == st},
                 "%s files only" % SET_TITLES[st])
        table(by_set[st])
    if args.json:
        with open(args.json, "w") as f:
            out = dict(report)
            if by_set:
                out["sets"] = by_set
            json.dump(out, f, indent=1, sort_keys=True)
    if args.check_floor and "tsmem" in report:
        floor = json.load(open(args.floor))
        checks = []
        if not args.subset:
            # The overall floor covers the sets that have a floor of their
            # own in floor.json (all files when it names none): a new set is
            # measured and printed, but checked only once the floor names it.
            floored = set(floor.get("sets", {})) or set(SETS)
            sub = {p: fs for p, fs in funcs.items() if file_set(p) in floored}
            names = {os.path.basename(p) for p in sub}
            ofound = {k: v for k, v in found_by_tool["tsmem"].items() if k[0] in names}
            checks.append(("overall (%s)" % ", ".join(
                st for st in SETS if st in floored and st in sets),
                score(ofound, sub, args.match)[0]["all"], floor))
        for st, fl in sorted(floor.get("sets", {}).items()):
            if st in sets and (len(sets) > 1 or args.subset == st):
                a = by_set[st]["tsmem"]["all"] if len(sets) > 1 else report["tsmem"]["all"]
                checks.append((st, a, fl))
        ok = True
        for what, a, fl in checks:
            for m in ("precision", "recall"):
                if m in fl and a[m] < fl[m] - 1e-9:
                    print("FAIL: tsmem %s %s %.3f < floor %.3f (%s)" % (
                        what, m, a[m], fl[m], args.floor))
                    ok = False
        if not ok:
            status = 1
        elif not checks:
            print("tsmem: no floor for these files in %s" % args.floor)
        elif status == 0:
            print("tsmem at or above the floor (%s)" % "; ".join(
                "%s: precision %.3f, recall %.3f" % (w, fl["precision"], fl["recall"])
                for w, _, fl in checks))
    return status


if __name__ == "__main__":
    sys.exit(main())
