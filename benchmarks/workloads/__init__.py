"""The workloads of ``python -m benchmarks``: one module each, each a ``cases(quick)``.

A workload module defines ``cases(quick: bool) -> list[Case]`` (the small sizes
when ``quick``). The driver (``benchmarks/suite.py``) times every contender of a
case in one process, interleaved, and checks them against each other first.
Keep a module's imports of JAX and autograd inside the ``jax``/``autograd``
factories: the suite runs without them.
"""
from dataclasses import dataclass, field
from typing import Callable, Optional, Union

MODULES = ("gmm", "ba", "lstm", "lorenz", "heat", "adaptive_ode", "nbody")


@dataclass
class Case:
    """One workload at one size.

    ``primal(*args)`` is the ``@numba.njit`` function returning a float; numbad
    differentiates it w.r.t. ``argnums``. ``hand(*args)`` is a careful
    hand-written ``@njit`` adjoint returning the gradients in ``argnums``
    order (a tuple, one entry per argnum; arrays for array arguments), or None.
    ``jax`` and ``autograd`` are zero-argument factories returning the loss
    written for that library, a function of the same arguments as ``primal``
    (JAX: traced with ``jax.numpy``, the ``static_argnums`` positions static;
    the driver applies ``jax.jit(jax.grad(f, argnums), static_argnums)``),
    or a string saying why that library cannot differentiate the workload
    (shown in the table instead of a time).
    """
    workload: str
    size: str
    primal: Callable
    args: tuple
    argnums: tuple
    hand: Optional[Callable] = None
    jax: Union[Callable, str, None] = None
    autograd: Union[Callable, str, None] = None
    static_argnums: tuple = ()
    loop_heavy: bool = False          # the 2x-over-JAX target applies
    numbad_options: dict = field(default_factory=dict)
    rtol: float = 1e-7                # contenders agree with numbad to this
    fd_step: float = 1e-6             # relative central-difference step
    fd_rtol: float = 1e-5             # numbad agrees with central differences to this
    # the primal's discrete outcome at given arguments (e.g. its trip count): central
    # differences shrink their step until it is the same on both sides (the derivative
    # of a piecewise-smooth loss is the one at fixed trip count)
    fd_signature: Optional[Callable] = None
    note: str = ""
