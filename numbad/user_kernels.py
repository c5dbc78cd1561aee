"""The user's own element kernels, written as loops that call them: ``@numba.stencil``
kernels and ``@numba.vectorize`` functions.

Numba compiles a call of a stencil or of a ``@vectorize`` function as a loop around its
scalar kernel, out of numbad's sight: without this pass their derivatives would be
lost (a stencil given ``out=`` wrote into an array the transforms never saw). Here,
on the typed IR, each such call is replaced by the loop Numba would run, written as
a small Python function and inlined (as fusion.py inlines its loops): its writes into
the output are then the caller's own stores, and each element is a call of the
kernel as an ``@njit`` function, which numbad differentiates as any callee. The IR is
typed again afterwards.

A stencil kernel ``lap(a)`` reading ``a[-1] - 2 * a[0] + a[1]`` becomes the point
function ``lap(i0, a)`` reading ``a[i0 + -1] - 2 * a[i0 + 0] + a[i0 + 1]`` (the
relative indices of Numba's stencils made absolute), called for each point of the
interior; the border is ``cval`` (0 unless given) in a new output and left as it is
in one given by ``out=`` (filled with ``cval`` first when the stencil has one), as
Numba does.
"""
import ast

import numpy as np
from numba import njit
from numba.core import ir, types
from numba.core.inline_closurecall import InlineWorker
from numba.np.ufunc.dufunc import DUFunc
from numba.stencils.stencil import StencilFunc

from .errors import not_differentiable
from .fusion import (
    broadcast_into,
    broadcast_size,
    function_source,
    inline_call,
    relabel_in_order,
)
from .retyping import StatementMaker, type_again
from .wrappers import rewritten

_KERNELS = {}       # Python function -> its @njit dispatcher


def scalar_kernel(py_func):
    """The ``@njit`` dispatcher of ``py_func`` (one per function)."""
    if py_func not in _KERNELS:
        _KERNELS[py_func] = njit(py_func)
    return _KERNELS[py_func]


def user_ufunc(typemap, value):
    """The ``@vectorize`` function (a DUFunc with one output) call ``value`` calls."""
    key = getattr(typemap.get(value.func.name), "typing_key", None)
    return key if isinstance(key, DUFunc) and key.nout == 1 else None


def _stencil(typemap, value):
    key = getattr(typemap.get(value.func.name), "typing_key", None)
    return key if isinstance(key, StencilFunc) else None


def write_as_loops(state):
    """Rewrite the stencil and ``@vectorize`` calls of ``state.func_ir`` as loops calling
    their kernels and type it again; False (``state`` untouched) when it has none."""
    func_ir, typemap = state.func_ir, state.typemap
    found = [stmt for block in func_ir.blocks.values() for stmt in block.body
             if isinstance(stmt, ir.Assign) and isinstance(stmt.value, ir.Expr) and
             stmt.value.op == "call" and (user_ufunc(typemap, stmt.value) is not None or
                                          _stencil(typemap, stmt.value) is not None)]
    if not found:
        return False
    worker = InlineWorker(state.typingctx, state.targetctx, state.locals, state.pipeline,
                          state.flags)
    for n, stmt in enumerate(found):
        name = "_kernel%d" % n
        if _stencil(typemap, stmt.value) is not None:
            function, args = _stencil_loops(_stencil(typemap, stmt.value), stmt, typemap,
                                            name)
            inline_call(func_ir, worker, stmt, function, args)
        elif not any(isinstance(typemap[v.name], types.Array) for v in stmt.value.args):
            _call_kernel(func_ir, stmt, user_ufunc(typemap, stmt.value))
        else:
            function = _ufunc_loops(user_ufunc(typemap, stmt.value), stmt, typemap, name)
            inline_call(func_ir, worker, stmt, function, stmt.value.args)
    relabel_in_order(func_ir)
    type_again(state)
    return True


def _call_kernel(func_ir, stmt, dufunc):
    """``f(x, y)`` of numbers: a call of ``f``'s kernel itself."""
    if stmt.value.kws or len(stmt.value.args) != dufunc.nin:
        raise not_differentiable("a call to the @vectorize function %s with an output "
                                 "argument or keywords" % dufunc.__name__, stmt.loc)
    block = next(b for b in func_ir.blocks.values() if any(s is stmt for s in b.body))
    new = StatementMaker(block, block.body.index(stmt))
    kernel = scalar_kernel(dufunc._dispatcher.py_func)
    stmt.value.func = new("$" + dufunc.__name__, ir.Global(dufunc.__name__, kernel,
                                                           stmt.loc))


class _OneCall:
    """A ``@vectorize`` call seen as fusion.py's one-node tree (function_source)."""

    def __init__(self, stmt, typemap):
        self.root, self.leaves, self.inplace = stmt, list(stmt.value.args), None
        self.ndim = typemap[stmt.target.name].ndim
        self.body = (("call", "_kernel"), [("leaf", j) for j in range(len(self.leaves))])


def _ufunc_loops(dufunc, stmt, typemap, name):
    """The loop function computing ``dufunc`` over its (broadcast) array arguments."""
    if stmt.value.kws or len(stmt.value.args) != dufunc.nin:
        raise not_differentiable("a call to the @vectorize function %s with keywords or an "
                                 "output array given by keyword" % dufunc.__name__,
                                 stmt.loc)
    ns = {"np": np, "_kernel": scalar_kernel(dufunc._dispatcher.py_func),
          "broadcast_size": broadcast_size, "broadcast_into": broadcast_into}
    exec(function_source(_OneCall(stmt, typemap), typemap, name), ns)
    return ns[name]


# ---------------------------------------------------------------- stencils

def _stencil_loops(sf, stmt, typemap, name):
    """(loop function, its arguments) computing stencil ``sf`` as called by ``stmt``."""
    value = stmt.value
    kws = dict(value.kws)
    if set(kws) - {"out"}:
        raise not_differentiable("a stencil call given %s (numbad follows `out=` only)"
                                 % ", ".join("`%s=`" % k for k in sorted(set(kws) - {"out"})),
                                 stmt.loc)
    kernel_func = sf.kernel_ir.func_id.func
    params = list(sf.kernel_ir.arg_names)
    ndim = typemap[value.args[0].name].ndim
    relative = [p for p in params if p not in sf.options.get("standard_indexing", ())]
    point, offsets = _point_function(kernel_func, relative, ndim, stmt.loc)
    neighborhood = sf.options.get("neighborhood") or offsets
    index = ["_i%d" % d for d in range(ndim)]
    given_out = "out" in kws
    dtype = typemap[stmt.target.name].dtype
    cval = sf.options.get("cval", 0)
    lines = ["def %s(%s):" % (name, ", ".join(params + (["out"] if given_out else [])))]
    for p in [p for p, v in zip(params, value.args) if p in relative[1:] and
              isinstance(typemap[v.name], types.Array)]:
        lines.append("    _same_shape(%s, %s)" % (params[0], p))
    if not given_out:
        lines.append("    out = np.empty(%s.shape, np.%s)" % (params[0], dtype))
    if not given_out or "cval" in sf.options:
        lines.append("    out[:] = %r" % cval)
    for d in range(ndim):
        lo, hi = neighborhood[d]
        lines.append("    " * (d + 1) + "for %s in range(%d, %s.shape[%d] - %d):" % (
            index[d], -min(0, lo), params[0], d, max(0, hi)))
    lines.append("    " * (ndim + 1) + "out[%s] = _point(%s)" % (
        ", ".join(index), ", ".join(index + params)))
    lines.append("    return out")
    ns = {"np": np, "_point": point, "_same_shape": _same_shape}
    exec("\n".join(lines) + "\n", ns)
    return ns[name], list(value.args) + ([kws["out"]] if given_out else [])


@njit
def _same_shape(a, b):
    """Numba's check that a stencil's relatively indexed arrays agree in shape."""
    if a.shape != b.shape:
        raise ValueError("Secondary stencil array does not have same number "
                         " of dimensions as the first stencil input.")
    return 0


_POINTS = {}


def _point_function(kernel_func, relative, ndim, loc):
    """(``@njit`` point function ``kernel(i0, ..., *params)``, the (lowest, highest)
    offset read along each axis) of a stencil kernel: its relative indices made
    absolute. Its code keeps the kernel's file and lines, for error messages."""
    key = (kernel_func, tuple(relative), ndim)
    if key in _POINTS:
        return _POINTS[key]
    offsets = [[0, 0] for _ in range(ndim)]
    index = ["_i%d" % d for d in range(ndim)]

    class Absolute(ast.NodeTransformer):
        def visit_Subscript(self, node):
            self.generic_visit(node)
            if not (isinstance(node.value, ast.Name) and node.value.id in relative):
                return node
            items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            if len(items) != ndim:
                raise not_differentiable("a stencil kernel indexing %s with %d indices "
                                         "for a %d-d array" % (node.value.id, len(items),
                                                              ndim), loc)
            for d, item in enumerate(items):
                try:
                    k = ast.literal_eval(item)
                except ValueError:
                    continue    # (a run-time offset: the stencil's neighborhood bounds it)
                offsets[d] = [min(offsets[d][0], k), max(offsets[d][1], k)]
            absolute = [ast.BinOp(ast.Name(i, ast.Load()), ast.Add(), item)
                        for i, item in zip(index, items)]
            node.slice = absolute[0] if ndim == 1 else ast.Tuple(absolute, ast.Load())
            return node

    def make_absolute(definition):
        Absolute().visit(definition)
        definition.args.args = [ast.arg(i) for i in index] + definition.args.args
        return True
    point = rewritten(kernel_func, make_absolute)
    if point is None:
        raise not_differentiable("a stencil whose source numbad cannot read (%s)"
                                 % kernel_func.__name__, loc)
    _POINTS[key] = njit(point), offsets
    return _POINTS[key]
