"""The tape memory pool: tapes are reused between calls, never shared while in use."""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit

import numbad
from numbad.runtime import (
    load_f,
    store_f,
    tape_capacity,
    tape_free,
    tape_new,
    tape_resize,
)

BIG = 30_000_000        # entries: more than any other test leaves in the pool


@njit
def grown_tape(capacity):
    a = tape_resize(tape_new(16), capacity)
    store_f(a, capacity - 1, 2.5)
    return a, tape_capacity(a), load_f(a, capacity - 1)


def test_a_freed_tape_is_handed_out_again_when_large_enough():
    a, capacity, last = grown_tape(BIG)
    assert capacity == BIG and last == 2.5
    tape_free(a)
    b = tape_new(BIG - 10)
    assert b == a and tape_capacity(b) == BIG
    c = tape_new(BIG - 10)      # the pooled one is taken: c is another
    assert c != b and tape_capacity(c) >= BIG - 10
    tape_free(b)
    tape_free(c)


def lorenz_like(x, k, steps):
    s = 0.0
    for _ in range(steps):
        x = x + 0.01 * (k * (1.0 - x * x) - x)
        s += x * x
    return s


def test_concurrent_gradients_agree_with_sequential_ones():
    g = numbad.grad(lorenz_like, argnums=(0, 1))
    inputs = [(0.1 * i, 0.5 + 0.05 * i, 2000 + 100 * i) for i in range(16)]
    expected = [g(*a) for a in inputs]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda a: g(*a), inputs))
    np.testing.assert_array_equal(np.array(got), np.array(expected))


def test_released_pool_tapes_are_gone_and_derivatives_still_work():
    """release_pool gives the kept tapes back; the next call takes fresh memory."""
    from numbad import runtime

    @njit
    def f(x, n):
        for _ in range(n):
            x = x * 0.999 + 0.001 * x * x
        return x

    g = numbad.grad(f)
    first = g(0.5, 50_000)          # a tape of 50,000 entries goes to the pool after
    assert any(slot != 0 for slot in runtime._pool)
    runtime.release_pool()
    assert all(slot == 0 for slot in runtime._pool)
    assert g(0.5, 50_000) == first
