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
