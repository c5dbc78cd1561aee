"""An ensemble fit on Dask: shared predator-prey parameters from 1,000 trajectories.

Each of 1,000 "measured" trajectories of the Lotka-Volterra model
(dx/dt = a x - b x y, dy/dt = c x y - d y) starts from its own known populations
and is observed, with noise, every 0.2 time units up to t = 20. The four rates
(a, b, c, d) are shared. ``scipy.optimize.minimize`` (L-BFGS-B) fits their
logarithms; the mean misfit over the ensemble and its gradient come from
``numbad.value_and_grad`` of one trajectory's plain Numba simulation (RK4 steps
in a loop, a call to an ``@njit`` step function), summed over the members on
Dask workers by ``numbad.dask.Ensemble``: the trajectories are sent to the
workers once, each optimiser step sends only the four parameters.

    python examples/ensemble_dask.py                      # a LocalCluster of 2 processes
    python examples/ensemble_dask.py --workers 8 --members 10000
    python examples/ensemble_dask.py --scheduler tcp://scheduler:8786   # a real cluster

On a real cluster the workers must import this module (run them from a copy of
this directory, or ``client.upload_file("ensemble_dask.py")``), and numbad.
"""
import argparse
import logging
import time

import numba
import numpy as np
from scipy.optimize import minimize

TRUE_RATES = (1.0, 0.4, 0.1, 0.4)         # a, b, c, d
NAMES = ("a", "b", "c", "d")
DT = 0.01
EVERY = 20                                # an observation every 20 steps (0.2 time units)
OBSERVATIONS = 100                        # up to t = 20
NOISE = 0.3


@numba.njit
def rk4_step(x, y, a, b, c, d, dt):
    """One Runge-Kutta 4 step of the Lotka-Volterra equations."""
    k1x, k1y = a * x - b * x * y, c * x * y - d * y
    x2, y2 = x + 0.5 * dt * k1x, y + 0.5 * dt * k1y
    k2x, k2y = a * x2 - b * x2 * y2, c * x2 * y2 - d * y2
    x3, y3 = x + 0.5 * dt * k2x, y + 0.5 * dt * k2y
    k3x, k3y = a * x3 - b * x3 * y3, c * x3 * y3 - d * y3
    x4, y4 = x + dt * k3x, y + dt * k3y
    k4x, k4y = a * x4 - b * x4 * y4, c * x4 * y4 - d * y4
    return (x + dt / 6.0 * (k1x + 2.0 * k2x + 2.0 * k3x + k4x),
            y + dt / 6.0 * (k1y + 2.0 * k2y + 2.0 * k3y + k4y))


def member_misfit(log_rates, observed, x, y):
    """Squared misfit of one trajectory from populations (x, y) against ``observed``
    (one row per observation time)."""
    a, b = np.exp(log_rates[0]), np.exp(log_rates[1])
    c, d = np.exp(log_rates[2]), np.exp(log_rates[3])
    loss = 0.0
    for k in range(observed.shape[0]):
        for _ in range(EVERY):
            x, y = rk4_step(x, y, a, b, c, d, DT)
        loss += (x - observed[k, 0]) ** 2 + (y - observed[k, 1]) ** 2
    return loss


@numba.njit
def observe(x, y, a, b, c, d):
    """The populations at the observation times (to make the synthetic data)."""
    out = np.empty((OBSERVATIONS, 2))
    for k in range(OBSERVATIONS):
        for _ in range(EVERY):
            x, y = rk4_step(x, y, a, b, c, d, DT)
        out[k, 0], out[k, 1] = x, y
    return out


def measured_ensemble(members, seed=0):
    """``members`` trajectories of the true model from random starts, with noise:
    a list of (observed, x0, y0)."""
    rng = np.random.default_rng(seed)
    ensemble = []
    for _ in range(members):
        x0, y0 = rng.uniform(5.0, 15.0), rng.uniform(2.0, 8.0)
        observed = observe(x0, y0, *TRUE_RATES)
        ensemble.append((observed + NOISE * rng.standard_normal(observed.shape), x0, y0))
    return ensemble


def fit(ensemble, start):
    """L-BFGS-B on the mean misfit; returns (scipy's result, seconds per evaluation)."""
    scale = 1.0 / len(ensemble)
    timings = []

    def loss_and_gradient(log_rates):
        t = time.perf_counter()
        value, gradient = ensemble.sum(log_rates)
        timings.append(time.perf_counter() - t)
        return value * scale, gradient * scale

    result = minimize(loss_and_gradient, np.log(start), jac=True, method="L-BFGS-B")
    return result, float(np.median(timings))


def main(members=1000, workers=2, scheduler=None, progress=False):
    from dask.distributed import Client, LocalCluster

    import numbad.dask

    t0 = time.perf_counter()
    data = measured_ensemble(members)
    cluster = None if scheduler else LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
        silence_logs=logging.ERROR)
    client = Client(scheduler or cluster)
    print("Dask: %d worker processes (%s)" % (len(client.nthreads()),
                                              scheduler or "LocalCluster on this machine"))
    try:
        loss_grad = numbad.value_and_grad(member_misfit)
        start = np.array(TRUE_RATES) * np.array([1.25, 0.8, 0.85, 1.2])
        with numbad.dask.Ensemble(loss_grad, data, client=client, progress=progress) as ens:
            t = time.perf_counter()
            ens.sum(np.log(start))          # the workers compile the gradient once
            compile_s = time.perf_counter() - t
            result, per_call = fit(ens, start)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    rates = np.exp(result.x)
    print("%d trajectories x %d RK4 steps; first call (compiling on the workers) %.1f s"
          % (members, OBSERVATIONS * EVERY, compile_s))
    print("%d evaluations of the ensemble misfit and its gradient, %.3f s each; %s"
          % (result.nfev, per_call, result.message))
    print("%-6s %10s %10s" % ("rate", "fitted", "true"))
    for name, got, want in zip(NAMES, rates, TRUE_RATES):
        print("%-6s %10.5f %10.5f" % (name, got, want))
    print("total %.1f s" % (time.perf_counter() - t0))
    return rates, result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster processes")
    parser.add_argument("--scheduler", help="a Dask scheduler's address instead")
    parser.add_argument("--progress", action="store_true", help="Dask's progress bar")
    options = parser.parse_args()
    main(options.members, options.workers, options.scheduler, options.progress)
