"""Typed IR of CUDA kernels and device functions, through Numba's own pipeline.

A kernel's Python function is typed on a *view*: a copy of the function whose
globals name :mod:`numbad.cuda.intrinsics` instead of ``numba.cuda``, and whose
device functions are views too, marked ``inline="always"`` so that Numba's
untyped pipeline inlines them into the kernel.  The IR numbad differentiates is
then one function, whatever the target (real GPU or the simulator).
"""
import types as pytypes

import numba
from numba import cuda
from numba.core import types
from numba.core.registry import CPUDispatcher

from .. import frontend
from ..errors import definition_loc, not_differentiable
from . import intrinsics

_views = {}
_inlined_views = {}


def is_device_function(obj):
    """Whether ``obj`` is a ``@cuda.jit(device=True)`` function (real or simulated)."""
    if getattr(obj, "_device", False):                      # the simulator's
        return True
    return bool(getattr(obj, "targetoptions", {}).get("device"))


def python_function(obj):
    func = getattr(obj, "py_func", None)
    if func is None:
        func = getattr(obj, "fn", obj)
    return func


def view(func):
    """The function ``func`` with ``cuda`` and device functions replaced (see above)."""
    hit = _views.get(func)
    if hit is not None:
        return hit
    g = dict(func.__globals__)
    copy = pytypes.FunctionType(func.__code__, g, func.__name__, func.__defaults__,
                                func.__closure__)
    copy.__qualname__ = func.__qualname__
    copy.__kwdefaults__ = func.__kwdefaults__
    _views[func] = copy         # (before the globals: a function may name itself)
    for name, value in func.__globals__.items():
        if value is cuda or value is numba.cuda:
            g[name] = intrinsics.module
        elif is_device_function(value) or isinstance(value, CPUDispatcher):
            g[name] = _inlined(python_function(value))
    return copy


def _inlined(func):
    if func not in _inlined_views:
        _inlined_views[func] = numba.njit(inline="always")(view(func))
    return _inlined_views[func]


def typed_ir(obj, arg_types):
    """Typed IR of kernel or device function ``obj`` for Numba types ``arg_types``."""
    func = python_function(obj)
    try:
        tir = frontend.typed_ir(view(func), arg_types)
    except (numba.core.errors.NumbaError, AttributeError) as e:
        # (an AttributeError: a cuda.<name> numbad has no stand-in for, such as laneid; an
        # UnsupportedError: a call Numba cannot inline there, such as a device function
        # numbad made)
        raise not_differentiable("code Numba cannot type for numbad's view of the kernel "
                                 "(%s)" % str(e).split("\n")[0], definition_loc(func)) from None
    tir.func = func
    return tir


def arg_type(value):
    """The Numba type of a launch argument: host arrays, device arrays (real or
    simulated) and scalars."""
    if hasattr(value, "dtype") and hasattr(value, "shape") and getattr(value, "ndim", 0):
        return types.Array(numba.from_dtype(value.dtype), value.ndim, "A")
    return numba.typeof(value)
