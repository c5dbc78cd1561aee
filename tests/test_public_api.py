"""The public API of DESIGN.md: names, argument conventions, return types, caching."""
import math

import numba
import numpy as np
import pytest
from gradcheck import central_difference

import numbad


def energy(x, k, n):
    e = 0.0
    for i in range(n):
        e += 0.5 * k * (x - i) ** 2 + math.sin(x * k)
    return e


def test_grad_argnums_int_and_tuple():
    args = (0.3, 2.0, 4)
    gx = numbad.grad(energy)(*args)
    gk = numbad.grad(energy, argnums=1)(*args)
    both = numbad.grad(energy, argnums=(0, 1))(*args)
    assert isinstance(gx, float) and isinstance(both, tuple) and len(both) == 2
    assert both == (gx, gk)
    np.testing.assert_allclose(gx, central_difference(energy, args, 0), rtol=1e-6)
    np.testing.assert_allclose(gk, central_difference(energy, args, 1), rtol=1e-6)


def test_negative_argnums_counts_from_the_end():
    def f(a, b):
        return a * b * b
    assert numbad.grad(f, argnums=-1)(2.0, 3.0) == numbad.grad(f, argnums=1)(2.0, 3.0)


def test_value_and_grad():
    value, g = numbad.value_and_grad(energy, argnums=(0, 1))(0.3, 2.0, 4)
    assert value == pytest.approx(energy(0.3, 2.0, 4), rel=1e-14)
    assert g == numbad.grad(energy, argnums=(0, 1))(0.3, 2.0, 4)


def test_vjp_gives_one_cotangent_per_primal():
    out, f_vjp = numbad.vjp(energy, 0.3, 2.0, 4)
    assert out == pytest.approx(energy(0.3, 2.0, 4), rel=1e-14)
    cot = f_vjp(3.0)
    assert len(cot) == 3 and cot[2] is None
    g = numbad.grad(energy, argnums=(0, 1))(0.3, 2.0, 4)
    np.testing.assert_allclose(cot[:2], [3.0 * g[0], 3.0 * g[1]], rtol=1e-14)


def test_vjp_is_taken_at_the_values_given_even_where_f_updates_them():
    def f(x):
        x[0] = 2.0 * x[0]
        return x[0] ** 2 + x[1]
    x = np.array([1.5, 0.5])
    out, f_vjp = numbad.vjp(f, x)
    assert out == 9.5 and x[0] == 1.5
    np.testing.assert_allclose(f_vjp(1.0)[0], [8.0 * 1.5, 1.0], rtol=1e-14)
    np.testing.assert_allclose(f_vjp(1.0)[0], [8.0 * 1.5, 1.0], rtol=1e-14)   # again


def test_vjp_of_a_tuple_result():
    def f(x, y):
        return x * y, x + math.sin(y)
    out, f_vjp = numbad.vjp(f, 0.5, 2.0)
    assert out == f(0.5, 2.0)
    cx, cy = f_vjp((1.0, 10.0))
    np.testing.assert_allclose([cx, cy], [2.0 + 10.0, 0.5 + 10.0 * math.cos(2.0)], rtol=1e-14)


def test_grad_jit_bare_and_with_options():
    @numbad.grad_jit
    def loss(x, y):
        return x * x * y

    @numbad.grad_jit(argnums=(0, 1))
    def loss2(x, y):
        return x * x * y

    assert loss(3.0, 2.0) == 12.0
    assert loss2(3.0, 2.0) == (12.0, 9.0)
    assert loss.value_and_grad(3.0, 2.0) == (18.0, 12.0)
    assert loss.primal(3.0, 2.0) == 18.0
    assert isinstance(loss.primal, numba.core.dispatcher.Dispatcher)
    src = loss.source(3.0, 2.0)
    assert "def " in src and "reverse sweep" in src


def test_grad_jit_caches_per_signature():
    @numbad.grad_jit
    def loss(x, y):
        return x * y

    loss(1.0, 2.0)
    loss(3.0, 4.0)
    assert len(loss.signatures) == 1
    loss(np.float32(1.0), np.float32(2.0))
    assert len(loss.signatures) == 2


def test_second_call_compiles_nothing():
    g = numbad.grad(energy)
    g(0.3, 2.0, 4)
    from numbad import derivatives
    before = len(derivatives._cache)
    g(0.7, 1.0, 9)
    assert len(derivatives._cache) == before


def test_argnums_on_an_int_argument_is_a_type_error():
    with pytest.raises(TypeError):
        numbad.grad(energy, argnums=2)(0.3, 2.0, 4)


def test_checkpoint_options_are_validated():
    with pytest.raises(ValueError):
        numbad.grad(energy, checkpoint="sometimes")
    g = numbad.grad(energy, checkpoint="none", memory_budget=1 << 20)
    assert g(0.3, 2.0, 4) == numbad.grad(energy)(0.3, 2.0, 4)


def damped_product(x, n):
    p = 1.0
    for i in range(n):
        p = p * math.sin(x + 0.1 * i) + 0.5    # the reverse sweep needs each p: taped
    return p


def test_stats_report_the_tape():
    g = numbad.grad(damped_product)
    g(0.3, 100)
    assert g.stats["tape_bytes"] >= 100 * 8
    assert {"snapshots", "recomputed_iterations"} <= set(g.stats)
    recomputed = numbad.grad(energy)    # x - i and sin: computed again, the count too
    recomputed(0.3, 2.0, 100)
    assert recomputed.stats["tape_bytes"] == 0


def test_not_differentiable_error_is_a_type_error():
    assert issubclass(numbad.NotDifferentiableError, TypeError)


def test_callers_arrays_are_not_changed():
    data = np.linspace(0.0, 1.0, 5)
    keep = data.copy()

    def f(x, d):
        s = 0.0
        for i in range(d.shape[0]):
            s += x * d[i]
        return s
    assert numbad.grad(f)(2.0, data) == pytest.approx(keep.sum())
    np.testing.assert_array_equal(data, keep)


def test_generated_code_is_readable_python():
    src = numbad.grad_jit(energy).source(0.3, 2.0, 4)
    compile(src, "<generated>", "exec")
    assert "forward sweep" in src and "math.sin" in src
