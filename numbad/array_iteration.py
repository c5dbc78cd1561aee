"""Loops over arrays as loops over indices: ``for x in u`` as
``for i in range(u.shape[0]): x = u[i]``; ``for i, x in enumerate(u)``,
``for x, y in zip(u, v)``, ``for x in a.flat`` (``a[i // n, i % n]``),
``for idx in np.ndindex(shape)``, ``for idx, x in np.ndenumerate(a)`` and
``for x, y in np.nditer((a, b))`` likewise.

Numba iterates over an array (or an enumerate, zip, flat, ndindex... object) with an
iterator object that numbad has no derivative for; over a ``range`` it counts, which
numbad reverses by its iteration counter. The two loops read the same elements in
the same order (a row view each step for a 2-D array; C order for ``.flat``,
``ndindex`` and the rest, whose index tuples are computed from the count), so the
rewrite changes no value (``nditer`` gives 0-d arrays, here their numbers). It runs
on the typed IR and types the function again with Numba's own type inference, as
fusion.py does. Loops of another shape than Numba's usual one are left as they are
(and refused later).
"""
import operator

import numpy as np
from dataclasses import dataclass

from numba.core import ir, types

from .array_runtime import refuse_unequal_shapes
from .errors import not_differentiable
from .retyping import StatementMaker, drop_unused_definitions, type_again


@dataclass
class _Item:
    """What a loop over arrays gives in each step (or in each slot of a tuple step)."""

    how: str        # "element": source[i]; "flat": source at the i-th index in C order;
    #                 "index": the i-th index tuple of shape ``source``; "count"
    source: object  # the array, or the shape (a tuple variable); None for "count"


@dataclass
class _Loop:
    block: object           # the block that makes the iterator
    getiter: object         # its ``getiter`` expression
    taking: object          # the loop body's first statement, which takes the element
    items: list             # what each step gives (more than one: a tuple, unpacked)
    start: object           # enumerate's start (a variable); "nditer": shapes must agree


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
    """(items, enumerate's start) of what ``getiter`` expression ``value`` iterates: an
    array; ``a.flat``; ``enumerate`` of an array (from an integer start); ``zip`` of
    arrays or of ``.flat``s; ``np.ndindex``, ``np.ndenumerate``, ``np.nditer`` of an
    array or a tuple of arrays. None for anything else."""
    def is_array(var):
        t = typemap.get(var.name)
        return isinstance(t, types.Array) and t.ndim > 0

    def item(var):      # an array, or ``a.flat``
        if is_array(var):
            return _Item("element", var)
        d = _definition(func_ir, var)
        if isinstance(d, ir.Expr) and d.op == "getattr" and d.attr == "flat" and \
                is_array(d.value):
            return _Item("flat", d.value)
        return None
    if item(value.value) is not None:
        return [item(value.value)], None
    call = _definition(func_ir, value.value)
    if not (isinstance(call, ir.Expr) and call.op == "call" and not call.kws
            and call.vararg is None and call.args):
        return None
    fn = _definition(func_ir, call.func)
    if isinstance(fn, ir.Expr) and fn.op == "getattr":     # np.ndindex & co.
        module = _definition(func_ir, fn.value)
        fn = getattr(getattr(module, "value", None), fn.attr, None)
    else:
        fn = getattr(fn, "value", None) if isinstance(fn, (ir.Global, ir.FreeVar)) else None
    args = [item(a) for a in call.args]
    if fn is enumerate and len(call.args) <= 2 and args[0] is not None and (
            len(call.args) == 1 or isinstance(typemap.get(call.args[1].name), types.Integer)):
        return [_Item("count", None), args[0]], call.args[1] if len(call.args) == 2 else None
    if fn is zip and None not in args:
        return args, None
    if fn is np.ndindex and all(isinstance(typemap.get(a.name), types.Integer)
                                for a in call.args):
        return [_Item("index", list(call.args))], None
    if fn is np.ndindex and len(call.args) == 1 and isinstance(
            typemap.get(call.args[0].name), types.UniTuple):
        return [_Item("index", call.args[0])], None
    if fn is np.ndenumerate and len(call.args) == 1 and is_array(call.args[0]):
        return [_Item("index", call.args[0]), _Item("flat", call.args[0])], None
    if fn is np.nditer and len(call.args) == 1:
        if is_array(call.args[0]):
            return [_Item("flat", call.args[0])], None
        parts = _definition(func_ir, call.args[0])
        if isinstance(parts, ir.Expr) and parts.op == "build_tuple" and \
                all(is_array(a) for a in parts.items):
            return [_Item("flat", a) for a in parts.items], "nditer"
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
    for one item; for several (enumerate, zip...), ``exhaust_iter`` into as many items
    as there are, read only by ``static_getitem``s (``i, x = ...``)."""
    if not isinstance(taking, ir.Assign):
        return False
    items, _ = iterated
    if len(items) == 1:
        return isinstance(taking.value, ir.Var)
    value = taking.value
    if not (isinstance(value, ir.Expr) and value.op == "exhaust_iter"
            and value.count == len(items)):
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
    shapes = {id(item): _shape(make, typemap, item) for item in loop.items
              if item.how != "count"}
    if loop.start == "nditer":      # (arrays of one shape: numbad does not broadcast them)
        loop.start = None
        message = make("$message", ir.Const(str(not_differentiable(
            "np.nditer of arrays of different shapes (numbad reads them as of one shape)",
            loop.getiter.loc)), make.loc))
        for item in loop.items[1:]:
            make("$checked", make.call(refuse_unequal_shapes, loop.items[0].source,
                                       item.source, message))
            shapes[id(item)] = shapes[id(loop.items[0])]
    lengths = [make("$length", make.call(len, item.source)) if item.how == "element" else
               _product(make, shapes[id(item)]) for item in loop.items if item.how != "count"]
    length = lengths[0] if len(lengths) == 1 else make("$length", make.call(min, *lengths))
    made_by = loop.getiter.value       # the array, or the enumerate, zip... object
    loop.getiter.value = make("$indices", make.call(range, length))
    if not isinstance(typemap[made_by.name], types.Array):
        drop_unused_definitions(func_ir, [made_by.name])
    body = next(b for b in func_ir.blocks.values() if any(s is loop.taking for s in b.body))
    taking = StatementMaker(body, body.body.index(loop.taking))
    flat_index = {}

    def value_of(item, loc):
        if item.how == "count":     # enumerate's count, from its start
            return index if loop.start is None else ir.Expr.binop(
                operator.add, index, loop.start, loc)
        if item.how == "element":
            return ir.Expr.getitem(item.source, index, loc)
        key = shapes[id(item)][0].name      # (one index tuple per shape)
        if key not in flat_index:
            flat_index[key] = _unravel(taking, index, shapes[id(item)])
        if item.how == "index":
            return flat_index[key]
        return ir.Expr.getitem(item.source, flat_index[key], loc)
    if len(loop.items) == 1:                # for x in u, for x in a.flat...
        loop.taking.value = value_of(loop.items[0], loop.taking.loc)
        return
    for stmt in list(body.body):
        read = _item_read(stmt, loop.taking.target.name)
        if read is not None:
            stmt.value = value_of(loop.items[read.index], stmt.loc)
    body.body.remove(loop.taking)


def _shape(make, typemap, item):
    """The sizes (variables, one per axis) of what ``item`` indexes: the axes of its
    array, or of its shape."""
    source = item.source
    if isinstance(source, list):            # np.ndindex(n, m)
        return source
    if isinstance(typemap[source.name], types.Array):
        ndim = typemap[source.name].ndim
        source = make("$shape", ir.Expr.getattr(source, "shape", make.loc))
    else:
        ndim = typemap[source.name].count
    return [make("$size", ir.Expr.static_getitem(source, a, None, make.loc))
            for a in range(ndim)]


def _product(make, sizes):
    """A variable holding the product of ``sizes`` (the number of elements)."""
    total = sizes[0]
    for size in sizes[1:]:
        total = make("$count", ir.Expr.binop(operator.mul, total, size, make.loc))
    return total


def _unravel(make, k, sizes):
    """A variable holding the index tuple of the ``k``-th element in C order of an array
    of axes ``sizes`` (``(k // n, k % n)`` in 2-D)."""
    indices, rest = [], k
    for size in reversed(sizes[1:]):
        indices.append(make("$index", ir.Expr.binop(operator.mod, rest, size, make.loc)))
        rest = make("$rest", ir.Expr.binop(operator.floordiv, rest, size, make.loc))
    indices.append(rest)
    return make("$at", ir.Expr.build_tuple(indices[::-1], make.loc))
