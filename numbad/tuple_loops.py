"""Loops over tuples written out, one copy of the body per item.

``for c in (a, b, 2.0 * a):`` iterates over a tuple the function builds: its length
is known before the loop runs, and each item may even have its own type (a float, an
array). Numba types such a loop as an iterator over a tuple, which no derivative
rule can see through; written out, the loop is straight-line code numbad already
differentiates: ``c = a`` then the body, ``c = b`` then the body, and so on, with
``continue`` going on to the next copy and ``break`` and the loop's ``else`` as
Python has them. Runs on the untyped IR, before SSA, like Numba's ``literal_unroll``.
"""
import copy

from numba.core import ir
from numba.core.analysis import compute_cfg_from_blocks
from numba.core.ir_utils import build_definitions

from .retyping import drop_unused_definitions


def unroll_tuple_loops(func_ir):
    """Write out every loop over a tuple built in ``func_ir``; True when any was."""
    unrolled = False
    while _unroll_one(func_ir):
        unrolled = True
        func_ir._definitions = build_definitions(func_ir.blocks)
    return unrolled


def _unroll_one(func_ir):
    defs = {stmt.target.name: (label, stmt) for label, block in func_ir.blocks.items()
            for stmt in block.body if isinstance(stmt, ir.Assign)}
    cfg = compute_cfg_from_blocks(func_ir.blocks)
    # Innermost first (the smaller body): an inner loop is written out once, before
    # its outer body is copied, so that no two copies of one loop share its names.
    for loop in sorted(cfg.loops().values(), key=lambda loop: len(loop.body)):
        found = _tuple_iterated(func_ir.blocks[loop.header], defs)
        if found is not None:
            _write_out(func_ir, loop, *found, defs)
            return True
    return False


def _tuple_iterated(header, defs):
    """(the tuple's item variables, the iterator's variables) when ``header`` is a
    ``for`` loop's header stepping an iterator over a tuple built by ``build_tuple``."""
    stmt = header.body[0]
    if not (isinstance(stmt, ir.Assign) and isinstance(stmt.value, ir.Expr)
            and stmt.value.op == "iternext"):
        return None
    names = []                      # the iterator, through the copies Python makes
    name = stmt.value.value.name
    while name in defs:
        names.append(name)
        value = defs[name][1].value
        if isinstance(value, ir.Var):
            name = value.name
            continue
        if isinstance(value, ir.Expr) and value.op == "getiter":
            built = defs.get(value.value.name)
            if built and isinstance(built[1].value, ir.Expr) and \
                    built[1].value.op == "build_tuple":
                return list(built[1].value.items), names
        return None
    return None


def _write_out(func_ir, loop, items, iterator_names, defs):
    blocks = func_ir.blocks
    header = blocks[loop.header]
    first = next(s for s in header.body if isinstance(s, ir.Assign) and
                 isinstance(s.value, ir.Expr) and s.value.op == "pair_first")
    copies = [s for s in header.body[:-1] if not (      # ``$phi = first``
        isinstance(s.value, ir.Expr) and s.value.op in ("iternext", "pair_first",
                                                        "pair_second"))]
    body_entry, exit_label = header.terminator.truebr, header.terminator.falsebr
    body = sorted(loop.body - {loop.header})
    # Each item taken once before the loop (the body may assign the names it came from).
    _, getiter = defs[iterator_names[-1]]
    start_label = next(lb for lb, b in blocks.items() if getiter in b.body)
    start = blocks[start_label]
    scope = header.scope
    taken = []
    for j, item in enumerate(items):
        var = scope.redefine("$tuple_item%d" % j, item.loc)
        start.insert_before_terminator(ir.Assign(item, var, item.loc))
        taken.append(var)
    originals = {label: blocks.pop(label) for label in body}
    next_label = max(max(blocks), max(originals)) + 1
    heads = [loop.header] + [next_label + j for j in range(len(items))]
    next_label += len(items)
    for j, var in enumerate(taken):
        relabel = {label: next_label + i for i, label in enumerate(body)}
        next_label += len(body)
        relabel[loop.header] = heads[j + 1]      # ``continue`` and the back edge
        head = ir.Block(scope, header.loc)
        head.body = [ir.Assign(var, first.target, first.loc)] + copy.deepcopy(
            copies, {id(scope): scope}) + [ir.Jump(relabel[body_entry], header.loc)]
        blocks[heads[j]] = head
        for label in body:
            block = copy.deepcopy(originals[label], {id(scope): scope})
            _retarget(block.terminator, relabel)
            blocks[relabel[label]] = block
    blocks[heads[-1]] = ir.Block(scope, header.loc)     # all items done: the ``else``
    blocks[heads[-1]].body = [ir.Jump(exit_label, header.loc)]
    # The iterator, then the tuple when nothing else reads it.
    drop_unused_definitions(func_ir, iterator_names + [getiter.value.value.name])


def _retarget(terminator, relabel):
    if isinstance(terminator, ir.Jump):
        terminator.target = relabel.get(terminator.target, terminator.target)
    elif isinstance(terminator, ir.Branch):
        terminator.truebr = relabel.get(terminator.truebr, terminator.truebr)
        terminator.falsebr = relabel.get(terminator.falsebr, terminator.falsebr)
