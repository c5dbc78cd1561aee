"""Gravitational N-body, symplectic Euler: an O(n^2) force loop inside a time loop.

``nbody(pos0, vel0, mass, dt, steps)``: softened gravity (G = 1), each step
the accelerations from all pairs, then kick (v += dt a) and drift
(x += dt v); loss = sum_i m_i |x_i|^2 at the end (the moment of inertia);
gradient w.r.t. initial positions, velocities and the masses. The
hand-written adjoint stores the positions of every step and runs the
transposed pair interactions backwards. JAX: the accelerations by
broadcasting (n x n x 3), ``lax.fori_loop`` over the steps; autograd: the same
broadcasting in a Python loop.
"""
import math

import numpy as np
from numba import njit

from . import Case

EPS2 = 1e-2     # softening: close encounters stay smooth


@njit
def nbody(pos0, vel0, mass, dt, steps):
    n = pos0.shape[0]
    pos = pos0.copy()
    vel = vel0.copy()
    acc = np.zeros((n, 3))
    for _ in range(steps):
        for i in range(n):
            ax = 0.0
            ay = 0.0
            az = 0.0
            for j in range(n):
                if i != j:
                    dx = pos[j, 0] - pos[i, 0]
                    dy = pos[j, 1] - pos[i, 1]
                    dz = pos[j, 2] - pos[i, 2]
                    r2 = dx * dx + dy * dy + dz * dz + EPS2
                    s = mass[j] / (r2 * math.sqrt(r2))
                    ax += dx * s
                    ay += dy * s
                    az += dz * s
            acc[i, 0] = ax
            acc[i, 1] = ay
            acc[i, 2] = az
        for i in range(n):
            for k in range(3):
                vel[i, k] += dt * acc[i, k]
                pos[i, k] += dt * vel[i, k]
    loss = 0.0
    for i in range(n):
        loss += mass[i] * (pos[i, 0] ** 2 + pos[i, 1] ** 2 + pos[i, 2] ** 2)
    return loss


@njit
def nbody_adjoint(pos0, vel0, mass, dt, steps):
    """Hand-written reverse mode of ``nbody``: positions of every step stored,
    the pair interactions transposed backwards (one pass over the pairs per step)."""
    n = pos0.shape[0]
    hist = np.empty((steps, n, 3))
    pos = pos0.copy()
    vel = vel0.copy()
    for t in range(steps):
        for i in range(n):
            for k in range(3):
                hist[t, i, k] = pos[i, k]
        for i in range(n):
            ax = 0.0
            ay = 0.0
            az = 0.0
            for j in range(n):
                if i != j:
                    dx = pos[j, 0] - pos[i, 0]
                    dy = pos[j, 1] - pos[i, 1]
                    dz = pos[j, 2] - pos[i, 2]
                    r2 = dx * dx + dy * dy + dz * dz + EPS2
                    s = mass[j] / (r2 * math.sqrt(r2))
                    ax += dx * s
                    ay += dy * s
                    az += dz * s
            vel[i, 0] += dt * ax
            vel[i, 1] += dt * ay
            vel[i, 2] += dt * az
        for i in range(n):
            for k in range(3):
                pos[i, k] += dt * vel[i, k]
    xb = np.empty((n, 3))
    vb = np.zeros((n, 3))
    mb = np.empty(n)
    for i in range(n):
        mb[i] = pos[i, 0] ** 2 + pos[i, 1] ** 2 + pos[i, 2] ** 2
        for k in range(3):
            xb[i, k] = 2.0 * mass[i] * pos[i, k]
    ab = np.empty((n, 3))
    for t in range(steps - 1, -1, -1):
        # drift x += dt v (v after the kick), kick v += dt a(x)
        for i in range(n):
            for k in range(3):
                vb[i, k] += dt * xb[i, k]
                ab[i, k] = dt * vb[i, k]
        for i in range(n):
            for j in range(n):
                if i != j:
                    dx = hist[t, j, 0] - hist[t, i, 0]
                    dy = hist[t, j, 1] - hist[t, i, 1]
                    dz = hist[t, j, 2] - hist[t, i, 2]
                    r2 = dx * dx + dy * dy + dz * dz + EPS2
                    inv3 = 1.0 / (r2 * math.sqrt(r2))
                    dot = ab[i, 0] * dx + ab[i, 1] * dy + ab[i, 2] * dz
                    mb[j] += inv3 * dot
                    c = -3.0 * mass[j] * dot * inv3 / r2
                    m = mass[j] * inv3
                    gx = m * ab[i, 0] + c * dx
                    gy = m * ab[i, 1] + c * dy
                    gz = m * ab[i, 2] + c * dz
                    xb[j, 0] += gx
                    xb[j, 1] += gy
                    xb[j, 2] += gz
                    xb[i, 0] -= gx
                    xb[i, 1] -= gy
                    xb[i, 2] -= gz
    return xb, vb, mb


def _accelerations(xp, pos, mass):
    d = pos[None, :, :] - pos[:, None, :]                 # (i, j): x_j - x_i
    r2 = xp.sum(d * d, axis=-1) + EPS2
    s = mass[None, :] / (r2 * xp.sqrt(r2))                # d = 0 on the diagonal
    return xp.sum(d * s[:, :, None], axis=1)


def nbody_jax():
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)

    def loss(pos0, vel0, mass, dt, steps):
        def step(_, s):
            pos, vel = s
            vel = vel + dt * _accelerations(jnp, pos, mass)
            return pos + dt * vel, vel
        pos, _ = jax.lax.fori_loop(0, steps, step, (pos0, vel0))
        return jnp.sum(mass * jnp.sum(pos * pos, axis=1))
    return loss


def nbody_autograd():
    import autograd.numpy as anp

    def loss(pos0, vel0, mass, dt, steps):
        pos, vel = pos0, vel0
        for _ in range(steps):
            vel = vel + dt * _accelerations(anp, pos, mass)
            pos = pos + dt * vel
        return anp.sum(mass * anp.sum(pos * pos, axis=1))
    return loss


def instance(n, seed=0):
    """Bodies in a unit ball, small random velocities, masses around 1/n."""
    rng = np.random.default_rng(seed)
    pos = rng.normal(size=(n, 3))
    vel = 0.1 * rng.normal(size=(n, 3))
    mass = (0.5 + rng.random(n)) / n
    return pos, vel, mass


def cases(quick):
    runs = ((16, 200),) if quick else ((16, 1000), (64, 1000))
    return [Case("N-body", "n=%d, %d steps" % (n, steps), nbody,
                 instance(n) + (1e-3, steps), (0, 1, 2), hand=nbody_adjoint, jax=nbody_jax,
                 autograd=nbody_autograd, static_argnums=(4,), loop_heavy=True, rtol=1e-9)
            for n, steps in runs]
