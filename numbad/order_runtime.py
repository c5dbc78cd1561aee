"""Compiled helpers of the derivative rules of ``np.sort``, ``np.median`` and
``np.cumprod`` (rules.py).

Plain ``@njit`` code; ``unsort`` and ``median_vjp`` are registered as linear in the
adjoint (the permutation that sorts is piecewise constant), ``cumprod_vjp`` and
``cumprod_jvp`` are differentiated in turn for second derivatives.
"""
import numba
import numpy as np


@numba.njit
def _orders(a):
    """The permutation that sorts each row of ``a`` along its last axis, one row each."""
    n = a.shape[-1]
    rows = np.ascontiguousarray(a).reshape(-1, n)
    out = np.empty(rows.shape, np.int64)
    for r in range(rows.shape[0]):
        out[r] = np.argsort(rows[r])
    return out


@numba.njit
def unsort(g, a):
    """Adjoint of ``np.sort(a)`` (along the last axis): ``g`` scattered back through the
    permutation that sorts ``a``."""
    orders = _orders(a)
    gs = np.ascontiguousarray(g).reshape(orders.shape)
    out = np.empty_like(gs)
    for r in range(orders.shape[0]):
        out[r][orders[r]] = gs[r]
    return out.reshape(a.shape)


@numba.njit
def sort_tangent(d, a):
    """Tangent of ``np.sort(a)`` along ``d``: ``d`` in the order that sorts ``a``."""
    orders = _orders(a)
    ds = np.ascontiguousarray(d).reshape(orders.shape)
    out = np.empty_like(ds)
    for r in range(orders.shape[0]):
        out[r] = ds[r][orders[r]]
    return out.reshape(a.shape)


@numba.njit
def cumprod_vjp(a, g):
    """Adjoint of ``np.cumprod(a)`` (flattening) for its adjoint ``g``, by the
    recurrence ``p_k = p_(k-1) a_k`` run backwards (no division: exact at zeros)."""
    flat = np.ascontiguousarray(a).ravel()
    n = flat.size
    before = np.empty(n)        # p_(k-1), with p_(-1) = 1
    p = 1.0
    for k in range(n):
        before[k] = p
        p *= flat[k]
    out = np.empty(n)
    carried = 0.0               # the adjoint of p_k
    for k in range(n - 1, -1, -1):
        carried = g[k] + (carried * flat[k + 1] if k + 1 < n else 0.0)
        out[k] = carried * before[k]
    return out.reshape(a.shape)


@numba.njit
def cumprod_jvp(a, d):
    """Tangent of ``np.cumprod(a)`` along ``d``: ``dp_k = dp_(k-1) a_k + p_(k-1) d_k``."""
    flat = np.ascontiguousarray(a).ravel()
    dflat = np.ascontiguousarray(d).ravel()
    out = np.empty(flat.size)
    p, dp = 1.0, 0.0
    for k in range(flat.size):
        dp = dp * flat[k] + p * dflat[k]
        p *= flat[k]
        out[k] = dp
    return out


@numba.njit
def median_vjp(a, g):
    """Adjoint of ``np.median(a)`` (of all elements): ``g`` on the middle element in
    sorted order, or shared by the two middle ones of an even count."""
    flat = np.ascontiguousarray(a).ravel()
    n = flat.size
    order = np.argsort(flat)
    out = np.zeros(n)
    if n % 2 == 1:
        out[order[n // 2]] = g
    else:
        out[order[n // 2 - 1]] += 0.5 * g
        out[order[n // 2]] += 0.5 * g
    return out.reshape(a.shape)
