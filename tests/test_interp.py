"""np.interp: derivatives along the points, the knots and the tabulated values, against
JAX and central differences."""
import numba
import numpy as np
from gradcheck import fd_array

import numbad


@numba.njit
def tabulated_decay(u0, rates_at, knots, dt, steps):
    """A decay whose rate is read off a table by np.interp at the state, each step."""
    u = u0.copy()
    for _ in range(steps):
        r = np.interp(u, knots, rates_at)           # x an array
        s = np.interp(u[0], knots, rates_at)        # x a number
        u = u - dt * (r * u + 0.1 * s)
    return np.sum(u * u)


def jax_tabulated_decay(jnp, u0, rates_at, knots, dt, steps):
    u = u0
    for _ in range(steps):
        r = jnp.interp(u, knots, rates_at)
        s = jnp.interp(u[0], knots, rates_at)
        u = u - dt * (r * u + 0.1 * s)
    return jnp.sum(u * u)


def test_interp_against_jax_and_differences(jax_module):
    """Gradients w.r.t. the points, the knots and the tabulated values; points below,
    inside and above the table."""
    jnp = jax_module.numpy
    u0 = np.array([-0.3, 0.25, 0.9, 1.7])
    knots, rates_at = np.array([0.0, 0.4, 1.0, 1.5]), np.array([0.5, 1.5, 0.8, 2.0])
    args = (u0, rates_at, knots, 0.05, 12)
    got = numbad.grad(tabulated_decay, argnums=(0, 1, 2))(*args)
    want = jax_module.grad(lambda *a: jax_tabulated_decay(jnp, *a, 0.05, 12),
                           argnums=(0, 1, 2))(u0, rates_at, knots)
    for i in range(3):
        np.testing.assert_allclose(got[i], want[i], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(got[i], fd_array(tabulated_decay, args, i), rtol=1e-5,
                                   atol=1e-9)
    tangents = (np.ones(4), np.linspace(-1.0, 1.0, 4), np.array([0.0, 0.1, -0.1, 0.2]),
                0.0, 0)
    _, t = numbad.jvp(tabulated_decay, args, tangents)
    np.testing.assert_allclose(t, sum(np.sum(g * d) for g, d in zip(got, tangents)),
                               rtol=1e-10)
    hv = numbad.hvp(tabulated_decay, argnums=1)(*args, np.ones(4))
    want_hv = jax_module.jvp(jax_module.grad(
        lambda r: jax_tabulated_decay(jnp, u0, r, knots, 0.05, 12)), (rates_at,),
        (np.ones(4),))[1]
    np.testing.assert_allclose(hv, want_hv, rtol=1e-9, atol=1e-12)
