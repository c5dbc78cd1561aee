"""Compiled helpers of ``np.interp(x, xp, fp)``'s derivative rules (rules.py).

Between knots ``xp[j] <= x < xp[j+1]`` the result is ``(1 - t) fp[j] + t fp[j+1]``
with ``t = (x - xp[j]) / (xp[j+1] - xp[j])``; outside ``[xp[0], xp[-1])`` it is
``fp[0]`` or ``fp[-1]``, as NumPy has it. So the derivative along ``x`` is the
segment's slope (zero outside), the result is linear in ``fp`` (its transpose
scatters each adjoint onto the two knots' values), and moving the knots shifts the
curve sideways: ``d/dxp = -slope * d/dfp``.

The helpers are plain ``@njit`` code (``_at``: for a number ``x``), which numbad
differentiates in turn for second derivatives.
"""
import numba
import numpy as np


@numba.njit
def _segment(x, xp):
    """(j, t) of the knot segment holding ``x`` (j = -1 when outside the knots)."""
    n = xp.shape[0]
    if not xp[0] <= x < xp[n - 1]:
        return -1, 0.0
    j = np.searchsorted(xp, x, side="right") - 1
    return j, (x - xp[j]) / (xp[j + 1] - xp[j])


@numba.njit
def interp_slope_at(x, xp, fp):
    """d np.interp(x, xp, fp) / dx at a number ``x``."""
    j, _ = _segment(x, xp)
    return (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]) if j >= 0 else 0.0


@numba.njit
def interp_slope(x, xp, fp):
    """d np.interp(x, xp, fp) / dx, element by element of array ``x``."""
    out = np.empty(x.shape)
    flat_x, flat_out = x.ravel(), out.ravel()
    for i in range(flat_x.shape[0]):
        flat_out[i] = interp_slope_at(flat_x[i], xp, fp)
    return out


@numba.njit
def _scatter_into(out, x, xp, g):
    j, t = _segment(x, xp)
    if j >= 0:
        out[j] += (1.0 - t) * g
        out[j + 1] += t * g
    elif x < xp[0]:
        out[0] += g
    else:
        out[xp.shape[0] - 1] += g


@numba.njit
def interp_scatter_at(x, xp, g):
    """The transpose of ``fp -> np.interp(x, xp, fp)`` at a number ``x``, applied to
    ``g``: ``g`` split between the two knots of its segment."""
    out = np.zeros(xp.shape[0])
    _scatter_into(out, x, xp, g)
    return out


@numba.njit
def interp_scatter(x, xp, g):
    """The same for an array ``x`` and ``g`` shaped like it."""
    out = np.zeros(xp.shape[0])
    flat_x, flat_g = x.ravel(), np.ascontiguousarray(g).ravel()
    for i in range(flat_x.shape[0]):
        _scatter_into(out, flat_x[i], xp, flat_g[i])
    return out
