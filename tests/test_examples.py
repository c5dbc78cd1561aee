"""The README's first command: the quickstart example runs and agrees with finite differences."""
import pathlib
import re
import runpy

import numpy as np
import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def test_quickstart_runs_and_matches_finite_differences(capsys):
    runpy.run_path(str(EXAMPLES / "quickstart.py"), run_name="__main__")
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines()
            if line.split() and line.split()[0] in ("x0", "y0", "z0", "sigma", "rho", "beta")]
    assert len(rows) == 6
    for name, numbad_value, fd_value in rows:
        a, b = float(numbad_value), float(fd_value)
        assert abs(a - b) <= 1e-5 * max(1.0, abs(b)), (name, a, b)


@pytest.mark.slow
def test_the_readme_example_runs():
    text = (EXAMPLES.parent / "README.md").read_text()
    exec(re.findall(r"```python\n(.*?)```", text, re.S)[0], {})


def test_long_simulation_example_stays_within_its_budget():
    module = runpy.run_path(str(EXAMPLES / "long_simulation.py"))
    budget = 64 * 1024
    grads, stats = module["main"](30_000, budget=budget)
    recorded = module["numbad"].grad(module["lorenz_rk4"], argnums=module["PARAMS"],
                                     checkpoint="none")
    expected = recorded(1.0, 1.0, 1.05, 10.0, 28.0, 8.0 / 3.0, 1e-6, 30_000)
    for got, want in zip(grads, expected):
        assert abs(got - want) <= 1e-12 * abs(want)
    assert stats["recomputed_iterations"] > 0
    assert stats["tape_bytes"] <= budget < recorded.stats["tape_bytes"]


def test_adaptive_ode_example_checkpoints_its_while_loop_within_budget():
    module = runpy.run_path(str(EXAMPLES / "adaptive_ode.py"))
    budget = 16 * 1024
    grads, stats = module["main"](60.0, budget=budget)
    steps = module["np"].zeros(1, module["np"].int64)
    recorded = module["numbad"].grad(module["van_der_pol"], argnums=module["PARAMS"],
                                     checkpoint="none")
    expected = recorded(*module["arguments"](60.0, steps))
    for got, want in zip(grads, expected):
        assert abs(got - want) <= 1e-12 * abs(want)
    assert stats["snapshots"] > 0 and stats["recomputed_iterations"] > 0
    assert stats["tape_bytes"] <= budget < recorded.stats["tape_bytes"]


def test_cuda_kernel_grad_example_matches_differences():
    """The time-stepped GPU example (on the simulator in CI): adjoint kernels run
    backwards over checkpointed device arrays agree with central differences."""
    pytest.importorskip("numba.cuda")
    module = runpy.run_path(str(EXAMPLES / "cuda_kernel_grad.py"))
    assert module["check"]() < 1e-6
    value, du0, dk = module["main"](24, 10)
    assert np.isfinite(value) and np.abs(dk).sum() > 0 and np.abs(du0).sum() > 0


def test_lorenz_fit_example_recovers_the_parameters():
    """scipy's L-BFGS-B with numbad's value_and_grad finds the parameters that made
    the data (noise 0.05 on a short, non-chaotic horizon)."""
    module = runpy.run_path(str(EXAMPLES / "lorenz_fit.py"))
    fitted, result = module["main"](200)
    assert result.success
    np.testing.assert_allclose(fitted, module["TRUE"], rtol=0.05)
    # the gradient scipy was given is the gradient of the misfit
    fixed = (module["DT"], 200, module["EVERY"], np.ones((20, 3)))
    value, grads = module["numbad"].value_and_grad(module["misfit"], argnums=(3,))(
        *fitted, *fixed)
    h = 1e-6 * fitted[3]
    up, down = list(fitted), list(fitted)
    up[3] += h
    down[3] -= h
    fd = (module["misfit"](*up, *fixed) - module["misfit"](*down, *fixed)) / (2 * h)
    assert abs(grads[0] - fd) <= 1e-5 * max(1.0, abs(fd))


def test_ensemble_dask_example_recovers_the_rates_on_worker_processes(capsys):
    pytest.importorskip("distributed")
    module = runpy.run_path(str(EXAMPLES / "ensemble_dask.py"))
    rates, result = module["main"](members=40, workers=2)
    assert result.success
    np.testing.assert_allclose(rates, module["TRUE_RATES"], rtol=0.02)
    assert "2 worker processes" in capsys.readouterr().out
