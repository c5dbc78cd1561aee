"""Batched forward mode (``numbad.batched_jvp``: several tangent directions in one
sweep) and what uses it (forward-mode ``jacobian``, ``hessian``): each direction
against ``numbad.jvp`` alone, against finite differences, and against JAX."""
import numpy as np
import pytest

import numbad
from numbad.api import MAX_WIDTH
from tests.test_custom_rules import softplus, sq_norm
from tests.test_forward_mode import (
    ARRAY_PROGRAMS,
    SCALAR_PROGRAMS,
    directional_fd,
    random_tangents,
)

PICKED = ["lorenz", "oscillator", "f_break_continue", "f_early_return", "f_nested_while",
          "f_calls", "f_data", "f_while_true"]
SCALAR_CASES = [c for c in SCALAR_PROGRAMS if c[0].__name__ in PICKED]
ARRAY_CASES = [c for c in ARRAY_PROGRAMS
               if c[0].__name__ in ("heat", "swap_rows_of_one_array", "scratch_per_step",
                                    "swap_until_large")]


def directions(rng, args, k, frozen=()):
    """k random tangent directions, as one batch per argument (leading axis k)."""
    each = [random_tangents(rng, args) for _ in range(k)]
    return tuple(np.array([0.0 if i in frozen else d[i] for d in each])
                 for i in range(len(args)))


def check_each_direction(f, args, batches, fd=True):
    k = len(batches[0])
    out, dots = numbad.batched_jvp(f, args, batches)
    assert np.shape(dots) == (k,) + np.shape(out)
    for j in range(k):
        tangents = tuple(b[j] for b in batches)
        expected_out, expected = numbad.jvp(f, args, tangents)
        np.testing.assert_allclose(out, expected_out, rtol=1e-14)
        np.testing.assert_allclose(dots[j], expected, rtol=1e-12, atol=1e-14)
        if fd:
            np.testing.assert_allclose(dots[j], directional_fd(f, args, tangents),
                                       rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("case", SCALAR_CASES, ids=[c[0].__name__ for c in SCALAR_CASES])
def test_control_flow_programs_each_direction(case, rng):
    f, args = case[:2]
    check_each_direction(f, args, directions(rng, args, 3, case[2] if len(case) > 2 else ()))


@pytest.mark.parametrize("f, make", ARRAY_CASES, ids=[f.__name__ for f, _ in ARRAY_CASES])
def test_in_place_array_programs_each_direction(f, make, rng):
    args = make(rng)
    batches = directions(rng, args, 3)
    keep = [np.copy(b) for b in batches]
    check_each_direction(f, args, batches)
    for b, k in zip(batches, keep):
        np.testing.assert_array_equal(b, k)         # the caller's tangents are not written


def test_more_directions_than_one_sweep_takes(rng):
    # a full chunk of MAX_WIDTH directions and a padded one; then chunks of 3
    f, args = SCALAR_CASES[0][:2]
    batches = directions(rng, args, MAX_WIDTH + 3, frozen=(6, 7))
    check_each_direction(f, args, batches, fd=False)
    _, dots = numbad.batched_jvp(f, args, batches)
    np.testing.assert_allclose(numbad.batched_jvp(f, args, batches, width=3)[1], dots,
                               rtol=1e-13)
    with pytest.raises(ValueError, match="width"):
        numbad.batched_jvp(f, args, batches, width=0)


def test_callees_with_user_rules_and_derivative_calls(rng):
    # custom_jvp callees (their rules called once per direction) and a call to a
    # numbad derivative (forward over reverse, once per direction)
    dsq = numbad.grad(lambda v: np.sum(np.sin(v) * v))

    def f(x, w):
        s = sq_norm(dsq(x) * w)
        for i in range(x.size):
            s += softplus(x[i] * w[i])
        return s
    args = (rng.normal(size=4), rng.normal(size=4))
    check_each_direction(f, args, directions(rng, args, 4))


def test_against_jax_vmap_of_jvp(rng, jax_module):
    jnp = jax_module.numpy

    def f(x, a):
        u = x * a
        for _ in range(4):
            u = u + 0.1 * np.sin(u) * a
        return np.cumsum(u)

    def f_jax(x, a):
        u = x * a
        for _ in range(4):
            u = u + 0.1 * jnp.sin(u) * a
        return jnp.cumsum(u)
    args = (rng.normal(size=6), 0.7)
    batches = directions(rng, args, 5)
    out, dots = numbad.batched_jvp(f, args, batches)
    expected = jax_module.vmap(lambda dx, da: jax_module.jvp(f_jax, args, (dx, da))[1])(
        *batches)
    np.testing.assert_allclose(out, np.asarray(f_jax(*args)), rtol=1e-12)
    np.testing.assert_allclose(dots, np.asarray(expected), rtol=1e-10, atol=1e-12)


def test_tuple_results_stack_each_entry(rng):
    def f(x, y):
        return np.sin(x) * y, x * y * y
    out, (d0, d1) = numbad.batched_jvp(f, (0.3, 1.2), (np.array([1.0, 0.0, 2.0]),
                                                       np.array([0.0, 1.0, -1.0])))
    np.testing.assert_allclose(d0, [np.cos(0.3) * 1.2, np.sin(0.3),
                                    2 * np.cos(0.3) * 1.2 - np.sin(0.3)], rtol=1e-14)
    np.testing.assert_allclose(d1, [1.44, 2 * 0.36, 2 * 1.44 - 2 * 0.36], rtol=1e-14)


def test_batch_sizes_are_checked():
    def f(x, y):
        return x * y
    with pytest.raises(ValueError, match="different numbers of directions"):
        numbad.batched_jvp(f, (1.0, 2.0), (np.ones(3), np.ones(2)))
    with pytest.raises(ValueError, match="shape"):
        numbad.batched_jvp(f, (np.ones(3), 2.0), (np.ones((2, 4)), np.ones(2)))


def wide(x, k):
    out = np.empty(40)
    s = 0.0
    for i in range(40):
        s = s + np.sin(x[i % x.size] * k) * 0.1
        out[i] = s * x[(i * 7) % x.size]
    return out


def wide_jax(x, k):
    import jax.numpy as jnp
    s, outs = 0.0, []
    for i in range(40):
        s = s + jnp.sin(x[i % x.size] * k) * 0.1
        outs.append(s * x[(i * 7) % x.size])
    return jnp.stack(outs)


def test_forward_jacobian_over_several_sweeps_against_jacfwd(rng, jax_module):
    # 11 + 1 inputs < 40 outputs: forward mode, in sweeps of MAX_WIDTH directions
    x, k = rng.normal(size=11), 0.9
    jx, jk = numbad.jacobian(wide, argnums=(0, 1))(x, k)
    ex, ek = jax_module.jacfwd(wide_jax, argnums=(0, 1))(x, k)
    np.testing.assert_allclose(jx, np.asarray(ex), rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(jk, np.asarray(ek), rtol=1e-11, atol=1e-13)


def rosenbrock(p):
    s = 0.0
    for i in range(p.size - 1):
        s += (1 - p[i]) ** 2 + 10 * (p[i + 1] - p[i] ** 2) ** 2
    return s


@pytest.mark.parametrize("n", [3, MAX_WIDTH + 5])
def test_hessian_in_batched_sweeps_against_jax(n, rng, jax_module):
    jnp = jax_module.numpy
    p = rng.normal(size=n)
    expected = jax_module.hessian(
        lambda q: jnp.sum((1 - q[:-1]) ** 2 + 10 * (q[1:] - q[:-1] ** 2) ** 2))(p)
    np.testing.assert_allclose(numbad.hessian(rosenbrock)(p), np.asarray(expected),
                               rtol=1e-12, atol=1e-12)
