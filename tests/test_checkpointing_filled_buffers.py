"""Loops that fill a new buffer each step and carry it on (``v = np.empty_like(u);
v[i] = ...; u = v``): checkpointed within the memory budget (their state is the
buffer's contents), with the gradient of the recorded run, for ``for`` and ``while``
loops, ways out by ``break`` before and after the buffer is made, two buffers at once
and 2-D buffers."""
import math

import numba
import numpy as np
import pytest
from gradcheck import fd_array

import numbad


@numba.njit
def heat_filled(u0, alpha, steps):
    u = u0.copy()
    n = u.shape[0]
    for _ in range(steps):
        v = np.empty_like(u)
        v[0] = u[0]
        v[n - 1] = u[n - 1]
        for i in range(1, n - 1):
            v[i] = u[i] + alpha * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        u = v
    return np.sum(u * u)


@numba.njit
def two_buffers(u0, w0, k, steps):
    u = u0.copy()
    w = w0.copy()
    n = u.shape[0]
    for _ in range(steps):
        un = np.empty_like(u)
        wn = np.zeros(n)
        for i in range(n):
            un[i] = u[i] + 0.1 * math.sin(w[i]) * k
            wn[i] = w[i] - 0.1 * u[(i + 1) % n] * w[i]
        u = un
        w = wn
    return np.sum(u * w)


@numba.njit
def decay_until_small(u0, rate):
    u = u0.copy()
    t = 0
    while np.sum(u * u) > 0.05 and t < 500:
        v = np.empty_like(u)
        for i in range(u.shape[0]):
            v[i] = u[i] * (1.0 - rate * (1.0 + 0.1 * i))
        u = v
        t += 1
    return np.sum(u)


@numba.njit
def break_before_the_buffer(u0, rate, steps):
    u = u0.copy()
    t = 0
    while True:
        if u[0] < 0.3 or t >= steps:
            break
        v = np.empty_like(u)
        for i in range(u.shape[0]):
            v[i] = u[i] * (1.0 - rate * (1.0 + 0.1 * i))
        u = v
        t += 1
    return np.sum(u * u)


@numba.njit
def break_after_the_buffer(u0, rate, steps):
    u = u0.copy()
    for _ in range(steps):
        v = np.zeros(u.shape[0])
        for j in range(u.shape[0]):
            v[j] = u[j] - rate * u[j] * (u[j] + 0.2 * j)
        if v[1] < 0.35:
            u = v * 2.0
            break
        u = v
    return np.sum(u * u)


@numba.njit
def grid_filled(a0, c, steps):
    a = a0.copy()
    for _ in range(steps):
        b = np.empty_like(a)
        b[:, 0] = a[:, 0]
        for i in range(a.shape[0]):
            for j in range(1, a.shape[1]):
                b[i, j] = a[i, j] + c * (a[i, j - 1] - a[i, j])
        a = b
    return np.sum(a ** 2)


@numba.njit
def scaled_then_pinned(u0, k, steps):
    u = u0.copy()
    for _ in range(steps):
        v = u * (1.0 - k)
        v[0] = u[0]
        u = v
    return np.sum(u * u)


_rng = np.random.default_rng(1)
PROGRAMS = [
    (heat_filled, (np.sin(np.linspace(0.0, 3.0, 12)), 0.1, 30)),
    (two_buffers, (_rng.uniform(-1, 1, 6), _rng.uniform(0.5, 1.5, 6), 0.7, 25)),
    (decay_until_small, (_rng.uniform(0.5, 1.0, 5), 0.05)),
    (break_before_the_buffer, (np.array([0.9, 0.8, 0.7]), 0.05, 40)),
    (break_before_the_buffer, (np.array([0.9, 0.8, 0.7]), 0.05, 7)),
    (break_after_the_buffer, (np.array([0.9, 0.8, 0.7]), 0.05, 40)),
    (break_after_the_buffer, (np.array([0.9, 0.8, 0.7]), 0.05, 7)),
    (grid_filled, (_rng.uniform(-1, 1, (3, 4)), 0.3, 20)),
    (scaled_then_pinned, (np.linspace(0.1, 0.6, 7), 0.2, 40)),
]
SCHEMES = [dict(checkpoint="binomial"), dict(checkpoint="online"),
           dict(checkpoint="auto", memory_budget=3000),
           dict(checkpoint="online", memory_budget=3000)]


@pytest.mark.parametrize("f, args", PROGRAMS,
                         ids=["%s-%d" % (f.__name__, a[-1]) for f, a in PROGRAMS])
def test_checkpointed_gradient_is_the_recorded_one_within_the_budget(f, args):
    nums = tuple(i for i, a in enumerate(args) if isinstance(a, (float, np.ndarray)))
    recorded = numbad.grad(f, argnums=nums, checkpoint="none")(*args)
    for i, want in zip(nums, recorded):
        if isinstance(args[i], np.ndarray):
            np.testing.assert_allclose(want, fd_array(f, args, i), rtol=1e-6, atol=1e-9)
    for options in SCHEMES:
        g = numbad.grad(f, argnums=nums, **options)
        for got, want in zip(g(*args), recorded):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15, err_msg=str(options))
        budget = options.get("memory_budget")
        # ("auto" tapes in full what fits the budget)
        assert options["checkpoint"] == "auto" or g.stats["snapshots"] > 0, options
        # (the online schedule sizes its slots from the average iteration's tape so far:
        # the iteration a turn tapes again may take a little more)
        slack = 1.05 if options["checkpoint"] == "online" else 1.0
        assert budget is None or g.stats["tape_bytes"] <= slack * budget, (options, g.stats)


def test_a_long_run_fits_a_budget_it_would_outgrow_taped(rng):
    """Twenty thousand steps of a 50-point grid within 100 kB, where the recorded run
    keeps a buffer per step (8 MB)."""
    u0 = np.sin(np.linspace(0.0, 3.0, 50))
    _, f_vjp = numbad.vjp(heat_filled, u0, 0.1, 20000, memory_budget=100_000)
    got = f_vjp(1.0)[0]
    assert f_vjp.stats["tape_bytes"] <= 100_000 and f_vjp.stats["snapshots"] > 0
    _, recorded = numbad.vjp(heat_filled, u0, 0.1, 20000, checkpoint="none")
    np.testing.assert_allclose(got, recorded(1.0)[0], rtol=1e-12)
