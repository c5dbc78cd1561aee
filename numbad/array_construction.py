"""Arrays built from parts: ``np.array([x, y, z])``, ``np.concatenate((a, b))``,
``np.stack((a, b))``, ``np.concatenate(..., axis=1)`` (and ``np.hstack`` /
``np.vstack`` where they mean one of those).

The parts travel in a list or tuple, a container numbad does not follow; the call
is rewritten as a call to numbad's own function of the parts themselves
(``array_of(x, y, z)``, ``concatenate(a, b)``, ``stack(a, b)``), whose array rules
(rules.py) give each part its slice of the result's adjoint. The container is
dropped when nothing else uses it. Runs on the typed IR and types the function
again with Numba's own type inference, as ufunc_outputs.py does.
"""
import numba
import numpy as np
from numba.core import ir, types
from numba.np.numpy_support import as_dtype
from numba.np.unsafe.ndarray import empty_inferred

from .retyping import StatementMaker, drop_unused_definitions, type_again


@numba.njit
def array_of(*items):
    """``np.array([x, y, ...])`` of numbers."""
    return np.array(items)


@numba.njit
def concatenate(*arrays):
    """``np.concatenate((a, b, ...))`` along the first axis."""
    return np.concatenate(arrays)


@numba.njit
def concatenate_columns(*arrays):
    """``np.concatenate((a, b, ...), axis=1)`` (``np.hstack`` of 2-D arrays)."""
    return np.concatenate(arrays, axis=1)


@numba.njit
def stack(*arrays):
    """``np.stack((a, b, ...))`` along a new first axis."""
    return np.stack(arrays)


def build_arrays_from_parts(state):
    """Rewrite the array constructions of ``state.func_ir`` from lists or tuples of
    parts and type it again; False (and ``state`` untouched) when it has none."""
    defs = {stmt.target.name: stmt.value for block in state.func_ir.blocks.values()
            for stmt in block.body if isinstance(stmt, ir.Assign)}
    rewritten = set()
    for block in state.func_ir.blocks.values():
        for stmt in list(block.body):       # (a copy: statements go in before stmt)
            found = _construction(state.typemap, defs, stmt)
            if found is None:
                continue
            builder, parts, containers = found
            new = StatementMaker(block, block.body.index(stmt))
            if builder is stack and not isinstance(parts[0], ir.Var):   # rows of numbers
                parts = [new("$row", new.call(array_of, *row)) for row in parts]
            stmt.value = new.call(builder, *parts)
            rewritten |= containers
    for block in state.func_ir.blocks.values():
        for stmt in block.body:
            if _inferred_empty(state, stmt):
                new = StatementMaker(block, block.body.index(stmt))
                dtype = as_dtype(state.typemap[stmt.target.name].dtype).type
                stmt.value = new.call(np.empty, stmt.value.args[0], new(
                    "$dtype", ir.Global(dtype.__name__, dtype, stmt.loc)))
                rewritten.add(stmt.target.name)
            calls = _read_only_list_of_numbers(state, stmt)   # ``vals = [a, 4.0, b]``
            if calls is not None:
                new = StatementMaker(block, block.body.index(stmt))
                stmt.value = new.call(array_of, *stmt.value.items)
                for call, fn in calls:      # ``sum(vals)`` as ``np.sum(vals)``
                    call.func = new("$" + fn.__name__, ir.Global(fn.__name__, fn, stmt.loc))
                rewritten.add(stmt.target.name)
    if not rewritten:
        return False
    drop_unused_definitions(state.func_ir, rewritten)
    type_again(state)
    return True


def _construction(typemap, defs, stmt):
    """(numbad's builder, its arguments, the container variables it makes unused) when
    ``stmt`` builds an array from a list or tuple of parts built in the function, else
    None. ``np.array`` of rows of numbers (``[[a, b], [c, d]]``) stacks rows, its
    arguments then the rows' items."""
    value = stmt.value if isinstance(stmt, ir.Assign) else None
    if not (isinstance(value, ir.Expr) and value.op == "call" and len(value.args) == 1):
        return None
    fn = getattr(typemap.get(value.func.name), "typing_key", None)
    built = _container(defs, value.args[0].name)
    if built is None:
        return None
    parts, containers = built

    def numbers(vs):
        return all(isinstance(typemap.get(v.name), types.Number) for v in vs)
    if fn in (np.array, np.asarray):
        rows = [_container(defs, v.name) for v in parts]
        if numbers(parts):
            found, items = (array_of, parts, containers), parts
        elif all(r is not None and len(r[0]) == len(rows[0][0]) and numbers(r[0])
                 for r in rows):
            found = stack, [r[0] for r in rows], containers.union(*(r[1] for r in rows))
            items = [v for r in rows for v in r[0]]
        else:
            return None
        return found if _keywords_change_nothing(typemap, stmt, items) else None
    kinds = [typemap.get(v.name) for v in parts]
    if not all(isinstance(t, types.Array) and t.ndim == kinds[0].ndim for t in kinds):
        return None
    ndim = kinds[0].ndim
    axis = _axis(defs, value.kws, ndim)
    if axis == 1 and (fn is np.concatenate or fn is np.hstack and ndim >= 2 and
                      not value.kws):
        return concatenate_columns, parts, containers
    if value.kws:
        return None
    if fn is np.concatenate or fn is np.hstack and ndim == 1 or \
            fn is np.vstack and ndim >= 2:
        return concatenate, parts, containers
    if fn is np.stack or fn is np.vstack and ndim == 1:
        return stack, parts, containers
    return None


def _inferred_empty(state, stmt):
    """Whether ``stmt`` allocates the array that Numba makes of a list appended to in a
    loop and then given to ``np.array`` (``out = []``, ``out.append(x)``,
    ``np.array(out)``): an ``empty_inferred`` intrinsic, written as the ``np.empty``
    of its dtype (numbad's allocations)."""
    value = stmt.value if isinstance(stmt, ir.Assign) else None
    if not (isinstance(value, ir.Expr) and value.op == "call"):
        return False
    try:
        fn = state.func_ir.get_definition(value.func)
    except KeyError:        # (a call made by this rewrite)
        return False
    # (Numba fills the array of a nested comprehension through views of its rows in
    # inlined closures, which the transforms do not yet differentiate: refused by name.)
    return isinstance(fn, ir.Global) and fn.value is empty_inferred and \
        state.typemap[stmt.target.name].ndim == 1


def _read_only_list_of_numbers(state, stmt):
    """The calls of builtins to point at NumPy (``sum(vals)`` at ``np.sum``) when ``stmt``
    builds a list of numbers that the function only reads: indexes, iterates over, takes
    the length, sum, maximum or minimum of, or makes an array of; else None. Such a
    list is an array of its items (``array_of``), which array rules follow; a list that
    is appended to, written or passed on stays a list."""
    value = stmt.value if isinstance(stmt, ir.Assign) else None
    if not (isinstance(value, ir.Expr) and value.op == "build_list" and value.items and
            isinstance(state.typemap.get(stmt.target.name), types.List) and all(
                isinstance(state.typemap.get(v.name), types.Number) for v in value.items)):
        return None
    name, calls = stmt.target.name, []
    for block in state.func_ir.blocks.values():
        for other in block.body:
            if other is stmt or name not in {v.name for v in other.list_vars()}:
                continue
            use = other.value if isinstance(other, ir.Assign) else None
            if isinstance(use, ir.Expr) and use.op == "call" and not use.kws and \
                    [v.name for v in use.args] == [name]:
                fn = getattr(state.typemap.get(use.func.name), "typing_key", None)
                if fn not in _READING_CALLS:
                    return None
                if _READING_CALLS[fn] is not None:
                    calls.append((use, _READING_CALLS[fn]))
            elif not (isinstance(use, ir.Expr) and (
                    use.op == "getiter" and use.value.name == name or
                    use.op in ("getitem", "static_getitem") and use.value.name == name and
                    getattr(use.index, "name", None) != name)):
                return None
    return calls


# What a list's reader calls become once the list is an array (None: the same call).
_READING_CALLS = {len: None, np.array: None, np.asarray: None, sum: np.sum, max: np.max,
                  min: np.min}


def _axis(defs, kws, ndim):
    """The axis ``kws`` give (``axis=1``; counted from the end when negative), 1 when
    none are given to arrays of two or more axes (``np.hstack``), else None."""
    if not kws:
        return 1 if ndim >= 2 else None
    given = defs.get(kws[0][1].name) if len(kws) == 1 and kws[0][0] == "axis" else None
    if not (isinstance(given, ir.Const) and isinstance(given.value, int)):
        return None
    return given.value % ndim if -ndim <= given.value < ndim else None


def _container(defs, name):
    """(items, the names on the way) of the list or tuple variable ``name`` is built as
    in the function (through plain copies, ``parts = [x, y]``), else None."""
    names = {name}
    while isinstance(defs.get(name), ir.Var):
        name = defs[name].name
        names.add(name)
    built = defs.get(name)
    if isinstance(built, ir.Expr) and built.op in ("build_list", "build_tuple") and \
            built.items:
        return list(built.items), names
    return None


def _keywords_change_nothing(typemap, stmt, items):
    """Whether ``np.array(parts, ...)`` has no keywords, or only a dtype that makes the
    array its number ``items`` make anyway (``dtype=np.float64`` of floats)."""
    call = stmt.value
    if not call.kws:
        return True
    dtype = typemap.get(call.kws[0][1].name)
    made = typemap.get(stmt.target.name)
    return len(call.kws) == 1 and call.kws[0][0] == "dtype" and \
        isinstance(made, types.Array) and getattr(dtype, "dtype", None) == made.dtype and \
        all(typemap.get(v.name) == made.dtype for v in items)

