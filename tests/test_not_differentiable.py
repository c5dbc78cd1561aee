"""What numbad cannot differentiate raises NotDifferentiableError naming the construct and file:line."""
import inspect
import math
import os

import numba
import numpy as np
import pytest

import numbad

HERE = os.path.basename(__file__)


def _line_of(fn, text):
    lines, start = inspect.getsourcelines(fn)
    for i, line in enumerate(lines):
        if text in line:
            return start + i
    raise AssertionError(text)


def _expect(f, args, construct, line_text, fn=None):
    with pytest.raises(numbad.NotDifferentiableError) as info:
        numbad.grad(f)(*args)
    msg = str(info.value)
    assert construct in msg
    assert "%s:%d" % (HERE, _line_of(fn or f, line_text)) in msg, msg


def f_objmode(x):
    with numba.objmode(y="float64"):
        y = x * 2.0
    return y


def test_objmode():
    _expect(f_objmode, (1.0,), "objmode", "with numba.objmode")


def f_generator(x):
    yield x


def test_generator():
    _expect(f_generator, (1.0,), "generator", "def f_generator")


@numba.njit
def power(x, n):
    if n <= 0:
        return 1.0
    return x * power(x, n - 1)


def f_recursive(x):
    return power(x, 3)


def test_recursion():
    _expect(f_recursive, (1.0,), "recursion", "return x * power", fn=power)


def f_int_result(x):
    return int(x)


def f_tuple_result(x):
    return x, 2.0 * x


@pytest.mark.parametrize("f", [f_int_result, f_tuple_result])
def test_grad_of_a_non_float_result(f):
    with pytest.raises(TypeError) as info:
        numbad.grad(f)(1.0)
    assert "float scalar" in str(info.value)


def f_no_rule(x):
    return np.sinc(x)


def test_function_without_a_rule():
    _expect(f_no_rule, (1.5,), "numpy.sinc", "np.sinc(x)")


def f_list(x):
    items = [0.0]       # (a list only read would be an array of its items)
    items.append(x * 2.0)
    return items[1]


def test_derivative_flowing_into_a_list():
    _expect(f_list, (1.5,), "list method append", "items.append(x")


def test_inactive_constructs_are_fine():
    def f(x, n):
        items = [n, n + 1]
        return x * items[1] + math.gamma(3.0)
    assert numbad.grad(f)(1.5, 2) == 3.0


def f_scatter(u0):
    u = u0.copy()
    u[np.array([0, 2])] = np.sin(u0[:2])
    return np.sum(u ** 3)


def f_gathered_then_written(u0):
    t = u0[np.array([0, 2])]
    t[0] = t[1] * 2.0
    return np.sum(t ** 3)


def test_writes_into_a_gathered_copy_are_refused_in_reverse_mode():
    """A gathered copy written into: refused in reverse mode, differentiated in
    forward mode. (``u[idx] = v`` itself is differentiated: tests/test_idioms.py.)"""
    f = f_gathered_then_written
    u = np.array([0.5, 0.2, 0.3])
    _expect(f, (u,), "an array at an array of indices or a mask", "t = u0[np.array([0, 2])]")
    t = np.array([1.0, -2.0, 0.5])
    h = 1e-6
    np.testing.assert_allclose(numbad.jvp(f, (u,), (t,))[1],
                               (f(u + h * t) - f(u - h * t)) / (2 * h), rtol=1e-7)


def test_writes_at_arrays_of_indices_are_differentiated():
    from tests.gradcheck import check_modes
    check_modes(f_scatter, (np.array([0.5, 0.2, 0.3]),), 0)


def f_written_through_reshape(u0):
    u = u0.copy()
    w = u.reshape((u.shape[0],))
    w[0] = w[0] ** 3
    return np.sum(u ** 2)


def f_written_while_expanded(u0):
    u = u0.copy()
    v = np.expand_dims(u, 0)
    u[0] = u[1] * 3.0
    return np.sum(v ** 2)


@pytest.mark.parametrize("f, construct, line", [
    (f_written_through_reshape, "made by `reshape`", "w = u.reshape"),
    (f_written_while_expanded, "made by `expand_dims`", "v = np.expand_dims(u, 0)")])
def test_views_made_by_functions_and_written_while_in_use_are_refused(f, construct, line):
    """A view made by ``reshape``, ``expand_dims``, ``.T``, ... shares its argument's
    memory; its adjoint is its own, so a write while it is in use was missed."""
    u = np.array([0.5, 0.2, 0.3])
    _expect(f, (u,), construct, line)
    t = np.array([1.0, -2.0, 0.5])
    h = 1e-6
    np.testing.assert_allclose(numbad.jvp(f, (u,), (t,))[1],
                               (f(u + h * t) - f(u - h * t)) / (2 * h), rtol=1e-7)


def test_views_made_by_functions_after_the_writes_are_differentiated():
    def f(a0, n):
        a = a0.copy()
        s = 0.0
        for _ in range(n):
            a[0, 1] = a[0, 0] * a[1, 1] + 0.1 * a[1, 0]
            b = a.T
            s += b[1, 0] * b[0, 1] + np.sum(a.reshape(4) ** 2)
        return s
    a = np.array([[0.25, 0.5], [0.75, 1.0]])
    g = numbad.grad(f)(a, 3)
    h = 1e-6
    for idx in np.ndindex(a.shape):
        e = np.zeros_like(a)
        e[idx] = h
        assert g[idx] == pytest.approx((f(a + e, 3) - f(a - e, 3)) / (2 * h), rel=1e-6)


def f_gather_index_changed(u):
    idx = np.array([0, 2])
    g = u[idx]
    s = np.sum(g * g)
    idx += 1                    # the reverse sweep would scatter at the new indices
    return s + u[idx[0]]


def test_a_gather_whose_index_array_changes_later_is_refused():
    _expect(f_gather_index_changed, (np.array([0.5, 0.2, 0.3, 0.1]),),
            "an array at an array of indices or a mask", "g = u[idx]")


def test_the_tangent_of_a_flattened_copy_does_not_follow_later_writes():
    def f(w0, x):
        w = w0.copy()
        c = w.flatten()
        w[0] = x * 3.0
        return np.sum(c * c) + w[0] * c[1]
    w = np.array([0.4, 0.2, 0.3])
    h = 1e-6
    want = (f(w, 0.5 + h) - f(w, 0.5 - h)) / (2 * h)
    assert numbad.jvp(f, (w, 0.5), (np.zeros(3), 1.0))[1] == pytest.approx(want, rel=1e-7)
    g_w, g_x = numbad.grad(f, argnums=(0, 1))(w, 0.5)
    assert g_x == pytest.approx(want, rel=1e-7)
    np.testing.assert_allclose(g_w, [(f(w + e, 0.5) - f(w - e, 0.5)) / (2 * h)
                                     for e in h * np.eye(3)], rtol=1e-6, atol=1e-9)


def f_item_of_an_element(u):
    return u[0].item() * 3.0


def f_conjugate(x):
    return x.conjugate() * 3.0


@pytest.mark.parametrize("f, args", [(f_item_of_an_element, (np.array([0.5, 1.0, 2.0]),)),
                                     (f_conjugate, (1.5,))])
def test_methods_of_numbers_keep_the_derivative(f, args):
    """``x.item()`` and ``x.conjugate()`` of a float are the float (they were refused:
    a number's method has no float type, its derivative would vanish unseen)."""
    from tests.gradcheck import check_modes
    check_modes(f, args, 0)

