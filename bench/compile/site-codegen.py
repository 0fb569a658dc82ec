#!/usr/bin/env python3
"""site-codegen.py: what each way of passing an allocation site costs llc -O0.

  site-codegen.py [--work DIR]

Builds one IR module per variant, 200 functions of 18 tensor calls each
(3,600 calls, about the generated compile-time file), and counts the
instructions `llc-19 -O0` executes on it under callgrind. The differences to
`plain` are what the site costs code generation; the tsmem pass uses
`arg-i64`. Needs llvm-19 (llvm-as-19, llc-19) and valgrind.
"""
import argparse
import os
import re
import subprocess

FUNCTIONS, CALLS = 200, 18
TABLE = f"@tab = private unnamed_addr constant [{FUNCTIONS * CALLS} x i64] zeroinitializer"


def gep(i):
    return f"getelementptr ([{FUNCTIONS * CALLS} x i64], ptr @tab, i64 0, i64 {i})"


# name: (extra declarations, the instructions of call number i)
VARIANTS = {
    "plain": ("", lambda i: f"%r{i} = call ptr @ts_add(ptr %a, ptr %a)"),
    "call-ptr": ("declare void @ts__set_site(ptr)",
                 lambda i: f"call void @ts__set_site(ptr {gep(i)})\n"
                           f"  %r{i} = call ptr @ts_add(ptr %a, ptr %a)"),
    "call-i64": ("declare void @ts__set_site(i64)",
                 lambda i: f"call void @ts__set_site(i64 {i * 1000003})\n"
                           f"  %r{i} = call ptr @ts_add(ptr %a, ptr %a)"),
    "arg-ptr-entry": ("declare ptr @ts__add_at(ptr, ptr, ptr)",
                      lambda i: f"%r{i} = call ptr @ts__add_at(ptr %a, ptr %a, ptr {gep(i)})"),
    "arg-ptr": ("declare ptr @ts__add_at(ptr, ptr, ptr)",
                lambda i: f"%r{i} = call ptr @ts__add_at(ptr %a, ptr %a, ptr @tab)"),
    "arg-i32": ("declare ptr @ts__add_at(ptr, ptr, i32)",
                lambda i: f"%r{i} = call ptr @ts__add_at(ptr %a, ptr %a, i32 {i})"),
    "arg-i64": ("declare ptr @ts__add_at(ptr, ptr, i64)",
                lambda i: f"%r{i} = call ptr @ts__add_at(ptr %a, ptr %a, i64 {i * 1000003 << 20})"),
}


def module(decls, call):
    out = [TABLE, "declare ptr @ts_add(ptr, ptr)", decls]
    for f in range(FUNCTIONS):
        out.append(f"define void @f{f}(ptr %a) {{")
        for j in range(CALLS):
            i = f * CALLS + j
            out.append(f"  {call(i)}\n  br label %b{i}\nb{i}:")
        out.append("  ret void\n}")
    return "\n".join(out) + "\n"


def instructions(bc):
    run = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                          "llc-19", "-O0", "-relocation-model=pic", "-filetype=obj", bc,
                          "-o", os.devnull], capture_output=True, text=True, check=True)
    return int(re.search(r"Collected : (\d+)", run.stderr).group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default="build/bench/site-codegen")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    counts = {}
    for name, (decls, call) in VARIANTS.items():
        ll = os.path.join(args.work, name + ".ll")
        with open(ll, "w") as f:
            f.write(module(decls, call))
        bc = ll[:-3] + ".bc"
        subprocess.run(["llvm-as-19", ll, "-o", bc], check=True)
        counts[name] = instructions(bc)
        extra = counts[name] - counts["plain"]
        print(f"  {name:14} {counts[name] / 1e6:8.1f} M instructions  "
              f"+{extra / 1e6:6.1f} M  ({extra / (FUNCTIONS * CALLS) / 1e3:5.1f} k per site)",
              flush=True)


if __name__ == "__main__":
    main()
