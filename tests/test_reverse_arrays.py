"""Float arrays as differentiated arguments: element reads, views, calls; what is refused."""
import math
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest
from numba import njit

import numbad
from benchmarks.workloads.heat import heat
from tests.gradcheck import fd_array


@njit
def weighted(w, x):
    s = 0.0
    for i in range(x.shape[0]):
        s += w[i] * x[i]
    return s


def least_squares(w, data, y):
    loss = 0.0
    for k in range(data.shape[0]):
        r = weighted(w, data[k]) - y[k]
        loss += r * r + 0.1 * math.sin(w[0]) * w[k % w.shape[0]]
    return loss + w[1] ** 2


def least_squares_jax(w, data, y):
    import jax.numpy as jnp
    r = data @ w - y
    k = jnp.arange(data.shape[0]) % w.shape[0]
    return jnp.sum(r * r + 0.1 * jnp.sin(w[0]) * w[k]) + w[1] ** 2


def rows(w, data):
    s = 0.0
    for k in range(data.shape[0]):
        row = data[k]
        for i in range(row.shape[0]):
            s += math.sin(row[i] * w[i]) * data[k, i]
    return s


def interior(a):
    b = a[1:-1]
    s = 0.0
    for i in range(b.shape[0]):
        s += b[i] * a[i] ** 2
    return s


def grid(a):
    s = 0.0
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            s += math.exp(0.1 * a[i, j]) * a[i, 0]
    return s


def test_least_squares_through_a_call_against_jax(rng, jax_module):
    w, data, y = rng.normal(size=3), rng.normal(size=(5, 3)), rng.normal(size=5)
    gw, gd, gy = numbad.grad(least_squares, argnums=(0, 1, 2))(w, data, y)
    expected = jax_module.grad(least_squares_jax, argnums=(0, 1, 2))(w, data, y)
    for got, exp in zip((gw, gd, gy), expected):
        assert got.shape == exp.shape
        np.testing.assert_allclose(got, np.asarray(exp), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gw, fd_array(least_squares, (w, data, y), 0), rtol=1e-6)


def test_view_defined_in_an_outer_loop_read_in_an_inner_one(rng):
    w, data = rng.normal(size=3), rng.normal(size=(4, 3))
    gw, gd = numbad.grad(rows, argnums=(0, 1))(w, data)
    np.testing.assert_allclose(gw, fd_array(rows, (w, data), 0), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(gd, fd_array(rows, (w, data), 1), rtol=1e-6, atol=1e-9)


def test_slice_view(rng):
    a = rng.normal(size=6)
    np.testing.assert_allclose(numbad.grad(interior)(a), fd_array(interior, (a,), 0),
                               rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_two_dimensional_array_gradient_has_its_shape_and_dtype(rng, dtype):
    a = rng.normal(size=(3, 4)).astype(dtype)
    g = numbad.grad(grid)(a)
    assert g.shape == a.shape and g.dtype == dtype
    np.testing.assert_allclose(g, fd_array(grid, (a.astype(np.float64),), 0),
                               rtol=1e-4 if dtype == np.float32 else 1e-6)


def test_non_contiguous_argument(rng):
    a = rng.normal(size=(4, 6))[:, ::2]
    g = numbad.grad(grid)(a)
    np.testing.assert_allclose(g, fd_array(grid, (np.ascontiguousarray(a),), 0), rtol=1e-6)


def test_vjp_with_array_primals(rng):
    w, data, y = rng.normal(size=3), rng.normal(size=(5, 3)), rng.normal(size=5)
    out, f_vjp = numbad.vjp(least_squares, w, data, y)
    assert out == pytest.approx(least_squares(w, data, y))
    cw, cd, cy = f_vjp(2.0)
    np.testing.assert_allclose(cw, 2.0 * numbad.grad(least_squares)(w, data, y), rtol=1e-14)


def test_callers_arrays_are_left_alone_even_when_f_writes_into_them():
    def f(x, buf):
        buf[0] = 7.0
        return x * buf[0]
    buf = np.zeros(2)
    assert numbad.grad(f)(3.0, buf) == 7.0
    np.testing.assert_array_equal(buf, np.zeros(2))


def test_int_arrays_are_not_differentiable():
    with pytest.raises(TypeError):
        numbad.grad(grid)(np.ones((2, 2), dtype=np.int64))


def heat_jax(u0, alpha, steps):
    u = u0
    for _ in range(steps):
        u = u.at[1:-1].set(u[1:-1] + alpha * (u[:-2] - 2.0 * u[1:-1] + u[2:]))
    return (u * u).sum()


def test_heat_equation_stepped_element_by_element(rng, jax_module):
    u0 = rng.normal(size=8)
    gu, ga = numbad.grad(heat, argnums=(0, 1))(u0, 0.2, 30)
    eu, ea = jax_module.grad(heat_jax, argnums=(0, 1))(u0, 0.2, 30)
    np.testing.assert_allclose(gu, np.asarray(eu), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ga, float(ea), rtol=1e-10)
    np.testing.assert_allclose(gu, fd_array(heat, (u0, 0.2, 30), 0), rtol=1e-6, atol=1e-9)


def update_argument_in_place(a, k):
    for _ in range(k):
        for i in range(a.shape[0]):
            a[i] = math.sin(a[i]) + 0.5 * a[i]
    a[1] = 3.0                  # overwritten with a constant: its derivative is cut
    return a[0] * a[-1] + a[1] * a[0]


def test_in_place_updates_of_an_argument_are_w_r_t_its_values_at_call_time(rng):
    a = rng.normal(size=5)
    keep = a.copy()
    g = numbad.grad(update_argument_in_place)(a, 3)
    np.testing.assert_array_equal(a, keep)
    np.testing.assert_allclose(g, fd_array(update_argument_in_place, (a, 3), 0),
                               rtol=1e-6, atol=1e-9)


def test_writing_through_a_view():
    def f(a):
        b = a[1:]
        b[0] = 2.0 * a[0] * a[2]
        return a[1] * a[0]
    a = np.array([0.5, 1.5, -2.0])
    np.testing.assert_allclose(numbad.grad(f)(a), fd_array(f, (a,), 0), rtol=1e-8)


def test_methods_of_data_arrays_are_fine():
    def f(x, d):
        return x * d.sum() + x * np.sum(d) + d.mean()
    assert numbad.grad(f)(2.0, np.arange(4.0)) == 12.0


def test_fill_and_sort_methods_are_stores():
    """``a.fill(x)`` and ``a.sort()`` write their array: stores ``a[:] = x``,
    ``a[:] = np.sort(a)`` in both modes (``fill`` was refused in reverse mode)."""
    from tests.gradcheck import check_modes

    def f(a, x):
        b = a * 1.0
        s = np.sum(b * b)
        b.fill(x * 2.0)
        c = a * np.array([2.0, -1.0, 0.5])
        c.sort()
        return s + b[0] * a[1] + np.sum(c * np.array([1.0, 2.0, 3.0]))
    check_modes(f, (np.array([0.3, -0.2, 1.5]), 0.7), (0, 1), order=2)


@njit
def fill(buf, x):
    buf[0] = x * 2.0


def test_a_derivative_flowing_into_a_callee_that_writes_an_array():
    def f(x, buf):
        s = 0.0
        for i in range(3):
            s += buf[0] * x
            fill(buf, x + i)
        return s
    buf = np.ones(2)
    # s = x + 2 x (x + 0) + 2 x (x + 1): ds/dx = 1 + 8 x + 2
    assert numbad.grad(f)(1.5, buf) == pytest.approx(15.0, rel=1e-14)
    assert numbad.jvp(f, (1.5, buf), (1.0, np.zeros(2)))[1] == pytest.approx(15.0, rel=1e-14)
    np.testing.assert_array_equal(buf, 1.0)


def test_reads_of_an_array_a_callee_writes_are_taped_not_reread(rng):
    @njit
    def scale(buf, k):
        for i in range(buf.shape[0]):
            buf[i] = buf[i] * k

    def f(x, buf):
        s = 0.0
        for i in range(3):
            s += math.sin(buf[i] * x)
            scale(buf, 2.0)
        return s
    buf = rng.normal(size=4)
    g = numbad.grad(f)(0.7, buf)
    h = 1e-6
    np.testing.assert_allclose(g, (f(0.7 + h, buf.copy()) - f(0.7 - h, buf.copy())) / (2 * h),
                               rtol=1e-6)


@njit
def scale_in_place(u, k):
    for i in range(u.shape[0]):
        u[i] *= k


def test_a_callee_updating_arrays_in_place_is_differentiated():
    def f(u0, k):
        u = u0.copy()
        scale_in_place(u, k)
        return np.sum(u * u)
    u0 = np.array([0.5, -1.0, 2.0])
    g_u, g_k = numbad.grad(f, argnums=(0, 1))(u0, 3.0)
    np.testing.assert_allclose(g_u, 2.0 * 9.0 * u0, rtol=1e-14)
    assert g_k == pytest.approx(2.0 * 3.0 * np.sum(u0 * u0), rel=1e-14)


def increments(x, w):
    """Element updates whose adjoint leaves the element's own adjoint as it is (``a[i] +=
    t``, ``a[i] = a[i] - t``, ``a[i] = t + a[i]``, an addend that reads the element
    too), beside updates that are not increments (another array of the same family
    read, the sum read again)."""
    n = x.shape[0]
    a = np.zeros(n)
    b = np.zeros(n)
    for i in range(n):
        a[i] = x[i]
        b[i] = w[i] * x[i]
    for _ in range(3):
        for i in range(n):
            a[i] += w[i] * b[i]
            a[i] = a[i] - 0.3 * math.sin(x[i])
            a[i] = 0.2 * a[(i + 1) % n] + a[i]
            a[i] += 0.5 * a[i]
            t = b[i] + a[i] * w[i]
            b[i] = t
            a[i] = a[i] + t * t
        a, b = b, a
    s = 0.0
    for i in range(n):
        s += a[i] * b[i] + a[i]
    return s


def test_element_increments(rng):
    x, w = rng.normal(size=6), rng.normal(size=6) * 0.5
    g = numbad.grad(increments, argnums=(0, 1))
    for got, i in zip(g(x, w), (0, 1)):
        np.testing.assert_allclose(got, fd_array(increments, (x, w), i), rtol=1e-6,
                                   atol=1e-9)
    # the adjoint of a[i] += w[i] * b[i] adds a_bar[i] onto the product's adjoint
    assert re.search(r"_bar = a(_\d+)?_bar\[i", g.source(x, w))


def held_adjoints(x, w, n):
    """Element reads at one place for a whole inner loop (x[i], w[r]), read twice, in a
    loop that may not run (i == n), beside a loop that writes the array it reads."""
    s = 0.0
    b = np.zeros(4)
    for i in range(n):
        r = i % 3
        for j in range(i, n):
            s += x[i] * w[j] + x[i] * x[i] * 0.1
        for j in range(3):
            s = s * 0.9 + w[r] * math.sin(x[j])
        for j in range(4):
            b[r] = b[r] * 0.5 + x[j] * w[r]
        s += b[r] * b[(r + 1) % 4]
    return s


def test_adjoints_of_reads_at_one_place_gather_in_locals(rng):
    x, w = rng.normal(size=5), rng.normal(size=5)
    g = numbad.grad(held_adjoints, argnums=(0, 1))
    for got, i in zip(g(x, w, 5), (0, 1)):
        np.testing.assert_allclose(got, fd_array(held_adjoints, (x, w, 5), i), rtol=1e-6,
                                   atol=1e-9)
    source = g.source(x, w, 5)
    # x[i] (three reads) in the first inner loop, w[r] in the second and third; not b[r]
    held = re.findall(r"(\w+)_bar\[\w+\] \+= _held", source)
    assert sorted(held) == ["w"] * 2 + ["x"] * 3


def held_pairs(p, c):
    """Reads ``p[i, k]`` and ``p[i, 1 - k]`` at one place for a whole loop over ``j``
    (Numba builds the index tuples, and ``1 - k``, inside that loop), in a loop that may
    not run (``i == n - 1``)."""
    n = p.shape[0]
    s = 0.0
    for i in range(n):
        for k in range(2):
            for j in range(i + 1, n):
                d = p[j, k] - p[i, k]
                s += c[k] * d * d * p[i, 1 - k]
    return s


def test_adjoints_of_reads_at_a_tuple_index_fixed_in_the_loop_gather_in_locals(rng):
    p, c = rng.normal(size=(5, 2)), rng.normal(size=2)
    g = numbad.grad(held_pairs, argnums=(0, 1))
    for got, i in zip(g(p, c), (0, 1)):
        np.testing.assert_allclose(got, fd_array(held_pairs, (p, c), i), rtol=1e-6,
                                   atol=1e-9)
    held = re.findall(r"(\w+)_bar\[\(.*\)\] \+= _held", g.source(p, c))
    assert held == ["p", "p"]


def triangle(x, a):
    """GMM's triangular product: ``c[j]``, ``c[m]`` and ``c[j + 1]`` are read at one
    place for the whole loop over ``l``, from an array written before it (its old
    values taped); in the last pass over ``j`` that loop never runs and ``m = j + 1``
    is out of range."""
    n = x.shape[0]
    c = np.empty(n)
    y = np.empty(n)
    s = 0.0
    for k in range(a.shape[0]):
        for j in range(n):
            c[j] = x[j] - a[k, j]
            y[j] = c[j] * a[k, j]
        idx = 0
        for j in range(n):
            m = j + 1
            for l in range(m, n):
                y[l] += a[k, idx % n] * c[j] * c[m] + c[j + 1]
                idx += 1
        for j in range(n):
            s += y[j] * y[j]
    return s


def test_element_reads_fixed_in_a_loop_are_made_once_where_its_reverse_starts(rng):
    x, a = rng.normal(size=5), rng.normal(size=(3, 5))
    g = numbad.grad(triangle, argnums=(0, 1))
    for got, i in zip(g(x, a), (0, 1)):
        np.testing.assert_allclose(got, fd_array(triangle, (x, a), i), rtol=1e-6, atol=1e-9)
    source = g.source(x, a)
    once = re.findall(r"if _iterations\d+ > 0:\n(?:\s+\w+ = c\[(.*)\]\n)+", source)
    assert len(once) == 1, source
    # c[j] and c[m], once each (the adjoint of the sum needs no c[j + 1]); three held
    reverse = source.split("# ---- reverse sweep")[1]
    assert len(re.findall(r"\w+ = c\[", reverse)) == 2
    assert re.findall(r"(\w+)_bar\[.*\] \+= _held", reverse) == ["c"] * 3


def test_element_reads_made_once_stay_in_range_where_the_loop_never_ran():
    """With Numba's bounds checks on, reading ``c[m]`` for the loop over ``l`` that does
    not run (or adding to its adjoint) raises IndexError."""
    code = ("import numpy as np, numbad\n"
            "from tests.test_reverse_arrays import triangle\n"
            "rng = np.random.default_rng(0)\n"
            "print(numbad.grad(triangle)(rng.normal(size=4), rng.normal(size=(2, 4))))\n")
    root = pathlib.Path(__file__).resolve().parents[1]
    env = dict(os.environ, NUMBA_BOUNDSCHECK="1", PYTHONPATH=str(root))
    done = subprocess.run([sys.executable, "-c", code], cwd=root, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


def rule_after_a_write(u0, w):
    """``np.dot(u, ...)`` reads u after a store the reverse sweep undoes first."""
    u = u0.copy()
    s = 0.0
    for i in range(u.shape[0]):
        s += u[i] * w[i] * u[i]
    u[0] = u[1] * s
    return np.dot(u, w) * np.dot(u, u)


def test_array_operands_read_after_a_write_the_reverse_undoes_are_copied(rng):
    u0, w = rng.normal(size=5), rng.normal(size=5)
    g = numbad.grad(rule_after_a_write, argnums=(0, 1))
    for got, i in zip(g(u0, w), (0, 1)):
        np.testing.assert_allclose(got, fd_array(rule_after_a_write, (u0, w), i), rtol=1e-6,
                                   atol=1e-9)


def gathers(u0, idx, n):
    """Reads by an array of indices (repeated ones too) and by a mask, in a loop whose
    iterations write the array gathered from."""
    u = u0.copy()
    s = 0.0
    for k in range(n):
        t = u[idx]
        s += np.sum(np.sin(t)) * (k + 1) + np.sum(u[u > 0.3] ** 2)
        u[1] = u[0] * u[2]
    return s


def gathers_jax(u0, idx, n):
    import jax.numpy as jnp
    u, s = u0, 0.0
    for k in range(n):
        s += jnp.sum(jnp.sin(u[idx])) * (k + 1) + jnp.sum(jnp.where(u > 0.3, u, 0.0) ** 2)
        u = u.at[1].set(u[0] * u[2])
    return s


def test_gathers_by_arrays_of_indices_and_masks(jax_module):
    u, idx = np.array([0.5, 0.2, 0.35, 0.9]), np.array([2, 0, 2, 3])
    want = jax_module.grad(gathers_jax)(u, idx, 3)
    for scheme in ("none", "binomial"):
        got = numbad.grad(gathers, checkpoint=scheme, memory_budget=4096)(u, idx, 3)
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-12)
    v = np.array([1.0, -0.5, 0.25, 2.0])
    grad = numbad.grad(gathers)
    h = 1e-6
    np.testing.assert_allclose(numbad.hvp(gathers)(u, idx, 3, v),
                               (grad(u + h * v, idx, 3) - grad(u - h * v, idx, 3)) / (2 * h),
                               rtol=1e-6)
    rows = np.arange(6.0).reshape(3, 2) / 5
    got = numbad.grad(lambda a, i: np.sum(a[i] ** 3))(rows, np.array([2, 0, 2]))
    np.testing.assert_allclose(got, 3 * rows ** 2 * np.array([[1], [0], [2]]), rtol=1e-14)


def gathered_before_writes(u0, idx, n):
    """The gathered copy is used after the array it came from is written."""
    u = u0.copy()
    s = 0.0
    for _ in range(n):
        t = u[idx]
        u[0] = 5 * u[1] * u[2]
        u[2] = u[0] - 1.0
        s += np.sum(np.sin(t) * u[:3])
    return s


def test_a_gathered_copy_keeps_the_values_it_was_made_with():
    u, idx = np.array([0.5, 0.2, 0.35, 0.9]), np.array([2, 0, 2])
    want = fd_array(gathered_before_writes, (u, idx, 3), 0)
    for scheme in ("none", "binomial"):
        got = numbad.grad(gathered_before_writes, checkpoint=scheme,
                          memory_budget=3000)(u, idx, 3)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


def over_elements(u0, n):
    u = u0.copy()
    s = 0.0
    for _ in range(n):
        for x in u:                 # the elements (written between the passes)
            s += x * math.cos(s)
        u[0] = u[1] * s
    last = 0.0
    for x in u[1:]:
        last = x                    # the loop variable after the loop
    for x in u[:0]:
        s += x                      # no iteration
    return s + last * last


def over_rows(a, w):
    s = 0.0
    for row in a:                   # row views of a 2-D array
        s += np.sum(row * w) ** 2
    return s


def enumerated(u, v):
    s = 0.0
    for i, x in enumerate(u):
        s += i * x * x
    for k, row in enumerate(v.reshape(2, 3), 1):    # rows, counted from 1
        s += k * np.sum(row * u[:3])
    return s


def zipped(u, v):
    s = 0.0
    for x, y, z in zip(u, v, u[1:]):    # as long as the shortest
        if x > 0.8:
            continue
        s += x * y - z * math.sin(s)
    return s


@pytest.mark.parametrize("f, args", [(over_elements, (np.array([0.5, 0.2, 0.3]), 3)),
                                     (over_rows, (np.arange(6.0).reshape(3, 2) / 7,
                                                  np.array([0.3, -0.2]))),
                                     (enumerated, (np.array([0.5, 0.2, 0.3, 0.9]),
                                                   np.linspace(-1.0, 1.0, 6))),
                                     (zipped, (np.array([0.5, 0.9, 0.3, 0.7]),
                                               np.linspace(-1.0, 1.0, 6)))],
                         ids=["elements", "rows", "enumerate", "zip"])
def test_loops_over_arrays(f, args):
    g = numbad.grad(f)(*args)
    np.testing.assert_allclose(g, fd_array(f, args, 0), rtol=1e-6, atol=1e-9)
    t = np.linspace(-1.0, 1.0, args[0].size).reshape(args[0].shape)
    h = 1e-6
    want = (f(args[0] + h * t, *args[1:]) - f(args[0] - h * t, *args[1:])) / (2 * h)
    rest = tuple(np.zeros_like(a) if isinstance(a, np.ndarray) else 0 for a in args[1:])
    assert numbad.jvp(f, args, (t,) + rest)[1] == pytest.approx(want, rel=1e-6)
    if f in (enumerated, zipped):       # the second array too
        np.testing.assert_allclose(numbad.grad(f, argnums=1)(*args), fd_array(f, args, 1),
                                   rtol=1e-6, atol=1e-9)


def scaled_then_added_views(a, u):
    """Views made each step and updated twice in place: the second update's adjoint
    adds into the view of ``b_bar`` that this step's index picks."""
    b = a.copy()
    for j in range(1, b.shape[1]):
        col = b[:, j]
        col *= 0.5
        col += b[:, j - 1]          # the neighbouring column (interleaved, no element shared)
    w = u.copy()
    for j in range(1, w.shape[0]):
        v = w[j:j + 1]
        v *= 0.5
        v += u[0:1]
    return np.sum(b ** 2) + np.sum(w ** 3)


def test_views_made_each_step_and_updated_twice():
    a, u = np.arange(12.0).reshape(3, 4) / 10, np.linspace(0.1, 0.9, 5)
    for i in range(2):
        np.testing.assert_allclose(numbad.grad(scaled_then_added_views, argnums=i)(a, u),
                                   fd_array(scaled_then_added_views, (a, u), i),
                                   rtol=1e-6, atol=1e-8)
    v = np.linspace(-1.0, 1.0, 5)
    h = 1e-6
    want = (numbad.grad(scaled_then_added_views, argnums=1)(a, u + h * v) -
            numbad.grad(scaled_then_added_views, argnums=1)(a, u - h * v)) / (2 * h)
    np.testing.assert_allclose(numbad.hvp(scaled_then_added_views, argnums=1)(a, u, v), want,
                               rtol=1e-6, atol=1e-8)


def where_of_numbers(x, u):
    y = np.where(x > 0, x * 2.0, x * x)     # a 0-d array
    z = np.asarray(u[0] * x)                 # another
    return np.sum(y * u) + np.sum(z) * u[1]


@pytest.mark.parametrize("x", [0.7, -0.7])
def test_0d_arrays_made_from_numbers(x):
    """(each 0-d adjoint is its own zero: adjoints are added to in place)"""
    u = np.array([1.0, 3.0])
    h = 1e-6
    want = (where_of_numbers(x + h, u) - where_of_numbers(x - h, u)) / (2 * h)
    assert numbad.grad(where_of_numbers)(x, u) == pytest.approx(want, rel=1e-7)
    np.testing.assert_allclose(numbad.grad(where_of_numbers, argnums=1)(x, u),
                               fd_array(where_of_numbers, (x, u), 1), rtol=1e-7)
