"""custom_vjp / custom_jvp: user rules for whole functions, used wherever numbad
differentiates a call to them (checked against finite differences, and against the
rule itself where it differs from the function's true derivative)."""
import math

import numpy as np
import pytest
from numba import njit

import numbad
from tests.gradcheck import central_difference, fd_array


@numbad.custom_vjp
def newton_sqrt(a):
    y = a if a > 1.0 else 1.0
    for _ in range(60):
        y = 0.5 * (y + a / y)
    return y


def newton_sqrt_fwd(a):
    y = newton_sqrt(a)
    return y, y


def newton_sqrt_bwd(y, g):
    return (g / (2.0 * y),)     # implicit function rule: 2 y dy = da


newton_sqrt.defvjp(newton_sqrt_fwd, newton_sqrt_bwd)


def uses_sqrt(a, k, n):
    s = 0.0
    for i in range(n):
        s += k * newton_sqrt(a * a + k * i)
    return s


def test_custom_vjp_inside_a_loop_against_finite_differences():
    args = (1.5, 0.7, 4)
    ga, gk = numbad.grad(uses_sqrt, argnums=(0, 1))(*args)
    np.testing.assert_allclose(ga, central_difference(uses_sqrt, args, 0), rtol=1e-7)
    np.testing.assert_allclose(gk, central_difference(uses_sqrt, args, 1), rtol=1e-7)
    np.testing.assert_allclose(numbad.grad(newton_sqrt)(2.0), 0.5 / math.sqrt(2.0), rtol=1e-14)


@numbad.custom_vjp
def quantize(x):
    return math.floor(4.0 * x) / 4.0


quantize.defvjp(lambda x: (quantize(x), 0.0), lambda res, g: (g,))   # straight-through


def quantized_loss(x):
    return quantize(x) * x


def test_the_rule_is_used_not_the_true_derivative():
    # true derivative of quantize is 0: d/dx = quantize(x); with the rule: + x
    x = 0.8
    np.testing.assert_allclose(numbad.grad(quantized_loss)(x), quantize(x) + x, rtol=1e-15)


@numbad.custom_jvp
def softplus(x):
    return math.log1p(math.exp(x))


@softplus.defjvp
def softplus_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    return softplus(x), dx / (1.0 + math.exp(-x))


def layer(x, w):
    s = 0.0
    for i in range(w.shape[0]):
        s += softplus(w[i] * x) * w[i]
    return s


@numbad.custom_jvp
def sq_norm(v):
    return np.sum(v * v)


@sq_norm.defjvp
def sq_norm_jvp(primals, tangents):
    (v,), (dv,) = primals, tangents
    return sq_norm(v), 2.0 * np.sum(v * dv)


def test_custom_jvp_in_forward_and_reverse_mode(rng):
    w = rng.normal(size=4)
    out, dx = numbad.jvp(layer, (0.3, w), (1.0, np.zeros(4)))
    np.testing.assert_allclose(out, layer(0.3, w), rtol=1e-15)
    np.testing.assert_allclose(dx, central_difference(layer, (0.3, w), 0), rtol=1e-7)
    gx, gw = numbad.grad(layer, argnums=(0, 1))(0.3, w)     # VJP built from JVPs
    np.testing.assert_allclose(gx, dx, rtol=1e-13)
    np.testing.assert_allclose(gw, fd_array(layer, (0.3, w), 1), rtol=1e-6, atol=1e-9)
    v = rng.normal(size=5)
    np.testing.assert_allclose(numbad.grad(sq_norm)(v), 2.0 * v, rtol=1e-14)


@njit
def calls_it_compiled(a):
    return newton_sqrt(a) + softplus(a)


def test_custom_functions_are_callable_from_njit_code():
    np.testing.assert_allclose(calls_it_compiled(2.0), math.sqrt(2.0) + math.log1p(math.exp(2.0)),
                               rtol=1e-14)


def test_a_missing_rule_is_reported():
    @numbad.custom_vjp
    def f(x):
        return x * x
    with pytest.raises(TypeError, match="defvjp"):
        numbad.grad(f)(1.0)
