"""Lorenz-63, explicit Euler, a long ``for`` loop over three scalars.

``lorenz(x0, y0, z0, sigma, rho, beta, dt, n)``: ``n`` steps (10^4 quick;
10^5 and 10^6 full), loss = x^2 + y^2 + z^2 of the final state; gradient
w.r.t. (x0, y0, z0, sigma, rho, beta). The hand-written adjoint stores the
state of every step in preallocated arrays and recomputes the step's
intermediates in the reverse sweep; like numbad's gradient it allocates its
tape on every call. JAX: ``lax.fori_loop`` with a static trip count (a scan);
autograd: the Python loop.
"""
import numpy as np
from numba import njit

from . import Case

# ---------------------------------------------------------------------------
# (a) Lorenz-63, explicit Euler, fixed trip count
# ---------------------------------------------------------------------------

@njit
def lorenz(x0, y0, z0, sigma, rho, beta, dt, n):
    x = x0
    y = y0
    z = z0
    for _ in range(n):
        xn = x + dt * (sigma * (y - x))
        yn = y + dt * (x * (rho - z) - y)
        zn = z + dt * (x * y - beta * z)
        x = xn
        y = yn
        z = zn
    return x * x + y * y + z * z


@njit
def lorenz_adjoint(x0, y0, z0, sigma, rho, beta, dt, n):
    """Hand-written reverse mode of ``lorenz`` (store every state, then sweep back)."""
    xs = np.empty(n)
    ys = np.empty(n)
    zs = np.empty(n)
    x = x0
    y = y0
    z = z0
    for i in range(n):
        xs[i] = x
        ys[i] = y
        zs[i] = z
        xn = x + dt * (sigma * (y - x))
        yn = y + dt * (x * (rho - z) - y)
        zn = z + dt * (x * y - beta * z)
        x = xn
        y = yn
        z = zn
    xb = 2.0 * x
    yb = 2.0 * y
    zb = 2.0 * z
    sigmab = 0.0
    rhob = 0.0
    betab = 0.0
    for i in range(n - 1, -1, -1):
        x = xs[i]
        y = ys[i]
        z = zs[i]
        sigmab += dt * (y - x) * xb
        rhob += dt * x * yb
        betab -= dt * z * zb
        xb_new = xb * (1.0 - dt * sigma) + yb * (dt * (rho - z)) + zb * (dt * y)
        yb_new = xb * (dt * sigma) + yb * (1.0 - dt) + zb * (dt * x)
        zb_new = zb * (1.0 - dt * beta) - yb * (dt * x)
        xb = xb_new
        yb = yb_new
        zb = zb_new
    return xb, yb, zb, sigmab, rhob, betab


def lorenz_jax():
    import jax
    from jax import lax
    jax.config.update("jax_enable_x64", True)

    def loss(x0, y0, z0, sigma, rho, beta, dt, n):
        def body(i, s):
            x, y, z = s
            return (x + dt * (sigma * (y - x)),
                    y + dt * (x * (rho - z) - y),
                    z + dt * (x * y - beta * z))
        x, y, z = lax.fori_loop(0, n, body, (x0, y0, z0))
        return x * x + y * y + z * z
    return loss


def lorenz_autograd():
    def loss(x0, y0, z0, sigma, rho, beta, dt, n):
        x, y, z = x0, y0, z0
        for _ in range(n):
            x, y, z = (x + dt * (sigma * (y - x)), y + dt * (x * (rho - z) - y),
                       z + dt * (x * y - beta * z))
        return x * x + y * y + z * z
    return loss


def cases(quick):
    """10^4 steps (quick); 10^5 and 10^6 (full), dt keeping the horizon at 1 and 10
    time units, short enough that the chaotic growth of the sensitivities
    (~e^(0.9 T)) stays well inside float64 and central differences resolve it."""
    runs = ((10_000, 1e-4),) if quick else ((100_000, 1e-4), (1_000_000, 1e-5))
    # n static for JAX: a fori_loop with a traced trip count becomes a while_loop,
    # which reverse mode rejects; with a static one it is a scan.
    return [Case("Lorenz-63", "%.0e steps" % n, lorenz,
                 (1.0, 1.0, 1.05, 10.0, 28.0, 8.0 / 3.0, dt, n), (0, 1, 2, 3, 4, 5),
                 hand=lorenz_adjoint, jax=lorenz_jax,
                 autograd=lorenz_autograd if n <= 100_000 else
                 "not run at this size (a Python loop: ~10x the row above)",
                 static_argnums=(7,), loop_heavy=True, rtol=1e-9)
            for n, dt in runs]
