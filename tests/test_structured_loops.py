"""Loop nests are written as loops in both sweeps (no block dispatch inside) — loops
left from inside too (``while a and b``, ``break``, ``return``) — and loops of other
shapes fall back to dispatch; both give the same derivatives."""
import inspect
import math
import re

import numpy as np
import pytest

import numbad
from benchmarks.workloads.heat import heat
from tests.gradcheck import central_difference, fd_array


def test_the_heat_gradient_has_plain_loops():
    source = numbad.grad(heat, argnums=(0, 1)).source(np.ones(8), 0.1, 3)
    assert source.count("while True:  # loop at line") == 5
    assert source.count("while True:  # reverse of the loop at line") == 5
    lines, first = inspect.getsourcelines(heat.py_func)
    stencil = first + next(k for k, line in enumerate(lines) if "range(1, n - 1)" in line)
    assert "# loop at line %d" % stencil in source and "_blk == 242" not in source


def branches_in_loop(x, n):
    s = 0.0
    for i in range(n):
        if i % 3 == 0:
            s += math.sin(x * s + i)
        elif x > 0.5:
            s = s * x
        else:
            s -= 0.1 * x
        if s > 100.0:
            raise ValueError("diverged")
        for j in range(i % 4):
            if j == 1:
                s += x * j
    return s


def data_dependent_while(x, n):
    s = 0.0
    k = 0
    while s < 3.0 + 0.01 * n:
        s += 0.1 + x * x * 0.01 * k
        k += 1
    return s * x


def two_exit_while(x, n):        # `and` makes a second way out of the loop
    s = 0.0
    k = 0
    while s < 3.0 and k < n:
        s += 0.1 + x * x * 0.01 * k
        k += 1
    return s * x


def early_break(x, n):
    s = 0.0
    for i in range(n):
        s += math.cos(x * i)
        if s > 2.5:
            break
    return s


def skip_with_continue(x, n):
    s = 0.0
    for i in range(n):
        if i % 2 == 0:
            continue
        s += x ** i / (i + 1.0)
    return s


def break_with_work(x, n):
    s = x
    for i in range(n):
        s = s * 0.9 + math.sin(x + i)
        if s > 1.5:
            s = s * x
            break
        s += 0.1
    return s


def early_return(x, n):
    s = x
    for i in range(n):
        s = s * x + 0.2
        if s > 2.0:
            return s * math.cos(x)
        if i > 100:
            raise ValueError("too long")
    return -s


def bottom_tested_while(x, n):     # a branch in the body: the test is in its own block
    s, k = 0.0, 0
    while s < 2.0 + 0.01 * n and k < 1000:
        if k % 2 == 0:
            s += x * 0.3
        else:
            s += 0.1 * math.cos(s * x)
        k += 1
    return s * x


def inner_loops_left_from_inside(x, n):
    s = x
    for i in range(n):
        k = 0
        while s < 3.0 + i and k < 50:
            s += 0.2 + 0.1 * math.sin(x * k)
            k += 1
        for j in range(6):
            if s * j > 4.0 + i:
                s = s * 0.5
                break
            s += 0.01 * x
        t = 0.0
        while True:
            t += x * 0.5
            if t > 1.0:
                break
        s = s * 0.9 + t
    return s


def returns_from_a_nested_loop(x, n):   # left from two loops at once: the outer dispatched
    s = x
    for i in range(n):
        for j in range(3):
            s = s * 0.95 + x * j
            if s > 2.0 + i:
                return s
    return s * 2.0


SHAPES = [(branches_in_loop, True), (data_dependent_while, True), (skip_with_continue, True),
          (two_exit_while, True), (early_break, True), (break_with_work, True),
          (early_return, True), (bottom_tested_while, True),
          (inner_loops_left_from_inside, True), (returns_from_a_nested_loop, False)]


@pytest.mark.parametrize("f, structured", SHAPES)
@pytest.mark.parametrize("x", [0.3, 0.8])
def test_loop_shapes_against_finite_differences(f, structured, x):
    args = (x, 9)
    g = numbad.grad(f)
    source = g.source(*args)
    assert "# reverse of the loop at line" in source
    # a loop left to dispatch is a case "if _blk == a or _blk == b:  # loop at line"
    assert (re.search(r"_blk == \d+:  # loop at line", source) is None) == structured
    np.testing.assert_allclose(g(*args), central_difference(f, args, 0), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("f, structured", SHAPES)
def test_loop_shapes_in_forward_mode(f, structured):
    args = (0.7, 9)
    _, tangent = numbad.jvp(f, args, (1.0, 0))
    np.testing.assert_allclose(tangent, central_difference(f, args, 0), rtol=1e-6, atol=1e-9)


def index_branches(x, n):
    """Branches whose conditions are loop indices and an int fixed before the loops:
    the reverse sweep computes each direction again instead of taping it."""
    s = 0.0
    half = n // 2
    for i in range(n):
        for j in range(i, n):
            if i != j:
                s += x[i] * x[j] * 0.1
            else:
                s += math.sin(x[i])
            if (i + j) % 3 == 0:
                s = s * 0.99
        if i < half:
            s += x[i] ** 2
    return s


def mixed_branches(x, n):
    """An index branch beside a data-dependent one (taped) and a short-circuit test."""
    s = 0.0
    for i in range(n):
        if x[i] > 0.0:
            s += x[i] * 2.0
        if i % 2 == 0 and i > 2:
            s = s * 1.01 + x[i]
        else:
            s = s - 0.5 * x[i] * x[i]
    return s


@pytest.mark.parametrize("f", [index_branches, mixed_branches])
def test_branches_on_loop_indices_are_not_taped(f):
    x = np.linspace(-0.9, 1.1, 9)
    g = numbad.grad(f)
    np.testing.assert_allclose(g(x, 9), fd_array(f, (x, 9), 0), rtol=1e-6, atol=1e-9)
    checkpointed = numbad.grad(f, checkpoint="binomial", memory_budget=4096)
    np.testing.assert_allclose(checkpointed(x, 9), g(x, 9), rtol=1e-13)
    source = g.source(x, 9)
    if f is index_branches:     # every direction computed again: no edge on the tape
        assert "_k = _load_i" not in source and source.count("if bool(") == 3
        small, large = numbad.grad(f), numbad.grad(f)
        small(np.ones(10), 10)
        large(np.ones(40), 40)      # 16x the pairs: the loop counts are computed again too
        assert large.stats["tape_bytes"] <= 4 * small.stats["tape_bytes"]


def counted_nests(x, n, m):
    """Loops whose counts the reverse sweep computes again: a triangle, a range with a
    negative step and an outer-index start, a loop nested in a data-dependent while,
    one with a break (its count stays taped) and a range empty for some rows."""
    s = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            s += x[i] * x[j] * 0.05
        for j in range(n - 1, i, -2):
            s = s * 0.99 + math.sin(x[j]) * x[i]
    k = 0
    while s < 40.0 and k < m:
        for i in range(k % 3, n, 2):
            s += x[i] * x[i] * 0.5 + 0.1
        k += 1
    for i in range(n):
        for j in range(n):
            if s * x[j] > 30.0 + j:
                break
            s += 0.01 * x[j]
        for j in range(m - i):
            s += 0.02 * x[i] * j
    return s


def test_loop_counts_are_computed_again_not_taped():
    x = np.linspace(0.2, 1.4, 9)
    args = (x, 9, 7)
    g = numbad.grad(counted_nests)
    np.testing.assert_allclose(g(*args), fd_array(counted_nests, args, 0), rtol=1e-6, atol=1e-9)
    checkpointed = numbad.grad(counted_nests, checkpoint="binomial", memory_budget=2048)
    np.testing.assert_allclose(checkpointed(*args), g(*args), rtol=1e-12)
    assert checkpointed.stats["snapshots"] > 0
    source = g.source(*args)
    # every count but the loop with a break, the while loop's and that of the range
    # starting at the while loop's int k is computed again
    assert len(set(re.findall(r"(_iterations\d+) = \(?max\(0, ", source))) == 5
    assert len(set(re.findall(r"(_iterations\d+) = _load_i", source))) == 3
