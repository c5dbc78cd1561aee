"""Element-wise array expressions fused into element loops (numbad/fusion.py): the same
derivatives as the expressions written out, checked against central differences of
the Numba-compiled function (and JAX where it can say the same), a tape that holds
only what the updates overwrite, and NumPy's broadcasting and division semantics."""
import numpy as np
import pytest
from numba import njit

import numbad
from benchmarks.workloads.heat import heat2d, heat_slices
from numbad.fusion import sliced_length
from tests.gradcheck import fd_array


def fused(g, *args):
    return "_fused0_" in g.source(*args)


def multiplied(g, *args):
    """Whether a fused loop of ``g`` reads an operand through broadcast multipliers."""
    return "_fused0_s" in g.source(*args)


def scalar_fd(f, args, i, h=1e-6):
    up, down = list(args), list(args)
    up[i], down[i] = args[i] + h, args[i] - h
    return (f(*up) - f(*down)) / (2 * h)


@pytest.mark.parametrize("f, u0", [
    (heat_slices, np.sin(np.linspace(0.0, 3.0, 12))),
    # (2-D: ~25 s of compiling; test_stencil_gradient_matches_jax covers it by default)
    pytest.param(heat2d, np.random.default_rng(1).random((6, 5)), marks=pytest.mark.slow)])
def test_slice_stencils_are_fused_and_tape_only_what_they_overwrite(f, u0):
    steps = 30
    args = (u0, 0.15, steps)
    g = numbad.grad(f, argnums=(0, 1))
    gu, ga = g(*args)
    assert fused(g, *args)
    np.testing.assert_allclose(gu, fd_array(f, args, 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ga, scalar_fd(f, args, 1), rtol=1e-6)
    # each step overwrites the interior once: about that many floats a step on the
    # tape (the expression's four temporaries a step, taped before fusion, are not)
    interior = (u0.size - 2) if u0.ndim == 1 else (u0.shape[0] - 2) * (u0.shape[1] - 2)
    assert g.stats["tape_bytes"] <= steps * (8 * interior + 200)
    assert numbad.grad(f, argnums=(0, 1), checkpoint="binomial")(*args)[1] == \
        pytest.approx(ga, rel=1e-12)
    # the update's temporary is made each step; its adjoint, zeroed by the reverse
    # sweep after each use, only when its shape changes
    assert "if _fused0_t_bar.shape != _fused0_t.shape:" in g.source(*args)
    # the views of u the loops read are built again where each loop's reverse starts,
    # not kept on the tape by reference
    assert "_at.append" not in g.source(*args)


def test_stencil_tangents_and_hessian_vector_products():
    u0 = np.cos(np.linspace(0.0, 2.0, 9))
    args = (u0, 0.2, 12)
    du = np.linspace(-1.0, 1.0, 9)
    value, tangent = numbad.jvp(heat_slices, args, (du, 0.5, 0))
    h = 1e-6
    up = heat_slices(u0 + h * du, 0.2 + 0.5 * h, 12)
    down = heat_slices(u0 - h * du, 0.2 - 0.5 * h, 12)
    assert value == pytest.approx(heat_slices(*args), rel=1e-12)
    assert tangent == pytest.approx((up - down) / (2 * h), rel=1e-6)
    hv = numbad.hvp(heat_slices, argnums=0)(*args, du)
    g = numbad.grad(heat_slices, argnums=0)
    fd = (g(u0 + h * du, 0.2, 12) - g(u0 - h * du, 0.2, 12)) / (2 * h)
    np.testing.assert_allclose(hv, fd, rtol=1e-5, atol=1e-8)


def broadcast_outer(x, m, a):
    z = x[:, None] * m[None, :] - a * np.sqrt(m * m + 1.0)
    return np.sum(np.tanh(z) * np.exp(-0.5 * z))


def broadcast_rows_columns(p, q):
    r = p * q.reshape((1, q.shape[0])) + np.sin(p) / (2.0 + q)
    return np.sum(r * r)


def mixed_ints(x, n):
    k = np.arange(x.shape[0])
    return np.sum(x * k + np.power(x, 2.0) - np.abs(x) * n + np.maximum(x, 0.3) / (k + 1))


CASES = [(broadcast_outer, (np.linspace(0.1, 1.0, 5), np.linspace(-1.0, 2.0, 4), 0.3), (0, 1)),
         (broadcast_rows_columns, (np.linspace(0.2, 1.3, 12).reshape(3, 4),
                                   np.linspace(0.5, 1.0, 4)), (0, 1)),
         (broadcast_rows_columns, (np.linspace(0.2, 1.3, 4).reshape(1, 4),
                                   np.linspace(0.5, 1.0, 1)), (0, 1)),
         (mixed_ints, (np.linspace(-1.0, 1.0, 6), 3), 0)]


@pytest.mark.parametrize("f, args, argnums", CASES)
def test_broadcasting_and_mixed_operands_match_finite_differences(f, args, argnums):
    jf = njit(f)
    g = numbad.grad(f, argnums=argnums)
    got = g(*args)
    assert fused(g, *args)
    for k, i in enumerate((argnums,) if isinstance(argnums, int) else argnums):
        part = got if isinstance(argnums, int) else got[k]
        np.testing.assert_allclose(part, fd_array(jf, args, i), rtol=1e-6, atol=1e-8)


def test_shapes_that_do_not_broadcast_raise_as_in_the_function():
    def add(a, b):
        return np.sum(a * 2.0 + b)
    with pytest.raises(ValueError):
        njit(add)(np.ones(3), np.ones(4))
    with pytest.raises(ValueError):
        numbad.grad(add)(np.ones(3), np.ones(4))


def shifted_update(u0, c):
    u = u0.copy()
    u[1:] += c * u[:-1]        # the right side is computed first, then added
    return np.sum(u * u)


def shifted_add(u0, c):
    u = u0 * c
    u[1:] += u[:-1]            # Numba adds element by element here, reading what it wrote
    return np.sum(u * u)


def test_in_place_updates_read_what_numba_reads():
    args = (np.linspace(0.5, 1.5, 6), 0.7)
    g = numbad.grad(shifted_update, argnums=(0, 1))
    gu, gc = g(*args)
    assert fused(g, *args)
    np.testing.assert_allclose(gu, fd_array(njit(shifted_update), args, 0), rtol=1e-6, atol=1e-8)
    assert gc == pytest.approx(scalar_fd(njit(shifted_update), args, 1), rel=1e-6)
    # an array added in place is left as written, and refused as before: fusing it
    # would compute what NumPy computes, not what the Numba function does
    with pytest.raises(numbad.NotDifferentiableError, match="overlaps"):
        numbad.grad(shifted_add)(*args)


def write_between(x, w):
    t = x * w           # used twice: computed where it stands
    s = t + 1.0
    r = -x / 3.0        # read before the write below: not moved after it
    x[0] = 5.0
    return np.sum(t * s) + np.sum(r * x)


def test_values_are_read_before_the_writes_that_follow_them():
    args = (np.linspace(0.1, 1.0, 6), np.linspace(2.0, 3.0, 6))
    jf = njit(write_between)
    value, (gx, gw) = numbad.value_and_grad(write_between, argnums=(0, 1))(
        *(a.copy() for a in args))
    assert value == pytest.approx(jf(*(a.copy() for a in args)), rel=1e-12)
    for i, got in enumerate((gx, gw)):
        np.testing.assert_allclose(got, fd_array(lambda *a: jf(*(b.copy() for b in a)), args, i),
                                   rtol=1e-6, atol=1e-8)


def test_division_by_zero_gives_inf_as_for_arrays():
    def f(x):
        return np.sum(1.0 / x)
    value, _ = numbad.value_and_grad(f)(np.array([1.0, 0.0, 2.0]))
    assert value == njit(f)(np.array([1.0, 0.0, 2.0])) == np.inf


def test_float32_arrays():
    def f(x, y):
        return np.sum(x * y + np.sin(x) * np.float32(2.0))
    x = np.linspace(0.1, 1.0, 5).astype(np.float32)
    y = np.linspace(1.0, 2.0, 5).astype(np.float32)
    gx = numbad.grad(f)(x, y)
    assert gx.dtype == np.float32
    np.testing.assert_allclose(gx, y + 2.0 * np.cos(x), rtol=1e-5)


def test_stencil_gradient_matches_jax():
    jax = pytest.importorskip("jax")
    from benchmarks.workloads.heat import heat2d_jax, heat_jax
    for f, loss, u0 in ((heat_slices, heat_jax(), np.sin(np.linspace(0.0, 3.0, 10))),
                        (heat2d, heat2d_jax(), np.random.default_rng(2).random((5, 6)))):
        got = numbad.grad(f, argnums=(0, 1))(u0, 0.12, 15)
        want = jax.grad(loss, argnums=(0, 1))(u0, 0.12, 15)
        np.testing.assert_allclose(got[0], np.asarray(want[0]), rtol=1e-10, atol=1e-12)
        assert got[1] == pytest.approx(float(want[1]), rel=1e-10)


BOUNDS = [None, -4, -3, -2, -1, 0, 1, 2, 3, 4]


def test_slices_given_one_key_have_one_length_for_every_size():
    # the key of ``u[s:e]``'s axis says ``max(0, len(u) + e - s)``; two slices with one
    # key must have one length for every length of ``u`` (else a broadcast axis of size
    # 1 would be read as if it were full)
    keyed = {}
    for start in BOUNDS:
        for stop in BOUNDS:
            key = sliced_length(("u", 0, 0), slice(start, stop))
            if key is not None:
                keyed.setdefault(key, []).append(slice(start, stop))
    assert len(keyed[("u", 0, -2)]) >= 3      # u[:-2], u[1:-1], u[2:] among them
    for slices in keyed.values():
        for n in range(12):
            assert len({len(range(n)[s]) for s in slices}) == 1, (slices, n)
    assert sliced_length(("u", 0, 0), slice(1, 3)) is None         # a length of its own
    assert sliced_length(("u", 0, 0), slice(None, None, 2)) is None


@njit
def rows_update(u0, c, steps):
    u = u0.copy()
    for _ in range(steps):
        for i in range(1, u.shape[0]):
            u[i, 1:-1] += c * (u[i - 1, 2:] - 2.0 * u[i, 1:-1] + u[i - 1, :-2])
    return np.sum(u * u)


@njit
def two_arrays(x, y):
    return np.sum(np.sin(x[1:]) * y[:-1] + x[:-1])


@pytest.mark.parametrize("f, args, plain", [
    (heat_slices, (np.linspace(0.1, 1.0, 9), 0.2, 5), True),
    (heat_slices, (np.linspace(0.1, 1.0, 2), 0.2, 3), True),    # an empty interior
    (rows_update, (np.linspace(0.1, 1.0, 20).reshape(4, 5), 0.3, 2), True),
    (two_arrays, (np.linspace(0.1, 1.0, 7), np.linspace(-1.0, 1.0, 7)), False),
    (two_arrays, (np.linspace(0.1, 1.0, 7), np.linspace(-1.0, 1.0, 2)), False)])
def test_operands_of_one_known_shape_are_read_with_the_loop_indices(f, args, plain):
    # slices of one array whose lengths agree for every size are read as x[i]; operands
    # that may broadcast (two arrays, sizes known only when run) through multipliers
    g = numbad.grad(f, argnums=0)
    got = g(*args)
    assert fused(g, *args) and multiplied(g, *args) is not plain
    np.testing.assert_allclose(got, fd_array(f, args, 0), rtol=1e-6, atol=1e-8)


@njit
def upwind(u0, c, steps):
    """Upwind transport with np.where, a clipped loss: comparisons, np.where and
    np.clip fused with the arithmetic around them."""
    u = u0.copy()
    for _ in range(steps):
        u[1:] -= c * np.where(u[1:] - u[:-1] > 0.0, u[1:] - u[:-1], 0.5 * (u[1:] - u[:-1]))
    return np.sum(np.clip(u, -0.4, 0.6) ** 2)


@njit
def masked(x, mask, y):
    return np.sum(np.where(mask, x * y, -x) + np.clip(x * 2.0, y, 1.0))


def test_where_clip_and_comparisons_are_fused():
    u0 = np.sin(np.linspace(0.0, 4.0, 11))
    args = (u0, 0.3, 6)
    g = numbad.grad(upwind, argnums=(0, 1))
    gu, gc = g(*args)
    source = g.source(*args)
    assert "= _g_where(_fused" in source and "= _g_clip(_fused" in source     # in loops
    np.testing.assert_allclose(gu, fd_array(upwind, args, 0), rtol=1e-6, atol=1e-8)
    assert gc == pytest.approx(scalar_fd(upwind, args, 1), rel=1e-6)
    value, tangent = numbad.jvp(upwind, args, (np.cos(u0), 0.0, 0))
    h = 1e-6
    assert tangent == pytest.approx((upwind(u0 + h * np.cos(u0), 0.3, 6) -
                                     upwind(u0 - h * np.cos(u0), 0.3, 6)) / (2 * h), rel=1e-6)
    x, y = np.linspace(-1.0, 1.0, 7), np.linspace(-0.5, 0.2, 7)
    mask = x > 0.1
    gm = numbad.grad(masked, argnums=(0, 2))
    gx, gy = gm(x, mask, y)
    assert fused(gm, x, mask, y)
    np.testing.assert_allclose(gx, fd_array(masked, (x, mask, y), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gy, fd_array(masked, (x, mask, y), 2), rtol=1e-6, atol=1e-8)


def test_where_and_clip_match_jax():
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    jax.config.update("jax_enable_x64", True)

    def loss(u0, c, steps):
        u = u0
        for _ in range(steps):
            d = u[1:] - u[:-1]
            u = u.at[1:].add(-c * jnp.where(d > 0.0, d, 0.5 * d))
        return jnp.sum(jnp.clip(u, -0.4, 0.6) ** 2)
    u0 = np.cos(np.linspace(0.0, 5.0, 9))
    got = numbad.grad(upwind, argnums=(0, 1))(u0, 0.25, 4)
    want = jax.grad(loss, argnums=(0, 1))(u0, 0.25, 4)
    np.testing.assert_allclose(got[0], np.asarray(want[0]), rtol=1e-10, atol=1e-12)
    assert got[1] == pytest.approx(float(want[1]), rel=1e-10)
