"""Per-thread derivatives of CUDA device functions: ``numbad.grad(f, target="cuda")``.

The derivative of a scalar device function is itself a device function: reverse
mode (reverse.py) or forward mode (forward.py) written for the device, compiled
by ``cuda.jit(device=True)`` for the argument types it is called with (through
numba-cuda's ``overload`` on a GPU; at call time on the simulator).  A reverse
sweep's tape is a per-thread local array of ``tape_entries`` entries: a thread
whose forward sweep needs more gets NaN for its value and gradient, never a wrong
number (long loops: raise ``tape_entries``, or use ``grad_kernel``, whose tapes
grow).
"""
import re
import threading

import numba
from numba import cuda
from numba.core import types

from .. import codegen
from ..errors import not_differentiable
from ..forward import TangentTransform
from ..reverse import TAPES, ReverseTransform
from . import frontend, intrinsics
from .tape import RUNTIME

TAPE_ENTRIES = 1024
_lock = threading.Lock()
_ELEMENT = {"_ft": "_float64", "_it": "_int64"}


class DeviceVJP(ReverseTransform):
    """The VJP of a device function, its tapes local arrays of ``capacity`` entries."""

    tape_costly = False     # a GPU recomputes exp & co. faster than it reads a tape entry

    def __init__(self, tir, wrt, name, capacity):
        self.capacity = capacity
        super().__init__(tir, wrt, name, _no_callees)
        self.primal.spelled = intrinsics.SPELLING
        self.ns.update(_float64=numba.float64, _int64=numba.int64)

    def emit_open_tape(self, src, tape):
        src("%s = cuda.local.array(%d, %s)" % (tape, self.capacity, _ELEMENT[tape]),
            "%s = 0" % TAPES[tape][0])

    def emit_room(self, src, tape, count):
        pass            # a device tape does not grow: stores past its end are dropped

    def emit_end_of_forward(self, src):
        super().emit_end_of_forward(src)
        if self.tapes:
            full = " or ".join("%s > %d" % (TAPES[t][0], self.capacity) for t in self.tapes)
            src("if %s:  # the tape was too small: NaN, not a wrong number" % full,
                "    return math.nan, (%s), (0, 0, 0)" % "".join("math.nan, " for _ in self.wrt))


def _no_callees(fn, arg_types, wrt):
    raise not_differentiable("a call to %s from a device function (numbad inlines "
                             "@cuda.jit(device=True) and @njit functions; this is neither)"
                             % getattr(fn, "__name__", fn))


def _scalar_types(func, arg_types):
    for t in arg_types:
        if not isinstance(t, (types.Float, types.Integer, types.Boolean)):
            raise TypeError("numbad's device-function derivatives take scalar arguments; "
                            "%s got a %s (differentiate the kernel with grad_kernel)"
                            % (func.__name__, t))


def _compile(source, name, ns):
    ns = dict(ns)
    ns.update(RUNTIME)
    return codegen.compile_source(source, name, ns, decorate=cuda.jit(device=True))


def _gradient_for(func, argnums, capacity):
    """build(arg_types) -> device function giving the gradient w.r.t. ``argnums``."""
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)

    def build(arg_types):
        _scalar_types(func, arg_types)
        for i in nums:
            if not isinstance(arg_types[i], types.Float):
                raise TypeError("argnums %d of %s is a %s, not a float"
                                % (i, func.__name__, arg_types[i]))
        tir = frontend.typed_ir(func, arg_types)
        name = "vjp_" + re.sub(r"\W", "_", func.__name__)
        transform = DeviceVJP(tir, tuple(sorted(set(nums))), name, capacity)
        vjp = _compile(transform.source(), name, transform.ns)
        order = sorted(set(nums))
        picks = [order.index(i) for i in nums]
        params = ", ".join("a%d" % i for i in range(len(arg_types)))
        result = "_b[%d]" % picks[0] if isinstance(argnums, int) else \
            "(%s,)" % ", ".join("_b[%d]" % p for p in picks)
        source = ("def grad_%s(%s):\n    _b = _vjp(%s, 1.0)[1]\n    return %s\n"
                  % (func.__name__, params, params, result))
        return _compile(source, "grad_" + func.__name__, {"_vjp": vjp})
    return build


def _tangent_for(func, nparams):
    """build(types of args and tangents) -> device function ``(*args, *tangents) ->
    (value, tangent)``, one tangent per argument (those of ints are ignored)."""
    def build(all_types):
        arg_types = all_types[:nparams]
        _scalar_types(func, arg_types)
        tir = frontend.typed_ir(func, arg_types)
        wrt = tuple(i for i, t in enumerate(arg_types) if isinstance(t, types.Float))
        name = "jvp_" + re.sub(r"\W", "_", func.__name__)
        transform = TangentTransform(tir, wrt, name, _no_callees)
        transform.primal.spelled = intrinsics.SPELLING
        jvp = _compile(transform.source(), name, transform.ns)
        args = ["a%d" % i for i in range(nparams)]
        dots = ["t%d" % i for i in range(nparams)]
        source = ("def tangent_%s(%s):\n    return _jvp(%s)\n"
                  % (func.__name__, ", ".join(args + dots),
                     ", ".join(args + [dots[i] for i in wrt])))
        return _compile(source, "tangent_" + func.__name__, {"_jvp": jvp})
    return build


def _per_argument_types(func, nparams, build, name):
    """A device function of ``nparams`` arguments whose body, for each argument types,
    is the device function ``build(arg_types)``."""
    params = ", ".join("a%d" % i for i in range(nparams))
    built = {}

    def for_types(arg_types):
        arg_types = tuple(types.unliteral(t) for t in arg_types)
        with _lock:     # (the simulator's threads all ask at once)
            if arg_types not in built:
                built[arg_types] = build(arg_types)
        return built[arg_types]

    ns = {"_for_types": for_types, "_typeof": frontend.arg_type}
    if numba.cuda.config.ENABLE_CUDASIM:
        # the simulator calls device functions as Python: pick the body at call time
        exec("def %s(%s):\n    return _for_types(tuple(_typeof(a) for a in (%s,)))(%s)\n"
             % (name, params, params, params), ns)
        return cuda.jit(device=True)(ns[name])
    from numba.cuda.extending import overload
    exec("def _stub(%s):\n    raise NotImplementedError\n" % params, ns)
    exec("def _typer(%s):\n    _body = _for_types((%s,))\n"
         "    def impl(%s):\n        return _body(%s)\n    return impl\n"
         % (params, params, params, params), ns)
    overload(ns["_stub"])(ns["_typer"])
    exec("def %s(%s):\n    return _stub(%s)\n" % (name, params, params), ns)
    return cuda.jit(device=True)(ns[name])


def _nparams(f):
    return frontend.python_function(f).__code__.co_argcount


def device_grad(f, argnums=0, tape_entries=TAPE_ENTRIES):
    """A device function computing the gradient of scalar device function ``f`` w.r.t.
    ``args[argnums]`` (an int: one value; a tuple: a tuple), per thread."""
    func = frontend.python_function(f)
    return _per_argument_types(func, _nparams(f), _gradient_for(func, argnums, tape_entries),
                               "grad_" + func.__name__)


def device_jvp(f):
    """A device function ``(*args, *tangents) -> (f(*args), tangent)``: forward mode, one
    tangent per argument (ignored for ints), per thread."""
    func = frontend.python_function(f)
    n = _nparams(f)
    return _per_argument_types(func, 2 * n, _tangent_for(func, n), "jvp_" + func.__name__)
