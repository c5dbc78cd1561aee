"""Sensitivity of an adaptive-step ODE solve: a `while` loop, checkpointed online.

The Van der Pol oscillator integrated with the Bogacki-Shampine 3(2) pair and
step-size control until a final time: how many steps it takes depends on the parameters, so the
loop is a `while` with a data-dependent exit, branches (accepted or rejected
step) and a step size that itself depends on everything before. numbad
differentiates the code as written (the derivative of the computed solution,
step-size control included). With ``memory_budget`` the loop is taped while the
tape fits in half the budget, then runs untaped, keeping snapshots on an online
schedule that never needs the number of steps in advance; the reverse sweep
recomputes between snapshots. (JAX cannot reverse a ``while_loop`` at all.)

    python examples/adaptive_ode.py [t_end]
"""
import math
import sys
import time

import numba
import numpy as np

import numbad


@numba.njit
def van_der_pol(mu, k, x, v, t_end, tol, steps_taken):
    """Loss on the state at ``t_end`` of x'' = mu (1 - x^2) x' - k x; ``steps_taken[0]``:
    the steps accepted."""
    t, h, n = 0.0, 1e-3, 0
    while t < t_end:
        h = min(h, t_end - t)
        k1x, k1v = v, mu * (1.0 - x * x) * v - k * x
        x2, v2 = x + 0.5 * h * k1x, v + 0.5 * h * k1v
        k2x, k2v = v2, mu * (1.0 - x2 * x2) * v2 - k * x2
        x3, v3 = x + 0.75 * h * k2x, v + 0.75 * h * k2v
        k3x, k3v = v3, mu * (1.0 - x3 * x3) * v3 - k * x3
        xn = x + h * (2.0 * k1x + 3.0 * k2x + 4.0 * k3x) / 9.0
        vn = v + h * (2.0 * k1v + 3.0 * k2v + 4.0 * k3v) / 9.0
        k4x, k4v = vn, mu * (1.0 - xn * xn) * vn - k * xn
        ex = h * (-5.0 * k1x + 6.0 * k2x + 8.0 * k3x - 9.0 * k4x) / 72.0
        ev = h * (-5.0 * k1v + 6.0 * k2v + 8.0 * k3v - 9.0 * k4v) / 72.0
        err = math.sqrt(0.5 * (ex * ex + ev * ev)) / tol
        if err <= 1.0:          # accept the step
            t += h
            x, v = xn, vn
            n += 1
        h = h * min(5.0, max(0.2, 0.9 * err ** (-1.0 / 3.0)))
    steps_taken[0] = n
    return (x - 1.0) ** 2 + v * v


NAMES = ("mu", "k", "x0", "v0")
PARAMS = (0, 1, 2, 3)
BUDGET = 16 * 2 ** 20


def arguments(t_end, steps_taken):
    return (1.0, 1.0, 0.5, 0.0, t_end, 1e-6, steps_taken)


def main(t_end=20_000.0, budget=BUDGET):
    steps_taken = np.zeros(1, np.int64)
    g = numbad.grad(van_der_pol, argnums=PARAMS, memory_budget=budget)

    # the derivative of the computed solution, against central differences on a short run
    short = arguments(1.0, steps_taken)
    got = g(*short)
    for i, name in zip(PARAMS, NAMES):
        h = 1e-6 * max(1.0, abs(short[i]))
        up, down = list(short), list(short)
        up[i] += h
        down[i] -= h
        fd = (van_der_pol(*up) - van_der_pol(*down)) / (2 * h)
        print("t_end 1: d loss / d %-5s numbad % .8e  central difference % .8e"
              % (name, got[i], fd))

    args = arguments(t_end, steps_taken)
    t0 = time.perf_counter()
    loss = van_der_pol(*args)
    t_primal = time.perf_counter() - t0
    steps = int(steps_taken[0])
    t0 = time.perf_counter()
    grads = g(*args)
    t_grad = time.perf_counter() - t0
    stats = g.stats
    print("t_end %g: %d adaptive steps, loss %.6f, primal %.2f s, gradient %.2f s (%.1fx)"
          % (t_end, steps, loss, t_primal, t_grad, t_grad / t_primal))
    for name, value in zip(NAMES, grads):
        print("  d loss / d %-5s = % .6e" % (name, value))
    print("memory budget %.0f MiB: peak tape + snapshots %.2f MiB, %d snapshots taken, "
          "%d iterations recomputed (%.2f per step)" % (
              budget / 2 ** 20, stats["tape_bytes"] / 2 ** 20, stats["snapshots"],
              stats["recomputed_iterations"], stats["recomputed_iterations"] / max(steps, 1)))
    if not all(math.isfinite(v) for v in grads):
        raise SystemExit("non-finite gradient")
    return grads, stats


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 20_000.0)
