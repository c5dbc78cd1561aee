"""Derivative objects called from inside @njit code (an optimiser that never returns to
Python), checked against the same derivatives called from Python."""
import math

import numpy as np
from numba import njit

import numbad


def loss(x, k):
    return (x - k) ** 2 + 0.1 * x ** 4


grad_x = numbad.grad(loss)
both = numbad.value_and_grad(loss, argnums=(0, 1))


@numbad.grad_jit(argnums=1)
def wave(x, k):
    return math.sin(x * k)


@njit
def descend(x, k, lr, n):
    for _ in range(n):
        x -= lr * grad_x(x, k)
    value, (gx, gk) = both(x, k)
    return x, value, gx, gk, wave(x, k)


def test_scalar_gradients_inside_an_njit_loop():
    x, value, gx, gk, gw = descend(3.0, 1.0, 0.05, 300)
    assert abs(2.0 * (x - 1.0) + 0.4 * x ** 3) < 1e-10      # the minimum of loss
    v_py, (gx_py, gk_py) = both(x, 1.0)
    np.testing.assert_allclose([value, gx, gk], [v_py, gx_py, gk_py], rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(gw, wave(x, 1.0), rtol=1e-15)
    assert len(wave.signatures) == 1


def residuals(w, X, y):
    r = X @ w - y
    return np.sum(r * r)


grad_w = numbad.grad(residuals)


@njit
def gradient_inside(w, X, y):
    return grad_w(w, X, y)


@njit
def fit(w, X, y, lr, n):
    for _ in range(n):
        w = w - lr * grad_w(w, X, y)
    return w


def test_least_squares_fit_by_gradient_descent_in_njit(rng):
    X = rng.normal(size=(30, 3))
    true = np.array([1.0, -2.0, 0.5])
    w = fit(np.zeros(3), X, X @ true, 0.005, 2000)
    np.testing.assert_allclose(w, true, rtol=1e-8)
    w0 = rng.normal(size=3)
    np.testing.assert_allclose(gradient_inside(w0, X, X @ true), grad_w(w0, X, X @ true),
                               rtol=1e-14)
    np.testing.assert_allclose(grad_w(w0, X, X @ true), 2 * X.T @ (X @ w0 - X @ true),
                               rtol=1e-12)
