"""What a derivative depends on, as one string: the keys of the persistent cache.

A derivative of ``f`` is a function of ``f``'s code and of everything that code
reads: its constants, defaults and closure values, the globals it names, and, of
those, the functions it calls -- transitively, also in other modules (a callee
edited in another file must not find the old derivative; Numba's own cache keys
a function by its file alone and misses this). ``value_key`` spells each such
value; a value it cannot spell (an object of unknown kind) makes the derivative
uncachable: ``None``, never a key that might match a different program.
"""
import functools
import hashlib
import os
import platform
import sys
import types as pytypes

import llvmlite
import numba
import numpy as np
from llvmlite import binding as llvm
from numba.core import types as nbtypes
from numba.core.dispatcher import Dispatcher

FORMAT = 1      # bump when what an entry holds changes


class Uncachable(Exception):
    """A value in the closure of the function that has no stable spelling."""


def derivative_key(mode, func, arg_types, wrt, variant):
    """The hex key of the derivative ``mode`` of ``func`` for ``arg_types`` w.r.t.
    ``wrt`` with ``variant`` (checkpointing options or batch width), or None when
    something it depends on cannot be spelled."""
    try:
        body = value_key(func, set())
    except Uncachable:
        return None
    parts = (FORMAT, _environment(), mode, body, tuple(t.name for t in arg_types),
             tuple(wrt), repr(variant))
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def value_key(value, seen):
    """A string (or nested tuple of strings) that names ``value``'s content; functions
    are spelled by their code and what it reads, each once (``seen``: ids on the way,
    for functions that call each other)."""
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
        return repr(value)
    if isinstance(value, (tuple, list, frozenset, set)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return (type(value).__name__,) + tuple(value_key(v, seen) for v in items)
    if isinstance(value, dict):
        return ("dict",) + tuple((repr(k), value_key(v, seen)) for k, v in
                                 sorted(value.items(), key=lambda kv: repr(kv[0])))
    if isinstance(value, np.ndarray):
        return ("ndarray", value.dtype.str, value.shape,
                hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest())
    if isinstance(value, np.generic):
        return ("scalar", value.dtype.str, repr(value.item()))
    if isinstance(value, pytypes.ModuleType):
        return ("module", value.__name__)
    if isinstance(value, nbtypes.Type):
        return ("numba type", value.name)
    if id(value) in seen:
        return ("seen", _qualified(value))
    seen.add(id(value))
    init = getattr(value, "_init_args", None)
    if init is not None:        # numbad's derivative objects: what made them
        return (_qualified(type(value)), value_key(init, seen))
    if _module_of(type(value)) == "numbad" and not isinstance(value, (
            pytypes.FunctionType, Dispatcher)):     # custom rules: what they hold
        return (_qualified(type(value)), value_key(
            {k: v for k, v in vars(value).items() if not k.startswith("__")}, seen))
    py_func = value.py_func if isinstance(value, Dispatcher) else value
    if isinstance(py_func, pytypes.FunctionType) and \
            _module_of(py_func) not in _STABLE_MODULES:
        options = repr(sorted(value.targetoptions.items(), key=repr)) if \
            py_func is not value else ""
        return ("function", options, _function_key(py_func, seen))
    inner = _wrapped_function(value)
    if inner is not None and _module_of(inner) not in _STABLE_MODULES:
        return (type(value).__name__, value_key(inner, seen))   # @vectorize, @stencil
    if isinstance(value, type) or _module_of(value) in _STABLE_MODULES and (
            isinstance(value, (pytypes.BuiltinFunctionType, np.ufunc, pytypes.FunctionType,
                               Dispatcher)) or _module_of(type(value)) == "numpy"):
        return ("named", _qualified(value), repr(getattr(value, "_fields", "")))
    raise Uncachable(type(value))


def _module_of(value):
    """The top-level package ``value`` was defined in ("" when none says)."""
    module = value.__name__ if isinstance(value, pytypes.ModuleType) else \
        getattr(value, "__module__", None)
    if not isinstance(module, str) and not isinstance(value, (
            pytypes.FunctionType, Dispatcher)):     # (a function exec'd without __name__)
        module = type(value).__module__
    return (module or "").split(".")[0]


# Packages whose callables are named, not read: their code is in the versions keyed
# (numbad's own: its source is hashed).
_STABLE_MODULES = {"numpy", "math", "numba", "numbad", "builtins", "cmath", "operator",
                   "_operator", "scipy"}


def _function_key(fn, seen):
    """A Python function: its code, defaults, closure, and the globals its code names
    (for a module, the module's attributes that the code names too: ``ne.kmeans``)."""
    made = fn.__globals__.get("__numbad_key__")
    if made is not None:        # numbad's generated code: the key it was made for
        return ("derivative", made)
    code = fn.__code__
    names = _names(code)
    reads = {}
    for name in sorted(names):
        if name in fn.__globals__:
            _read(name, fn.__globals__[name], names, reads, seen)
    closure = tuple(value_key(c.cell_contents, seen) for c in fn.__closure__ or ())
    return ("function", fn.__module__, fn.__qualname__, _code_key(code),
            value_key(fn.__defaults__, seen), value_key(fn.__kwdefaults__, seen),
            closure, tuple(sorted(reads.items())))


def _read(path, value, names, reads, seen):
    """Key ``value`` that code reads as ``path``; of a module of the user's, also the
    attributes the code names (``ne.kmeans``, ``pkg.sub.f``)."""
    reads[path] = value_key(value, seen)
    if isinstance(value, pytypes.ModuleType) and id(value) not in seen and \
            _module_of(value) not in _STABLE_MODULES:
        seen.add(id(value))
        for attr in sorted(names):
            if hasattr(value, attr):
                _read(path + "." + attr, getattr(value, attr), names, reads, seen)


def _code_key(code):
    consts = tuple(_code_key(c) if isinstance(c, pytypes.CodeType) else
                   repr(sorted(map(repr, c))) if isinstance(c, frozenset) else repr(c)
                   for c in code.co_consts)     # (``x in {"a", "b"}``: in any order)
    return (code.co_code.hex(), consts, code.co_names, code.co_varnames,
            code.co_argcount, code.co_kwonlyargcount, code.co_flags)


def _names(code):
    """Every global or attribute name that ``code`` and the code nested in it use."""
    names = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, pytypes.CodeType):
            names |= _names(c)
    return names


def _wrapped_function(value):
    """The Python kernel of a Numba ``@vectorize`` or ``@stencil`` object, else None."""
    for path in (("py_func",), ("_dispatcher", "py_func"), ("kernel_ir", "func_id", "func")):
        obj = value
        for attr in path:
            obj = getattr(obj, attr, None)
        if isinstance(obj, pytypes.FunctionType):
            return obj
    return None


def _qualified(value):
    return "%s.%s" % (getattr(value, "__module__", None) or type(value).__module__,
                      getattr(value, "__qualname__", None) or getattr(
                          value, "__name__", None) or type(value).__qualname__)


@functools.cache
def _environment():
    """numbad's version and own source, the versions of what compiles it, the CPU."""
    root = os.path.dirname(os.path.abspath(__file__))
    digest = hashlib.sha256()
    for folder, dirs, files in sorted(os.walk(root)):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(".py"):
                with open(os.path.join(folder, name), "rb") as fh:
                    digest.update(name.encode() + fh.read())
    return (digest.hexdigest(), numba.__version__, llvmlite.__version__, np.__version__,
            sys.version, platform.machine(), llvm.get_host_cpu_name(),
            llvm.get_host_cpu_features().flatten())
