"""Inverse heat problem: recover a diffusivity field kappa(x) from noisy final temperatures.

A rod on [0, 1] with its ends held at fixed temperatures obeys
u_t = (kappa(x) u_x)_x.  We run a few known experiments (heat the left end,
heat the right end, let a warm bump cool), measure each final temperature
profile with noise, and ask which kappa(x) explains the measurements.

The forward model is plain Numba: a conservative explicit stencil stepped in
place for thousands of steps, one experiment after another, and the loss
(chi-squared data misfit + a smoothness penalty on log kappa) is summed in the
same @njit function.  numbad.value_and_grad gives scipy's L-BFGS-B the loss
and its gradient w.r.t. all n values of log kappa in one reverse sweep.

Run: ``python examples/heat_inverse.py`` (``--quick`` for a small version,
``--plot PATH`` to choose where the figure goes, ``--plot ''`` for none).
"""
import argparse
import os
import time

import numpy as np
from numba import njit
from scipy.optimize import minimize

import numbad

KAPPA_MIN, KAPPA_MAX = 0.2, 3.0      # the optimiser's bounds; dt is stable for all of them


@njit
def heat_loss(log_kappa, u0s, data, r, steps, inv_var, beta):
    """0.5 * sum((u_final - data)^2) / sigma^2 + 0.5 * beta * int (d log kappa / dx)^2 dx.

    u0s[k] is experiment k's initial profile (its two end values are held);
    r = dt / dx^2.  The stencil is u_i += r (k_{i+1/2}(u_{i+1} - u_i) - k_{i-1/2}(u_i - u_{i-1})).
    """
    m, n = u0s.shape
    a = np.empty(n - 1)               # r * kappa at the cell faces
    for j in range(n - 1):
        a[j] = 0.5 * r * (np.exp(log_kappa[j]) + np.exp(log_kappa[j + 1]))
    u = np.zeros(n)
    flux = np.zeros(n - 1)
    misfit = 0.0
    for k in range(m):
        for i in range(n):
            u[i] = u0s[k, i]
        for _ in range(steps):
            for j in range(n - 1):
                flux[j] = a[j] * (u[j + 1] - u[j])
            for i in range(1, n - 1):
                u[i] += flux[i] - flux[i - 1]
        for i in range(1, n - 1):     # the ends are known: measure the interior
            d = u[i] - data[k, i]
            misfit += d * d
    rough = 0.0
    for j in range(n - 1):
        d = log_kappa[j + 1] - log_kappa[j]
        rough += d * d
    return 0.5 * inv_var * misfit + 0.5 * beta * (n - 1) * rough


@njit
def final_temperatures(log_kappa, u0s, r, steps):
    """The forward model alone: every experiment's temperature after `steps` steps."""
    m, n = u0s.shape
    out = np.empty((m, n))
    for k in range(m):
        u = u0s[k].copy()
        flux = np.zeros(n - 1)
        for _ in range(steps):
            for j in range(n - 1):
                kf = 0.5 * (np.exp(log_kappa[j]) + np.exp(log_kappa[j + 1]))
                flux[j] = r * kf * (u[j + 1] - u[j])
            for i in range(1, n - 1):
                u[i] += flux[i] - flux[i - 1]
        out[k] = u
    return out


def make_problem(n, steps, sigma, seed):
    x = np.linspace(0.0, 1.0, n)
    dx = x[1] - x[0]
    r = 0.45 / KAPPA_MAX                      # dt = r dx^2: stable for kappa <= KAPPA_MAX
    kappa_true = (1.0 + 0.8 * np.exp(-((x - 0.3) / 0.08) ** 2)
                  - 0.5 * np.exp(-((x - 0.7) / 0.1) ** 2))
    u0s = np.zeros((3, n))
    u0s[0, 0] = 1.0                           # left end heated to 1
    u0s[1, -1] = 1.0                          # right end heated to 1
    u0s[2] = np.sin(np.pi * x)                # a warm bump cooling through cold ends
    clean = final_temperatures(np.log(kappa_true), u0s, r, steps)
    data = clean + sigma * np.random.default_rng(seed).standard_normal(clean.shape)
    return {"x": x, "dx": dx, "r": r, "t_final": steps * r * dx * dx, "kappa_true": kappa_true,
            "u0s": u0s, "data": data}


def best_time(f, repeat):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best


def rel_error(est, true):
    return np.linalg.norm(est - true) / np.linalg.norm(true)


def save_plot(path, p, kappa0, kappa_est, fit):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot: skipped (matplotlib is not installed)")
        return
    x = p["x"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    left.plot(x, p["kappa_true"], "k-", lw=2, label="true")
    left.plot(x, kappa0, "C7--", label="initial guess")
    left.plot(x, kappa_est, "C3-", label="recovered")
    left.set_xlabel("x")
    left.set_ylabel("diffusivity kappa(x)")
    left.set_title("diffusivity")
    left.legend()
    for k, name in enumerate(("left end heated", "right end heated", "bump cooling")):
        right.plot(x[1:-1], p["data"][k, 1:-1], "o", color=f"C{k}", ms=3, alpha=0.6)
        right.plot(x, fit[k], "-", color=f"C{k}", label=name)
    right.set_xlabel("x")
    right.set_ylabel(f"temperature at t = {p['t_final']:.3g}")
    right.set_title("measurements (dots) and the recovered model's fit")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"plot: saved to {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small, fast version")
    parser.add_argument("--plot", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                       "heat_inverse.png"),
                        help="where to save the figure ('' for no figure)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the measurement noise")
    opts = parser.parse_args(argv)
    t_start = time.perf_counter()

    n, steps = (32, 600) if opts.quick else (100, 5000)
    sigma, beta = 0.01, 1.0
    p = make_problem(n, steps, sigma, opts.seed)
    args = (p["u0s"], p["data"], p["r"], steps, 1.0 / sigma ** 2, beta)
    m = p["u0s"].shape[0]
    print("1-D heat equation, inverse problem for the diffusivity kappa(x)")
    print(f"grid {n} points, {steps} explicit steps (t = {p['t_final']:.3g}), "
          f"{m} experiments, {n} unknowns")
    print(f"noise sigma {sigma:.3g} on {m * (n - 2)} measurements, "
          f"smoothness weight beta {beta:.3g}")

    vg = numbad.value_and_grad(heat_loss, 0)
    theta0 = np.zeros(n)                        # initial guess: kappa = 1 everywhere
    t0 = time.perf_counter()
    value0, grad0 = vg(theta0, *args)
    t_compile = time.perf_counter() - t0
    heat_loss(theta0, *args)                    # compile the primal too
    repeat = 5 if opts.quick else 7
    t_loss = best_time(lambda: heat_loss(theta0, *args), repeat)
    t_grad = best_time(lambda: vg(theta0, *args), repeat)
    print(f"numbad first call (compile + run): {t_compile:.2f} s")
    print(f"loss: {t_loss * 1e3:.3f} ms   loss + gradient: {t_grad * 1e3:.3f} ms   "
          f"ratio {t_grad / t_loss:.1f}x   tape {vg.stats['tape_bytes'] / 1e6:.1f} MB")

    print("gradient check at the initial guess (central differences, h = 1e-6):")
    print(f"{'':8} {'numbad':>20} {'finite difference':>20} {'rel diff':>10}")
    h = 1e-6
    for i in (n // 8, 3 * n // 10, n // 2, 7 * n // 10):
        up, down = theta0.copy(), theta0.copy()
        up[i] += h
        down[i] -= h
        fd = (heat_loss(up, *args) - heat_loss(down, *args)) / (2 * h)
        rel = abs(grad0[i] - fd) / max(abs(fd), 1e-12)
        print(f"{f'check[{i}]':8} {grad0[i]:20.10g} {fd:20.10g} {rel:10.2e}")

    calls = [0]

    def fun(theta):
        calls[0] += 1
        return vg(theta, *args)

    t0 = time.perf_counter()
    res = minimize(fun, theta0, jac=True, method="L-BFGS-B",
                   bounds=[(np.log(KAPPA_MIN), np.log(KAPPA_MAX))] * n,
                   options={"maxiter": 500})
    t_opt = time.perf_counter() - t0
    print(f"L-BFGS-B: {res.nit} iterations, {calls[0]} loss+gradient calls, "
          f"status {res.status} ({res.message}), {t_opt:.2f} s")
    print(f"loss: initial {value0:.6g} -> final {res.fun:.6g}")

    kappa0, kappa_est = np.exp(theta0), np.exp(res.x)
    fit = final_temperatures(res.x, p["u0s"], p["r"], steps)
    resid = (fit - p["data"])[:, 1:-1]
    rms = np.sqrt(np.mean(resid ** 2)) / sigma
    print(f"measurement fit: rms residual / sigma = {rms:.3f} (1 = fits to the noise level)")
    print(f"relative error of kappa, initial guess: {rel_error(kappa0, p['kappa_true']):.4f}")
    print("reconstruction error ||kappa_est - kappa_true|| / ||kappa_true||: "
          f"{rel_error(kappa_est, p['kappa_true']):.4f}")
    if opts.plot:
        save_plot(opts.plot, p, kappa0, kappa_est, fit)
    else:
        print("plot: not requested")
    print(f"total time: {time.perf_counter() - t_start:.2f} s")


if __name__ == "__main__":
    main()
