#!/usr/bin/env python3
"""gen-big-function.py SHAPE[,SHAPE...] N > big.c: functions of N tensor variables.

The ownership analysis must stay near-linear in the size of one function
(issue 20, item 4). Each SHAPE is a correct function (the plugin reports
nothing on it) that stresses one part of the analysis:

  straight  N tensors made one after the other, all live until the end,
            then freed newest first.
  branchy   each tensor made on one of two branches (if/else per variable)
            and tested on another; all freed at the end.
  loop      the straight-line body inside a loop: the back edge makes the
            dataflow go round twice.
  scoped    half the tensors live across the whole function, the other half
            made in TS_SCOPE blocks of 4 (so about N/8 scopes end while N/2
            tensors are live), with ts_escape out of every other block.
  nested    TS_SCOPE blocks nested 4 deep, 2 tensors per block, inside
            a TS_SCOPED function body.
  errcheck  a TS_SCOPED function that returns early when a tensor is NULL
            (`if (!v) return -1;` after each): every return ends the
            lifetime of all the variables before it, so Clang's CFG itself
            grows as N^2 / 2. The analysis budget is what bounds it.
  cleanup   the goto-cleanup idiom: all variables NULL at the top, each
            made and tested (`if (!v) goto out;`), all freed after `out:`.
  all       every shape above, one function each (N variables each).

Several shapes, comma-separated, give one function of each.

Without the plugin the same file compiles with TS_SCOPE_GUARD() in place of
TS_SCOPE/TS_SCOPED (the SCOPE_* macros below), so both compiles build the
same program and the difference is the plugin's cost:

  python3 bench/compile/gen-big-function.py scoped 5000 > big.c
  clang-19 -c -O0 -Iinclude big.c                                 # without
  clang-19 -c -O0 -Iinclude -fplugin=build/lib/tsmem/tsmem.so big.c  # with
"""
import sys

PRELUDE = """\
#include <tsmem.h>
#ifdef __TSMEM_PLUGIN__
#define SCOPE_BLOCK TS_SCOPE {
#define SCOPE_FN TS_SCOPED
#define SCOPE_FN_BODY
#else
#define SCOPE_BLOCK { TS_SCOPE_GUARD();
#define SCOPE_FN
#define SCOPE_FN_BODY TS_SCOPE_GUARD();
#endif

"""

OPS = ["ts_add_scalar({a}, {c})", "ts_mul({a}, {b})", "ts_relu({a})",
       "ts_add({a}, {b})", "ts_mul_scalar({a}, {c})", "ts_sigmoid({a})"]


def op(i, a, b):
    return OPS[i % len(OPS)].format(a=a, b=b, c=0.5 + i % 7)


def straight(n, name="big_straight", indent="  "):
    out = [f"double {name}(const ts_tensor *x) {{\n", f"{indent}double total = 0;\n"]
    out += straight_body(n, indent)
    out.append(f"{indent}return total;\n}}\n\n")
    return out


def straight_body(n, indent):
    out = []
    for i in range(n):
        a = "x" if i == 0 else f"v{i - 1}"
        b = "x" if i < 2 else f"v{i // 2}"
        out.append(f"{indent}ts_tensor *v{i} = {op(i, a, b)};\n")
        if i % 8 == 7:
            out.append(f"{indent}total += ts_item(v{i});\n")
    for i in reversed(range(n)):
        out.append(f"{indent}ts_free(v{i});\n")
    return out


def branchy(n):
    out = ["double big_branchy(const ts_tensor *x, unsigned flags) {\n",
           "  double total = 0;\n"]
    for i in range(n):
        a = "x" if i == 0 else f"v{i - 1}"
        out.append(f"  ts_tensor *v{i};\n")
        out.append(f"  if (flags & {1 << (i % 31)}u)\n")
        out.append(f"    v{i} = {op(i, a, 'x')};\n")
        out.append("  else\n")
        out.append(f"    v{i} = {op(i + 1, a, 'x')};\n")
        out.append(f"  if (ts_item(v{i}) > {i % 5})\n")
        out.append(f"    total += {i % 3};\n")
        out.append("  else\n")
        out.append(f"    total -= {i % 4};\n")
    for i in reversed(range(n)):
        out.append(f"  ts_free(v{i});\n")
    out.append("  return total;\n}\n\n")
    return out


def loop(n):
    out = ["double big_loop(const ts_tensor *x, int steps) {\n",
           "  double total = 0;\n",
           "  for (int s = 0; s < steps; ++s) {\n"]
    out += straight_body(n, "    ")
    out.append("  }\n  return total;\n}\n\n")
    return out


def scoped(n):
    out = ["double big_scoped(const ts_tensor *x) {\n",
           "  double total = 0;\n"]
    outer = n // 2
    inner = n - outer
    # Outer tensors, made throughout the function and all live to the end.
    blocks = (inner + 3) // 4
    per_gap = max(1, outer // max(1, blocks))
    made_outer = 0
    k = 0
    for blk in range(blocks):
        for _ in range(per_gap):
            if made_outer < outer:
                a = "x" if made_outer == 0 else f"o{made_outer - 1}"
                out.append(f"  ts_tensor *o{made_outer} = {op(made_outer, a, 'x')};\n")
                made_outer += 1
        src = "x" if made_outer == 0 else f"o{made_outer - 1}"
        if blk % 2 == 1:
            out.append(f"  ts_tensor *e{blk};\n")
        out.append("  SCOPE_BLOCK\n")
        for j in range(4):
            if k >= inner:
                break
            a = src if j == 0 else f"s{k - 1}"
            out.append(f"    ts_tensor *s{k} = {op(k, a, src)};\n")
            k += 1
        out.append(f"    total += ts_item(s{k - 1});\n")
        if blk % 2 == 1:
            out.append(f"    e{blk} = ts_escape(s{k - 1});\n")
            out.append("  }\n")
            out.append(f"  total += ts_item(e{blk}) * 0.5;\n")
            out.append(f"  ts_free(e{blk});\n")
        else:
            out.append("  }\n")
    while made_outer < outer:
        a = "x" if made_outer == 0 else f"o{made_outer - 1}"
        out.append(f"  ts_tensor *o{made_outer} = {op(made_outer, a, 'x')};\n")
        made_outer += 1
    for i in reversed(range(outer)):
        out.append(f"  ts_free(o{i});\n")
    out.append("  return total;\n}\n\n")
    return out


def nested(n):
    out = ["SCOPE_FN double big_nested(const ts_tensor *x) {\n",
           "  SCOPE_FN_BODY\n",
           "  double total = 0;\n"]
    k = 0
    while k < n:
        depth = 0
        for d in range(4):
            if k >= n:
                break
            out.append("  " * (d + 1) + "SCOPE_BLOCK\n")
            depth += 1
            for _ in range(2):
                if k >= n:
                    break
                a = "x" if k == 0 or d == 0 and _ == 0 else f"t{k - 1}"
                out.append("  " * (d + 2) + f"ts_tensor *t{k} = {op(k, a, 'x')};\n")
                k += 1
            out.append("  " * (d + 2) + f"total += ts_item(t{k - 1});\n")
        for d in reversed(range(depth)):
            out.append("  " * (d + 1) + "}\n")
    out.append("  return total;\n}\n\n")
    return out


def errcheck(n):
    out = ["SCOPE_FN double big_errcheck(const ts_tensor *x) {\n",
           "  SCOPE_FN_BODY\n",
           "  double total = 0;\n"]
    for i in range(n):
        a = "x" if i == 0 else f"v{i - 1}"
        out.append(f"  ts_tensor *v{i} = {op(i, a, 'x')};\n")
        out.append(f"  if (!v{i})\n    return -1;\n")
    out.append(f"  total += ts_item(v{n - 1});\n")
    out.append("  return total;\n}\n\n")
    return out


def cleanup(n):
    out = ["double big_cleanup(const ts_tensor *x) {\n",
           "  double total = -1;\n"]
    for i in range(n):
        out.append(f"  ts_tensor *v{i} = NULL;\n")
    for i in range(n):
        a = "x" if i == 0 else f"v{i - 1}"
        out.append(f"  v{i} = {op(i, a, 'x')};\n")
        out.append(f"  if (!v{i})\n    goto out;\n")
    out.append(f"  total = ts_item(v{n - 1});\nout:\n")
    for i in reversed(range(n)):
        out.append(f"  ts_free(v{i});\n")
    out.append("  return total;\n}\n\n")
    return out


SHAPES = {"straight": straight, "branchy": branchy, "loop": loop,
          "scoped": scoped, "nested": nested,
          "errcheck": errcheck, "cleanup": cleanup}


def main():
    shapes = sys.argv[1].split(",") if len(sys.argv) == 3 else []
    if not shapes or any(s not in SHAPES and s != "all" for s in shapes):
        sys.exit("usage: gen-big-function.py {%s|all}[,...] N" % "|".join(SHAPES))
    n = int(sys.argv[2])
    out = [PRELUDE]
    for name, gen in SHAPES.items():
        if name in shapes or "all" in shapes:
            out += gen(n)
    sys.stdout.write("".join(out))


if __name__ == "__main__":
    main()
