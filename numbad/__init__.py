"""numbad: automatic differentiation of numeric Python compiled by Numba.

Reverse mode on Numba's typed IR: ``grad``, ``value_and_grad``, ``vjp``,
``jacobian`` and the ``grad_jit`` decorator; forward mode: ``jvp`` and
``batched_jvp``; second order: ``hvp``, ``hessian``.  See
DESIGN.md for the contract.
"""
from .api import (
    batched_jvp,
    grad,
    grad_jit,
    hessian,
    hvp,
    jacobian,
    jvp,
    value_and_grad,
    vjp,
)
from . import cache
from .custom import custom_jvp, custom_vjp
from .errors import NotDifferentiableError
from .rules import defarrayrule, defrule

__version__ = "0.1.0"

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "batched_jvp", "jacobian", "hvp", "hessian",
           "grad_jit", "cache",
           "NotDifferentiableError", "defrule", "defarrayrule", "custom_vjp", "custom_jvp"]
