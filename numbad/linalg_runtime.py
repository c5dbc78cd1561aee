"""Compiled helpers of ``np.linalg.cholesky``'s derivative rules (rules.py).

With ``A = L L^T`` and ``Phi(X)`` the lower triangle of ``X`` with its diagonal
halved, a symmetric change ``dS`` of ``A`` moves ``L`` by ``L Phi(L^-1 dS L^-T)``,
and the adjoint ``G`` that pairs with symmetric changes is the symmetric part of
``L^-T Phi(L^T Lbar) L^-1`` (Murray, 2016). Numba's cholesky reads only the lower
triangle of ``A``, so a change ``dA`` acts as ``dS = tril(dA) + tril(dA, -1)^T``,
and the adjoint of ``A`` itself is ``G`` on the diagonal, ``2 G`` below it and zero
above: the derivative of the function as Numba computes it, which central
differences of it confirm. (Where ``A`` is built symmetric, as it is for a
covariance, the chain rule gives what a symmetric convention such as JAX's gives.)

Plain ``@njit`` code, which numbad differentiates in turn for second derivatives.
"""
import numba
import numpy as np


@numba.njit
def _phi(x):
    """The lower triangle of square ``x``, its diagonal halved."""
    out = np.zeros_like(x)
    for i in range(x.shape[0]):
        for j in range(i):
            out[i, j] = x[i, j]
        out[i, i] = 0.5 * x[i, i]
    return out


@numba.njit
def cholesky_vjp(L, g):
    """The adjoint of ``A`` given ``L = cholesky(A)`` and the adjoint ``g`` of ``L``."""
    L_inv = np.linalg.inv(L)
    L_inv_t = np.ascontiguousarray(L_inv.T)
    G = L_inv_t @ _phi(np.ascontiguousarray(L.T) @ g) @ L_inv
    out = np.zeros_like(G)
    for i in range(G.shape[0]):
        for j in range(i):
            out[i, j] = G[i, j] + G[j, i]       # (twice the symmetric part)
        out[i, i] = G[i, i]
    return out


@numba.njit
def cholesky_jvp(L, d):
    """The tangent of ``L = cholesky(A)`` along the tangent ``d`` of ``A`` (its lower
    triangle, as Numba reads ``A``)."""
    S = np.zeros_like(d)
    for i in range(d.shape[0]):
        for j in range(i):
            S[i, j] = d[i, j]
            S[j, i] = d[i, j]
        S[i, i] = d[i, i]
    L_inv = np.linalg.inv(L)
    return L @ _phi(L_inv @ S @ np.ascontiguousarray(L_inv.T))
