"""Simple loop nests are written as loops in both sweeps (no block dispatch inside), and
loops of other shapes fall back to dispatch; both give the same derivatives."""
import math

import numpy as np
import pytest

import numbad
from benchmarks.heat1d import heat
from tests.gradcheck import central_difference


def test_the_heat_gradient_has_plain_loops():
    source = numbad.grad(heat, argnums=(0, 1)).source(np.ones(8), 0.1, 3)
    assert source.count("while True:  # loop at line") == 5
    assert source.count("while True:  # reverse of the loop at line") == 5
    assert "# loop at line 31" in source and "_blk == 242" not in source


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


@pytest.mark.parametrize("f, structured", [
    (branches_in_loop, True), (data_dependent_while, True), (skip_with_continue, True),
    (two_exit_while, False), (early_break, False)])
@pytest.mark.parametrize("x", [0.3, 0.8])
def test_loop_shapes_against_finite_differences(f, structured, x):
    args = (x, 9)
    g = numbad.grad(f)
    source = g.source(*args)
    assert ("# reverse of the loop at line" in source) == structured
    np.testing.assert_allclose(g(*args), central_difference(f, args, 0), rtol=1e-6, atol=1e-9)
