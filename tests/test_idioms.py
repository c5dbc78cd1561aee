"""Idioms of published Numba code that numbad must differentiate as written (issue 26):
each against central differences in both modes (tests.gradcheck.check_modes), against
JAX where JAX can say it, and with hvp where it can appear in a Hessian."""
import math

import numba
import numpy as np
import pytest

import numbad
from tests.gradcheck import check_modes

X53 = np.random.default_rng(0).random((5, 3))
# first order in the default run; hvp (forward over reverse) too in the full run
ORDERS = [1, pytest.param(2, marks=pytest.mark.slow, id="hvp")]


# ---------------------------------------------------------------- slices that move

@numba.njit
def triangle_of_products(x):
    """A slice store whose bounds move with the loop (its adjoint array was made with
    the last iteration's shape: ValueError)."""
    M = x.shape[1]
    c = np.zeros((M, M))
    for i in range(M):
        c[i:M, i] = x[:, i] @ x[:, i:M]
    return np.sum(c * np.arange(1.0, M * M + 1).reshape(M, M))


def triangle_of_products_jax(x):
    import jax.numpy as jnp
    M = x.shape[1]
    c = jnp.zeros((M, M))
    for i in range(M):
        c = c.at[i:M, i].set(x[:, i] @ x[:, i:M])
    return jnp.sum(c * jnp.arange(1.0, M * M + 1).reshape(M, M))


@numba.njit
def covariance(data):
    """A chained store into two slices that share an element, of a value that fusion
    writes into a buffer made each iteration with a shape that changes (silently
    wrong: the buffer's adjoint kept the last iteration's shape)."""
    n, M = data.shape
    cov = np.zeros((M, M))
    for i in range(M):
        cov[i:M, i] = cov[i, i:M] = data[:, i] @ data[:, i:M] / (n - 1.0)
    return np.sum(cov * np.arange(1.0, M * M + 1).reshape(M, M))


def covariance_jax(data):
    import jax.numpy as jnp
    n, M = data.shape
    cov = jnp.zeros((M, M))
    for i in range(M):
        row = data[:, i] @ data[:, i:M] / (n - 1.0)
        cov = cov.at[i:M, i].set(row).at[i, i:M].set(row)
    return jnp.sum(cov * jnp.arange(1.0, M * M + 1).reshape(M, M))


@numba.njit
def shrinking_buffers(u):
    """A buffer allocated in a loop with a shape that shrinks, filled element by element."""
    s = 0.0
    for i in range(u.shape[0]):
        v = np.empty(u.shape[0] - i)
        for j in range(v.shape[0]):
            v[j] = u[j] * u[i + j]
        s += np.sum(v * v) * (i + 1)
    return s


@pytest.mark.parametrize("f, jax_f", [
    (triangle_of_products, triangle_of_products_jax), (covariance, covariance_jax),
    (shrinking_buffers, None)], ids=lambda v: getattr(v, "__name__", ""))
def test_slices_whose_bounds_move_with_the_loop(f, jax_f):
    arg = X53 if f is not shrinking_buffers else X53[:, 0].copy()
    check_modes(f, (arg,), 0, jax_f=jax_f)


def test_moving_slices_under_checkpointing():
    u = X53[:, 0].copy()
    expected = numbad.grad(shrinking_buffers)(u)
    for scheme in ("binomial", "online"):
        g = numbad.grad(shrinking_buffers, checkpoint=scheme, memory_budget=4000)(u)
        np.testing.assert_allclose(g, expected, rtol=1e-12)


@pytest.mark.parametrize("order", ORDERS)
def test_moving_slices_hvp(order):
    check_modes(covariance, (X53,), 0, order=order)


# ---------------------------------------------------------------- kinks

@numba.njit
def std_of_equal_entries(x):
    return np.std(np.full(3, x)) + 2.0 * x


@numba.njit
def shifted_to_constant(u):
    """A vector made constant by a shifting loop, then its std and a norm at zero."""
    v = u.copy()
    for i in range(1, v.size):
        v[i] = v[i - 1]
    return np.linalg.norm(v - v[0]) + np.std(v) + np.sum(u * u)


def test_std_and_norm_take_the_subgradient_zero_at_their_kink():
    """(NaN in reverse mode, ZeroDivisionError in forward mode, before.)"""
    assert numbad.grad(std_of_equal_entries)(0.3) == pytest.approx(2.0)
    _, dot = numbad.jvp(std_of_equal_entries, (0.3,), (1.0,))
    assert dot == pytest.approx(2.0)
    assert numbad.hvp(std_of_equal_entries)(0.3, 1.0) == pytest.approx(0.0, abs=1e-12)
    u = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(numbad.grad(shifted_to_constant)(u), 2.0 * u)
    _, dot = numbad.jvp(shifted_to_constant, (u,), (np.ones(3),))
    assert dot == pytest.approx(12.0)


@numba.njit
def sqrt_at_zero(x, y):
    return math.sqrt(x) + y * math.asin(y) + math.hypot(y, 1.0)


def test_derivatives_never_raise_zero_division_where_the_primal_does_not():
    """NumPy's error model for derivative arithmetic: d sqrt(x)/dx at 0 is inf, as in
    JAX; the derivative of asin at 1 is inf; neither raises."""
    gx, gy = numbad.grad(sqrt_at_zero, argnums=(0, 1))(0.0, 1.0)
    assert gx == math.inf and gy == math.inf
    _, dot = numbad.jvp(sqrt_at_zero, (0.0, 0.5), (1.0, 0.0))
    assert dot == math.inf


# ---------------------------------------------------------------- numbers into float arrays

@numba.njit
def numbers_stored(u):
    """Integers written into float arrays (``d[i, j] = 0``, ``v[n - 1] = 1``)."""
    n = u.shape[0]
    d = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            if i == j:
                d[i, j] = 0
            else:
                d[i, j] = u[i] * u[j]
    v = u.copy()
    v[n - 1] = 1
    v[0] = n
    return np.sum(d * d) + np.sum(v * u)


@pytest.mark.parametrize("order", ORDERS)
def test_numbers_stored_into_float_arrays(order):
    check_modes(numbers_stored, (X53[:4, 0].copy(),), 0, order=order)


# ---------------------------------------------------------------- dtype idioms

@numba.njit
def dtype_casts(x, u):
    T = type(x)
    scale = u[0]
    z = u.dtype.type(0)
    for v in u:
        z += v * v
    return T(1) / x + T(2.5) * x + type(scale)(1) / scale + np.float64(x) * z


@pytest.mark.parametrize("order", ORDERS)
def test_casts_to_a_float_type_keep_the_derivative(order):
    check_modes(dtype_casts, (1.3, X53[:, 0] + 0.5), (0, 1), order=order)


# ---------------------------------------------------------------- iteration forms

@numba.njit
def flat_forms(a, b):
    s = 0.0
    for v in a.flat:
        s += v * v
    for x, y in zip(a.flat, b.flat):
        s += x * y
    for idx in np.ndindex(a.shape):
        s += a[idx] * (idx[0] + 2 * idx[1])
    for idx, v in np.ndenumerate(b):
        s += v * v * (idx[0] + 1)
    for x, y in np.nditer((a, b)):
        s += math.sin(x.item()) * y.item()
    for idx in np.ndindex(2, 3):
        s += a[idx] * b[idx]
    return s


def flat_forms_jax(a, b):
    import jax.numpy as jnp
    i, j = np.indices(a.shape)
    return (jnp.sum(a * a) + jnp.sum(a * b) + jnp.sum(a * (i + 2 * j)) +
            jnp.sum(b * b * (i + 1)) + jnp.sum(jnp.sin(a) * b) +
            jnp.sum(a[:2, :3] * b[:2, :3]))


@pytest.mark.parametrize("order", ORDERS)
def test_flat_ndindex_ndenumerate_nditer_loops(order):
    a, b = X53[:3].T.copy(), X53[2:].T.copy()      # (3, 3) each
    check_modes(flat_forms, (a, b), (0, 1), jax_f=flat_forms_jax, order=order)


def test_flat_of_a_non_contiguous_array_is_read_in_c_order():
    @numba.njit
    def f(a):
        s = 0.0
        for k, v in enumerate(a.T.flat):
            s += v * (k + 1)
        return s
    check_modes(f, (X53,), 0)


# ---------------------------------------------------------------- functions as values

@numba.njit
def decay(t, u, p):
    return -p * u + math.sin(t) * u * u


@numba.njit
def rk4_step(f, t, u, h, p):
    k1 = f(t, u, p)
    k2 = f(t + h / 2, u + h / 2 * k1, p)
    k3 = f(t + h / 2, u + h / 2 * k2, p)
    k4 = f(t + h, u + h * k3, p)
    return u + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


@numba.njit
def simulate(f, u0, p, n):
    u = u0.copy()
    for i in range(n):
        u = rk4_step(f, 0.1 * i, u, 0.1, p)
    return np.sum(u * u)


def newton_factory(func):
    @numba.njit
    def newton(x0, a):
        x = x0
        for _ in range(30):
            x = x - func(x, a) / (3.0 * x * x)
        return x
    return newton


@numba.njit
def cube_minus(x, a):
    return x ** 3 - a


cube_root = newton_factory(cube_minus)


@numba.njit
def with_default(x, k=2.0):
    return k * x * x


@numba.njit
def calls_function_values(x, a):
    return cube_root(1.0 + x, a) * x + with_default(x)


@pytest.mark.parametrize("order", ORDERS)
def test_functions_passed_as_arguments_are_constants(order):
    u0 = np.array([0.5, 0.2])
    check_modes(simulate, (decay, u0, 0.7, 6), (1, 2), order=order)


@pytest.mark.parametrize("order", ORDERS)
def test_closures_from_factories_and_default_arguments(order):
    check_modes(calls_function_values, (0.4, 2.0), (0, 1), order=order)


# ---------------------------------------------------------------- rules

W4 = np.array([0.5, -1.0, 2.0, 0.25])


@numba.njit
def orderings(u):
    w = u * 1.0
    w.sort()
    idx = np.argsort(u)
    return np.sum(np.sort(u) * W4) + np.sum(w * W4[::-1]) + np.sum(u[idx] * W4) + \
        u[np.argmin(u)] + u[np.argmax(u)] * 2.0 + u.argmin() + np.sum(np.flip(u) * W4)


def orderings_jax(u):
    import jax.numpy as jnp
    s = jnp.sort(u)
    return jnp.sum(s * W4) + jnp.sum(s * W4[::-1]) + jnp.sum(s * W4) + \
        jnp.min(u) + jnp.max(u) * 2.0 + jnp.argmin(u) + jnp.sum(jnp.flip(u) * W4)


@numba.njit
def products_and_triangles(u, a, b):
    return np.sum(np.cumprod(u) * W4) + np.sum(np.triu(a) * b) + np.sum(np.tril(a, -1) ** 2) \
        + np.sum(np.cross(a, b) ** 2) + np.sum(np.fliplr(a) * b) + np.sum(np.flipud(a) * a)


def products_and_triangles_jax(u, a, b):
    import jax.numpy as jnp
    return jnp.sum(jnp.cumprod(u) * W4) + jnp.sum(jnp.triu(a) * b) + \
        jnp.sum(jnp.tril(a, -1) ** 2) + jnp.sum(jnp.cross(a, b) ** 2) + \
        jnp.sum(jnp.fliplr(a) * b) + jnp.sum(jnp.flipud(a) * a)


@numba.njit
def statistics_and_spectra(x, s):
    c = np.cov(x)
    sign, logdet = np.linalg.slogdet(c + np.eye(3))
    w, v = np.linalg.eigh(s)
    return sign * logdet + np.sum(w * w) + np.sum(v[:, 0] ** 2 * w[0]) + \
        np.sum(np.abs(v[:, 2])) + np.sum(np.concatenate((x, s), axis=1) * 0.5) + \
        np.sum(np.hstack((s, s)) ** 2)


def statistics_and_spectra_jax(x, s):
    import jax.numpy as jnp
    c = jnp.cov(x)
    sign, logdet = jnp.linalg.slogdet(c + jnp.eye(3))
    sym = jnp.tril(s) + jnp.tril(s, -1).T       # (Numba's eigh reads the lower triangle)
    w, v = jnp.linalg.eigh(sym)
    return sign * logdet + jnp.sum(w * w) + jnp.sum(v[:, 0] ** 2 * w[0]) + \
        jnp.sum(jnp.abs(v[:, 2])) + jnp.sum(jnp.concatenate((x, s), axis=1) * 0.5) + \
        jnp.sum(jnp.hstack((s, s)) ** 2)


@pytest.mark.parametrize("order", ORDERS)
def test_orderings(order):
    check_modes(orderings, (np.array([0.3, -1.1, 0.7, 2.0]),), 0, jax_f=orderings_jax,
                order=order)


@pytest.mark.parametrize("order", ORDERS)
def test_products_and_triangles(order):
    rng = np.random.default_rng(3)
    check_modes(products_and_triangles, (rng.random(4) + 0.5, rng.random((3, 3)),
                                         rng.random((3, 3))), (0, 1, 2),
                jax_f=products_and_triangles_jax, order=order)


def test_statistics_and_spectra():
    rng = np.random.default_rng(4)
    x = rng.random((3, 6))
    s = rng.random((3, 3)) + np.diag([1.0, 2.0, 3.0])
    check_modes(statistics_and_spectra, (x, s), (0, 1), jax_f=statistics_and_spectra_jax)


# ---------------------------------------------------------------- fancy-index writes

@numba.njit
def scattered_writes(u, v):
    w = np.zeros(6)
    idx = np.array([0, 2, 4, 2])           # a repeated index: the last write stays
    w[idx] = u * v[0]
    w[np.array([1, 5, 1])] += v[1:4] * 2.0  # (added once per distinct index, as NumPy)
    m = w > 0.3
    w[m] = w[m] ** 2
    rows = np.zeros((3, 2))
    rows[np.array([2, 0])] = np.outer(v[:2], u[:2])
    return np.sum(w * np.arange(1.0, 7.0)) + np.sum(rows * rows)


@pytest.mark.parametrize("order", ORDERS)
def test_writes_at_arrays_of_indices_and_masks(order):
    u = np.array([0.3, 0.9, 0.5, 1.2])
    v = np.array([0.7, 0.2, 0.4, 0.6])
    check_modes(scattered_writes, (u, v), (0, 1), order=order)


def test_writes_by_an_index_array_written_later_are_refused():
    @numba.njit
    def f(u):
        w = np.zeros(4)
        idx = np.array([0, 2])
        w[idx] = u[:2]
        idx[0] = 1              # the reverse sweep would read the new index
        return np.sum(w * w) + idx[0]
    with pytest.raises(numbad.NotDifferentiableError, match="array of indices"):
        numbad.grad(f)(np.ones(3))


# ---------------------------------------------------------------- tuple results

@numba.njit
def option_payoffs(s, k):
    """``return call, put``: a tuple of arrays."""
    call = np.maximum(s - k, 0.0) * np.exp(-0.1 * s)
    put = np.maximum(k - s, 0.0) * 2.0
    return call, put


@numba.njit
def mixed_results(u, k):
    """A number, and a tuple of an array and an integer."""
    return np.sum(u * u) * k, (np.sin(u) * k, u.shape[0])


def test_vjp_and_jacobian_of_tuples_of_arrays(jax_module):
    jnp = jax_module.numpy
    s, k = np.array([0.5, 1.5, 2.5, 1.1]), 1.2
    out, f_vjp = numbad.vjp(option_payoffs, s, k)
    cot = (np.array([1.0, 2.0, 3.0, -1.0]), np.array([0.5, -0.5, 0.25, 1.0]))
    got = f_vjp(cot)

    def jax_payoffs(s, k):
        return (jnp.maximum(s - k, 0.0) * jnp.exp(-0.1 * s), jnp.maximum(k - s, 0.0) * 2.0)
    jax_out, jax_vjp = jax_module.vjp(jax_payoffs, s, k)
    expected = jax_vjp(cot)
    np.testing.assert_allclose(out[0], jax_out[0], rtol=1e-14)
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-12)
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-12)
    blocks = numbad.jacobian(option_payoffs, argnums=(0, 1))(s, k)
    jax_blocks = jax_module.jacobian(jax_payoffs, argnums=(0, 1))(s, k)
    for mine, theirs in zip(blocks, jax_blocks):
        for a, b in zip(mine, theirs):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_vjp_of_numbers_and_nested_tuples_against_differences():
    u, k = np.array([0.3, -0.8, 1.4]), 0.7
    out, f_vjp = numbad.vjp(mixed_results, u, k)
    assert out[1][1] == 3
    cot = (2.0, (np.array([1.0, -2.0, 0.5]), 0))
    u_bar, k_bar, = f_vjp(cot)

    def paired(u, k):
        a, (b, _) = mixed_results(u, k)
        return 2.0 * a + np.sum(b * cot[1][0])
    h = 1e-6
    fd_u = [(paired(u + h * e, k) - paired(u - h * e, k)) / (2 * h) for e in np.eye(3)]
    np.testing.assert_allclose(u_bar, fd_u, rtol=1e-7)
    assert k_bar == pytest.approx((paired(u, k + h) - paired(u, k - h)) / (2 * h), rel=1e-7)
    blocks = numbad.jacobian(mixed_results)(u, k)
    np.testing.assert_allclose(blocks[0], 2 * u * k, rtol=1e-12)
    np.testing.assert_allclose(blocks[1][0], np.diag(np.cos(u) * k), rtol=1e-12)
    assert blocks[1][1] is None


# ---------------------------------------------------------------- 0-d arrays

@numba.njit
def zero_d_arrays(x):
    a = np.asarray(x)
    return np.exp(a) * 2.0 + np.sin(a) + np.sum(np.exp(a) * a)


@pytest.mark.parametrize("order", ORDERS)
def test_0d_arrays_of_numbers_passed_to_numpy_functions(order):
    """(a TypingError in the generated code: ``math.cos`` of a 0-d array.)"""
    check_modes(zero_d_arrays, (0.3,), 0, order=order)


@numba.njit
def medians(u, a):
    return np.median(u * u) + np.median(a) * 2.0 + np.median(u[:3])


def medians_jax(u, a):
    import jax.numpy as jnp
    return jnp.median(u * u) + jnp.median(a) * 2.0 + jnp.median(u[:3])


@pytest.mark.parametrize("order", ORDERS)
def test_median(order):
    check_modes(medians, (np.array([0.3, -1.1, 0.7, 2.0]), X53[:2].copy()), (0, 1),
                jax_f=medians_jax, order=order)


# ---------------------------------------------------------------- tuples and lists

@numba.njit
def over_tuples(a, b, u):
    """Loops over tuples of numbers and of arrays, nested, with ``continue``, ``break``
    and the loop's ``else`` (written out per item before typing)."""
    s = 0.0
    for c in (a, b, 2.0 * a):
        if c > 5.0:
            continue
        if c < -5.0:
            break
        for d in (c, c * c):
            s += math.sin(c) * d
    else:
        s += 0.5 * a
    for v in (u, 2.0 * u, np.sin(u)):
        s += np.sum(v * v * a)
    a = 3.0         # (the tuple holds the values from before the loop)
    return s + a * b


def over_tuples_jax(a, b, u):
    import jax.numpy as jnp
    s = 0.0
    for c in (a, b, 2.0 * a):
        for d in (c, c * c):
            s += jnp.sin(c) * d
    s += 0.5 * a
    for v in (u, 2.0 * u, jnp.sin(u)):
        s += jnp.sum(v * v * a)
    return s + 3.0 * b


@numba.njit
def tuple_loop_returns(a, b):
    for c in (a, b):
        if c > 0.4:
            return c * c
    return a * b


@numba.njit
def lists_of_numbers(a, b, n):
    """A list only read (indexed, iterated, summed) and a list appended to in a loop
    and then made an array (Numba's own rewrite into an array it fills)."""
    vals = [a, 4.0, b, 2]
    s = vals[0] * vals[2] + sum(vals) + max(vals) + len(vals)
    for v in vals:
        s += v * v
    out = []
    x = a
    for i in range(n):
        x = 0.9 * x + 0.1 * b
        out.append(x)
    return s + np.sum(np.array(out) ** 2) + np.sum(np.array([a * i for i in range(n)]))


@pytest.mark.parametrize("order", ORDERS)
def test_loops_over_tuples_of_numbers_and_arrays(jax_module, order):
    u = np.array([0.3, -0.2, 0.9])
    check_modes(over_tuples, (0.3, 0.7, u), argnums=(0, 1, 2), jax_f=over_tuples_jax,
                order=order)
    for a in (0.3, 0.5):    # (returns from the first and the second copy)
        check_modes(tuple_loop_returns, (a, 0.45), argnums=(0, 1))


@pytest.mark.parametrize("order", ORDERS)
def test_lists_of_numbers_read_or_filled_then_made_arrays(order):
    check_modes(lists_of_numbers, (0.3, 0.7, 6), argnums=(0, 1), order=order)
    check_modes(lists_of_numbers, (5.0, 0.7, 3), argnums=(0, 1))   # max is a then


@numba.njit
def appends_and_reads(a, n):
    out = []
    for i in range(n):
        out.append(a * i)
    return out[-1]


def test_lists_appended_to_and_read_as_lists_are_refused():
    with pytest.raises(numbad.NotDifferentiableError, match="list method append"):
        numbad.grad(appends_and_reads)(0.3, 4)


@numba.njit
def nested_comprehension(a, n):
    return np.sum(np.array([[a * i * j for j in range(2)] for i in range(n)]))


def test_nested_comprehensions_are_refused_by_name():
    for derivative in (numbad.grad(nested_comprehension),
                       lambda a, n: numbad.jvp(nested_comprehension, (a, n), (1.0, 0))):
        with pytest.raises(numbad.NotDifferentiableError, match="nested list comprehension"):
            derivative(0.3, 4)


@numba.njit
def at_least(x, a):
    b = np.atleast_2d(a)
    return np.sum(b * b) * x + np.sum(np.atleast_1d(a)) * x + np.sum(np.atleast_3d(a) ** 3)


def at_least_jax(x, a):
    import jax.numpy as jnp
    b = jnp.atleast_2d(a)
    return jnp.sum(b * b) * x + jnp.sum(jnp.atleast_1d(a)) * x + jnp.sum(
        jnp.atleast_3d(a) ** 3)


@pytest.mark.parametrize("order", ORDERS)
def test_atleast_nd(jax_module, order):
    check_modes(at_least, (0.7, np.array([0.3, -0.5, 0.2])), argnums=(0, 1),
                jax_f=at_least_jax, order=order)
