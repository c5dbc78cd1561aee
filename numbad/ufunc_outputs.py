"""``np.sin(u, out)``: a ufunc given its output array, written as ``out[:] = np.sin(u)``.

The call's write into ``out`` is then an ordinary store, which both modes already
differentiate (and whose overwritten values the reverse sweep records). The two agree
unless an input shares memory with ``out`` without being the same elements: Numba
then reads elements it has already written (NumPy does not), so a check before the
call refuses that case at run time. Runs on the typed IR and types the function
again with Numba's own type inference, as array_iteration.py does.
"""
import numpy as np
from numba.core import ir, types

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
    if found:
        type_again(state)
    return bool(found)


def _ufunc_given_output(typemap, stmt):
    """The ufunc ``stmt`` calls with one output array given positionally, else None."""
    value = stmt.value if isinstance(stmt, ir.Assign) else None
    if not (isinstance(value, ir.Expr) and value.op == "call" and not value.kws):
        return None
    ufunc = getattr(typemap.get(value.func.name), "typing_key", None)
    if not isinstance(ufunc, np.ufunc) or ufunc.nout != 1 or len(value.args) != ufunc.nin + 1:
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
