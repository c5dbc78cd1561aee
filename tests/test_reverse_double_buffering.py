"""Arrays that change identity across loop iterations: double buffering (``u, v = v, u``),
arrays allocated inside loops and carried on (``u = v``), scratch arrays made per
iteration, and copies between overlapping parts of one array. Checked against
central finite differences and, where JAX can write the program, ``jax.grad``."""
import math

import numpy as np
import pytest

import numbad
from tests.gradcheck import central_difference, fd_array


def swap_slices(u0, k, steps):
    u = u0.copy()
    v = np.zeros_like(u0)
    for _ in range(steps):
        v[1:-1] = u[1:-1] + k * (u[:-2] - 2.0 * u[1:-1] + u[2:])
        v[0] = u[0]
        v[-1] = u[-1] * k
        u, v = v, u
    return np.sum(u * u)


def swap_elements(u0, k, steps):
    n = u0.shape[0]
    u = np.zeros(n)
    v = np.zeros(n)
    for i in range(n):
        u[i] = u0[i]
    for _ in range(steps):
        for i in range(1, n - 1):
            v[i] = u[i] + k * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        v[0] = u[0]
        v[-1] = u[-1] * k
        u, v = v, u
    s = 0.0
    for i in range(n):
        s += u[i] * u[i]
    return s


def allocate_each_step(u0, k, steps):
    u = u0
    for _ in range(steps):
        v = np.empty_like(u)
        for i in range(1, u.shape[0] - 1):
            v[i] = u[i] + k * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        v[0] = u[0]
        v[-1] = u[-1] * k
        u = v
    return np.sum(u * u)


def stepped_jax(u0, k, steps):
    import jax.numpy as jnp
    u = u0
    for _ in range(steps):
        u = u.at[1:-1].set(u[1:-1] + k * (u[:-2] - 2.0 * u[1:-1] + u[2:])).at[-1].set(u[-1] * k)
    return jnp.sum(u * u)


@pytest.mark.parametrize("f", [swap_slices, swap_elements, allocate_each_step])
@pytest.mark.parametrize("steps", [0, 1, 6])
def test_time_stepping_that_swaps_or_replaces_arrays(f, steps, rng, jax_module):
    u0 = rng.normal(size=7)
    keep = u0.copy()
    gu, gk = numbad.grad(f, argnums=(0, 1))(u0, 0.2, steps)
    np.testing.assert_array_equal(u0, keep)
    eu, ek = jax_module.grad(stepped_jax, argnums=(0, 1))(u0, 0.2, steps)
    np.testing.assert_allclose(gu, np.asarray(eu), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gk, float(ek), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gu, fd_array(f, (u0, 0.2, steps), 0), rtol=1e-6, atol=1e-9)


def swap_rows_of_one_array(a, k, steps):
    b = a.copy()
    u = b[0]
    v = b[1]
    for _ in range(steps):
        for i in range(1, u.shape[0] - 1):
            v[i] = u[i] + k * np.sin(u[i - 1] - u[i + 1])
        u, v = v, u
    return np.sum(b * b) + np.sum(u)


def swap_until_large(u0, k):
    u = u0.copy()
    v = np.zeros_like(u)
    t = 0
    while np.sum(u * u) < 40.0 and t < 50:    # a data-dependent number of swaps
        v[:] = u * (1.0 + k) + 0.1
        u, v = v, u
        t += 1
    return np.sum(u * u * u)


def scratch_per_step(u0, k, steps):
    u = u0.copy()
    for _ in range(steps):
        tmp = np.zeros(u.shape[0] + 1)        # its last element is never written
        for i in range(u.shape[0]):
            tmp[i] = k * u[i]
        for i in range(u.shape[0]):
            u[i] = u[i] + math.sin(tmp[i] + tmp[i + 1]) + tmp[-1]
    return np.sum(u * u)


def replace_argument(u0, k, steps):
    u = u0
    for _ in range(steps):
        w = u * k
        v = np.empty_like(w)
        v[:] = np.sin(w)
        v[0] += u[-1]
        u = v
    return np.sum(u * u0)


def swaps_inside_an_outer_loop(u0, k, outer, inner):
    u = u0.copy()
    v = np.zeros_like(u)
    for _ in range(outer):
        w = np.zeros_like(u)
        for _ in range(inner):
            v[1:] = u[1:] * k + u[:-1]
            w += v
            u, v = v, u
        u[:] = np.tanh(w + u)
    return np.sum(u * u)


def shift_copy(u0, k):
    u = u0 * k
    u[1:] = u[:-1]          # overlapping source and destination
    u[:-2] = u[2:] * u[:-2]
    return np.sum(u * u * u0)


CASES = [
    (swap_rows_of_one_array, lambda r: (r.normal(size=(2, 6)), 0.3, 5)),
    (swap_until_large, lambda r: (r.uniform(0.5, 1.0, size=4), 0.3)),
    (scratch_per_step, lambda r: (r.normal(size=5), 0.3, 4)),
    (replace_argument, lambda r: (r.normal(size=9)[::2], 0.7, 3)),     # non-contiguous
    (replace_argument, lambda r: (r.normal(size=5), 0.7, 0)),
    (swaps_inside_an_outer_loop, lambda r: (r.normal(size=5), 0.4, 3, 2)),
    (shift_copy, lambda r: (r.normal(size=6), 0.9)),
]


@pytest.mark.parametrize("f, make_args", CASES,
                         ids=["%s-%d" % (f.__name__, i) for i, (f, _) in enumerate(CASES)])
def test_changing_array_identity_against_finite_differences(f, make_args, rng):
    args = make_args(rng)
    ga, gk = numbad.grad(f, argnums=(0, 1))(*args)
    assert ga.shape == args[0].shape
    np.testing.assert_allclose(ga, fd_array(f, args, 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gk, central_difference(f, args, 1), rtol=1e-6, atol=1e-8)
