"""Every control-flow shape, against finite differences (and jax.grad where JAX can express it)."""
import math

import numba
import numpy as np
import pytest
from gradcheck import check_grads, fd_array
from numba import njit

import numbad

G = 9.81
WEIGHTS = np.array([0.5, 1.5, 2.5])


@njit
def lorenz(x, y, z, sigma, rho, beta, dt, n):
    for _ in range(n):
        dx = sigma * (y - x)
        dy = x * (rho - z) - y
        dz = x * y - beta * z
        x, y, z = x + dt * dx, y + dt * dy, z + dt * dz
    return x * x + y + z


def lorenz_jax(x, y, z, sigma, rho, beta, dt, n):
    from jax import lax

    def step(_, s):
        x, y, z = s
        return (x + dt * sigma * (y - x), y + dt * (x * (rho - z) - y),
                z + dt * (x * y - beta * z))
    x, y, z = lax.fori_loop(0, n, step, (x, y, z))
    return x * x + y + z


def test_lorenz_for_loop_all_parameters(jax_module):
    args = (1.0, 1.0, 1.05, 10.0, 28.0, 8 / 3, 1e-3, 300)
    check_grads(lorenz, args, (0, 1, 2, 3, 4, 5), jax_f=lorenz_jax)


@pytest.mark.parametrize("n", [0, 1, 2, 7])
def test_trip_count_from_an_int_argument(n, jax_module):
    args = (1.0, 1.0, 1.05, 10.0, 28.0, 8 / 3, 1e-2, n)
    check_grads(lorenz, args, (0, 3), jax_f=lorenz_jax)


@njit
def oscillator(k, c, x0, dt, thresh):
    x, v, i = x0, 0.0, 0
    while 0.5 * v * v + 0.5 * k * x * x > thresh and i < 100000:
        v = v + dt * (-k * x - c * v)
        x = x + dt * v
        i += 1
    return x + v


def test_while_until_energy_threshold():
    check_grads(oscillator, (1.0, 0.3, 1.0, 1e-2, 1e-3), (0, 1, 2))


def test_while_loop_that_never_runs():
    g = numbad.grad(oscillator, argnums=(0, 2))(1.0, 0.3, 1.0, 1e-2, 10.0)
    assert g == (0.0, 1.0)


def f_range_bounds(x, a, b, step):
    s = x
    for i in range(a, b, step):
        s = s * 0.9 + math.sin(x * i)
    return s


@pytest.mark.parametrize("a,b,step", [(2, 9, 1), (1, 10, 3), (9, 0, -2), (5, 5, 1), (3, 0, 1)])
def test_range_with_runtime_bounds_and_steps(a, b, step):
    check_grads(f_range_bounds, (0.7, a, b, step), 0)


def f_break_continue(x, n):
    s = x
    for i in range(n):
        if i % 3 == 0:
            continue
        for j in range(5):
            if j * x > 2.5:
                break
            s = s * 0.5 + math.cos(x * j) * 0.3
    return s


def test_break_and_continue_in_nested_loops():
    check_grads(f_break_continue, (0.7, 10), 0)
    check_grads(f_break_continue, (1.3, 10), 0)


def f_early_return(x, n):
    s = x
    for _ in range(n):
        s = s * x + 0.1
        if s > 10.0:
            return s * 2.0
    return -s


@pytest.mark.parametrize("x", [1.3, 0.5])
def test_early_return_from_a_loop(x):
    check_grads(f_early_return, (x, 20), 0)


def f_while_true(x):
    k = 0
    while True:
        x = x * 0.9 + 0.01 * math.sin(x)
        k += 1
        if x < 0.1 or k > 500:
            break
    return x + k * 0.001


def test_while_true_with_break():
    check_grads(f_while_true, (2.0,), 0)


def f_nested_while(x, m):
    s = x
    i = 0
    while i < m:
        j = 0
        while j < i:
            s = s * 0.99 + 0.01 * math.cos(x * j)
            j += 1
        i += 1
    return s


def test_nested_while_loops():
    check_grads(f_nested_while, (0.7, 6), 0)


def pairs_once(u):
    """An inner while loop that runs once (twice, ...): ``u[i]``, read the same in each
    of its iterations, is read once for the inner loop's reverse."""
    e = 0.0
    for i in range(len(u)):
        j = 0
        while j < 1:
            e += (u[i] - u[j]) ** 2
            j += 1
    return e


def pairs_below(u):
    e = 0.0
    for i in range(len(u)):
        j = 0
        while j < i:        # 0, 1, 2, ... iterations
            e += u[j] * u[i] * u[i]
            j += 1
    return e


def pairs_first(u):
    e = 0.0
    for i in range(len(u)):
        for j in range(len(u)):
            e += u[j] * u[i] * u[i]
            break
    return e


@pytest.mark.parametrize("f", [pairs_once, pairs_below, pairs_first])
def test_element_read_the_same_in_each_inner_iteration(f, jax_module):
    u = np.array([0.3, 0.9, 0.1, 0.7])
    np.testing.assert_allclose(numbad.grad(f)(u), fd_array(f, (u,), 0), rtol=1e-6)
    jnp_u = jax_module.numpy.asarray(u)
    np.testing.assert_allclose(numbad.hessian(f)(u), jax_module.hessian(f)(jnp_u),
                               rtol=1e-10, atol=1e-12)


def f_branches(x, y):
    z = x if x > y else y * 2
    if x > 0 and not (y > 5 or x > 10):
        z += x * y
    elif y < 0:
        z -= math.exp(y)
    return z


@pytest.mark.parametrize("x,y", [(1.0, 2.0), (3.0, 2.0), (-1.0, -2.0), (11.0, 1.0)])
def test_nested_branches_and_boolean_logic(x, y):
    check_grads(f_branches, (x, y), (0, 1))


@njit
def pair(a, b):
    return a * b, a - math.exp(b)


@njit
def through_pair(a):
    u, v = pair(a, 0.5 * a)
    return u + v * a


def f_calls(x, y):
    t = 0.0
    for i in range(3):
        p, q = pair(x, y + i)
        t += p * q + through_pair(x)
    return t


def test_calls_to_njit_functions_returning_tuples_and_calling_each_other():
    check_grads(f_calls, (0.3, 0.4), (0, 1))


def f_swap(a, b, n):
    for _ in range(n):
        a, b = b, a + 0.5 * b
    return a * b


def test_loop_carried_tuple_swap(jax_module):
    def jax_swap(a, b, n):
        for _ in range(n):
            a, b = b, a + 0.5 * b
        return a * b
    check_grads(f_swap, (0.3, 0.4, 7), (0, 1), jax_f=lambda a, b, n: jax_swap(a, b, 7))


def f_tuple_index(x, k):
    t = (x, 2.0 * x, x * x)
    return t[k] + t[1]


@pytest.mark.parametrize("k", [0, 2, -1])
def test_tuple_indexed_by_a_runtime_int(k):
    check_grads(f_tuple_index, (1.3, k), 0)


def f_int_mixing(x, n):
    t = 0.0
    for i in range(n):
        t += i * x + i // 2 + float(i) / (x + 1)
    return t


def test_int_float_mixing_in_a_loop():
    check_grads(f_int_mixing, (1.3, 7), 0)


# pytest rewrites `assert` in test modules into calls Numba cannot compile: build it apart.
_ENV = {"G": G, "math": math}
exec(compile("""
def f_raise_assert(x):
    if x < 0:
        raise ValueError("negative")
    assert x < 100, "too big"
    return x * G + math.pi
""", "raise_assert_program", "exec"), _ENV)
f_raise_assert = _ENV["f_raise_assert"]


def test_raise_and_assert_statements():
    check_grads(f_raise_assert, (2.0,), 0)
    with pytest.raises(ValueError):
        numbad.grad(f_raise_assert)(-1.0)


def f_data(x, data):
    s = 0.0
    for i in range(data.shape[0]):
        s += (x - data[i]) ** 2 * WEIGHTS[i % 3]
    return s


def test_read_only_data_array_argument_and_global_array():
    check_grads(f_data, (0.3, np.arange(5.0)), 0)


def f_float32_loop(x, n):
    s = np.float32(0.0)
    for _ in range(n):
        s = s + x * np.float32(0.5)
    return s


def test_float32_through_a_loop():
    g = numbad.grad(f_float32_loop)(np.float32(1.5), 4)
    assert type(g) is np.float32 and g == np.float32(2.0)


def test_plain_function_and_dispatcher_give_the_same_gradient():
    plain = numbad.grad(f_swap.__wrapped__ if hasattr(f_swap, "__wrapped__") else f_swap)
    jitted = numbad.grad(numba.njit(f_swap))
    assert plain(0.3, 0.4, 5) == jitted(0.3, 0.4, 5)


def f_prints(x):
    s = 0.0
    for i in range(3):
        s += x * i
    print("s =", s)
    return s * x


def test_print_in_differentiated_code_runs_once_in_each_mode(capsys):
    assert numbad.grad(f_prints)(2.0) == pytest.approx(12.0, rel=1e-15)
    assert numbad.jvp(f_prints, (2.0,), (1.0,))[1] == pytest.approx(12.0, rel=1e-15)
    assert capsys.readouterr().out.count("s =") == 2
