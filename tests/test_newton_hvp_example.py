"""examples/newton_hvp.py: Newton-CG with numbad.grad and numbad.hvp recovers the
pendulum's parameters from noisy observations."""
import pathlib
import sys

import numpy as np
import pytest

pytest.importorskip("scipy")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "examples"))
import newton_hvp  # noqa: E402


def test_newton_cg_fit_recovers_the_parameters(capsys):
    result, truth = newton_hvp.main(quick=True)
    assert result.success
    np.testing.assert_allclose(result.x, truth, atol=0.02)
    assert "Hessian-vector products" in capsys.readouterr().out
