"""numbad: automatic differentiation of numeric Python compiled by Numba.

Reverse mode on Numba's typed IR: ``grad``, ``value_and_grad``, ``vjp``,
``jacobian`` and the ``grad_jit`` decorator.  See DESIGN.md for the contract.
"""
from .api import grad, grad_jit, jacobian, value_and_grad, vjp
from .errors import NotDifferentiableError
from .rules import defrule

__version__ = "0.1.0"

__all__ = ["grad", "value_and_grad", "vjp", "jacobian", "grad_jit", "NotDifferentiableError",
           "defrule"]
