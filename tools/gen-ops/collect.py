"""collect.py - which ATen schemas become C functions, and their names (gen_ops.py).

Every public functional, in-place and out= schema, minus deny.txt, plus the
private ones allow.txt names; the names tsmem.h defines by hand are left
out, as is every schema C cannot express (each with its reason).
"""
import re
import sys

from torchgen.model import SchemaKind

from args import Skip
from op import Op


def read_list(path):
    """Lines of a list file: the first word of each, without comments."""
    out = {}
    with open(path) as f:
        for line in f:
            body, _, why = line.partition("#")
            body = body.strip()
            if body:
                out[body.split()[0]] = why.strip()
    return out


def reserved_names(tsmem_h):
    with open(tsmem_h) as f:
        text = f.read()
    return set(re.findall(r"\b(ts_[a-z0-9_]+)\s*\(", text))


def collect(res, allow, deny, reserved, hooked):
    ops, skipped = [], []
    names = {}
    # Out variants are named after their functional sibling: max.dim_max is
    # ts_max_dim_out. Index the functional schemas by signature.
    functional_name = {}
    for f in res.native_functions:
        s = f.func
        if s.kind() == SchemaKind.functional:
            functional_name[s.signature()] = s
    for f in res.native_functions:
        s = f.func
        full = str(s.name)
        base = str(s.name.name.base)
        ov = s.name.overload_name
        kind = s.kind()
        if full in deny or base in deny:
            skipped.append((full, "denied: " + (deny.get(full) or deny.get(base) or "deny.txt")))
            continue
        if base.startswith("_") and full not in allow and base not in allow:
            continue  # private: not counted among the public operators
        if kind not in (SchemaKind.functional, SchemaKind.inplace, SchemaKind.out):
            skipped.append((full, "mutates an argument without being in-place or out="))
            continue
        if base.startswith("_"):
            base = base[1:]  # allow.txt's private ops: ts_foreach_add, not ts__
        if kind == SchemaKind.functional:
            cname = "ts_" + base + ("_" + ov if ov else "")
        elif kind == SchemaKind.inplace:
            cname = "ts_" + base + ("_" + ov if ov else "") + "_"
        else:
            sib = functional_name.get(s.signature())
            if sib is not None:
                sov = sib.name.overload_name
                cname = "ts_" + base + ("_" + sov if sov else "") + "_out"
            elif ov == "out":
                cname = "ts_" + base + "_out"
            elif ov.endswith("_out"):
                cname = "ts_" + base + "_" + ov
            else:
                cname = "ts_" + base + "_" + ov + "_out"
        if cname in reserved:
            if cname in hooked:
                skipped.append((full, "generated as SPEC section 3's %s, with tsmem.h's "
                                "signature (hooks.txt)" % cname))
            else:
                skipped.append((full, "section 3 of SPEC defines %s by hand" % cname))
            continue
        if cname in names:
            if full.startswith("_") or names[cname].startswith("_"):
                sys.exit("gen_ops.py: allow.txt's %s would be %s, which %s has; "
                         "deny one of them" % (full, cname, names[cname]))
            skipped.append((full, "C name %s already taken by %s" % (cname, names[cname])))
            continue
        try:
            op = Op(f, cname)
        except Skip as e:
            skipped.append((full, str(e)))
            continue
        names[cname] = full
        ops.append(op)
    return ops, skipped
