"""Arrays built from parts (np.array of numbers or rows, np.concatenate, np.stack,
np.hstack, np.vstack): gradients, tangents and Hessians against JAX and central
differences."""
import math

import numba
import numpy as np
import pytest
from gradcheck import fd_array
from hypothesis import given
from hypothesis import strategies as st

import numbad


@numba.njit
def pendulum(y0, dt, steps):
    """The right-hand side returned as ``np.array([...])``, as ODE code is written."""
    y = y0.copy()
    for _ in range(steps):
        y = y + dt * np.array([y[1], -math.sin(y[0]) - 0.1 * y[1]])
    return y[0] ** 2 + y[1]


def jax_pendulum(jax, y0, dt, steps):
    jnp = jax.numpy

    def step(_, y):
        return y + dt * jnp.array([y[1], -jnp.sin(y[0]) - 0.1 * y[1]])
    y = jax.lax.fori_loop(0, steps, step, y0)
    return y[0] ** 2 + y[1]


@numba.njit
def joined(u, v):
    w = np.concatenate((u, 2.0 * v, np.sin(u[:2])))
    s = np.stack((u, u * v))
    parts = (v, u)                      # (a tuple, copied to a name first)
    return np.sum(w ** 3) + np.sum(s[0] * s[1] ** 2) + np.sum(np.vstack((u, v)) ** 2) \
        + np.sum(np.hstack(parts) * w[:6]) + np.sum(np.vstack((s, s)) * 0.5)


def jax_joined(jnp, u, v):
    w = jnp.concatenate((u, 2.0 * v, jnp.sin(u[:2])))
    s = jnp.stack((u, u * v))
    return jnp.sum(w ** 3) + jnp.sum(s[0] * s[1] ** 2) + jnp.sum(jnp.vstack((u, v)) ** 2) \
        + jnp.sum(jnp.hstack([v, u]) * w[:6]) + jnp.sum(jnp.vstack((s, s)) * 0.5)


@numba.njit
def rotation(theta, p):
    """A matrix written row by row, with its dtype spelled out."""
    c, s = math.cos(theta[0]), math.sin(theta[0])
    R = np.array([[c, -s], [s, c]], dtype=np.float64)
    q = R @ p
    return q[0] * q[1] + np.sum(np.array([(c, 1.0), (2.0, s)]) @ q)


def jax_rotation(jnp, theta, p):
    c, s = jnp.cos(theta[0]), jnp.sin(theta[0])
    q = jnp.array([[c, -s], [s, c]]) @ p
    return q[0] * q[1] + jnp.sum(jnp.array([(c, 1.0), (2.0, s)]) @ q)


def _against_jax(jax, f, jf, args, argnums):
    got = numbad.grad(f, argnums=argnums)(*args)
    want = jax.grad(jf, argnums=argnums)(*args)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
    moved = [np.linspace(0.5, -0.5, np.size(a)).reshape(np.shape(a)) if i in argnums
             else 0.0 * a for i, a in enumerate(args)]
    _, t = numbad.jvp(f, args, tuple(moved))
    np.testing.assert_allclose(t, sum(np.sum(g * moved[i]) for g, i in zip(got, argnums)),
                               rtol=1e-10)
    return got


def test_ode_right_hand_side_as_an_array(jax_module):
    y0, dt, steps = np.array([0.8, 0.1]), 0.02, 200
    got = _against_jax(jax_module, pendulum, lambda y0, dt, steps: jax_pendulum(
        jax_module, y0, dt, steps), (y0, dt, steps), (0, 1))
    np.testing.assert_allclose(got[0], fd_array(pendulum, (y0, dt, steps), 0), rtol=1e-6)
    h = numbad.hessian(pendulum)(y0, dt, steps)
    np.testing.assert_allclose(h, jax_module.hessian(
        lambda y0: jax_pendulum(jax_module, y0, dt, steps))(y0), rtol=1e-8, atol=1e-12)


def test_concatenate_stack_hstack_vstack(jax_module):
    u, v = np.array([0.3, -0.5, 0.9]), np.array([1.1, 0.2, -0.4])
    got = _against_jax(jax_module, joined, lambda u, v: jax_joined(jax_module.numpy, u, v),
                       (u, v), (0, 1))
    for i in range(2):
        np.testing.assert_allclose(got[i], fd_array(joined, (u, v), i), rtol=1e-6)
    w = np.array([0.5, -1.0, 2.0])
    hv = numbad.hvp(joined, argnums=0)(u, v, w)
    np.testing.assert_allclose(hv, jax_module.jvp(jax_module.grad(
        lambda u: jax_joined(jax_module.numpy, u, v)), (u,), (w,))[1], rtol=1e-9, atol=1e-12)


def test_matrix_written_row_by_row(jax_module):
    theta, p = np.array([0.4]), np.array([1.5, -0.7])
    _against_jax(jax_module, rotation, lambda t, p: jax_rotation(jax_module.numpy, t, p),
                 (theta, p), (0, 1))


@given(st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=7))
def test_array_of_any_number_of_parts(xs):
    """Each part's gradient is its own weight, whatever the count."""
    names = ", ".join("x%d" % i for i in range(len(xs)))
    env = {"np": np}
    exec("def f(%s):\n    a = np.array([%s])\n    return np.sum(a * np.arange(1.0, %d.0) * a)\n"
         % (names, names, len(xs) + 1), env)
    f = numba.njit(env["f"])
    got = numbad.grad(f, argnums=tuple(range(len(xs))))(*xs)
    np.testing.assert_allclose(got, [2.0 * (i + 1) * x for i, x in enumerate(xs)], rtol=1e-12)


@numba.njit
def appended(x):
    parts = [x]
    parts.append(2.0 * x)
    return np.sum(np.array(parts))


def test_constructions_not_followed_are_refused():
    with pytest.raises(numbad.NotDifferentiableError, match="list"):
        numbad.grad(appended)(0.5)
