"""numbad on real Numba code taken unchanged from public projects (tests/real_code/).

For every case expected to differentiate ("ok"):
  test_reverse  numbad.grad against central differences at two step sizes;
  test_forward  numbad.jvp along a random tangent: its value, its tangent against
                directional differences at two step sizes and against the
                gradient's inner product with the tangent;
  test_jax      (cases with a jax.numpy port) numbad.grad against jax.grad.
For every case expected to be refused: test_refused (NotDifferentiableError naming
a file and line).

Checks that numbad fails today are strict xfails whose reason is the symptom
(corpus.KNOWN_FAILURES): the suite stays green, and a fix shows up as an XPASS
to be removed from the list. `python -m tests.real_code.report` prints the
whole picture (tests/real_code/STATUS.md).
"""
import numpy as np
import pytest

from tests.real_code import checks           # (one name for the package: see conftest.py)
from tests.real_code.corpus import CASES

OK_CASES = [c for c in CASES if c.expect == "ok"]
REFUSED_CASES = [c for c in CASES if c.expect == "refused"]
JAX_CASES = [c for c in OK_CASES if c.jax_loss is not None]


def params(cases, check):
    out = []
    for c in cases:
        marks = []
        reason = c.xfail.get(check)
        if reason:
            marks.append(pytest.mark.xfail(strict=True, reason=reason))
        out.append(pytest.param(c, id=c.name, marks=marks))
    return out


def _assert_ok(outcome):
    assert outcome.ok, outcome.line()


@pytest.mark.parametrize("case", params(OK_CASES, "reverse"))
def test_reverse(case):
    _assert_ok(checks.run_check(case, "reverse"))


@pytest.mark.parametrize("case", params(OK_CASES, "forward"))
def test_forward(case):
    _assert_ok(checks.run_check(case, "forward"))


@pytest.mark.parametrize("case", params(JAX_CASES, "jax"))
def test_jax(case, jax_module):
    _assert_ok(checks.run_check(case, "jax"))


@pytest.mark.parametrize("case", params(REFUSED_CASES, "refused"))
def test_refused(case):
    _assert_ok(checks.run_check(case, "refused"))


def test_corpus_shape():
    """At least 50 functions from at least 6 projects, 15 with JAX ports."""
    assert len(CASES) >= 50
    assert len({c.project for c in CASES}) >= 6
    assert len(JAX_CASES) >= 15


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES])
def test_primal_runs(case):
    """The copied code itself runs under Numba with the case's arguments."""
    assert np.isfinite(checks.call(case.loss, case.args()))
