"""Differentiating a call to a derivative: code that calls ``numbad.grad(f)`` (or
``value_and_grad(f)``, ``@grad_jit``) and is itself differentiated.

The call's derivative is a second derivative of ``f``, taken forward over reverse:
numbad's tangent transform applied to ``f``'s generated gradient code (tape
included). Both transforms see such a call as a call to a function with a VJP or
JVP of numbad's calling conventions, built here as a small wrapper:

* JVP (forward mode): the tangent of ``grad(f)(args)`` along the tangents of the
  differentiated args is the JVP of ``f``'s gradient code along them.
* VJP (reverse mode): second derivatives are symmetric, so the cotangent of the
  args for a cotangent ``u`` of the gradient (w.r.t. args ``W``) is ``H[:, W] u``:
  the JVP of the gradient (w.r.t. every arg needed) along ``u`` put on ``W``.
  One forward-over-reverse sweep, no reverse-over-reverse tape of tapes.

Each nesting level differentiates the code the level below generated, so
derivatives of different levels never mix (no perturbation confusion).
"""
from numba.core import types

_REGISTERED = []


def register(cls):
    """Mark ``cls`` (its instances are derivative objects) as differentiable when called."""
    _REGISTERED.append(cls)
    return cls


def is_derivative(fn):
    """Whether ``fn`` is a derivative object (``numbad.grad(f)`` and friends)."""
    return isinstance(fn, tuple(_REGISTERED))


def picks(obj, arg_types, wrt):
    """Positions in ``wrt`` (the indices the gradient code differentiates) of each
    gradient ``obj`` returns, in ``obj.argnums`` order."""
    nums = (obj.argnums,) if isinstance(obj.argnums, int) else obj.argnums
    return [wrt.index(i % len(arg_types)) for i in nums]


def result_source(obj, arg_types, wrt, r):
    """Source of what ``obj`` returns, from ``r``: its gradient code's result, or that
    result's tangent (``(value, (cotangent of each wrt arg,), ...)``)."""
    at = picks(obj, arg_types, wrt)
    grads = "%s[1][%d]" % (r, at[0]) if isinstance(obj.argnums, int) else "(%s,)" % ", ".join(
        "%s[1][%d]" % (r, p) for p in at)
    return "(%s[0], %s)" % (r, grads) if obj.returns_value else grads


def rule_source(mode, obj, arg_types, wrt, name, vjp_of, jvp_of):
    """Source and globals of the VJP (``mode`` "vjp") or JVP of a call to derivative
    object ``obj`` with numbad's calling conventions (see derivatives.py)."""
    arg_types = tuple(arg_types)
    gradient_wrt = obj.compiled_for_types(arg_types)[2]
    params = ["a%d" % i for i in range(len(arg_types))]
    if mode == "jvp":
        gradient = vjp_of(obj.f, arg_types, gradient_wrt).dispatcher
        tangent = jvp_of(gradient, arg_types + (types.float64,), wrt).dispatcher
        dots = ["d%d" % i for i in wrt]
        lines = ["def %s(%s):" % (name, ", ".join(params + dots)),
                 "    _r = _tangent(%s)" % ", ".join(params + ["1.0"] + dots),
                 "    return %s, %s" % (result_source(obj, arg_types, gradient_wrt, "_r[0]"),
                                        result_source(obj, arg_types, gradient_wrt, "_r[1]"))]
        return "\n".join(lines) + "\n", {"_tangent": tangent}

    every = tuple(sorted(set(gradient_wrt) | set(wrt)))
    gradient = vjp_of(obj.f, arg_types, every).dispatcher
    tangent = jvp_of(gradient, arg_types + (types.float64,), gradient_wrt).dispatcher
    bar = "_ret_bar[1]" if obj.returns_value else "_ret_bar"
    seeds = []
    for i in gradient_wrt:       # the gradient's cotangent, put on the args it is w.r.t.
        parts = [bar if isinstance(obj.argnums, int) else "%s[%d]" % (bar, k)
                 for k, n in enumerate((obj.argnums,) if isinstance(obj.argnums, int)
                                       else obj.argnums) if n % len(arg_types) == i]
        total = " + ".join(parts)
        seeds.append("np.copy(_live(%s, a%d))" % (total, i)
                     if isinstance(arg_types[i], types.Array) else "float(%s)" % total)
    lines = ["def %s(%s, _ret_bar):" % (name, ", ".join(params)),
             "    _r = _tangent(%s)" % ", ".join(params + ["1.0"] + seeds)]
    bars = []
    for i in wrt:
        part = "_r[1][1][%d]" % every.index(i)
        if obj.returns_value:   # the value's cotangent times the gradient itself
            part += " + _ret_bar[0] * _r[0][1][%d]" % every.index(i)
        bars.append(part)
    lines.append("    _g = (_r[0][0], (%s,))" % ", ".join(      # what obj's gradient code gives
        "_r[0][1][%d]" % every.index(i) for i in gradient_wrt))
    lines.append("    return %s, (%s), (0, 0, 0)" % (result_source(obj, arg_types, gradient_wrt, "_g"),
                                            "".join(b + ", " for b in bars)))
    return "\n".join(lines) + "\n", {"_tangent": tangent}
