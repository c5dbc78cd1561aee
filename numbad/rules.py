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


@dataclass(frozen=True)
class Rule:
    partials: tuple     # one template (str) or None per positional argument


RULES = {}


def defrule(fn, *partials):
    """Register the partial derivatives of ``fn``, one template per argument."""
    RULES[fn] = Rule(tuple(partials))


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
defrule(operator.pow, "{1} * {0} ** ({1} - 1)", "{ans} * math.log({0})")
defrule(operator.neg, "-1.0")
defrule(operator.pos, "1.0")

# Builtins and casts that keep a float a float.
defrule(abs, "(1.0 if {0} >= 0 else -1.0)")
defrule(min, "(1.0 if {0} <= {1} else 0.0)", "(0.0 if {0} <= {1} else 1.0)")
defrule(max, "(1.0 if {0} >= {1} else 0.0)", "(0.0 if {0} >= {1} else 1.0)")
defrule(pow, "{1} * {0} ** ({1} - 1)", "{ans} * math.log({0})")
defrule(float, "1.0")
defrule(np.float64, "1.0")
defrule(np.float32, "1.0")

# The math module.
defrule(math.sin, "math.cos({0})")
defrule(math.cos, "-math.sin({0})")
defrule(math.tan, "1.0 + {ans} * {ans}")
defrule(math.asin, "1.0 / math.sqrt(1.0 - {0} * {0})")
defrule(math.acos, "-1.0 / math.sqrt(1.0 - {0} * {0})")
defrule(math.atan, "1.0 / (1.0 + {0} * {0})")
defrule(math.atan2, "{1} / ({0} * {0} + {1} * {1})", "-{0} / ({0} * {0} + {1} * {1})")
defrule(math.sinh, "math.cosh({0})")
defrule(math.cosh, "math.sinh({0})")
defrule(math.tanh, "1.0 - {ans} * {ans}")
defrule(math.exp, "{ans}")
defrule(math.expm1, "{ans} + 1.0")
defrule(math.log, "1.0 / {0}")
defrule(math.log1p, "1.0 / (1.0 + {0})")
defrule(math.log10, "1.0 / ({0} * %s)" % _LN10)
defrule(math.log2, "1.0 / ({0} * %s)" % _LN2)
defrule(math.sqrt, "0.5 / {ans}")
defrule(math.pow, "{1} * {0} ** ({1} - 1)", "{ans} * math.log({0})")
defrule(math.hypot, "{0} / {ans}", "{1} / {ans}")
defrule(math.fabs, "(1.0 if {0} >= 0 else -1.0)")
defrule(math.floor, ZERO)
defrule(math.ceil, ZERO)
defrule(math.trunc, ZERO)
defrule(math.copysign, "math.copysign(1.0, {0}) * math.copysign(1.0, {1})", ZERO)
defrule(math.erf, "%s * math.exp(-{0} * {0})" % _TWO_OVER_SQRT_PI)
defrule(math.erfc, "-%s * math.exp(-{0} * {0})" % _TWO_OVER_SQRT_PI)

# NumPy's scalar ufuncs share the math rules.
for _np_name, _math_fn in [
        ("sin", math.sin), ("cos", math.cos), ("tan", math.tan), ("arcsin", math.asin),
        ("arccos", math.acos), ("arctan", math.atan), ("arctan2", math.atan2),
        ("sinh", math.sinh), ("cosh", math.cosh), ("tanh", math.tanh), ("exp", math.exp),
        ("expm1", math.expm1), ("log", math.log), ("log1p", math.log1p),
        ("log10", math.log10), ("log2", math.log2), ("sqrt", math.sqrt),
        ("power", math.pow), ("hypot", math.hypot), ("fabs", math.fabs),
        ("abs", abs), ("absolute", abs), ("floor", math.floor), ("ceil", math.ceil),
        ("trunc", math.trunc), ("copysign", math.copysign)]:
    RULES[getattr(np, _np_name)] = RULES[_math_fn]
defrule(np.negative, "-1.0")
defrule(np.add, "1.0", "1.0")
defrule(np.subtract, "1.0", "-1.0")
defrule(np.multiply, "{1}", "{0}")
defrule(np.divide, "1.0 / {1}", "-{ans} / {1}")

# Calls that are pure and cheap: the reverse sweep may recompute them.
PURE_CALLS = frozenset([bool, int, float, round, len, math.isnan, math.isinf,
                        math.isfinite, np.float64, np.float32, np.int64, np.int32])
