"""The benchmark suite's checks: a contender that disagrees with numbad is reported,
never timed as if right, and the table says why a tool has no time."""
import numba
import numpy as np

from benchmarks import suite
from benchmarks.workloads import Case


@numba.njit
def weighted_squares(a, k):
    s = 0.0
    for i in range(a.shape[0]):
        s += k * a[i] * a[i]
    return s


@numba.njit
def right_adjoint(a, k):
    return 2.0 * k * a, float(np.sum(a * a))


@numba.njit
def wrong_adjoint(a, k):
    return 2.0 * k * a, float(np.sum(a * a)) + 1e-3


def _case(hand):
    return Case("toy", "n=5", weighted_squares, (np.linspace(0.1, 0.5, 5), 1.5), (0, 1),
                hand=hand, jax="cannot: a reason the table shows", autograd=None, rtol=1e-12)


def test_a_right_hand_adjoint_is_timed_and_the_table_has_its_ratio():
    r = suite.run_case(_case(right_adjoint), quick=True, measure_rss=False)
    assert r["error"]["hand"] <= 1e-12 and r["error"]["fd_full"] < 1e-8
    assert {"primal", "numbad", "hand"} <= set(r["best_s"])
    row = suite.markdown([r]).splitlines()[2]
    assert "cannot: a reason the table shows" in row and "not written" in row
    assert "MISMATCH" not in row


def test_a_wrong_hand_adjoint_is_reported_and_not_timed():
    r = suite.run_case(_case(wrong_adjoint), quick=True, measure_rss=False)
    assert "MISMATCH" in r["unavailable"]["hand"] and "hand" not in r["best_s"]
    assert "MISMATCH" in suite.markdown([r])
