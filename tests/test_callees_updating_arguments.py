"""Calls of ``@njit`` functions that update an array argument in place: output
arguments (``rhs(u, du)``), states advanced in place (``step(u, dt)``), writes through
views, helpers calling helpers; and of functions returning tuples of arrays or given
keyword arguments. numbad inlines such calls (inlining.py) and differentiates the
writes as the caller's own. Checked against ``jax.grad`` /
``jax.jvp`` where JAX expresses the function, else against central differences; in
both modes, nested (hvp), and under checkpointing."""
import math

import numpy as np
import pytest
from numba import njit, objmode

import numbad
from tests.gradcheck import fd_array

# ------------------------------------------------------------------ callees

@njit
def laplacian_into(u, out):
    """A right-hand side written into an output argument."""
    for i in range(1, u.shape[0] - 1):
        out[i] = u[i - 1] - 2.0 * u[i] + u[i + 1]


@njit
def euler_step(u, du, k, dt):
    """A state advanced in place through another helper; returns the step's size."""
    laplacian_into(u, du)
    size = 0.0
    for i in range(1, u.shape[0] - 1):
        u[i] += dt * k * du[i]
        size += abs(du[i])
    return size


def heat(u0, k, steps):
    u = u0.copy()
    du = np.zeros_like(u)
    total = 0.0
    for _ in range(steps):
        total += 1e-3 * euler_step(u, du, k, 0.1)
    return np.sum(u * u) + total


def heat_jax(u0, k, steps):
    import jax.numpy as jnp
    u, total = u0, 0.0
    for _ in range(steps):
        du = u[:-2] - 2.0 * u[1:-1] + u[2:]
        u = u.at[1:-1].add(0.1 * k * du)
        total += 1e-3 * jnp.sum(jnp.abs(du))
    return jnp.sum(u * u) + total


@njit
def lorenz_into(y, p, out):
    out[0] = p[0] * (y[1] - y[0])
    out[1] = y[0] * (p[1] - y[2]) - y[1]
    out[2] = y[0] * y[1] - p[2] * y[2]


@njit
def axpy_into(out, y, x, a):
    for i in range(y.shape[0]):
        out[i] = y[i] + a * x[i]


@njit
def rk4_step(y, p, h, k1, k2, k3, k4, tmp):
    """Classic RK4 in the style of solvers with work arrays: every stage written in place."""
    lorenz_into(y, p, k1)
    axpy_into(tmp, y, k1, 0.5 * h)
    lorenz_into(tmp, p, k2)
    axpy_into(tmp, y, k2, 0.5 * h)
    lorenz_into(tmp, p, k3)
    axpy_into(tmp, y, k3, h)
    lorenz_into(tmp, p, k4)
    for i in range(3):
        y[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i])


def lorenz(y0, p, steps):
    y = y0.copy()
    k1, k2, k3, k4, tmp = np.empty(3), np.empty(3), np.empty(3), np.empty(3), np.empty(3)
    for _ in range(steps):
        rk4_step(y, p, 0.01, k1, k2, k3, k4, tmp)
    return y[0] + 2.0 * y[1] * y[2]


def lorenz_jax(y0, p, steps):
    import jax.numpy as jnp

    def f(y):
        return jnp.stack([p[0] * (y[1] - y[0]), y[0] * (p[1] - y[2]) - y[1],
                          y[0] * y[1] - p[2] * y[2]])
    y, h = y0, 0.01
    for _ in range(steps):
        k1 = f(y)
        k2 = f(y + 0.5 * h * k1)
        k3 = f(y + 0.5 * h * k2)
        k4 = f(y + h * k3)
        y = y + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return y[0] + 2.0 * y[1] * y[2]


@njit
def clamp_below(u, lo):
    """Writes some elements, returns early with a count: several returns."""
    changed = 0.0
    for i in range(u.shape[0]):
        if u[i] > 10.0:
            return -1.0
        if u[i] < lo:
            u[i] = lo + 0.5 * (u[i] - lo) ** 2
            changed += 1.0
    return changed


def clamped(x, lo):
    u = x * 2.0
    n = clamp_below(u, lo)
    return np.sum(np.sin(u)) * (1.0 + 0.1 * n)


@njit
def scale_rows(a, row, c=2.0):
    for j in range(a.shape[1]):
        a[row, j] *= c


def rows_scaled(x, c):
    a = x.copy()
    for i in range(a.shape[0]):
        scale_rows(a, i, c=c * (i + 1))
    scale_rows(a, 0)                     # the default
    return np.sum(a ** 3)


def rows_scaled_jax(x, c):
    import jax.numpy as jnp
    scale = jnp.array([c * (i + 1) for i in range(x.shape[0])])
    a = x * scale[:, None]
    a = a.at[0].multiply(2.0)
    return jnp.sum(a ** 3)


@njit
def smooth_inner(v, w):
    """Writes the caller's array through the view it was given."""
    for i in range(v.shape[0]):
        v[i] = 0.5 * v[i] + 0.25 * w[i] * w[i]


def through_views(x):
    u = x.copy()
    smooth_inner(u[1:-1], x[2:])
    smooth_inner(u[:3], u[3:6])          # reads what the first call wrote
    return np.sum(u * x)


def through_views_jax(x):
    u = x
    u = u.at[1:-1].set(0.5 * u[1:-1] + 0.25 * x[2:] ** 2)
    u = u.at[:3].set(0.5 * u[:3] + 0.25 * u[3:6] ** 2)
    return (u * x).sum()


@njit
def double_in_place(x):
    for i in range(x.shape[0]):
        x[i] = 2.0 * x[i] * x[i]


def inputs_updated(x):
    double_in_place(x)                   # the caller's own argument
    return np.sum(np.cos(x))


def inputs_updated_jax(x):
    import jax.numpy as jnp
    return jnp.sum(jnp.cos(2.0 * x * x))


@njit
def step_into(u, v, c):
    n = u.shape[0]
    for i in range(n):
        v[i] = u[i] + c * math.sin(u[(i + 1) % n])


def double_buffered(u0, c, steps):
    u, v = u0.copy(), np.empty_like(u0)
    for _ in range(steps):
        step_into(u, v, c)
        u, v = v, u
    return np.sum(u * u)


def double_buffered_jax(u0, c, steps):
    import jax.numpy as jnp
    u = u0
    for _ in range(steps):
        u = u + c * jnp.sin(jnp.roll(u, -1))
    return jnp.sum(u * u)


@njit
def newton_sqrt_into(out, a):
    """A while loop with a data-dependent exit inside the callee."""
    for i in range(a.shape[0]):
        x = a[i]
        while abs(x * x - a[i]) > 1e-13 * a[i]:
            x = 0.5 * (x + a[i] / x)
        out[i] = x


def roots(a):
    out = np.empty_like(a)
    newton_sqrt_into(out, a)
    return np.sum(out * a)


def roots_jax(a):
    import jax.numpy as jnp
    return jnp.sum(jnp.sqrt(a) * a)


@njit
def rates(u, v, a):
    """Several arrays returned in a tuple (with a number)."""
    return a * v, -u * u * u + a, np.sum(u * v)


def oscillators(u0, v0, a, steps):
    u, v, energy = u0.copy(), v0.copy(), 0.0
    for _ in range(steps):
        du, dv, e = rates(u, v, a)
        u = u + 0.01 * du
        v = v + 0.01 * dv
        energy += e
    pair = rates(u, v, a)
    return np.sum(u * v) + 1e-2 * energy + pair[2] * np.sum(pair[0])


def oscillators_jax(u0, v0, a, steps):
    import jax.numpy as jnp

    def rates(u, v):
        return a * v, -u * u * u + a, jnp.sum(u * v)
    u, v, energy = u0, v0, 0.0
    for _ in range(steps):
        du, dv, e = rates(u, v)
        u = u + 0.01 * du
        v = v + 0.01 * dv
        energy += e
    pair = rates(u, v)
    return jnp.sum(u * v) + 1e-2 * energy + pair[2] * jnp.sum(pair[0])


# ------------------------------------------------------------------ checks

def _inputs(rng):
    return {
        heat: (np.sin(np.linspace(0.0, 3.0, 12)), 0.7, 6),
        lorenz: (np.array([1.0, 1.2, 0.9]), np.array([10.0, 28.0, 8.0 / 3.0]), 30),
        rows_scaled: (rng.normal(size=(3, 4)), 0.8),
        through_views: (rng.normal(size=8),),
        inputs_updated: (rng.normal(size=5),),
        double_buffered: (rng.normal(size=6), 0.3, 5),
        roots: (rng.uniform(0.5, 3.0, size=4),),
        oscillators: (rng.normal(size=4), rng.normal(size=4), 0.6, 8),
    }


JAX_TWINS = [(heat, heat_jax, (0, 1)), (lorenz, lorenz_jax, (0, 1)),
             (rows_scaled, rows_scaled_jax, (0, 1)), (through_views, through_views_jax, 0),
             (inputs_updated, inputs_updated_jax, 0),
             (double_buffered, double_buffered_jax, (0, 1)), (roots, roots_jax, 0),
             (oscillators, oscillators_jax, (0, 1, 2))]


def _as_tuple(g):
    return g if isinstance(g, tuple) else (g,)


@pytest.mark.parametrize("f, f_jax, argnums", JAX_TWINS, ids=lambda v: getattr(v, "__name__", ""))
def test_gradients_match_jax(f, f_jax, argnums, rng, jax_module):
    args = _inputs(rng)[f]
    before = [np.copy(a) for a in args]
    got = _as_tuple(numbad.grad(f, argnums=argnums)(*args))
    for a, b in zip(args, before):          # the caller's arrays are left as they were
        np.testing.assert_array_equal(a, b)
    want = jax_module.grad(f_jax, argnums=argnums)(*args)
    for g, w in zip(got, _as_tuple(want)):
        np.testing.assert_allclose(g, np.asarray(w), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("f, f_jax, argnums", JAX_TWINS, ids=lambda v: getattr(v, "__name__", ""))
def test_tangents_match_jax(f, f_jax, argnums, rng, jax_module):
    args = _inputs(rng)[f]
    nums = _as_tuple(argnums)
    tangents = tuple(rng.normal(size=np.shape(a)) if i in nums else np.zeros_like(a)
                     if isinstance(a, np.ndarray) else 0.0 * a for i, a in enumerate(args))
    before = [np.copy(a) for a in args]
    value, dot = numbad.jvp(f, args, tangents)
    for a, b in zip(args, before):
        np.testing.assert_array_equal(a, b)
    diff = [i for i, a in enumerate(args) if isinstance(a, (float, np.ndarray))]

    def g(*vs):
        full = list(args)
        for i, v in zip(diff, vs):
            full[i] = v
        return f_jax(*full)
    want_value, want_dot = jax_module.jvp(g, tuple(args[i] for i in diff),
                                          tuple(tangents[i] for i in diff))
    np.testing.assert_allclose(value, float(want_value), rtol=1e-12)
    np.testing.assert_allclose(dot, float(want_dot), rtol=1e-9, atol=1e-11)


def test_several_returns_in_the_callee_match_differences(rng):
    x = rng.normal(size=6)
    for lo in (-0.5, 0.3):
        g = numbad.grad(clamped, argnums=0)(x, lo)
        np.testing.assert_allclose(g, fd_array(clamped, (x, lo), 0), rtol=1e-6, atol=1e-8)
    assert numbad.grad(clamped, argnums=0)(x + 20.0, 0.0).shape == x.shape   # early return


@pytest.mark.parametrize("checkpoint", ["binomial", "online"])
def test_checkpointed_loops_of_callees_agree_with_the_recorded_gradient(checkpoint):
    y0, p = np.array([1.0, 1.2, 0.9]), np.array([10.0, 28.0, 8.0 / 3.0])
    recorded = numbad.grad(lorenz, argnums=(0, 1), checkpoint="none")(y0, p, 200)
    g = numbad.grad(lorenz, argnums=(0, 1), checkpoint=checkpoint, memory_budget=20_000)
    got = g(y0, p, 200)
    assert g.stats["recomputed_iterations"] > 0
    for a, b in zip(got, recorded):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    u0 = np.sin(np.linspace(0.0, 3.0, 12))
    want = numbad.grad(heat, argnums=(0, 1), checkpoint="none")(u0, 0.7, 40)
    got = numbad.grad(heat, argnums=(0, 1), checkpoint=checkpoint,
                      memory_budget=6_000)(u0, 0.7, 40)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_hvp_through_callees_matches_differences_of_the_gradient(rng):
    args = _inputs(rng)[double_buffered]
    v = rng.normal(size=args[0].shape)
    got = numbad.hvp(double_buffered, argnums=0)(*args, v)
    grad = numbad.grad(double_buffered, argnums=0)
    h = 1e-6
    want = (grad(args[0] + h * v, *args[1:]) - grad(args[0] - h * v, *args[1:])) / (2 * h)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


def test_the_generated_code_uses_the_callers_arrays():
    """Inlined bodies read and write the caller's arrays by their own names (no taped
    references to parameter copies) and name the callee's variables after it."""
    src = numbad.grad(heat, argnums=(0, 1)).source(np.ones(5), 0.5, 3)
    assert "euler_step1_size" in src and "laplacian_into2_i" in src
    assert "_at." not in src


@njit
def add_square_into(out, x):
    out += x * x
    return out


@njit
def add_square_through(out, x):
    return add_square_into(out[1:], x)     # writes the caller's array through a view


def returned_and_updated(x):
    out = np.zeros(3)
    o = add_square_into(out, x)
    return o[0] * 3.0 + out[1]      # out and o are one array: 4 x**2


def updated_through_a_view(x):
    out = np.zeros(3)
    o = add_square_through(out, x)
    return o[0] + out[1]            # out[1] is o[0]: 2 x**2


@pytest.mark.parametrize("f, twice", [(returned_and_updated, 4.0),
                                      (updated_through_a_view, 2.0)])
def test_an_array_returned_and_updated_is_one_array(f, twice):
    assert numbad.grad(f)(1.5) == pytest.approx(2.0 * twice * 1.5, rel=1e-14)
    assert numbad.jvp(f, (1.5,), (1.0,)) == pytest.approx((twice * 2.25, 2.0 * twice * 1.5))


@njit
def scaled(x, s=2.0):
    return x * s


def keywords(x, c):
    return scaled(x, s=c) * scaled(x) + scaled(s=x, x=c)


def test_keyword_and_default_arguments_of_a_callee(jax_module):
    def keywords_jax(x, c):
        return x * c * x * 2.0 + c * x
    got = numbad.grad(keywords, argnums=(0, 1))(1.5, 0.7)
    want = jax_module.grad(keywords_jax, argnums=(0, 1))(1.5, 0.7)
    np.testing.assert_allclose(got, want, rtol=1e-14)
    assert numbad.jvp(keywords, (1.5, 0.7), (1.0, 0.0))[1] == pytest.approx(float(want[0]))


@njit
def halve_down(u, i):
    if i >= 0:
        u[i] *= 0.5
        halve_down(u, i - 1)


def recursive(x):
    u = x.copy()
    halve_down(u, u.shape[0] - 1)
    return np.sum(u)


def test_recursion_through_a_callee_updating_arrays_is_refused():
    with pytest.raises(numbad.NotDifferentiableError, match="halve_down"):
        numbad.grad(recursive)(np.ones(3))


@njit
def with_star_args(u, *scales):
    for i in range(u.shape[0]):
        u[i] *= scales[0]


def star_args(x):
    u = x.copy()
    with_star_args(u, 2.0)
    return np.sum(u * u)


@njit
def with_objmode(u):
    with objmode(y="float64"):
        y = 2.0
    u[0] = u[0] * y


def objmode_block(x):
    u = x.copy()
    with_objmode(u)
    return np.sum(u * u)


def test_callees_taking_star_args_are_inlined_written_for_their_call():
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(numbad.grad(star_args)(x), 8.0 * x)
    t = np.array([1.0, 2.0, -0.5])
    np.testing.assert_allclose(numbad.jvp(star_args, (x,), (t,))[1], np.dot(8.0 * x, t))


@pytest.mark.parametrize("f, callee", [(objmode_block, "with_objmode")])
def test_callees_numba_cannot_inline_are_refused_by_name(f, callee):
    for transform in (lambda: numbad.grad(f)(np.ones(3)),
                      lambda: numbad.jvp(f, (np.ones(3),), (np.ones(3),))):
        with pytest.raises(numbad.NotDifferentiableError,
                           match="call to %s, which updates its array argument `u`" % callee):
            transform()


@njit
def double_all(u):
    u[...] = u * 2.0


def ellipsis_store(x):
    u = x.copy()
    double_all(u)
    return np.sum(u * u)


def test_stores_through_an_ellipsis(rng):
    x = rng.normal(size=4)
    np.testing.assert_allclose(numbad.grad(ellipsis_store)(x), 8.0 * x, rtol=1e-14)
    assert numbad.jvp(ellipsis_store, (x,), (x,))[1] == pytest.approx(8.0 * x @ x)


@njit
def tail(a):
    return a[1:]


def written_through_a_returned_view(w, x):
    u = w.copy()
    v = tail(u)                 # a view of u: writing it writes u
    v[0] = x * x
    return np.sum(u * w) + x * v[1]


@njit
def fill_out(a, out):
    for i in range(a.shape[0]):
        out[i] = a[i] * a[i]


@njit
def fill_by_keyword(a, b):
    fill_out(a, out=b)          # the callee's callee writes b, given by keyword
    return b[0] + b[1]


def keyword_writes(w, x):
    b = np.zeros_like(w)
    s = fill_by_keyword(w * x, b)
    return s * np.sum(b)


@pytest.mark.parametrize("f", [written_through_a_returned_view, keyword_writes])
def test_callees_returning_views_or_writing_through_keywords(f, rng):
    w, x = rng.normal(size=4), 0.7
    for _ in range(2):          # (the second build reads the analyses' caches)
        g = numbad.grad(f, argnums=(0, 1))(w, x)
        np.testing.assert_allclose(g[0], fd_array(f, (w, x), 0), rtol=1e-6, atol=1e-9)
        h = 1e-6
        fd_x = (f(w, x + h) - f(w, x - h)) / (2 * h)
        assert g[1] == pytest.approx(fd_x, rel=1e-6)
        assert numbad.jvp(f, (w, x), (np.zeros(4), 1.0))[1] == pytest.approx(fd_x, rel=1e-6)
