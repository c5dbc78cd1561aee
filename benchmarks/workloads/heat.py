"""Heat equations, explicit stencils stepped in place (1-D and 2-D).

``heat``: 1-D, two buffers, the new interior copied back each step element by
element (as Numba code is written); ``heat_helpers``: the same with the step's
loops in helpers that fill their output arguments (``stencil_into(v, u, alpha)``,
numbad inlines them); ``heat_slices``: the same simulation
written with slices (``u[1:-1] += ...``); ``heat2d``: 2-D, five-point stencil
written with slices. The loss is the sum of squares of the final temperature;
the gradient is w.r.t. the initial field and the diffusivity. The
hand-written adjoints store every step's field and run the transposed stencil
backwards; numbad's tape holds what its analysis decides the reverse sweep
needs. JAX: ``lax.fori_loop`` over ``u.at[...].set/add``; autograd: the field
rebuilt each step by concatenation (it has no index assignment).
"""
import numpy as np
from numba import njit

from . import Case


@njit
def heat(u0, alpha, steps):
    n = u0.shape[0]
    u = np.zeros(n)
    v = np.zeros(n)
    for i in range(n):
        u[i] = u0[i]
    for _ in range(steps):
        for i in range(1, n - 1):
            v[i] = u[i] + alpha * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        for i in range(1, n - 1):
            u[i] = v[i]
    s = 0.0
    for i in range(n):
        s += u[i] * u[i]
    return s


@njit
def stencil_into(v, u, alpha):
    for i in range(1, u.shape[0] - 1):
        v[i] = u[i] + alpha * (u[i - 1] - 2.0 * u[i] + u[i + 1])


@njit
def copy_into(u, v, start, stop):
    for i in range(start, stop):
        u[i] = v[i]


@njit
def sum_of_squares(u):
    s = 0.0
    for i in range(u.shape[0]):
        s += u[i] * u[i]
    return s


@njit
def heat_helpers(u0, alpha, steps):
    """``heat`` with its loops in helpers: two write into their first argument (numbad
    inlines them), one returns a number (differentiated as a call)."""
    u, v = np.zeros(u0.shape[0]), np.zeros(u0.shape[0])
    copy_into(u, u0, 0, u0.shape[0])
    for _ in range(steps):
        stencil_into(v, u, alpha)
        copy_into(u, v, 1, u.shape[0] - 1)
    return sum_of_squares(u)


@njit
def heat_slices(u0, alpha, steps):
    """The same simulation written with slices, stepped in place."""
    u = u0.copy()
    for _ in range(steps):
        u[1:-1] += alpha * (u[:-2] - 2.0 * u[1:-1] + u[2:])
    return np.sum(u * u)


@njit
def heat_adjoint(u0, alpha, steps):
    """Hand-written reverse mode: store u before every step, transpose the stencil."""
    n = u0.shape[0]
    hist = np.empty((steps, n))
    u = u0.copy()
    v = np.zeros(n)
    for t in range(steps):
        hist[t] = u
        for i in range(1, n - 1):
            v[i] = u[i] + alpha * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        for i in range(1, n - 1):
            u[i] = v[i]
    ub = 2.0 * u
    ab = 0.0
    vb = np.zeros(n)
    for t in range(steps - 1, -1, -1):
        u = hist[t]
        for i in range(1, n - 1):
            vb[i] = ub[i]
            ub[i] = 0.0
        for i in range(1, n - 1):
            lap = u[i - 1] - 2.0 * u[i] + u[i + 1]
            ab += vb[i] * lap
            ub[i] += vb[i] * (1.0 - 2.0 * alpha)
            ub[i - 1] += vb[i] * alpha
            ub[i + 1] += vb[i] * alpha
    return ub, ab


@njit
def heat2d(u0, alpha, steps):
    """Explicit 2-D heat equation, the state updated in place."""
    u = u0.copy()
    for _ in range(steps):
        u[1:-1, 1:-1] += alpha * (u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:]
                                  - 4.0 * u[1:-1, 1:-1])
    return np.sum(u * u)


@njit
def heat2d_adjoint(u0, alpha, steps):
    """Hand-written reverse mode of ``heat2d``: store u before every step, then
    the transposed stencil (element loops, no temporaries) backwards."""
    n, m = u0.shape
    hist = np.empty((steps, n, m))
    u = u0.copy()
    for t in range(steps):
        hist[t] = u
        u[1:-1, 1:-1] += alpha * (u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:]
                                  - 4.0 * u[1:-1, 1:-1])
    ub = 2.0 * u
    ab = 0.0
    vb = np.empty((n, m))
    for t in range(steps - 1, -1, -1):
        h = hist[t]
        for i in range(1, n - 1):
            for j in range(1, m - 1):
                g = ub[i, j]
                ab += g * (h[i - 1, j] + h[i + 1, j] + h[i, j - 1] + h[i, j + 1] - 4.0 * h[i, j])
                vb[i, j] = g
        for i in range(1, n - 1):
            for j in range(1, m - 1):
                g = alpha * vb[i, j]
                ub[i, j] -= 4.0 * g
                ub[i - 1, j] += g
                ub[i + 1, j] += g
                ub[i, j - 1] += g
                ub[i, j + 1] += g
    return ub, ab


def heat_jax():
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)

    def loss(u0, alpha, steps):
        def step(_, u):
            return u.at[1:-1].set(u[1:-1] + alpha * (u[:-2] - 2.0 * u[1:-1] + u[2:]))
        return jnp.sum(jax.lax.fori_loop(0, steps, step, u0) ** 2)
    return loss


def heat_autograd():
    import autograd.numpy as anp

    def loss(u0, alpha, steps):
        u = u0
        for _ in range(steps):
            u = anp.concatenate([u[:1], u[1:-1] + alpha * (u[:-2] - 2.0 * u[1:-1] + u[2:]),
                                 u[-1:]])
        return anp.sum(u * u)
    return loss


def heat2d_jax():
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)

    def loss(u0, alpha, steps):
        def step(_, u):
            return u.at[1:-1, 1:-1].add(alpha * (u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2]
                                                 + u[1:-1, 2:] - 4.0 * u[1:-1, 1:-1]))
        return jnp.sum(jax.lax.fori_loop(0, steps, step, u0) ** 2)
    return loss


def heat2d_autograd():
    import autograd.numpy as anp

    def loss(u0, alpha, steps):
        u = u0
        for _ in range(steps):
            inner = u[1:-1, 1:-1] + alpha * (u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2]
                                             + u[1:-1, 2:] - 4.0 * u[1:-1, 1:-1])
            middle = anp.concatenate([u[1:-1, :1], inner, u[1:-1, -1:]], axis=1)
            u = anp.concatenate([u[:1], middle, u[-1:]], axis=0)
        return anp.sum(u * u)
    return loss


def initial_profile(n):
    return np.sin(np.linspace(0.0, np.pi, n)) + 0.1 * np.cos(np.arange(n))


def cases(quick):
    n, steps = (64, 1000) if quick else (128, 10_000)
    n2, steps2 = (32, 200) if quick else (64, 1000)
    args = (initial_profile(n), 0.2, steps)
    u2 = np.random.default_rng(0).random((n2, n2))
    common = dict(hand=heat_adjoint, jax=heat_jax, autograd=heat_autograd, static_argnums=(2,),
                  loop_heavy=True, rtol=1e-9)
    return [Case("1-D heat, loops", "n=%d, %d steps" % (n, steps), heat, args, (0, 1),
                 **common),
            Case("1-D heat, helpers", "n=%d, %d steps" % (n, steps), heat_helpers, args,
                 (0, 1), **common),
            Case("1-D heat, slices", "n=%d, %d steps" % (n, steps), heat_slices, args, (0, 1),
                 **common),
            Case("2-D heat, slices", "%dx%d, %d steps" % (n2, n2, steps2), heat2d,
                 (u2, 0.1, steps2), (0, 1), hand=heat2d_adjoint, jax=heat2d_jax,
                 autograd=heat2d_autograd, static_argnums=(2,), loop_heavy=True, rtol=1e-9)]
