"""numbad: automatic differentiation of numeric Python compiled by Numba.

Reverse mode on Numba's typed IR: ``grad``, ``value_and_grad``, ``vjp``,
``jacobian`` and the ``grad_jit`` decorator; forward mode: ``jvp``.  See
DESIGN.md for the contract.
"""
from .api import grad, grad_jit, hessian, hvp, jacobian, jvp, value_and_grad, vjp
from .custom import custom_jvp, custom_vjp
from .errors import NotDifferentiableError
from .rules import defarrayrule, defrule

__version__ = "0.1.0"

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacobian", "hvp", "hessian", "grad_jit",
           "NotDifferentiableError", "defrule", "defarrayrule", "custom_vjp", "custom_jvp"]
