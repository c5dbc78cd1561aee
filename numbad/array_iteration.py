"""``for x in u`` over an array, written as ``for i in range(u.shape[0]): x = u[i]``.

Numba iterates over an array with an iterator object that numbad has no derivative
for; over a ``range`` it counts, which numbad reverses by its iteration counter.
The two loops read the same elements in the same order (a row view each step for a
2-D array), so the rewrite changes no value. It runs on the typed IR and types the
function again with Numba's own type inference, as fusion.py does. Loops of another
shape than Numba's usual one are left as they are (and refused later).
"""
from numba.core import ir, types

from .retyping import type_again


def index_array_loops(state):
    """Rewrite the loops over arrays of ``state.func_ir`` and type it again; False (and
    ``state`` untouched) when it has none."""
    func_ir, typemap = state.func_ir, state.typemap
    loops = [loop for loop in (_loop_over_array(func_ir, typemap, item)
                               for item in _statements(func_ir)) if loop is not None]
    if not loops:
        return False
    for block, getiter, element in loops:
        array = getiter.value
        getiter.value = _range_over(block, getiter, array)
        element.value = ir.Expr.getitem(array, element.value, element.loc)
    type_again(state)
    return True


def _statements(func_ir):
    return [(block, stmt) for block in func_ir.blocks.values() for stmt in block.body]


def _loop_over_array(func_ir, typemap, item):
    """(block, getiter expression, the body's ``x = <element>`` statement) when ``item``
    starts a loop over an array in Numba's usual shape: the header steps the iterator,
    copies the element into one variable and branches on the pair's second half; the
    loop body's first block takes the element from that variable, and nothing else uses
    it (so reading ``u[i]`` there never reads past the end)."""
    block, stmt = item
    value = stmt.value if isinstance(stmt, ir.Assign) else None
    if not (isinstance(value, ir.Expr) and value.op == "getiter"):
        return None
    t = typemap.get(value.value.name)
    if not (isinstance(t, types.Array) and t.ndim > 0):
        return None
    carried = {stmt.target.name}        # the iterator, through copies and phis
    for _, s in _statements(func_ir):
        if isinstance(s, ir.Assign) and isinstance(s.value, ir.Var) and \
                s.value.name in carried:
            carried.add(s.target.name)
    for header in func_ir.blocks.values():
        body = header.body
        steps = [s for s in body if isinstance(s, ir.Assign) and isinstance(s.value, ir.Expr)
                 and s.value.op == "iternext" and s.value.value.name in carried]
        if not steps:
            continue
        pair = steps[0].target.name
        firsts = [s for s in body if isinstance(s, ir.Assign) and isinstance(
            s.value, ir.Expr) and s.value.op == "pair_first" and s.value.value.name == pair]
        copies = [s for s in body if firsts and isinstance(s, ir.Assign) and
                  isinstance(s.value, ir.Var) and s.value.name == firsts[0].target.name]
        term = body[-1]
        if len(firsts) != 1 or len(copies) != 1 or not isinstance(term, ir.Branch):
            return None
        element = copies[0].target.name
        entry = func_ir.blocks[term.truebr].body
        uses = [s for _, s in _statements(func_ir)
                if any(v.name in (element, firsts[0].target.name) for v in s.list_vars())]
        taking = entry[0] if entry else None
        if {id(s) for s in uses} != {id(firsts[0]), id(copies[0]), id(taking)} or not (
                isinstance(taking, ir.Assign) and isinstance(taking.value, ir.Var)):
            return None
        return block, value, taking
    return None


def _range_over(block, getiter, array):
    """Insert ``range(array.shape[0])`` before the statement of ``getiter`` in ``block``;
    its variable."""
    at = next(k for k, s in enumerate(block.body) if getattr(s, "value", None) is getiter)
    scope, loc = block.scope, block.body[at].loc
    made = []

    def new(name, value):
        var = ir.Var(scope, scope.redefine(name, loc).name, loc)
        block.body.insert(at + len(made), ir.Assign(value, var, loc))
        made.append(var)
        return var
    fn = new("$range", ir.Global("range", range, loc))
    shape = new("$shape", ir.Expr.getattr(array, "shape", loc))
    zero = new("$zero", ir.Const(0, loc))
    length = new("$length", ir.Expr.static_getitem(shape, 0, zero, loc))
    return new("$indices", ir.Expr.call(fn, [length], (), loc))
