"""Parameter estimation: fit Lorenz-63's parameters and initial state to noisy data.

A "measured" trajectory is simulated with sigma = 10, rho = 28, beta = 8/3 and
noise added; starting from a wrong guess, ``scipy.optimize.minimize`` (L-BFGS-B)
recovers the three parameters and the initial state, the misfit and its
gradient computed by ``numbad.value_and_grad`` of the plain Numba simulation
(RK4 steps, the misfit summed at every observation time inside the loop).

    python examples/lorenz_fit.py [steps]
"""
import sys
import time

import numba
import numpy as np
from scipy.optimize import minimize

import numbad

TRUE = (1.0, 1.0, 1.05, 10.0, 28.0, 8.0 / 3.0)       # x0, y0, z0, sigma, rho, beta
NAMES = ("x0", "y0", "z0", "sigma", "rho", "beta")
DT = 0.005
EVERY = 10                                             # an observation every 10 steps


@numba.njit
def rhs(x, y, z, sigma, rho, beta):
    return sigma * (y - x), x * (rho - z) - y, x * y - beta * z


@numba.njit
def rk4_step(x, y, z, sigma, rho, beta, dt):
    a1, b1, c1 = rhs(x, y, z, sigma, rho, beta)
    a2, b2, c2 = rhs(x + 0.5 * dt * a1, y + 0.5 * dt * b1, z + 0.5 * dt * c1, sigma, rho, beta)
    a3, b3, c3 = rhs(x + 0.5 * dt * a2, y + 0.5 * dt * b2, z + 0.5 * dt * c2, sigma, rho, beta)
    a4, b4, c4 = rhs(x + dt * a3, y + dt * b3, z + dt * c3, sigma, rho, beta)
    return (x + dt / 6.0 * (a1 + 2.0 * a2 + 2.0 * a3 + a4),
            y + dt / 6.0 * (b1 + 2.0 * b2 + 2.0 * b3 + b4),
            z + dt / 6.0 * (c1 + 2.0 * c2 + 2.0 * c3 + c4))


@numba.njit
def misfit(x, y, z, sigma, rho, beta, dt, steps, every, observed):
    """Sum of squared differences between the simulated and observed states."""
    loss = 0.0
    for i in range(steps):
        x, y, z = rk4_step(x, y, z, sigma, rho, beta, dt)
        if (i + 1) % every == 0:
            k = (i + 1) // every - 1
            loss += (x - observed[k, 0]) ** 2 + (y - observed[k, 1]) ** 2 \
                + (z - observed[k, 2]) ** 2
    return loss


@numba.njit
def trajectory(x, y, z, sigma, rho, beta, dt, steps, every):
    """The states at the observation times (to make the synthetic data)."""
    out = np.empty((steps // every, 3))
    for i in range(steps):
        x, y, z = rk4_step(x, y, z, sigma, rho, beta, dt)
        if (i + 1) % every == 0:
            out[(i + 1) // every - 1] = (x, y, z)
    return out


def main(steps=400, noise=0.05, seed=0):
    """Fit; returns (fitted parameters, scipy's result)."""
    rng = np.random.default_rng(seed)
    observed = trajectory(*TRUE, DT, steps, EVERY)
    observed = observed + noise * rng.normal(size=observed.shape)
    loss_and_grad = numbad.value_and_grad(misfit, argnums=(0, 1, 2, 3, 4, 5))
    fixed = (DT, steps, EVERY, observed)

    t0 = time.perf_counter()
    loss_and_grad(*TRUE, *fixed)
    print("numbad compiled the gradient in %.2f s" % (time.perf_counter() - t0))

    def fun(p):
        value, g = loss_and_grad(*p, *fixed)
        return value, np.array(g)

    guess = np.array([1.5, 0.5, 1.5, 7.0, 24.0, 2.0])
    t0 = time.perf_counter()
    result = minimize(fun, guess, jac=True, method="L-BFGS-B",
                      options={"maxiter": 500, "gtol": 1e-10, "ftol": 1e-15})
    t_fit = time.perf_counter() - t0
    t_primal = min(_timed(lambda: misfit(*result.x, *fixed)) for _ in range(20))
    t_grad = min(_timed(lambda: loss_and_grad(*result.x, *fixed)) for _ in range(20))
    print("%d steps of RK4, %d noisy observations of (x, y, z); L-BFGS-B: %d iterations, "
          "%d gradient evaluations, %.3f s (%s)" % (steps, steps // EVERY, result.nit,
                                                   result.nfev, t_fit, result.message))
    print("misfit: %.4g at the guess -> %.4g fitted (%.4g at the true values)"
          % (misfit(*guess, *fixed), result.fun, misfit(*TRUE, *fixed)))
    print("one gradient %.1f us = %.1fx the misfit alone" % (t_grad * 1e6, t_grad / t_primal))
    print("%-6s %10s %10s %10s" % ("", "guess", "fitted", "true"))
    for name, g, f, t in zip(NAMES, guess, result.x, TRUE):
        print("%-6s %10.4f %10.4f %10.4f" % (name, g, f, t))
    return result.x, result


def _timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 400)
