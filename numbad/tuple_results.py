"""NumPy functions that return a tuple (``s, l = np.linalg.slogdet(a)``,
``w, v = np.linalg.eigh(a)``) as a tuple of calls, one per result.

A derivative rule gives one result's adjoint or tangent; split into a function per
result, each has its own rule (rules.py, helpers in linalg_runtime.py), and the
tuple, built of the two, is unpacked away when the IR is captured
(``frontend._unpack_built_tuples``). Runs on the typed IR and types the function
again with Numba's own type inference, as array_construction.py does.
"""
import numpy as np
from numba.core import ir

from . import linalg_runtime
from .retyping import StatementMaker, type_again

SPLIT = {np.linalg.slogdet: (linalg_runtime.slogdet_sign, linalg_runtime.slogdet_log),
         np.linalg.eigh: (linalg_runtime.eigh_values, linalg_runtime.eigh_vectors)}


def split_tuple_results(state):
    """Rewrite the calls of ``state.func_ir`` to functions in SPLIT and type it again;
    False (and ``state`` untouched) when it has none."""
    found = False
    for block in state.func_ir.blocks.values():
        for stmt in list(block.body):       # (a copy: statements go in before stmt)
            value = stmt.value if isinstance(stmt, ir.Assign) else None
            if not (isinstance(value, ir.Expr) and value.op == "call" and not value.kws):
                continue
            parts = SPLIT.get(getattr(state.typemap.get(value.func.name), "typing_key",
                                      None))
            if parts is None:
                continue
            new = StatementMaker(block, block.body.index(stmt))
            results = [new("$" + fn.__name__, new.call(fn, *value.args)) for fn in parts]
            stmt.value = ir.Expr.build_tuple(results, stmt.loc)
            found = True
    if found:
        type_again(state)
    return found
