"""Render typed-IR statements as readable Python source (the primal part of generated code).

Variables become identifiers (``s.3`` -> ``s_3``); constants, modules and
functions are folded into the expressions that use them (``math.sin(x)``);
``for ... in range(...)`` iterators become explicit counters, because
generated code cannot hold Numba's iterator objects across a ``goto``.
"""
import ast
import builtins
import keyword
import math
import operator
import re

import numba
import numpy as np
from numba.core import types

from .analysis import check_callee, kind
from .errors import not_differentiable

BINOPS = {operator.add: "+", operator.sub: "-", operator.mul: "*", operator.truediv: "/",
          operator.floordiv: "//", operator.mod: "%", operator.pow: "**",
          operator.lt: "<", operator.le: "<=", operator.gt: ">", operator.ge: ">=",
          operator.eq: "==", operator.ne: "!=", operator.and_: "&", operator.or_: "|",
          operator.xor: "^", operator.lshift: "<<", operator.rshift: ">>",
          operator.matmul: "@", operator.is_: "is", operator.is_not: "is not"}
INPLACE = {operator.iadd: "+=", operator.isub: "-=", operator.imul: "*=",
           operator.itruediv: "/=", operator.ifloordiv: "//=", operator.imod: "%=",
           operator.ipow: "**=", operator.imatmul: "@=", operator.iand: "&=",
           operator.ior: "|=", operator.ixor: "^="}
UNARY = {operator.neg: "-", operator.pos: "+", operator.not_: "not ", operator.invert: "~"}
RANGES = (range, numba.prange)


def _is_range(obj):
    return any(obj is r for r in RANGES)


class Names:
    """Unique Python identifiers for IR variables and generated helpers."""

    def __init__(self, reserved=()):
        self.used = set(reserved) | set(keyword.kwlist) | {"math", "np"}
        self.of = {}

    def fresh(self, base):
        base = re.sub(r"\W", "_", base)
        if not base or base[0].isdigit():
            base = "_" + base
        name, n = base, 1
        while name in self.used:
            n += 1
            name = "%s_%d" % (base, n)
        self.used.add(name)
        return name

    def var(self, irname):
        if irname not in self.of:
            self.of[irname] = self.fresh(irname.replace("$", "_"))
        return self.of[irname]


def literal(value):
    """Source for a constant, or None when it has no literal spelling."""
    if isinstance(value, (bool, np.bool_)) or value is None:
        return repr(None if value is None else bool(value))
    if isinstance(value, (int, np.integer)):
        s = repr(int(value))
    elif isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return "math.nan"
        if math.isinf(v):
            return "math.inf" if v > 0 else "(-math.inf)"
        s = repr(v)
    elif isinstance(value, str):
        return repr(value)
    elif isinstance(value, slice):
        parts = [literal(p) for p in (value.start, value.stop, value.step)]
        return "slice(%s)" % ", ".join(parts) if all(parts) else None
    else:
        return None
    return "(%s)" % s if s.startswith("-") else s


def parameters(info, names):
    """Source names of the function's parameters (bound too for its ``Arg`` statements)."""
    params = []
    for i, argname in enumerate(info.func_ir.arg_names):
        irname = info.arg_vars.get(i, argname)
        params.append(names.var(irname))
        names.of["arg:" + argname] = names.var(irname)
    return params


def return_sites(info):
    """(block, returned variable) of every ``return``."""
    return [(b, info.blocks[b].terminator.value.name) for b in info.labels
            if kind(info.blocks[b].terminator) == "Return"]


class PrimalRenderer:
    """Turns the statements of one function into source lines."""

    def __init__(self, info, names, namespace):
        self.info = info
        self.names = names
        self.ns = namespace          # module globals of the generated code
        self.spelled = {}            # id(object) -> how generated code names it

    # ---- names and operands
    def ref(self, obj, hint):
        """Source naming a Python object from generated code."""
        if id(obj) in self.spelled:
            return self.spelled[id(obj)]
        if obj is math:
            return "math"
        if obj is np:
            return "np"
        name = getattr(obj, "__name__", None)
        if name and getattr(builtins, name, None) is obj:
            return name
        if name and getattr(math, name, None) is obj:
            return "math." + name
        if name and getattr(np, name, None) is obj:
            return "np." + name
        for key, value in self.ns.items():
            if value is obj:
                return key
        key = self.names.fresh("_g_" + (name or hint))
        self.ns[key] = obj
        return key

    def folded(self, irname):
        """Source of a variable whose value is a known constant, else None."""
        ok, value = self.info.constant(irname)
        if not ok:
            return None
        lit = literal(value)
        if lit is not None:
            return lit
        owner = getattr(value, "__self__", None)
        if isinstance(owner, type):     # a class method (``List.empty_list``): Numba types
            return "%s.%s" % (self.ref(owner, owner.__name__), value.__name__)  # it so
        return self.ref(value, irname.lstrip("$"))

    def operand(self, var):
        folded = self.folded(var.name)
        return folded if folded is not None else self.names.var(var.name)

    def target(self, stmt):
        return self.names.var(stmt.target.name)

    # ---- statements
    def render(self, stmt):
        """Lines of source for a non-terminator statement."""
        k = kind(stmt)
        if k == "Assign":
            return self.assign(stmt)
        if k == "SetItem":
            return ["%s[%s] = %s" % (self.operand(stmt.target), self.operand(stmt.index),
                                     self.operand(stmt.value))]
        if k == "StaticSetItem":
            return ["%s[%r] = %s" % (self.operand(stmt.target), stmt.index,
                                     self.operand(stmt.value))]
        if k == "Print":
            return ["print(%s)" % ", ".join(self.operand(a) for a in stmt.args)]
        if k == "Del":
            return []
        raise not_differentiable("the statement %r" % k, stmt.loc)

    def assign(self, stmt):
        value, t = stmt.value, self.target(stmt)
        name = stmt.target.name
        if self.info.constant(name)[0]:
            ok, obj = self.info.constant(name)
            if _is_range(obj):
                return []
            if literal(obj) is not None or kind(value) != "Var":
                return []       # folded into its uses
        k = kind(value)
        if k == "Arg":
            param = self.names.var("arg:" + value.name)
            return [] if param == t else ["%s = %s" % (t, param)]
        if k == "Var":
            if isinstance(self.info.type_of(name), types.RangeIteratorType):
                return []       # an alias of a range counter: uses resolve it
            return ["%s = %s" % (t, self.operand(value))]
        if k != "Expr":
            raise not_differentiable("the value %s" % value, stmt.loc)
        return self.expr(stmt, t, value)

    def expr(self, stmt, t, e):
        op, o = e.op, self.operand
        if op == "binop":
            if e.fn is operator.contains:
                return ["%s = %s in %s" % (t, o(e.rhs), o(e.lhs))]
            return ["%s = %s %s %s" % (t, o(e.lhs), self._binop(e.fn, e), o(e.rhs))]
        if op == "inplace_binop":
            if isinstance(self.info.type_of(e.lhs.name), (types.Number, types.Boolean)):
                return ["%s = %s %s %s" % (t, o(e.lhs), self._binop(e.immutable_fn, e),
                                           o(e.rhs))]
            return ["%s %s %s" % (o(e.lhs), INPLACE[e.fn], o(e.rhs)), "%s = %s" % (t, o(e.lhs))]
        if op == "unary":
            return ["%s = %s%s" % (t, UNARY[e.fn], o(e.value))]
        if op == "call":
            return self.call(stmt, t, e)
        if op in ("cast", "exhaust_iter"):
            if op == "exhaust_iter" and not isinstance(self.info.type_of(e.value.name),
                                                        types.BaseTuple):
                raise not_differentiable("unpacking a %s" % self.info.type_of(e.value.name),
                                         e.loc)
            return ["%s = %s" % (t, o(e.value))]
        if op == "build_tuple":
            items = [o(v) for v in e.items]
            return ["%s = (%s%s)" % (t, ", ".join(items), "," if len(items) == 1 else "")]
        if op == "build_list":
            return ["%s = [%s]" % (t, ", ".join(o(v) for v in e.items))]
        if op == "static_getitem":
            return ["%s = %s[%r]" % (t, o(e.value), e.index)]
        if op in ("getitem", "typed_getitem"):
            return ["%s = %s[%s]" % (t, o(e.value), o(e.index))]
        if op == "getattr":
            return ["%s = %s.%s" % (t, o(e.value), e.attr)]
        if op == "getiter":
            return self.getiter(stmt, t, e)
        if op == "iternext":
            base, getiter = self.counter(e.value.name)
            test = self._range_test(base, self.range_args(getiter.value.value.name)[2])
            return ["%s_ok = %s" % (t, test), "%s_val = %s_i" % (t, base),
                    "%s_i += %s_step" % (base, base)]
        if op in ("pair_first", "pair_second"):
            pair = self.names.var(e.value.name)
            return ["%s = %s_%s" % (t, pair, "val" if op == "pair_first" else "ok")]
        if op == "phi":
            return []           # phis are assigned on the edges that enter the block
        raise not_differentiable("the expression %r" % op, e.loc)

    def _binop(self, fn, e):
        if fn not in BINOPS:
            raise not_differentiable("the operator %s" % fn, e.loc)
        return BINOPS[fn]

    def call(self, stmt, t, e):
        fn = self.info.callee(e)
        if e.vararg is not None or getattr(e, "varkwarg", None) is not None:
            raise not_differentiable("a call with *args or **kwargs", e.loc)
        if _is_range(fn):
            return []           # folded into the counter that iterates over it
        check_callee(self.info, e)
        args = [self.operand(a) for a in e.args]
        args += ["%s=%s" % (k, self.operand(v)) for k, v in e.kws]
        return ["%s = %s(%s)" % (t, self.operand(e.func), ", ".join(args))]

    def range_args(self, name):
        """(start, stop, step) sources of the range() call that defined variable ``name``."""
        d = self.info.defs.get(name)
        value = d[1].value if d else None
        if not (kind(value) == "Expr" and value.op == "call"
                and _is_range(self.info.callee(value))):
            return None
        args = [self.operand(a) for a in value.args]
        if len(args) == 1:
            args = ["0"] + args
        return tuple((args + ["1"])[:3])

    def counter(self, name):
        """(base name, getiter stmt) of the range counter that iterator ``name`` aliases."""
        stmt = self.info.defs[name][1]
        while kind(stmt.value) == "Var":
            stmt = self.info.defs[stmt.value.name][1]
        return self.names.var(stmt.target.name), stmt

    def getiter(self, stmt, t, e):
        rng = self.range_args(e.value.name)
        if rng is None:
            raise not_differentiable("iteration over %s (only range() loops are supported)"
                                     % self.info.type_of(e.value.name), e.loc)
        start, stop, step = rng
        return ["%s_i = %s" % (t, start), "%s_stop = %s" % (t, stop),
                "%s_step = %s" % (t, step)]

    def _range_test(self, base, step):
        """The loop test of a range counter; a literal step decides its direction statically."""
        if re.fullmatch(r"\d+", step):
            return "%s_i < %s_stop" % (base, base)
        if re.fullmatch(r"\(-\d+\)", step):
            return "%s_i > %s_stop" % (base, base)
        return ("(%s_i < %s_stop if %s_step > 0 else %s_i > %s_stop)"
                % (base, base, base, base, base))


def range_length(start, stop, step):
    """Source of ``len(range(start, stop, step))`` from the sources of its bounds, as
    arithmetic (the generated code may be differentiated again, and the transforms
    take ``range()`` for a loop's)."""
    p = _parenthesized
    if step == "1":
        return "max(0, %s)" % (stop if start == "0" else "%s - %s" % (stop, p(start)))
    up = "max(0, (%s - %s + %s - 1) // %s)" % (stop, p(start), p(step), p(step))
    down = "max(0, (%s - %s - %s - 1) // -%s)" % (start, p(stop), p(step), p(step))
    if re.fullmatch(r"\d+", step):
        return up
    if re.fullmatch(r"\(-\d+\)", step):
        return down
    return "(%s if %s > 0 else %s)" % (up, step, down)


def _parenthesized(expr):
    return expr if re.fullmatch(r"[\w.]+", expr) else "(%s)" % expr


def declare_early(text, names, info):
    """Generated function ``text`` with the variables it reads on a line before any line
    assigns them (phi copies of values Numba's SSA left undefined on the first way in)
    set to a typed zero right after the docstring: Numba's bytecode analysis wants
    them assigned first; their value there is never used."""
    ir_name = {v: k for k, v in names.of.items()}
    first_store, first_load = {}, {}
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Name):
            seen = first_store if isinstance(node.ctx, ast.Store) else first_load
            seen[node.id] = min(seen.get(node.id, node.lineno), node.lineno)
    early = []
    for name, line in sorted(first_load.items()):
        if name in first_store and first_store[name] > line and name in ir_name \
                and ir_name[name] in info.typemap:
            zero = typed_zero(info.type_of(ir_name[name]))
            if zero is not None:
                early.append("    %s = %s  # read on a path where it is not yet set"
                             % (name, zero))
    lines = text.split("\n")
    lines[2:2] = early
    return "\n".join(lines)


def as_number(info, var, source):
    """Source ``source`` of operand ``var`` as a scalar rule's template reads it: a 0-d
    array (``np.asarray(x)``) as its number, ``a[()]`` (``math.cos`` takes no array)."""
    t = info.type_of(var.name)
    return "%s[()]" % source if isinstance(t, types.Array) and t.ndim == 0 else source


def typed_zero(t):
    """Source of a value of Numba type ``t`` (numbers, booleans, slices, flat tuples,
    arrays: an empty one, number classes), else None."""
    t = types.unliteral(t)
    if isinstance(t, types.Boolean):
        return "False"
    if isinstance(t, types.Number):
        return "np.%s(0)" % t
    if isinstance(t, types.Array) and isinstance(t.dtype, (types.Number, types.Boolean)):
        return "np.empty((%s), np.%s)" % ("0, " * t.ndim, t.dtype)
    if isinstance(t, types.SliceType):
        return "slice(0, 0)" if t.members == 2 else "slice(0, 0, 1)"
    if isinstance(t, types.NumberClass):        # ``T = type(x)``
        return "np.%s" % t.instance_type
    if isinstance(t, types.BaseTuple):
        items = [typed_zero(e) for e in t.types]
        if all(items):
            return "(%s,)" % ", ".join(items)
    return None
