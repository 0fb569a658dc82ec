"""args.py - one ATen schema argument as C sees it (gen_ops.py).

The C parameters an argument becomes, the C++ checks run before the call,
and the C++ expression passed to libtorch; Skip when C cannot express it.
"""
import torchgen.api.cpp as cpp
from torchgen.model import BaseTy, BaseType, ListType, OptionalType

C_KEYWORDS = {"auto", "break", "case", "char", "const", "continue", "default",
              "do", "double", "else", "enum", "extern", "float", "for", "goto",
              "if", "inline", "int", "long", "register", "restrict", "return",
              "short", "signed", "sizeof", "static", "struct", "switch",
              "typedef", "union", "unsigned", "void", "volatile", "while",
              "bool", "call", "ret", "site"}


class Skip(Exception):
    """The op cannot be expressed in C; the message says why."""


def cname_of(n):
    return n + "_" if n in C_KEYWORDS else n


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
