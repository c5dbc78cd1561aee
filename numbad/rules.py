"""The one table of derivative rules, shared by reverse and forward mode.

Each primitive (a Python callable: ``operator.mul``, ``math.sin``, ``np.exp``,
``abs`` ...) maps to one partial-derivative template per argument, written as
Python source in terms of the arguments ``{0}``, ``{1}`` ... and the result
``{ans}``.  Reverse mode emits ``x_bar += ans_bar * partial``; forward mode
emits ``ans_dot = sum(partial_k * x_k_dot)``.  ``None`` means the result does
not depend differentiably on that argument (derivative zero, e.g. ``floor``).

Add a rule for a new primitive with ``defrule(fn, *partials)``.
"""
import math
import operator
from dataclasses import dataclass

import numpy as np
from numba.core import types
from numba.extending import register_jitable

from . import array_runtime, linalg_runtime, order_runtime
from .array_construction import array_of, concatenate, concatenate_columns, stack
from .special import polygamma


@dataclass(frozen=True)
class Rule:
    partials: tuple     # one template (str) or None per positional argument
    # positions whose partial may be inf or nan where the function is finite (sqrt's at
    # 0, ``x ** y``'s ``log(x)`` at x < 0): both modes add their term only for a nonzero
    # tangent or adjoint, so that a direction along the other arguments, or a value
    # nothing uses (``d = np.sqrt(r2); d[i, i] = 0``), stays finite (0, not 0 * inf)
    nonfinite: frozenset = frozenset()


RULES = {}


def defrule(fn, *partials, nonfinite=()):
    """Register the partial derivatives of ``fn``, one template per argument."""
    RULES[fn] = Rule(tuple(partials), frozenset(nonfinite))


def rule_for(fn):
    """The Rule for callable ``fn``, or None when numbad has none."""
    try:
        return RULES.get(fn)
    except TypeError:       # unhashable callee
        return None


ZERO = None
_LN10 = repr(math.log(10.0))
_LN2 = repr(math.log(2.0))
_TWO_OVER_SQRT_PI = repr(2.0 / math.sqrt(math.pi))

# Arithmetic operators (binop and inplace_binop use the same entries).
defrule(operator.add, "1.0", "1.0")
defrule(operator.sub, "1.0", "-1.0")
defrule(operator.mul, "{1}", "{0}")
defrule(operator.truediv, "1.0 / {1}", "-{ans} / {1}")
defrule(operator.floordiv, ZERO, ZERO)
defrule(operator.mod, "1.0", "-math.floor({0} / {1})")
# (d/dy x ** y at x == 0 is 0 for y > 0, as JAX has it; log(0) would make it nan)
_POW = ("{1} * {0} ** ({1} - 1)", "({ans} * math.log({0}) if {0} != 0 else 0.0)")
defrule(operator.pow, *_POW, nonfinite=[0, 1])
defrule(operator.neg, "-1.0")
defrule(operator.pos, "1.0")

# Builtins and casts that keep a float a float.
defrule(abs, "(1.0 if {0} >= 0 else -1.0)")
# (a tie shares the derivative equally, as central differences and JAX's maximum do)
defrule(min, "(1.0 if {0} < {1} else 0.5 if {0} == {1} else 0.0)",
        "(0.0 if {0} < {1} else 0.5 if {0} == {1} else 1.0)")
defrule(max, "(1.0 if {0} > {1} else 0.5 if {0} == {1} else 0.0)",
        "(0.0 if {0} > {1} else 0.5 if {0} == {1} else 1.0)")
defrule(pow, *_POW, nonfinite=[0, 1])
defrule(float, "1.0")
defrule(np.float64, "1.0")
defrule(np.float32, "1.0")

# The math module.
defrule(math.sin, "math.cos({0})")
defrule(math.cos, "-math.sin({0})")
defrule(math.tan, "1.0 + {ans} * {ans}")
defrule(math.asin, "1.0 / math.sqrt(1.0 - {0} * {0})", nonfinite=[0])
defrule(math.acos, "-1.0 / math.sqrt(1.0 - {0} * {0})", nonfinite=[0])
defrule(math.atan, "1.0 / (1.0 + {0} * {0})")
defrule(math.atan2, "{1} / ({0} * {0} + {1} * {1})", "-{0} / ({0} * {0} + {1} * {1})",
        nonfinite=[0, 1])
defrule(math.sinh, "math.cosh({0})")
defrule(math.cosh, "math.sinh({0})")
defrule(math.tanh, "1.0 - {ans} * {ans}")
defrule(math.exp, "{ans}")
defrule(math.expm1, "{ans} + 1.0")
defrule(math.log, "1.0 / {0}")
defrule(math.log1p, "1.0 / (1.0 + {0})")
defrule(math.log10, "1.0 / ({0} * %s)" % _LN10)
defrule(math.log2, "1.0 / ({0} * %s)" % _LN2)
defrule(math.sqrt, "0.5 / {ans}", nonfinite=[0])
defrule(math.pow, *_POW, nonfinite=[0, 1])
defrule(math.hypot, "{0} / {ans}", "{1} / {ans}", nonfinite=[0, 1])
defrule(math.fabs, "(1.0 if {0} >= 0 else -1.0)")
defrule(math.floor, ZERO)
defrule(math.ceil, ZERO)
defrule(math.trunc, ZERO)
defrule(math.copysign, "math.copysign(1.0, {0}) * math.copysign(1.0, {1})", ZERO)
defrule(math.erf, "%s * math.exp(-{0} * {0})" % _TWO_OVER_SQRT_PI)
defrule(math.erfc, "-%s * math.exp(-{0} * {0})" % _TWO_OVER_SQRT_PI)
defrule(math.asinh, "1.0 / math.sqrt({0} * {0} + 1.0)")
defrule(math.acosh, "1.0 / math.sqrt({0} * {0} - 1.0)", nonfinite=[0])
defrule(math.atanh, "1.0 / (1.0 - {0} * {0})", nonfinite=[0])
defrule(math.exp2, "{ans} * %s" % _LN2)
defrule(math.radians, repr(math.pi / 180.0))
defrule(math.degrees, repr(180.0 / math.pi))
# (the polygamma function gives lgamma's derivatives of every order: special.py)
defrule(math.lgamma, "_polygamma(0, {0})")
defrule(math.gamma, "{ans} * _polygamma(0, {0})")
defrule(polygamma, ZERO, "_polygamma({0} + 1, {1})")

# NumPy's scalar ufuncs share the math rules.
for _np_name, _math_fn in [
        ("sin", math.sin), ("cos", math.cos), ("tan", math.tan), ("arcsin", math.asin),
        ("arccos", math.acos), ("arctan", math.atan), ("arctan2", math.atan2),
        ("sinh", math.sinh), ("cosh", math.cosh), ("tanh", math.tanh), ("exp", math.exp),
        ("expm1", math.expm1), ("log", math.log), ("log1p", math.log1p),
        ("log10", math.log10), ("log2", math.log2), ("sqrt", math.sqrt),
        ("power", math.pow), ("hypot", math.hypot), ("fabs", math.fabs),
        ("abs", abs), ("absolute", abs), ("floor", math.floor), ("ceil", math.ceil),
        ("trunc", math.trunc), ("copysign", math.copysign), ("arcsinh", math.asinh),
        ("arccosh", math.acosh), ("arctanh", math.atanh), ("exp2", math.exp2),
        ("deg2rad", math.radians), ("radians", math.radians), ("rad2deg", math.degrees),
        ("degrees", math.degrees), ("float_power", math.pow), ("remainder", operator.mod),
        ("mod", operator.mod), ("rint", math.floor)]:
    RULES[getattr(np, _np_name)] = RULES[_math_fn]
defrule(np.negative, "-1.0")
defrule(np.positive, "1.0")
defrule(np.cbrt, "1.0 / (3.0 * {ans} * {ans})", nonfinite=[0])
defrule(np.logaddexp, "math.exp({0} - {ans})", "math.exp({1} - {ans})")
defrule(np.logaddexp2, "2.0 ** ({0} - {ans})", "2.0 ** ({1} - {ans})")
defrule(np.fmod, "1.0", "-math.trunc({0} / {1})")
defrule(np.add, "1.0", "1.0")
defrule(np.subtract, "1.0", "-1.0")
defrule(np.multiply, "{1}", "{0}")
# (NumPy's division of numbers: x / 0 is inf, not an error, in the derivatives too;
# fused element-wise expressions divide with it, see fusion.py)
defrule(np.divide, "np.true_divide(1.0, {1})", "-np.true_divide({ans}, {1})")
defrule(np.true_divide, "np.true_divide(1.0, {1})", "-np.true_divide({ans}, {1})")
defrule(np.square, "2.0 * {0}")
defrule(np.reciprocal, "-{ans} * {ans}")
defrule(np.sign, ZERO)
defrule(np.maximum, *RULES[max].partials)
defrule(np.minimum, *RULES[min].partials)
defrule(np.fmax, *RULES[max].partials)
defrule(np.fmin, *RULES[min].partials)
defrule(np.where, ZERO, "(1.0 if {0} else 0.0)", "(0.0 if {0} else 1.0)")
defrule(np.clip, "(1.0 if {1} < {0} < {2} else 0.5 if {0} == {1} or {0} == {2} else 0.0)",
        "(1.0 if {0} < {1} else 0.5 if {0} == {1} else 0.0)",
        "(1.0 if {0} > {2} else 0.5 if {0} == {2} else 0.0)")


@register_jitable
def where(condition, x, y):
    """``np.where`` of one element (fused loops; Numba's ``np.where`` of numbers makes
    a 0-d array)."""
    return x if condition else y


@register_jitable
def clip(x, low, high):
    """``np.clip`` of one element (fused loops; Numba's needs an array)."""
    return min(max(x, low), high)


RULES[where] = RULES[np.where]
RULES[clip] = RULES[np.clip]


# Whole-array operations: reductions, linear algebra, shape changes.
# An array rule gives, per argument, a template of that argument's share of the
# result's adjoint ``{g}`` (NumPy source in ``{g}``, ``{0}``, ``{1}`` ..., ``{ans}``);
# reverse mode sums it down to the argument's shape. The forward-mode column
# gives, per argument, that argument's contribution to the result's tangent in
# terms of its tangent ``{d}``. Rules choose templates by the argument types
# (``ndim``; a parameter not given is None), and place keyword arguments by
# ``params``.

@dataclass(frozen=True)
class ArrayRule:
    params: tuple       # parameter names, in order (keyword arguments are placed by them)
    vjp: object         # (type of each given argument ...) -> one template or None each
    jvp: object = None  # the same, forward mode (templates in ``{d}``); None: reverse only


ARRAY_RULES = {}


def defarrayrule(fns, params, vjp, jvp=None):
    """Register an array rule for each callable in ``fns`` (``vjp``: reverse-mode
    templates in ``{g}``; ``jvp``: forward-mode templates in ``{d}``)."""
    for fn in fns:
        ARRAY_RULES[fn] = ArrayRule(tuple(params), vjp, jvp)


def _ndim(t):
    return getattr(t, "ndim", 0)


def _dot_vjp(a, b):
    shapes = {(0, 0): ("{g} * {1}", "{g} * {0}"),
              (0, 1): ("np.sum({g} * {1})", "{g} * {0}"),
              (1, 0): ("{g} * {1}", "np.sum({g} * {0})"),
              (1, 1): ("{g} * {1}", "{g} * {0}"),
              (2, 1): ("np.outer({g}, {1})", "np.ascontiguousarray({0}.T) @ {g}"),
              (1, 2): ("{1} @ {g}", "np.outer({0}, {g})"),
              (2, 2): ("{g} @ np.ascontiguousarray({1}.T)",
                       "np.ascontiguousarray({0}.T) @ {g}")}
    return shapes.get((_ndim(a), _ndim(b)))


def _axis_rule(whole, along):
    """Templates for a reduction with an optional ``axis`` argument."""
    def rule(a, axis):
        if axis is None or isinstance(axis, (types.NoneType, types.Omitted)) or \
                getattr(a, "ndim", None) == 1:      # (along the only axis: a number)
            return (whole, None)
        return (along, None) if along else None
    return rule


def _linear(call, arity=1):
    """Forward-mode templates of an operation linear in each of its ``arity`` array
    arguments: ``call`` with one argument replaced by its tangent."""
    def jvp(*types_):
        slots = ["{%d}" % i for i in range(len(types_))]
        out = []
        for i in range(len(types_)):
            if i >= arity:
                out.append(None)
                continue
            args = [s for s, t in zip(slots, types_) if t is not None]
            args[i] = "{d}"
            out.append(call % ", ".join(args))
        return tuple(out)
    return jvp


defarrayrule([np.sum], ("a", "axis"), _axis_rule("{g}", "np.expand_dims({g}, {1})"),
             _linear("np.sum(%s)"))
defarrayrule([np.mean], ("a", "axis"), _axis_rule(
    "{g} / {0}.size", "np.expand_dims({g}, {1}) / {0}.shape[{1}]"), _linear("np.mean(%s)"))
defarrayrule([np.prod], ("a",), lambda a: ("_prod_vjp({0}, {g})",),
             lambda a: ("np.sum(_prod_vjp({0}, 1.0) * {d})",))
defarrayrule([np.max, np.amax, np.min, np.amin], ("a",),
             lambda a: ("_extremum_vjp({0}, {ans}, {g})",),
             lambda a: ("np.sum(_extremum_vjp({0}, {ans}, 1.0) * {d})",))
defarrayrule([np.dot], ("a", "b"), _dot_vjp, _linear("np.dot(%s)", 2))
defarrayrule([operator.matmul], ("a", "b"), _dot_vjp, lambda a, b: ("{d} @ {1}", "{0} @ {d}"))
defarrayrule([np.vdot], ("a", "b"), lambda a, b: ("{g} * {1}", "{g} * {0}"),
             _linear("np.vdot(%s)", 2))
# std and norm are convex with a kink where they are 0: there the subgradient 0 (as
# PyTorch gives), not 0 / 0
_NONZERO = "({ans} if {ans} != 0.0 else 1.0)"
defarrayrule([np.linalg.norm], ("x",), lambda x: ("{g} * {0} / %s" % _NONZERO,),
             lambda x: ("np.sum({0} * {d}) / %s" % _NONZERO,))
defarrayrule([np.cumsum], ("a",), lambda a: ("_reverse_cumsum({g}, {0})",),
             _linear("np.cumsum(%s)"))
defarrayrule([np.diff], ("a", "n"), lambda a, n: (
    ("_diff_vjp({g})", None) if _ndim(a) == 1 and n is None else None),
    lambda a, n: ("np.diff({d})", None) if n is None else None)
defarrayrule([np.diag], ("v",), lambda v: (
    "_diag_vjp({g}, {0})" if _ndim(v) == 2 else "np.diag({g})",), _linear("np.diag(%s)"))
defarrayrule([np.trace], ("a",), lambda a: (
    ("{g} * np.eye({0}.shape[0], {0}.shape[1])",) if _ndim(a) == 2 else None),
    _linear("np.trace(%s)"))
# var = mean((a - mean(a))^2): the mean's own share sums to zero
defarrayrule([np.var], ("a",), lambda a: ("{g} * 2.0 * ({0} - np.mean({0})) / {0}.size",),
             lambda a: ("2.0 * np.sum(({0} - np.mean({0})) * {d}) / {0}.size",))
defarrayrule([np.std], ("a",),
             lambda a: ("{g} * ({0} - np.mean({0})) / ({0}.size * %s)" % _NONZERO,),
             lambda a: ("np.sum(({0} - np.mean({0})) * {d}) / ({0}.size * %s)" % _NONZERO,))
defarrayrule([np.outer], ("a", "b"), lambda a, b: (
    ("{g} @ {1}", "{0} @ {g}") if _ndim(a) == _ndim(b) == 1 else None),
    _linear("np.outer(%s)", 2))
defarrayrule([np.transpose], ("a",), lambda a: ("{g}.T",), _linear("np.transpose(%s)"))
defarrayrule([np.copy], ("a",), lambda a: ("{g}",), _linear("np.copy(%s)"))
defarrayrule([np.ascontiguousarray], ("a",), lambda a: ("{g}",),
             _linear("np.ascontiguousarray(%s)"))
# (``np.asarray(x)`` of a number is a 0-d array, and so is its tangent: Numba's
# ascontiguousarray of a number has one axis)
defarrayrule([np.asarray], ("a",), lambda a: ("{g}",), _linear("np.asarray(%s)"))
_RESHAPE_BACK = "np.ascontiguousarray({g}).reshape({0}.shape)"
defarrayrule([np.ravel], ("a",), lambda a: (_RESHAPE_BACK,), _linear("np.ravel(%s)"))
for _fn in (np.atleast_1d, np.atleast_2d, np.atleast_3d):
    defarrayrule([_fn], ("a",), lambda a: (_RESHAPE_BACK,), _linear("np.%s(%%s)" % _fn.__name__))

# Linear algebra (Numba's np.linalg needs SciPy's LAPACK, as the user's code then does).
# x = solve(A, b): b_bar = solve(A^T, g), A_bar = -b_bar x^T; the tangent solves
# A dx = db - dA x.
_SOLVE_T = "np.linalg.solve(np.ascontiguousarray({0}.T), {g})"
defarrayrule([np.linalg.solve], ("a", "b"), lambda a, b: (
    "-np.outer(%s, {ans})" % _SOLVE_T if _ndim(b) == 1 else
    "-%s @ np.ascontiguousarray({ans}.T)" % _SOLVE_T, _SOLVE_T),
    lambda a, b: ("-np.linalg.solve({0}, {d} @ {ans})", "np.linalg.solve({0}, {d})"))
_INV_T = "np.ascontiguousarray({ans}.T)"
defarrayrule([np.linalg.inv], ("a",), lambda a: ("-%s @ {g} @ %s" % (_INV_T, _INV_T),),
             lambda a: ("-{ans} @ {d} @ {ans}",))
# (cholesky: linalg_runtime.py; Numba reads only the lower triangle of its argument)
defarrayrule([np.linalg.cholesky], ("a",), lambda a: ("_cholesky_vjp({ans}, {g})",),
             lambda a: ("_cholesky_jvp({ans}, {d})",))
defarrayrule([np.linalg.det], ("a",),
             lambda a: ("{g} * {ans} * np.ascontiguousarray(np.linalg.inv({0}).T)",),
             lambda a: ("{ans} * np.trace(np.linalg.solve({0}, {d}))",))


# np.linalg.eigh and slogdet, one function per result (tuple_results.py); Numba's eigh
# reads the lower triangle, as its cholesky does (linalg_runtime.py)
defarrayrule([linalg_runtime.eigh_values], ("a",), lambda a: ("_eigh_values_vjp({0}, {g})",),
             lambda a: ("_eigh_values_jvp({0}, {d})",))
defarrayrule([linalg_runtime.eigh_vectors], ("a",),
             lambda a: ("_eigh_vectors_vjp({0}, {g})",),
             lambda a: ("_eigh_vectors_jvp({0}, {d})",))
defarrayrule([linalg_runtime.slogdet_sign], ("a",), lambda a: (None,), lambda a: (None,))
defarrayrule([linalg_runtime.slogdet_log], ("a",),
             lambda a: ("{g} * np.ascontiguousarray(np.linalg.inv({0}).T)",),
             lambda a: ("np.trace(np.linalg.solve({0}, {d}))",))
defarrayrule([np.cov], ("m",), lambda m: ("_cov_vjp({0}, {g})",),
             lambda m: ("_cov_jvp({0}, {d})",))

# Orderings and triangles: sort scatters back through the permutation that sorts
# (order_runtime.py), median picks its middle element(s); cumprod runs its
# recurrence backwards; the rest are linear.
defarrayrule([np.sort], ("a",), lambda a: ("_unsort({g}, {0})",),
             lambda a: ("_sort_tangent({d}, {0})",))
defarrayrule([np.median], ("a",), lambda a: ("_median_vjp({0}, {g})",),
             lambda a: ("np.sum(_median_vjp({0}, 1.0) * {d})",))
defarrayrule([np.cumprod], ("a",), lambda a: ("_cumprod_vjp({0}, {g})",),
             lambda a: ("_cumprod_jvp({0}, {d})",))
for _fn in (np.flip, np.fliplr, np.flipud):
    defarrayrule([_fn], ("m",), lambda m, _f=_fn.__name__: ("np.%s({g})" % _f,),
                 _linear("np.%s(%%s)" % _fn.__name__))
for _fn in (np.triu, np.tril):
    defarrayrule([_fn], ("m", "k"), lambda m, k, _f=_fn.__name__: (
        "np.%s({g})" % _f if k is None else "np.%s({g}, {1})" % _f, None),
        lambda m, k, _f=_fn.__name__: (
            "np.%s({d})" % _f if k is None else "np.%s({d}, {1})" % _f, None))
defarrayrule([np.cross], ("a", "b"), lambda a, b: ("np.cross({1}, {g})", "np.cross({g}, {0})"),
             lambda a, b: ("np.cross({d}, {1})", "np.cross({0}, {d})"))


def flatten(a):
    """``a.flatten()``: a copy, where ``np.ravel`` may give a view (so must its tangent)."""
    return np.ravel(a).copy()


defarrayrule([flatten], ("a",), lambda a: (_RESHAPE_BACK,), _linear("np.ravel(%s).copy()"))
defarrayrule([np.expand_dims], ("a", "axis"), lambda a, axis: (_RESHAPE_BACK, None),
             lambda a, axis: ("np.expand_dims({d}, {1})", None))
defarrayrule([np.reshape], ("a", "shape", "d1", "d2", "d3"),
             lambda a, *shape: (_RESHAPE_BACK,) + (None,) * len(shape),
             lambda a, *shape: ("np.ascontiguousarray({d}).reshape(%s)" % ", ".join(
                 "{%d}" % (i + 1) for i, t in enumerate(shape) if t is not None),)
             + (None,) * len(shape))
defarrayrule([np.arange], ("start", "stop", "step"), lambda start, stop, step: (
    # arange(stop) counts from 0; the stop only sets the length (derivative zero)
    (None, None, None) if stop is None else
    ("np.sum({g})", None, None if step is None else "np.sum({g} * np.arange({g}.shape[0]))")),
    lambda start, stop, step: (None, None, None) if stop is None else (
        "np.full({ans}.shape[0], {d})", None, "{d} * np.arange({ans}.shape[0])"))
defarrayrule([np.linspace], ("start", "stop", "num"), lambda start, stop, num: (
    "np.sum({g} * (1.0 - _ramp({g}.shape[0])))", "np.sum({g} * _ramp({g}.shape[0]))", None),
    lambda start, stop, num: ("{d} * (1.0 - _ramp({ans}.shape[0]))",
                              "{d} * _ramp({ans}.shape[0])", None))
defarrayrule([np.full], ("shape", "fill_value"), lambda shape, x: (None, "np.sum({g})"),
             lambda shape, x: (None, "np.full({ans}.shape, {d})"))
defarrayrule([np.full_like], ("a", "fill_value"), lambda a, x: (None, "np.sum({g})"),
             lambda a, x: (None, "np.full_like({ans}, {d})"))


# np.interp(x, xp, fp) (interp_runtime.py): the slope along x, linear in fp, and
# d/dxp = -slope * d/dfp. (Knots given as arrays of floats; x a number or an array.)
def _interp_helpers(x):
    """Templates of the slope at x and of the scatter onto the knots (``%s``: what)."""
    at = "_at" if _ndim(x) == 0 else ""
    return "_interp_slope%s({0}, {1}, {2})" % at, "_interp_scatter%s({0}, {1}, %%s)" % at


def _interp_vjp(x, xp, fp):
    slope, scatter = _interp_helpers(x)
    return ("{g} * " + slope, scatter % ("-{g} * " + slope), scatter % "{g}")


def _interp_jvp(x, xp, fp):
    slope, _ = _interp_helpers(x)
    return ("{d} * " + slope, "-%s * np.interp({0}, {1}, {d})" % slope,
            "np.interp({0}, {1}, {d})")


defarrayrule([np.interp], ("x", "xp", "fp"), _interp_vjp, _interp_jvp)

# Arrays built from parts (array_construction.py): each part's adjoint is its slice of
# the result's; a part's tangent is the whole built from zeros (``zero``: a template,
# ``#`` standing for the part's number) and that tangent.
_PARTS = tuple("part%d" % i for i in range(64))


def _parts_rule(slice_of, build, zero):
    def vjp(*parts):
        return tuple(None if t is None else slice_of(parts, i) for i, t in enumerate(parts))

    def jvp(*parts):
        given = [i for i, t in enumerate(parts) if t is not None]
        return tuple(None if t is None else "%s(%s)" % (build, ", ".join(
            "{d}" if j == i else zero.replace("#", str(j)) for j in given))
            for i, t in enumerate(parts))
    return vjp, jvp


def _item_of(parts, i):
    return "{g}[%d]" % i


def _rows_of(parts, i):
    start = " + ".join("{%d}.shape[0]" % j for j in range(i)) or "0"
    return "{g}[%s:%s + {%d}.shape[0]]" % (start, start, i)


def _columns_of(parts, i):
    start = " + ".join("{%d}.shape[1]" % j for j in range(i)) or "0"
    return "{g}[:, %s:%s + {%d}.shape[1]]" % (start, start, i)


defarrayrule([array_of], _PARTS, *_parts_rule(_item_of, "_array_of", "0.0"))
defarrayrule([concatenate_columns], _PARTS, *_parts_rule(
    _columns_of, "_concatenate_columns", "np.zeros_like({#})"))
defarrayrule([stack], _PARTS, *_parts_rule(_item_of, "_stack", "np.zeros_like({#})"))
defarrayrule([concatenate], _PARTS, *_parts_rule(_rows_of, "_concatenate",
                                                 "np.zeros_like({#})"))

# Functions linear in some of their arguments (jointly): numbad's own adjoint helpers,
# met when numbad differentiates its generated gradient code. Forward mode applies the
# function itself to the tangents of those arguments (the others passed as they are);
# ``updates``: the argument it adds into in place (it returns None).

@dataclass(frozen=True)
class LinearRule:
    linear: tuple       # positions of the arguments it is linear in
    updates: object = None


LINEAR_RULES = {}


def deflinear(fn, linear, updates=None):
    """Register ``fn`` as linear in the arguments at positions ``linear``."""
    LINEAR_RULES[fn] = LinearRule(tuple(linear), updates)


def linear_rule_for(fn):
    """The LinearRule of callable ``fn``, or None."""
    try:
        return LINEAR_RULES.get(fn)
    except TypeError:
        return None


for _fn, _linear_in in [(array_runtime.acc, (0, 1)), (array_runtime.move, (0, 1)),
                        (array_runtime.live, (0,)), (array_runtime.sum_to, (0,)),
                        (array_runtime.reverse_cumsum, (0,)), (array_runtime.shaped, (0,)),
                        (array_runtime.diff_vjp, (0,)), (array_runtime.diag_vjp, (0,)),
                        (array_runtime.extremum_vjp, (2,))]:
    deflinear(_fn, _linear_in)
deflinear(array_runtime.last_written, (0,))
deflinear(order_runtime.unsort, (0,))
deflinear(order_runtime.median_vjp, (1,))
deflinear(order_runtime.sort_tangent, (0,))
deflinear(array_runtime.add_into, (0, 1), updates=0)
deflinear(array_runtime.scatter_add, (0, 2), updates=0)

# Array methods that are NumPy functions of the array (``a.sum()`` is ``np.sum(a)``).
METHODS = {"sum": np.sum, "mean": np.mean, "prod": np.prod, "max": np.max, "min": np.min,
           "dot": np.dot, "cumsum": np.cumsum, "transpose": np.transpose, "copy": np.copy,
           "ravel": np.ravel, "flatten": flatten, "reshape": np.reshape, "T": np.transpose,
           "var": np.var, "std": np.std, "cumprod": np.cumprod}


def item(x):
    """``x.item()`` (or ``x.conjugate()``, ``x.real``) of a float: the float itself."""
    return x


defrule(item, "1.0")
# Methods of float numbers (``x.item()``, which np.nditer's 0-d arrays need).
NUMBER_METHODS = {"item": item, "conjugate": item}


def array_rule_for(fn):
    """The ArrayRule of callable ``fn``, or None."""
    try:
        return ARRAY_RULES.get(fn)
    except TypeError:
        return None


# Calls whose results the reverse sweep reads from the tape rather than computing
# them again: a transcendental function costs tens of cycles, a tape entry a few.
_COSTLY_MATH = (math.sin, math.cos, math.tan, math.asin, math.acos, math.atan, math.atan2,
                math.sinh, math.cosh, math.tanh, math.exp, math.expm1, math.log, math.log1p,
                math.log10, math.log2, math.pow, math.hypot, math.erf, math.erfc, pow,
                math.asinh, math.acosh, math.atanh, math.exp2, math.lgamma, math.gamma,
                polygamma, np.cbrt, np.logaddexp, np.logaddexp2)
COSTLY_CALLS = frozenset(fn for fn, rule in RULES.items()
                         if fn in _COSTLY_MATH or any(rule is RULES.get(m) for m in _COSTLY_MATH))

# NumPy functions that write into array arguments they are given (positions): every
# other NumPy, math or builtin function numbad meets leaves its arguments as they are
# (``out=`` keywords aside). Calls of anything else without a rule (a stencil, a
# ``@vectorize``/``@guvectorize`` function, an unknown method) may write every array
# they get.
WRITES_ARGUMENTS = {np.copyto: (0,), np.put: (0,), np.place: (0,), np.putmask: (0,),
                    np.fill_diagonal: (0,)}
# Array methods that write into the array they are called on.
WRITING_METHODS = frozenset(["sort", "fill", "resize", "put", "itemset", "partition",
                             "setfield", "setflags"])


def leaves_arguments(fn):
    """Whether a call of ``fn`` (given no ``out=``) writes into none of its arguments:
    NumPy's functions but those in WRITES_ARGUMENTS and ``np.random``'s, ``math``,
    builtins."""
    module = getattr(fn, "__module__", None) or ""
    if module.startswith("numpy.random") or not callable(fn):
        return False
    try:
        if fn in WRITES_ARGUMENTS:
            return False
    except TypeError:       # (unhashable)
        return False
    return module == "numpy" or module.startswith("numpy.") or module in ("math",
                                                                         "builtins")


# Calls that are pure and cheap: the reverse sweep may recompute them.
PURE_CALLS = frozenset([bool, int, float, round, len, slice, type, math.isnan, math.isinf,
                        math.isfinite, np.float64, np.float32, np.int64, np.int32,
                        array_runtime.refuse_partial_overlap,
                        array_runtime.refuse_unequal_shapes])
