"""``np.sin(u, out)``: a ufunc (also a ``@vectorize`` function) given its output array,
written as ``out[:] = np.sin(u)``; ``a.sort()`` and ``a.fill(x)`` likewise as
``a[:] = np.sort(a)`` and ``a[:] = x``, and ``u[idx] += v`` at an array of indices
as ``u[idx] = u[idx] + v``.

The call's write into ``out`` is then an ordinary store, which both modes already
differentiate (and whose overwritten values the reverse sweep records). The two agree
unless an input shares memory with ``out`` without being the same elements: Numba
then reads elements it has already written (NumPy does not), so a check before the
call refuses that case at run time. Runs on the typed IR and types the function
again with Numba's own type inference, as array_iteration.py does.
"""
import numpy as np
from numba.core import ir, types
from numba.np.ufunc.dufunc import DUFunc

from .array_runtime import refuse_partial_overlap
from .errors import not_differentiable
from .retyping import StatementMaker, type_again


def store_ufunc_outputs(state):
    """Rewrite the ufunc calls of ``state.func_ir`` that are given an output array and
    type it again; False (and ``state`` untouched) when it has none."""
    found = [(block, stmt) for block in state.func_ir.blocks.values()
             for stmt in block.body if _ufunc_given_output(state.typemap, stmt)]
    for block, stmt in found:
        _rewrite(block, stmt, state.typemap)
    methods = [(block, stmt) for block in state.func_ir.blocks.values()
               for stmt in block.body if _writing_method(state, stmt) is not None]
    for block, stmt in methods:
        _rewrite_method(state, block, stmt)
    updates = _gather_updates(state)
    for stmt in updates:
        stmt.value = ir.Expr.binop(stmt.value.immutable_fn, stmt.value.lhs, stmt.value.rhs,
                                   stmt.loc)
    if found or methods or updates:
        type_again(state)
    return bool(found or methods or updates)


def _gather_updates(state):
    """The in-place operators of ``u[idx] += v`` at an array of indices or a mask: an
    update of the gathered copy, stored back and used nowhere else. As ``u[idx] = u[idx]
    + v`` (the same values: the copy is fresh) it is a gather and a store, which both
    modes differentiate."""
    uses = {}
    for block in state.func_ir.blocks.values():
        for stmt in block.body:
            for v in stmt.list_vars():
                uses[v.name] = uses.get(v.name, 0) + 1
    found = []
    for block in state.func_ir.blocks.values():
        for k, stmt in enumerate(block.body[:-1]):
            value, after = stmt.value if isinstance(stmt, ir.Assign) else None, block.body[k + 1]
            if not (isinstance(value, ir.Expr) and value.op == "inplace_binop" and
                    isinstance(after, ir.SetItem) and after.value.name == stmt.target.name):
                continue
            gather = state.func_ir._definitions.get(value.lhs.name, [None])[0]
            index = state.typemap.get(after.index.name)
            if isinstance(gather, ir.Expr) and gather.op == "getitem" and \
                    gather.value.name == after.target.name and \
                    gather.index.name == after.index.name and \
                    isinstance(index, types.Array) and uses[value.lhs.name] == 2:
                found.append(stmt)
    return found


def _writing_method(state, stmt):
    """(array, method) of ``a.sort()`` or ``a.fill(x)`` on an array of one or more
    axes, which ``stmt`` calls; else None."""
    value = stmt.value if isinstance(stmt, ir.Assign) else None
    if not (isinstance(value, ir.Expr) and value.op == "call" and not value.kws):
        return None
    method = state.func_ir._definitions.get(value.func.name, [None])[0]
    if not (isinstance(method, ir.Expr) and method.op == "getattr" and (
            method.attr == "sort" and not value.args or
            method.attr == "fill" and len(value.args) == 1)):
        return None
    t = state.typemap.get(method.value.name)
    return (method.value, method.attr) if isinstance(t, types.Array) and t.ndim > 0 \
        else None


def _rewrite_method(state, block, stmt):
    """``a.sort()`` as ``a[:] = np.sort(a)``; ``a.fill(x)`` as ``a[:] = x`` (stores both
    modes differentiate; the call's result is None)."""
    array, method = _writing_method(state, stmt)
    loc = stmt.loc
    new = StatementMaker(block, block.body.index(stmt))
    if method == "sort":
        value = new("$sorted", new.call(np.sort, array))
    else:
        value = stmt.value.args[0]
    everything = new("$everything", ir.Const(slice(None, None), loc))
    block.body.insert(new.at, ir.SetItem(array, everything, value, loc))
    stmt.value = ir.Const(None, loc)


def _ufunc_given_output(typemap, stmt):
    """The ufunc ``stmt`` calls with one output array given positionally, else None."""
    value = stmt.value if isinstance(stmt, ir.Assign) else None
    if not (isinstance(value, ir.Expr) and value.op == "call" and not value.kws):
        return None
    ufunc = getattr(typemap.get(value.func.name), "typing_key", None)
    if not isinstance(ufunc, (np.ufunc, DUFunc)) or ufunc.nout != 1 or len(value.args) != ufunc.nin + 1:
        return None     # (two outputs given, ``np.modf(x, a, b)``: left as it is, refused)
    return ufunc


def _rewrite(block, stmt, typemap):
    """``r = f(a, b, out)`` as ``check(out, a); ...; t = f(a, b); out[:] = t; r = out``,
    a check for each input array."""
    call, loc = stmt.value, stmt.loc
    *inputs, out = call.args
    new = StatementMaker(block, block.body.index(stmt))
    what = "np.%s(..., out) whose input partly overlaps out (Numba reads elements it " \
        "has already written; pass a copy)" % _ufunc_given_output(typemap, stmt).__name__
    check = new("$out_check", ir.Global("refuse_partial_overlap", refuse_partial_overlap,
                                        loc))
    message = new("$out_message", ir.Const(str(not_differentiable(what, loc)), loc))
    for a in inputs:
        if isinstance(typemap.get(a.name), types.Array):
            new("$out_checked", ir.Expr.call(check, [out, a, message], (), loc))
    result = new("$out_value", ir.Expr.call(call.func, inputs, (), loc))
    everything = new("$everything", ir.Const(slice(None, None), loc))
    block.body.insert(new.at, ir.SetItem(out, everything, result, loc))
    stmt.value = out
