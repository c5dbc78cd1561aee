"""Loops over arrays as loops over indices: ``for x in u`` as
``for i in range(u.shape[0]): x = u[i]``; ``for i, x in enumerate(u)`` and
``for x, y in zip(u, v)`` likewise.

Numba iterates over an array (or an enumerate or zip object) with an iterator
object that numbad has no derivative for; over a ``range`` it counts, which numbad
reverses by its iteration counter. The two loops read the same elements in the same
order (a row view each step for a 2-D array), so the rewrite changes no value. It
runs on the typed IR and types the function again with Numba's own type inference,
as fusion.py does. Loops of another shape than Numba's usual one are left as they
are (and refused later).
"""
import operator
from dataclasses import dataclass

from numba.core import ir, types

from .retyping import StatementMaker, drop_unused_definitions, type_again


@dataclass
class _Loop:
    block: object           # the block that makes the iterator
    getiter: object         # its ``getiter`` expression
    taking: object          # the loop body's first statement, which takes the element
    sources: list           # the arrays iterated over, side by side
    counted: bool           # enumerate: the element's first item is the count
    start: object           # enumerate's start (a variable), else None


def index_array_loops(state):
    """Rewrite the loops over arrays of ``state.func_ir`` and type it again; False (and
    ``state`` untouched) when it has none."""
    func_ir, typemap = state.func_ir, state.typemap
    loops = [loop for loop in (_loop_over_arrays(func_ir, typemap, item)
                               for item in _statements(func_ir)) if loop is not None]
    if not loops:
        return False
    for loop in loops:
        _rewrite(func_ir, typemap, loop)
    type_again(state)
    return True


def _statements(func_ir):
    return [(block, stmt) for block in func_ir.blocks.values() for stmt in block.body]


def _definition(func_ir, var):
    defs = func_ir._definitions.get(var.name, [])
    return defs[0] if len(defs) == 1 else None


def _iterated(func_ir, typemap, value):
    """(sources, counted, start) of what ``getiter`` expression ``value`` iterates: an
    array; ``enumerate`` of an array (from an integer start); ``zip`` of arrays. None
    for anything else."""
    def is_array(var):
        t = typemap.get(var.name)
        return isinstance(t, types.Array) and t.ndim > 0
    if is_array(value.value):
        return [value.value], False, None
    call = _definition(func_ir, value.value)
    if not (isinstance(call, ir.Expr) and call.op == "call" and not call.kws
            and call.vararg is None and call.args and is_array(call.args[0])):
        return None
    fn = _definition(func_ir, call.func)
    fn = getattr(fn, "value", None) if isinstance(fn, (ir.Global, ir.FreeVar)) else None
    if fn is enumerate and len(call.args) <= 2 and (
            len(call.args) == 1 or isinstance(typemap.get(call.args[1].name), types.Integer)):
        return [call.args[0]], True, call.args[1] if len(call.args) == 2 else None
    if fn is zip and all(is_array(a) for a in call.args):
        return list(call.args), False, None
    return None


def _loop_over_arrays(func_ir, typemap, item):
    """The _Loop that ``item`` (block, statement) starts when it makes the iterator of a
    loop over arrays in Numba's usual shape: the header steps the iterator, copies the
    element into one variable and branches on the pair's second half; the loop body's
    first block takes the element from that variable (a plain copy, or for enumerate
    and zip the unpacking of the tuple into its items), and nothing else uses it (so
    reading ``u[i]`` there never reads past the end)."""
    block, stmt = item
    value = stmt.value if isinstance(stmt, ir.Assign) else None
    if not (isinstance(value, ir.Expr) and value.op == "getiter"):
        return None
    iterated = _iterated(func_ir, typemap, value)
    if iterated is None:
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
        if {id(s) for s in uses} != {id(firsts[0]), id(copies[0]), id(taking)} or \
                not _takes_element(func_ir, taking, iterated):
            return None
        return _Loop(block, value, taking, *iterated)
    return None


def _takes_element(func_ir, taking, iterated):
    """Whether statement ``taking`` takes the element as the loop's kind has it: a copy
    for one array; for enumerate and zip, ``exhaust_iter`` into as many items as there
    are, read only by ``static_getitem``s (``i, x = ...``)."""
    if not isinstance(taking, ir.Assign):
        return False
    sources, counted, _ = iterated
    if not counted and len(sources) == 1:
        return isinstance(taking.value, ir.Var)
    value = taking.value
    if not (isinstance(value, ir.Expr) and value.op == "exhaust_iter"
            and value.count == len(sources) + counted):
        return False
    readers = [s for _, s in _statements(func_ir)
               if taking.target.name in {v.name for v in s.list_vars()} and s is not taking]
    return all(_item_read(s, taking.target.name) is not None for s in readers)


def _item_read(stmt, tuple_name):
    """The static_getitem expression of ``stmt`` that reads an item of ``tuple_name``."""
    value = stmt.value if isinstance(stmt, ir.Assign) else None
    if isinstance(value, ir.Expr) and value.op == "static_getitem" and \
            value.value.name == tuple_name and isinstance(value.index, int):
        return value
    return None


def _rewrite(func_ir, typemap, loop):
    """Count with ``range`` and read the items by index after the loop's test."""
    index = loop.taking.value if isinstance(loop.taking.value, ir.Var) else \
        loop.taking.value.value
    at = next(k for k, s in enumerate(loop.block.body)
              if getattr(s, "value", None) is loop.getiter)
    make = StatementMaker(loop.block, at)
    lengths = [make("$length", make.call(len, s)) for s in loop.sources]
    length = lengths[0] if len(lengths) == 1 else make("$length", make.call(min, *lengths))
    made_by = loop.getiter.value       # the array, or the enumerate or zip object
    loop.getiter.value = make("$indices", make.call(range, length))
    if not isinstance(typemap[made_by.name], types.Array):
        drop_unused_definitions(func_ir, [made_by.name])
    body = next(b for b in func_ir.blocks.values() if any(s is loop.taking for s in b.body))
    if isinstance(loop.taking.value, ir.Var):   # for x in u
        loop.taking.value = ir.Expr.getitem(loop.sources[0], index, loop.taking.loc)
        return
    items = ([None] if loop.counted else []) + loop.sources
    for stmt in list(body.body):
        read = _item_read(stmt, loop.taking.target.name)
        if read is None:
            continue
        source = items[read.index]
        if source is not None:
            stmt.value = ir.Expr.getitem(source, index, stmt.loc)
        else:                       # enumerate's count, from its start
            stmt.value = index if loop.start is None else ir.Expr.binop(
                operator.add, index, loop.start, stmt.loc)
    body.body.remove(loop.taking)

