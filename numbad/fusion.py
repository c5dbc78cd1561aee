"""Element-wise array expressions fused into element loops before differentiating.

``u[1:-1] += alpha * (u[:-2] - 2.0 * u[1:-1] + u[2:])`` is five array operations,
each making a temporary. Differentiated one by one, every temporary the reverse
sweep needs goes on the tape and every adjoint is another temporary: a slice
stepped 10^4 times costs ten times its hand-written adjoint. Written as one loop
over elements, the same update is what numbad differentiates best: the reverse
sweep recomputes what it can, saves only the elements the update overwrites,
and touches no temporary.

This pass, run on Numba's typed IR, finds each tree of element-wise operations
(``+ - * / **``, unary ``-``, NumPy ufuncs that have a rule) whose inner results
are used once, by the tree, with nothing between them that could write an
array; writes the tree as a small Python function of its leaves that loops over
the broadcast shape (NumPy's broadcasting rules, checked at run time); inlines
that function in place of the tree with Numba's own ``InlineWorker``; and types
the function again with Numba's type inference. An in-place update ``a += e``
becomes two loops, ``t = e`` then ``a = a + t``, because ``e`` may read ``a``'s
memory through another view (NumPy computes ``e`` first, too).
"""
import operator

import numpy as np
from numba import njit
from numba.core import ir, types
from numba.core.inline_closurecall import InlineWorker
from numba.core.ir_utils import (
    find_topo_order,
    get_definition,
    guard,
    replace_vars,
)

from .analysis import SIZE_FUNCTIONS
from .retyping import type_again
from .rules import clip, rule_for, where

_BINARY = {operator.add: "+", operator.sub: "-", operator.mul: "*",
           operator.truediv: "/", operator.pow: "**"}
_INPLACE = {operator.iadd: "+", operator.isub: "-", operator.imul: "*",
            operator.itruediv: "/"}
# comparisons: inner nodes only (a tree's result is a float array), e.g. np.where's test
_COMPARE = {operator.gt: ">", operator.ge: ">=", operator.lt: "<", operator.le: "<=",
            operator.eq: "==", operator.ne: "!="}
# NumPy functions of elements that are not ufuncs: their one-element forms (rules.py)
_SELECTIONS = {np.where: "where", np.clip: "clip"}
# Statements that cannot write memory: a fused tree may be computed later than
# where its inner operations stood only past these.
_PURE_EXPRS = {"binop", "unary", "getattr", "getitem", "static_getitem", "build_tuple",
               "cast", "phi"}


@njit
def broadcast_size(n, m):
    """The size two axes of sizes ``n`` and ``m`` broadcast to (NumPy's rule)."""
    if m == n or m == 1:
        return n
    if n == 1:
        return m
    raise ValueError("operands could not be broadcast together")


@njit
def broadcast_into(n, m):
    """``n``, the size of an output axis an operand axis of size ``m`` is broadcast into."""
    if m == n or m == 1:
        return n
    raise ValueError("non-broadcastable operand for an in-place update")


SIZE_FUNCTIONS.update([broadcast_size, broadcast_into])


def _float_array(t):
    return isinstance(t, types.Array) and isinstance(t.dtype, types.Float) and t.ndim > 0


def _leaf_type(t, ndim):
    """Whether a value of type ``t`` can be an operand of a fused tree of ``ndim`` dims."""
    if isinstance(t, types.Array):
        return isinstance(t.dtype, (types.Float, types.Integer, types.Boolean)) and \
            t.ndim <= ndim
    return isinstance(t, (types.Float, types.Integer))     # (a bool is neither)


def _ufunc(fnty):
    key = getattr(fnty, "typing_key", None)
    if isinstance(key, np.ufunc) and key.nout == 1 and rule_for(key) is not None:
        return key
    return None


def _selection(fnty):
    """"where" or "clip" when ``fnty`` types ``np.where`` or ``np.clip``, else None."""
    return _SELECTIONS.get(getattr(fnty, "typing_key", None))


class _Block:
    """One block's statements seen by the fuser: where each variable is defined."""

    def __init__(self, block, typemap, uses):
        self.block, self.typemap, self.uses = block, typemap, uses
        self.position = {}
        for k, stmt in enumerate(block.body):
            if isinstance(stmt, ir.Assign):
                self.position[stmt.target.name] = k

    def op(self, stmt):
        """(symbol or ufunc, operand vars) of a fusable element-wise statement, else None."""
        if not isinstance(stmt, ir.Assign) or not isinstance(stmt.value, ir.Expr):
            return None
        t = self.typemap.get(stmt.target.name)
        if not (isinstance(t, types.Array) and t.ndim > 0):
            return None
        value, ndim = stmt.value, t.ndim
        if isinstance(t.dtype, types.Boolean):      # a comparison, inside a tree
            if value.op == "binop" and value.fn in _COMPARE:
                found = (_COMPARE[value.fn], [value.lhs, value.rhs])
            else:
                return None
        elif not isinstance(t.dtype, types.Float):
            return None
        elif value.op == "binop" and value.fn in _BINARY:
            found = (_BINARY[value.fn], [value.lhs, value.rhs])
        elif value.op == "unary" and value.fn == operator.neg:
            found = ("neg", [value.value])
        elif value.op == "call" and not value.kws and value.vararg is None:
            fnty = self.typemap.get(value.func.name)
            ufunc, selection = _ufunc(fnty), _selection(fnty)
            if ufunc is not None and ufunc.nin == len(value.args):
                found = (ufunc, list(value.args))
            elif selection is not None and len(value.args) == 3:
                found = (selection, list(value.args))
            else:
                return None
        else:
            return None
        if all(_leaf_type(self.typemap.get(v.name), ndim) for v in found[1]):
            return found
        return None

    def pure(self, stmt):
        if not isinstance(stmt, ir.Assign):
            return False
        value = stmt.value
        if isinstance(value, (ir.Const, ir.Global, ir.FreeVar, ir.Var, ir.Arg)):
            return True
        if not isinstance(value, ir.Expr):
            return False
        if value.op in _PURE_EXPRS:
            return True
        if value.op == "inplace_binop":
            return not isinstance(self.typemap.get(value.lhs.name), types.Array)
        if value.op == "call":
            fnty = self.typemap.get(value.func.name)
            return _ufunc(fnty) is not None or _selection(fnty) is not None or \
                getattr(fnty, "typing_key", None) is slice
        return False

    def absorbable(self, var, parent_pos, ndim):
        """Whether the statement defining ``var`` can move into its one user at ``parent_pos``."""
        k = self.position.get(var.name)
        if k is None or k > parent_pos or self.uses.get(var.name, 0) != 1:
            return False
        stmt = self.block.body[k]
        if self.op(stmt) is None or self.typemap[var.name].ndim != ndim:
            return False
        return all(self.pure(s) for s in self.block.body[k + 1:parent_pos])


class _Tree:
    """One fused tree: its root statement, the statements it absorbs, its leaves."""

    def __init__(self, fb, root_pos, inplace):
        self.fb, self.root = fb, fb.block.body[root_pos]
        self.ndim = fb.typemap[self.root.target.name].ndim
        self.members, self.leaves = [], []
        if inplace:
            value = self.root.value
            self.inplace = _INPLACE[value.fn]
            self.target_var = value.lhs
            self.body = self.expression(value.rhs, root_pos)
        else:
            self.inplace, self.target_var = None, None
            self.body = self.node(self.root, root_pos)

    def expression(self, var, parent_pos):
        if self.fb.absorbable(var, parent_pos, self.ndim):
            k = self.fb.position[var.name]
            self.members.append(self.fb.block.body[k])
            return self.node(self.fb.block.body[k], k)
        definition = self.fb.block.body[self.fb.position[var.name]] \
            if var.name in self.fb.position else None
        if definition is not None and isinstance(definition.value, ir.Const) and \
                isinstance(definition.value.value, (int, float)):
            return ("const", definition.value.value)
        names = [v.name for v in self.leaves]
        if var.name not in names:
            self.leaves.append(var)
            names.append(var.name)
        return ("leaf", names.index(var.name))

    def node(self, stmt, pos):
        fn, operands = self.fb.op(stmt)
        return (fn, [self.expression(v, pos) for v in operands])


def _updates_with(fb, stmt, k):
    """Whether in-place update ``stmt`` (at ``k``) adds a scalar or an element-wise tree:
    ``a += b`` with an array ``b`` stays as written (Numba updates ``a`` element by element
    there, reading ``b`` as it goes: with ``b`` a view of ``a`` the result differs from
    computing ``b`` first)."""
    rhs, ndim = stmt.value.rhs, fb.typemap[stmt.value.lhs.name].ndim
    t = fb.typemap.get(rhs.name)
    if not isinstance(t, types.Array):
        return _leaf_type(t, ndim)
    return fb.absorbable(rhs, k, ndim)


def _leaf_ndim(typemap, var):
    t = typemap[var.name]
    return t.ndim if isinstance(t, types.Array) else 0


def axis_lengths(func_ir, typemap, var):
    """For each axis of array ``var``, a key two arrays share only where that axis has
    the same length in both, else None: ``(name, axis, offset)`` is the length of axis
    ``axis`` of the array named ``name``, plus ``offset`` (never below 0).

    Slices ``u[s:e]`` with constant ``s >= 0`` and ``e < 0`` or None have length
    ``max(0, len(u) + e - s)``: ``u[:-2]``, ``u[1:-1]`` and ``u[2:]`` share a key, so a
    stencil's operands are known not to broadcast against each other and are read with
    the loop's own indices."""
    ndim = typemap[var.name].ndim
    definition = guard(get_definition, func_ir, var)
    if isinstance(definition, ir.Expr) and definition.op in ("getitem", "static_getitem") \
            and isinstance(typemap.get(definition.value.name), types.Array):
        items = _index_items(func_ir, typemap, definition)
        base = axis_lengths(func_ir, typemap, definition.value)
        if items is None or len(items) > len(base):
            return [None] * ndim
        lengths = []
        for item, length in zip(items + [slice(None)] * (len(base) - len(items)), base):
            if isinstance(item, slice):
                lengths.append(sliced_length(length, item))
        return lengths if len(lengths) == ndim else [None] * ndim
    if definition is None:
        return [None] * ndim
    return [(var.name, a, 0) for a in range(ndim)]


def sliced_length(length, item):
    """The key (``axis_lengths``) of an axis of key ``length`` sliced by ``item``, or None."""
    start = 0 if item.start is None else item.start
    stop = 0 if item.stop is None else item.stop
    if length is None or item.step not in (None, 1) or not isinstance(start, int) or \
            not isinstance(stop, int) or start < 0 or stop > 0 or \
            (stop == 0 and item.stop is not None):
        return None
    name, axis, offset = length
    return (name, axis, offset + stop - start)


def _index_items(func_ir, typemap, getitem):
    """The items of ``getitem``'s index: slices of constants, or "int" for an integer;
    None where one is neither."""
    if getitem.op == "static_getitem":
        index = getitem.index
        items = list(index) if isinstance(index, tuple) else [index]
        if not all(isinstance(i, slice) or (isinstance(i, int) and not isinstance(i, bool))
                   for i in items):
            return None
        return [i if isinstance(i, slice) else "int" for i in items]
    index = guard(get_definition, func_ir, getitem.index)
    if isinstance(index, ir.Expr) and index.op == "build_tuple":
        variables = list(index.items)
    else:
        variables = [getitem.index]
    items = []
    for v in variables:
        if isinstance(typemap.get(v.name), types.Integer):     # (a bool is not one)
            items.append("int")
            continue
        call = guard(get_definition, func_ir, v)
        fn = guard(get_definition, func_ir, call.func) if isinstance(call, ir.Expr) and \
            call.op == "call" else None
        if not isinstance(fn, ir.Global) or fn.value is not slice:
            return None
        bounds = [guard(get_definition, func_ir, a) for a in call.args]
        if not all(isinstance(b, ir.Const) for b in bounds):
            return None
        items.append(slice(*[b.value for b in bounds]))
    return items


def plain_axes(func_ir, typemap, tree):
    """The axes of ``tree``'s result along which no operand can be broadcast: every
    array operand that has the axis has it of one known length (``axis_lengths``)."""
    D = tree.ndim
    keys = [[] for _ in range(D)]
    for v in ([tree.target_var] if tree.inplace else []) + list(tree.leaves):
        if isinstance(typemap[v.name], types.Array):
            lengths = axis_lengths(func_ir, typemap, v)
            for a, key in enumerate(lengths):
                keys[D - len(lengths) + a].append(key)
    return {a for a in range(D) if None not in keys[a] and len(set(keys[a])) == 1}


def function_source(tree, typemap, name, plain=frozenset()):
    """Python source of the loop that computes ``tree`` (its parameters: the updated
    array first when in place, then the leaves). Operands are indexed with the loop's
    own indices along ``plain`` axes (which LLVM vectorises, and numbad's reverse sweep
    sees as the same element where it is), through multipliers elsewhere (0 where the
    operand is broadcast)."""
    D = tree.ndim
    params = (["a"] if tree.inplace else []) + ["x%d" % j for j in range(len(tree.leaves))]
    ndims = [_leaf_ndim(typemap, v) for v in tree.leaves]
    lines = ["def %s(%s):" % (name, ", ".join(params))]
    for axis in range(D):
        sizes = ["x%d.shape[%d]" % (j, axis - (D - d)) for j, d in enumerate(ndims)
                 if d > 0 and axis - (D - d) >= 0]
        if tree.inplace:
            size = "a.shape[%d]" % axis
            for s in ([] if axis in plain else sizes):
                size = "broadcast_into(%s, %s)" % (size, s)
        else:
            size = sizes[0]
            for s in ([] if axis in plain else sizes[1:]):
                size = "broadcast_size(%s, %s)" % (size, s)
        lines.append("    n%d = %s" % (axis, size))
    for j, d in enumerate(ndims):      # 0 where leaf j is broadcast along an axis (size 1)
        for a in range(d):
            if D - d + a not in plain:
                lines.append("    s%d_%d = min(x%d.shape[%d] - 1, 1)" % (j, a, j, a))
    shape = "(%s,)" % ", ".join("n%d" % a for a in range(D))
    dtype = "np.%s" % typemap[tree.root.target.name].dtype

    def element(e):
        kind, args = e
        if kind == "const":
            return repr(args)
        if kind in ("a", "t"):      # the updated array, the computed value: at the index
            return "%s[%s]" % (kind, ", ".join("%s%d" % (args or "i", a) for a in range(D)))
        if kind == "leaf":
            d = ndims[args]
            if d == 0:
                return "x%d" % args
            return "x%d[%s]" % (args, ", ".join(
                "i%d" % (D - d + a) if D - d + a in plain else
                "i%d * s%d_%d" % (D - d + a, args, a) for a in range(d)))
        if kind == "neg":
            return "(-%s)" % element(args[0])
        if isinstance(kind, np.ufunc):
            return "np.%s(%s)" % (kind.__name__, ", ".join(element(a) for a in args))
        if isinstance(kind, tuple):     # ("call", f): a kernel of the user's (user_kernels.py)
            return "%s(%s)" % (kind[1], ", ".join(element(a) for a in args))
        if kind in ("where", "clip"):   # one element's (rules.where, rules.clip)
            return "%s(%s)" % (kind, ", ".join(element(a) for a in args))
        if kind == "/":     # NumPy's division: x / 0 is inf, as for arrays, not an error
            return "np.true_divide(%s, %s)" % (element(args[0]), element(args[1]))
        return "(%s %s %s)" % (element(args[0]), kind, element(args[1]))

    index = ", ".join("i%d" % a for a in range(D))
    buffer = "t" if tree.inplace else "out"

    def loop(body, i="i"):
        out = []
        for a in range(D):
            out.append("    " * (a + 1) + "for %s%d in range(n%d):" % (i, a, a))
        out.append("    " * (D + 1) + body)
        return out

    if tree.inplace and not any(ndims):     # ``a += s``: nothing to read but ``a``
        lines += loop("a[%s] = %s" % (index, element((tree.inplace, [
            ("a", None), tree.body]))))
        lines.append("    return a")
        return "\n".join(lines) + "\n"
    lines.append("    %s = np.empty(%s, %s)" % (buffer, shape, dtype))
    lines += loop("%s[%s] = %s" % (buffer, index, element(tree.body)))
    if tree.inplace:
        again = ", ".join("j%d" % a for a in range(D))    # (each name assigned once)
        lines += loop("a[%s] = %s" % (again, element((tree.inplace, [
            ("a", "j"), ("t", "j")]))), "j")
        lines.append("    return a")
    else:
        lines.append("    return out")
    return "\n".join(lines) + "\n"


def _uses(func_ir):
    uses = {}
    for block in func_ir.blocks.values():
        for stmt in block.body:
            defined = stmt.target.name if isinstance(stmt, ir.Assign) else None
            for v in stmt.list_vars():
                if v.name != defined:
                    uses[v.name] = uses.get(v.name, 0) + 1
    return uses


def find_trees(func_ir, typemap):
    """The fusable trees of ``func_ir``, largest first within each block."""
    uses = _uses(func_ir)
    trees = []
    for label in sorted(func_ir.blocks):
        fb = _Block(func_ir.blocks[label], typemap, uses)
        taken = set()
        for k in range(len(fb.block.body) - 1, -1, -1):
            stmt = fb.block.body[k]
            if id(stmt) in taken:
                continue
            inplace = isinstance(stmt, ir.Assign) and isinstance(stmt.value, ir.Expr) and \
                stmt.value.op == "inplace_binop" and stmt.value.fn in _INPLACE and \
                _float_array(typemap.get(stmt.value.lhs.name)) and \
                _updates_with(fb, stmt, k)
            if not inplace and (fb.op(stmt) is None or
                                not _float_array(typemap[stmt.target.name])):
                continue
            tree = _Tree(fb, k, inplace)
            taken.update(id(s) for s in tree.members)
            trees.append(tree)
    return trees


def fuse(state):
    """Rewrite ``state.func_ir`` with its element-wise trees as loops and type it again;
    False (and ``state`` untouched) when there is nothing to fuse."""
    trees = find_trees(state.func_ir, state.typemap)
    if not trees:
        return False
    func_ir = state.func_ir
    worker = InlineWorker(state.typingctx, state.targetctx, state.locals, state.pipeline,
                          state.flags)
    plains = [plain_axes(func_ir, state.typemap, tree) for tree in trees]   # (IR as Numba made it)
    for n, (tree, plain) in enumerate(zip(trees, plains)):
        name = "_fused%d" % n
        ns = {"np": np, "broadcast_size": broadcast_size, "broadcast_into": broadcast_into,
              "where": where, "clip": clip}
        exec(function_source(tree, state.typemap, name, plain), ns)
        _inline(func_ir, worker, tree, ns[name])
    # (each generated variable is assigned once, and Numba's ``for`` keeps its state in
    # the iterator: the inlined loops are already in SSA form, and the user's IR is
    # left exactly as Numba made it)
    relabel_in_order(func_ir)
    type_again(state)
    assert all(len(d) == 1 for d in func_ir._definitions.values() if d), "not SSA"
    return True


def relabel_in_order(func_ir):
    """Give the blocks labels that grow along the program again (inlined blocks were
    numbered after all others), keeping the set of labels; jumps, branches and phis follow."""
    order = find_topo_order(func_ir.blocks)
    new = dict(zip(order, sorted(func_ir.blocks)))
    blocks = {}
    for old, block in func_ir.blocks.items():
        term = block.body[-1]
        if isinstance(term, ir.Jump):
            term.target = new[term.target]
        elif isinstance(term, ir.Branch):
            term.truebr, term.falsebr = new[term.truebr], new[term.falsebr]
        blocks[new[old]] = block
    for phi in _phis(func_ir.blocks):
        phi.incoming_blocks = [new[b] for b in phi.incoming_blocks]
    func_ir.blocks = dict(sorted(blocks.items()))


def _phis(blocks):
    """The phi expressions of ``blocks``."""
    return [stmt.value for block in blocks.values() for stmt in block.body
            if isinstance(stmt, ir.Assign) and isinstance(stmt.value, ir.Expr)
            and stmt.value.op == "phi"]


def _inline(func_ir, worker, tree, function):
    """Replace ``tree`` by a call of ``function`` and inline that call."""
    block = next(b for b in func_ir.blocks.values() if any(s is tree.root for s in b.body))
    members = set(id(s) for s in tree.members)
    block.body = [s for s in block.body if id(s) not in members]
    args = ([tree.target_var] if tree.inplace else []) + list(tree.leaves)
    inline_call(func_ir, worker, tree.root, function, args)


def inline_call(func_ir, worker, stmt, function, args):
    """Replace assignment ``stmt`` by ``stmt.target = function(*args)`` and inline that
    call (``function``: a plain Python function, its variables named after it)."""
    label, block = next((lb, b) for lb, b in func_ir.blocks.items()
                        if any(s is stmt for s in b.body))
    loc, scope = stmt.loc, block.scope
    k = next(i for i, s in enumerate(block.body) if s is stmt)
    fn = ir.Var(scope, scope.redefine("$elementwise", loc).name, loc)
    call = ir.Expr.call(fn, list(args), (), loc)
    load = ir.Assign(ir.Global(function.__name__, function, loc), fn, loc)
    block.body[k:k + 1] = [load, ir.Assign(call, stmt.target, loc)]
    _, _, var_map, new_blocks = worker.inline_function(func_ir, block, k + 1, function)
    block.body.remove(load)         # the plain function is gone once inlined
    # the parameters are copies of the operands: use the operands themselves, so that
    # the reverse sweep sees the user's views and scalars (made again, or fixed)
    params = {var_map[p].name for p in function.__code__.co_varnames[
        :function.__code__.co_argcount]}
    operands = {}
    for _, b in new_blocks[1:]:
        for s in list(b.body):
            if isinstance(s, ir.Assign) and s.target.name in params and \
                    isinstance(s.value, ir.Var):
                operands[s.target.name] = s.value
                b.body.remove(s)
    # short names that say where they come from: ``_fused0_i0``, ``_fused0_binop_mul12``
    prefix = function.__name__ + "_"
    renamed = {v.name: scope.redefine(prefix + name.lstrip("$"), loc)
               for name, v in var_map.items() if v.name not in params}
    replace_vars(dict(new_blocks[1:]), dict(operands, **renamed))
    after = new_blocks[0][0]        # the block that now ends the way ``block`` ended
    for phi in _phis(func_ir.blocks):
        phi.incoming_blocks = [after if p == label else p for p in phi.incoming_blocks]
    for _, b in new_blocks[1:]:     # the user's line, not the generated function's
        b.loc = loc
        for s in b.body:
            s.loc = loc
            if isinstance(s, ir.Assign) and hasattr(s.value, "loc"):
                s.value.loc = loc
