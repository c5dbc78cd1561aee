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
    return math.gamma(x)


def test_function_without_a_rule():
    _expect(f_no_rule, (1.5,), "math.gamma", "math.gamma(x)")


def f_list(x):
    items = [x, x * 2.0]
    return items[1]


def test_derivative_flowing_into_a_list():
    _expect(f_list, (1.5,), "list", "items = [x")


@numba.njit
def scaled(x, s=2.0):
    return x * s


def f_keywords(x):
    return scaled(x, s=3.0)


def test_keyword_arguments_to_a_differentiated_call():
    _expect(f_keywords, (1.5,), "keyword", "scaled(x, s=3.0)")


@numba.njit
def add_square_into(out, x):
    out += x * x
    return out


@numba.njit
def add_square_through(out, x):
    return add_square_into(out[1:], x)     # writes the caller's array through a view


def f_updates_argument(x):
    out = np.zeros(3)
    o = add_square_into(out, x)
    return o[0] * 3.0 + out[1]      # out and o are one array: 4 x**2


def f_updates_argument_through(x):
    out = np.zeros(3)
    o = add_square_through(out, x)
    return o[0] + out[1]


@pytest.mark.parametrize("f", [f_updates_argument, f_updates_argument_through])
def test_a_callee_updating_an_argument_in_place(f):
    """The caller's array changes behind its back: refused in both modes, not a
    derivative that misses the update."""
    line = "o = add_square"
    _expect(f, (1.5,), "updates its array argument `out` in place", line)
    with pytest.raises(numbad.NotDifferentiableError, match="in place"):
        numbad.jvp(f, (1.5,), (1.0,))


def test_inactive_constructs_are_fine():
    def f(x, n):
        items = [n, n + 1]
        return x * items[1] + math.gamma(3.0)
    assert numbad.grad(f)(1.5, 2) == 3.0
