"""The user's own element kernels: ``@numba.stencil`` and ``@numba.vectorize`` functions
called from differentiated code (with and without ``out=``), and calls that write into
an array out of numbad's sight, which must be refused, never silently dropped.

A stencil given ``out=`` used to contribute nothing to the gradient (its write into
``out`` was invisible to the analysis, and the result of the call unused)."""
import numba
import numpy as np
import pytest

import numbad
from tests.gradcheck import check_modes

W = np.linspace(0.5, 1.5, 7)


@numba.stencil
def laplacian(a):
    return a[-1] - 2.0 * a[0] + a[1]


@numba.stencil(cval=1.5)
def cross(a, b, c):
    return c * (a[0, 1] + a[-1, 0] * b[1, 0]) - a[0, 0]


@numba.stencil(standard_indexing=("k",))
def weighted(a, k):
    return k[0] * a[-1] + k[1] * a[0] + k[2] * a[2]


@numba.vectorize
def softplus(x):
    return np.log1p(np.exp(-abs(x))) + max(x, 0.0)


@numba.vectorize(["float64(float64, float64)"])
def damped(x, y):
    return x * np.exp(-0.5 * y * y)


@numba.njit
def stencil_out(u):
    out = np.zeros_like(u)
    laplacian(u, out=out)
    return np.sum(out * out * W)


def stencil_out_jax(u):
    import jax.numpy as jnp
    out = jnp.zeros_like(u).at[1:-1].set(u[:-2] - 2.0 * u[1:-1] + u[2:])
    return jnp.sum(out * out * W)


@numba.njit
def stencil_new(u):
    return np.sum(laplacian(u) ** 2 * W)


@numba.njit
def heat_steps(u, k, n):
    """A time loop whose step is a stencil written into a second buffer."""
    u = u.copy()
    v = u.copy()
    for _ in range(n):
        laplacian(u, out=v)
        u[1:-1] = u[1:-1] + k * v[1:-1]
    return np.sum(u * W)


@numba.njit
def stencil_2d(a, b, c):
    return np.sum(np.sin(cross(a, b, c)))


@numba.njit
def stencil_2d_out(a, b):
    out = np.zeros_like(a)
    cross(a, b, 0.5, out=out)     # (cval: out is filled with 1.5 first)
    return np.sum(out * a)


@numba.njit
def standard_indexed(u, k):
    return np.sum(np.tanh(weighted(u, k)))


@numba.njit
def vectorized(u, y):
    return np.sum(softplus(u) * W) + softplus(y) * damped(y, 2.0)


def vectorized_jax(u, y):
    import jax.numpy as jnp

    def sp(x):
        return jnp.log1p(jnp.exp(-jnp.abs(x))) + jnp.maximum(x, 0.0)
    return jnp.sum(sp(u) * W) + sp(y) * y * jnp.exp(-2.0)


@numba.njit
def vectorized_broadcast(a, v):
    return np.sum(damped(a, v) ** 2)


@numba.njit
def vectorized_out(u):
    w = np.zeros_like(u)
    damped(u, u[::-1].copy(), w)
    return np.sum(w * W)


U = np.array([0.3, 1.1, 0.7, 2.0, 1.4, 0.2, -0.5])
A = np.random.default_rng(1).random((4, 5))
B = np.random.default_rng(2).random((4, 5))


@pytest.mark.parametrize("f, args, argnums, jax_f", [
    (stencil_out, (U,), 0, stencil_out_jax),
    (stencil_new, (U,), 0, None),
    (heat_steps, (U, 0.2, 5), (0, 1), None),
    (stencil_2d, (A, B, 0.7), (0, 1, 2), None),
    (stencil_2d_out, (A, B), (0, 1), None),
    (standard_indexed, (U, np.array([0.2, 0.5, 0.3])), (0, 1), None),
    (vectorized, (U, 0.4), (0, 1), vectorized_jax),
    (vectorized_broadcast, (A, np.array([0.1, 0.2, 0.3, 0.4, 0.5])), (0, 1), None),
    (vectorized_out, (U,), 0, None),
], ids=lambda v: getattr(v, "__name__", "") if callable(v) else "")
def test_kernels_differentiate_in_both_modes(f, args, argnums, jax_f):
    check_modes(f, args, argnums, jax_f=jax_f)


def test_stencil_hvp_against_differences():
    check_modes(heat_steps, (U, 0.2, 3), 0, order=2)


def test_stencil_values_are_numbas():
    """The loops numbad writes compute what Numba's stencil computes (border, cval)."""
    for f, args in [(stencil_out, (U,)), (stencil_2d_out, (A, B)), (stencil_2d, (A, B, .7)),
                    (standard_indexed, (U, np.array([0.2, 0.5, 0.3])))]:
        value, _ = numbad.value_and_grad(f)(*args)
        assert value == pytest.approx(f(*args), rel=1e-13)


# Calls that write into an array they are given, without a rule: refused, by name,
# where a derivative would flow through them (before: silently dropped).

@numba.guvectorize(["void(float64[:], float64[:])"], "(n)->(n)")
def running_sum(a, out):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i]
        out[i] = s


@numba.njit
def gufunc_into(u):
    w = np.zeros_like(u)
    running_sum(u, w)
    return np.sum(w * W)


@numba.njit
def shuffled(u):
    w = u * 2.0
    np.random.shuffle(w)
    return np.sum(w * W)


@numba.njit
def diagonal_filled(u):
    a = np.zeros((3, 3))
    np.fill_diagonal(a, u[0])
    return np.sum(a * a)


@pytest.mark.parametrize("f, what", [
    (gufunc_into, "running_sum"), (shuffled, "shuffle"), (diagonal_filled, "fill_diagonal"),
], ids=["guvectorize", "shuffle", "fill_diagonal"])
@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_writes_out_of_sight_are_refused(f, what, mode):
    with pytest.raises(numbad.NotDifferentiableError, match=what) as err:
        if mode == "rev":
            numbad.grad(f)(U.copy())
        else:
            numbad.jvp(f, (U.copy(),), (np.ones_like(U),))
    assert "test_user_kernels.py" in str(err.value) and "may write" in str(err.value)


def test_reading_calls_are_not_refused():
    """NumPy functions that only read (argmax, argsort...) pass the refusal."""
    @numba.njit
    def f(u):
        i = np.argmax(u)
        j = np.argsort(u)[0]
        return u[i] * 2.0 + u[j] + np.sum(u * u)
    check_modes(f, (U,), 0)
