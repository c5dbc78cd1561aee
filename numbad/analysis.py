"""What the transforms need to know about a typed function.

Control flow (blocks, predecessors, which blocks sit in loops), the constant
value behind folded variables (globals, modules, functions), activity (which
variables carry a derivative) and, per block, which primal values the reverse
sweep needs and how it gets them back (recomputed in the block, or taped).
"""
import copy
import operator

import numpy as np
from numba.core import types
from numba.core.analysis import compute_cfg_from_blocks
from numba.np import numpy_support
from numba.np.unsafe.ndarray import empty_inferred

from . import custom, frontend, nested_calls, runtime
from .array_runtime import HELPERS, kernel_scalar_function
from .errors import not_differentiable
from .rules import (
    COSTLY_CALLS,
    METHODS,
    NUMBER_METHODS,
    PURE_CALLS,
    WRITES_ARGUMENTS,
    WRITING_METHODS,
    array_rule_for,
    leaves_arguments,
    linear_rule_for,
    rule_for,
)

# numbad's own tape (runtime.py), as generated derivative code calls it: a float tape
# is memory like an array (its address an int), so the transforms can differentiate
# generated code again (forward mode gives a tape of tangents beside it).
TAPE_OPS = {runtime.tape_new: "new", runtime.tape_resize: "resize",
            runtime.store_f: "store", runtime.load_f: "load", runtime.tape_free: "free"}


def tape_op(info, value):
    """"new", "resize", "store", "load" or "free" for a call to a float-tape operation."""
    if kind(value) == "Expr" and value.op == "call":
        fn = info.callee(value)
        return TAPE_OPS.get(fn) if _hashable(fn) else None
    return None


def _hashable(obj):
    try:
        hash(obj)
    except TypeError:
        return False
    return True


def kind(node):
    """The IR node's class name: numba-cuda carries its own copy of the IR classes,
    so the transforms match nodes by name, never with isinstance."""
    return type(node).__name__


def _merge_straight_chains(blocks):
    """Copies of ``blocks`` with each block that is the only way into its one
    successor joined with it (Numba sometimes splits a loop's header from its test,
    which would hide the loop's shape); phis that named the second block as where a
    value came from name the first. The typed IR itself is left as it is."""
    blocks = dict(blocks)
    entry = min(blocks)
    merged_any = True
    while merged_any:
        merged_any = False
        preds = {b: set() for b in blocks}
        for label, block in blocks.items():
            for s in block.terminator.get_targets():
                preds[s].add(label)
        for a in sorted(blocks):
            term = blocks[a].terminator
            b = term.target if kind(term) == "Jump" else None
            if b is None or b in (a, entry) or preds[b] != {a} or any(
                    kind(s) == "Assign" and kind(s.value) == "Expr" and s.value.op == "phi"
                    for s in blocks[b].body):
                continue
            joined = copy.copy(blocks[a])
            joined.body = blocks[a].body[:-1] + blocks[b].body
            blocks[a] = joined
            for s in set(blocks.pop(b).terminator.get_targets()):
                blocks[s] = _phis_renamed(blocks[s], b, a)
            merged_any = True
            break
    return blocks


def _phis_renamed(block, old, new):
    """``block`` with its phis' incoming block ``old`` called ``new`` (copies)."""
    body = []
    for stmt in block.body:
        if kind(stmt) == "Assign" and kind(stmt.value) == "Expr" and stmt.value.op == "phi" \
                and old in stmt.value.incoming_blocks:
            value = copy.copy(stmt.value)
            value.incoming_blocks = [new if x == old else x for x in value.incoming_blocks]
            stmt = copy.copy(stmt)
            stmt.value = value
        body.append(stmt)
    renamed = copy.copy(block)
    renamed.body = body
    return renamed


class FunctionInfo:
    """Definitions, control flow and constants of one typed function."""

    def __init__(self, tir):
        self.tir = tir
        self.func_ir = tir.func_ir
        self.typemap = tir.typemap
        self.calltypes = tir.calltypes
        self.blocks = _merge_straight_chains(self.func_ir.blocks)
        self.labels = sorted(self.blocks)
        self.entry = min(self.labels)
        self.defs = {}          # var name -> (label, stmt)
        for label in self.labels:
            for stmt in self.blocks[label].body:
                if kind(stmt) == "Assign":
                    self.defs[stmt.target.name] = (label, stmt)
        cfg = compute_cfg_from_blocks(self.blocks)
        self.preds = {b: [] for b in self.labels}
        self.succs = {b: [] for b in self.labels}
        for b in self.labels:
            for s in self.blocks[b].terminator.get_targets():
                if s not in self.succs[b]:
                    self.succs[b].append(s)
                    self.preds[s].append(b)
        self.in_loop = set()
        self.counted_headers = {}   # loop header -> (entry pred, back-edge pred)
        self.loop_body = {}         # loop header -> blocks of the loop
        for loop in cfg.loops().values():
            self.in_loop |= set(loop.body)
            self.loop_body[loop.header] = set(loop.body)
            h = loop.header
            back = [p for p in self.preds[h] if p in loop.body]
            entry = [p for p in self.preds[h] if p not in loop.body]
            if len(back) == 1 and len(entry) == 1 and h != self.entry:
                self.counted_headers[h] = (entry[0], back[0])
        self.writes_arrays = any(kind(stmt) in ("SetItem", "StaticSetItem")
                                 for label in self.labels for stmt in self.blocks[label].body)
        self.tapes = _tape_addresses(self)
        self.family = _array_families(self)
        self.members = {}       # family representative -> its array variables
        for name, root in self.family.items():
            self.members.setdefault(root, set()).add(name)
        self.read_only, self.opaquely_written = _read_only_arrays(self)
        self.arg_vars = {}      # arg index -> var name
        for stmt in self.blocks[self.entry].body:
            if kind(stmt) == "Assign" and kind(stmt.value) == "Arg":
                self.arg_vars[stmt.value.index] = stmt.target.name

    def type_of(self, name):
        return self.typemap[name]

    def constant(self, name):
        """(True, value) when variable ``name`` always holds one known object."""
        d = self.defs.get(name)
        if d is None:
            return False, None
        value = d[1].value
        k = kind(value)
        if k in ("Global", "FreeVar", "Const"):
            return True, value.value
        if k == "Var":
            return self.constant(value.name)
        if k == "Expr" and value.op == "getattr":
            ok, base = self.constant(value.value.name)
            if ok and (kind(base) == "module" or isinstance(base, type)):
                return True, getattr(base, value.attr)
        return False, None

    def copied_from(self, name):
        """The variable a chain of plain copies (``b = a``) of ``name`` starts from."""
        while name in self.defs and kind(self.defs[name][1].value) == "Var":
            name = self.defs[name][1].value.name
        return name

    def alias_root(self, name, _visiting=()):
        """The array variable whose memory ``name`` names under another name: through
        ``b = a``, casts, ``a += ...`` and loop phis whose values all name one array."""
        value = self.defs[name][1].value if name in self.defs else None
        if kind(value) == "Var":
            return self.alias_root(value.name, _visiting)
        if kind(value) == "Expr" and value.op in ("cast", "inplace_binop") and \
                isinstance(self.type_of(name), types.Array):
            return self.alias_root(value.value.name if value.op == "cast" else
                                   value.lhs.name, _visiting)
        if kind(value) == "Expr" and value.op == "phi" and \
                isinstance(self.type_of(name), types.Array):
            if name in _visiting:
                return None
            roots = {self.alias_root(v.name, _visiting + (name,))
                     for v in value.incoming_values if kind(v) == "Var"} - {None}
            return roots.pop() if len(roots) == 1 else name
        return name

    def family_of(self, name):
        """The array variables sharing memory with ``name`` (itself included)."""
        return self.members.get(self.family.get(name), {name})

    def callee(self, expr):
        """The Python object that a ``call`` expression calls, or None when it is not
        known (a bound method such as ``a.sum``). Beside globals, a value whose type
        says what it calls: a number class (``T = type(x); T(1)``, a cast) or an
        ``@njit`` function passed as an argument (``rk4_step(f, t, u)``)."""
        ok, fn = self.constant(expr.func.name)
        if ok:
            return fn
        t = self.type_of(expr.func.name)
        if isinstance(t, types.NumberClass):
            return numpy_support.as_dtype(t.instance_type).type
        if isinstance(t, types.Dispatcher):
            return t.dispatcher
        return None


# ---------------------------------------------------------------- types

def incoming_value(phi, pred, info=None):
    """The variable ``phi`` takes from block ``pred``; None for none, or (given ``info``)
    for one Numba's SSA left undefined on that path (its value is never used)."""
    for v, b in zip(phi.incoming_values, phi.incoming_blocks):
        if b == pred:
            if kind(v) != "Var" or (info is not None and v.name not in info.defs):
                return None
            return v
    return None


def is_float(t):
    return isinstance(t, types.Float)


def is_float_array(t):
    return isinstance(t, types.Array) and is_float(t.dtype)


def float_leaves(t):
    """Indices of the float elements of a flat tuple; [None] for a float or a float
    array (whose adjoint is an array of its shape); [] otherwise."""
    if is_float(t) or is_float_array(t):
        return [None]
    if isinstance(t, types.BaseTuple):
        out = []
        for i, e in enumerate(t.types):
            if is_float(e):
                out.append(i)
            elif isinstance(e, (types.BaseTuple, types.Array)) and _has_float(e):
                return None     # nested containers of floats: not supported yet
        return out
    return []


def _has_float(t):
    """Whether a value of type ``t`` can hold a float (so could carry a derivative)."""
    if isinstance(t, (types.NumberClass, types.DType, types.Dispatcher, types.Function)):
        return False    # (a class, ``type(x)``; a function passed as a value)
    if isinstance(t, types.BaseTuple):
        return any(_has_float(e) for e in t.types)
    if isinstance(t, (types.Number, types.Boolean)):
        return is_float(t)
    dtype = getattr(t, "dtype", None) or getattr(t, "item_type", None)
    return dtype is None or _has_float(dtype)


# ``+`` and ``-`` as binary and in-place operators: the steps of an int induction variable
# (induction.py) and of an element increment ``a[i] += t`` (reverse.py)
ADDITIVE = {operator.add: "+", operator.iadd: "+", operator.sub: "-", operator.isub: "-"}

ALLOCATIONS = frozenset([np.zeros, np.ones, np.empty, np.zeros_like, np.ones_like,
                         np.empty_like])


def is_allocation(info, stmt):
    """``np.zeros(n)`` and friends: a fresh array whose values carry no derivative."""
    value = stmt.value
    if not (kind(value) == "Expr" and value.op == "call"):
        return False
    ok, fn = info.constant(value.func.name)
    return ok and any(fn is a for a in ALLOCATIONS)


# Calls whose result's shape (or, for an integer, value) follows from their arguments'
# shapes and integer values alone: fixed when those are (fixed_shape).
_SHAPED_BY_ARGUMENTS = frozenset([np.zeros, np.ones, np.empty, np.full, np.zeros_like,
                                  np.ones_like, np.empty_like, np.full_like, np.copy,
                                  np.ascontiguousarray, len, min, max, abs, range])


def fixed_shape(info, name, _seen=frozenset()):
    """Whether array (or integer) variable ``name`` has one shape (value) every time its
    definition runs: defined outside every loop, or computed from such shapes and
    integers by allocations, element-wise operations, views and integer arithmetic.
    Where this cannot tell (a gather by a mask, ``np.unique``, ``v = np.empty(m - i)``
    with ``i`` a loop index), False."""
    if name in _seen:
        return True     # (a phi's cycle: what comes round is what went in)
    t = info.type_of(name)
    if isinstance(t, (types.Float, types.Boolean)):
        return True     # (no shape; integers made from floats are refused below)
    if name not in info.defs:
        return False
    label, stmt = info.defs[name]
    if label not in info.in_loop:
        return True
    value, seen = stmt.value, _seen | {name}

    def fixed(vars_):
        return all(fixed_shape(info, v.name, seen) for v in vars_)
    if kind(value) in ("Const", "Global", "FreeVar", "Arg"):
        return True
    if kind(value) == "Var":
        return fixed([value])
    if kind(value) != "Expr":
        return False
    if value.op == "phi":
        return fixed([v for v in value.incoming_values if kind(v) == "Var"])
    if value.op in ("getattr", "static_getitem", "cast"):
        return fixed([value.value])
    if value.op == "getitem":
        index = info.type_of(value.index.name)
        masked = isinstance(index, types.Array) and isinstance(index.dtype, types.Boolean)
        return not masked and fixed([value.value, value.index])
    if value.op in ("binop", "inplace_binop", "unary", "build_tuple"):
        return fixed(value.list_vars())
    if value.op == "call":
        fn = info.callee(value)
        receiver = method_receiver(info, value)
        given = list(value.args) + [v for _, v in value.kws]
        if isinstance(t, types.Integer) and any(
                isinstance(info.type_of(v.name), types.Float) for v in given):
            return False            # (``int(x)`` of a float that may change)
        if receiver is not None:    # ``u.copy()``, ``u.reshape(n, m)``
            method = info.defs[value.func.name][1].value.attr
            return method in ("copy", "reshape", "astype", "ravel", "flatten") and \
                fixed([receiver] + given)
        shaped = _hashable(fn) and (fn in _SHAPED_BY_ARGUMENTS or isinstance(fn, np.ufunc)
                                    or fn in SIZE_FUNCTIONS)
        return shaped and fixed(given)
    return False


# numbad's own functions of sizes (fusion.py's broadcast_size and broadcast_into),
# registered by the module that makes them
SIZE_FUNCTIONS = set()


def _array_families(info):
    """Array (or float-tape) variable -> representative of the variables sharing its
    memory (aliases, views; a tape's address as it is grown)."""
    parent = {}

    def find(n):
        while parent.get(n, n) != n:
            n = parent[n]
        return n
    tapes = info.tapes
    for label in info.labels:
        for stmt in info.blocks[label].body:
            if kind(stmt) != "Assign":
                continue
            value = stmt.value
            method = list_method(info, value)
            if method is not None and method[1] in ("append", "pop"):
                # what a typed List holds is memory it shares (taped references)
                held = value.args[0] if method[1] == "append" else stmt.target
                if isinstance(info.type_of(held.name), types.Array):
                    parent[find(held.name)] = find(method[0].name)
                continue
            if stmt.target.name in tapes:
                bases = [v for v in ([value] if kind(value) == "Var" else
                                     [unpacked(info, value)] if unpacked(info, value) else
                                     value.list_vars() if kind(value) == "Expr" else [])
                         if v.name in tapes]
            elif isinstance(info.type_of(stmt.target.name), types.Array):
                bases = ([v for v in value.incoming_values if kind(v) == "Var"]
                         if kind(value) == "Expr" and value.op == "phi"
                         else [_aliased(info, value)])
            else:
                continue
            for base in bases:
                if base is not None and (isinstance(info.type_of(base.name), types.Array)
                                         or base.name in tapes):
                    parent[find(stmt.target.name)] = find(base.name)
    return {n: find(n) for n in list(parent) + [v for v in parent.values()]}


def list_method(info, value):
    """(typed List variable, method name) of a call such as ``tape.append(x)``, else None."""
    if not (kind(value) == "Expr" and value.op == "call"):
        return None
    d = info.defs.get(value.func.name)
    method = d[1].value if d else None
    if kind(method) == "Expr" and method.op == "getattr" and \
            isinstance(info.type_of(method.value.name), types.ListType):
        return method.value, method.attr
    return None


def _tape_addresses(info):
    """Variables that stand for memory holding floats and are not arrays: float tapes
    (their addresses, made by ``tape_new`` or ``tape_resize``, stored or loaded through)
    and typed Lists of floats or arrays (numbad's tapes of arrays), and their copies."""
    tapes = {n for n, t in info.typemap.items()
             if isinstance(t, types.ListType) and _has_float(t.dtype)}
    for label in info.labels:
        for stmt in info.blocks[label].body:
            if kind(stmt) == "Assign" and tape_op(info, stmt.value):
                op, args = tape_op(info, stmt.value), stmt.value.args
                if op in ("new", "resize"):
                    tapes.add(stmt.target.name)
                if op != "new":
                    tapes.add(args[0].name)
    changed = True
    while changed:      # through copies and phis
        changed = False
        for name, (_, stmt) in info.defs.items():
            value = stmt.value
            if kind(value) == "Var" or unpacked(info, value) is not None:
                linked = [(value if kind(value) == "Var" else unpacked(info, value)).name]
            elif kind(value) == "Expr" and value.op == "phi":
                linked = [v.name for v in value.incoming_values if kind(v) == "Var"]
            else:
                linked = []
            if linked and (name in tapes) != any(v in tapes for v in linked):
                tapes |= {name, *linked}
                changed = True
    return tapes


VIEW_METHODS = frozenset(["T", "transpose", "reshape", "ravel", "view", "swapaxes"])
# functions whose result may share its first argument's memory (a view, or the array
# itself): writing through the result writes the argument
VIEW_FUNCTIONS = frozenset([np.transpose, np.ravel, np.reshape, np.swapaxes, np.asarray,
                            np.ascontiguousarray, np.asfortranarray, np.expand_dims,
                            np.atleast_1d, np.atleast_2d, np.atleast_3d, np.squeeze,
                            np.broadcast_to, np.moveaxis, np.flip, np.fliplr, np.flipud,
                            np.real, np.imag, np.diagonal])


def unpacked(info, value):
    """The variable that ``value`` takes out of a tuple packed right before it (``a, b, c
    = x, y, z``: Numba builds and unpacks a tuple), else None."""
    if not (kind(value) == "Expr" and value.op == "static_getitem"
            and isinstance(value.index, int)):
        return None
    d = info.defs.get(value.value.name)
    packed = d[1].value if d else None
    if kind(packed) == "Expr" and packed.op == "exhaust_iter":
        d = info.defs.get(packed.value.name)
        packed = d[1].value if d else None
    if kind(packed) == "Expr" and packed.op == "build_tuple":
        return packed.items[value.index]
    return None


def _aliased(info, value):
    """The variable whose memory expression ``value`` may share (a view), or None."""
    if kind(value) == "Var":
        return value
    if kind(value) != "Expr":
        return None
    if unpacked(info, value) is not None:
        return unpacked(info, value)
    if value.op == "getitem" and fancy_index(info, value.index.name):
        return None             # (a copy)
    if value.op in ("getitem", "static_getitem", "cast"):
        return value.value
    if value.op == "inplace_binop":
        return value.lhs        # ``a += b`` on an array updates a and gives a back
    if value.op == "getattr" and value.attr in VIEW_METHODS:
        return value.value
    if value.op == "call":
        receiver = method_receiver(info, value)
        if receiver is not None:
            method = info.defs[value.func.name][1].value.attr
            return receiver if method in VIEW_METHODS else None
        fn = info.callee(value)
        if value.args and any(fn is f for f in VIEW_FUNCTIONS):
            return value.args[0]
    return None


def _read_only_arrays(info):
    """(Array variables whose memory this function never changes: no store into them (or
    their aliases and views), no in-place operator, no call that could write them; those
    whose memory a call or a container may change, out of sight of the transforms)."""
    family_of = info.family_of
    arrays = {n for n, t in info.typemap.items() if isinstance(t, types.Array)}
    written, opaque = set(), set()
    for label in info.labels:
        for stmt in info.blocks[label].body:
            stored, lost = _arrays_changed_by(info, stmt)
            for name in stored:
                written |= family_of(name)
            for name in lost:
                opaque |= family_of(name)
    return arrays - written - opaque, opaque


def _arrays_changed_by(info, stmt):
    """(The array variables whose memory ``stmt`` writes, those whose memory it may change
    out of sight: given to a container or to a call without a rule)."""
    def arrays(vs):
        return [v.name for v in vs if isinstance(info.type_of(v.name), types.Array)]
    k = kind(stmt)
    if k in ("SetItem", "StaticSetItem"):
        return [stmt.target.name], []
    value = stmt.value if k == "Assign" else None
    if kind(value) != "Expr":
        return [], []
    if value.op == "inplace_binop":
        return arrays([value.lhs]), []
    if value.op in ("build_tuple", "build_list", "build_set", "build_map"):
        return [], arrays(value.list_vars())
    if value.op == "call":
        fn, _ = operation(info, value)
        if not (rule_for(fn) is not None or array_rule_for(fn) is not None
                or fn in PURE_CALLS or is_allocation(info, stmt)):
            return [], arrays(_inputs_a_call_may_write(info, value))
    return [], []


def read_before_any_write(info, name):
    """Whether view ``name`` (made by a function: ``u.reshape(...)``) and the arrays
    made from it are only read, in its own block, with nothing writing its family
    between its definition and the last read: its adjoint, gathered from the reads,
    then reaches its argument's before the reverse sweep undoes any write."""
    label, stmt = info.defs[name]
    body = info.blocks[label].body
    made = {name}
    for other in info.family_of(name):
        seen = set()
        while other in info.defs and other not in seen and other not in made:
            seen.add(other)
            base = _aliased(info, info.defs[other][1].value)
            if base is None:
                break
            if base.name in made:
                made |= seen
                break
            other = base.name
    start = last = body.index(stmt)
    for other_label in info.labels:
        for i, s in enumerate(info.blocks[other_label].body):
            if s is not stmt and any(v.name in made for v in s.list_vars()):
                if other_label != label or i < start:     # (another block, or a phi)
                    return False
                last = max(last, i)
    family = info.family_of(name)
    for s in body[start + 1:last + 1]:
        stored, lost = _arrays_changed_by(info, s)
        if any(n in family for n in stored + lost):
            return False
    return True


def _inputs_a_call_may_write(info, value):
    """The variables call ``value`` hands over that the callee may write into: for an
    ``@njit`` function of the user's, the array arguments whose memory it may change
    (``changed_params``); for NumPy, ``math`` and builtins, the arrays they write
    (``rules.WRITES_ARGUMENTS``, ``out=``); for an array's method, the array if the
    method writes it; for anything else, everything it gets."""
    fn = info.callee(value)
    if _is_jit_function(fn) and not _numbad_own(fn) and not value.kws and \
            len(value.args) == len(call_arg_types(info, value)):
        return [value.args[i] for i in changed_params(fn, call_arg_types(info, value))]
    receiver = method_receiver(info, value)
    if receiver is not None:    # (an array's methods write into that array or nothing)
        return [receiver] if info.defs[value.func.name][1].value.attr in \
            WRITING_METHODS else []
    outputs = [v for k, v in value.kws if k == "out"]
    if _hashable(fn) and fn in WRITES_ARGUMENTS:
        return [value.args[i] for i in WRITES_ARGUMENTS[fn] if i < len(value.args)] + \
            outputs
    if leaves_arguments(fn):
        return outputs
    return call_inputs(info, value)


def method_receiver(info, value):
    """The array whose method call expression ``value`` calls (``a`` in ``a.sum()``), or None."""
    d = info.defs.get(value.func.name)
    method = d[1].value if d else None
    if kind(method) == "Expr" and method.op == "getattr" and \
            isinstance(info.type_of(method.value.name), types.Array):
        return method.value
    return None


def is_fill(info, value):
    """Whether ``value`` is a call ``a.fill(x)`` of an array ``a``."""
    return kind(value) == "Expr" and value.op == "call" and \
        method_receiver(info, value) is not None and \
        info.defs[value.func.name][1].value.attr == "fill"


def call_inputs(info, value):
    """Every variable a call hands to its callee: arguments, keyword arguments, and the
    receiver of a method call."""
    receiver = method_receiver(info, value)
    return list(value.args) + [v for _, v in value.kws] + ([receiver] if receiver else [])


def is_view(info, stmt):
    """``a[i]`` / ``a[1:-1]`` giving an array whose memory never changes (no array is
    written in the function, or none of its family)."""
    value = stmt.value
    return (kind(value) == "Expr" and value.op in ("getitem", "static_getitem")
            and isinstance(info.type_of(stmt.target.name), types.Array)
            and not (value.op == "getitem" and fancy_index(info, value.index.name))
            and (not info.writes_arrays or value.value.name in info.read_only))


def is_differentiable_callee(fn):
    """Whether a call to ``fn`` is differentiated through a derivative of ``fn`` numbad
    builds: an ``@njit`` function, a custom-rule function, a derivative object."""
    return _is_jit_function(fn) or nested_calls.is_derivative(fn)


def _is_jit_function(fn):
    """An ``@njit`` function or a custom-rule function (Numba types it as one), other
    than numbad's own with a derivative rule (``array_of`` & co.)."""
    return hasattr(fn, "py_func") and hasattr(fn, "get_call_template") and \
        rule_for(fn) is None and array_rule_for(fn) is None


def call_arg_types(info, value):
    """The argument types of call ``value`` (a derivative object's ``*args`` stub's, as
    passed)."""
    args = info.calltypes[value].args
    if nested_calls.is_derivative(info.callee(value)):
        return tuple(args[0].types)
    return tuple(args)


def callee_name(fn):
    return getattr(fn, "__name__", None) or fn.py_func.__name__


# ---------------------------------------------------------------- statements

def stmt_deps(info, stmt):
    """The operands a derivative can flow through, for an Assign ``stmt``.

    Returns a list of variable names; an Assign whose value numbad does not
    know how to differentiate returns None (an error only if it turns out active).
    """
    value = stmt.value
    k = kind(value)
    if k == "Var":
        return [value.name]
    if k in ("Arg", "Const", "Global", "FreeVar"):
        return []
    if k != "Expr":
        return None
    op = value.op
    if op in ("binop", "inplace_binop", "unary"):
        d = derivative(info, value)
        if d is None:
            return [] if _returns_nonfloat(info, stmt) else None
        return d.deps()
    if op == "getattr":
        d = derivative(info, value)
        return d.deps() if d is not None else ([] if _returns_nonfloat(info, stmt) else None)
    if op in ("cast", "exhaust_iter"):
        return [value.value.name]
    if op == "build_tuple":
        return [v.name for v in value.items]
    if op in ("static_getitem", "getitem", "typed_getitem"):
        container = info.type_of(value.value.name)
        if isinstance(container, types.BaseTuple):
            return [value.value.name]
        if is_float_array(container):
            return [value.value.name]       # reading one element, or a view
        return None
    if op == "phi":
        return [v.name for v in value.incoming_values if kind(v) == "Var"]
    if op == "call":
        fn = info.callee(value)
        if is_allocation(info, stmt):
            return []
        if tape_op(info, value):    # a load reads its tape; a grown tape is the tape
            return [value.args[0].name] if tape_op(info, value) in ("load", "resize") else []
        if kernel_scalar_function(fn) is not None:      # numbad's own element-wise kernel
            return [a.name for a in value.args]
        if stmt.target.name in info.tapes:     # a new typed List tape
            return []
        method = list_method(info, value)
        if method is not None and method[1] in ("append", "pop"):
            return [method[0].name] if method[1] == "pop" else []   # (append: a store)
        linear = linear_rule_for(fn)
        if linear is not None:      # (one that updates an argument is a store: no result)
            return [] if linear.updates is not None else [value.args[i].name
                                                          for i in linear.linear]
        if is_differentiable_callee(fn):
            if value.kws or len(value.args) != len(call_arg_types(info, value)):
                return None     # keyword or default arguments: not followed yet
            return [a.name for a in value.args]
        d = derivative(info, value)
        return d.deps() if d is not None else None
    return None


class Derivative:
    """The derivative rule of one operation: its operands (None for a parameter not
    given) and one template per operand (None: no derivative flows to it).
    ``array_rule``: the templates are array-rule shares of ``{g}`` (rules.ARRAY_RULES),
    else partial derivatives (rules.RULES, element by element on arrays)."""

    def __init__(self, operands, templates, array_rule, nonfinite=frozenset()):
        self.operands = operands
        self.templates = templates
        self.array_rule = array_rule
        self.nonfinite = nonfinite      # (rules.Rule.nonfinite)

    def deps(self):
        return [v.name for v, t in zip(self.operands, self.templates) if t and v is not None]


def operation(info, value):
    """(callable, operand vars) of an operator, call or array attribute expression.

    Array methods become the NumPy functions they are (``a.sum()`` is ``np.sum(a)``,
    ``a.T`` is ``np.transpose(a)``); an array rule's keyword arguments are placed by
    parameter name (None for one not given). (None, None) when unknown.
    """
    op = value.op
    if op in ("binop", "inplace_binop"):
        return (value.fn if op == "binop" else value.immutable_fn), [value.lhs, value.rhs]
    if op == "unary":
        return value.fn, [value.value]
    if op == "getattr":
        if value.attr == "T" and isinstance(info.type_of(value.value.name), types.Array):
            return METHODS["T"], [value.value]
        return None, None
    if op != "call":
        return None, None
    fn, args = info.callee(value), list(value.args)
    receiver = method_receiver(info, value) if fn is None else None
    if receiver is not None:
        fn = METHODS.get(info.defs[value.func.name][1].value.attr)
        args = [receiver] + args
    method = info.defs[value.func.name][1].value if fn is None and \
        value.func.name in info.defs else None
    if kind(method) == "Expr" and method.op == "getattr" and not args and \
            is_float(info.type_of(method.value.name)):
        fn = NUMBER_METHODS.get(method.attr)       # ``x.item()`` of a float
        args = [method.value]
    rule = array_rule_for(fn)
    if rule is None:
        return fn, (None if value.kws else args)
    if len(args) > len(rule.params):
        return fn, None
    args += [None] * (len(rule.params) - len(args))
    for name, var in value.kws:
        if name not in rule.params or args[rule.params.index(name)] is not None:
            return fn, None
        args[rule.params.index(name)] = var
    return fn, args


def derivative(info, value, forward=False):
    """The Derivative of expression ``value``, or None when numbad has no rule for it
    (``forward``: an array rule's forward-mode templates)."""
    fn, operands = operation(info, value)
    if fn is None or operands is None:
        return None
    rule = rule_for(fn)
    if rule is not None:
        if len(rule.partials) != len(operands):
            return None
        return Derivative(operands, rule.partials, False, rule.nonfinite)
    arule = array_rule_for(fn)
    if arule is None:
        return None
    choose = arule.jvp if forward else arule.vjp
    if choose is None:
        return None
    templates = choose(*[None if v is None else info.type_of(v.name) for v in operands])
    if templates is None:
        return None
    return Derivative(operands, templates, True)


def check_callee(info, expr):
    """Refuse calls numbad cannot follow: objmode blocks and recursion."""
    ftype = info.type_of(expr.func.name)
    if isinstance(ftype, (types.ObjModeDispatcher, types.ContextManager)) or \
            "Lifted" in str(ftype):
        raise not_differentiable("code in a `with numba.objmode()` block", expr.loc)
    fn = info.callee(expr)
    if is_differentiable_callee(fn) and getattr(fn, "py_func", None) is info.tir.func:
        raise not_differentiable("recursion (%s calls itself)" % callee_name(fn),
                                 expr.loc)


def _refuse_argument_updates(info, expr, varied):
    """A callee that updates an array argument in place changes the caller's array
    behind the caller's back: derivatives flow through what callees return, so refuse
    such a call when it carries a derivative (numbad's own helpers, which the generated
    code calls as ``a = helper(a, ...)``, are exempt)."""
    fn = info.callee(expr)
    if not _is_jit_function(fn) or _numbad_own(fn) \
            or not any(v.name in varied for v in expr.args):
        return
    written = written_params(fn, call_arg_types(info, expr))
    if written:
        names = fn.py_func.__code__.co_varnames
        why = ("a custom rule sees the arguments at the call only" if custom.is_custom(fn)
               else "numbad inlines such calls, and Numba cannot inline this one: a "
               "generator, `*args`, an `objmode` block, `literally`...")
        raise not_differentiable(
            "a call to %s, which updates its array argument %s in place (%s)" % (
                callee_name(fn), ", ".join("`%s`" % names[i] for i in sorted(written)), why),
            expr.loc)


def callees_to_inline(tir):
    """The user's ``@njit`` functions (Python functions, each with the location of one
    call) whose calls in ``tir`` inlining.py inlines: those that update an array argument
    in place or return a view of one (the caller's array changes behind its back, or
    through the view), those that return tuples holding arrays (a derivative's
    cotangents are floats or arrays), and those called with keyword arguments or
    defaults (a derivative takes every argument by position). Custom-rule functions keep
    their rules."""
    info = FunctionInfo(tir)
    found = {}
    for label in info.labels:
        for stmt in info.blocks[label].body:
            value = stmt.value if kind(stmt) == "Assign" else None
            if kind(value) != "Expr" or value.op != "call":
                continue
            fn = info.callee(value)
            if not _is_jit_function(fn) or _numbad_own(fn) or custom.is_custom(fn):
                continue
            arg_types = call_arg_types(info, value)
            result = info.calltypes[value].return_type
            if value.kws or len(value.args) != len(arg_types) or \
                    written_params(fn, arg_types) or _tuple_holding_arrays(result) or \
                    isinstance(result, types.Array) and returns_a_view(fn, arg_types):
                found.setdefault(fn.py_func, stmt.loc)
    return found


def _tuple_holding_arrays(t):
    """Whether Numba type ``t`` is a tuple with an array somewhere inside, or a
    namedtuple (its fields are read by name: ``newton(f, x0).root``)."""
    return isinstance(t, (types.NamedTuple, types.NamedUniTuple)) or \
        isinstance(t, types.BaseTuple) and any(
            isinstance(e, types.Array) or _tuple_holding_arrays(e) for e in t.types)


def _numbad_own_call(fn):
    """Whether ``fn`` is one of numbad's helpers or generated derivatives."""
    return _hashable(fn) and linear_rule_for(fn) is not None or \
        any(fn is h for h in HELPERS.values()) or hasattr(fn, "py_func") and _numbad_own(fn)


def _numbad_own(fn):
    return any(fn is h for h in HELPERS.values()) or \
        (fn.py_func.__module__ or "").startswith("numbad_generated_")


_CALLEE_PARAMS = {}


def written_params(fn, arg_types):
    """Indices of the array arguments that ``@njit`` function ``fn`` (for Numba types
    ``arg_types``) updates in place, itself or through the functions it calls."""
    return _callee_params(fn, arg_types)[0]


def changed_params(fn, arg_types):
    """Indices of the array arguments whose memory ``@njit`` function ``fn`` may change:
    those it updates in place (``written_params``), and those it hands on out of the
    transforms' sight (into a container, to a call without a rule)."""
    return _callee_params(fn, arg_types)[1]


def returns_a_view(fn, arg_types):
    """Whether the array ``@njit`` function ``fn`` returns may share memory with an
    array argument (``return a[1:]``)."""
    return _callee_params(fn, arg_types)[2]


def _callee_params(fn, arg_types):
    key = (fn.py_func, tuple(arg_types))
    if key not in _CALLEE_PARAMS:
        _CALLEE_PARAMS[key] = set(), set(), False   # (recursion is refused elsewhere)
        try:
            _CALLEE_PARAMS[key] = _callee_effects(fn, arg_types)
        except Exception:   # (Numba compiles it only as a whole: ``objmode``, ``literally``)
            arrays = {i for i, t in enumerate(arg_types) if isinstance(t, types.Array)}
            _CALLEE_PARAMS[key] = arrays, arrays, True  # it may do anything with them
    return _CALLEE_PARAMS[key]


def _callee_effects(fn, arg_types):
    """(written_params, changed_params, returns_a_view) of ``fn`` for ``arg_types``."""
    info = FunctionInfo(frontend.typed_ir(fn.py_func, tuple(arg_types)))
    written = set()
    for memory, _ in memory_writes(info):
        written |= info.family_of(memory)
    returned = set()
    for label in info.labels:
        term = info.blocks[label].terminator
        if kind(term) == "Return":
            returned |= info.family_of(term.value.name)
        for stmt in info.blocks[label].body:
            value = stmt.value if kind(stmt) == "Assign" else None
            if kind(value) != "Expr":
                continue
            if value.op == "inplace_binop" and \
                    isinstance(info.type_of(value.lhs.name), types.Array):
                written |= info.family_of(value.lhs.name)
            elif value.op == "call" and _is_jit_function(info.callee(value)):
                callee, types_ = info.callee(value), call_arg_types(info, value)
                given = list(value.args) + [v for _, v in value.kws]
                if not value.kws and len(value.args) == len(types_):
                    given = [value.args[i] for i in written_params(callee, types_)]
                for v in given:     # (with keywords: all it is given, to be safe)
                    if isinstance(info.type_of(v.name), types.Array):
                        written |= info.family_of(v.name)
    params = {i: name for i, name in info.arg_vars.items()
              if isinstance(info.type_of(name), types.Array)}
    return ({i for i, name in params.items() if name in written},
            {i for i, name in params.items() if name in written or name not in info.read_only},
            any(name in returned for name in params.values()))


def _returns_nonfloat(info, stmt):
    return not float_leaves(info.type_of(stmt.target.name))


def is_recomputable(info, stmt, tape_costly=True):
    """Whether the reverse sweep may simply run ``stmt`` again (pure and cheap).
    ``tape_costly``: transcendental calls count as not cheap (rules.COSTLY_CALLS);
    on a GPU, where they are cheap and a tape entry is a trip to memory, they do not."""
    value = stmt.value
    k = kind(value)
    if k in ("Var", "Const", "Global", "FreeVar"):
        return k != "Var" or not _is_iter(info.type_of(value.name))
    if k != "Expr":
        return False
    if isinstance(info.type_of(stmt.target.name), types.Array):
        return is_view(info, stmt)      # arrays are kept, not made again; views are free
    if value.op in ("binop", "inplace_binop", "unary"):
        if tape_costly and getattr(value, "fn", None) in (operator.pow, operator.ipow) \
                and _calls_pow(info, value.rhs):
            return False        # x ** y with a float y calls pow: tape it (rules.COSTLY_CALLS)
        return all(isinstance(info.type_of(v.name), (types.Number, types.Boolean))
                   for v in value.list_vars())
    if value.op in ("cast", "build_tuple"):
        return True
    if value.op in ("static_getitem", "exhaust_iter", "getitem", "typed_getitem"):
        if isinstance(info.type_of(stmt.target.name), types.Array):
            return not info.writes_arrays     # a view: the same memory every time
        if value.value.name in info.read_only:
            return True     # an element of memory nobody changes: read it again
        return isinstance(info.type_of(value.value.name), types.BaseTuple)
    if value.op == "call":
        fn = info.callee(value)
        return not is_differentiable_callee(fn) and \
            not (tape_costly and fn in COSTLY_CALLS) and \
            (rule_for(fn) is not None or fn in PURE_CALLS)
    if value.op == "getattr":
        return info.constant(stmt.target.name)[0]
    return False


def _calls_pow(info, exponent):
    """Whether ``x ** exponent`` is a call of pow: a float exponent other than a
    constant whole number (LLVM turns those into multiplications)."""
    if not isinstance(info.type_of(exponent.name), types.Float):
        return False
    known, value = info.constant(exponent.name)
    return not (known and float(value).is_integer())


def _is_iter(t):
    return isinstance(t, (types.RangeIteratorType, types.RangeType, types.Pair))


# ---------------------------------------------------------------- activity

class Activity:
    """Which variables carry a derivative: varied by the inputs and useful to the output."""

    def __init__(self, info, wrt, output_vars, forward=False):
        self.info = info
        assigns = [(label, stmt) for label in info.labels
                   for stmt in info.blocks[label].body if kind(stmt) == "Assign"]
        deps = {stmt.target.name: stmt_deps(info, stmt) for _, stmt in assigns}
        floaty = {name: bool(float_leaves(t)) or float_leaves(t) is None
                  for name, t in info.typemap.items()}

        for name in info.tapes:
            floaty[name] = True     # a float tape's address stands for its memory
        varied = {info.arg_vars[i] for i in wrt if i in info.arg_vars}
        stores = memory_writes(info)
        family = info.family_of
        changed = True
        while changed:
            changed = False
            for memory, value in stores:    # a varied value written into memory varies it
                if value in varied and memory not in varied:
                    varied |= family(memory)
                    changed = True
            for name in list(varied):
                if not family(name) <= varied:
                    varied |= family(name)
                    changed = True
            for _, stmt in assigns:
                name = stmt.target.name
                if name in varied or not floaty.get(name) or name in info.tapes:
                    continue        # (a tape varies through what is stored on it)
                d = deps[name]
                operands = d if d is not None else [v.name for v in stmt.value.list_vars()]
                if any(o in varied for o in operands):
                    varied.add(name)
                    changed = True

        useful = set(output_vars)
        work = list(useful)
        while work:
            name = work.pop()
            more = list(deps.get(name) or []) + list(family(name))
            if isinstance(info.type_of(name), types.Array) or name in info.tapes:
                # what was written into useful memory is useful
                more += [value for memory, value in stores if memory in family(name)]
            for o in more:
                if o not in useful:
                    useful.add(o)
                    work.append(o)

        for label in info.labels:
            for stmt in info.blocks[label].body:
                _refuse_opaque_writes(info, stmt, varied, useful)
                _refuse_lost_derivatives(info, stmt, varied, deps, forward)

        self.active = {n for n in varied & useful if floaty.get(n)}
        self.roles = {}
        for name in sorted(self.active):
            # (forward mode needs no adjoint roles: tangents mirror every write)
            if not forward and is_float_array(info.type_of(name)) and self.role(name) is None:
                raise not_differentiable(_unsupported_array(info, name), info.defs[name][1].loc)
        for _, stmt in assigns:
            name = stmt.target.name
            if name in self.active:
                if deps[name] is None:
                    raise not_differentiable(_describe(info, stmt), stmt.loc)
                if not forward and float_leaves(info.type_of(name)) is None:
                    raise not_differentiable("a nested tuple or container of floats",
                                             stmt.loc)

    def __contains__(self, name):
        return name in self.active

    def role(self, name):
        """How the reverse sweep keeps the adjoint of active array ``name``.

        "memory": an argument (one adjoint array for the whole call); "alias":
        shares the adjoint of the array it names; "view": a view of another
        array's adjoint; "buffer": a fresh array later written in place (its
        adjoint is allocated with it); "ref": a loop phi naming different
        written arrays in different iterations (double buffering ``u, v = v, u``,
        or ``u = v`` with ``v`` allocated in the loop): its adjoint variable
        follows the primal, naming the adjoint of the array it names; "value":
        an array nobody writes, such as ``a * b`` (adjoint allocated on first
        use, so one per loop iteration costs nothing until needed); None:
        unsupported.
        """
        if name not in self.roles:
            self.roles[name] = self._role(name)
        return self.roles[name]

    def _role(self, name):
        info = self.info
        label, stmt = info.defs[name]
        value = stmt.value
        if kind(value) == "Arg":
            return "memory"
        if info.alias_root(name) != name:
            return "alias"
        written = name not in info.read_only
        if kind(value) == "Expr" and value.op == "getitem" and \
                fancy_index(info, value.index.name):
            # a gather (a copy): its own adjoint, scattered back (``_scatter_add``) at
            # the indices it was made with (an index array written later is refused)
            gather = gathers(info, value.index.name) and self.role(value.value.name) \
                and value.index.name in info.read_only
            return "value" if gather and not written else None
        if kind(value) == "Expr" and value.op in ("getitem", "static_getitem"):
            # (a view of a copy of a value, ``w, v = eigh(a); v[:, 1]``, is a value: the
            # copy is an alias, whose adjoint is its value's, allocated on first use)
            base = self.role(info.alias_root(value.value.name))
            return "value" if base == "value" else "view" if base else None
        if written and _aliased(info, value) is not None and kind(value) == "Expr":
            # a view made by a function (``u.reshape(...)``): its adjoint is its own, added
            # to its argument's by the function's rule, right only where no write comes
            # between (the reverse sweep undoes a write with its array's adjoint complete)
            return "buffer" if read_before_any_write(info, name) else None
        if written:
            if kind(value) == "Expr" and value.op == "phi":
                return "ref"
            fresh = kind(value) == "Expr" and value.op in ("call", "binop", "unary")
            return "buffer" if fresh else None
        return "value"


# Calls that add a value into an array element in place (``cuda.atomic.add(a, i, v)``):
# function -> positions of its (array, index, value) arguments. A target registers its own.
ACCUMULATING_CALLS = {}


def accumulation(info, stmt):
    """(array, index, value) variables of a call in ACCUMULATING_CALLS, else None."""
    if not (kind(stmt) == "Assign" and kind(stmt.value) == "Expr" and stmt.value.op == "call"):
        return None
    ok, fn = info.constant(stmt.value.func.name)
    positions = ACCUMULATING_CALLS.get(fn) if ok and callable(fn) else None
    if positions is None or len(stmt.value.args) != 3:
        return None
    return tuple(stmt.value.args[p] for p in positions)


def memory_writes(info):
    """(memory variable, value variable) of every store: into arrays, onto tapes (float
    tapes, typed Lists), by helpers that add into an array."""
    out = []
    for label in info.labels:
        for stmt in info.blocks[label].body:
            if kind(stmt) in ("SetItem", "StaticSetItem"):
                out.append((stmt.target.name, stmt.value.name))
            elif accumulation(info, stmt) is not None:
                array, _, value = accumulation(info, stmt)
                out.append((array.name, value.name))
            elif kind(stmt) == "Assign" and tape_op(info, stmt.value) == "store":
                out.append((stmt.value.args[0].name, stmt.value.args[2].name))
            elif kind(stmt) == "Assign" and is_fill(info, stmt.value):
                out.append((method_receiver(info, stmt.value).name, stmt.value.args[0].name))
            elif kind(stmt) == "Assign" and (list_method(info, stmt.value) or (0, 0))[1] == \
                    "append":
                out.append((list_method(info, stmt.value)[0].name, stmt.value.args[0].name))
            elif kind(stmt) == "Assign" and kind(stmt.value) == "Expr" and \
                    stmt.value.op == "call":
                rule = linear_rule_for(info.callee(stmt.value))
                if rule is not None and rule.updates is not None:
                    args = stmt.value.args
                    out += [(args[rule.updates].name, args[i].name) for i in rule.linear
                            if i != rule.updates]
    return out


def _refuse_opaque_writes(info, stmt, varied, useful):
    """A call without a rule that may write into an array it is given (a stencil or a
    ``@vectorize`` function given ``out=``, a ``@guvectorize`` function, ``np.copyto``)
    changes that array out of the transforms' sight: refuse it where what it is given
    carries a derivative and what it may write is used later (its derivative would be
    lost, silently)."""
    if not (kind(stmt) == "Assign" and kind(stmt.value) == "Expr" and
            stmt.value.op == "call") or list_method(info, stmt.value) or \
            is_fill(info, stmt.value) or accumulation(info, stmt) is not None or \
            _numbad_own_call(info.callee(stmt.value)) or \
            is_differentiable_callee(info.callee(stmt.value)):
        return      # (a list's ``append`` keeps the array; ``a.fill(x)``, atomic adds,
        #            numbad's helpers and derivatives write by their rules: memory_writes;
        #            the user's @njit callees are inlined or refused by name, below)
    _, lost = _arrays_changed_by(info, stmt)
    if any(v.name in varied for v in call_inputs(info, stmt.value)) and \
            any(info.family_of(name) & useful for name in lost):
        raise not_differentiable(
            "%s, which may write into the array%s %s it is given: a derivative would "
            "pass through it unseen (give it a rule with numbad.custom_vjp)" % (
                _describe_call(info, stmt.value), "s" * (len(lost) > 1),
                ", ".join("`%s`" % source_name(info, name) for name in lost)), stmt.loc)


def source_name(info, name):
    """The user's name for variable ``name`` (``$66call.9`` and ``out.2`` as ``out``)."""
    return name.split(".")[0].lstrip("$")


def _describe_call(info, value):
    """``a call to numpy.copyto`` (the callee as the user knows it)."""
    fn = info.callee(value)
    receiver = method_receiver(info, value)
    if receiver is not None:
        return "the array method %s" % info.defs[value.func.name][1].value.attr
    if fn is None:
        t = info.type_of(value.func.name)
        if isinstance(getattr(t, "this", None), types.List):
            return ("the list method %s (numbad follows a list of numbers that is only "
                    "read, or that a loop appends to and np.array(...) then takes whole)"
                    % t.typing_key.split(".")[-1])
        return "a call to %s (a method or function value; no derivative rule)" % t
    if fn is empty_inferred:
        return ("np.array of a nested list comprehension (write it as loops filling an "
                "np.empty array)")
    if getattr(fn, "__qualname__", None) is None:   # (a stencil: an object of Numba's)
        fn = getattr(getattr(getattr(fn, "kernel_ir", None), "func_id", None), "func", fn)
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", type(fn).__name__)
    mod = getattr(fn, "__module__", None)
    return "a call to %s%s" % (mod + "." if mod else "", name)


def _refuse_lost_derivatives(info, stmt, varied, deps, forward):
    """A varied value must not vanish into a container or an opaque call unnoticed."""
    k = kind(stmt)
    if k in ("SetItem", "StaticSetItem") and (stmt.value.name in varied
                                              or stmt.target.name in varied):
        stored = info.type_of(stmt.value.name)
        if not (is_float_array(info.type_of(stmt.target.name)) and (
                float_leaves(stored) == [None] or  # (a number, ``d[i] = 0``: a constant)
                isinstance(stored, (types.Integer, types.Boolean)))):
            raise not_differentiable("writing %s into a %s" % (
                info.type_of(stmt.value.name), info.type_of(stmt.target.name)), stmt.loc)
        if not forward and k == "SetItem" and fancy_index(info, stmt.index.name) and \
                not scattered_store(info, stmt):
            raise not_differentiable(FANCY % "writing into", stmt.loc)
    if k != "Assign":
        return
    if kind(stmt.value) == "Expr" and stmt.value.op == "call":
        check_callee(info, stmt.value)
        _refuse_argument_updates(info, stmt.value, varied)
        fn, _ = operation(info, stmt.value)
        receiver = method_receiver(info, stmt.value)
        fill = forward and is_fill(info, stmt.value)     # forward mode fills the tangent
        method = info.defs[stmt.value.func.name][1].value.attr if receiver else None
        if fn is None and receiver is not None and receiver.name in varied and not fill \
                and (method in WRITING_METHODS or _has_float(info.type_of(stmt.target.name))):
            # (a method giving integers, ``a.argmin()``, has nothing to differentiate)
            raise not_differentiable("the array method %s (no derivative rule)"
                                     % info.defs[stmt.value.func.name][1].value.attr,
                                     stmt.loc)
        method = info.defs.get(stmt.value.func.name, (None, None))[1]
        method = method.value if method is not None else None
        if fn is None and kind(method) == "Expr" and method.op == "getattr" and \
                method.value.name in varied and \
                isinstance(info.type_of(method.value.name), types.Number):
            # (a number's method, ``x.item()``: its bound method has no float type, so
            # the derivative would vanish through it unseen)
            raise not_differentiable("the method %s of a %s (no derivative rule)" % (
                method.attr, info.type_of(method.value.name)), stmt.loc)
    name = stmt.target.name
    d = deps[name]
    operands = d if d is not None else [v.name for v in stmt.value.list_vars()]
    t = info.type_of(name)
    if any(o in varied for o in operands) and _has_float(t) and float_leaves(t) == []:
        raise not_differentiable("%s: a differentiated value flows into a %s"
                                 % (_describe(info, stmt), t), stmt.loc)


def _unsupported_array(info, name):
    """Why active array ``name`` has no adjoint role."""
    label, stmt = info.defs[name]
    value = stmt.value
    if kind(value) == "Expr" and value.op == "getitem" and \
            fancy_index(info, value.index.name):
        return FANCY % "reading"
    if kind(value) == "Expr" and value.op in ("getitem", "static_getitem"):
        return _unsupported_array(info, value.value.name)
    if _aliased(info, value) is not None and kind(value) == "Expr":
        what = value.attr if value.op == "getattr" else \
            info.defs[value.func.name][1].value.attr if method_receiver(info, value) \
            else callee_name(info.callee(value))
        return ("an array made by `%s`, which may share memory with an array written in "
                "place while it is in use (numbad follows such memory through indexing and "
                "slicing only)" % what)
    return "an array written in place that is made by %s" % _describe(info, stmt)


FANCY = ("%s an array at an array of indices or a mask (`u[idx]`, `u[mask]`): reverse "
         "mode differentiates reads and writes by one 1-D array of integers or one mask of "
         "the array's shape, neither written in place, and reads whose result is not "
         "written into; index element by element in a loop")


def gathers(info, index):
    """Whether arrays indexed by ``index`` give a gather numbad differentiates: a 1-D
    array of integers or a boolean mask."""
    t = info.type_of(index)
    return isinstance(t, types.Array) and (isinstance(t.dtype, types.Boolean) or
                                           isinstance(t.dtype, types.Integer) and t.ndim == 1)


def scattered_store(info, stmt):
    """Whether store ``stmt`` writes at an array of indices reverse mode follows: one
    1-D array of integers (rows of a 2-D array), or a mask of the array's shape, not
    written in place (the reverse sweep reads it again)."""
    t, target = info.type_of(stmt.index.name), info.type_of(stmt.target.name)
    return gathers(info, stmt.index.name) and stmt.index.name in info.read_only and (
        isinstance(t.dtype, types.Integer) or t.ndim == target.ndim)


def fancy_index(info, index):
    """Whether variable ``index`` indexes an array by arrays (NumPy's advanced indexing:
    the result is a copy, not a view)."""
    t = info.type_of(index)
    return isinstance(t, types.Array) and t.ndim > 0 or isinstance(
        t, types.BaseTuple) and any(isinstance(e, types.Array) and e.ndim > 0 for e in t.types)


def _describe(info, stmt):
    value = stmt.value
    if kind(value) == "Expr" and value.op == "call":
        ok, fn = info.constant(value.func.name)
        if not ok:
            return _describe_call(info, value)
        if is_differentiable_callee(fn) and (value.kws or len(value.args) != len(
                call_arg_types(info, value))):
            return ("a call to %s with keyword or default arguments (pass every argument "
                    "positionally)" % callee_name(fn))
        if is_differentiable_callee(fn) and isinstance(info.type_of(stmt.target.name),
                                                       types.Generator):
            return ("a call to %s, a generator function (numbad differentiates functions "
                    "that return their results; collect what it yields in an array)"
                    % callee_name(fn))
        if is_differentiable_callee(fn):
            return ("a call to %s that returns %s (differentiated callees return floats "
                    "or float arrays)"
                    % (callee_name(fn), info.type_of(stmt.target.name)))
        return "%s (no derivative rule)" % _describe_call(info, value)
    if kind(value) == "Expr":
        if value.op in ("binop", "inplace_binop", "unary"):
            return "the operator %r on %s" % (
                getattr(value.fn, "__name__", value.fn),
                ", ".join(str(info.type_of(v.name)) for v in value.list_vars()))
        return "the expression %r (%s)" % (value.op, value)
    return "the statement %s" % stmt
