"""Newton-CG fit of a simulation's parameters with exact Hessian-vector products.

A pendulum with friction, theta'' = -(g / L) sin(theta) - c theta', is stepped
with a semi-implicit Euler scheme for a few thousand steps; we observe its angle
with noise and fit (log omega^2, log c, theta0, omega0) — stiffness, friction and
the unknown initial state — by least squares.

scipy's Newton-CG needs the gradient and Hessian-vector products of the loss.
numbad.grad gives the first; numbad.hvp gives the second by forward mode over
numbad's own generated gradient code (tape included): exact, no finite
differences, at a small constant times the gradient's cost.

Run: ``python examples/newton_hvp.py`` (``--quick`` for fewer steps).
"""
import argparse
import time

import numpy as np
from numba import njit
from scipy.optimize import minimize

import numbad


@njit
def misfit(params, dt, every, observed):
    """0.5 * sum of squared differences between the simulated and observed angles
    (one observation every ``every`` steps)."""
    w2 = np.exp(params[0])
    c = np.exp(params[1])
    theta = params[2]
    omega = params[3]
    loss = 0.0
    for k in range(observed.shape[0]):
        for _ in range(every):
            omega = omega + dt * (-w2 * np.sin(theta) - c * omega)
            theta = theta + dt * omega
        r = theta - observed[k]
        loss += 0.5 * r * r
    return loss


def main(quick=False):
    rng = np.random.default_rng(1)
    dt, every, m = 1e-3, 20 if quick else 50, 100
    truth = np.array([np.log(9.0), np.log(0.3), 1.2, 0.0])
    clean = _angles(truth, dt, every, m)
    observed = clean + 0.01 * rng.normal(size=m)
    start = np.array([np.log(6.0), np.log(0.1), 1.0, 0.2])

    grad = numbad.grad(misfit)
    hvp = numbad.hvp(misfit)
    t0 = time.perf_counter()
    grad(start, dt, every, observed)
    hvp(start, dt, every, observed, np.ones(4))
    compile_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    result = minimize(misfit, start, args=(dt, every, observed), method="Newton-CG",
                      jac=lambda p, *a: grad(p, *a),
                      hessp=lambda p, v, *a: hvp(p, *a, v),
                      options={"xtol": 1e-10, "maxiter": 100})
    fit_s = time.perf_counter() - t0

    print("Newton-CG with numbad.grad and numbad.hvp (%d steps per loss)" % (every * m))
    print("%-10s %10s %10s %10s" % ("parameter", "start", "fitted", "truth"))
    for name, s, f, t in zip(["log w^2", "log c", "theta0", "omega0"], start, result.x, truth):
        print("%-10s %10.5f %10.5f %10.5f" % (name, s, f, t))
    print("loss %.3e -> %.3e in %d Newton steps, %d gradients, %d Hessian-vector products"
          % (misfit(start, dt, every, observed), result.fun, result.nit, result.njev,
             result.nhev))
    print("fit took %.2f s (first calls, compiling the derivatives: %.1f s)" % (fit_s, compile_s))
    return result, truth


def _angles(params, dt, every, m):
    """The simulated angles at the observation times (the same steps as ``misfit``)."""
    w2, c = np.exp(params[0]), np.exp(params[1])
    theta, omega = params[2], params[3]
    out = np.empty(m)
    for k in range(m):
        for _ in range(every):
            omega = omega + dt * (-w2 * np.sin(theta) - c * omega)
            theta = theta + dt * omega
        out[k] = theta
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    main(parser.parse_args().quick)
