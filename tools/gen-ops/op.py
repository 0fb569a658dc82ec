"""op.py - one generated operator: its result kind and C signature (gen_ops.py).

Op maps an ATen schema's arguments (args.py) and results to the C function
of <tsmem/ops.h>; Skip when C cannot express it.
"""
from args import Arg, Skip

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
