"""Nesting: numbad's tangent transform applied to numbad's own generated gradient code
(forward over reverse, tape included), derivatives of code that calls derivatives
(grad of grad, an optimiser differentiated through), and no perturbation confusion.
Checked against JAX and against central differences of numbad's own gradients."""
import math

import numpy as np
import pytest
from numba import njit

import numbad
from numbad import runtime
from tests.test_reverse_array_expressions import CASES, build, make_args
from tests.test_reverse_double_buffering import CASES as BUFFER_CASES


@njit
def _plus(y, x):
    return x + y


_d_plus_dy = numbad.grad(_plus)


@njit
def _x_times_d_plus_dy(x):
    return x * _d_plus_dy(1.0, x)


def test_no_perturbation_confusion():
    # d/dx [x * d/dy (x + y)] = 1 at any point (a shared tangent would give 2)
    for x in (-1.5, 0.0, 2.5):
        assert numbad.grad(_x_times_d_plus_dy)(x) == 1.0
        assert numbad.jvp(_x_times_d_plus_dy, (x,), (1.0,))[1] == 1.0


def _spiral(x, n):
    s = 0.0
    for _ in range(n):
        s = s + math.sin(x * s) + x
        if s > 3.0:
            s = s * 0.5
    return s * x ** 3


def _spiral_jax(x, n):
    import jax.numpy as jnp
    s = 0.0
    for _ in range(n):
        s = s + jnp.sin(x * s) + x
        s = jnp.where(s > 3.0, s * 0.5, s)
    return s * x ** 3


def test_grad_of_grad_against_jax(jax_module):
    for x in (0.3, 0.9):
        expected = jax_module.grad(jax_module.grad(_spiral_jax))(x, 6)
        np.testing.assert_allclose(numbad.grad(numbad.grad(_spiral))(x, 6), float(expected),
                                   rtol=1e-10)


@pytest.mark.slow
def test_third_derivative_by_nesting_against_jax(jax_module):
    third = jax_module.grad(jax_module.grad(jax_module.grad(_spiral_jax)))(0.9, 6)
    np.testing.assert_allclose(numbad.grad(numbad.grad(numbad.grad(_spiral)))(0.9, 6),
                               float(third), rtol=1e-9)


def test_grad_of_grad_of_a_while_loop_against_gradient_differences():
    def newton_sqrt(a):
        x = a
        while abs(x * x - a) > 1e-12 * a:
            x = 0.5 * (x + a / x)
        return x * math.sin(a)
    g = numbad.grad(newton_sqrt)
    h = 1e-5
    for a in (0.7, 3.0):
        expected = (g(a + h) - g(a - h)) / (2 * h)
        np.testing.assert_allclose(numbad.grad(g)(a), expected, rtol=1e-6)


def _descend(w0, rate, target, steps):
    """Gradient descent on a least-squares loss, written in @njit, calling numbad.grad."""
    w = w0.copy()
    for _ in range(steps):
        w = w - rate * _d_loss(w, target)
    return _loss(w, target)


@njit
def _loss(w, target):
    s = 0.0
    for i in range(w.shape[0]):
        r = w[i] * w[i] - target[i]
        s += r * r + 0.1 * math.sin(w[i])
    return s


_d_loss = numbad.grad(_loss)
descend = njit(_descend)


def _descend_jax(w0, rate, target, steps):
    import jax
    import jax.numpy as jnp

    def loss(w):
        return jnp.sum((w * w - target) ** 2 + 0.1 * jnp.sin(w))
    w = w0
    for _ in range(steps):
        w = w - rate * jax.grad(loss)(w)
    return loss(w)


def test_differentiating_through_an_optimiser_written_in_njit(rng, jax_module):
    w0, target = rng.uniform(0.5, 1.0, size=4), rng.uniform(0.5, 1.5, size=4)
    args = (w0, 0.05, target, 5)
    assert descend(*args) == pytest.approx(float(_descend_jax(*args)), rel=1e-12)
    g_w0, g_rate = numbad.grad(descend, argnums=(0, 1))(*args)
    e_w0, e_rate = jax_module.grad(_descend_jax, argnums=(0, 1))(*args)
    np.testing.assert_allclose(g_w0, np.asarray(e_w0), rtol=1e-9)
    np.testing.assert_allclose(g_rate, float(e_rate), rtol=1e-9)
    value, tangent = numbad.jvp(descend, args, (np.ones(4), 1.0, np.zeros(4), 0))
    _, e_tangent = jax_module.jvp(lambda w, r: _descend_jax(w, r, target, 5),
                                  (w0, 0.05), (np.ones(4), 1.0))
    np.testing.assert_allclose(tangent, float(e_tangent), rtol=1e-9)


@njit
def _energy(x, k):
    return k * x ** 4 - math.cos(3.0 * x)


_value_and_force = numbad.value_and_grad(_energy)


@njit
def _value_plus_force_squared(x, k):
    v, g = _value_and_force(x, k)
    return v + g * g


def test_value_and_grad_called_inside_differentiated_code():
    for x, k in ((0.4, 1.5), (-1.1, 0.3)):
        got = numbad.grad(_value_plus_force_squared, argnums=(0, 1))(x, k)
        g = 4 * k * x ** 3 + 3 * math.sin(3 * x)
        dg_dx, dg_dk = 12 * k * x ** 2 + 9 * math.cos(3 * x), 4 * x ** 3
        np.testing.assert_allclose(got, (g + 2 * g * dg_dx, x ** 4 + 2 * g * dg_dk),
                                   rtol=1e-12)


def test_an_array_valued_call_to_a_derivative_is_refused_where_unsupported():
    vg = numbad.value_and_grad(_loss)

    @njit
    def value_plus_slope(w, target):
        v, g = vg(w, target)        # a (float, array) tuple: reverse mode has no adjoint
        return v + np.sum(g * g)
    with pytest.raises(numbad.NotDifferentiableError, match="test_nested_derivatives.py"):
        numbad.grad(value_plus_slope)(np.array([0.3, 0.8]), np.array([1.0, 0.5]))


FAST_CASES = ["elementwise", "matvec", "where_clip"]


@pytest.mark.parametrize("name", [pytest.param(n, marks=() if n in FAST_CASES else
                                               pytest.mark.slow) for n in sorted(CASES)])
def test_hvp_of_array_expression_code_against_jax(name, rng, jax_module):
    source, shapes = CASES[name]
    f, f_jax = build(source, np), build(source, jax_module.numpy)
    args = make_args(rng, shapes)
    nums = tuple(range(len(args)))
    vs = tuple(rng.normal(size=np.shape(a)) if np.ndim(a) else 0.3 for a in args)
    got = numbad.hvp(f, nums)(*args, vs)
    expected = jax_module.jvp(jax_module.grad(f_jax, nums), tuple(args), vs)[1]
    for g, e in zip(got, expected):
        assert np.shape(g) == np.shape(e)
        np.testing.assert_allclose(g, np.asarray(e), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("case", [pytest.param(i, marks=() if i == 2 else
                                               pytest.mark.slow)
                                  for i in range(len(BUFFER_CASES))])
def test_hvp_of_in_place_and_double_buffered_code_against_gradient_differences(case, rng):
    f, make_args_of = BUFFER_CASES[case]
    args = make_args_of(rng)
    x, v = args[0], rng.normal(size=args[0].shape)
    got = numbad.hvp(f)(*args, v)
    g, h = numbad.grad(f), 1e-5
    expected = (g(x + h * v, *args[1:]) - g(x - h * v, *args[1:])) / (2 * h)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)


@njit
def _pool_with_one_block(capacity):
    """Empty numbad's tape pool (to the system), then leave one block of ``capacity``."""
    for _ in range(runtime.POOL_SLOTS):
        runtime._free(runtime.tape_new(1) - 8)
    runtime.tape_free(runtime.tape_new(capacity))


def test_hvp_when_the_tape_pool_holds_one_large_block():
    # the primal tape then comes from the pool, larger than asked: the tangent tape
    # must be as large (it once was not, and the stores ran past its end)
    g, h = numbad.grad(_spiral), 1e-5
    for n in (300, 5000):
        expected = (g(0.4 + h, n) - g(0.4 - h, n)) / (2 * h)
        _pool_with_one_block(1 << 16)
        np.testing.assert_allclose(numbad.hvp(_spiral)(0.4, n, 1.0), expected, rtol=1e-6)


def test_jacobian_of_a_gradient_is_the_hessian(jax_module):
    @njit
    def f(w, c):
        return np.sum(w ** 3) * c + c * c * w[0]

    w = np.array([0.5, 0.2, 0.3])
    for argnums, inner in ((0, 0), (0, 1), (1, 0)):
        got = numbad.jacobian(numbad.grad(f, inner), argnums)(w, 0.7)
        want = jax_module.jacobian(jax_module.grad(f.py_func, inner), argnums)(w, 0.7)
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-12, atol=1e-14)
