"""analyzer_shims.py - the shim headers that give GCC's -fanalyzer and the
Clang static analyzer the ownership facts tsmem reads from TS_OWNED and
TS_CONSUMES, shared by tests/corpus/compare.py and
tests/realistic/measure.py, and how each analyzer's warnings name the
checks (classify_gcc, classify_csa).

Each shim directory goes first on the include path and holds a tsmem.h
(and, with ops_inc, a tsmem/ops.h) that includes the real header with
#include_next, then redeclares every TS_OWNED function of it with
  GCC:   __attribute__((malloc, malloc(ts_free, 1), malloc(ts_pool_release, 2)))
  Clang: __attribute__((ownership_returns(malloc))), and ts_free with
         ownership_takes(malloc, 1), ts_pool_release with (malloc, 2)
(Clang's checker needs unix.DynamicMemoryModeling:Optimistic=true for
them). With user_macros, TS_OWNED (both) and TS_CONSUMES(n) (Clang, as
ownership_takes(malloc, n)) are redefined too, so that the attributes reach
the user's own functions.
"""
import os
import re

GCC_ATTR = "__attribute__((malloc, malloc(ts_free, 1), malloc(ts_pool_release, 2)))"
CSA_ATTR = "__attribute__((ownership_returns(malloc)))"


def owned_declarations(header):
    """The TS_OWNED prototypes of a header, without the macro and the `;`."""
    text = open(header).read()
    decls = re.findall(r"TS_OWNED\s+(ts_tensor\s*\*\s*\w+\s*\([^;]*\))\s*;", text)
    return [re.sub(r"\s+", " ", d) for d in decls]


def write_shims(tmp, inc, ops_inc=None, user_macros=False):
    """Writes the shims under tmp; returns {"gcc": dir, "csa": dir}. inc
    holds tsmem.h, ops_inc (optional) tsmem/ops.h."""
    core = owned_declarations(os.path.join(inc, "tsmem.h"))
    ops = owned_declarations(os.path.join(ops_inc, "tsmem", "ops.h")) if ops_inc else None
    dirs = {}
    for tool in ("gcc", "csa"):
        d = os.path.join(tmp, tool)
        os.makedirs(os.path.join(d, "tsmem") if ops_inc else d, exist_ok=True)
        dirs[tool] = d
    with open(os.path.join(dirs["gcc"], "tsmem.h"), "w") as f:
        f.write("#include_next <tsmem.h>\n")
        for d in core:
            f.write("%s %s;\n" % (d, GCC_ATTR))
        if user_macros:
            f.write("#undef TS_OWNED\n#define TS_OWNED %s\n" % GCC_ATTR)
    if ops_inc:
        with open(os.path.join(dirs["gcc"], "tsmem", "ops.h"), "w") as f:
            f.write("#include_next <tsmem/ops.h>\n")
            for d in ops:
                if d.split("(")[0] not in " ".join(core):
                    f.write("%s %s;\n" % (d, GCC_ATTR))
    with open(os.path.join(dirs["csa"], "tsmem.h"), "w") as f:
        f.write("#include_next <tsmem.h>\n")
        f.write("ts_status ts_free(ts_tensor *t) __attribute__((ownership_takes(malloc, 1)));\n")
        f.write("ts_status ts_pool_release(ts_pool *p, ts_tensor *t) "
                "__attribute__((ownership_takes(malloc, 2)));\n")
        for d in core:
            f.write("%s %s;\n" % (d, CSA_ATTR))
        if user_macros:
            f.write("#undef TS_OWNED\n#define TS_OWNED %s\n" % CSA_ATTR)
            f.write("#undef TS_CONSUMES\n"
                    "#define TS_CONSUMES(n) __attribute__((ownership_takes(malloc, n)))\n")
    if ops_inc:
        with open(os.path.join(dirs["csa"], "tsmem", "ops.h"), "w") as f:
            f.write("#include_next <tsmem/ops.h>\n")
            for d in ops:
                f.write("%s %s;\n" % (d, CSA_ATTR))
    return dirs


def classify_gcc(msg):
    """The check (SPEC section 5's name) a GCC -fanalyzer warning reports."""
    if "[-Wanalyzer-malloc-leak]" in msg:
        return "leak"
    if "[-Wanalyzer-use-after-free]" in msg:
        return "use-after-free"
    if "[-Wanalyzer-double-free]" in msg:
        return "double-free"
    return None


def classify_csa(msg):
    """The check a Clang static analyzer warning reports."""
    if "Potential leak" in msg or "Potential memory leak" in msg:
        return "leak"
    if "after it is freed" in msg or "after it is released" in msg:
        return "use-after-free"
    if "free released memory" in msg or "released memory" in msg:
        return "double-free"
    return None
