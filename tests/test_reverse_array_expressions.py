"""Whole-array expressions, ufuncs, reductions and linear algebra, against FD and jax.grad.

Each case is one source text run twice: with ``np`` bound to NumPy (differentiated
by numbad, compiled by Numba) and with ``np`` bound to ``jax.numpy`` (the oracle).
"""
import math

import numpy as np
import pytest

import numbad
from tests.gradcheck import fd_array

# name -> (source of f, argument shapes; () is a float scalar)
CASES = {
    "elementwise": ("def f(a, b):\n    return np.sum(a * b + np.sin(a) * 2.0 - b / (1.5 + a * a))",
                    [(5,), (5,)]),
    "ufuncs": ("def f(a):\n    return np.sum(np.exp(0.3 * a) + np.tanh(a) + np.log1p(a * a)"
               " + np.sqrt(2.0 + np.cos(a)) + np.arctan(a) ** 2)", [(6,)]),
    "scalar_and_array": ("def f(a, x):\n    c = a * x + x\n    return np.sum(c * c) / x", [(4,), ()]),
    "broadcast_rows": ("def f(m, v):\n    return np.sum((m + v) * m - v * 3.0)", [(3, 4), (4,)]),
    "broadcast_column": ("def f(m, v):\n    return np.sum(m * v.reshape((3, 1)))", [(3, 4), (3,)]),
    "mean_prod": ("def f(a):\n    return np.mean(a * a) + np.prod(a) + a.sum()", [(5,)]),
    "max_min": ("def f(a):\n    return np.max(a * a) - a.min() + np.sum(np.maximum(a, 0.1)"
                " * np.minimum(a, 0.3))", [(7,)]),
    "dot_vec": ("def f(a, b):\n    return np.dot(a, b) + a @ b * 0.5 + np.vdot(a, a)", [(5,), (5,)]),
    "matvec": ("def f(m, x):\n    y = m @ x\n    return np.sum(y * y) + np.dot(x, m.T @ y)",
               [(3, 4), (4,)]),
    "matmat": ("def f(a, b):\n    c = a @ b\n    return np.sum(c * c) + np.sum(np.dot(b.T, a.T))",
               [(3, 4), (4, 2)]),
    "norm_cumsum_outer": ("def f(a, b):\n    return np.linalg.norm(a) + np.sum(np.cumsum(a) * b)"
                          " + np.sum(np.outer(a, b) ** 2)", [(4,), (4,)]),
    "where_clip": ("def f(a, b):\n    return np.sum(np.where(a > 0.0, a * b, b * b)"
                   " + np.clip(a, -0.5, 0.5) * b)", [(8,), (8,)]),
    "axis_sum": ("def f(m):\n    s = np.sum(m * m, axis=0)\n    return np.sum(s * s)", [(3, 4)]),
    "transpose_copy": ("def f(m):\n    t = m.T.copy()\n    return np.sum(t[0] * t[1]) + np.sum(np.square(m))",
                       [(3, 4)]),
    "linspace_ends": ("def f(a, x):\n    t = np.linspace(x, 2.0 * x + 1.0, a.shape[0])\n"
                      "    return np.sum(t * a) + np.sum(np.linspace(x * x, 0.5, 1))", [(5,), ()]),
    "diff_var_std_trace": ("def f(a, m):\n    return np.sum(np.diff(a) ** 2) + np.var(a * a)"
                           " * np.std(a) + a.var() + a.std() + np.trace(m @ m)",
                           [(6,), (3, 3)]),
    "views_of_values": ("def f(a):\n    w = a * a\n    return np.sum(w[1:] * w[:-1]) + w[2] * w[0]",
                        [(6,)]),
}


def build(source, module):
    ns = {"np": module, "math": math}
    exec(source, ns)
    return ns["f"]


def make_args(rng, shapes):
    return [float(rng.uniform(0.5, 1.5)) if s == () else rng.uniform(-1.0, 1.0, size=s)
            for s in shapes]


@pytest.mark.parametrize("name", sorted(CASES))
def test_array_expression_gradients(name, rng, jax_module):
    source, shapes = CASES[name]
    f = build(source, np)
    args = make_args(rng, shapes)
    argnums = tuple(range(len(args)))
    got = numbad.grad(f, argnums=argnums)(*args)
    expected = jax_module.grad(build(source, jax_module.numpy), argnums=argnums)(*args)
    for i, (g, e) in enumerate(zip(got, expected)):
        np.testing.assert_allclose(g, np.asarray(e), rtol=1e-9, atol=1e-12,
                                   err_msg="%s: argument %d vs jax.grad" % (name, i))
        assert np.shape(g) == np.shape(args[i])
        fd = fd_array(f, args, i) if shapes[i] else \
            (f(*args[:i], args[i] + 1e-6, *args[i + 1:]) -
             f(*args[:i], args[i] - 1e-6, *args[i + 1:])) / 2e-6
        np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-7,
                                   err_msg="%s: argument %d vs finite differences" % (name, i))


# In-place time stepping: slices updated in place, whole-array in-place scaling,
# slice assignment from array values; the same source runs as a functional JAX
# program, where ``u[s] op= v`` is written ``u = u.at[s].set(...)``.
def heat_slices(u0, alpha, steps):
    u = u0.copy()
    for _ in range(steps):
        u[1:-1] += alpha * (u[:-2] - 2.0 * u[1:-1] + u[2:])
    return np.sum(u * u)


def heat_slices_jax(u0, alpha, steps):
    u = u0
    for _ in range(steps):
        u = u.at[1:-1].set(u[1:-1] + alpha * (u[:-2] - 2.0 * u[1:-1] + u[2:]))
    return (u * u).sum()


def advect(u0, k, steps):
    u = np.zeros_like(u0)
    u[:] = u0
    for _ in range(steps):
        u[1:] = u[1:] * (1.0 - k) + k * np.sin(u[:-1])
        u *= 0.9
        u[0] -= 0.1 * u[-1] * k
    return np.sum(u ** 3)


def advect_jax(u0, k, steps):
    import jax.numpy as jnp
    u = u0
    for _ in range(steps):
        u = u.at[1:].set(u[1:] * (1.0 - k) + k * jnp.sin(u[:-1]))
        u = u * 0.9
        u = u.at[0].add(-0.1 * u[-1] * k)
    return jnp.sum(u ** 3)


@pytest.mark.parametrize("f, f_jax", [(heat_slices, heat_slices_jax), (advect, advect_jax)])
def test_in_place_stepping_with_slices(f, f_jax, rng, jax_module):
    u0 = rng.uniform(0.1, 1.0, size=9)
    args = (u0, 0.3, 12)
    keep = u0.copy()
    gu, gk = numbad.grad(f, argnums=(0, 1))(*args)
    eu, ek = jax_module.grad(f_jax, argnums=(0, 1))(*args)
    np.testing.assert_array_equal(u0, keep)
    np.testing.assert_allclose(gu, np.asarray(eu), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gk, float(ek), rtol=1e-10)
    np.testing.assert_allclose(gu, fd_array(f, args, 0), rtol=1e-6, atol=1e-9)


def test_loop_carried_array_values(rng, jax_module):
    source = ("def f(u, k, steps):\n    for t in range(steps):\n"
              "        u = u * (1.0 - k) + k * np.sin(u) + 0.01 * np.sum(u)\n"
              "    return np.sum(u * u)")
    args = (rng.uniform(size=5), 0.2, 7)
    got = numbad.grad(build(source, np), argnums=(0, 1))(*args)
    expected = jax_module.grad(build(source, jax_module.numpy), argnums=(0, 1))(*args)
    np.testing.assert_allclose(got[0], np.asarray(expected[0]), rtol=1e-10)
    np.testing.assert_allclose(got[1], float(expected[1]), rtol=1e-10)


def partly_overlapping_update(u0):
    u = u0.copy()
    u[1:] += u[:-1]         # Numba reads u[i - 1] after updating it; NumPy does not
    return np.sum(u)


def test_partly_overlapping_in_place_update_is_refused_at_run_time():
    with pytest.raises(numbad.NotDifferentiableError, match="partly overlaps"):
        numbad.grad(partly_overlapping_update)(np.ones(5))


def smear(a, x):
    u = a.copy()
    for _ in range(3):
        u[1:] += x * np.sin(u[:-1])
    return u * x


def smear_jax(a, x):
    import jax.numpy as jnp
    u = a
    for _ in range(3):
        u = u.at[1:].add(x * jnp.sin(u[:-1]))
    return u * x


def test_array_results_jacobian_and_vjp(rng, jax_module):
    a, x = rng.uniform(size=4), 0.7
    ja, jx = numbad.jacobian(smear, argnums=(0, 1))(a, x)
    ea, ex = jax_module.jacrev(smear_jax, argnums=(0, 1))(a, x)
    assert ja.shape == (4, 4) and jx.shape == (4,)
    np.testing.assert_allclose(ja, np.asarray(ea), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(jx, np.asarray(ex), rtol=1e-12, atol=1e-14)
    out, f_vjp = numbad.vjp(smear, a, x)
    np.testing.assert_allclose(out, smear(a, x), rtol=1e-15)
    w = rng.normal(size=4)
    ca, cx = f_vjp(w)
    np.testing.assert_allclose(ca, w @ ja, rtol=1e-12)
    np.testing.assert_allclose(cx, w @ jx, rtol=1e-12)
    with pytest.raises(ValueError, match="shape"):
        f_vjp(np.ones(3))


def test_jacobian_of_a_scalar_function_is_its_gradient(rng):
    a = rng.normal(size=5)
    np.testing.assert_allclose(numbad.jacobian(lambda v: np.sum(v * v))(a), 2 * a, rtol=1e-14)


def arange_values(x, n):
    r = np.arange(x, 2.75 + x, 0.5)          # start moves the values (stop only the length)
    k = np.arange(1.0, 9.0, x)               # the step scales them
    return np.sum(r * r) + np.sum(np.sin(k)) + np.sum(np.arange(n) * x)


@pytest.mark.parametrize("x", [0.3, 0.7, 1.3])
def test_arange_with_differentiated_start_and_step(x):
    g = numbad.grad(arange_values)(x, 4)
    h = 1e-6
    fd = (arange_values(x + h, 4) - arange_values(x - h, 4)) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=1e-6)
