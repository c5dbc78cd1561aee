"""Forward mode (``numbad.jvp``): against jax.jvp, against numbad's own reverse mode
(``grad . v``) and against central finite differences along the tangent."""
import math

import numpy as np
import pytest

import numbad
from benchmarks.workloads.heat import heat, heat_slices
from tests.gradcheck import central_difference
from tests.test_reverse_array_expressions import CASES, build, make_args
from tests.test_reverse_control_flow import (
    f_branches,
    f_break_continue,
    f_calls,
    f_data,
    f_early_return,
    f_int_mixing,
    f_nested_while,
    f_raise_assert,
    f_range_bounds,
    f_swap,
    f_tuple_index,
    f_while_true,
    lorenz,
    lorenz_jax,
    oscillator,
)
from tests.test_reverse_double_buffering import (
    allocate_each_step,
    scratch_per_step,
    swap_elements,
    swap_rows_of_one_array,
    swap_until_large,
)


def directional_fd(f, args, tangents, h=1e-6):
    """(f(args + h t) - f(args - h t)) / 2h, moving the float arguments only."""
    def at(s):
        moved = [a + s * t if isinstance(a, (float, np.ndarray)) else a
                 for a, t in zip(args, tangents)]
        return np.asarray(f(*moved), dtype=float)
    return (at(h) - at(-h)) / (2 * h)


def random_tangents(rng, args):
    return tuple(rng.normal(size=np.shape(a)) if isinstance(a, np.ndarray)
                 else float(rng.normal()) if isinstance(a, float) else 0 for a in args)


def reverse_directional(f, args, tangents):
    nums = tuple(i for i, a in enumerate(args) if isinstance(a, (float, np.ndarray)))
    grads = numbad.grad(f, argnums=nums)(*args)
    return sum(float(np.sum(g * tangents[i])) for g, i in zip(grads, nums))


SCALAR_PROGRAMS = [
    (lorenz, (1.0, 1.0, 1.05, 10.0, 28.0, 8 / 3, 1e-3, 100)),
    (oscillator, (1.0, 0.3, 1.0, 1e-2, 1e-3), (3, 4)),  # dt, thresh move the trip count
    (f_range_bounds, (0.7, 1, 10, 3)),
    (f_range_bounds, (0.7, 9, 0, -2)),
    (f_break_continue, (0.7, 10)),
    (f_break_continue, (1.3, 10)),
    (f_early_return, (1.3, 20)),
    (f_early_return, (0.5, 20)),
    (f_while_true, (2.0,)),
    (f_nested_while, (0.7, 6)),
    (f_branches, (3.0, 2.0)),
    (f_branches, (-1.0, -2.0)),
    (f_calls, (0.3, 0.4)),
    (f_swap, (0.3, 0.4, 7)),
    (f_tuple_index, (1.3, -1)),
    (f_int_mixing, (1.3, 7)),
    (f_raise_assert, (2.0,)),
    (f_data, (0.3, np.arange(5.0))),
]


@pytest.mark.parametrize("case", SCALAR_PROGRAMS,
                         ids=["%s-%d" % (c[0].__name__, i) for i, c in enumerate(SCALAR_PROGRAMS)])
def test_control_flow_jvp_matches_reverse_mode_and_finite_differences(case, rng):
    f, args = case[:2]
    frozen = case[2] if len(case) > 2 else ()
    tangents = tuple(0.0 if i in frozen else t
                     for i, t in enumerate(random_tangents(rng, args)))
    out, out_dot = numbad.jvp(f, args, tangents)
    np.testing.assert_allclose(out, f(*args), rtol=1e-14)
    np.testing.assert_allclose(out_dot, reverse_directional(f, args, tangents),
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(out_dot, directional_fd(f, args, tangents),
                               rtol=1e-5, atol=1e-7)


def test_lorenz_jvp_against_jax(jax_module):
    args = (1.0, 1.0, 1.05, 10.0, 28.0, 8 / 3, 1e-3, 200)
    tangents = (0.1, -0.2, 0.3, 1.0, 0.5, -0.4, 0.0, 0)
    _, got = numbad.jvp(lorenz, args, tangents)
    _, expected = jax_module.jvp(lambda *a: lorenz_jax(*a, 200), args[:7], tangents[:7])
    np.testing.assert_allclose(got, float(expected), rtol=1e-10)


@pytest.mark.parametrize("name", sorted(CASES))
def test_array_expression_jvp_against_jax(name, rng, jax_module):
    source, shapes = CASES[name]
    args = make_args(rng, shapes)
    tangents = random_tangents(rng, args)
    out, out_dot = numbad.jvp(build(source, np), args, tangents)
    expected_out, expected_dot = jax_module.jvp(build(source, jax_module.numpy),
                                                tuple(args), tuple(tangents))
    np.testing.assert_allclose(out, float(expected_out), rtol=1e-12)
    np.testing.assert_allclose(out_dot, float(expected_dot), rtol=1e-9, atol=1e-12)


ARRAY_PROGRAMS = [
    (heat, lambda r: (r.normal(size=8), 0.2, 30)),
    (heat_slices, lambda r: (r.normal(size=8), 0.2, 30)),
    (swap_elements, lambda r: (r.normal(size=7), 0.2, 6)),
    (allocate_each_step, lambda r: (r.normal(size=7), 0.2, 6)),
    (swap_rows_of_one_array, lambda r: (r.normal(size=(2, 6)), 0.3, 5)),
    (swap_until_large, lambda r: (r.uniform(0.5, 1.0, size=4), 0.3)),
    (scratch_per_step, lambda r: (r.normal(size=5), 0.3, 4)),
]


@pytest.mark.parametrize("f, make", ARRAY_PROGRAMS, ids=[f.__name__ for f, _ in ARRAY_PROGRAMS])
def test_in_place_array_programs(f, make, rng):
    args = make(rng)
    tangents = random_tangents(rng, args)
    keep = [np.copy(t) for t in tangents]
    _, out_dot = numbad.jvp(f, args, tangents)
    for t, k in zip(tangents, keep):
        np.testing.assert_array_equal(t, k)
    np.testing.assert_allclose(out_dot, reverse_directional(f, args, tangents),
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(out_dot, directional_fd(f, args, tangents),
                               rtol=1e-5, atol=1e-7)


def test_array_valued_jvp_against_jax(rng, jax_module):
    source = ("def f(a, x):\n    u = a * x\n    for _ in range(3):\n"
              "        u = u + x * np.sin(u)\n    return np.cumsum(u) * x")
    args = [rng.normal(size=5), 0.7]
    tangents = random_tangents(rng, args)
    out, out_dot = numbad.jvp(build(source, np), args, tangents)
    e_out, e_dot = jax_module.jvp(build(source, jax_module.numpy), tuple(args), tuple(tangents))
    np.testing.assert_allclose(out, np.asarray(e_out), rtol=1e-12)
    np.testing.assert_allclose(out_dot, np.asarray(e_dot), rtol=1e-10, atol=1e-12)


def test_tangent_shapes_are_checked():
    with pytest.raises(ValueError, match="shape"):
        numbad.jvp(heat, (np.ones(4), 0.1, 2), (np.ones(3), 0.0, 0))
    with pytest.raises(ValueError, match="one tangent per primal"):
        numbad.jvp(heat, (np.ones(4), 0.1, 2), (np.ones(4),))


def spread(x, k):
    u = np.linspace(0.0, 1.0, 7) * x[0] + x[1] * k
    return np.sin(u) * k


def spread_jax(x, k):
    import jax.numpy as jnp
    return jnp.sin(jnp.linspace(0.0, 1.0, 7) * x[0] + x[1] * k) * k


def test_jacobian_of_a_wide_output_uses_forward_mode(jax_module):
    x, k = np.array([0.4, -0.3]), 0.8          # 3 inputs, 7 outputs: forward mode
    jx, jk = numbad.jacobian(spread, argnums=(0, 1))(x, k)
    ex, ek = jax_module.jacfwd(spread_jax, argnums=(0, 1))(x, k)
    assert jx.shape == (7, 2) and jk.shape == (7,)
    np.testing.assert_allclose(jx, np.asarray(ex), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(jk, np.asarray(ek), rtol=1e-12, atol=1e-14)


def power(x, y):
    return x ** y + math.pow(x, y) + pow(x, y)


@pytest.mark.parametrize("x, y", [(-2.0, 3.0), (-1.5, 2.0), (0.0, 3.0), (1.7, 2.5)])
def test_power_along_the_base_is_finite_at_any_base(x, y, jax_module):
    """d/dy x ** y is log(x) x ** y: nan for x < 0, yet a tangent along x alone has a
    value (3 x ** 2 at y = 3), and d/dy at x = 0 is 0, as JAX has it."""
    expected = 3 * y * x ** (y - 1)
    _, dot = numbad.jvp(power, (x, y), (1.0, 0.0))
    np.testing.assert_allclose(dot, expected, rtol=1e-12)
    np.testing.assert_allclose(dot, central_difference(lambda x: power(x, y), (x,), 0),
                               rtol=1e-6, atol=1e-9)
    if x >= 0:
        want = jax_module.grad(lambda x, y: 3 * x ** y, argnums=(0, 1))(x, y)
        np.testing.assert_allclose(numbad.grad(power, argnums=(0, 1))(x, y), want,
                                   rtol=1e-12)
        np.testing.assert_allclose(numbad.jvp(power, (x, y), (0.5, 2.0))[1],
                                   0.5 * want[0] + 2.0 * want[1], rtol=1e-12)
