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


def register(cls):
    """Let Numba type instances of derivative class ``cls`` as callables."""
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
    single = isinstance(obj.argnums, int)
    picks = [wrt.index(i % len(arg_types)) for i in
             ((obj.argnums,) if single else obj.argnums)]
    grads = "r[1][%d]" % picks[0] if single else "(%s,)" % ", ".join(
        "r[1][%d]" % p for p in picks)
    result = "(r[0], %s)" % grads if obj.returns_value else grads
    ns = {"vjp": vjp.dispatcher}
    exec("def impl(*args):\n    r = vjp(*args, 1.0)\n    return %s\n" % result, ns)
    return ns["impl"]


__all__ = ["register"]
