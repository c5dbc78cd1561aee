"""Derivative objects (``numbad.grad(f)``, ``value_and_grad(f)``, ``@grad_jit``) called
from inside ``@njit`` code: an optimiser loop written in Numba calls them without
returning to Python.

Numba types a derivative object as an overloaded stub function of its own; typing
a call compiles the VJP for the argument types found there (the same cache as
calls from Python) and the call lowers to a direct call of that compiled VJP.
"""
from numba.core import types
from numba.core.registry import cpu_target
from numba.extending import overload, typeof_impl

from . import nested_calls


def register(cls):
    """Let Numba type instances of derivative class ``cls`` as callables (and numbad
    differentiate code that calls them: nested_calls)."""
    nested_calls.register(cls)

    @typeof_impl.register(cls)
    def typeof_derivative(value, context):
        return cpu_target.typing_context.resolve_value_type(_stub(value))
    return cls


def _stub(obj):
    stub = getattr(obj, "_njit_stub", None)
    if stub is None:
        def stub(*args):
            raise NotImplementedError("called from compiled code only")
        overload(stub)(lambda *args: _implementation(obj, args))
        cpu_target.typing_context.refresh()     # Numba installs new overloads lazily
        obj._njit_stub = stub
    return stub


def _implementation(obj, arg_types):
    if len(arg_types) == 1 and isinstance(arg_types[0], types.StarArgTuple):
        arg_types = arg_types[0].types
    vjp, _, wrt = obj.compiled_for_types(tuple(arg_types))
    ns = {"vjp": vjp.dispatcher}
    exec("def impl(*args):\n    r = vjp(*args, 1.0)\n    return %s\n"
         % nested_calls.result_source(obj, arg_types, wrt, "r"), ns)
    return ns["impl"]


__all__ = ["register"]
