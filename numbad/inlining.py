"""Calls of ``@njit`` functions that update an array argument in place, inlined.

numbad differentiates a call through a derivative of the callee, which sees what the
callee is given and what it returns. A callee that writes into an array it was given
(an output argument ``rhs(u, du)``, a state advanced in place ``step(u, dt)``) changes
the caller's array behind the call. Inlined (by Numba's own inliner, as for
``@njit(inline="always")``), its writes are the caller's own, which both transforms
handle: taped and undone in reverse mode, tangents written beside them in forward mode.
Calls with keyword or default arguments, and of functions returning tuples holding
arrays, are inlined too (a derivative takes its arguments by position and gives back
floats or arrays).
"""
from . import frontend
from .analysis import callees_to_inline
from .errors import not_differentiable


def typed_ir(func, arg_types, fuse=False):
    """Typed IR of ``func`` for Numba types ``arg_types`` (``fuse``: as in
    ``frontend.typed_ir``) with every call that ``analysis.callees_to_inline`` picks
    inlined, in what is inlined too."""
    inline, tir = frozenset(), None
    while True:
        try:
            tir = frontend.typed_ir(func, arg_types, fuse, inline)
        except Exception:
            if tir is None:
                raise       # (the function's own errors)
            return tir      # a callee Numba cannot inline (a generator, ``*args``, an
            # ``objmode`` block): its calls stay, and the analysis refuses them by name
        found = callees_to_inline(tir)
        if not found:
            return tir
        if set(found) <= inline:    # (calls left: a function calling itself)
            fn, loc = next(iter(found.items()))
            raise not_differentiable(
                "recursion through %s, or a call of it that is not to a global function "
                "(numbad inlines its calls: it updates an array argument in place, returns "
                "arrays in a tuple or is given keyword or default arguments)"
                % fn.__name__, loc)
        inline |= set(found)
