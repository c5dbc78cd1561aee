"""Compiled derivatives, built on demand and cached per (function, argument types, wrt)."""
import re
import threading
from dataclasses import dataclass

from numba.core import types

from . import cache, code_key, codegen, custom, frontend, inlining, nested_calls, wrappers
from .array_runtime import HELPERS
from .checkpointing import records_everything
from .errors import NotDifferentiableError, definition_loc, not_differentiable
from .forward import TangentTransform
from .reverse import ReverseTransform

_cache = {}
_building = []          # functions whose derivative is being built (recursion check)
_lock = threading.RLock()


@dataclass
class CompiledVJP:
    """A compiled derivative: a VJP ``(*args, out_bar) -> (value, (cotangent of each wrt
    arg,), tape bytes)`` or a JVP ``(*args, *tangents) -> (value, tangent)``."""

    dispatcher: object
    source: str
    return_type: object
    name: str = ""          # the generated function's name


def vjp_of(f, arg_types, wrt, checkpoint=("none", None)):
    """The compiled VJP of ``f`` for Numba types ``arg_types``, w.r.t. arg indices ``wrt``;
    ``checkpoint``: (scheme, memory budget in bytes or None) for its top-level loops."""
    if records_everything(*checkpoint) and checkpoint[0] != "guarded":
        checkpoint = ("none", None)     # one compiled VJP for all such options
    return _cached("vjp", f, arg_types, wrt, tuple(checkpoint))


def jvp_of(f, arg_types, wrt, width=None):
    """The compiled JVP of ``f`` for Numba types ``arg_types``, w.r.t. arg indices ``wrt``:
    ``(*args, *tangents of the wrt args) -> (value, tangent of the value)``. With
    ``width`` k, batched: ``(*args, *tangents of direction 0, ..., *tangents of
    direction k-1) -> (value, (tangent along direction 0, ...))``, one primal sweep."""
    return _cached("jvp", f, arg_types, wrt, width)


def _cached(mode, f, arg_types, wrt, variant):
    """``variant``: the JVP's width, or the VJP's checkpointing options. Looked up in
    this process's cache, then in the persistent one (cache.py), then built."""
    func = f if custom.is_custom(f) or nested_calls.is_derivative(f) else \
        frontend.python_function(wrappers.with_defaults(f, len(arg_types)))
    key = (mode, func, tuple(arg_types), tuple(wrt), variant)
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            return hit
        if (mode, func, variant) in _building:
            raise not_differentiable("recursion (%s calls itself, directly or not)"
                                     % func.__name__, definition_loc(func))
        disk = code_key.derivative_key(*key) if cache.enabled() else None
        meta = cache.read(disk) if disk is not None else None
        if meta is not None:
            compiled = CompiledVJP(codegen.load_derivative(disk, meta, lambda: _build(
                mode, func, arg_types, wrt, variant, disk)), meta["source"],
                meta["return_type"], meta["fname"])
        else:
            codegen.give_globals(f)     # (a derivative loaded from disk, read again)
            _building.append((mode, func, variant))
            try:
                compiled = _build(mode, func, arg_types, wrt, variant, disk)
            finally:
                _building.remove((mode, func, variant))
            meta = codegen.entry_meta(disk, compiled.name, compiled.source,
                                      compiled.return_type) if disk else None
            if meta is not None:
                cache.write_meta(disk, meta)
        _cache[key] = compiled
        return compiled


def _build(mode, func, arg_types, wrt, variant, disk=None):
    """The CompiledVJP of ``func``; ``disk``: its persistent cache key, or None."""
    width = variant if mode == "jvp" else None
    name = mode + str(width or "") + "_" + re.sub(r"\W", "_", func.__name__)  # "<lambda>"
    if width is not None and (custom.is_custom(func) or nested_calls.is_derivative(func)):
        single = jvp_of(func, arg_types, wrt)
        source = _batched_by_calls(arg_types, wrt, width, name)
        return CompiledVJP(codegen.compile_source(source, name, {"_jvp": single.dispatcher},
                                                  key=disk), source, single.return_type, name)
    if nested_calls.is_derivative(func):
        source, ns = nested_calls.rule_source(mode, func, arg_types, wrt, name, vjp_of, jvp_of)
        ns.update(HELPERS)
        dispatcher = codegen.compile_source(source, name, ns, key=disk)
        return CompiledVJP(dispatcher, source, _result_type(func, arg_types), name)
    if custom.is_custom(func):
        rule = custom.rule_source(mode, func, arg_types, wrt, name)
        if rule is not None:        # the user's rule; else the function itself below
            source, ns = rule
            ns.update(HELPERS)
            return CompiledVJP(codegen.compile_source(source, name, ns, key=disk), source,
                               frontend.typed_ir(func.py_func, arg_types).return_type, name)
        func = func.py_func
    tir = inlining.typed_ir(func, arg_types, fuse=True)
    try:    # element-wise array expressions as loops; as written where that fails
        transform = _transformed(mode, func, tir, wrt, variant, name)
    except NotDifferentiableError:
        if not tir.fused:
            raise       # (the function as written already)
        transform = _transformed(mode, func, inlining.typed_ir(func, arg_types), wrt,
                                 variant, name)
    else:
        if tir.fused and _taped_in_full(transform):
            transform = _fewer_taped_in_full(transform, mode, func, arg_types, wrt, variant,
                                             name)
    transform, source = transform
    return CompiledVJP(codegen.compile_source(source, name, transform.ns, key=disk), source,
                       transform.tir.return_type, name)


def _taped_in_full(transform):
    """How many top-level loops a VJP meant to checkpoint tapes in full (of a
    (transform, source) pair)."""
    return len(getattr(transform[0], "loops_taped_in_full", list)())


def _fewer_taped_in_full(fused, mode, func, arg_types, wrt, variant, name):
    """The checkpointed VJP of the function as written when it tapes fewer loops in full
    than ``fused`` (a fused element loop fills a new array each step, ``u = u + dt *
    f(u)``: not state the snapshots keep yet), else ``fused``."""
    try:
        plain = _transformed(mode, func, inlining.typed_ir(func, arg_types), wrt, variant,
                             name)
    except NotDifferentiableError:
        return fused
    return plain if _taped_in_full(plain) < _taped_in_full(fused) else fused


def _transformed(mode, func, tir, wrt, variant, name):
    width = variant if mode == "jvp" else None
    if tir.func_ir.is_generator:
        raise not_differentiable("a generator function (%s)" % func.__name__, tir.func_ir.loc)
    _check_outputs(tir, nested=(mode == "jvp"))
    if mode == "vjp":
        # callees' loops get the same options (their tapes live during their own VJP
        # call, in the caller's reverse sweep: "guarded" raises only in forward sweeps,
        # so callees of a guarded VJP are checkpointed instead)
        callee_options = ("auto",) + variant[1:] if variant[0] == "guarded" else variant
        transform = ReverseTransform(tir, wrt, name, lambda fn, at, w: vjp_of(
            fn, at, w, callee_options).dispatcher, variant)
    else:
        transform = TangentTransform(tir, wrt, name,
                                     lambda fn, at, w, k: jvp_of(fn, at, w, k).dispatcher,
                                     width)
    return transform, transform.source()


def _batched_by_calls(arg_types, wrt, width, name):
    """A batched JVP that calls a JVP ``_jvp`` once per direction (user rules and
    derivative objects have no generated code to batch). Array args are copied for all
    calls but the last: a JVP may update them in place."""
    params = ["a%d" % i for i in range(len(arg_types))]
    dots = [["d%d_%d" % (i, j) for i in wrt] for j in range(width)]
    lines = ["def %s(%s):" % (name, ", ".join(params + sum(dots, [])))]
    for j in range(width):
        args = [p if j == width - 1 or not isinstance(t, types.Array) else "np.copy(%s)" % p
                for p, t in zip(params, arg_types)]
        lines.append("    _value, _t%d = _jvp(%s)" % (j, ", ".join(args + dots[j])))
    lines.append("    return _value, (%s)" % "".join("_t%d, " % j for j in range(width)))
    return "\n".join(lines) + "\n"


def _check_outputs(tir, nested):
    """Refuse results numbad has no cotangent or tangent for (``nested``: forward mode
    also takes tuples holding arrays and tuples, such as a VJP's own result)."""
    rt = tir.return_type
    if not (_plain(rt) or isinstance(rt, types.NoneType) or isinstance(rt, types.BaseTuple) and all(
            _plain(t) and not isinstance(t, types.Array) or nested and _nested(t)
            for t in rt.types)):
        raise not_differentiable("a function returning %s (numbad supports float scalars, "
                                 "float arrays and flat tuples of floats)" % rt, tir.func_ir.loc)


def _plain(t):
    return isinstance(t, (types.Float, types.Integer, types.Boolean)) or (
        isinstance(t, types.Array) and isinstance(t.dtype, types.Float))


def _nested(t):
    return _plain(t) or isinstance(t, types.BaseTuple) and all(_nested(e) for e in t.types)



def _result_type(obj, arg_types):
    """The Numba type of what derivative object ``obj`` returns for ``arg_types``."""
    vjp = obj.compiled_for_types(tuple(arg_types))[0]
    sig = tuple(arg_types) + (vjp.return_type,)
    vjp.dispatcher.compile(sig)
    result = vjp.dispatcher.overloads[sig].signature.return_type
    grads = [result.types[1].types[p] for p in nested_calls.picks(
        obj, arg_types, obj.compiled_for_types(tuple(arg_types))[2])]
    grads = grads[0] if isinstance(obj.argnums, int) else types.Tuple(grads)
    return types.Tuple([vjp.return_type, grads]) if obj.returns_value else grads
