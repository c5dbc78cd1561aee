"""Int induction variables (``idx += 1``) stepped back in the reverse sweep, not taped.

Each program is checked against central differences, against the same
gradient with binomial checkpointing, and for what it tapes: a chain's values
come off the int tape once per run of its outermost loop, not per iteration.
"""
import math

import numpy as np
import pytest

import numbad
from tests.gradcheck import fd_array


def packed_triangle(x, L, n):
    """GMM's running index into a packed strictly-lower triangle, per row of an outer loop."""
    s = 0.0
    for r in range(n):
        idx = 0
        for j in range(4):
            for l in range(j + 1, 4):
                s += L[idx] * x[j] * x[l] * (1.0 + 0.1 * r)
                idx += 1
    return s


def counter_across_loops(x, L, n):
    """One counter carried through the whole nest, stepped by constants and by an index,
    through two sibling inner loops, also read after its step and as ``c - u``."""
    s = 0.0
    p = 0
    m = 1
    for i in range(n):
        for j in range(3):
            s += x[p % 4] * L[(p + j) % 6]
            p += 1
        for j in range(i, n):
            p = p + j
            s = s * 0.9 + x[p % 4] * 0.5
        m = 5 - m
        s += L[m] * x[i % 4]
    return s


def step_in_a_branch(x, L, n):
    """A step on one side of a data-dependent branch (a join of two values: taped) and a
    read after the step in a later block (the old value: taped there)."""
    s = 0.0
    k = 0
    q = 0
    for i in range(n):
        if x[i % 4] * s > 0.1:
            k += 1
        q2 = q + 2
        if L[i % 6] > 0.0:
            s += x[q % 4] * L[k % 6]
        q = q2
        s = math.sin(s) + x[i % 4] * 0.3
    return s


def counter_in_a_while(x, L, n):
    """A counter inside a while loop (not stepped back: a while loop's) around a for loop
    whose own counter is."""
    s = 0.0
    t = 0
    while s < 3.0 and t < 40:
        idx = t % 3
        for j in range(3):
            s += 0.05 * x[idx % 4] * L[j] + 0.01
            idx += 2
        t += 1
    return s


CASES = [packed_triangle, counter_across_loops, step_in_a_branch, counter_in_a_while]


def _args(n=7):
    x = np.array([0.3, -0.8, 1.1, 0.6])
    L = np.linspace(-0.5, 0.9, 6)
    return x, L, n


@pytest.mark.parametrize("f", CASES)
def test_chains_match_finite_differences(f):
    args = _args()
    g = numbad.grad(f, argnums=(0, 1))
    got = g(*args)
    for i in (0, 1):
        np.testing.assert_allclose(got[i], fd_array(f, args, i), rtol=1e-6, atol=1e-9)
    checkpointed = numbad.grad(f, argnums=(0, 1), checkpoint="binomial", memory_budget=1024)
    for a, b in zip(checkpointed(*args), got):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_a_packed_triangle_index_is_not_taped_per_iteration():
    g = numbad.grad(packed_triangle, argnums=(0, 1))
    source = g.source(*_args())
    assert "idx_2 = _load_i" not in source and "_store_i(_it, _ip, idx_2)" not in source
    small, large = numbad.grad(packed_triangle), numbad.grad(packed_triangle)
    small(*_args(10))
    large(*_args(40))
    # the tape holds one index per row (where the triangle's loops are left), 4x the rows
    assert large.stats["tape_bytes"] <= 4 * small.stats["tape_bytes"]


def test_a_step_on_one_side_of_a_branch_stays_taped():
    source = numbad.grad(step_in_a_branch, argnums=(0, 1)).source(*_args())
    assert "_load_i(_it" in source      # k (a join) and q (read after its step)
