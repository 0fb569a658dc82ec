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
the lists or this file.
"""
import argparse
import json
import os
import re
import sys

from torchgen.gen import parse_native_yaml
from torchgen.model import (BaseTy, BaseType, ListType, OptionalType,
                            SchemaKind)
import torchgen.api.cpp as cpp

C_KEYWORDS = {"auto", "break", "case", "char", "const", "continue", "default",
              "do", "double", "else", "enum", "extern", "float", "for", "goto",
              "if", "inline", "int", "long", "register", "restrict", "return",
              "short", "signed", "sizeof", "static", "struct", "switch",
              "typedef", "union", "unsigned", "void", "volatile", "while",
              "bool", "call", "ret", "site"}


class Skip(Exception):
    """The op cannot be expressed in C; the message says why."""


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


def cname_of(n):
    return n + "_" if n in C_KEYWORDS else n


# The functional matrix products whose float32 CPU cases runtime/torch/gemm.cpp
# runs through oneDNN's sgemm (gemm.hpp: the same arguments as the ATen call,
# which it makes for every other case).
GEMM_KERNELS = {"addmm": "tsk::addmm", "mm": "tsk::mm", "matmul": "tsk::matmul",
                "linear": "tsk::linear"}


def call_expr(opname, args):
    """The C++ call an op's body makes: ATen's, or gemm.hpp's for GEMM_KERNELS."""
    return "%s(%s)" % (GEMM_KERNELS.get(opname, "at::_ops::%s::call" % opname), args)


# ------------------------------------------------------------- arguments --

class Arg:
    """One schema argument as C sees it.

    params: [(ctype, cname)] in the C signature (none: dropped, defaulted)
    pre:    C++ statements run before the call (checks, pinning); each may
            `return FAIL;`
    expr:   the C++ expression passed to at::_ops::<op>::call (call_expr)
    tensor: the kind of tensor parameter ("t", "opt", "list", "optlist")
    """

    def __init__(self, a):
        self.a = a
        self.name = cname_of(a.name)
        self.params = []
        self.pre = []
        self.expr = None
        self.tensor = None
        self.write = a.annotation is not None and a.annotation.is_write
        self.map(a.type)

    def map(self, t):
        n, q = self.name, '"%s"' % self.a.name
        a = self.a
        if isinstance(t, BaseType):
            b = t.name
            if b == BaseTy.Tensor:
                self.tensor = "t"
                self.params = [("const ts_tensor *", n)]
                self.pre = ["tsg::Pin p_%s;" % n,
                            "if (!p_%s.get(%s, call, %s)) return FAIL;" % (n, n, q)]
                self.expr = "*p_%s" % n
            elif b == BaseTy.int:
                self.params = [("int64_t", n)]
                self.expr = n
            elif b == BaseTy.SymInt:
                self.params = [("int64_t", n)]
                self.expr = "c10::SymInt(%s)" % n
            elif b == BaseTy.bool:
                self.params = [("bool", n)]
                self.expr = n
            elif b == BaseTy.float:
                self.params = [("double", n)]
                self.expr = n
            elif b == BaseTy.Scalar:
                self.params = [("double", n)]
                self.expr = "at::Scalar(%s)" % n
            elif b == BaseTy.ScalarType:
                self.params = [("ts_dtype", n)]
                self.pre = ["if (!ts__check_dtype(call, %s)) return FAIL;" % n]
                self.expr = "tsc::scalar_type(%s)" % n
            elif b == BaseTy.str:
                self.params = [("const char *", n)]
                self.pre = ["if (!tsg::check_str(call, %s, %s)) return FAIL;" % (q, n)]
                self.expr = "c10::string_view(%s)" % n
            elif b == BaseTy.Device:
                self.params = [("const char *", n)]
                self.pre = ["if (!tsg::check_str(call, %s, %s)) return FAIL;" % (q, n)]
                self.expr = "tsg::device(%s)" % n
            elif b in (BaseTy.Layout, BaseTy.MemoryFormat) and a.default:
                self.expr = "at::" + cpp.default_expr(a.default, t)
            else:
                raise Skip("argument %s of type %s" % (a.name, t))
        elif isinstance(t, OptionalType):
            e = t.elem
            b = e.name if isinstance(e, BaseType) else None
            if b == BaseTy.Tensor:
                self.tensor = "opt"
                self.params = [("const ts_tensor *", n)]
                self.pre = ["tsg::Pin p_%s;" % n,
                            "if (!p_%s.opt(%s, call, %s)) return FAIL;" % (n, n, q)]
                self.expr = "p_%s.optional()" % n
            elif b in (BaseTy.int, BaseTy.SymInt):
                self.params = [("int64_t", n)]
                self.expr = "tsg::opt_%s(%s)" % ("symint" if b == BaseTy.SymInt else "int", n)
            elif b == BaseTy.float:
                self.params = [("double", n)]
                self.expr = "tsg::opt_double(%s)" % n
            elif b == BaseTy.Scalar:
                self.params = [("double", n)]
                self.expr = "tsg::opt_scalar(%s)" % n
            elif b == BaseTy.bool and a.name == "pin_memory":
                self.expr = "c10::nullopt"
            elif b == BaseTy.bool:
                self.params = [("int", n)]
                self.expr = "tsg::opt_bool(%s)" % n
            elif b == BaseTy.ScalarType:
                self.params = [("ts_dtype", n)]
                self.pre = ["if (%s != TS_NO_DTYPE && !ts__check_dtype(call, %s)) return FAIL;" % (n, n)]
                self.expr = "tsg::opt_dtype(%s)" % n
            elif b == BaseTy.str:
                self.params = [("const char *", n)]
                self.expr = "tsg::opt_str(%s)" % n
            elif b == BaseTy.Device:
                self.params = [("const char *", n)]
                self.expr = "tsg::opt_device(%s)" % n
            elif b in (BaseTy.Layout, BaseTy.MemoryFormat, BaseTy.Generator):
                self.expr = "c10::nullopt"
            elif isinstance(e, ListType) and e.elem == BaseType(BaseTy.int):
                self.params = [("const int64_t *", n), ("int", n + "_count")]
                self.pre = ["if (!tsg::check_list(call, %s, %s, %s_count, true)) return FAIL;" % (q, n, n)]
                self.expr = "tsg::opt_ints(%s, %s_count)" % (n, n)
            elif isinstance(e, ListType) and e.elem == BaseType(BaseTy.SymInt):
                self.params = [("const int64_t *", n), ("int", n + "_count")]
                self.pre = ["if (!tsg::check_list(call, %s, %s, %s_count, true)) return FAIL;" % (q, n, n)]
                self.expr = "tsg::opt_symints(%s, %s_count)" % (n, n)
            elif isinstance(e, ListType) and e.elem == BaseType(BaseTy.float):
                self.params = [("const double *", n), ("int", n + "_count")]
                self.pre = ["if (!tsg::check_list(call, %s, %s, %s_count, true)) return FAIL;" % (q, n, n)]
                self.expr = "tsg::opt_doubles(%s, %s_count)" % (n, n)
            else:
                raise Skip("argument %s of type %s" % (a.name, t))
        elif isinstance(t, ListType):
            e = t.elem
            if e == BaseType(BaseTy.Tensor):
                self.tensor = "list"
                self.params = [("const ts_tensor *const *", n), ("int", n + "_count")]
                self.pre = ["tsg::PinList p_%s;" % n,
                            "if (!p_%s.get(%s, %s_count, call, %s)) return FAIL;" % (n, n, n, q)]
                self.expr = "p_%s.list()" % n
            elif e == OptionalType(BaseType(BaseTy.Tensor)):
                self.tensor = "optlist"
                self.params = [("const ts_tensor *const *", n), ("int", n + "_count")]
                self.pre = ["tsg::PinList p_%s;" % n,
                            "if (!p_%s.get(%s, %s_count, call, %s, true)) return FAIL;" % (n, n, n, q)]
                self.expr = "p_%s.optlist()" % n
            elif e in (BaseType(BaseTy.int), BaseType(BaseTy.SymInt)):
                self.params = [("const int64_t *", n), ("int", n + "_count")]
                self.pre = ["if (!tsg::check_list(call, %s, %s, %s_count, false)) return FAIL;" % (q, n, n)]
                self.expr = "tsg::ints(%s, %s_count)" % (n, n)
                if e.name == BaseTy.SymInt:
                    self.expr = "c10::fromIntArrayRef(%s)" % self.expr
            elif e == BaseType(BaseTy.bool) and t.size:
                self.params = [("const bool *", n), ("int", n + "_count")]
                self.pre = ["if (!tsg::check_count(call, %s, %s, %s_count, %d)) return FAIL;" % (q, n, n, t.size)]
                self.expr = "tsg::bools<%d>(%s)" % (t.size, n)
            elif e == BaseType(BaseTy.float):
                self.params = [("const double *", n), ("int", n + "_count")]
                self.pre = ["if (!tsg::check_list(call, %s, %s, %s_count, false)) return FAIL;" % (q, n, n)]
                self.expr = "at::ArrayRef<double>(%s, (size_t)%s_count)" % (n, n)
            elif e == BaseType(BaseTy.Scalar):
                # Scalar[] (the _foreach_ ScalarList overloads): doubles.
                self.params = [("const double *", n), ("int", n + "_count")]
                self.pre = ["if (!tsg::check_list(call, %s, %s, %s_count, false)) return FAIL;" % (q, n, n),
                            "tsg::Scalars s_%s(%s, %s_count);" % (n, n, n)]
                self.expr = "s_%s.list()" % n
            else:
                raise Skip("argument %s of type %s" % (a.name, t))
        else:
            raise Skip("argument %s of type %s" % (a.name, t))


# ------------------------------------------------------------ operations --

# Results that are one value: the C type out points to.
VALUE_RETURNS = {"bool": "bool", "int": "int64_t", "float": "double",
                 "Scalar": "double", "ScalarType": "ts_dtype"}


class Op:
    hooked = False

    def __init__(self, f, cname):
        self.f = f
        s = f.func
        self.schema = str(s)
        self.cname = cname
        self.opname = s.name.unambiguous_name()
        self.root = f.root_name
        self.kind = s.kind()
        self.args = [Arg(a) for a in s.arguments.flat_all]
        rets = s.returns
        tys = [str(r.type) for r in rets]
        writes = [r.annotation is not None and r.annotation.is_write for r in rets]
        if not rets:
            self.ret = "void"
        elif tys == ["Tensor"] and not writes[0]:
            self.ret = "new1"
        elif tys == ["Tensor"] and writes[0]:
            self.ret = "self1"
            alias = rets[0].annotation.alias_set
            src = [x for x in self.args if x.a.annotation and x.a.annotation.alias_set == alias]
            if len(src) != 1 or src[0].tensor != "t":
                raise Skip("returns an alias of no single tensor argument")
            self.self_arg = src[0]
        elif all(t == "Tensor" for t in tys) and not any(writes):
            self.ret = "newN"
        elif all(t == "Tensor" for t in tys) and all(writes):
            self.ret = "writeN"
        elif tys == ["Tensor[]"]:
            self.ret = "list"
        elif len(tys) == 1 and tys[0] in VALUE_RETURNS:
            self.ret = "value"
            self.value_type = VALUE_RETURNS[tys[0]]
        else:
            raise Skip("returns %s" % ", ".join(tys))
        if self.ret in ("newN", "list", "value"):
            for x in self.args:
                if x.name in ("out", "out_cap", "out_count"):
                    x.params = [(t, n.replace(x.name, x.name + "_", 1)) for t, n in x.params]
                    x.pre = [p.replace(x.name, x.name + "_") for p in x.pre]
                    x.expr = x.expr.replace(x.name, x.name + "_")
                    x.name += "_"
        for x in self.args:
            if x.write and x.tensor not in ("t", "list"):
                raise Skip("writes argument %s of type %s" % (x.a.name, x.a.type))
        self.nret = len(rets)

    @property
    def owned(self):
        """Makes new tensors (a site is recorded for each)."""
        return self.ret in ("new1", "newN", "list")

    def c_params(self):
        ps = []
        if self.ret == "newN":
            ps.append(("ts_tensor **", "out"))
        if self.ret == "list":
            ps += [("ts_tensor **", "out"), ("int", "out_cap"), ("int *", "out_count")]
        if self.ret == "value":
            ps.append((self.value_type + " *", "out"))
        for x in self.args:
            ps += x.params
        return ps

    def c_return(self):
        return "ts_tensor *" if self.ret in ("new1", "self1") else "ts_status"

    def leading_tensors(self):
        """How many leading C parameters are input tensors (for the pass)."""
        return leading_tensors(self.c_params())

    def decl(self):
        ps = ", ".join("%s%s%s" % (t, "" if t.endswith("*") else " ", n)
                       for t, n in self.c_params()) or "void"
        r = self.c_return()
        return "%s%s%s%s(%s)" % ("TS_OWNED " if self.ret == "new1" else "", r,
                                 "" if r.endswith("*") else " ", self.cname, ps)


def leading_tensors(params):
    n = 0
    for ty, _ in params:
        if ty != "const ts_tensor *":
            break
        n += 1
    return min(n, 9)


def c_signature_text(op):
    return op.decl() + ";"


# ------------------------------------------------ SPEC section 3's calls --

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

    def body(self):
        L = ["// %s" % self.schema,
             "// SPEC section 3's %s (tools/gen-ops/hooks.txt%s)" % (
                 self.cname, ": " + self.hook_text if self.hook_text else ""),
             self.decl().replace("TS_OWNED ", "") + " {",
             '  static const char call[] = "%s";' % self.cname,
             "  void *ret = __builtin_return_address(0);"]
        for n in self.tensors:
            L.append("  tsg::Pin p_%s;" % n)
            L.append('  if (!p_%s.get(%s, call, "%s")) return nullptr;' % (n, n, n))
        L += ["  " + p for p in self.pre]
        L += ["  if (!%s) return nullptr;" % h for h in self.pre_hooks]
        callx = call_expr(self.opname, ", ".join(self.exprs))
        if self.err_hooks:
            L.append("  return tsg::one(call, ret, [&] { return %s; }," % callx)
            L.append("                  [&] { return %s; });" % " && ".join(self.err_hooks))
        else:
            L.append("  return tsg::one(call, ret, [&] { return %s; });" % callx)
        L.append("}")
        return "\n".join(L) + "\n"


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


# ---------------------------------------------------------- what to emit --

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


HEADER_TOP = """\
/*
 * tsmem/ops.h - every libtorch operator tsmem covers, as C functions
 * (SPEC section 6). GENERATED by tools/gen-ops/gen_ops.py from libtorch's
 * native_functions.yaml: do not edit; change tools/gen-ops/ instead.
 *
 * Names: ts_<name> for the default overload, ts_<name>_<overload> for the
 * others, a trailing _ for in-place, _out for out= variants.
 * Arguments in the schema's order with every default written out:
 *   Tensor, Tensor?       const ts_tensor * (NULL: None)
 *   Tensor[], Tensor?[]   const ts_tensor *const *, int count
 *   int[], SymInt[]       const int64_t *, int count (NULL, -1: None)
 *   int, SymInt           int64_t (TS_NO_INT: None)
 *   float, Scalar         double (TS_NO_FLOAT or NAN: None); a Scalar is
 *                         a Python float: an integer tensor plus 2.0 is
 *                         floating-point, as in PyTorch
 *   bool                  bool; bool? is int (TS_NO_BOOL: None)
 *   ScalarType            ts_dtype (TS_NO_DTYPE: None)
 *   str, Device           const char * ("cpu", "cuda:0"; NULL: None)
 *   Layout, MemoryFormat, Generator  not passed: their defaults
 * Results: one new tensor is returned (TS_OWNED, NULL on error); an
 * in-place or out= call returns the handle it was given; several new
 * tensors go to ts_tensor **out (first argument) and the call returns a
 * ts_status (on failure every out[i] is NULL); a list of tensors goes to
 * out[0..out_cap) with *out_count set (an array too small: TS_ERR_ARG, no
 * tensor made, *out_count the number needed). Tensor arrays are
 * `const ts_tensor *arr[]`: C does not convert ts_tensor ** to them.
 * A result libtorch leaves undefined is NULL, without an error.
 */
#ifndef TSMEM_OPS_H
#define TSMEM_OPS_H

#include <tsmem.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)
/* None for an optional int, bool, dtype, float or Scalar (any NaN is None
 * for the last two). */
#define TS_NO_INT INT64_MIN
#define TS_NO_FLOAT (__builtin_nan(""))
#define TS_NO_BOOL (-1)
#define TS_NO_DTYPE ((ts_dtype)-1)

/* Under the tsmem plugin (a C compile), the declarations below are not
 * parsed: the plugin declares each function, exactly as written here, the
 * first time its name is used (clang-plugin/lowering/LazyOps.cpp), which
 * saves the compile the parsing of about 2,000 prototypes. Define TSMEM_OPS_PARSE_ALL
 * to parse them anyway. */
#if defined(__TSMEM_PLUGIN__) && !defined(__cplusplus) && \
    !defined(TSMEM_OPS_PARSE_ALL)
#define TS__OPS_LAZY 1
#else
/* Every declaration, each below its ATen schema (and in ops.md). Kept in
 * a file of its own so that a lazy compile does not even skip through it. */
#include <tsmem/ops_decls.h>
#endif

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* TSMEM_OPS_H */
"""

DECLS_TOP = """\
/*
 * tsmem/ops_decls.h - the declarations of <tsmem/ops.h>; include that
 * header, not this one. GENERATED by tools/gen-ops/gen_ops.py: do not edit.
 */
#ifndef TSMEM_OPS_H
#error "include <tsmem/ops.h>, not <tsmem/ops_decls.h>"
#endif
#ifndef TSMEM_OPS_DECLS_H
#define TSMEM_OPS_DECLS_H

/* tsmem's own declarations, as in tsmem.h: the pass acts on calls to these
 * only (allocation sites), never on a name alone. */
#if defined(__clang__)
#pragma clang attribute push(__attribute__((annotate("tsmem.runtime"))), \
                             apply_to = function)
#endif

"""

DECLS_END = """
#if defined(__clang__)
#pragma clang attribute pop
#endif

#endif /* TSMEM_OPS_DECLS_H */
"""


def emit_header(ops, path):
    with open(path, "w") as f:
        f.write(HEADER_TOP)
    with open(os.path.join(os.path.dirname(path), "ops_decls.h"), "w") as f:
        f.write(DECLS_TOP)
        for op in ops:
            if op.hooked:
                continue  # declared by tsmem.h
            f.write("/* %s */\n%s\n" % (op.schema.replace("*/", "* /"), c_signature_text(op)))
        f.write(DECLS_END)


def emit_body(op):
    if op.hooked:
        return op.body()
    L = []
    sig = op.decl().replace("TS_OWNED ", "")
    L.append("// %s" % op.schema)
    L.append(sig + " {")
    L.append('  static const char call[] = "%s";' % op.cname)
    status = op.c_return() == "ts_status"
    fail = "ts_last_status()" if status else "nullptr"
    if op.ret in ("new1", "newN", "list"):
        L.append("  void *ret = __builtin_return_address(0);")
    if op.ret == "newN":
        L.append("  if (!tsg::check_out_n(call, out, %d)) return ts_last_status();" % op.nret)
    if op.ret == "value":
        L.append("  if (!tsg::check_out(call, out)) return ts_last_status();")
    if op.ret == "list":
        L.append("  if (!tsg::check_list_out(call, out, out_cap, out_count)) return ts_last_status();")
    for x in op.args:
        for p in x.pre:
            L.append("  " + p.replace("FAIL", fail))
    args = ", ".join(x.expr for x in op.args)
    callx = call_expr(op.opname, args)
    if op.ret == "new1":
        L.append("  return tsg::one(call, ret, [&] { return %s; });" % callx)
    elif op.ret == "self1":
        L.append("  return tsg::same(call, %s, [&] { %s; });" % (op.self_arg.name, callx))
    elif op.ret == "newN":
        L.append("  return tsg::many(call, ret, out, [&] { return %s; });" % callx)
    elif op.ret == "list":
        L.append("  return tsg::list(call, ret, out, out_cap, out_count, [&] { return %s; });" % callx)
    elif op.ret == "value":
        L.append("  return tsg::value(call, out, [&] { return %s; });" % callx)
    else:
        L.append("  return tsg::status(call, [&] { %s; });" % callx)
    L.append("}")
    return "\n".join(L) + "\n"


def emit_shards(ops, outdir, n):
    per = (len(ops) + n - 1) // n
    for i in range(n):
        chunk = ops[i * per:(i + 1) * per]
        roots = sorted({op.root for op in chunk})
        with open(os.path.join(outdir, "ops_shard_%d.cpp" % i), "w") as f:
            f.write("// GENERATED by tools/gen-ops/gen_ops.py: shard %d of %d.\n" % (i, n))
            f.write('#include "torch/ops_support.hpp"\n')
            f.write('#include "torch/ops_scalars.hpp"\n')
            if any(op.opname in GEMM_KERNELS for op in chunk):
                f.write('#include "torch/gemm.hpp"\n')
            f.write('\n')
            for r in roots:
                f.write("#include <ATen/ops/%s_ops.h>\n" % r)
            f.write('\nextern "C" {\n\n')
            for op in chunk:
                f.write(emit_body(op) + "\n")
            f.write('} // extern "C"\n')


def emit_section3(ops, path):
    roots = sorted({op.root for op in ops})
    with open(path, "w") as f:
        f.write("// GENERATED by tools/gen-ops/gen_ops.py: SPEC section 3's tensor calls\n"
                "// (tsmem.h declares them), from tools/gen-ops/hooks.txt.\n")
        f.write('#include "torch/ops_support.hpp"\n#include "torch/ops_hooks.hpp"\n')
        if any(op.opname in GEMM_KERNELS for op in ops):
            f.write('#include "torch/gemm.hpp"\n')
        f.write("\n#include <ATen/core/Reduction.h>\n")
        for r in roots:
            f.write("#include <ATen/ops/%s_ops.h>\n" % r)
        f.write('\nextern "C" {\n\n')
        for op in ops:
            f.write(op.body() + "\n")
        f.write('} // extern "C"\n')


def emit_twins(ops, path, defpath):
    with open(path, "w") as f:
        f.write("/* GENERATED by tools/gen-ops/gen_ops.py: the site twins of "
                "<tsmem/ops.h>'s calls that make tensors (runtime/sites.c). */\n")
        for op in ops:
            if not op.owned:
                continue
            ps = op.c_params()
            params = ", ".join("%s%s%s" % (t, "" if t.endswith("*") else " ", n) for t, n in ps)
            args = ", ".join(n for _, n in ps)
            tens = [n for _, n in ps[:op.leading_tensors()]] + ["NULL", "NULL"]
            f.write("TWIN_RET(%s, %s, (%s), (%s), %s, %s)\n" % (
                op.c_return().strip(), op.cname[3:], params, args, tens[0], tens[1]))
    with open(defpath, "w") as f:
        f.write("// GENERATED by tools/gen-ops/gen_ops.py: the calls of <tsmem/ops.h>\n"
                "// that make tensors, as pass/OwnedCalls.def lists them.\n")
        for op in ops:
            if op.owned:
                f.write("TSMEM_OWNED(%s, %d)\n" % (op.cname, op.leading_tensors()))


# The plugin's letters for C parameter types (clang-plugin/lowering/LazyOps.cpp).
LAZY_TYPES = {"const ts_tensor *": "T", "const ts_tensor *const *": "L",
              "int64_t": "i", "int": "n", "bool": "b", "double": "d",
              "ts_dtype": "D", "const char *": "s", "const int64_t *": "I",
              "const double *": "F", "const bool *": "B", "ts_tensor **": "O",
              "int *": "p", "bool *": "x", "int64_t *": "y", "double *": "z",
              "ts_dtype *": "w"}


def emit_lazy(ops, path):
    """The table the plugin declares <tsmem/ops.h>'s functions from, sorted
    by name (it searches it by bisection)."""
    with open(path, "w") as f:
        f.write("// GENERATED by tools/gen-ops/gen_ops.py: <tsmem/ops.h>'s declarations\n"
                "// for clang-plugin/lowering/LazyOps.cpp: name, TS_OWNED, result (t: ts_tensor *,\n"
                "// s: ts_status), parameter types (one letter each), parameter names.\n")
        for op in sorted(ops, key=lambda o: o.cname.encode()):
            if op.hooked:
                continue  # declared by tsmem.h
            ps = op.c_params()
            types = "".join(LAZY_TYPES[t] for t, _ in ps)
            f.write('{"%s", %s, \'%s\', "%s", "%s"},\n' % (
                op.cname, "true" if op.ret == "new1" else "false",
                "t" if op.c_return() == "ts_tensor *" else "s", types,
                ",".join(n for _, n in ps)))


def emit_docs(ops, skipped, path):
    base_names = {str(op.f.func.name.name.base) for op in ops}
    func = [op for op in ops if op.kind == SchemaKind.functional]
    fnames = {str(op.f.func.name.name.base) for op in func}
    with open(path, "w") as f:
        f.write("# Generated operators (`#include <tsmem/ops.h>`)\n\n")
        f.write("Generated by `tools/gen-ops/gen_ops.py` from libtorch's `native_functions.yaml`; "
                "do not edit. SPEC section 6 gives the conventions.\n\n")
        f.write("- C functions: %d (%d functional, %d in-place, %d out=)\n" % (
            len(ops), len(func), sum(op.kind == SchemaKind.inplace for op in ops),
            sum(op.kind == SchemaKind.out for op in ops)))
        f.write("- distinct operator names: %d (%d with a functional form)\n" % (len(base_names), len(fnames)))
        f.write("- of which SPEC section 3's calls (`tsmem.h`, `tools/gen-ops/hooks.txt`): %d\n"
                % sum(op.hooked for op in ops))
        f.write("- schemas left out: %d (below, with the reason)\n\n" % len(skipped))
        f.write("## Functions\n\n")
        for op in ops:
            if op.hooked:
                continue
            f.write("- `%s`\n  `%s`\n" % (op.schema, c_signature_text(op)))
        f.write("\n## SPEC section 3's calls\n\n"
                "Declared by `tsmem.h` with SPEC's signature; generated from the schema "
                "with the checks `tools/gen-ops/hooks.txt` names (`pre:` before libtorch, "
                "`err:` only when libtorch throws).\n\n")
        for op in ops:
            if op.hooked:
                f.write("- `%s`\n  `%s`%s\n" % (op.schema, c_signature_text(op),
                                                "\n  hooks: `%s`" % op.hook_text if op.hook_text else ""))
        f.write("\n## Left out\n\n")
        for full, why in sorted(skipped):
            f.write("- `%s`: %s\n" % (full, why))


def reserved_names(tsmem_h):
    with open(tsmem_h) as f:
        text = f.read()
    return set(re.findall(r"\b(ts_[a-z0-9_]+)\s*\(", text))


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
        import collections
        c = collections.Counter(why.split(" of type")[0].split(" ")[0] + " " + why.split("type ")[-1] for _, why in skipped)
        for k, v in c.most_common(40):
            print(v, k)
        print(len(ops), "functions")
        return
    os.makedirs(os.path.join(o.out, "include", "tsmem"), exist_ok=True)
    emit_header(ops, os.path.join(o.out, "include", "tsmem", "ops.h"))
    emit_shards([op for op in ops if not op.hooked], o.out, o.shards)
    emit_section3([op for op in ops if op.hooked], os.path.join(o.out, "ops_section3.cpp"))
    emit_twins(ops, os.path.join(o.out, "ops_twins.inc"),
               os.path.join(o.out, "GeneratedOwnedCalls.def"))
    emit_lazy(ops, os.path.join(o.out, "ops_lazy.inc"))
    emit_docs(ops, skipped, os.path.join(o.out, "ops.md"))
    import gen_tests
    gen_tests.emit([op for op in ops if not op.hooked], o.out)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
