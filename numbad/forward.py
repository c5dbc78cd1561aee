"""Forward mode: typed IR in, source of a Jacobian-vector-product function out.

The generated function runs the primal once and, beside every statement that
carries a derivative, the statement's tangent (``x_dot``): the sum over its
operands of the rule's partial derivative times the operand's tangent (the
same rules table as reverse mode: scalar partials, element-wise partials as
ufuncs, and the forward-mode column of the array rules). No tape is needed:
tangents flow with the values, through ``phi`` copies on every edge, into
stores (``u[i] = v`` sets ``u_dot[i] = v_dot``) and views (``v = u[1:]``
gives ``v_dot = u_dot[1:]``), so in-place updates and double buffering need
nothing special. Calls to other ``@njit`` functions call their own JVP.

It also differentiates numbad's own generated code (forward over reverse): a
float tape (an address) gets a tangent tape written and read at the same
places, a typed List of arrays a tangent list, numbad's adjoint helpers are
applied to tangents (they are linear: rules.LINEAR_RULES), and an element-wise
adjoint kernel gets a kernel made from the JVP of its scalar function.
"""
import operator
import re

import numba
from numba.core import types

from . import runtime
from .analysis import (
    TAPE_OPS,
    Activity,
    FunctionInfo,
    call_arg_types,
    callee_name,
    derivative,
    incoming_value,
    is_allocation,
    is_differentiable_callee,
    is_fill,
    kind,
    list_method,
    method_receiver,
    operation,
    tape_op,
    unpacked,
)
from .array_runtime import HELPERS, elementwise_vjp, kernel_scalar_function
from .errors import not_differentiable
from .ir_source import (
    Names,
    PrimalRenderer,
    as_number,
    declare_early,
    parameters,
    return_sites,
)
from .reverse import (
    _PLACEHOLDER,
    Source,
    _paren,
    _where,
    emit_copies,
    emit_transfer,
)
from .rules import linear_rule_for
from .structured import Scratch, StructuredLoops

INTERNAL = ("_blk", "_ret", "_ret_dot", "_r") + tuple(HELPERS)


class TangentTransform(StructuredLoops):
    """Builds the JVP source of one function for one signature and one ``wrt`` set.

    The JVP takes the primal arguments, then one tangent per ``wrt`` argument, and
    returns ``(value, tangent of the value)``. With ``width`` k it is batched: it takes
    the tangents of direction 0, then those of direction 1, ... (k directions) and
    returns ``(value, (tangent along direction 0, ...))``; every tangent statement is
    written once per direction (as in ForwardDiff.jl's chunks), so the primal and its
    tapes run once for all k directions.
    """

    def __init__(self, tir, wrt, name, callee_jvp, width=None):
        self.tir = tir
        self.info = info = FunctionInfo(tir)
        self.wrt = tuple(wrt)
        self.fname = name
        self.callee_jvp = callee_jvp
        self.names = Names(INTERNAL)
        self.ns = dict(HELPERS)
        self.primal = PrimalRenderer(info, self.names, self.ns)
        self.params = parameters(info, self.names)
        self.returns = return_sites(info)
        self.activity = Activity(info, self.wrt, [v for _, v in self.returns], forward=True)
        self.width = width
        self.direction = 0      # the direction whose tangents dot() names
        self.dots = {}

    def active(self, name):
        return name in self.activity

    def dot(self, name):
        if name not in self.dots:
            base = self.names.var(name) + "_dot"
            self.dots[name] = [self.names.fresh(base)] if self.width is None else \
                [self.names.fresh("%s%d" % (base, j)) for j in range(self.width)]
        return self.dots[name][self.direction]

    def each_direction(self, emit):
        """Run ``emit()``, which writes tangent code naming tangents by ``dot``, once per
        tangent direction; returns the list of what it returned."""
        try:
            results = []
            for direction in range(self.width or 1):
                self.direction = direction
                results.append(emit())
            return results
        finally:
            self.direction = 0

    def batched(self, items):
        """One direction's item, or the tuple of every direction's (batched JVP)."""
        return items[0] if self.width is None else "(%s)" % "".join(i + ", " for i in items)

    def zero(self, name):
        """Source of a zero tangent for variable ``name`` (its value must be defined)."""
        if name in self.info.tapes and isinstance(self.info.type_of(name), types.Integer):
            return "0"      # no tangent tape (an address)
        return _zero_like(self.names.var(name), self.info.type_of(name))

    def dot_or_zero(self, var):
        return self.dot(var.name) if self.active(var.name) else self.zero(var.name)

    # ---- emission
    def source(self):
        info = self.info
        src = Source()
        tangent_params = sum(self.each_direction(lambda: [
            self.dot(info.arg_vars[i]) if i in info.arg_vars else
            "_unused%d_%d" % (i, self.direction) for i in self.wrt]), [])
        src("def %s(%s):" % (self.fname, ", ".join(self.params + tangent_params)))
        src.indent()
        src('"""JVP of %s: returns (value, its tangent along the tangents of args %s)."""'
            % (info.func_ir.func_id.func_qualname, list(self.wrt)))
        for name in sorted(self.activity.active):
            # every tangent is named before the dispatch loop, so Numba sees one type
            value = info.defs[name][1].value
            if kind(value) == "Arg":
                if value.index not in self.wrt:     # an argument that becomes varied
                    self.each_direction(lambda name=name: src("%s = %s" % (
                        self.dot(name), self.zero(name))))      # (updated in place)
                continue
            t = info.type_of(name)
            if isinstance(t, types.Array):
                self.each_direction(lambda name=name, t=t: src("%s = np.empty((%s), np.%s)" % (
                    self.dot(name), "0, " * t.ndim, t.dtype)))
            elif not isinstance(t, types.ListType):      # a list's is made with the list
                self.each_direction(lambda name=name: src("%s = %s" % (self.dot(name),
                                                                       self.zero(name))))
        src("_blk = %d" % info.entry)
        self.emit_dispatch(src, [b for b in info.labels if not self.inlined_forward(b)],
                           self.forward_block, reverse=False)
        src("raise AssertionError('numbad: a JVP left its dispatch loop')")
        return declare_early(src.text(), self.names, self.info)

    # ---- blocks and edges (the StructuredLoops interface)
    def try_loop(self, header):
        self.emit_forward_loop(Scratch(), header)

    def inlined_forward(self, label):
        """A block entered from one predecessor only is written inside it."""
        return label != self.info.entry and len(self.info.preds[label]) == 1

    def forward_block(self, src, label, keyword):
        src("%s _blk == %d:  # %s" % (keyword, label, _where(self.info.blocks[label])))
        src.indent()
        self.forward_body(src, label)
        src.dedent()

    def forward_body(self, src, label):
        self.forward_stmts(src, label)
        term = self.info.blocks[label].terminator
        if kind(term) == "Return":
            # returned where it is reached: no value flows out of the dispatch loop, so
            # the JVP is plain code that numbad can differentiate again
            src("return %s, %s" % (self.primal.operand(term.value), self.batched(
                self.each_direction(lambda: self.dot_or_zero(term.value)))))
        else:
            emit_transfer(src, self.primal, label, term, self.emit_edge)

    def forward_stmts(self, src, label):
        for stmt in self.info.blocks[label].body[:-1]:
            self.emit_stmt(src, stmt)

    def emit_raise(self, src, term):
        emit_transfer(src, self.primal, None, term, None)

    def emit_edge(self, src, pred, dest, follow=True):
        copies = []
        for stmt in self.info.blocks[dest].body:
            if kind(stmt) == "Assign" and kind(stmt.value) == "Expr" and stmt.value.op == "phi":
                incoming = incoming_value(stmt.value, pred, self.info)
                if incoming is None:
                    continue
                copies.append((self.names.var(stmt.target.name), self.primal.operand(incoming)))
                if self.active(stmt.target.name):
                    copies += self.each_direction(lambda target=stmt.target.name, v=incoming: (
                        self.dot(target), self.dot_or_zero(v)))
        emit_copies(src, copies)
        if follow:
            self.continue_forward(src, dest)

    def emit_stmt(self, src, stmt):
        k = kind(stmt)
        if k in ("SetItem", "StaticSetItem"):
            src(*self.primal.render(stmt))
            if self.active(stmt.target.name):
                index = repr(stmt.index) if k == "StaticSetItem" else \
                    self.primal.operand(stmt.index)
                self.each_direction(lambda: src("%s[%s] = %s" % (
                    self.dot(stmt.target.name), index,
                    self.dot(stmt.value.name) if self.active(stmt.value.name) else "0.0")))
            return
        if k != "Assign":
            src(*self.primal.render(stmt))
            return
        t, value = stmt.target.name, stmt.value
        if kind(value) == "Expr" and value.op == "phi":
            return      # copied on the edges
        if tape_op(self.info, value):
            return self.emit_tape_op(src, stmt)
        if kind(value) == "Expr" and value.op == "call" and t in self.info.tapes:
            src(*self.primal.render(stmt))      # a new typed List tape: one for tangents too
            if self.active(t):
                self.each_direction(lambda: src(*self.primal.expr(stmt, self.dot(t), value)))
            return
        write = self.memory_write(value)
        if write is not None:
            src(*self.primal.render(stmt))
            if self.active(write[0].name):
                self.each_direction(lambda: src(self.memory_write(value)[1]))
            return
        if not self.active(t) or kind(value) == "Arg":      # an argument's tangent is given
            src(*self.primal.render(stmt))
            return
        if kind(value) == "Expr" and value.op == "call" and \
                is_differentiable_callee(self.info.callee(value)):
            return self.emit_call(src, stmt)
        if kind(value) == "Expr" and value.op == "inplace_binop" and \
                isinstance(self.info.type_of(value.lhs.name), types.Array):
            # before the primal: it may read the old value
            self.each_direction(lambda: self.emit_inplace(src, stmt))
            src(*self.primal.render(stmt))
            return
        src(*self.primal.render(stmt))
        self.each_direction(lambda: src("%s = %s" % (self.dot(t), self.tangent(stmt))))

    def memory_write(self, value):
        """(memory written, the same write on tangents) of a call that writes into
        memory and returns nothing (``a.fill(x)``, ``tape.append(x)``, a linear helper
        that adds into an argument), else None."""
        if kind(value) != "Expr" or value.op != "call":
            return None
        if is_fill(self.info, value):
            receiver = method_receiver(self.info, value)
            return receiver, "%s.fill(%s)" % (self.dot(receiver.name),
                                              self.dot_or_zero(value.args[0]))
        method = list_method(self.info, value)
        if method is not None and method[1] == "append":
            return method[0], "%s.append(%s)" % (self.dot(method[0].name),
                                                 self.dot_or_zero(value.args[0]))
        linear = linear_rule_for(self.info.callee(value))
        if linear is not None and linear.updates is not None:
            return value.args[linear.updates], self.linear_call(value, linear)
        return None

    def tangent(self, stmt):
        """Source of the tangent of assignment ``stmt`` (after its primal ran)."""
        info, t, value = self.info, stmt.target.name, stmt.value
        k = kind(value)
        if k in ("Var", "Arg"):
            return self.dot_or_zero(value)
        if k != "Expr":
            return self.zero(t)     # a constant (such as a tape address not yet made)
        if unpacked(info, value) is not None:   # ``a, b = x, y``: a's tangent is x's (the
            return self.dot_or_zero(unpacked(info, value))      # tuple may have none)
        op = value.op
        if op in ("cast", "exhaust_iter"):
            source = info.type_of(value.value.name)
            if op == "cast" and isinstance(source, types.Array) and \
                    not isinstance(info.type_of(t), types.Array):
                # (a 0-d array returned as its number: so is its tangent)
                return "np.ravel(%s)[0]" % self.dot_or_zero(value.value)
            return self.dot_or_zero(value.value)
        if op == "build_tuple":
            return "(%s,)" % ", ".join(self.dot_or_zero(v) for v in value.items)
        if op in ("getitem", "static_getitem", "typed_getitem"):
            index = repr(value.index) if op == "static_getitem" else \
                self.primal.operand(value.index)
            return "%s[%s]" % (self.dot_or_zero(value.value), index)
        if is_allocation(info, stmt):
            return "np.zeros_like(%s)" % self.names.var(t)
        method = list_method(info, value)
        if method is not None and method[1] == "pop":
            return "%s.pop()" % self.dot(method[0].name)
        linear = linear_rule_for(info.callee(value)) if op == "call" else None
        if linear is not None:
            return self.linear_call(value, linear)
        scalar = kernel_scalar_function(info.callee(value)) if op == "call" else None
        if scalar is not None:
            return self.kernel_tangent(value, scalar)
        d = derivative(info, value, forward=True)
        if d is None:
            raise not_differentiable(
                "%s in forward mode (no forward rule)" % _what(info, value), stmt.loc)
        return self.rule_tangent(stmt, d)

    def rule_tangent(self, stmt, d):
        info, t = self.info, stmt.target.name
        ops = [None if v is None else self.primal.operand(v) for v in d.operands]
        ans = self.names.var(t)
        is_array = isinstance(info.type_of(t), types.Array)
        parts = []
        for i, (var, template) in enumerate(zip(d.operands, d.templates)):
            if not template or var is None or not self.active(var.name):
                continue
            vdot = self.dot(var.name)
            if not is_array:    # (a 0-d array's tangent, in a number's)
                vdot = as_number(info, var, vdot)
            if d.array_rule:
                fill = {"d": vdot, "ans": ans}
                parts.append(_PLACEHOLDER_D.sub(
                    lambda m, fill=fill: fill.get(m.group(1)) or ops[int(m.group(1))],
                    template))
            elif template in ("1.0", "-1.0"):
                parts.append(("-" if template == "-1.0" else "") + vdot)
            elif is_array:
                holders = list(dict.fromkeys(_PLACEHOLDER.findall(template)))
                name = "jvp_%s_%d" % (getattr(operation(info, stmt.value)[0], "__name__",
                                              "op"), i)
                kernel = self.primal.ref(elementwise_vjp(template, holders, name,
                                                         i in d.nonfinite), name)
                parts.append("%s(%s)" % (kernel, ", ".join(
                    [vdot] + [ans if h == "ans" else ops[int(h)] for h in holders])))
            else:
                expr = _PLACEHOLDER.sub(lambda m: ans if m.group(1) == "ans" else
                                        as_number(info, d.operands[int(m.group(1))],
                                                  ops[int(m.group(1))]), template)
                term = "%s * %s" % (vdot, _paren(expr))
                parts.append("(%s if %s != 0.0 else 0.0)" % (term, vdot)
                             if i in d.nonfinite else term)
        total = " + ".join(parts) or "0.0"
        if is_array and len(parts) == 1 and re.fullmatch(r"\w+", total):
            total = "np.copy(%s)" % total
        if is_array:
            # a fresh array of the result's shape (a bare tangent would alias its operand's)
            return "_shaped(%s, %s)" % (total, ans)
        return total

    def linear_call(self, value, rule):
        """The call ``value`` of a function linear in some arguments, on their tangents."""
        args = [self.dot_or_zero(a) if i in rule.linear else self.primal.operand(a)
                for i, a in enumerate(value.args)]
        return "%s(%s)" % (self.primal.operand(value.func), ", ".join(args))

    def kernel_tangent(self, value, scalar):
        """The tangent of a call of one of numbad's element-wise kernels: a kernel made
        from the JVP of its scalar function (w.r.t. the operands that have tangents)."""
        n = len(value.args)
        wrt = tuple(i for i, a in enumerate(value.args) if self.active(a.name))
        name = "jvp_" + scalar.__name__
        if (scalar, wrt) not in _KERNEL_TANGENTS:
            jvp = self.callee_jvp(numba.njit(scalar), (types.float64,) * n, wrt, None)
            params = ["x%d" % i for i in range(n)] + ["d%d" % i for i in wrt]
            ns = {"jvp": jvp}
            exec("def %s(%s):\n    return jvp(%s)[1]\n" % (name, ", ".join(params),
                                                           ", ".join(params)), ns)
            _KERNEL_TANGENTS[scalar, wrt] = numba.vectorize(ns[name])
        kernel = self.primal.ref(_KERNEL_TANGENTS[scalar, wrt], name)
        return "%s(%s)" % (kernel, ", ".join([self.primal.operand(a) for a in value.args] +
                                             [self.dot(value.args[i].name) for i in wrt]))

    def emit_tape_op(self, src, stmt):
        """A tape operation of generated code; on a differentiated float tape, the same
        operation on its tangent tape (entries written and read at the same places)."""
        src(*self.primal.render(stmt))
        op, args = tape_op(self.info, stmt.value), stmt.value.args
        tape = stmt.target.name if op == "new" else args[0].name
        if self.active(tape) and (op != "load" or self.active(stmt.target.name)):
            self.each_direction(lambda: self.emit_tangent_tape_op(src, stmt, op, tape))

    def emit_tangent_tape_op(self, src, stmt, op, tape):
        args = stmt.value.args
        ref = self.primal.ref(next(f for f, o in TAPE_OPS.items() if o == op), "_tape_" + op)
        rest = [self.primal.operand(a) for a in args[1:]]
        if op == "store":
            rest[-1] = self.dot_or_zero(args[2])
        if op == "new":     # as large as the primal's (a pooled block may be larger)
            rest = ["%s(%s)" % (self.primal.ref(runtime.tape_capacity, "_tape_capacity"),
                                self.names.var(tape))]
        call = "%s(%s)" % (ref, ", ".join(([] if op == "new" else [self.dot(tape)]) + rest))
        if op in ("new", "resize", "load"):
            call = "%s = %s" % (self.dot(stmt.target.name), call)
        src(call)

    def emit_inplace(self, src, stmt):
        """``a += b`` / ``a -= b`` on an array: its tangent does the same; ``a *= c``,
        ``a /= c`` with ``c`` not differentiated scale it."""
        value = stmt.value
        fn, lhs, rhs = value.immutable_fn, value.lhs, value.rhs
        ldot = self.dot_or_zero(lhs)
        if fn in (operator.add, operator.sub):
            if self.active(rhs.name):
                src("%s %s= %s" % (ldot, "+" if fn is operator.add else "-", self.dot(rhs.name)))
        elif fn in (operator.mul, operator.truediv) and not self.active(rhs.name):
            src("%s %s= %s" % (ldot, "*" if fn is operator.mul else "/",
                               self.primal.operand(rhs)))
        else:
            raise not_differentiable("the in-place operator on an array with a "
                                     "differentiated right-hand side (write a = a * b)",
                                     stmt.loc)
        src("%s = %s" % (self.dot(stmt.target.name), ldot))

    def emit_call(self, src, stmt):
        value = stmt.value
        fn = self.info.callee(value)
        if value.kws or len(value.args) != len(call_arg_types(self.info, value)):
            raise not_differentiable("a call to %s with keyword or default arguments (pass "
                                     "every argument positionally)" % callee_name(fn),
                                     stmt.loc)
        arg_types = call_arg_types(self.info, value)
        wrt = tuple(i for i, a in enumerate(value.args) if self.active(a.name))
        jvp = self.primal.ref(self.callee_jvp(fn, arg_types, wrt, self.width),
                              "jvp_" + callee_name(fn))
        args = [self.primal.operand(a) for a in value.args] + sum(self.each_direction(
            lambda: [self.dot(value.args[i].name) for i in wrt]), [])
        src("%s, %s = %s(%s)" % (self.names.var(stmt.target.name), self.batched(
            self.each_direction(lambda: self.dot(stmt.target.name))), jvp, ", ".join(args)))


_KERNEL_TANGENTS = {}      # (kernel's scalar function, wrt) -> the kernel of its tangent


def _zero_like(expr, t):
    """Source of the zero tangent of a value ``expr`` of type ``t``."""
    if isinstance(t, types.Array):
        return "np.zeros_like(%s)" % expr
    if isinstance(t, types.BaseTuple):
        return "(%s,)" % ", ".join(_zero_like("%s[%d]" % (expr, i), e)
                                   for i, e in enumerate(t.types))
    return "0.0"


_PLACEHOLDER_D = re.compile(r"\{(\d+|ans|d)\}")


def _what(info, value):
    fn, _ = operation(info, value)
    if fn is not None:
        name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", repr(fn))
        return "a call to %s" % name
    return "the expression %r" % value.op

