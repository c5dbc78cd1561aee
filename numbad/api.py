"""The public functions: grad, value_and_grad, vjp, grad_jit (see DESIGN.md)."""
import functools

import numba
import numpy as np
from numba.core import types

from . import code_key, codegen, frontend, nested_calls, njit_calls, wrappers
from .checkpointing import TapeOverBudget, call_options, check_scheme
from .derivatives import jvp_of, vjp_of
from .errors import NotDifferentiableError, definition_loc, not_differentiable
from .pickling import Portable

# Tangent directions pushed in one sweep by batched forward mode (``width=`` changes
# it). Each direction adds its tangent statements to the generated code and Numba's
# compile time grows faster than the code: the 100-parameter Hessian of
# benchmarks/second_order.py took 8.0 / 8.8 / 16.5 / 53 s to compile and 10.4 / 3.1 /
# 2.4 / 1.7 ms to run at widths 1 / 4 / 8 / 16.
MAX_WIDTH = 4


def _argnums_tuple(argnums):
    return (argnums,) if isinstance(argnums, int) else tuple(argnums)


def _types_of(args):
    return tuple(numba.typeof(a) for a in args)


def _fingerprint(args):
    """A cheap key that determines the Numba types of ``args`` (at least as fine as
    ``numba.typeof``: arrays by dtype, rank and flags), or None when some argument
    needs ``numba.typeof`` to tell. ``typeof`` costs microseconds per argument;
    a derivative called in an optimiser's loop should not pay that every call."""
    key = []
    for a in args:
        t = type(a)
        if t is np.ndarray and a.dtype.fields is None:    # (records: typeof tells)
            f = a.flags
            key.append((a.dtype, a.ndim, f.c_contiguous, f.f_contiguous, f.writeable,
                        f.aligned))
        elif t is float or t is bool:
            key.append(t)
        elif isinstance(a, (np.number, np.bool_)):
            key.append((t, a.dtype))
        elif t is int and -2 ** 63 <= a < 2 ** 63:
            key.append(t)
        else:
            return None
    return tuple(key)


def _check_wrt(f, arg_types, wrt):
    for i in wrt:
        if i >= len(arg_types) or i < -len(arg_types):
            raise TypeError("argnums %d is out of range for %d arguments" % (i, len(arg_types)))
        t = arg_types[i]
        if not _differentiable(t):
            raise TypeError("argnums %d points at an argument of type %s; numbad "
                            "differentiates float scalars and float arrays" % (i, t))


def _differentiable(t):
    return isinstance(t, types.Float) or (isinstance(t, types.Array)
                                          and isinstance(t.dtype, types.Float))


def _private_copies(args):
    """Arrays copied, so that no transform can change the caller's arrays."""
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def _cast_like(value, arg_type):
    if isinstance(arg_type, types.Float) and arg_type.bitwidth == 32:
        return np.float32(value)
    return value


def _run_vjp(vjp_for, args, out_bar, options, outgrown):
    """Call the VJP that ``vjp_for(options)`` compiles on private copies of ``args``:
    with the first of ``options`` (see ``call_options``), or, if its tape outgrew the
    budget on this call or an earlier one (``outgrown``: a flag list), the second."""
    first, rerun = options
    if not outgrown:
        try:
            return vjp_for(first).dispatcher(*_private_copies(args), out_bar)
        except TapeOverBudget:
            outgrown.append(True)
    return vjp_for(rerun).dispatcher(*_private_copies(args), out_bar)


def _stats(recorded):
    """What one derivative call recorded: peak bytes of tape and snapshots, snapshots
    taken, loop iterations run again."""
    tape_bytes, snapshots, recomputed = recorded
    return {"tape_bytes": int(tape_bytes), "snapshots": int(snapshots),
            "recomputed_iterations": int(recomputed)}


class _Transformed(Portable):
    """Shared machinery of grad / value_and_grad: types, cache lookups, options."""

    def __init__(self, f, argnums, checkpoint, memory_budget):
        self._remember(f, argnums, checkpoint, memory_budget)   # (the budget as given)
        memory_budget = check_scheme(checkpoint, memory_budget)
        self.f = f
        self.argnums = argnums
        self.wrt = tuple(sorted(set(_argnums_tuple(argnums))))
        self.checkpoint = checkpoint
        self.memory_budget = memory_budget
        self.call_options = call_options(checkpoint, memory_budget)   # (first, rerun)
        self._recorded = None
        self._outgrown = {}     # argument types -> [True] once a call outgrew the budget
        self._calls = {}        # _fingerprint(args) -> _CallPlan
        functools.update_wrapper(self, frontend.python_function(f), updated=())

    returns_value = False       # called from @njit code: (value, gradient) or the gradient

    def compiled_for_types(self, arg_types, options=None):
        """(compiled VJP, argument types, wrt indices) for Numba types ``arg_types``, with
        checkpointing ``options`` (default: this object's, as compiled code calls it)."""
        wrt = tuple(i % len(arg_types) for i in self.wrt)
        _check_wrt(self.f, arg_types, wrt)
        vjp = vjp_of(self.f, arg_types, wrt, options or (self.checkpoint, self.memory_budget))
        if not isinstance(vjp.return_type, types.Float):
            raise not_differentiable(
                "a function returning %s with grad (grad needs a float scalar result; "
                "numbad.vjp takes tuples)" % vjp.return_type,
                definition_loc(frontend.python_function(self.f)))
        return vjp, arg_types, wrt

    def call_plan(self, args):
        """The _CallPlan for arguments like ``args`` (looked up by their fingerprint)."""
        key = _fingerprint(args)
        plan = self._calls.get(key) if key is not None else None
        if plan is None:
            plan = _CallPlan(self, _types_of(args))
            if key is not None:
                self._calls[key] = plan
        return plan

    def value_and_grad(self, *args):
        plan = self.call_plan(args)
        value, bars, recorded = _run_vjp(plan.vjp, args, 1.0, self.call_options,
                                         plan.outgrown)
        self._recorded = recorded
        grads = tuple(_cast_like(bars[k], t) for k, t in plan.picks)
        return value, grads[0] if isinstance(self.argnums, int) else grads

    @property
    def stats(self):
        """What the last call recorded (see ``grad``); {} before the first call."""
        return _stats(self._recorded) if self._recorded is not None else {}

    def source(self, *args):
        """The generated derivative code for these argument types."""
        return self.compiled_for_types(_types_of(args), self.call_options[0])[0].source


class _CallPlan:
    """What calls with one argument-type signature need: the types, the wrt indices,
    the compiled VJP per checkpointing option (looked up once), the outgrown flag."""

    def __init__(self, transformed, arg_types):
        self.transformed = transformed
        self.arg_types = arg_types
        first = transformed.call_options[0]
        vjp, _, self.wrt = transformed.compiled_for_types(arg_types, first)
        self.outgrown = transformed._outgrown.setdefault(arg_types, [])
        n = len(arg_types)
        # (index into the VJP's cotangents, argument type) per requested argnum
        self.picks = [(self.wrt.index(i % n), arg_types[i % n])
                      for i in _argnums_tuple(transformed.argnums)]
        self._vjps = {first: vjp}

    def vjp(self, options):
        hit = self._vjps.get(options)
        if hit is None:
            hit = self._vjps[options] = self.transformed.compiled_for_types(
                self.arg_types, options)[0]
        return hit


@njit_calls.register
class Grad(_Transformed):
    """``grad(f)``: call it to get the gradient (from Python or from ``@njit`` code)."""

    def __call__(self, *args):
        return self.value_and_grad(*args)[1]


@njit_calls.register
class ValueAndGrad(_Transformed):
    """``value_and_grad(f)``: call it to get ``(value, gradient)``."""

    returns_value = True

    def __call__(self, *args):
        return self.value_and_grad(*args)


def grad(f, argnums=0, *, checkpoint="auto", memory_budget=None, target="cpu"):
    """Gradient of scalar-valued ``f`` w.r.t. ``args[argnums]`` (an int or a tuple of ints).

    ``target="cuda"``: ``f`` is a scalar ``@cuda.jit(device=True)`` function and the
    result a device function computing its gradient per thread (numbad.cuda.device_grad).

    ``checkpoint``: how long loops are reversed ("auto": taped in full while the tape
    fits ``memory_budget`` bytes, else snapshots and recomputation; "none": taped in
    full; "binomial": Revolve snapshots; "online": snapshots without using the trip
    count). ``.stats`` after a call: ``tape_bytes`` (peak,
    snapshots included), ``snapshots``, ``recomputed_iterations``."""
    if _on_device(target):
        if checkpoint != "auto" or memory_budget is not None:
            raise TypeError("grad(f, target='cuda') keeps its tape in per-thread memory: "
                            "no checkpoint= or memory_budget= (see "
                            "numbad.cuda.device_grad's tape_entries=)")
        from . import cuda
        return cuda.device_grad(f, argnums)
    return Grad(f, argnums, checkpoint, memory_budget)


def _on_device(target):
    if target not in ("cpu", "cuda"):
        raise ValueError("target must be 'cpu' or 'cuda', not %r" % (target,))
    return target == "cuda"


def value_and_grad(f, argnums=0, *, checkpoint="auto", memory_budget=None):
    """Like ``grad``, but the returned function gives ``(f(*args), gradient)``."""
    return ValueAndGrad(f, argnums, checkpoint, memory_budget)


def vjp(f, *primals, checkpoint="auto", memory_budget=None):
    """``(f(*primals), f_vjp)``; ``f_vjp(out_bar)`` gives one cotangent per primal.

    Cotangents of non-float primals (ints, booleans) are None. ``f_vjp.stats`` after a
    call: what it recorded (see ``grad``).
    """
    f_vjp = VJPFunction(f, primals, checkpoint, memory_budget)
    return f_vjp.out, f_vjp


class VJPFunction(Portable):
    """``f_vjp`` of ``numbad.vjp``: ``f_vjp(out_bar)`` -> one cotangent per primal. It
    compiles and runs ``f`` when made (again when unpickled in another process)."""

    def __init__(self, f, primals, checkpoint, memory_budget):
        primals = _private_copies(primals)
        self._remember(f, primals, checkpoint, memory_budget)
        self.options = call_options(checkpoint, check_scheme(checkpoint, memory_budget))
        self.primals = primals
        self.arg_types = _types_of(primals)
        self.wrt = tuple(i for i, t in enumerate(self.arg_types) if _differentiable(t))
        # on copies: f may update its arguments, the VJP is taken at the values given
        self.out = _primal_dispatcher(f)(*_private_copies(primals))
        self.paired = wrappers.holds_arrays(self.out)
        if self.paired:     # (a tuple holding arrays: the gradient of its pairing)
            f = wrappers.pairing(_primal_dispatcher(f), len(primals), self.out)
            arg_types = self.arg_types + _types_of(
                [leaf for _, leaf in wrappers.leaves(self.out)])
        else:
            arg_types = self.arg_types
        self.vjp_for = functools.partial(vjp_of, f, arg_types, self.wrt)
        self.vjp_for(self.options[0])       # what numbad cannot differentiate fails here
        self._outgrown = []
        self.stats = {}

    def __call__(self, out_bar):
        out, args = self.out, self.primals
        if isinstance(out, np.ndarray):
            out_bar = np.ascontiguousarray(out_bar, dtype=out.dtype)
            if out_bar.shape != out.shape:
                raise ValueError("out_bar has shape %s; the output has shape %s"
                                 % (out_bar.shape, out.shape))
        if self.paired:
            args = args + tuple(_cotangent_leaves(out, out_bar))
            out_bar = 1.0
        _, bars, recorded = _run_vjp(self.vjp_for, args, out_bar, self.options,
                                     self._outgrown)
        self.stats = _stats(recorded)
        by_index = dict(zip(self.wrt, bars))
        return tuple(_cast_like(by_index[i], t) if i in by_index else None
                     for i, t in enumerate(self.arg_types))


def _cotangent_leaves(out, out_bar):
    """The leaves of cotangent ``out_bar`` where result ``out`` has floats and float
    arrays, each as the pairing takes it (arrays of their result's shape and dtype)."""
    got = dict(wrappers.leaves(out_bar))
    for path, leaf in wrappers.leaves(out):
        if path not in got:
            raise ValueError("out_bar has no float at %s, where the output has one" % (path,))
        if isinstance(leaf, np.ndarray):
            bar = np.ascontiguousarray(got[path], dtype=leaf.dtype)
            if bar.shape != leaf.shape:
                raise ValueError("out_bar%s has shape %s; the output's has shape %s" % (
                    "".join("[%d]" % i for i in path), bar.shape, leaf.shape))
            yield bar
        else:
            yield float(got[path])


def jvp(f, primals=None, tangents=None, *, target="cpu"):
    """``(f(*primals), tangent)``: forward mode, the derivative of ``f`` at ``primals``
    along ``tangents`` (one per primal, shaped like it; ignored for ints and bools).

    ``target="cuda"`` (no primals): a device function ``(*args, *tangents) ->
    (value, tangent)`` of scalar device function ``f`` (numbad.cuda.device_jvp)."""
    if _on_device(target):
        if primals is not None or tangents is not None:
            raise TypeError("jvp(f, target='cuda') returns a device function; call it "
                            "from a kernel with the primals and tangents")
        from . import cuda
        return cuda.device_jvp(f)
    if primals is None or tangents is None:
        raise TypeError("jvp needs primals and tangents")
    primals, tangents = _private_copies(tuple(primals)), tuple(tangents)
    if len(tangents) != len(primals):
        raise ValueError("jvp needs one tangent per primal (%d primals, %d tangents)"
                         % (len(primals), len(tangents)))
    arg_types = _types_of(primals)
    wrt = tuple(i for i, t in enumerate(arg_types) if _differentiable(t))
    given = [_tangent_like(primals[i], tangents[i], i) for i in wrt]
    compiled = jvp_of(f, arg_types, wrt)
    return compiled.dispatcher(*primals, *given)


def batched_jvp(f, primals, tangents, *, width=MAX_WIDTH):
    """``(f(*primals), tangents of the value)`` along k directions at once: each tangent
    has a leading axis of length k (``tangents[i][j]``: direction j for primal i), and
    so has the result's tangent (each entry's, for a tuple result). One primal sweep per
    chunk of up to ``width`` directions; ``jvp`` per direction gives the same."""
    primals, tangents = tuple(primals), tuple(tangents)
    if len(tangents) != len(primals):
        raise ValueError("batched_jvp needs one tangent batch per primal (%d primals, %d "
                         "tangents)" % (len(primals), len(tangents)))
    arg_types = _types_of(primals)
    wrt = tuple(i for i, t in enumerate(arg_types) if _differentiable(t))
    counts = {len(tangents[i]) for i in wrt}
    if len(counts) > 1:
        raise ValueError("batched_jvp: the tangent batches hold different numbers of "
                         "directions (%s)" % sorted(counts))
    k = counts.pop() if counts else 0
    directions = [[_tangent_like(primals[i], tangents[i][j], i) for i in wrt]
                  for j in range(k)]
    value, dots = _push_directions(f, primals, arg_types, wrt, directions, width)
    return value, _stack(dots, value)


def _push_directions(f, primals, arg_types, wrt, directions, width):
    """``(value, [tangent of the value along each direction])``; a direction is a list of
    tangents of the ``wrt`` args. Chunks of up to ``width`` directions, the last padded
    with zero directions (one compiled width)."""
    if not directions:
        return _primal_dispatcher(f)(*_private_copies(primals)), []
    width = min(len(directions), _checked_width(width))
    compiled = jvp_of(f, arg_types, wrt, width)
    zero = [np.zeros_like(t) if isinstance(t, np.ndarray) else 0.0 for t in directions[0]]
    dots = []
    for start in range(0, len(directions), width):
        chunk = directions[start:start + width]
        chunk += [[np.copy(z) if isinstance(z, np.ndarray) else z for z in zero]
                  for _ in range(width - len(chunk))]
        value, out = compiled.dispatcher(*_private_copies(primals),
                                         *[t for d in chunk for t in d])
        dots += list(out)
    return value, dots[:len(directions)]


def _checked_width(width):
    if not isinstance(width, int) or width < 1:
        raise ValueError("width (tangent directions per sweep) must be a positive int")
    return width


def _stack(dots, value):
    """Tangents of ``value`` along several directions stacked on a new first axis."""
    if isinstance(value, tuple):
        return tuple(_stack([d[m] for d in dots], v) for m, v in enumerate(value))
    return np.array(dots, dtype=np.result_type(value)).reshape(
        (len(dots),) + np.shape(value))


def _tangent_like(primal, tangent, i):
    """``tangent`` as a private float or array of ``primal``'s shape and dtype (the
    generated code may write into it)."""
    if not isinstance(primal, np.ndarray):
        return float(tangent)
    tangent = np.array(tangent, dtype=primal.dtype)
    if tangent.shape != primal.shape:
        raise ValueError("tangent %d has shape %s; its primal has shape %s"
                         % (i, tangent.shape, primal.shape))
    return tangent


def hvp(f, argnums=0):
    """``hvp(f, argnums)(*args, v)``: the Hessian of scalar ``f`` w.r.t. ``args[argnums]``
    times ``v`` (shaped like that argument; a tuple of them for a tuple ``argnums``).

    Forward over reverse: numbad's tangent transform applied to numbad's own generated
    gradient code, tape included (the tangent of the gradient along ``v``); no finite
    differences.
    """
    return HVP(f, argnums)


class _Wrapper(Portable):
    """A derivative of ``f`` that is a plain Python callable (picklable, named as ``f``)."""

    def __init__(self, f, *options):
        self._remember(f, *options)
        self.f = f
        functools.update_wrapper(self, frontend.python_function(f), updated=())


class HVP(_Wrapper):
    """``hvp(f, argnums)``: call it with ``(*args, v)``."""

    def __init__(self, f, argnums=0):
        super().__init__(f, argnums)
        self.argnums = argnums

    def __call__(self, *args_and_v):
        f, argnums = self.f, self.argnums
        args, v = args_and_v[:-1], args_and_v[-1]
        vs = (v,) if isinstance(argnums, int) else tuple(v)
        arg_types = _types_of(args)
        wrt = tuple(i % len(args) for i in _argnums_tuple(argnums))
        _check_wrt(f, arg_types, wrt)
        if len(set(wrt)) != len(wrt):
            raise ValueError("hvp: argnums repeats an argument")
        dots = tuple(_tangent_like(args[i], t, i) for i, t in zip(wrt, vs))
        gradient = vjp_of(f, arg_types, wrt)
        tangent = jvp_of(gradient.dispatcher, arg_types + (types.float64,), wrt)
        bars_dot = tangent.dispatcher(*_private_copies(args), 1.0, *dots)[1][1]
        result = tuple(_cast_like(b, arg_types[i]) for b, i in zip(bars_dot, wrt))
        return result[0] if isinstance(argnums, int) else result


def hessian(f, argnums=0, *, width=MAX_WIDTH):
    """``hessian(f, argnums)(*args)``: shaped ``arg.shape + arg.shape`` (``argnums`` an
    int). Hessian-vector products along the unit vectors, ``width`` of them per sweep
    (batched forward over reverse), all in one compiled loop."""
    return Hessian(f, argnums, width)


class Hessian(_Wrapper):
    """``hessian(f, argnums)``: call it with ``(*args)``."""

    def __init__(self, f, argnums=0, width=MAX_WIDTH):
        if not isinstance(argnums, int):
            raise TypeError("hessian takes one argument index")
        super().__init__(f, argnums, width)
        self.argnums, self.width = argnums, _checked_width(width)

    def __call__(self, *args):
        arg_types = _types_of(args)
        i = self.argnums % len(args)
        _check_wrt(self.f, arg_types, (i,))
        if not isinstance(args[i], np.ndarray):
            return hvp(self.f, i)(*args, 1.0)
        width = max(1, min(args[i].size, self.width))
        return _hessian_driver(self.f, arg_types, i, width)(*_private_copies(args))


_drivers = {}


def _hessian_driver(f, arg_types, i, width):
    """Compiled ``(*args) -> Hessian w.r.t. array args[i]``: the batched tangent of
    numbad's gradient code along ``width`` unit vectors at a time, each giving a
    column (the primal and its tape run once per ``width`` columns)."""
    key = (frontend.python_function(f), arg_types, i, width)
    if key not in _drivers:
        gradient = vjp_of(f, arg_types, (i,))
        tangent = jvp_of(gradient.dispatcher, arg_types + (types.float64,), (i,), width)
        params = ", ".join("a%d" % k for k in range(len(arg_types)))
        units = ["np.zeros(n)"] * width
        lines = ["def hessian_driver(%s):" % params,
                 "    x = a%d" % i,
                 "    n = x.size",
                 "    out = np.zeros((n, n), x.dtype)",
                 "    for k in range(0, n, %d):" % width,
                 "        %s = %s" % (", ".join("e%d" % j for j in range(width)),
                                      ", ".join(units))]
        for j in range(width):
            lines += ["        if k + %d < n:" % j, "            e%d[k + %d] = 1.0" % (j, j)]
        lines.append("        columns = _tangent(%s, 1.0, %s)[1]" % (params, ", ".join(
            "e%d.reshape(x.shape)" % j for j in range(width))))
        for j in range(width):
            lines += ["        if k + %d < n:" % j,
                      "            out[:, k + %d] = np.ascontiguousarray(columns[%d][1][0])"
                      ".reshape(n)" % (j, j)]
        lines += ["    return out.reshape(x.shape + x.shape)", ""]
        _drivers[key] = codegen.compile_source(
            "\n".join(lines), "hessian_driver", {"_tangent": tangent.dispatcher, "np": np},
            key=code_key.derivative_key("hessian_driver", *key[:2], (i,), width))
    return _drivers[key]


def jacobian(f, argnums=0, *, width=MAX_WIDTH):
    """``jacobian(f, argnums)(*args)``: d f / d args[argnums], shaped
    ``out.shape + arg.shape`` (a tuple of them when ``argnums`` is a tuple).

    Forward mode (batched JVPs, one direction per input element, ``width`` per sweep)
    when the inputs have fewer elements than the output, reverse mode (one VJP per
    output element) otherwise.
    """
    return Jacobian(f, argnums, width)


class Jacobian(_Wrapper):
    """``jacobian(f, argnums)``: call it with ``(*args)``."""

    def __init__(self, f, argnums=0, width=MAX_WIDTH):
        super().__init__(f, argnums, width)
        self.argnums, self.width = argnums, width

    def __call__(self, *args):
        f, nums = self.f, _argnums_tuple(self.argnums)
        arg_types = _types_of(args)
        wrt = tuple(sorted({i % len(args) for i in nums}))
        _check_wrt(f, arg_types, wrt)
        out = _primal_dispatcher(f)(*_private_copies(args))
        if isinstance(out, tuple):      # one block (or tuple of blocks) per result
            return wrappers.rebuild(out, lambda path: Jacobian(wrappers.selector(
                _primal_dispatcher(f), len(args), path), self.argnums, self.width)(*args))
        out = np.asarray(out)
        if not (np.issubdtype(out.dtype, np.floating) and out.ndim <= 3):
            raise TypeError("jacobian needs a float scalar or float array result")
        if sum(np.size(args[i]) for i in wrt) < out.size:
            blocks = _forward_jacobian(f, args, arg_types, wrt, out, self.width)
        else:
            blocks = _reverse_jacobian(f, args, arg_types, wrt, out)
        result = tuple(blocks[i % len(args)] for i in nums)
        return result[0] if isinstance(self.argnums, int) else result


def _reverse_jacobian(f, args, arg_types, wrt, out):
    compiled = vjp_of(f, arg_types, wrt)
    blocks = {i: np.zeros(out.shape + np.shape(args[i])) for i in wrt}
    for index in np.ndindex(out.shape):
        out_bar = np.zeros_like(out)
        out_bar[index] = 1.0
        seed = out_bar if out.ndim else float(out_bar)
        bars = compiled.dispatcher(*_private_copies(args), seed)[1]
        for i, bar in zip(wrt, bars):
            blocks[i][index] = bar
    return blocks


def _forward_jacobian(f, args, arg_types, wrt, out, width):
    zeros = [np.zeros_like(args[i]) if isinstance(args[i], np.ndarray) else 0.0 for i in wrt]
    directions = []
    for k, i in enumerate(wrt):
        for index in np.ndindex(np.shape(args[i])):
            tangents = [np.copy(z) if isinstance(z, np.ndarray) else z for z in zeros]
            if isinstance(args[i], np.ndarray):
                tangents[k][index] = 1.0
            else:
                tangents[k] = 1.0
            directions.append(tangents)
    dots = _stack(_push_directions(f, args, arg_types, wrt, directions, width)[1], out)
    blocks, start = {}, 0
    for i in wrt:
        shape = np.shape(args[i])
        n = int(np.prod(shape))
        block = np.moveaxis(dots[start:start + n], 0, -1)     # out.shape + (n,)
        blocks[i] = block.reshape(out.shape + shape)
        start += n
    return blocks


@functools.lru_cache(maxsize=None)
def _primal_dispatcher(f):
    """``f`` compiled: as it is when Numba compiled it already, or a derivative object
    (called from Python or from ``@njit`` code alike)."""
    return f if isinstance(f, numba.core.dispatcher.Dispatcher) or \
        nested_calls.is_derivative(f) else numba.njit(f)


@njit_calls.register
class GradJit(Grad):
    """``@numbad.grad_jit``: calling it gives the gradient, compiled per signature."""

    def __init__(self, f, argnums=0, checkpoint="auto", memory_budget=None):
        super().__init__(f, argnums, checkpoint, memory_budget)
        self.primal = _primal_dispatcher(f)
        self._signatures = []

    def compiled_for_types(self, arg_types, options=None):
        out = super().compiled_for_types(arg_types, options)
        if out[1] not in self._signatures:
            self._signatures.append(out[1])
        return out

    @property
    def signatures(self):
        """The argument-type signatures compiled so far, one entry each."""
        return list(self._signatures)


def grad_jit(f=None, *, argnums=0, checkpoint="auto", memory_budget=None):
    """Decorator: ``@grad_jit`` or ``@grad_jit(argnums=..., ...)``."""
    if f is None:
        return lambda g: GradJit(g, argnums, checkpoint, memory_budget)
    return GradJit(f, argnums, checkpoint, memory_budget)


__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacobian", "hvp", "hessian", "grad_jit",
           "NotDifferentiableError"]
