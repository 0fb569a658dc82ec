#!/usr/bin/env python3
"""gen_ops.py - every libtorch operator tsmem can express in C, generated.

Reads libtorch's own operator list (native_functions.yaml, parsed by torchgen,
both shipped by Debian's python3-torch) and writes, into the build tree:

  include/tsmem/ops.h     the C API (SPEC section 6): the conventions, and
                          ops_decls.h beside it, unless the plugin declares
                          the functions on first use (ops_lazy.inc)
  include/tsmem/ops_decls.h  the declarations, the ATen schema above each,
                          TS_OWNED on new tensors
  ops_shard_N.cpp         the C++ side behind the exception barrier, in
                          shards so that a parallel build spreads them
  ops_section3.cpp        SPEC section 3's tensor calls (hooks.txt), which
                          tsmem.h declares
  ops_twins.inc           the site twins (runtime/sites.c includes it),
                          section 3's generated calls' too
  GeneratedOwnedCalls.def the pass's list of the generated owned calls,
                          section 3's too (pass/OwnedCalls.def has the rest)
  ops_lazy.inc            the plugin's table of the declarations it makes on
                          first use (clang-plugin/lowering/LazyOps.cpp)
  ops.md                  the reference: each C signature next to its schema
  ops_conformance.c       test: fixed inputs through a sample of ops
  ops_conformance.json    ... and the same calls for PyTorch to repeat
  ops_handles.c           test: stale, NULL and foreign handles everywhere

Which ops: every public (no leading underscore) functional, in-place and
out= schema whose arguments and results map to C, minus deny.txt, plus the
private ones allow.txt names (their C name drops the leading underscore:
_foreach_add.Scalar is ts_foreach_add_Scalar, since ts__ is tsmem's
internal prefix). Every op left out is listed in ops.md with the reason.
SPEC section 3's tensor calls (ts_add, ts_zeros, ...) are generated too,
from hooks.txt: tsmem.h's signature, an ATen schema, and the checks that
give SPEC's statuses (HookedOp). Nothing here is edited by hand: change
the lists or the modules below.

This file is the driver; the modules beside it have one job each:
  collect.py        which schemas, and their C names (allow.txt, deny.txt)
  op.py, args.py    a schema's C signature, and the C++ its arguments become
  hooks.py          SPEC section 3's calls (hooks.txt, tsmem.h)
  kernels.py        the C++ function each body calls (ATen's, or gemm.hpp's)
  emit_header.py    ops.h, ops_decls.h
  emit_cpp.py       ops_shard_N.cpp, ops_section3.cpp
  emit_tables.py    ops_twins.inc, GeneratedOwnedCalls.def, ops_lazy.inc
  emit_docs.py      ops.md
  gen_tests.py      ops_conformance.c/.json, ops_handles.c, ops_plugin_ok.c
runtime/CMakeLists.txt lists them all (TSMEM_GEN_OPS_SOURCES), so that
editing any of them regenerates.
"""
import argparse
import collections
import os

from torchgen.gen import parse_native_yaml

import emit_cpp
import emit_docs
import emit_header
import emit_tables
import gen_tests
from collect import collect, read_list, reserved_names
from hooks import collect_hooked, read_hooks, tsmem_prototypes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--yaml-dir", required=True)
    ap.add_argument("--tsmem-h", required=True)
    ap.add_argument("--lists", required=True, help="directory of allow.txt and deny.txt")
    ap.add_argument("--out", required=True)
    ap.add_argument("--shards", type=int, default=8)
    ap.add_argument("--stats", action="store_true")
    o = ap.parse_args()
    allow = read_list(os.path.join(o.lists, "allow.txt"))
    deny = read_list(os.path.join(o.lists, "deny.txt"))
    res = parse_native_yaml(os.path.join(o.yaml_dir, "native_functions.yaml"),
                            os.path.join(o.yaml_dir, "tags.yaml"))
    hooked = collect_hooked(res, read_hooks(os.path.join(o.lists, "hooks.txt")),
                            tsmem_prototypes(o.tsmem_h))
    ops, skipped = collect(res, allow, deny, reserved_names(o.tsmem_h),
                           {op.cname for op in hooked})
    ops += hooked
    if o.stats:
        c = collections.Counter(why.split(" of type")[0].split(" ")[0] + " " + why.split("type ")[-1] for _, why in skipped)
        for k, v in c.most_common(40):
            print(v, k)
        print(len(ops), "functions")
        return
    os.makedirs(os.path.join(o.out, "include", "tsmem"), exist_ok=True)
    emit_header.emit_header(ops, os.path.join(o.out, "include", "tsmem", "ops.h"))
    emit_cpp.emit_shards([op for op in ops if not op.hooked], o.out, o.shards)
    emit_cpp.emit_section3([op for op in ops if op.hooked],
                           os.path.join(o.out, "ops_section3.cpp"))
    emit_tables.emit_twins(ops, os.path.join(o.out, "ops_twins.inc"),
                           os.path.join(o.out, "GeneratedOwnedCalls.def"))
    emit_tables.emit_lazy(ops, os.path.join(o.out, "ops_lazy.inc"))
    emit_docs.emit_docs(ops, skipped, os.path.join(o.out, "ops.md"))
    gen_tests.emit([op for op in ops if not op.hooked], o.out)


if __name__ == "__main__":
    main()
