"""Ufuncs given their output array (``np.sin(u, w)``, ``np.multiply(u, c, w)``).

The write into the output array is a store like ``w[:] = np.sin(u)``: every mode
must see it (reverse, forward, second order), also in loops that reuse the output
buffer and under checkpointing. An input partly overlapping the output is refused
at run time (Numba then reads elements it already wrote, unlike NumPy)."""
import numpy as np
import pytest

import numbad
from tests.gradcheck import fd_array


def squares_of_sines(u):
    w = np.empty_like(u)
    np.sin(u, w)
    return np.sum(w * w)


def scaled_sum(u, c):
    w = np.zeros_like(u)
    np.multiply(u, c, w)
    return np.sum(w * u)


def stepped_in_place(u, c, n):
    """A time loop updating its state and a work buffer with ufunc outputs only."""
    u = u.copy()
    w = np.empty_like(u)
    for _ in range(n):
        np.multiply(u, c, w)
        np.sin(w, u)
        np.add(u, 0.5, u)
    return np.sum(u * u)


def into_a_view(u):
    w = np.zeros(u.shape[0] + 2)
    np.exp(u, w[1:-1])
    return np.sum(w[:-2] * w[2:]) + w[1]


def result_used(u):
    w = np.empty_like(u)
    r = np.cos(u, w)
    return np.sum(r * u)


def two_d(a):
    w = np.empty_like(a)
    np.tanh(a, w)
    np.multiply(w, a.T, w)
    return np.sum(w * a)


CASES = [
    (squares_of_sines, lambda rng: (rng.random(5),)),
    (scaled_sum, lambda rng: (rng.random(5), 1.7)),
    (stepped_in_place, lambda rng: (rng.random(4), 0.9, 12)),
    (into_a_view, lambda rng: (rng.random(5),)),
    (result_used, lambda rng: (rng.random(4),)),
    (two_d, lambda rng: (rng.random((3, 3)),)),
]


@pytest.mark.parametrize("f, make", CASES, ids=[c[0].__name__ for c in CASES])
def test_grad_and_jvp_see_the_write(f, make, rng):
    args = make(rng)
    fd = fd_array(f, args, 0)
    value, g = numbad.value_and_grad(f)(*args)
    np.testing.assert_allclose(value, f(*args), rtol=1e-12)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)
    v = rng.random(args[0].shape)
    tangents = (v,) + tuple(0.0 if isinstance(a, float) else 0 for a in args[1:])
    _, dot = numbad.jvp(f, args, tangents)
    np.testing.assert_allclose(dot, np.sum(fd * v), rtol=1e-6, atol=1e-9)


# (compiling second-order code of fused 2-D loops takes long: those stay in the slow run)
@pytest.mark.parametrize("f, make", [
    c if c[0] in (squares_of_sines, stepped_in_place) else pytest.param(
        *c, marks=pytest.mark.slow) for c in CASES], ids=[c[0].__name__ for c in CASES])
def test_hvp_sees_the_write(f, make, rng):
    args = make(rng)
    v = rng.random(args[0].shape)

    def grad_at(x):
        return numbad.grad(f)(x, *args[1:])
    hv_fd = (grad_at(args[0] + 1e-6 * v) - grad_at(args[0] - 1e-6 * v)) / 2e-6
    np.testing.assert_allclose(numbad.hvp(f)(*args, v), hv_fd, rtol=1e-5, atol=1e-7)


def test_checkpointed_loop_of_ufunc_outputs(rng):
    args = (rng.random(4), 0.9, 300)
    grad = numbad.grad(stepped_in_place, checkpoint="binomial", memory_budget=2_000)
    g = grad(*args)
    assert grad.stats["snapshots"] > 0
    np.testing.assert_allclose(g, numbad.grad(stepped_in_place)(*args), rtol=1e-12)
    np.testing.assert_allclose(g, fd_array(stepped_in_place, args, 0), rtol=1e-5, atol=1e-8)


def test_matches_jax(rng, jax_module):
    jnp = jax_module.numpy
    u = rng.random(6)
    expected = jax_module.grad(lambda x: jnp.sum(jnp.sin(x) ** 2))(u)
    np.testing.assert_allclose(numbad.grad(squares_of_sines)(u), expected, rtol=1e-12)


def shifted_sum(u):
    v = u.copy()
    np.add(v[1:], v[:-1], v[1:])        # Numba: a running sum; NumPy: a pairwise sum
    return np.sum(v * v)


def same_elements(u):
    v = u.copy()
    np.sin(v, v)                        # an input that is the output itself is fine
    return np.sum(v * u)


def test_partly_overlapping_input_is_refused():
    u = np.linspace(0.1, 1.0, 5)
    with pytest.raises(numbad.NotDifferentiableError, match=r"np\.add.*test_ufunc_outputs"):
        numbad.grad(shifted_sum)(u)
    with pytest.raises(numbad.NotDifferentiableError, match=r"np\.add"):
        numbad.jvp(shifted_sum, (u,), (np.ones(5),))
    np.testing.assert_allclose(numbad.grad(same_elements)(u),
                               fd_array(same_elements, (u,), 0), rtol=1e-6)
