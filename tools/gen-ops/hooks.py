"""hooks.py - SPEC section 3's tensor calls, from hooks.txt (gen_ops.py).

tsmem.h gives each call's C signature, hooks.txt its ATen schema, how the
schema's arguments bind to the C parameters, and the checks (hooks) that
give SPEC's statuses. The C++ bodies are written by emit_cpp.py.
"""
import re
import sys

import torchgen.api.cpp as cpp
from torchgen.model import BaseTy, BaseType, ListType, OptionalType, SchemaKind

from args import Skip
from op import leading_tensors


def tsmem_prototypes(path):
    """{name: (owned, return type, [(ctype, cname)])} for tsmem.h's
    prototypes that return a tensor."""
    with open(path) as f:
        text = f.read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    out = {}
    for m in re.finditer(r"(TS_OWNED\s+)?\bts_tensor\s*\*\s*(ts_\w+)\s*\(([^()]*)\)\s*;", text):
        params = []
        for p in m.group(3).split(","):
            p = " ".join(p.split())
            if p in ("", "void"):
                continue
            pm = re.match(r"(.*?)(\w+)$", p)
            ty = re.sub(r"\s*\*\s*", " *", pm.group(1)).strip()
            ty = re.sub(r"\* \*", "**", ty)
            params.append((ty, pm.group(2)))
        out[m.group(2)] = (bool(m.group(1)), "ts_tensor *", params)
    return out


def read_hooks(path):
    """hooks.txt: [(cname, schema, {arg: binding}, [(when, name, [args])])]"""
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            body = line.split("#", 1)[0].split()
            if not body:
                continue
            if len(body) < 2:
                sys.exit("%s:%d: want a C name and a schema" % (path, n))
            binding, hooks = {}, []
            for w in body[2:]:
                m = re.match(r"(pre|err):(\w+)\(([^()]*)\)$", w)
                if m:
                    hooks.append((m.group(1), m.group(2),
                                  [x for x in m.group(3).split(",") if x]))
                elif "=" in w:
                    k, v = w.split("=", 1)
                    binding[k] = v
                else:
                    sys.exit("%s:%d: %r is neither arg=value nor pre:/err:check(args)" % (path, n, w))
            out.append((body[0], body[1], binding, hooks))
    return out


class HookedOp:
    """One of SPEC section 3's calls, generated from an ATen schema with
    tsmem.h's signature: the schema's arguments are bound to the C
    parameters (or left at their defaults), and the hooks add the checks
    that give SPEC's statuses. Only `ts_tensor *` results (TS_OWNED)."""

    hooked = True
    ret = "new1"
    owned = True

    def __init__(self, f, cname, proto, binding, hooks):
        s = f.func
        self.f = f
        self.schema = str(s)
        self.cname = cname
        self.opname = s.name.unambiguous_name()
        self.root = f.root_name
        self.kind = s.kind()
        owned, _, self.params = proto
        if not owned or self.kind != SchemaKind.functional or len(s.returns) != 1 \
                or str(s.returns[0].type) != "Tensor":
            raise Skip("%s: only a TS_OWNED call of a functional one-tensor schema" % cname)
        self.ctype = dict((n, t) for t, n in self.params)
        self.tensors = [n for t, n in self.params if t == "const ts_tensor *"]
        self.pre, self.exprs, used = [], [], set()
        for a in s.arguments.flat_all:
            v = binding.get(a.name)
            if v is None:
                if a.default is None:
                    raise Skip("%s: argument %s has no default: bind it" % (cname, a.name))
                self.exprs.append(cpp.default_expr(a.default, a.type))
                continue
            used.update(v.split(","))
            self.exprs.append(self.bound(a, v))
        unknown = set(binding) - {a.name for a in s.arguments.flat_all}
        missing = set(self.ctype) - used
        if unknown or missing:
            raise Skip("%s: %s" % (cname, "; ".join(
                ["no schema argument %s" % x for x in sorted(unknown)] +
                ["C parameter %s is not bound" % x for x in sorted(missing)])))
        self.pre_hooks = [self.hook_call(h, a) for w, h, a in hooks if w == "pre"]
        self.err_hooks = [self.hook_call(h, a) for w, h, a in hooks if w == "err"]
        self.hook_text = " ".join("%s:%s(%s)" % (w, h, ",".join(a)) for w, h, a in hooks)

    def param(self, v, want):
        if self.ctype.get(v) not in want:
            raise Skip("%s: %s is not a C parameter of type %s" % (self.cname, v, " or ".join(want)))
        return v

    def bound(self, a, v):
        t = a.type
        ints = ("int", "int64_t")
        if isinstance(t, OptionalType):
            inner = t.elem
            if inner == BaseType(BaseTy.ScalarType):
                self.pre.append("if (!ts__check_dtype(call, %s)) return nullptr;" % self.param(v, ["ts_dtype"]))
                return "c10::optional<at::ScalarType>(tsc::scalar_type(%s))" % v
            if inner == BaseType(BaseTy.int):
                return "c10::optional<int64_t>(%s)" % self.param(v, ints)
            raise Skip("%s: cannot bind %s of type %s" % (self.cname, a.name, t))
        if t == BaseType(BaseTy.Tensor):
            return "*p_%s" % self.param(v, ["const ts_tensor *"])
        if t == BaseType(BaseTy.int):
            return "(int64_t)%s" % self.param(v, ints)
        if t == BaseType(BaseTy.SymInt):
            return "c10::SymInt((int64_t)%s)" % self.param(v, ints)
        if t in (BaseType(BaseTy.Scalar), BaseType(BaseTy.float)):
            return "%s(%s)" % ("at::Scalar" if t.name == BaseTy.Scalar else "",
                               self.param(v, ["double"]))
        if isinstance(t, ListType) and t.elem in (BaseType(BaseTy.int), BaseType(BaseTy.SymInt)):
            lst, _, cnt = v.partition(",")
            e = "tsg::ints(%s, %s)" % (self.param(lst, ["const int64_t *"]), self.param(cnt, ["int"]))
            return "c10::fromIntArrayRef(%s)" % e if t.elem.name == BaseTy.SymInt else e
        raise Skip("%s: cannot bind %s of type %s" % (self.cname, a.name, t))

    def hook_call(self, name, args):
        xs = ["call"]
        for x in args:
            if x in self.tensors:
                xs.append("tsh::raw(p_%s)" % x)
            else:
                xs.append(x)
        return "ts__check_%s(%s)" % (name, ", ".join(xs))

    def c_params(self):
        return self.params

    def c_return(self):
        return "ts_tensor *"

    def leading_tensors(self):
        return leading_tensors(self.params)

    def decl(self):
        ps = ", ".join("%s%s%s" % (t, "" if t.endswith("*") else " ", n)
                       for t, n in self.params) or "void"
        return "TS_OWNED ts_tensor *%s(%s)" % (self.cname, ps)


def collect_hooked(res, hooks, protos):
    by_name = {str(f.func.name): f for f in res.native_functions}
    ops = []
    for cname, schema, binding, hk in hooks:
        if schema not in by_name:
            sys.exit("hooks.txt: %s: no ATen schema %s" % (cname, schema))
        if cname not in protos:
            sys.exit("hooks.txt: %s is not declared in tsmem.h (as TS_OWNED ts_tensor *)" % cname)
        try:
            ops.append(HookedOp(by_name[schema], cname, protos[cname], binding, hk))
        except Skip as e:
            sys.exit("hooks.txt: " + str(e))
    return ops
