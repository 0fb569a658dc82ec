#!/usr/bin/python3
"""Random scope programs for the differential test (issue 19).

Each generated program is one test function; one file holds many of them,
since compiling dominates the cost. Every program is written twice:

  plugin  with TS_SCOPE blocks and loops, TS_SCOPED functions and manual
          ts_scope_begin/ts_scope_end, built with clang-19 -fplugin=tsmem.so;
  ref     the same program with TS_SCOPE_GUARD() and manual calls only, the
          meaning SPEC section 4 gives TS_SCOPE, built with gcc.

Both print, at every observation point, the last status, the scope depth,
the current scope's tensor count and the live tensors, and the status of
every manual scope end. run.py compares the outputs.

Loops: `TS_SCOPE for (init; cond; inc) body` has one scope per evaluation
of cond, covering cond, body and inc (n iterations: n + 1 scopes, the last
covering only the failing cond); `continue` goes to inc inside the same
scope; while likewise; `do body while (cond)`: one scope per iteration
covering body then cond. The reference encodes exactly that. Conditions
and increments only make tensors or observe the scope with --cond-tensors
(off by default: until the plugin scopes conditions, the only difference
between that meaning and the older one, scoping the body alone, is in what
a condition makes or sees).

Usage: gen.py SEED COUNT PLUGIN_OUT REF_OUT [--cond-tensors]
"""
import random
import sys

HEADER = """#include <stdio.h>
#include <tsmem.h>

static const ts_tensor *Kept;
static int Obs;
static ts_scope_id Saved[4];
typedef struct { int n; ts_scope_id step; } trainer;

/* The last status first: the other queries clear it. */
static void obs(int where) {
  ts_status s = ts_last_status();
  int d = ts_scope_depth();
  size_t c = ts_scope_tensor_count();
  size_t l = ts_memory().live_tensors;
  printf("%d:%d s=%d d=%d c=%zu l=%zu\\n", Obs, where, (int)s, d, c, l);
}
static void rec(int where, ts_status st) {
  printf("%d:%d end=%d\\n", Obs, where, (int)st);
}
__attribute__((noinline)) static void beginStep(trainer *t) {
  t->step = ts_scope_begin();
}
__attribute__((noinline)) static ts_status endStep(trainer *t) {
  return ts_scope_end(t->step);
}
__attribute__((noinline)) static ts_scope_id beginHelper(void) {
  return ts_scope_begin();
}
__attribute__((noinline)) static ts_status endHelper(ts_scope_id id) {
  return ts_scope_end(id);
}
__attribute__((noinline)) static void beginSaved(int k) {
  Saved[k] = ts_scope_begin();
}
__attribute__((noinline)) static ts_status endSaved(int k) {
  return ts_scope_end(Saved[k]);
}
/* Makes a tensor in the caller's scope. */
__attribute__((noinline)) static void makeInCaller(void) {
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
}
"""


class Gen:
    def __init__(self, rng, test, cond_tensors):
        self.r = rng
        self.t = test
        self.cond_tensors = cond_tensors
        self.n = 0  # unique ids within the test
        self.manual = []  # manual ids declared in this test
        self.labels = []  # forward labels to place at top level
        self.helpers_p = []
        self.helpers_r = []
        self.in_helper = False

    def uid(self):
        self.n += 1
        return self.n

    # -- leaves ---------------------------------------------------------
    def leaf(self, p, r, ind, loop):
        """One simple statement, appended to both outputs."""
        k = self.r.randrange(100)
        u = self.uid()
        if k < 22:
            s = "ts_ones(TS_SHAPE(2), TS_FLOAT32);"
        elif k < 30:
            s = "(void)ts_numel(Kept);"  # known to make nothing
        elif k < 36:
            s = "(void)ts_item(Kept);"
        elif k < 40:
            s = "makeInCaller();"
        elif k < 58:
            s = "obs(%d);" % u
        elif k < 64:
            s = "x += %d;" % self.r.randrange(1, 9)
        elif k < 70 and self.manual:
            m = self.r.choice(self.manual)
            s = "%s = ts_scope_begin();" % m
        elif k < 78 and self.manual:
            m = self.r.choice(self.manual)
            if self.r.randrange(3):
                s = "rec(%d, ts_scope_end(%s));" % (u, m)
            else:
                s = "ts_scope_end(%s);" % m  # status unused
        elif k < 80:
            s = "rec(%d, ts_scope_end(%d));" % (u, self.r.choice([0, 1, 987654321]))
        elif k < 83:
            kk = self.r.randrange(4)
            s = "beginSaved(%d);" % kk if self.r.randrange(2) else "rec(%d, endSaved(%d));" % (u, kk)
        elif k < 86 and not self.in_helper:
            s = "beginStep(&tr);" if self.r.randrange(2) else "rec(%d, endStep(&tr));" % u
        elif k < 89 and self.manual:
            m = self.r.choice(self.manual)
            s = ("%s = beginHelper();" % m) if self.r.randrange(2) else "rec(%d, endHelper(%s));" % (u, m)
        elif k < 92 and self.helpers_p and not self.in_helper:
            h = self.r.randrange(len(self.helpers_p))
            s = "x += scoped_%d_%d(x);" % (self.t, h)
        elif k < 95 and loop:
            s = self.r.choice(["if (x %% %d == 0) break;" % self.r.randrange(2, 5),
                               "if (x %% %d == 1) continue;" % self.r.randrange(2, 5)])
            s = ("%s" % s)
            p.append(ind + s.replace("continue;", loop[0]))
            r.append(ind + s.replace("continue;", loop[1]))
            return
        elif k < 97:
            lab = "L%d_%d" % (self.t, u)
            self.labels.append(lab)
            s = "if (x %% 3 == %d) goto %s;" % (self.r.randrange(3), lab)
        else:
            s = "if (x > %d) { obs(%d); return%s; }" % (
                self.r.randrange(5, 40), u, " x" if self.in_helper else "")
        p.append(ind + s)
        r.append(ind + s)

    # -- compound statements ---------------------------------------------
    def block(self, p, r, ind, budget, loop):
        n = self.r.randrange(1, 4)
        for _ in range(n):
            self.stmt(p, r, ind, budget, loop)

    def stmt(self, p, r, ind, budget, loop):
        if budget <= 0 or self.r.randrange(100) < 55:
            self.leaf(p, r, ind, loop)
            return
        k = self.r.randrange(100)
        b = budget - 1
        if k < 25:
            # TS_SCOPE { ... } / { TS_SCOPE_GUARD(); ... }
            p.append(ind + "TS_SCOPE {")
            r.append(ind + "{ TS_SCOPE_GUARD();")
            self.block(p, r, ind + "  ", b, loop)
            p.append(ind + "}")
            r.append(ind + "}")
        elif k < 60:
            self.scoped_loop(p, r, ind, b)
        elif k < 72:
            self.switch(p, r, ind, b, loop)
        elif k < 82:
            # a plain block, or a plain loop
            if self.r.randrange(2):
                p.append(ind + "{")
                r.append(ind + "{")
                self.block(p, r, ind + "  ", b, loop)
                p.append(ind + "}")
                r.append(ind + "}")
            else:
                u = self.uid()
                head = "for (int i%d = 0; i%d < %d; i%d++) {" % (u, u, self.r.randrange(4), u)
                p.append(ind + head)
                r.append(ind + head)
                self.block(p, r, ind + "  ", b, ("continue;", "continue;"))
                p.append(ind + "}")
                r.append(ind + "}")
        elif k < 90 and self.manual:
            # manual pair around a block
            m = self.r.choice(self.manual)
            u = self.uid()
            p.append(ind + "%s = ts_scope_begin();" % m)
            r.append(ind + "%s = ts_scope_begin();" % m)
            self.block(p, r, ind, b, loop)
            p.append(ind + "rec(%d, ts_scope_end(%s));" % (u, m))
            r.append(ind + "rec(%d, ts_scope_end(%s));" % (u, m))
        else:
            c = "x %% %d" % self.r.randrange(2, 4)
            p.append(ind + "if (%s) {" % c)
            r.append(ind + "if (%s) {" % c)
            self.block(p, r, ind + "  ", b, loop)
            p.append(ind + "} else {")
            r.append(ind + "} else {")
            self.block(p, r, ind + "  ", b, loop)
            p.append(ind + "}")
            r.append(ind + "}")

    def cond_extra(self):
        """What a loop condition may do besides counting."""
        if not self.cond_tensors or self.r.randrange(3):
            return ""
        u = self.uid()
        return self.r.choice([
            "ts_item(ts_ones(TS_SHAPE(1), TS_FLOAT32)) > 0 && ",
            "(obs(%d), 1) && " % u,
        ])

    def scoped_loop(self, p, r, ind, b):
        u = self.uid()
        kind = self.r.choice(["for", "while", "do"])
        bound = self.r.randrange(4)
        cont = "C%d_%d" % (self.t, u)
        ce = self.cond_extra()
        cv = "i%d" % u
        if kind == "for":
            inc = "%s++" % cv
            if self.cond_tensors and self.r.randrange(3) == 0:
                inc = "%s++, ts_ones(TS_SHAPE(1), TS_FLOAT32)" % cv
            p.append(ind + "TS_SCOPE for (int %s = 0; %s%s < %d; %s) {" % (cv, ce, cv, bound, inc))
            r.append(ind + "for (int %s = 0;;) {" % cv)
            r.append(ind + "  TS_SCOPE_GUARD();")
            r.append(ind + "  if (!(%s%s < %d)) break;" % (ce, cv, bound))
            self.block(p, r, ind + "  ", b, ("continue;", "goto %s;" % cont))
            p.append(ind + "}")
            r.append(ind + "  %s: %s;" % (cont, inc))
            r.append(ind + "}")
        elif kind == "while":
            p.append(ind + "int %s = 0;" % cv)
            r.append(ind + "int %s = 0;" % cv)
            p.append(ind + "TS_SCOPE while (%s%s++ < %d) {" % (ce, cv, bound))
            r.append(ind + "for (;;) {")
            r.append(ind + "  TS_SCOPE_GUARD();")
            r.append(ind + "  if (!(%s%s++ < %d)) break;" % (ce, cv, bound))
            self.block(p, r, ind + "  ", b, ("continue;", "goto %s;" % cont))
            p.append(ind + "}")
            r.append(ind + "  %s:;" % cont)
            r.append(ind + "}")
        else:
            p.append(ind + "int %s = 0;" % cv)
            r.append(ind + "int %s = 0;" % cv)
            p.append(ind + "TS_SCOPE do {")
            r.append(ind + "for (;;) {")
            r.append(ind + "  TS_SCOPE_GUARD();")
            self.block(p, r, ind + "  ", b, ("continue;", "goto %s;" % cont))
            p.append(ind + "} while (%s++%s < %d);" % (cv, (" && " + ce[:-4]) if ce else "", bound))
            r.append(ind + "  %s: if (!(%s++%s < %d)) break;" % (cont, cv, (" && " + ce[:-4]) if ce else "", bound))
            r.append(ind + "}")

    def switch(self, p, r, ind, b, loop):
        c = "x %% %d" % self.r.randrange(2, 5)
        p.append(ind + "switch (%s) {" % c)
        r.append(ind + "switch (%s) {" % c)
        cases = sorted(self.r.sample(range(4), self.r.randrange(1, 4)))
        for cv in cases:
            p.append(ind + "case %d:" % cv)
            r.append(ind + "case %d:" % cv)
            # a block so that guards and TS_SCOPE never sit between labels
            p.append(ind + "  {")
            r.append(ind + "  {")
            self.block(p, r, ind + "    ", b, loop)
            p.append(ind + "  }")
            r.append(ind + "  }")
            if self.r.randrange(2):  # else fall through
                p.append(ind + "  break;")
                r.append(ind + "  break;")
        p.append(ind + "default:;")
        r.append(ind + "default:;")
        p.append(ind + "}")
        r.append(ind + "}")

    def scoped_helper(self, h):
        """A TS_SCOPED function and its reference."""
        body_p, body_r = [], []
        save = self.manual
        self.manual = []
        saved_labels = self.labels
        self.labels = []
        self.in_helper = True
        for _ in range(self.r.randrange(1, 4)):
            self.leaf(body_p, body_r, "  ", None)
        labels = self.labels
        self.labels = saved_labels
        self.in_helper = False
        self.manual = save
        name = "scoped_%d_%d" % (self.t, h)
        ret = "  return x %% 7 + (int)ts_numel(ts_ones(TS_SHAPE(%d), TS_FLOAT32));" % self.r.randrange(1, 4)
        tail = [l + ":;" for l in labels]
        p = ["TS_SCOPED static int %s(int x) {" % name] + body_p + tail + [ret, "}"]
        r = ["static int %s(int x) {" % name, "  TS_SCOPE_GUARD();"] + body_r + tail + [ret, "}"]
        return p, r

    def program(self):
        p, r = [], []
        for h in range(self.r.randrange(0, 3)):
            hp, hr = self.scoped_helper(h)
            self.helpers_p.append(hp)
            self.helpers_r.append(hr)
        nman = self.r.randrange(0, 3)
        self.manual = ["m%d" % i for i in range(nman)]
        decl = ["  int x = %d;" % self.r.randrange(10), "  trainer tr = {0, 0};",
                "  (void)tr;"]
        decl += ["  ts_scope_id %s = 0;" % m for m in self.manual]
        decl += ["  (void)%s;" % m for m in self.manual]
        body_p, body_r = [], []
        for _ in range(self.r.randrange(2, 6)):
            self.stmt(body_p, body_r, "  ", 3, None)
            # place pending labels at top level, after the statement
            if self.labels and self.r.randrange(2):
                for lab in self.labels:
                    body_p.append("%s: obs(%d);" % (lab, self.uid()))
                    body_r.append(body_p[-1])
                self.labels = []
        for lab in self.labels:
            body_p.append("%s:;" % lab)
            body_r.append("%s:;" % lab)
        end = ["  obs(%d);" % self.uid()]
        name = "test_%d" % self.t
        out_p, out_r = [], []
        for hp, hr in zip(self.helpers_p, self.helpers_r):
            out_p += hp
            out_r += hr
        out_p += ["static void %s(void) {" % name] + decl + body_p + end + ["}"]
        out_r += ["static void %s(void) {" % name] + decl + body_r + end + ["}"]
        return out_p, out_r


def generate(seed, count, cond_tensors):
    rng = random.Random(seed)
    plugin = [HEADER]
    ref = [HEADER]
    for t in range(count):
        p, r = Gen(rng, t, cond_tensors).program()
        plugin += p + [""]
        ref += r + [""]
    main = ["int main(void) {",
            "  Kept = ts_keep(ts_ones(TS_SHAPE(3), TS_FLOAT32));",
            "  static void (*const Tests[])(void) = {"]
    main += ["    test_%d," % t for t in range(count)]
    main += ["  };",
             "  for (size_t t = 0; t < sizeof Tests / sizeof *Tests; ++t) {",
             "    Obs = (int)t;",
             "    ts_scope_id base = ts_scope_begin();",
             "    Tests[t]();",
             "    rec(-1, ts_scope_end(base));",
             "    obs(-1);",
             "  }",
             "  printf(\"live at exit %zu\\n\", ts_memory().live_tensors);",
             "  return 0;",
             "}"]
    plugin += main
    ref += main
    return "\n".join(plugin) + "\n", "\n".join(ref) + "\n"


def main(argv):
    cond = "--cond-tensors" in argv
    args = [a for a in argv[1:] if a != "--cond-tensors"]
    seed, count, pout, rout = int(args[0]), int(args[1]), args[2], args[3]
    p, r = generate(seed, count, cond)
    with open(pout, "w") as f:
        f.write("/* gen.py %d %d%s: the plugin's side */\n" % (seed, count, " --cond-tensors" if cond else ""))
        f.write(p)
    with open(rout, "w") as f:
        f.write("/* gen.py %d %d%s: the reference (gcc) */\n" % (seed, count, " --cond-tensors" if cond else ""))
        f.write(r)


if __name__ == "__main__":
    main(sys.argv)
