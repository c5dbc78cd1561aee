"""Compiled helpers of the derivative rules of ``np.linalg.cholesky``, ``eigh``,
``slogdet`` and ``np.cov`` (rules.py).

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
def _lower_adjoint(G):
    """The adjoint of ``A`` read by its lower triangle (as Numba's cholesky and eigh
    read it) from the adjoint ``G`` of the symmetric matrix that triangle makes."""
    out = np.zeros_like(G)
    for i in range(G.shape[0]):
        for j in range(i):
            out[i, j] = G[i, j] + G[j, i]
        out[i, i] = G[i, i]
    return out


@numba.njit
def _symmetric_from_lower(d):
    """The symmetric matrix the lower triangle of ``d`` makes."""
    S = np.zeros_like(d)
    for i in range(d.shape[0]):
        for j in range(i):
            S[i, j] = d[i, j]
            S[j, i] = d[i, j]
        S[i, i] = d[i, i]
    return S


@numba.njit
def cholesky_vjp(L, g):
    """The adjoint of ``A`` given ``L = cholesky(A)`` and the adjoint ``g`` of ``L``."""
    L_inv = np.linalg.inv(L)
    L_inv_t = np.ascontiguousarray(L_inv.T)
    return _lower_adjoint(L_inv_t @ _phi(np.ascontiguousarray(L.T) @ g) @ L_inv)


@numba.njit
def cholesky_jvp(L, d):
    """The tangent of ``L = cholesky(A)`` along the tangent ``d`` of ``A`` (its lower
    triangle, as Numba reads ``A``)."""
    L_inv = np.linalg.inv(L)
    return L @ _phi(L_inv @ _symmetric_from_lower(d) @ np.ascontiguousarray(L_inv.T))


@numba.njit
def eigh_values(a):
    """``np.linalg.eigh(a)[0]``: the eigenvalues (ascending) of the symmetric matrix
    ``a``'s lower triangle makes (tuple_results.py splits ``eigh`` into this and
    ``eigh_vectors``, one rule each)."""
    return np.linalg.eigh(a)[0]


@numba.njit
def eigh_vectors(a):
    """``np.linalg.eigh(a)[1]``: the eigenvectors, as columns."""
    return np.linalg.eigh(a)[1]


@numba.njit
def _gaps(w):
    """``F[i, j] = 1 / (w[j] - w[i])`` off the diagonal, 0 on it (and where eigenvalues
    coincide: the subspace, not a vector, is defined there)."""
    n = w.shape[0]
    F = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i != j and w[j] != w[i]:
                F[i, j] = 1.0 / (w[j] - w[i])
    return F


@numba.njit
def eigh_values_vjp(a, g):
    """Adjoint of ``a`` from the adjoint ``g`` of its eigenvalues: ``V diag(g) V^T``."""
    w, V = np.linalg.eigh(a)
    return _lower_adjoint((V * g) @ np.ascontiguousarray(V.T))


@numba.njit
def eigh_values_jvp(a, d):
    """Tangent of the eigenvalues: ``diag(V^T S V)`` with ``S`` the change of the
    symmetric matrix."""
    w, V = np.linalg.eigh(a)
    M = np.ascontiguousarray(V.T) @ _symmetric_from_lower(d) @ V
    return np.diag(M).copy()


@numba.njit
def eigh_vectors_vjp(a, g):
    """Adjoint of ``a`` from the adjoint ``g`` of its eigenvectors:
    ``V (F * (V^T g)) V^T``."""
    w, V = np.linalg.eigh(a)
    Vt = np.ascontiguousarray(V.T)
    return _lower_adjoint(V @ (_gaps(w) * (Vt @ g)) @ Vt)


@numba.njit
def eigh_vectors_jvp(a, d):
    """Tangent of the eigenvectors: ``V (F * (V^T S V))``."""
    w, V = np.linalg.eigh(a)
    Vt = np.ascontiguousarray(V.T)
    return V @ (_gaps(w) * (Vt @ _symmetric_from_lower(d) @ V))


@numba.njit
def slogdet_sign(a):
    """``np.linalg.slogdet(a)[0]`` (tuple_results.py)."""
    return np.linalg.slogdet(a)[0]


@numba.njit
def slogdet_log(a):
    """``np.linalg.slogdet(a)[1]``: the log of ``|det a|``."""
    return np.linalg.slogdet(a)[1]


@numba.njit
def _centred(m):
    """``np.cov``'s variables (rows; a 1-D ``m`` is one) less their means."""
    x = np.atleast_2d(m).astype(np.float64)
    return x - np.sum(x, axis=1).reshape(-1, 1) / x.shape[1]


@numba.njit
def cov_vjp(m, g):
    """Adjoint of ``m`` from the adjoint ``g`` of ``np.cov(m)``: ``C = Xc Xc^T / (n - 1)``
    gives ``Xc_bar = (g + g^T) Xc / (n - 1)``, centred again (the means' share)."""
    xc = _centred(m)
    n = xc.shape[1]
    g2 = np.atleast_2d(np.asarray(g))
    xc_bar = (g2 + np.ascontiguousarray(g2.T)) @ xc / (n - 1.0)
    out = xc_bar - np.sum(xc_bar, axis=1).reshape(-1, 1) / n
    return out.reshape(m.shape)


@numba.njit
def cov_jvp(m, d):
    """Tangent of ``np.cov(m)`` along ``d``: ``(dXc Xc^T + Xc dXc^T) / (n - 1)``."""
    xc = _centred(m)
    dxc = _centred(d)
    n = xc.shape[1]
    out = (dxc @ np.ascontiguousarray(xc.T) + xc @ np.ascontiguousarray(dxc.T)) / (n - 1.0)
    return out if m.ndim == 2 else out.reshape(())
