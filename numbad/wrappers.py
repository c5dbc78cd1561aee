"""Functions numbad writes around the user's, so that the transforms see what they
know: a pairing, a selector, a call with the defaults filled in.

VJPs of functions whose results are tuples holding arrays (``return call, put``) are
gradients of a pairing: ``f``'s result paired with a cotangent of its shape,
``sum_k <out_k, cot_k>``, is a float whose gradient is ``f``'s VJP at that cotangent.
The pairing calls ``f``; numbad inlines calls returning tuples holding arrays, so the
reverse sweep sees ``f``'s own code. The cotangent's leaves (floats and float
arrays; integers have none) are arguments of the pairing. A selector picks one
result (``jacobian``: a block per result). A function called with fewer arguments
than it has parameters (the rest have defaults) is differentiated as a function of
those it is given that calls it (numbad inlines calls relying on defaults). A callee
taking ``*args`` is written again for the number of arguments a call gives it.
"""
import ast
import inspect
import textwrap

import numba
import numpy as np

_PAIRINGS = {}


def leaves(value, path=()):
    """(path, leaf) of each float or float array in nested tuple ``value``."""
    if isinstance(value, tuple):
        return [pair for i, item in enumerate(value) for pair in leaves(item, path + (i,))]
    if isinstance(value, np.ndarray) and value.dtype.kind == "f" or \
            isinstance(value, (float, np.floating)):
        return [(path, value)]
    return []


def holds_arrays(value):
    """Whether ``value`` is a tuple with an array somewhere inside."""
    return isinstance(value, tuple) and any(
        isinstance(leaf, np.ndarray) for _, leaf in leaves(value))


def pairing(dispatcher, nargs, out):
    """A Python function ``(*args, *cotangent leaves) -> sum_k <f(*args)_k, c_k>`` for
    results shaped like ``out`` (one per function and shape of result)."""
    paths = [(path, isinstance(leaf, np.ndarray)) for path, leaf in leaves(out)]
    key = (dispatcher, nargs, tuple(paths))
    if key not in _PAIRINGS:
        args = ["a%d" % i for i in range(nargs)]
        cots = ["c%d" % k for k in range(len(paths))]
        terms = [("np.sum(out%s * %s)" if is_array else "out%s * %s") % (
            "".join("[%d]" % i for i in path), c) for (path, is_array), c in zip(paths, cots)]
        name = "pairing_%s" % getattr(dispatcher, "__name__", "f")
        source = "def %s(%s):\n    out = f(%s)\n    return %s\n" % (
            name, ", ".join(args + cots), ", ".join(args), " + ".join(terms) or "0.0")
        ns = {"f": dispatcher, "np": np}
        exec(source, ns)
        _PAIRINGS[key] = ns[name]
    return _PAIRINGS[key]


def selector(dispatcher, nargs, path):
    """A Python function ``(*args) -> f(*args)[i][j]...`` picking the result at ``path``
    (``jacobian`` of a function returning a tuple: one block per result)."""
    key = (dispatcher, nargs, path)
    if key not in _PAIRINGS:
        args = ", ".join("a%d" % i for i in range(nargs))
        name = "result%s_of_%s" % ("_".join(str(i) for i in path),
                                   getattr(dispatcher, "__name__", "f"))
        ns = {"f": dispatcher}
        exec("def %s(%s):\n    return f(%s)%s\n" % (
            name, args, args, "".join("[%d]" % i for i in path)), ns)
        _PAIRINGS[key] = ns[name]
    return _PAIRINGS[key]


def rebuild(value, make, path=()):
    """``value``'s nested tuple structure with each float leaf as ``make(path)`` and
    every other leaf None."""
    if isinstance(value, tuple):
        return tuple(rebuild(item, make, path + (i,)) for i, item in enumerate(value))
    if leaves(value):
        return make(path)
    return None


def with_defaults(f, nargs):
    """``f`` itself when it takes ``nargs`` positional arguments, else a Python function
    of ``nargs`` arguments calling it (its other parameters take their defaults)."""
    py_func = getattr(f, "py_func", f)
    if not inspect.isfunction(py_func):
        return f
    code = py_func.__code__
    if code.co_flags & inspect.CO_VARARGS or code.co_argcount <= nargs or \
            code.co_argcount - nargs > len(py_func.__defaults__ or ()):
        return f
    key = ("defaults", f, nargs)
    if key not in _PAIRINGS:
        args = ", ".join(code.co_varnames[:nargs])
        ns = {"f": f if hasattr(f, "py_func") else numba.njit(f)}
        exec("def %s(%s):\n    return f(%s)\n" % (py_func.__name__, args, args), ns)
        _PAIRINGS[key] = ns[py_func.__name__]
    return _PAIRINGS[key]


def fixed_arity(py_func, nargs):
    """``py_func`` (taking ``*args``) written for calls with ``nargs`` positional
    arguments: ``def f(x, *args)`` as ``def f(x, args_0, args_1): args = (args_0,
    args_1); ...`` (Numba's inliner takes no ``*args``). None when its source cannot
    be read."""
    key = ("arity", py_func, nargs)
    if key not in _PAIRINGS:
        def fix(definition):
            if not isinstance(definition, ast.FunctionDef) or \
                    definition.args.vararg is None or definition.args.kwonlyargs or \
                    definition.args.kwarg:
                return False
            star = definition.args.vararg.arg
            extra = ["%s_%d" % (star, k) for k in range(nargs - len(definition.args.args))]
            definition.args.vararg = None
            definition.args.args += [ast.arg(name) for name in extra]
            definition.args.defaults = []       # (every argument is given)
            definition.body.insert(0, ast.parse("%s = (%s)" % (
                star, "".join(name + ", " for name in extra))).body[0])
            return True
        _PAIRINGS[key] = rewritten(py_func, fix)
    return _PAIRINGS[key]


def rewritten(py_func, edit):
    """``py_func`` compiled again from its source once ``edit(definition)`` has changed
    its ``ast.FunctionDef`` (decorators dropped; ``edit`` returns False to give up),
    with its globals and closure; its code keeps the source's file and lines, for
    error messages. None when the source cannot be read or ``edit`` gave up."""
    try:
        lines, first = inspect.getsourcelines(py_func)
    except (OSError, TypeError):
        return None
    tree = ast.parse(textwrap.dedent("".join(lines)))
    definition = tree.body[0]
    if not edit(definition):
        return None
    definition.decorator_list = []
    ast.fix_missing_locations(tree)
    ast.increment_lineno(tree, first - 1)
    ns = dict(py_func.__globals__)
    for name, cell in zip(py_func.__code__.co_freevars, py_func.__closure__ or ()):
        ns[name] = cell.cell_contents
    exec(compile(tree, inspect.getsourcefile(py_func) or "<numbad>", "exec"), ns)
    return ns[definition.name]
