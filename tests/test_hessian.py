"""hvp and hessian: forward mode over numbad's own generated gradient code (no finite
differences inside), against jax.hessian and against finite differences of numbad's
gradients where JAX cannot write the program."""
import numpy as np
import pytest

import numbad
from benchmarks.workloads.heat import heat
from tests.test_reverse_arrays import heat_jax
from tests.test_reverse_control_flow import (
    f_break_continue,
    f_nested_while,
    lorenz,
    lorenz_jax,
)

ARGS = (1.0, 1.0, 1.05, 10.0, 28.0, 8 / 3, 1e-3, 50)


def test_lorenz_hessian_and_hvp_against_jax(jax_module):
    def loss(p):
        return lorenz_jax(p[0], p[1], p[2], p[3], p[4], p[5], 1e-3, 50)
    expected = np.asarray(jax_module.hessian(loss)(np.array(ARGS[:6])))
    np.testing.assert_allclose(numbad.hessian(lorenz, argnums=0)(*ARGS), expected[0, 0],
                               rtol=1e-9)
    v = np.array([0.5, -1.0, 0.3, 0.1, -0.2, 0.7])
    got = numbad.hvp(lorenz, argnums=(0, 1, 2, 3, 4, 5))(*ARGS, tuple(v))
    np.testing.assert_allclose(got, expected @ v, rtol=1e-9)


def test_hessian_of_an_in_place_array_program_against_jax(rng, jax_module):
    u0 = rng.normal(size=6)
    got = numbad.hessian(heat, argnums=0)(u0, 0.2, 10)
    expected = np.asarray(jax_module.hessian(heat_jax)(u0, 0.2, 10))
    assert got.shape == (6, 6)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-13)
    v = rng.normal(size=6)
    np.testing.assert_allclose(numbad.hvp(heat)(u0, 0.2, 10, v), expected @ v,
                               rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("f, args", [(f_break_continue, (0.7, 10)), (f_nested_while, (0.7, 6))])
def test_hessians_of_loops_with_break_and_while_against_gradient_differences(f, args):
    h = 1e-5
    up, down = (args[0] + h,) + args[1:], (args[0] - h,) + args[1:]
    expected = (numbad.grad(f)(*up) - numbad.grad(f)(*down)) / (2 * h)
    np.testing.assert_allclose(numbad.hessian(f)(*args), expected, rtol=1e-6)


def test_hessian_of_array_expression_code_against_jax(rng, jax_module):
    def f(a, b):
        return np.sum(np.sin(a) * a * b) + np.dot(a, a) * np.max(b)
    a, b = rng.normal(size=4), rng.normal(size=4)
    expected = np.asarray(jax_module.hessian(
        lambda a: jax_module.numpy.sum(jax_module.numpy.sin(a) * a * b)
        + jax_module.numpy.dot(a, a) * jax_module.numpy.max(b))(a))
    np.testing.assert_allclose(numbad.hessian(f)(a, b), expected, rtol=1e-11, atol=1e-13)


def test_hessian_of_a_reduction_times_an_element_against_jax(jax_module):
    """The gradient code's adjoint helpers update arrays in place; their tangents start
    from zero where the helper's array carries none yet."""
    def f(x):
        return np.sum(x ** 3) * x[0]
    x = np.array([0.3, -0.7, 1.1])
    jnp = jax_module.numpy
    expected = np.asarray(jax_module.hessian(lambda x: jnp.sum(x ** 3) * x[0])(x))
    np.testing.assert_allclose(numbad.hessian(f)(x), expected, rtol=1e-13)


def column_at(a, i):
    return np.sum(a[:, i] ** 2) + np.sum(a[1:, i - 1] * a[:-1, i])


def along_the_only_axis(u):
    return np.sum(u ** 3, axis=0) + np.sum(u * u, axis=-1)


@pytest.mark.parametrize("f, args", [(column_at, (np.arange(12.0).reshape(3, 4) / 10, 2)),
                                     (along_the_only_axis, (np.array([0.5, -1.0, 2.0]),))],
                         ids=["column at a run-time index", "axis of a 1-D array"])
def test_hvp_of_indexes_and_reductions_against_jax(f, args, jax_module):
    """(A slice index built from a run-time int is carried by the gradient code's
    loops, whose tangent code must declare it; a reduction along a 1-D array's axis
    is a number.)"""
    v = np.linspace(-1.0, 1.0, args[0].size).reshape(args[0].shape)
    want = jax_module.jvp(jax_module.grad(lambda a: f(a, *args[1:])), (args[0],), (v,))[1]
    np.testing.assert_allclose(numbad.hvp(f)(*args, v), want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(numbad.grad(f)(*args),
                               jax_module.grad(lambda a: f(a, *args[1:]))(args[0]),
                               rtol=1e-12)


def test_hessian_keeps_a_float32_arguments_dtype():
    def f(u):
        return np.sum(np.sin(u) * u[0])
    u = np.linspace(0.1, 1.0, 4)
    h32 = numbad.hessian(f)(u.astype(np.float32))
    assert h32.dtype == np.float32
    np.testing.assert_allclose(h32, numbad.hessian(f)(u), rtol=1e-5, atol=1e-6)
