"""What a derivative call costs beyond the compiled code, and what the reverse
sweep computes again: per-signature call plans and taped transcendentals."""
import math

import numba
import numpy as np
import pytest

import numbad


@numba.njit
def scaled_sum(a, k, n):
    s = 0.0
    for i in range(n):
        s += k * a[i % a.shape[0]]
    return s


@numba.njit
def decay(x, k, n):
    for _ in range(n):
        x = x * math.exp(-k * x) + math.tanh(x) ** 1.5
    return x


def test_each_argument_kind_gets_its_own_signature_and_the_right_gradient():
    g = numbad.grad(scaled_sum, argnums=(0, 1))
    a = np.arange(1.0, 5.0)
    strided = np.arange(1.0, 9.0)[::2]          # not contiguous: another layout
    frozen = a.copy()
    frozen.flags.writeable = False              # read-only: another Numba type
    for arr in (a, strided, frozen):
        for k in (2.0, np.float64(2.0)):
            for n in (6, np.int32(6)):
                a_bar, k_bar = g(arr, k, n)
                expected = np.zeros(4)
                for i in range(6):
                    expected[i % 4] += 2.0
                np.testing.assert_allclose(a_bar, expected)
                assert k_bar == pytest.approx(float(sum(arr[i % 4] for i in range(6))))
    # fingerprints tell apart every Numba signature (3 layouts x 2 integer types;
    # a float and a NumPy float64 are one signature under two fingerprints)
    kinds = {tuple(str(t) for t in p.arg_types) for p in g._calls.values()}
    assert len(kinds) == 6 and len(g._calls) == 12


def test_an_integer_past_int64_is_typed_by_numba_not_by_the_fast_path():
    g = numbad.grad(square_if_positive, argnums=0)
    assert g(3.0, 2 ** 63 + 1) == pytest.approx(6.0)
    assert not g._calls        # typed by numba.typeof every call (uint64), no plan kept


@numba.njit
def square_if_positive(x, big):
    return x * x if big > 0 else -x


def test_stats_before_and_after_a_call():
    g = numbad.grad(decay, argnums=(0, 1))
    assert g.stats == {}
    g(0.5, 0.3, 100)
    assert g.stats["tape_bytes"] > 0


def test_later_calls_of_one_signature_skip_numba_typeof(monkeypatch):
    """numba.typeof per argument and a cache lookup took ~30 us a call: calls whose
    arguments have a seen fingerprint reuse their call plan and type nothing."""
    g = numbad.grad(decay, argnums=(0, 1))
    first = g(0.5, 0.3, 10)
    typed = []
    real = numbad.api._types_of
    monkeypatch.setattr(numbad.api, "_types_of", lambda args: typed.append(args) or real(args))
    assert g(0.5, 0.3, 10) == first
    assert g(0.7, 0.2, 12) != first
    assert typed == []
    g(np.float32(0.5), 0.3, 10)          # a new signature is typed once
    g(np.float32(0.6), 0.3, 10)
    assert len(typed) == 1


def test_transcendental_results_are_taped_not_computed_again():
    """exp, tanh and a float power in a loop: the reverse sweep reads their results
    from the tape (tens of cycles saved per call) and the gradient is right."""
    src = numbad.grad_jit(decay, argnums=(0, 1)).source(0.5, 0.3, 100)
    reverse = src.split("# ---- reverse sweep")[1]
    assert "math.exp(" not in reverse and "math.tanh(" not in reverse
    got = numbad.grad(decay, argnums=(0, 1))(0.5, 0.3, 100)
    for i, h in ((0, 1e-6), (1, 1e-6)):
        up, down = [0.5, 0.3, 100], [0.5, 0.3, 100]
        up[i] += h
        down[i] -= h
        fd = (decay(*up) - decay(*down)) / (2 * h)
        assert got[i] == pytest.approx(fd, rel=1e-6)
